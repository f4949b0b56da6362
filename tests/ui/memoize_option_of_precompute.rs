use memo::memoize;

#[memoize(domain = 0..3)]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
