//! What one cache lookup costs on this machine, measured once per process and
//! kind of cache, so the report can set it beside the body's time.

use std::cell::RefCell;
use std::hint::black_box;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::function::Mode;
use crate::lookup::Lookup;
use crate::map::Expiry;
use crate::store::Store;
use crate::sync::{hash, hasher, lock};

const KEYS: u64 = 400;
const ROUNDS: u32 = 50_000;

fn filled(capacity: Option<usize>) -> Store<(u64, u64), bool> {
    let mut store = Store::new(capacity, hasher());
    let hasher = hasher();
    for k in 0..KEYS {
        let key = (k / 20, k % 20);
        store.insert(hash(&hasher, &key), key, k % 3 == 0, Expiry::NEVER);
    }
    store
}

fn get(store: &mut Store<(u64, u64), bool>, k: u64) -> bool {
    let query = (&(k / 20), &(k % 20));
    let hash = hash(&hasher(), &query);
    debug_assert!(query.matches(&(k / 20, k % 20)));
    store.get(hash, &query).copied().unwrap_or(false)
}

fn time(mut lookup: impl FnMut(u64) -> bool) -> Duration {
    let start = Instant::now();
    for i in 0..u64::from(ROUNDS) {
        black_box(lookup(black_box(i % KEYS)));
    }
    start.elapsed() / ROUNDS
}

fn measure(mode: Mode) -> Duration {
    match mode {
        Mode::ThreadLocal | Mode::Replicated => {
            let store = RefCell::new(filled(None));
            time(|k| get(&mut store.borrow_mut(), k))
        }
        Mode::Locked => {
            let store = Mutex::new(filled(Some(1024)));
            time(|k| get(&mut lock(&store), k))
        }
    }
}

/// What timing one execution adds to it, subtracted from body times: between
/// the two clock reads that bracket the body lies about one clock read.
pub(crate) fn clock_overhead() -> Duration {
    static COST: OnceLock<Duration> = OnceLock::new();
    *COST.get_or_init(|| {
        let start = Instant::now();
        for _ in 0..ROUNDS {
            black_box(Instant::now());
        }
        start.elapsed() / ROUNDS
    })
}

/// The calibrated cost of one hit in a cache of this mode.
pub(crate) fn lookup_cost(mode: Mode) -> Duration {
    static COSTS: [OnceLock<Duration>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match mode {
        Mode::ThreadLocal => 0,
        Mode::Replicated => 1,
        Mode::Locked => 2,
    };
    *COSTS[slot].get_or_init(|| measure(mode))
}
