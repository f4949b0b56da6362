use memo::memoize;

#[memoize(ttl = 5)]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
