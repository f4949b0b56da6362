//! The handle a `#[memoize]` function's per-thread part keeps on its
//! thread's counter slot.

use std::sync::atomic::Ordering::Relaxed;

use super::{bump, timed_run, Counters, Slot, Timer};
use crate::sync::lock;

/// A thread's handle on its slot, owned by a lazily initialised thread-local
/// (a `#[memoize]` function's `Local`); gives the counts back when the thread exits.
pub struct LocalCounts {
    slot: &'static Slot,
    counters: &'static Counters,
}

impl LocalCounts {
    pub(crate) fn new(counters: &'static Counters) -> Self {
        LocalCounts {
            slot: counters.register(),
            counters,
        }
    }

    pub(crate) fn slot(&self) -> &'static Slot {
        self.slot
    }

    /// Counts a call answered without the body.
    #[inline(always)]
    pub fn hit(&self) {
        bump(&self.slot.hits, 1);
    }

    /// Counts a hit that waited for another caller's run of its key.
    pub(crate) fn waited(&self) {
        bump(&self.slot.hits, 1);
        bump(&self.slot.waited, 1);
    }

    /// Counts a run of the body that returned `Err`.
    pub(crate) fn failed(&self) {
        bump(&self.slot.errors, 1);
    }

    /// Counts an `Err` answered with a stale value (`stale_on_error`).
    pub(crate) fn served_stale(&self) {
        bump(&self.slot.stale, 1);
    }

    /// Counts a hit answered by the second-level store.
    pub(crate) fn store_hit(&self) {
        bump(&self.slot.hits, 1);
        bump(&self.slot.stored, 1);
    }

    /// This thread's `(hits, waited, misses, store hits)`, for `f::traced`.
    pub(crate) fn snapshot(&self) -> (u64, u64, u64, u64) {
        (
            self.slot.hits.load(Relaxed),
            self.slot.waited.load(Relaxed),
            self.slot.misses.load(Relaxed),
            self.slot.stored.load(Relaxed),
        )
    }

    /// Counts a call that ran the body; `true` for the runs to time (see
    /// [`timed_run`]), so a function that rarely misses still gets a body
    /// time while a cold fill of thousands of entries reads the clock a few
    /// times.
    #[inline]
    pub(crate) fn miss(&self) -> bool {
        let misses = self.slot.misses.load(Relaxed).wrapping_add(1);
        self.slot.misses.store(misses, Relaxed);
        timed_run(misses)
    }

    /// Whether a key with this hash could change the distinct-input sketch.
    #[inline]
    pub(crate) fn wants_sample(&self, hash: u64) -> bool {
        hash < self.slot.threshold.load(Relaxed)
    }

    /// Hands the report what a call saw: observed ranges of the integer
    /// arguments, and hashes of missed keys (each counted as a sample).
    pub(crate) fn absorb(&self, ranges: &[(i128, i128)], hashes: &[u64]) {
        let mut profile = lock(&self.slot.profile);
        if !ranges.is_empty() {
            profile.observe(ranges.iter().copied());
        }
        for &hash in hashes {
            profile.distinct.insert(hash);
        }
        self.slot
            .threshold
            .store(profile.distinct.threshold(), Relaxed);
    }

    pub(crate) fn evicted(&self, n: u64) {
        if n > 0 {
            bump(&self.slot.evictions, n);
        }
    }

    /// Times the run just counted by [`miss`](Self::miss), until the
    /// returned `Timer` drops.
    pub(crate) fn frame(&self) -> Timer {
        Timer::start(self.slot)
    }
}

impl Drop for LocalCounts {
    fn drop(&mut self) {
        self.counters.retire(self.slot);
    }
}
