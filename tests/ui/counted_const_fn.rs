use memo::counted;

#[counted]
const fn step(n: u64) -> u64 {
    n + 1
}

fn main() {}
