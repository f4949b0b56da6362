//! The one error type of the stores.

use std::fmt;

/// What went wrong, in a few classes a caller can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The store is set up wrong: a bad URL, no cache directory, a directory
    /// that cannot be created.
    Config,
    /// The store could not be reached: connection refused, or skipped while
    /// backing off after an earlier failure.
    Unavailable,
    /// The store did not answer within its timeout.
    Timeout,
    /// The store answered with an error: a database or I/O error, a Redis
    /// error reply.
    Failed,
    /// A key or value could not be serialized.
    Encode,
}

/// An error of a second-level store: which store, which operation, what
/// failed. The memoized call never sees it (it becomes a counted miss); it is
/// returned by the stores' set-up functions and by [`Backend`](super::Backend)
/// methods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError {
    store: &'static str,
    op: &'static str,
    kind: StoreErrorKind,
    detail: String,
}

impl StoreError {
    /// An error of the store named `store` (`"disk"`, `"redis"`, or a user
    /// backend's name) during `op` (`"get"`, `"put"`, `"connect"`, …).
    pub fn new(
        store: &'static str,
        op: &'static str,
        kind: StoreErrorKind,
        detail: impl fmt::Display,
    ) -> Self {
        StoreError {
            store,
            op,
            kind,
            detail: detail.to_string(),
        }
    }

    /// The store's name: `"disk"`, `"redis"`, or a user backend's.
    pub fn store(&self) -> &'static str {
        self.store
    }

    /// The operation that failed: `"get"`, `"put"`, `"connect"`, ….
    pub fn op(&self) -> &'static str {
        self.op
    }

    /// The class of failure.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// What failed, in words (the underlying error's message).
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} store: {} failed: {}",
            self.store, self.op, self.detail
        )
    }
}

impl std::error::Error for StoreError {}
