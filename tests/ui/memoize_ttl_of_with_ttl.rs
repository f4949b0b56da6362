use std::time::Duration;

use memo::memoize;

fn lifetime(_: &u64) -> Option<Duration> {
    Some(Duration::from_secs(1))
}

#[memoize(ttl = "5s", ttl_of = lifetime)]
fn token(id: u64) -> u64 {
    id
}

fn main() {}
