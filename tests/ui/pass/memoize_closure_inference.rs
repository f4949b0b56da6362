// `cache_if` and `ttl_of` closures written as users write them, without
// annotating the parameter: its type is the stored value's (`&V`), which the
// macro knows, so the closure must infer it as it would as an argument of a
// function taking `impl Fn(&V) -> bool`.
use std::time::Duration;

use memo::memoize;

#[memoize(cache_if = |v| *v > 10)]
fn triple(n: u64) -> u64 {
    n * 3
}

#[memoize(cache_if = |row| !row.is_empty())]
fn row(id: u64) -> Result<String, std::io::Error> {
    Ok(id.to_string())
}

#[memoize(ttl_of = |secs| Some(Duration::from_secs(*secs)), capacity = 4)]
fn lives_for(secs: u64) -> u64 {
    secs
}

fn main() {
    assert_eq!(triple(5), 15);
    assert_eq!(row(1).unwrap(), "1");
    assert_eq!(lives_for(1), 1);
}
