use memo::counted;

#[counted(capacity = 10)]
fn step(n: u64) -> u64 {
    n + 1
}

fn main() {}
