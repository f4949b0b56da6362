use memo::memoize;

#[memoize(ttl = "99999999999999999999h")]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
