//! Model-based tests: random sequences of calls and `clear()`s on one thread,
//! each compared against a reference model of what the cache must hold.
//!
//! Counts are checked against the model and against a counter the body bumps,
//! never against sums of the same `Stats`.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use memo::memoize;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// One step of a sequence.
#[derive(Clone, Copy, Debug)]
enum Op {
    Call(u8),
    Clear,
}

/// Calls over keys `0..10` (more than a capacity of 4), with a `clear()` now and then.
fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        12 => (0..10_u8).prop_map(Op::Call),
        1 => Just(Op::Clear),
    ];
    proptest::collection::vec(op, 0..=200)
}

/// Calls only: the bounded default policy's invariants that need no `clear()`.
fn calls() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(0..10_u8, 0..=200)
}

fn config() -> Config {
    Config {
        cases: 64,
        // Fixed, so that every run checks the same sequences.
        rng_seed: RngSeed::Fixed(0x6d65_6d6f),
        failure_persistence: None,
        ..Config::default()
    }
}

/// The pure function every mode caches.
fn pure(k: u8) -> u64 {
    u64::from(k) * 1_000 + 7
}

/// What an unbounded cache must hold: the set of keys called since the last clear.
#[derive(Default)]
struct SetModel {
    keys: HashSet<u8>,
    hits: u64,
    misses: u64,
}

impl SetModel {
    /// Applies a call; returns whether it must be a hit.
    fn call(&mut self, k: u8) -> bool {
        let hit = !self.keys.insert(k);
        if hit {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
        hit
    }

    fn clear(&mut self) {
        *self = SetModel::default();
    }
}

/// Exact LRU (CPython's `lru_cache` on one thread): the front is the least
/// recently used key.
struct LruModel {
    order: VecDeque<u8>,
    capacity: usize,
    hits: u64,
    misses: u64,
    evictions: u64,
}

impl LruModel {
    fn new(capacity: usize) -> Self {
        LruModel {
            order: VecDeque::new(),
            capacity,
            hits: 0,
            misses: 0,
            evictions: 0,
        }
    }

    fn call(&mut self, k: u8) -> bool {
        if let Some(at) = self.order.iter().position(|&x| x == k) {
            self.order.remove(at);
            self.order.push_back(k);
            self.hits += 1;
            true
        } else {
            self.order.push_back(k);
            self.misses += 1;
            if self.order.len() > self.capacity {
                self.order.pop_front();
                self.evictions += 1;
            }
            false
        }
    }

    fn clear(&mut self) {
        *self = LruModel::new(self.capacity);
    }
}

/// Drives an unbounded cache through `ops` and checks it against [`SetModel`]
/// after every step. `call` calls the memoized function; `runs` reads its body
/// counter; `stats` and `clear` are its companion functions.
fn check_unbounded(
    ops: &[Op],
    call: impl Fn(u8) -> u64,
    runs: &AtomicU64,
    stats: fn() -> memo::Stats,
    clear: fn(),
) -> Result<(), TestCaseError> {
    clear();
    let mut model = SetModel::default();
    let mut runs_at_clear = runs.load(SeqCst);
    for (step, &op) in ops.iter().enumerate() {
        match op {
            Op::Call(k) => {
                let before = runs.load(SeqCst);
                let must_hit = model.call(k);
                prop_assert_eq!(call(k), pure(k), "step {}: call({})", step, k);
                let ran = runs.load(SeqCst) - before;
                prop_assert_eq!(
                    ran,
                    u64::from(!must_hit),
                    "step {}: body runs of call({})",
                    step,
                    k
                );
            }
            Op::Clear => {
                clear();
                model.clear();
                runs_at_clear = runs.load(SeqCst);
            }
        }
        let s = stats();
        prop_assert_eq!(
            (s.calls, s.hits, s.misses, s.entries),
            (
                model.hits + model.misses,
                model.hits,
                model.misses,
                model.keys.len()
            ),
            "step {} ({:?}): (calls, hits, misses, entries)",
            step,
            op
        );
        prop_assert_eq!(
            runs.load(SeqCst) - runs_at_clear,
            model.misses,
            "step {}: body runs",
            step
        );
        prop_assert_eq!(s.evictions, 0);
    }
    Ok(())
}

static SHARED_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
fn shared(k: u8) -> u64 {
    SHARED_RUNS.fetch_add(1, SeqCst);
    pure(k)
}

static LOCAL_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(thread_local)]
fn local(k: u8) -> u64 {
    LOCAL_RUNS.fetch_add(1, SeqCst);
    pure(k)
}

/// A key with a field that is part of the key and one that is not.
#[derive(Clone)]
struct Item {
    id: u8,
    noise: u32,
}

static KEYED_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(key = item.id)]
fn keyed(item: &Item) -> u64 {
    KEYED_RUNS.fetch_add(1, SeqCst);
    let _ = item.noise;
    pure(item.id)
}

static LRU_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 4, policy = lru)]
fn lru(k: u8) -> u64 {
    LRU_RUNS.fetch_add(1, SeqCst);
    pure(k)
}

static BOUNDED_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 4)]
fn bounded(k: u8) -> u64 {
    BOUNDED_RUNS.fetch_add(1, SeqCst);
    pure(k)
}

