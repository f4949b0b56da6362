//! Exact call counters that a hit never shares with another core.
//!
//! Each thread counts into a [`Slot`] of its own: the owner bumps a field with a
//! plain load and store (no read-modify-write, no lock prefix), so a hit writes
//! only memory that no other core is reading. A snapshot sums the slots of the
//! live threads plus what exited threads left behind. `clear()` does not write
//! the owners' fields (that would race with their stores); it records each
//! slot's current values as the new baseline.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};

use crossbeam_utils::CachePadded;
use std::thread::LocalKey;

use crate::frames::Frames;
pub use crate::frames::Timer;
use crate::function::{Function, Instance};
use crate::sketch::Sketch;
use crate::sync::lock;

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
    pub(crate) recent: crate::frames::Recent,
}

impl Profile {
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
fn bump(counter: &AtomicU64, by: u64) {
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
        crate::frames::known(self, slot);
        slot
    }

    fn retire(&self, slot: &'static Slot) {
        crate::frames::forget(slot);
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
        crate::frames::rearm(self);
        if let Some(inner) = self.lock().as_mut() {
            inner.retired = Totals::default();
            inner.retired_profile = Profile::default();
            for live in &mut inner.live {
                live.base = Totals::read(live.slot);
                live.slot.last_timed.store(live.base.misses, Relaxed);
                *lock(&live.slot.profile) = Profile::default();
                live.slot.threshold.store(u64::MAX, Relaxed);
            }
        }
    }
}

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
    fn sample_key(&self, hash: u64) {
        bump(&self.samples, 1);
        if hash < self.threshold.load(Relaxed) {
            let mut profile = lock(&self.profile);
            profile.distinct.insert(hash);
            self.threshold.store(profile.distinct.threshold(), Relaxed);
        }
    }
}

/// A thread's slot for a `#[counted]` or `#[precompute]` function, in a
/// `const`-initialised thread-local with no destructor: reaching it is one
/// thread-pointer-relative load, with no lazy-initialisation state to check,
/// and it stays reachable while the thread's other thread-locals are torn
/// down. The slot is taken on the thread's first call and given back when
/// the thread exits.
///
/// The fast path ([`tick`]) bumps this thread's counter through `count`
/// (one load and store: only this thread writes it); the call that makes it a
/// multiple of `SAMPLE_EVERY` (64), and any call before the slot is taken, then
/// takes the cold path, which samples it (and counts it, if `tick` did not).
pub struct ThreadSlot {
    /// This thread's slot's `misses` (`#[counted]`) or `hits`
    /// (`#[precompute]`); `None` while it has no slot.
    count: Cell<Option<&'static AtomicU64>>,
    slot: Cell<Option<&'static Slot>>,
}

impl ThreadSlot {
    /// No slot yet.
    #[must_use]
    pub const fn new() -> Self {
        ThreadSlot {
            count: Cell::new(None),
            slot: Cell::new(None),
        }
    }

    fn reset(&self) {
        self.count.set(None);
        self.slot.set(None);
    }

    /// Whether a call that took the cold path was counted by [`tick`] (it
    /// was the one in `SAMPLE_EVERY` (64)) rather than sent there for want of
    /// a slot.
    pub(crate) fn ticked(key: &'static LocalKey<ThreadSlot>) -> bool {
        key.try_with(|cell| cell.count.get().is_some())
            .unwrap_or(false)
    }
}

impl Default for ThreadSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// Which of a slot's counters a [`ThreadSlot`]'s fast path bumps.
#[derive(Clone, Copy)]
enum Counts {
    Hits,
    Misses,
}

/// Every slot this thread's [`ThreadSlot`]s took, given back when it exits.
struct Exit {
    taken: Vec<(
        &'static LocalKey<ThreadSlot>,
        &'static Counters,
        &'static Slot,
    )>,
}

impl Drop for Exit {
    fn drop(&mut self) {
        for (key, counters, slot) in self.taken.drain(..) {
            // A later call from another thread-local destructor finds no slot
            // and cannot take one (EXIT is gone): it is not counted.
            let _ = key.try_with(ThreadSlot::reset);
            counters.retire(slot);
        }
    }
}

std::thread_local! {
    static EXIT: RefCell<Exit> = const { RefCell::new(Exit { taken: Vec::new() }) };
}

/// This thread's slot of `counters` behind `key`, taken on first use.
#[inline]
fn thread_slot(
    key: &'static LocalKey<ThreadSlot>,
    counters: &'static Counters,
    counts: Counts,
) -> Option<&'static Slot> {
    match key.try_with(|cell| cell.slot.get()) {
        Ok(Some(slot)) => Some(slot),
        Ok(None) => take_slot(key, counters, counts),
        Err(_) => None,
    }
}

#[cold]
#[inline(never)]
fn take_slot(
    key: &'static LocalKey<ThreadSlot>,
    counters: &'static Counters,
    counts: Counts,
) -> Option<&'static Slot> {
    EXIT.try_with(|exit| {
        let slot = counters.register();
        exit.borrow_mut().taken.push((key, counters, slot));
        let _ = key.try_with(|cell| {
            cell.slot.set(Some(slot));
            cell.count.set(Some(match counts {
                Counts::Hits => &slot.hits,
                Counts::Misses => &slot.misses,
            }));
        });
        slot
    })
    .ok()
}

