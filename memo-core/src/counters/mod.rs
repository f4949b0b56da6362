//! Exact call counters that a hit never shares with another core.
//!
//! Each thread counts into a [`Slot`] of its own: the owner bumps a field with a
//! plain load and store (no read-modify-write, no lock prefix), so a hit writes
//! only memory that no other core is reading. A snapshot sums the slots of the
//! live threads plus what exited threads left behind. `clear()` does not write
//! the owners' fields (that would race with their stores); it records each
//! slot's current values as the new baseline.

pub(crate) mod frames;
mod local;
pub(crate) mod sketch;
mod thread;
pub(crate) mod touched;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};

use crossbeam_utils::CachePadded;

use crate::sync::lock;
use frames::{Frames, Recent};
use sketch::Sketch;

pub use frames::Timer;
pub use local::LocalCounts;
pub(crate) use thread::{count_hit_slow, count_miss, count_sampled, sampled};
pub use thread::{tick, ThreadSlot};

/// One run of the body in this many is timed (after a thread's first three:
/// see `frames`); one call in this many of a `#[counted]` function has its
/// key sampled; one `#[precompute]` hit in this many marks its cell read.
pub(crate) const SAMPLE_EVERY: u64 = 64;

/// What the report learns beyond counts: distinct keys and observed ranges.
#[derive(Clone, Debug, Default)]
pub(crate) struct Profile {
    pub(crate) distinct: Sketch,
    /// Per integer parameter, the smallest and largest value seen.
    pub(crate) ranges: Vec<(i128, i128)>,
    /// What the timed runs measured.
    pub(crate) frames: Frames,
    /// This thread's last frames, to leave out preempted ones.
    pub(crate) recent: Recent,
}

impl Profile {
    /// Empties the profile, keeping its allocations: a function cleared
    /// between cold fills does not grow its buffers again each time.
    fn reset(&mut self) {
        self.distinct.clear();
        self.ranges.clear();
        self.frames.clear();
        self.recent = Recent::default();
    }

    fn merge(&mut self, other: &Profile) {
        self.distinct.merge(&other.distinct);
        self.observe(other.ranges.iter().copied());
        self.frames.merge(&other.frames);
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
    /// Hits that waited for another caller's run of the key (`single_flight`).
    waited: AtomicU64,
    /// Runs of the body that returned `Err`.
    errors: AtomicU64,
    /// Of those, the ones answered with an expired value (`stale_on_error`).
    stale: AtomicU64,
    /// Hits answered by the second-level store (`store = ...`).
    stored: AtomicU64,
    /// Runs of the body; `frames` reads it to count nested runs.
    pub(crate) misses: AtomicU64,
    evictions: AtomicU64,
    /// Entries in this thread's own cache (`thread_local` caches only).
    pub(crate) entries: AtomicUsize,
    /// The function's generation this thread's cache belongs to.
    pub(crate) generation: AtomicU64,
    /// `misses` at the last timed run (`frames`: a frame stands for the runs since).
    pub(crate) last_timed: AtomicU64,
    samples: AtomicU64,
    /// Hashes at or above this cannot change the sketch: checked without the lock.
    threshold: AtomicU64,
    pub(crate) profile: Mutex<Profile>,
}

impl Slot {
    fn new() -> Self {
        Slot {
            hits: AtomicU64::new(0),
            waited: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            stale: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            entries: AtomicUsize::new(0),
            generation: AtomicU64::new(0),
            last_timed: AtomicU64::new(0),
            samples: AtomicU64::new(0),
            threshold: AtomicU64::new(u64::MAX),
            profile: Mutex::new(Profile::default()),
        }
    }
}

#[inline(always)]
pub(crate) fn bump(counter: &AtomicU64, by: u64) {
    // Only the owning thread writes, so load + store loses nothing and keeps
    // the cache line in this core alone.
    counter.store(counter.load(Relaxed).wrapping_add(by), Relaxed);
}

/// Counter totals, as plain numbers.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) hits: u64,
    pub(crate) waited: u64,
    pub(crate) errors: u64,
    pub(crate) stale: u64,
    pub(crate) stored: u64,
    pub(crate) misses: u64,
    pub(crate) evictions: u64,
    /// How many keys went into the distinct-input sketch.
    pub(crate) samples: u64,
}

impl Totals {
    fn read(slot: &Slot) -> Self {
        Totals {
            hits: slot.hits.load(Relaxed),
            waited: slot.waited.load(Relaxed),
            errors: slot.errors.load(Relaxed),
            stale: slot.stale.load(Relaxed),
            stored: slot.stored.load(Relaxed),
            misses: slot.misses.load(Relaxed),
            evictions: slot.evictions.load(Relaxed),
            samples: slot.samples.load(Relaxed),
        }
    }

    fn add(&mut self, now: Totals, base: Totals) {
        self.hits += now.hits.wrapping_sub(base.hits);
        self.waited += now.waited.wrapping_sub(base.waited);
        self.errors += now.errors.wrapping_sub(base.errors);
        self.stale += now.stale.wrapping_sub(base.stale);
        self.stored += now.stored.wrapping_sub(base.stored);
        self.misses += now.misses.wrapping_sub(base.misses);
        self.evictions += now.evictions.wrapping_sub(base.evictions);
        self.samples += now.samples.wrapping_sub(base.samples);
    }
}

struct Live {
    slot: &'static Slot,
    /// The slot's values at the last `clear()`.
    base: Totals,
}

