//! The dense case: 20 rules × 20 event types, every one of the 400 inputs
//! seen many times. The seed's exercise, with each generated strategy beside
//! the code a person would write by hand.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;

use memo::{counted, memoize, precompute};
use rustc_hash::FxHashMap;

use crate::common::events::{N_EVENT_TYPES, N_RULES};
use crate::common::rules::{process_events, validate_rule_slow};
use crate::strategy::{every_call, keep_nothing, Strategy};

/// The number of distinct inputs: `N_RULES * N_EVENT_TYPES`.
const DOMAIN: usize = (N_RULES * N_EVENT_TYPES) as usize;

// The rows' names, shared by the cases and the comparisons between rows.
pub const NAIVE: &str = "naive";
pub const MEMOIZE: &str = "#[memoize]";
const MEMOIZE_LOCAL: &str = "#[memoize(thread_local)]";
pub const PRECOMPUTE: &str = "#[precompute]";
const HAND_FX: &str = "hand FxHashMap (thread-local)";
const HAND_FLAT: &str = "hand flat [bool; 400]";
const HAND_2D: &str = "hand 2D [[bool; 20]; 20]";

/// `validate_rule_slow` with call counters only.
#[counted]
fn validate_counted(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `validate_rule_slow` behind one cache shared by all threads.
#[memoize]
fn validate_memoized(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `validate_rule_slow` behind one cache per thread.
#[memoize(thread_local)]
fn validate_memoized_local(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `validate_rule_slow` for the whole domain, in a flat table.
#[precompute(domain = (0..N_RULES, 0..N_EVENT_TYPES))]
fn validate_precomputed(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

thread_local! {
    /// The hand-written cache: what a person writes instead of `#[memoize(thread_local)]`.
    static HAND_CACHE: RefCell<FxHashMap<(u32, u32), bool>> = RefCell::new(FxHashMap::default());
}

/// Body runs of the hand-written cache on every thread: bumped on misses
/// only, so the atomic stays off the hit path.
static HAND_BODY_RUNS: AtomicU64 = AtomicU64::new(0);

/// `validate_rule_slow` behind this thread's `FxHashMap`.
fn validate_hand_fx(rule_id: u32, event_type: u32) -> bool {
    HAND_CACHE.with(|cache| {
        if let Some(&valid) = cache.borrow().get(&(rule_id, event_type)) {
            return valid;
        }
        let valid = validate_rule_slow(rule_id, event_type);
        HAND_BODY_RUNS.fetch_add(1, Relaxed);
        cache.borrow_mut().insert((rule_id, event_type), valid);
        valid
    })
}

/// Empties this thread's hand-written cache and zeroes its body-run count.
/// Threads spawned later start with an empty cache of their own.
fn reset_hand_fx() {
    HAND_CACHE.with(|cache| cache.borrow_mut().clear());
    HAND_BODY_RUNS.store(0, Relaxed);
}

/// Body runs of the hand-written cache since [`reset_hand_fx`].
fn hand_fx_body_runs(_calls: u64) -> u64 {
    HAND_BODY_RUNS.load(Relaxed)
}

/// The hand-written flat table, `table[rule_id * 20 + event_type]`.
fn hand_flat() -> &'static [bool; DOMAIN] {
    static TABLE: OnceLock<[bool; DOMAIN]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [false; DOMAIN];
        for rule_id in 0..N_RULES {
            for event_type in 0..N_EVENT_TYPES {
                table[(rule_id * N_EVENT_TYPES + event_type) as usize] =
                    validate_rule_slow(rule_id, event_type);
            }
        }
        table
    })
}

/// The hand-written 2D table, `table[rule_id][event_type]`.
fn hand_2d() -> &'static [[bool; N_EVENT_TYPES as usize]; N_RULES as usize] {
    static TABLE: OnceLock<[[bool; N_EVENT_TYPES as usize]; N_RULES as usize]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [[false; N_EVENT_TYPES as usize]; N_RULES as usize];
        for rule_id in 0..N_RULES {
            for event_type in 0..N_EVENT_TYPES {
                table[rule_id as usize][event_type as usize] =
                    validate_rule_slow(rule_id, event_type);
            }
        }
        table
    })
}

/// `body_runs` of a table over the whole dense domain: one per entry, at build time.
fn table_build_runs(_calls: u64) -> u64 {
    DOMAIN as u64
}

/// The strategies that keep nothing from one run to the next but a cache:
/// naive first, then the caches, each beside the hand-written one. They
/// serve the sparse case too.
pub fn caches() -> Vec<Strategy> {
    vec![
        Strategy {
            name: NAIVE,
            twin: None,
            build: None,
            reset: keep_nothing,
            count_valid: |events| process_events(events, validate_rule_slow),
            body_runs: every_call,
        },
        Strategy {
            name: "#[counted]",
            twin: Some(NAIVE),
            build: None,
            reset: validate_counted::clear,
            count_valid: |events| process_events(events, validate_counted),
            body_runs: |_| validate_counted::stats().misses,
        },
        Strategy {
            name: MEMOIZE,
            twin: Some(HAND_FX),
            build: None,
            reset: validate_memoized::clear,
            count_valid: |events| process_events(events, validate_memoized),
            body_runs: |_| validate_memoized::stats().misses,
        },
        Strategy {
            name: MEMOIZE_LOCAL,
            twin: Some(HAND_FX),
            build: None,
            reset: validate_memoized_local::clear,
            count_valid: |events| process_events(events, validate_memoized_local),
            body_runs: |_| validate_memoized_local::stats().misses,
        },
        Strategy {
            name: HAND_FX,
            twin: None,
            build: None,
            reset: reset_hand_fx,
            count_valid: |events| process_events(events, validate_hand_fx),
            body_runs: hand_fx_body_runs,
        },
    ]
}

/// Every strategy of the dense case: the caches, then the tables.
pub fn strategies() -> Vec<Strategy> {
    let tables = [
        Strategy {
            name: PRECOMPUTE,
            twin: Some(HAND_FLAT),
            build: Some(validate_precomputed::init),
            reset: validate_precomputed::clear,
            count_valid: |events| process_events(events, validate_precomputed),
            body_runs: |_| {
                let stats = validate_precomputed::stats();
                stats.entries as u64 + stats.misses
            },
        },
        Strategy {
            name: HAND_FLAT,
            twin: None,
            build: Some(|| {
                hand_flat();
            }),
            reset: keep_nothing,
            count_valid: |events| {
                let table = hand_flat();
                process_events(events, |rule_id, event_type| {
                    table[(rule_id * N_EVENT_TYPES + event_type) as usize]
                })
            },
            body_runs: table_build_runs,
        },
        Strategy {
            name: HAND_2D,
            twin: None,
            build: Some(|| {
                hand_2d();
            }),
            reset: keep_nothing,
            count_valid: |events| {
                let table = hand_2d();
                process_events(events, |rule_id, event_type| {
                    table[rule_id as usize][event_type as usize]
                })
            },
            body_runs: table_build_runs,
        },
    ];
    caches().into_iter().chain(tables).collect()
}
