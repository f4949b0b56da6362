// `refresh` restarts the one `ttl` of every entry; with `ttl_of` (each entry
// its own expiry) the message must not send the user to add a `ttl`, which
// `ttl_of` rejects in turn.
use memo::memoize;

#[memoize(ttl_of = |_: &u64| Some(std::time::Duration::from_secs(1)), refresh)]
fn session(id: u64) -> u64 {
    id
}

fn main() {}