#[derive(Default)]
struct Inner {
    live: Vec<Live>,
    /// What threads that have exited counted since the last `clear()`.
    retired: Totals,
    retired_profile: Profile,
    /// Slots of exited threads, handed to new threads: slots are never freed,
    /// so a thread's `&'static Slot` stays valid, and their number is bounded
    /// by the most threads alive at once.
    free: Vec<&'static Slot>,
}

/// The counters of one function, across all threads.
pub(crate) struct Counters {
    inner: Mutex<Option<Inner>>,
}

impl std::fmt::Debug for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Counters({:p})", self)
    }
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

    pub(crate) fn register(&'static self) -> &'static Slot {
        let mut guard = self.lock();
        let inner = guard.get_or_insert_with(Inner::default);
        let slot = inner
            .free
            .pop()
            // Each slot on cache lines of its own: two threads' slots never
            // share one, so neither's counting slows the other.
            .unwrap_or_else(|| Box::leak(Box::new(CachePadded::new(Slot::new()))));
        // A recycled slot keeps its old values: they become its baseline.
        inner.live.push(Live {
            slot,
            base: Totals::read(slot),
        });
        drop(guard);
        frames::known(self, slot);
        slot
    }

    pub(crate) fn retire(&self, slot: &'static Slot) {
        frames::forget(slot);
        let mut guard = self.lock();
        let inner = guard.get_or_insert_with(Inner::default);
        if let Some(at) = inner.live.iter().position(|l| std::ptr::eq(l.slot, slot)) {
            let live = inner.live.swap_remove(at);
            inner.retired.add(Totals::read(live.slot), live.base);
            inner
                .retired_profile
                .merge(&std::mem::take(&mut *lock(&live.slot.profile)));
            live.slot.threshold.store(u64::MAX, Relaxed);
            live.slot.entries.store(0, Relaxed);
            inner.free.push(live.slot);
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
            sum.add(Totals::read(live.slot), live.base);
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

    /// This function's runs since the last `clear()`, and what its timed
    /// runs measured, all threads together.
    pub(crate) fn runs_and_frames(&self) -> (u64, Frames) {
        let guard = self.lock();
        let Some(inner) = guard.as_ref() else {
            return (0, Frames::default());
        };
        let mut runs = inner.retired.misses;
        let mut frames = inner.retired_profile.frames.clone();
        for live in &inner.live {
            runs += live
                .slot
                .misses
                .load(Relaxed)
                .wrapping_sub(live.base.misses);
            frames.merge(&lock(&live.slot.profile).frames);
        }
        (runs, frames)
    }

    /// Zeroes the counts. On the calling thread, the next run is timed.
    pub(crate) fn reset(&self) {
        frames::rearm(self);
        if let Some(inner) = self.lock().as_mut() {
            inner.retired = Totals::default();
            inner.retired_profile = Profile::default();
            for live in &mut inner.live {
                live.base = Totals::read(live.slot);
                live.slot.last_timed.store(live.base.misses, Relaxed);
                lock(&live.slot.profile).reset();
                live.slot.threshold.store(u64::MAX, Relaxed);
            }
        }
    }
}

/// Whether the run numbered `runs` (on its thread's slot) is timed: the first
/// three, then one in `SAMPLE_EVERY` (64). A frame stands for the runs since
/// the previous one (`frames`), so the first runs' one-time costs (page
/// faults, lazy initialisation) count once, not once per 64 runs.
#[inline]
pub(crate) fn timed_run(runs: u64) -> bool {
    runs <= 3 || runs % SAMPLE_EVERY == 0
}

impl Slot {
    /// Adds a key's hash to the distinct-input sketch.
    #[cold]
    pub(crate) fn sample_key(&self, hash: u64) {
        bump(&self.samples, 1);
        if hash < self.threshold.load(Relaxed) {
            let mut profile = lock(&self.profile);
            profile.distinct.insert(hash);
            self.threshold.store(profile.distinct.threshold(), Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_starts_a_cache_line_of_its_own() {
        static COUNTERS: Counters = Counters::new();
        let line = std::mem::align_of::<CachePadded<Slot>>();
        assert!(line >= 64, "padding to at least one cache line, got {line}");
        assert_eq!(std::mem::size_of::<CachePadded<Slot>>() % line, 0);
        let slots: Vec<&'static Slot> = (0..8).map(|_| COUNTERS.register()).collect();
        for slot in &slots {
            let at = std::ptr::from_ref(*slot) as usize;
            assert_eq!(
                at % line,
                0,
                "slot at {at:#x} shares a line with its neighbour"
            );
        }
        for slot in slots {
            COUNTERS.retire(slot);
        }
    }

    #[test]
    fn exited_threads_keep_their_counts_and_clear_forgets_them() {
        static COUNTERS: Counters = Counters::new();
        let all_registered = std::sync::Barrier::new(4);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let local = LocalCounts::new(&COUNTERS);
                    all_registered.wait();
                    for _ in 0..1000 {
                        local.hit();
                    }
                    local.miss();
                });
            }
        });
        let (t, _, _) = COUNTERS.total(0);
        assert_eq!((t.hits, t.misses), (4000, 4));
        let free = |c: &Counters| c.lock().as_ref().map_or(0, |i| i.free.len());
        assert_eq!(free(&COUNTERS), 4, "exited threads give their slots back");
        let local = LocalCounts::new(&COUNTERS);
        assert_eq!(free(&COUNTERS), 3, "a new thread reuses one");
        local.hit();
        let (t, _, _) = COUNTERS.total(0);
        assert_eq!(
            (t.hits, t.misses),
            (4001, 4),
            "a reused slot starts from its old values"
        );
        COUNTERS.reset();
        local.miss();
        let (t, _, _) = COUNTERS.total(0);
        assert_eq!((t.hits, t.misses), (0, 1));
    }
}
