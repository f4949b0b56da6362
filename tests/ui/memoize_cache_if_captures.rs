// `cache_if` cannot read the function's parameters: it runs as a plain `fn`
// over the value.
use memo::memoize;

#[memoize(cache_if = |v: &u64| *v > limit)]
fn scaled(n: u64, limit: u64) -> u64 {
    n * 3 + limit
}

fn main() {}
