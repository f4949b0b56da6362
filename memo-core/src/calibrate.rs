//! What one cache lookup costs on this machine, measured once per process and
//! kind of cache, so the report can set it beside the body's time.

use std::cell::RefCell;
use std::hint::black_box;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

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

fn time(mut lookup: impl FnMut(u64) -> bool) -> Duration {
    let hasher = hasher();
    let start = Instant::now();
    for i in 0..u64::from(ROUNDS) {
        let k = black_box(i % KEYS);
        let query = (&(k / 20), &(k % 20));
        black_box(hash(&hasher, &query));
        black_box(lookup(k));
    }
    start.elapsed() / ROUNDS
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
