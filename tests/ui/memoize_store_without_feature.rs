// The default features build no store: the error says which feature to turn on.
use memo::memoize;

#[memoize(store = disk)]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
