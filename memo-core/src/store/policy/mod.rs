//! The eviction policy of a bounded shared cache: which entries stay once
//! `capacity` is reached. Single-threaded; the cache holds it in a `Mutex`,
//! and per-thread replicas record hits on the shared [`Node`]s without it.
//!
//! The default is S3-FIFO, chosen by measurement (see `tests`): on Zipf
//! traces, with and without one-pass scans, it hits as often as quick_cache
//! and well above exact LRU, and a hit writes the node at most three times in
//! its life. `policy = lru` gets exact LRU order instead.
//!
//! Nodes leave the policy through `out` vectors, so the caller can drop them
//! (and the values in them) after unlocking.

mod lru;
mod node;
mod s3fifo;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub(crate) use lru::Lru;
pub(crate) use node::Node;
pub(crate) use s3fifo::S3Fifo;

/// How a policy makes room after an insert; the loop is the same for both.
trait MakeRoom<K, V> {
    fn over_capacity(&self) -> bool;
    /// Takes the next node to evict out of the policy, marked dead.
    fn next_victim(&mut self, out: &mut Vec<Arc<Node<K, V>>>) -> Option<Arc<Node<K, V>>>;

    /// Evicts until the policy is within capacity, handing the evicted nodes
    /// to `out`. Returns the evictions: an expired entry making room is an
    /// expiry, not an eviction.
    fn make_room(&mut self, out: &mut Vec<Arc<Node<K, V>>>) -> u64 {
        let mut evicted = 0;
        while self.over_capacity() {
            let Some(node) = self.next_victim(out) else {
                break;
            };
            evicted += u64::from(node.is_fresh());
            out.push(node);
        }
        evicted
    }
}

pub(crate) enum Policy<K, V> {
    S3Fifo(S3Fifo<K, V>),
    Lru(Lru<K, V>),
}

impl<K, V> Policy<K, V> {
    /// A capacity of 0 is taken as 1: the macro rejects 0, and a cache that
    /// keeps nothing needs no policy.
    pub(crate) fn new(capacity: usize, lru: bool) -> Self {
        if lru {
            Policy::Lru(Lru::new(capacity))
        } else {
            Policy::S3Fifo(S3Fifo::new(capacity))
        }
    }
}

impl<K: Eq, V> Policy<K, V> {
    /// The live node for `hash`/`eq`, without recording an access: a replica
    /// that found it records the access itself.
    #[inline]
    pub(crate) fn find(&self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<&Arc<Node<K, V>>> {
        match self {
            Policy::S3Fifo(p) => p.find(hash, eq),
            Policy::Lru(p) => p.find(hash, eq),
        }
    }

    /// `find` and `access` in one step, for a caller already holding the lock:
    /// it saves the `Arc` clone that `access` after `find` needs.
    #[inline]
    pub(crate) fn get(
        &mut self,
        hash: u64,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<&Arc<Node<K, V>>> {
        match self {
            Policy::S3Fifo(p) => p.get(hash, eq),
            Policy::Lru(p) => p.get(hash, eq),
        }
    }

    /// Records one access to `node`, found earlier, possibly by another thread
    /// and possibly evicted since (then it is ignored).
    #[inline]
    #[cfg(test)]
    pub(crate) fn access(&mut self, node: &Arc<Node<K, V>>) {
        match self {
            Policy::S3Fifo(p) => p.access(node),
            Policy::Lru(p) => p.access(node),
        }
    }

    /// Records an access buffered by a replica: the node's `place()` and the
    /// address of its key when it was hit (see `Lru::access_at`). Only exact
    /// LRU buffers accesses; S3-FIFO records them on the node itself.
    #[inline]
    pub(crate) fn access_at(&mut self, place: u32, key: usize) {
        if let Policy::Lru(p) = self {
            p.access_at(place, key);
        }
    }

    /// Inserts `node` (a fresh one, from [`Node::new`]), replacing a live node
    /// with an equal key, and evicts while over capacity. Returns how many
    /// were evicted; a replacement is not an eviction. `out` receives every
    /// node let go of (evicted, replaced, and the leftovers of removed ones),
    /// all marked dead, for the caller to drop after unlocking.
    pub(crate) fn insert(&mut self, node: Arc<Node<K, V>>, out: &mut Vec<Arc<Node<K, V>>>) -> u64 {
        match self {
            Policy::S3Fifo(p) => p.insert(node, out),
            Policy::Lru(p) => p.insert(node, out),
        }
    }

    /// Takes out the live node for `hash`/`eq`, marked dead so no replica
    /// serves it again. S3-FIFO still holds a copy until it reaches the front
    /// of its queue (it then goes to a later `insert`'s `out`): so a removed
    /// value may be dropped later than `remove` returns.
    pub(crate) fn remove(
        &mut self,
        hash: u64,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<Arc<Node<K, V>>> {
        match self {
            Policy::S3Fifo(p) => p.remove(hash, eq),
            Policy::Lru(p) => p.remove(hash, eq),
        }
    }

    /// Marks every node dead and hands them all to `out`.
    pub(crate) fn clear(&mut self, out: &mut Vec<Arc<Node<K, V>>>) {
        match self {
            Policy::S3Fifo(p) => p.clear(out),
            Policy::Lru(p) => p.clear(out),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Policy::S3Fifo(p) => p.len(),
            Policy::Lru(p) => p.len(),
        }
    }
}
