// `cache_if` is a predicate over a reference to the stored value (`&u64`
// here); the type error lands on the predicate.
use memo::memoize;

#[memoize(cache_if = |s: &String| s.is_empty())]
fn triple(n: u64) -> u64 {
    n * 3
}

fn main() {}
