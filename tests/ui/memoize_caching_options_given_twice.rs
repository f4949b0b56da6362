// Every new option is set once, by the same helper as the old ones: four
// repeats, four messages, each at the second occurrence.
use memo::memoize;

#[memoize(cache_if = Option::is_some, ttl = "1s", cache_if = Option::is_none)]
fn find(id: u64) -> Option<u64> {
    Some(id)
}

#[memoize(ttl = "1s", refresh, refresh)]
fn session(id: u64) -> u64 {
    id
}

#[memoize(ttl = "1s", stale_on_error, stale_on_error)]
fn quote(id: u64) -> Result<u64, String> {
    Ok(id)
}

#[memoize(ttl_of = |_: &u64| None, ttl_of = |_: &u64| Some(std::time::Duration::from_secs(1)))]
fn token(id: u64) -> u64 {
    id
}

fn main() {}
