// All mistakes at once: `refresh` without `ttl`, `stale_on_error` without
// `ttl` (and on a function that does not return a `Result`), and `cache_if`
// without a value.
use memo::memoize;

#[memoize(refresh, stale_on_error, cache_if)]
fn find(id: u64) -> Option<u64> {
    Some(id)
}

fn main() {}
