// `ttl_of` returns `Option<Duration>` (`None`: never expires), not a bare
// `Duration`; the type error lands on the expression.
use std::time::Duration;

use memo::memoize;

fn lifetime(_: &u64) -> Duration {
    Duration::from_secs(1)
}

#[memoize(ttl_of = lifetime)]
fn token(id: u64) -> u64 {
    id
}

fn main() {}
