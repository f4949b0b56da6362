// `cache_if` may read the function's `Copy` parameters: whether a value is
// worth keeping can depend on the call.
use memo::memoize;

#[memoize(cache_if = |v: &u64| *v > limit)]
fn scaled(n: u64, limit: u64) -> u64 {
    n * 3 + limit
}

fn main() {
    assert_eq!(scaled(1, 10), 13);
    assert_eq!(scaled(1, 10), 13);
    assert_eq!(scaled::stats().hits, 1, "13 > 10: kept");
    assert_eq!(scaled(0, 100), 100);
    assert_eq!(scaled(0, 100), 100);
    assert_eq!(scaled::stats().hits, 1, "100 > 100 is false: not kept");
}
