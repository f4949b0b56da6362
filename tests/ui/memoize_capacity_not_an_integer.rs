use memo::memoize;

#[memoize(capacity = "10")]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
