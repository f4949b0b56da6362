//! The per-thread slots of `#[counted]` and `#[precompute]` functions: a
//! `const` thread-local per function whose fast path ([`tick`]) is one load
//! and store, and the cold paths that take a slot, sample and time.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread::LocalKey;

use super::{bump, timed_run, Counters, Slot, Timer, SAMPLE_EVERY};

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
    counters: &'static Counters,
    ticked: bool,
) {
    if let Some(slot) = thread_slot(key, counters, Counts::Hits) {
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
pub(crate) fn count_sampled(
    key: &'static LocalKey<ThreadSlot>,
    counters: &'static Counters,
    hash: impl FnOnce() -> Option<u64>,
) -> Option<Timer> {
    let ticked = ThreadSlot::ticked(key);
    let slot = thread_slot(key, counters, Counts::Misses)?;
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
pub(crate) fn count_miss(
    key: &'static LocalKey<ThreadSlot>,
    counters: &'static Counters,
) -> Option<Timer> {
    let slot = thread_slot(key, counters, Counts::Hits)?;
    let calls = slot.misses.load(Relaxed).wrapping_add(1);
    slot.misses.store(calls, Relaxed);
    timed_run(calls).then(|| sampled(slot, || None))
}

#[cold]
pub(crate) fn sampled(slot: &'static Slot, hash: impl FnOnce() -> Option<u64>) -> Timer {
    if let Some(hash) = hash() {
        slot.sample_key(hash);
    }
    Timer::start(slot)
}
