//! Exact call counters that a hit never shares with another core.
//!
//! Each thread counts into a [`Slot`] of its own: the owner bumps a field with a
//! plain load and store (no read-modify-write, no lock prefix), so a hit writes
//! only memory that no other core is reading. A snapshot sums the slots of the
//! live threads plus what exited threads left behind. `clear()` does not write
//! the owners' fields (that would race with their stores); it records each
//! slot's current values as the new baseline.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// One thread's counters for one function, written only by that thread.
#[derive(Default)]
pub(crate) struct Slot {
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
    /// Entries in this thread's own cache (`thread_local` caches only).
    pub(crate) entries: AtomicUsize,
    /// The function's generation this thread's cache belongs to.
    pub(crate) generation: AtomicU64,
}

fn bump(counter: &AtomicU64, by: u64) {
    // Only the owning thread writes, so load + store loses nothing and keeps
    // the cache line in this core alone.
    counter.store(counter.load(Relaxed).wrapping_add(by), Relaxed);
}

/// Counter totals, as plain numbers.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) hits: u64,
    pub(crate) misses: u64,
    pub(crate) evictions: u64,
}

impl Totals {
    fn read(slot: &Slot) -> Self {
        Totals {
            hits: slot.hits.load(Relaxed),
            misses: slot.misses.load(Relaxed),
            evictions: slot.evictions.load(Relaxed),
        }
    }

    fn add(&mut self, now: Totals, base: Totals) {
        self.hits += now.hits.wrapping_sub(base.hits);
        self.misses += now.misses.wrapping_sub(base.misses);
        self.evictions += now.evictions.wrapping_sub(base.evictions);
    }
}

struct Live {
    slot: Arc<Slot>,
    /// The slot's values at the last `clear()`.
    base: Totals,
}

#[derive(Default)]
struct Inner {
    live: Vec<Live>,
    /// What threads that have exited counted since the last `clear()`.
    retired: Totals,
}

/// The counters of one function, across all threads.
pub(crate) struct Counters {
    inner: Mutex<Option<Inner>>,
}

impl Counters {
    pub(crate) const fn new() -> Self {
        Counters {
            inner: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Inner>> {
        // The lock guards plain bookkeeping that no user code runs under.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn register(&self) -> Arc<Slot> {
        let slot = Arc::new(Slot::default());
        self.lock()
            .get_or_insert_with(Inner::default)
            .live
            .push(Live {
                slot: Arc::clone(&slot),
                base: Totals::default(),
            });
        slot
    }

    fn retire(&self, slot: &Arc<Slot>) {
        let mut guard = self.lock();
        let inner = guard.get_or_insert_with(Inner::default);
        if let Some(at) = inner.live.iter().position(|l| Arc::ptr_eq(&l.slot, slot)) {
            let live = inner.live.swap_remove(at);
            inner.retired.add(Totals::read(&live.slot), live.base);
        }
    }

    /// Sums every thread's counters since the last `clear()`, and the entries of
    /// the thread-local caches that belong to `generation`.
    pub(crate) fn total(&self, generation: u64) -> (Totals, usize) {
        let guard = self.lock();
        let Some(inner) = guard.as_ref() else {
            return (Totals::default(), 0);
        };
        let mut sum = inner.retired;
        let mut entries = 0;
        for live in &inner.live {
            sum.add(Totals::read(&live.slot), live.base);
            if live
                .slot
                .generation
                .load(std::sync::atomic::Ordering::Acquire)
                == generation
            {
                entries += live.slot.entries.load(Relaxed);
            }
        }
        (sum, entries)
    }

    pub(crate) fn reset(&self) {
        if let Some(inner) = self.lock().as_mut() {
            inner.retired = Totals::default();
            for live in &mut inner.live {
                live.base = Totals::read(&live.slot);
            }
        }
    }
}

/// A thread's handle on its slot; gives the counts back when the thread exits.
pub struct LocalCounts {
    slot: Arc<Slot>,
    counters: &'static Counters,
}

impl LocalCounts {
    pub(crate) fn new(counters: &'static Counters) -> Self {
        LocalCounts {
            slot: counters.register(),
            counters,
        }
    }

    pub(crate) fn slot(&self) -> &Slot {
        &self.slot
    }

    /// Counts a call answered without the body.
    #[inline]
    pub fn hit(&self) {
        bump(&self.slot.hits, 1);
    }

    /// Counts a call that ran the body.
    #[inline]
    pub fn miss(&self) {
        bump(&self.slot.misses, 1);
    }

    pub(crate) fn evicted(&self, n: u64) {
        if n > 0 {
            bump(&self.slot.evictions, n);
        }
    }
}

/// Counts one call of a `#[counted]` function. A call from a thread-local
/// destructor, after this thread's counters are gone, is not counted.
#[inline]
pub fn count(local: &'static std::thread::LocalKey<LocalCounts>) {
    let _ = local.try_with(LocalCounts::miss);
}

impl Drop for LocalCounts {
    fn drop(&mut self) {
        self.counters.retire(&self.slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exited_threads_keep_their_counts_and_clear_forgets_them() {
        static COUNTERS: Counters = Counters::new();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let local = LocalCounts::new(&COUNTERS);
                    for _ in 0..1000 {
                        local.hit();
                    }
                    local.miss();
                });
            }
        });
        let (t, _) = COUNTERS.total(0);
        assert_eq!((t.hits, t.misses), (4000, 4));
        let local = LocalCounts::new(&COUNTERS);
        local.hit();
        COUNTERS.reset();
        local.miss();
        let (t, _) = COUNTERS.total(0);
        assert_eq!((t.hits, t.misses), (0, 1));
    }
}
