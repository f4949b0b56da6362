//! Where cached entries live, below the call path and above `sync`: a
//! thread's unbounded map, the shared log of an unbounded shared cache, the
//! nodes and replicas of a bounded one, and the eviction policies. Nothing
//! here counts calls or knows about functions.

pub(crate) mod bounded;
pub(crate) mod log;
pub(crate) mod map;
pub(crate) mod policy;
