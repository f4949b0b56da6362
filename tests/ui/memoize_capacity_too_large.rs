use memo::memoize;

#[memoize(capacity = 99999999999999999999999)]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
