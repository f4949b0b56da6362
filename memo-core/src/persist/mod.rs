//! Second-level stores: where a `#[memoize(store = …)]` function keeps its
//! results beyond the process, behind its in-process cache.
//!
//! The facade re-exports this module as `memo::store`. Order of a call:
//! in-process cache → store → body; a store hit fills the in-process cache.
//!
//! - [`disk`] (feature `disk`): one SQLite file per crate in the platform
//!   cache directory, usable by several processes at once.
//! - [`redis`](mod@redis) (feature `redis`): a Redis server, shared by every
//!   process of a service.
//! - A user backend: any `&'static dyn` [`Backend`], named by
//!   `store = path::to::fn`.
//!
//! A store that is down, slow or returns garbage never fails or hangs a call:
//! its errors become misses and are counted ([`PersistCounts`]).

#[cfg(feature = "disk")]
#[cfg_attr(docsrs, doc(cfg(feature = "disk")))]
pub mod disk;
mod envelope;
mod error;
mod persisted;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
mod worker;

use std::time::Duration;

pub use error::{StoreError, StoreErrorKind};
pub use persisted::PersistCounts;

/// A byte-level key-value store with expiry: what every second-level store
/// implements, and what a user backend implements for `store = path::to::fn`.
///
/// Keys and values are opaque bytes: memo builds the keys (a prefix naming the
/// function, then the serialized arguments) and wraps values in its own
/// envelope, so a backend needs no knowledge of either. Methods may block, but
/// should bound how long: a call of the memoized function waits for them.
pub trait Backend: Send + Sync {
    /// The value stored under `key`, if any. A backend may return an expired
    /// value: memo checks the expiry in the envelope too.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores `value` under `key`, replacing any previous value; with a `ttl`,
    /// the entry may be dropped once it has passed.
    fn put(&self, key: &[u8], value: &[u8], ttl: Option<Duration>) -> Result<(), StoreError>;
    /// Drops the entry under `key`; `true` if there was one.
    fn remove(&self, key: &[u8]) -> Result<bool, StoreError>;
    /// Drops every entry whose key starts with `prefix` (and no other);
    /// returns how many were dropped.
    fn clear_prefix(&self, prefix: &[u8]) -> Result<u64, StoreError>;
}

/// What the generated code calls. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use super::envelope::{
        decode, encode, fingerprint, key_bytes, now_millis, Decoded, Prefix, FORMAT,
    };
    pub use super::persisted::{BackendFn, Fetch, Persisted, Write};
}
