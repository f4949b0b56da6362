use memo::memoize;

#[memoize(capacity = -1)]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
