use memo::memoize;

#[memoize(capacity = 10 ttl = "5s")]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
