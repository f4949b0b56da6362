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
use std::time::Instant;

use crate::sketch::Sketch;

/// One call in this many of a `#[counted]` function is timed and its key
/// sampled; one `#[precompute]` hit in this many has its cell sampled.
pub(crate) const SAMPLE_EVERY: u64 = 64;

/// What the report learns beyond counts: distinct keys and observed ranges.
#[derive(Clone, Debug, Default)]
pub(crate) struct Profile {
    pub(crate) distinct: Sketch,
    /// Per integer parameter, the smallest and largest value seen.
    pub(crate) ranges: Vec<(i128, i128)>,
}

impl Profile {
    fn merge(&mut self, other: &Profile) {
        self.distinct.merge(&other.distinct);
        self.observe(other.ranges.iter().copied());
    }

    fn observe(&mut self, ranges: impl ExactSizeIterator<Item = (i128, i128)>) {
        if self.ranges.is_empty() {
            self.ranges.extend(ranges);
        } else if self.ranges.len() == ranges.len() {
            for (have, (lo, hi)) in self.ranges.iter_mut().zip(ranges) {
                *have = (have.0.min(lo), have.1.max(hi));
            }
        }
    }
}

/// One thread's counters for one function, written only by that thread.
pub(crate) struct Slot {
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
    /// Entries in this thread's own cache (`thread_local` caches only).
    pub(crate) entries: AtomicUsize,
    /// The function's generation this thread's cache belongs to.
    pub(crate) generation: AtomicU64,
    body_nanos: AtomicU64,
    timed: AtomicU64,
    samples: AtomicU64,
    /// Hashes at or above this cannot change the sketch: checked without the lock.
    threshold: AtomicU64,
    profile: Mutex<Profile>,
}

impl Slot {
    fn new() -> Self {
        Slot {
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            entries: AtomicUsize::new(0),
            generation: AtomicU64::new(0),
            body_nanos: AtomicU64::new(0),
            timed: AtomicU64::new(0),
            samples: AtomicU64::new(0),
            threshold: AtomicU64::new(u64::MAX),
            profile: Mutex::new(Profile::default()),
        }
    }
}

#[inline(always)]
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
    /// Time spent in timed executions of the body.
    pub(crate) body_nanos: u64,
    /// How many executions of the body were timed.
    pub(crate) timed: u64,
    /// How many keys went into the distinct-input sketch.
    pub(crate) samples: u64,
}

impl Totals {
    fn read(slot: &Slot) -> Self {
        Totals {
            hits: slot.hits.load(Relaxed),
            misses: slot.misses.load(Relaxed),
            evictions: slot.evictions.load(Relaxed),
            body_nanos: slot.body_nanos.load(Relaxed),
            timed: slot.timed.load(Relaxed),
            samples: slot.samples.load(Relaxed),
        }
    }

    fn add(&mut self, now: Totals, base: Totals) {
        self.hits += now.hits.wrapping_sub(base.hits);
        self.misses += now.misses.wrapping_sub(base.misses);
        self.evictions += now.evictions.wrapping_sub(base.evictions);
        self.body_nanos += now.body_nanos.wrapping_sub(base.body_nanos);
        self.timed += now.timed.wrapping_sub(base.timed);
        self.samples += now.samples.wrapping_sub(base.samples);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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
    retired_profile: Profile,
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
        lock(&self.inner)
    }