/// The fast path of a call: counts it, and `true` unless it is to be
/// sampled on the cold path (one call in `SAMPLE_EVERY` (64)) or this thread
/// has no slot yet (not counted: the cold path counts it). One load and store
/// of this thread's counter: no call, nothing shared written.
#[inline(always)]
pub fn tick(key: &'static LocalKey<ThreadSlot>) -> bool {
    key.try_with(|cell| {
        let Some(counter) = cell.count.get() else {
            return false;
        };
        let count = counter.load(Relaxed).wrapping_add(1);
        counter.store(count, Relaxed);
        count % SAMPLE_EVERY != 0
    })
    .unwrap_or(false)
}

/// Counts a `#[precompute]` hit that took the cold path, unless [`tick`]
/// counted it (`ticked`).
pub(crate) fn count_hit_slow(
    key: &'static LocalKey<ThreadSlot>,
    function: &'static Function,
    ticked: bool,
) {
    if let Some(slot) = thread_slot(key, &function.counters, Counts::Hits) {
        if !ticked {
            bump(&slot.hits, 1);
        }
    }
}

/// Counts a call of a `#[counted]` function that [`tick`] did not count:
/// this thread's first, or one in `SAMPLE_EVERY` (64), which is timed (until the
/// returned `Timer` drops) and has its key hashed (`hash` gives `None` for
/// keys that are not `Hash`); or the first after a `clear()` on this thread,
/// which is only timed (hashing a large argument, such as a slice of all the
/// events, on every first call after a `clear()` would cost more than the
/// call). A call from a thread-local destructor, after this thread's counters
/// are gone, is not counted.
#[cold]
#[inline(never)]
pub fn count_sampled(
    key: &'static LocalKey<ThreadSlot>,
    function: &'static Function,
    hash: impl FnOnce() -> Option<u64>,
) -> Option<Timer> {
    let ticked = ThreadSlot::ticked(key);
    let slot = thread_slot(key, &function.counters, Counts::Misses)?;
    if !ticked {
        bump(&slot.misses, 1);
    }
    // `frames::rearm` leaves `last_timed` one run behind; a periodic sample
    // is `SAMPLE_EVERY` runs after the previous one.
    let rearmed =
        ticked && slot.misses.load(Relaxed) == slot.last_timed.load(Relaxed).wrapping_add(1);
    Some(if rearmed {
        Timer::start(slot)
    } else {
        sampled(slot, hash)
    })
}

/// Counts a `#[precompute]` call that runs the body (out of the domain, or
/// a cell computed directly). The first three and then one in
/// `SAMPLE_EVERY` (64) are timed (until the returned `Timer` drops). Not
/// counted after this thread's counters are gone.
pub fn count_miss(
    key: &'static LocalKey<ThreadSlot>,
    function: &'static Function,
) -> Option<Timer> {
    let slot = thread_slot(key, &function.counters, Counts::Hits)?;
    let calls = slot.misses.load(Relaxed).wrapping_add(1);
    slot.misses.store(calls, Relaxed);
    timed_run(calls).then(|| sampled(slot, || None))
}

/// Counts a call of a `#[counted]` method. A method of a generic `impl` is
/// one item for every `Self` type, so its counts are kept per `Self` type
/// (`type_name`), each under a `Function` of its own (see
/// `Function::instance`), found through a per-thread list. The first three
/// calls and then one in `SAMPLE_EVERY` (64) are timed and have their key
/// hashed.
pub fn count_method(
    function: &'static Function,
    type_name: &'static str,
    hash: impl FnOnce() -> Option<u64>,
) -> Option<Timer> {
    type Methods = RefCell<Vec<(usize, &'static str, LocalCounts)>>;
    std::thread_local! {
        static METHODS: Methods = const { RefCell::new(Vec::new()) };
    }
    let slot = METHODS
        .try_with(|methods| {
            let mut methods = methods.try_borrow_mut().ok()?;
            let id = std::ptr::from_ref(function) as usize;
            let found = methods.iter().position(|(f, name, _)| {
                *f == id && (std::ptr::eq(*name, type_name) || *name == type_name)
            });
            let at = found.unwrap_or_else(|| {
                let instance = Instance {
                    self_type: type_name,
                    ..Instance::plain()
                };
                let counts = function.instance::<()>(&instance).local_counts();
                methods.push((id, type_name, counts));
                methods.len() - 1
            });
            Some(methods[at].2.slot())
        })
        .ok()
        .flatten()?;
    let calls = slot.misses.load(Relaxed).wrapping_add(1);
    slot.misses.store(calls, Relaxed);
    timed_run(calls).then(|| sampled(slot, hash))
}

#[cold]
fn sampled(slot: &'static Slot, hash: impl FnOnce() -> Option<u64>) -> Timer {
    if let Some(hash) = hash() {
        slot.sample_key(hash);
    }
    Timer::start(slot)
}

impl Drop for LocalCounts {
    fn drop(&mut self) {
        self.counters.retire(self.slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
