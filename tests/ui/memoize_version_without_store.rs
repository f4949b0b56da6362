use memo::memoize;

#[memoize(version = 2)]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
