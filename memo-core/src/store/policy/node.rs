//! The entry shared between a bounded cache's policy and the per-thread
//! replicas that serve hits without the lock.

use crate::store::map::Expiry;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};

/// The highest access count kept: S3-FIFO only needs to tell "not used", "used"
/// and "used a lot", and a saturated count is never written again, so a hot
/// entry's cache line stays read-only under concurrent hits.
pub(crate) const MAX_FREQ: u8 = 3;

/// One cached entry, shared between the policy and per-thread replicas.
pub(crate) struct Node<K, V> {
    /// The key's hash, computed once by the caller.
    pub(crate) hash: u64,
    pub(crate) key: K,
    pub(crate) value: V,
    pub(crate) expires: Expiry,
    /// S3-FIFO access count, `0..=MAX_FREQ`; raised by hits from any thread.
    freq: AtomicU8,
    /// False once evicted, removed or cleared: replicas drop their copy then.
    alive: AtomicBool,
    /// Where the policy keeps the node (the LRU's slot, S3-FIFO's queue), so an
    /// access needs no second lookup. Only read and written under the lock; an
    /// atomic only because the node is shared.
    place: AtomicU32,
}

impl<K, V> Node<K, V> {
    pub(crate) fn new(hash: u64, key: K, value: V, expires: Expiry) -> Self {
        Node {
            hash,
            key,
            value,
            expires,
            freq: AtomicU8::new(0),
            alive: AtomicBool::new(true),
            place: AtomicU32::new(0),
        }
    }

    /// Whether the entry's time to live (if any) has not run out.
    #[inline]
    pub(crate) fn is_fresh(&self) -> bool {
        self.expires.is_fresh()
    }

    /// Whether the entry is fresh, restarting its time to live if so with
    /// `refresh`.
    #[inline]
    pub(crate) fn hit(&self, refresh: Option<std::time::Duration>) -> bool {
        self.expires.hit(refresh)
    }

    /// Acquire pairs with the Release in `kill`, so a replica that sees a dead
    /// node also sees everything the evicting thread did before.
    #[inline]
    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }

    /// Records a hit from any thread without the lock: raises `freq` only while
    /// it is below `MAX_FREQ`, with a Relaxed load and (only then) a store, so
    /// a hot entry's cache line stays read-only. Two racing hits may count as
    /// one; the policy only needs an approximate count.
    #[inline]
    pub(crate) fn touch(&self) {
        let freq = self.freq.load(Ordering::Relaxed);
        if freq < MAX_FREQ {
            self.freq.store(freq + 1, Ordering::Relaxed);
        }
    }

    #[inline]
    pub(super) fn freq(&self) -> u8 {
        self.freq.load(Ordering::Relaxed)
    }

    #[inline]
    pub(super) fn set_freq(&self, freq: u8) {
        self.freq.store(freq.min(MAX_FREQ), Ordering::Relaxed);
    }

    #[inline]
    pub(super) fn kill(&self) {
        self.alive.store(false, Ordering::Release);
    }

    #[inline]
    pub(crate) fn place(&self) -> u32 {
        self.place.load(Ordering::Relaxed)
    }

    #[inline]
    pub(super) fn set_place(&self, place: u32) {
        self.place.store(place, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_saturates_at_max_freq() {
        let node = Node::new(1, 'k', 'v', Expiry::default());
        for expected in [1, 2, 3, 3, 3] {
            node.touch();
            assert_eq!(node.freq(), expected);
        }
    }

    #[test]
    fn kill_is_seen() {
        let node = Node::new(1, (), (), Expiry::default());
        assert!(node.is_alive());
        node.kill();
        assert!(!node.is_alive());
    }
}
