//! Sixteen threads at once: calls over a small key range, `clear()` from some
//! of them, and bodies that panic for some keys. Nothing hangs, nothing is
//! poisoned, every result is right; and without clears every count is exact.

mod common;

use std::panic::catch_unwind;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Barrier};

use common::{join, spawn_quiet, watchdog, TIMEOUT};
use memo::memoize;

const THREADS: u32 = 16;
const CALLS: u32 = 400;
const KEYS: u32 = 16;

/// The keys whose body always panics.
fn panics(k: u32) -> bool {
    k % 8 == 3
}

fn value(k: u32) -> u64 {
    u64::from(k) * 101 + 5
}

/// Thread `t`'s `i`th key: every thread walks all the keys, each from its own
/// starting point and stride, so threads collide on keys all the time.
fn key(t: u32, i: u32) -> u32 {
    (t * 5 + i * (1 + 2 * (t % 4))) % KEYS
}

/// Runs `CALLS` calls on each of `THREADS` quiet threads, checking every
/// result, and returns how many calls were made and how many panicked.
/// Threads `0..clearers` call `clear()` every 40 calls.
fn run_threads(f: fn(u32) -> u64, clear: fn(), clearers: u32) -> (u64, u64) {
    let barrier = Arc::new(Barrier::new(THREADS as usize));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let barrier = Arc::clone(&barrier);
            spawn_quiet(&format!("stress-{t}"), move || {
                barrier.wait();
                let mut panicked = 0_u64;
                for i in 0..CALLS {
                    if t < clearers && i % 40 == 0 {
                        clear();
                    }
                    let k = key(t, i);
                    match catch_unwind(|| f(k)) {
                        Ok(v) => {
                            assert!(!panics(k), "f({k}) returned {v} but its body panics");
                            assert_eq!(v, value(k), "thread {t}, call {i}: f({k})");
                        }
                        Err(_) => {
                            assert!(panics(k), "thread {t}, call {i}: f({k}) panicked");
                            panicked += 1;
                        }
                    }
                }
                panicked
            })
        })
        .collect();
    let mut panicked = 0;
    for (t, w) in workers.into_iter().enumerate() {
        panicked += join(w, &format!("worker {t}"));
    }
    (u64::from(THREADS * CALLS), panicked)
}

/// Both phases for one function. `entries_ok` checks `entries` after phase 2.
fn stress(
    f: fn(u32) -> u64,
    runs: &'static AtomicU64,
    stats: fn() -> memo::Stats,
    clear: fn(),
    entries_ok: fn(usize) -> bool,
) {
    // Phase 1: clears from four threads racing with everything else.
    run_threads(f, clear, 4);
    // Still fully usable from a fresh thread: no lock was left poisoned.
    let after = spawn_quiet("after-phase-1", move || {
        for k in 0..KEYS {
            match catch_unwind(|| f(k)) {
                Ok(v) => assert_eq!(v, value(k)),
                Err(_) => assert!(panics(k), "f({k}) panicked after phase 1"),
            }
        }
    });
    join(after, "calls after phase 1");

    // Phase 2: no clears; every count must add up exactly.
    clear();
    let runs_before = runs.load(SeqCst);
    let (made, panicked) = run_threads(f, clear, 0);
    let s = stats();
    let body_runs = runs.load(SeqCst) - runs_before;
    assert_eq!(s.calls, made, "{}: calls, panicking ones included", s.name);
    assert_eq!(s.hits + s.misses, made, "{}: hits + misses", s.name);
    assert_eq!(s.misses, body_runs, "{}: misses are body runs", s.name);
    let good_keys = u64::from((0..KEYS).filter(|&k| !panics(k)).count() as u32);
    assert_eq!(
        panicked,
        made / u64::from(KEYS) * 2,
        "the key walk hits each key equally"
    );
    assert!(
        body_runs >= panicked + good_keys,
        "{}: {body_runs} body runs for {panicked} panics and {good_keys} keys",
        s.name
    );
    assert!(entries_ok(s.entries), "{}: {} entries", s.name, s.entries);
}

macro_rules! stress_test {
    ($test:ident, $f:ident, $runs:ident, ($($option:tt)*), $entries_ok:expr) => {
        static $runs: AtomicU64 = AtomicU64::new(0);

        #[memoize($($option)*)]
        fn $f(k: u32) -> u64 {
            $runs.fetch_add(1, SeqCst);
            if panics(k) {
                panic!("the body for key {k} always fails");
            }
            value(k)
        }

        #[test]
        fn $test() {
            watchdog(stringify!($test), TIMEOUT, || {
                stress($f, &$runs, $f::stats, $f::clear, $entries_ok);
            });
        }
    };
}

stress_test!(shared_default, shared, SHARED_RUNS, (), |n| n == 14);
stress_test!(capacity_eight, bounded, BOUNDED_RUNS, (capacity = 8), |n| n
    <= 8);
stress_test!(
    capacity_eight_lru,
    bounded_lru,
    BOUNDED_LRU_RUNS,
    (capacity = 8, policy = lru),
    |n| n <= 8
);
// The threads have exited: their caches are gone, and what `entries` says of
// them is not specified beyond the bound.
stress_test!(thread_local, local, LOCAL_RUNS, (thread_local), |n| n
    <= 14 * THREADS as usize);