static NO_CLEAR_RUNS: AtomicU64 = AtomicU64::new(0);

/// Its own function: tests run in parallel, and each owns its cache.
#[memoize(capacity = 4)]
fn bounded_no_clear(k: u8) -> u64 {
    NO_CLEAR_RUNS.fetch_add(1, SeqCst);
    pure(k)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn shared_default_matches_a_set(ops in ops()) {
        check_unbounded(&ops, shared, &SHARED_RUNS, shared::stats, shared::clear)?;
    }

    #[test]
    fn thread_local_matches_a_set(ops in ops()) {
        check_unbounded(&ops, local, &LOCAL_RUNS, local::stats, local::clear)?;
    }

    /// `key = item.id`: calls that differ only in `noise` share an entry.
    #[test]
    fn key_expression_matches_a_set_of_ids(ops in ops(), noise in any::<u32>()) {
        // A different `noise` every call: it must never matter.
        let n = std::cell::Cell::new(noise);
        let call = |k: u8| {
            n.set(n.get().wrapping_mul(0x9E37_79B9).wrapping_add(1));
            keyed(&Item { id: k, noise: n.get() })
        };
        check_unbounded(&ops, call, &KEYED_RUNS, keyed::stats, keyed::clear)?;
    }

    /// `policy = lru`: hits, misses, evictions and entries exactly as an LRU
    /// list predicts after every step.
    #[test]
    fn lru_policy_matches_an_exact_lru(ops in ops()) {
        lru::clear();
        let mut model = LruModel::new(4);
        let mut runs_at_clear = LRU_RUNS.load(SeqCst);
        for (step, &op) in ops.iter().enumerate() {
            match op {
                Op::Call(k) => {
                    let before = LRU_RUNS.load(SeqCst);
                    let must_hit = model.call(k);
                    prop_assert_eq!(lru(k), pure(k), "step {}: call({})", step, k);
                    let ran = LRU_RUNS.load(SeqCst) - before;
                    prop_assert_eq!(ran, u64::from(!must_hit), "step {}: body runs of call({}), lru order now {:?}", step, k, model.order);
                }
                Op::Clear => {
                    lru::clear();
                    model.clear();
                    runs_at_clear = LRU_RUNS.load(SeqCst);
                }
            }
            let s = lru::stats();
            prop_assert_eq!(
                (s.calls, s.hits, s.misses, s.evictions, s.entries),
                (model.hits + model.misses, model.hits, model.misses, model.evictions, model.order.len()),
                "step {} ({:?}): (calls, hits, misses, evictions, entries)",
                step,
                op
            );
            prop_assert_eq!(LRU_RUNS.load(SeqCst) - runs_at_clear, model.misses);
            prop_assert_eq!(s.capacity, Some(4));
        }
    }

    /// The default bounded policy may pick any victim, but it must stay
    /// within capacity, run the body exactly once per miss, count every call,
    /// and count every entry it dropped.
    #[test]
    fn default_bounded_policy_keeps_its_invariants(ops in ops()) {
        bounded::clear();
        let mut made = 0_u64;
        let mut runs_at_clear = BOUNDED_RUNS.load(SeqCst);
        for (step, &op) in ops.iter().enumerate() {
            match op {
                Op::Call(k) => {
                    prop_assert_eq!(bounded(k), pure(k), "step {}: call({})", step, k);
                    made += 1;
                }
                Op::Clear => {
                    bounded::clear();
                    made = 0;
                    runs_at_clear = BOUNDED_RUNS.load(SeqCst);
                }
            }
            let s = bounded::stats();
            let runs = BOUNDED_RUNS.load(SeqCst) - runs_at_clear;
            prop_assert!(s.entries <= 4, "step {}: {} entries", step, s.entries);
            prop_assert_eq!(s.calls, made, "step {}: calls", step);
            prop_assert_eq!(s.misses, runs, "step {}: misses vs body runs", step);
            prop_assert_eq!(s.hits, made - runs, "step {}: hits vs calls without a body run", step);
            // Since the last clear, every miss added one entry and only
            // evictions removed any.
            prop_assert_eq!(s.evictions, s.misses - s.entries as u64, "step {}: evictions", step);
            prop_assert_eq!(s.capacity, Some(4));
        }
    }

    /// The same invariants over a sequence with no `clear()` at all.
    #[test]
    fn default_bounded_policy_without_clears(keys in calls()) {
        bounded_no_clear::clear();
        let base = NO_CLEAR_RUNS.load(SeqCst);
        for (i, &k) in keys.iter().enumerate() {
            prop_assert_eq!(bounded_no_clear(k), pure(k));
            let s = bounded_no_clear::stats();
            prop_assert!(s.entries <= 4);
            prop_assert_eq!(s.calls, i as u64 + 1);
            prop_assert_eq!(s.misses, NO_CLEAR_RUNS.load(SeqCst) - base);
            prop_assert_eq!(s.evictions, s.misses - s.entries as u64);
        }
        let distinct = keys.iter().collect::<HashSet<_>>().len() as u64;
        prop_assert!(bounded_no_clear::stats().misses >= distinct, "every distinct key missed at least once");
    }
}