    pub(crate) fn register(&self) -> Arc<Slot> {
        let slot = Arc::new(Slot::new());
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
            inner.retired_profile.merge(&lock(&live.slot.profile));
        }
    }

    /// Sums every thread's counters since the last `clear()`, and the entries of
    /// the thread-local caches that belong to `generation`.
    pub(crate) fn total(&self, generation: u64) -> (Totals, usize, Profile) {
        let guard = self.lock();
        let Some(inner) = guard.as_ref() else {
            return (Totals::default(), 0, Profile::default());
        };
        let mut sum = inner.retired;
        let mut entries = 0;
        let mut profile = inner.retired_profile.clone();
        for live in &inner.live {
            sum.add(Totals::read(&live.slot), live.base);
            profile.merge(&lock(&live.slot.profile));
            if live
                .slot
                .generation
                .load(std::sync::atomic::Ordering::Acquire)
                == generation
            {
                entries += live.slot.entries.load(Relaxed);
            }
        }
        (sum, entries, profile)
    }

    pub(crate) fn reset(&self) {
        if let Some(inner) = self.lock().as_mut() {
            inner.retired = Totals::default();
            inner.retired_profile = Profile::default();
            for live in &mut inner.live {
                live.base = Totals::read(&live.slot);
                *lock(&live.slot.profile) = Profile::default();
                live.slot.threshold.store(u64::MAX, Relaxed);
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

    /// Counts a hit on table cell `index`, sampling one in [`SAMPLE_EVERY`]
    /// cells for the distinct-input estimate.
    #[inline]
    pub fn hit_at(&self, index: usize) {
        let hits = self.slot.hits.load(Relaxed).wrapping_add(1);
        self.slot.hits.store(hits, Relaxed);
        if hits % SAMPLE_EVERY == 1 {
            self.sample_key(crate::profile::hash_of(&index));
        }
    }

    /// Records one timed execution of the body.
    pub(crate) fn timed(&self, since: Instant) {
        let nanos = u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        bump(&self.slot.body_nanos, nanos);
        bump(&self.slot.timed, 1);
    }

    /// Adds a key's hash to the distinct-input sketch.
    pub(crate) fn sample_key(&self, hash: u64) {
        bump(&self.slot.samples, 1);
        if hash < self.slot.threshold.load(Relaxed) {
            let mut profile = lock(&self.slot.profile);
            profile.distinct.insert(hash);
            self.slot
                .threshold
                .store(profile.distinct.threshold(), Relaxed);
        }
    }

    /// Widens the observed ranges of the integer parameters.
    pub(crate) fn observe(&self, values: &[i128]) {
        if !values.is_empty() {
            lock(&self.slot.profile).observe(values.iter().map(|&v| (v, v)));
        }
    }
}

/// Times a sampled call of a `#[counted]` function until dropped.
pub struct Timer {
    local: &'static std::thread::LocalKey<LocalCounts>,
    start: Instant,
}

impl Drop for Timer {
    fn drop(&mut self) {
        let _ = self.local.try_with(|counts| counts.timed(self.start));
    }
}

/// Counts one call of a `#[counted]` function. One call in [`SAMPLE_EVERY`] is
/// timed (until the returned `Timer` drops) and has its key hashed (`key`
/// gives `None` for keys that are not `Hash`). A call from a thread-local
/// destructor, after this thread's counters are gone, is not counted.
#[inline]
pub fn count(
    local: &'static std::thread::LocalKey<LocalCounts>,
    key: impl FnOnce() -> Option<u64>,
) -> Option<Timer> {
    let calls = local
        .try_with(|counts| {
            let calls = counts.slot.misses.load(Relaxed).wrapping_add(1);
            counts.slot.misses.store(calls, Relaxed);
            calls
        })
        .ok()?;
    if calls % SAMPLE_EVERY != 1 {
        return None;
    }
    count_sampled(local, key)
}

#[cold]
fn count_sampled(
    local: &'static std::thread::LocalKey<LocalCounts>,
    key: impl FnOnce() -> Option<u64>,
) -> Option<Timer> {
    if let Some(hash) = key() {
        let _ = local.try_with(|counts| counts.sample_key(hash));
    }
    Some(Timer {
        local,
        start: Instant::now(),
    })
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
        let (t, _, _) = COUNTERS.total(0);
        assert_eq!((t.hits, t.misses), (4000, 4));
        let local = LocalCounts::new(&COUNTERS);
        local.hit();
        COUNTERS.reset();
        local.miss();
        let (t, _, _) = COUNTERS.total(0);
        assert_eq!((t.hits, t.misses), (0, 1));
    }
}
