//! Issue 9's generated code adds no warning to a strict user crate either:
//! `single_flight`, `async fn`, generic functions and the companion's
//! `get`/`insert`/`remove` (public, so documented) under `warnings`,
//! `missing_docs`, `unsafe_code` and clippy's `all` and `pedantic`; CI runs
//! clippy on it (`--all-targets`).
#![deny(warnings, missing_docs, unsafe_code)]
#![deny(clippy::all, clippy::pedantic)]

use std::hash::Hash;

use futures::executor::block_on;
use memo::{counted, memoize};

/// Squares, single-flight, bounded and expiring.
#[memoize(single_flight, capacity = 8, policy = lru, ttl = "1h")]
#[must_use]
pub fn square(n: u64) -> u64 {
    n * n
}

/// Counts a string's bytes, keyed by the borrowed string, single-flight.
#[memoize(single_flight = true)]
#[must_use]
pub fn byte_len(s: &str) -> usize {
    s.len()
}

/// Keyed by `id` only.
#[memoize(key = id)]
#[must_use]
pub fn keyed(id: u32, _noise: u64) -> u32 {
    id
}

/// The identity, one cache per type.
#[memoize]
#[must_use]
pub fn ident<T: Clone + Eq + Hash + Send + Sync + 'static>(x: T) -> T {
    x
}

/// Two type parameters, in a `where` clause, bounded.
#[memoize(capacity = 16)]
#[must_use]
pub fn swap<A, B>(a: A, b: B) -> (B, A)
where
    A: Clone + Eq + Hash + Send + Sync + 'static,
    B: Clone + Eq + Hash + Send + Sync + 'static,
{
    (b, a)
}

/// Doubles, awaited.
#[memoize]
pub async fn double(n: u64) -> u64 {
    std::future::ready(n * 2).await
}

/// Parses, awaited, caching only successes.
///
/// # Errors
/// When `s` is not a number.
#[memoize(single_flight = false, capacity = 8)]
pub async fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
    std::future::ready(s.parse()).await
}

/// Counted, awaited.
#[counted]
pub async fn tally(n: u64) -> u64 {
    std::future::ready(n).await
}

/// A client.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Client {
    /// Added to every id.
    pub base: u64,
}

impl Client {
    /// Fetches, awaited, keyed by the receiver too.
    #[memoize]
    pub async fn fetch(&self, id: u64) -> u64 {
        std::future::ready(self.base + id).await
    }

    /// Single-flight method.
    #[memoize(single_flight, key = id)]
    #[must_use]
    pub fn label(&self, id: u64) -> String {
        format!("{}:{id}", self.base)
    }
}

#[test]
fn strict_crate_uses_issue_9_features() {
    assert_eq!(square(3), 9);
    square::insert(4, 16);
    assert_eq!(square::get(4), Some(16));
    assert_eq!(square::remove(4), Some(16));
    assert_eq!(byte_len("abc"), 3);
    assert_eq!(byte_len::get("abc"), Some(3));
    assert_eq!(keyed(1, 2), 1);
    assert_eq!(keyed::remove(1_u32), Some(1));
    assert_eq!(ident(1_u8), 1);
    assert_eq!(ident::get(1_u8), Some(1));
    assert_eq!(swap(1_u8, 'c'), ('c', 1));
    assert_eq!(block_on(double(2)), 4);
    assert_eq!(block_on(parse("7")), Ok(7));
    assert!(block_on(parse("x")).is_err());
    assert_eq!(block_on(tally(5)), 5);
    let client = Client { base: 1 };
    assert_eq!(block_on(client.fetch(2)), 3);
    assert_eq!(client.label(2), "1:2");
    assert_eq!(square::stats().waited, 0);
}
