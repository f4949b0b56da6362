//! Where cached entries live, below the call path and above `sync`: a
//! thread's unbounded map, the shared log of an unbounded shared cache, the
//! nodes and replicas of a bounded one, and the eviction policies. Nothing
//! here counts calls or knows about functions.

pub(crate) mod bounded;
pub(crate) mod log;
pub(crate) mod lookup;
pub(crate) mod map;
pub(crate) mod policy;

/// Where a `#[memoize]` function keeps its entries.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One cache per thread.
    ThreadLocal,
    /// One shared cache, read through a per-thread replica so that hits write
    /// nothing another core reads (unbounded, no `ttl`); threads share what they
    /// computed through a log.
    Replicated,
    /// `capacity`: the policy's nodes behind a lock, hits answered by a
    /// per-thread replica of the nodes without it.
    Bounded,
    /// An unbounded shared cache with a `ttl`, behind a lock.
    Locked,
}
