//! What one cache lookup costs on this machine, measured once per process and
//! kind of cache, so the report can set it beside the body's time.

use std::cell::{Cell, RefCell};
use std::hint::black_box;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::counters::{Counters, Timer};

use crate::store::bounded::{Bounded, Replica};
use crate::store::map::{Entry, Expiry, Map};
use crate::store::policy::Node;
use crate::store::Mode;
use crate::sync::{hash, hasher, lock};

const KEYS: u64 = 400;
const ROUNDS: u32 = 50_000;

type Key = (u64, u64);

fn key(k: u64) -> Key {
    (k / 20, k % 20)
}

fn filled() -> Map<Key, bool> {
    let mut map = Map::default();
    let hasher = hasher();
    for k in 0..KEYS {
        let key = key(k);
        map.insert(Entry {
            hash: hash(&hasher, &key),
            key,
            value: k % 3 == 0,
            expires: Expiry::default(),
        });
    }
    map
}

/// How many batches each calibration is split into: the fastest one is
/// taken, the one least disturbed by other work on a busy machine (being
/// descheduled only ever adds time).
const BATCHES: u32 = 25;

/// The cost of one `lookup`: the fastest of the batches.
fn time(mut lookup: impl FnMut(u64) -> bool) -> Duration {
    let hasher = hasher();
    let mut batches: Vec<Duration> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for i in 0..u64::from(ROUNDS / BATCHES) {
                let k = black_box(i % KEYS);
                let query = (&(k / 20), &(k % 20));
                black_box(hash(&hasher, &query));
                black_box(lookup(k));
            }
            start.elapsed() / (ROUNDS / BATCHES)
        })
        .collect();
    batches.sort_unstable();
    batches[0]
}

fn measure(mode: Mode) -> Duration {
    let hasher = hasher();
    let probe = |k: u64| {
        let query = (&(k / 20), &(k % 20));
        (hash(&hasher, &query), key(k))
    };
    match mode {
        Mode::ThreadLocal | Mode::Replicated => {
            let map = RefCell::new(filled());
            time(|k| {
                let (hash, key) = probe(k);
                map.borrow()
                    .get(hash, &(&key.0, &key.1))
                    .copied()
                    .unwrap_or(false)
            })
        }
        Mode::Bounded => {
            let shared = Bounded::new(1024, false, 0);
            let mut replica = Replica::new(1024);
            for k in 0..KEYS {
                let (hash, key) = probe(k);
                let node = std::sync::Arc::new(Node::new(hash, key, k % 3 == 0, Expiry::default()));
                shared.insert(std::sync::Arc::clone(&node), 0);
                drop(replica.insert(node));
            }
            time(|k| {
                let (hash, key) = probe(k);
                replica
                    .get(&shared, hash, &(&key.0, &key.1), None)
                    .copied()
                    .unwrap_or(false)
            })
        }
        Mode::Locked => {
            let map = Mutex::new(filled());
            time(|k| {
                let (hash, key) = probe(k);
                lock(&map)
                    .get(hash, &(&key.0, &key.1))
                    .copied()
                    .unwrap_or(false)
            })
        }
    }
}

/// What timing a run costs, measured once per process on a thread of its
/// own: `.0`, what it adds to the run's own measured time (about one clock
/// read: the end of the first and the start of the second); `.1`, what it
/// adds to the time of a timed run around it (two clock reads, and the
/// snapshots of the thread's run counters, here with three functions known
/// to the thread: one load each per snapshot).
pub(crate) fn frame_costs() -> (Duration, Duration) {
    static COSTS: OnceLock<(Duration, Duration)> = OnceLock::new();
    *COSTS
        .get_or_init(|| std::thread::scope(|s| s.spawn(measure_frames).join()).unwrap_or_default())
}

fn measure_frames() -> (Duration, Duration) {
    const FRAMES: u32 = ROUNDS / BATCHES;
    let counters: &'static Counters = Box::leak(Box::new(Counters::new()));
    let slot = counters.register();
    for _ in 0..2 {
        let other: &'static Counters = Box::leak(Box::new(Counters::new()));
        other.register();
    }
    // The fastest of the batches: a batch during which this thread lost its
    // core would inflate every estimate that subtracts these.
    let mut owns = Vec::with_capacity(BATCHES as usize);
    let mut arounds = Vec::with_capacity(BATCHES as usize);
    for _ in 0..BATCHES {
        let (_, before) = counters.runs_and_frames();
        let start = Instant::now();
        for _ in 0..FRAMES {
            let runs = slot.misses.load(Relaxed);
            slot.misses.store(runs + 1, Relaxed);
            black_box(Timer::start(slot));
        }
        arounds.push(start.elapsed() / FRAMES);
        let (_, after) = counters.runs_and_frames();
        let nanos = (after.nanos - before.nanos) / u128::from(FRAMES);
        owns.push(Duration::from_nanos(u64::try_from(nanos).unwrap_or(0)));
    }
    owns.sort_unstable();
    arounds.sort_unstable();
    let (own, around) = (owns[0], arounds[0]);
    (own, around)
}

/// What a `#[precompute]` hit costs here: an index, a bounds check, a
/// thread-local counter and a load, in the same loop as `lookup_cost`.
pub(crate) fn table_cost() -> Duration {
    static COST: OnceLock<Duration> = OnceLock::new();
    *COST.get_or_init(|| {
        std::thread_local! {
            static COUNT: Cell<u64> = const { Cell::new(0) };
        }
        let table: Vec<bool> = (0..KEYS).map(|k| k % 3 == 0).collect();
        time(|k| {
            COUNT.with(|c| c.set(c.get() + 1));
            let (a, b) = key(black_box(k));
            let index = usize::try_from(a * 20 + b).unwrap_or(usize::MAX);
            table.get(index).copied().unwrap_or(false)
        })
    })
}

/// The calibrated cost of one hit in a cache of this mode.
pub(crate) fn lookup_cost(mode: Mode) -> Duration {
    static COSTS: [OnceLock<Duration>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let slot = match mode {
        Mode::ThreadLocal => 0,
        Mode::Replicated => 1,
        Mode::Bounded => 2,
        Mode::Locked => 3,
    };
    *COSTS[slot].get_or_init(|| measure(mode))
}
