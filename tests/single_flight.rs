//! `#[memoize(single_flight)]`: concurrent misses of one key run the body
//! once, per key; recursion, cycles between threads, panics and `Err`s never
//! hang a caller, and every count adds up (`calls == hits + misses`, waiters
//! counted as hits and in `waited`).
//!
//! Every test runs under the watchdog: a deadlock fails it with a message
//! instead of hanging the suite.

mod common;

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{join, spawn_quiet, watchdog, TIMEOUT};
use memo::memoize;

/// Runs `f(t)` on `threads` threads released together by a barrier and
/// returns their results in thread order.
fn race<R, F>(threads: usize, f: F) -> Vec<R>
where
    R: Send + 'static,
    F: Fn(usize) -> R + Send + Sync + 'static,
{
    let barrier = Arc::new(Barrier::new(threads));
    let f = Arc::new(f);
    let racers: Vec<_> = (0..threads)
        .map(|t| {
            let barrier = Arc::clone(&barrier);
            let f = Arc::clone(&f);
            std::thread::Builder::new()
                .name(format!("racer-{t}"))
                .spawn(move || {
                    barrier.wait();
                    f(t)
                })
                .expect("spawn a racer")
        })
        .collect();
    racers
        .into_iter()
        .enumerate()
        .map(|(t, racer)| join(racer, &format!("racer {t}")))
        .collect()
}

/// Polls `condition` every millisecond; panics after 10 s (the thing waited
/// for never happened: a test bug or a hang, either way not a pass).
fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "gave up waiting until {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

// ---------------------------------------------------------------- one cold key

static COLD_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(single_flight)]
fn cold(k: u64) -> u64 {
    COLD_RUNS.fetch_add(1, SeqCst);
    std::thread::sleep(Duration::from_millis(50));
    k * 7 + 1
}

#[test]
fn sixteen_threads_on_one_cold_key_run_the_body_once() {
    watchdog("one_cold_key", TIMEOUT, || {
        let values = race(16, |_| cold(6));
        assert!(values.iter().all(|&v| v == 43), "{values:?}");
        assert_eq!(COLD_RUNS.load(SeqCst), 1, "one body run for 16 callers");
        let s = cold::stats();
        // A thread released late enough finds the value stored: a plain hit
        // that did not wait. Every other one waited.
        assert_eq!((s.calls, s.hits, s.misses), (16, 15, 1));
        assert!(
            (1..=15).contains(&s.waited),
            "{} of 15 hits waited",
            s.waited
        );
        assert_eq!(s.entries, 1);

        assert_eq!(cold(6), 43);
        let s = cold::stats();
        assert_eq!((s.calls, s.hits, s.misses), (17, 16, 1), "warm: a hit");
        assert_eq!(COLD_RUNS.load(SeqCst), 1);
    });
}

// ---------------------------------------------------------------- per key

static PER_KEY_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(single_flight)]
fn slow_key(k: u64) -> u64 {
    PER_KEY_RUNS.fetch_add(1, SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    k + 1_000
}

/// Eight keys, eight threads, 100 ms bodies: run one after another they take
/// 800 ms; each key's flight is its own, so together they take about 100.
#[test]
fn threads_on_different_keys_run_their_bodies_at_once() {
    watchdog("per_key_timing", TIMEOUT, || {
        let start = Instant::now();
        let values = race(8, |t| slow_key(t as u64));
        let elapsed = start.elapsed();
        for (t, v) in values.into_iter().enumerate() {
            assert_eq!(v, t as u64 + 1_000);
        }
        assert_eq!(PER_KEY_RUNS.load(SeqCst), 8);
        assert!(
            elapsed < Duration::from_millis(500),
            "8 keys x 100 ms took {elapsed:?}: their bodies did not overlap"
        );
        let s = slow_key::stats();
        assert_eq!((s.calls, s.hits, s.misses, s.waited), (8, 0, 8, 0));
    });
}

static HELD_STARTED: AtomicBool = AtomicBool::new(false);
static HELD_RELEASE: AtomicBool = AtomicBool::new(false);

/// Key 0's body does not return until the test says so.
#[memoize(single_flight)]
fn held(k: u64) -> u64 {
    if k == 0 {
        HELD_STARTED.store(true, SeqCst);
        wait_until("the test releases key 0", || HELD_RELEASE.load(SeqCst));
    }
    k * 2 + 1
}

/// While key 0's body is running (and cannot finish), key 1 is computed and
/// served: its callers do not wait for another key's flight. One lock for
/// all keys would hang here.
#[test]
fn a_key_in_flight_never_blocks_another_key() {
    watchdog("per_key_blocking", TIMEOUT, || {
        let leader = std::thread::spawn(|| held(0));
        wait_until("key 0's body runs", || HELD_STARTED.load(SeqCst));
        assert_eq!(held(1), 3);
        assert_eq!(held(1), 3);
        HELD_RELEASE.store(true, SeqCst);
        assert_eq!(join(leader, "the leader of key 0"), 1);
        let s = held::stats();
        assert_eq!((s.calls, s.hits, s.misses, s.waited), (3, 1, 2, 0));
    });
}

// ---------------------------------------------------------------- recursion

#[memoize(single_flight)]
fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

/// Recursion through distinct keys: each level leads its own flight while
/// the levels above it are in flight on the same thread.
#[test]
fn fib_90_from_empty() {
    watchdog("fib_90", TIMEOUT, || {
        assert_eq!(fib(90), 2_880_067_194_370_816_120);
        let s = fib::stats();
        // fib(n) for n >= 2 calls fib(n - 1) (a miss) and fib(n - 2) (a hit
        // but for fib(0) at the bottom): 1 + 2 * 89 calls, 91 keys.
        assert_eq!((s.calls, s.hits, s.misses, s.waited), (179, 88, 91, 0));
        assert_eq!(s.entries, 91);
    });
}

thread_local! {
    static SELF_DEPTH: Cell<u32> = const { Cell::new(0) };
}

static SELF_RUNS: AtomicU64 = AtomicU64::new(0);

/// On first entry, calls itself with the same key: the inner call finds the
/// key in flight, led by this very thread.
#[memoize(single_flight)]
fn itself(k: u64) -> u64 {
    SELF_RUNS.fetch_add(1, SeqCst);
    let depth = SELF_DEPTH.with(Cell::get);
    SELF_DEPTH.with(|d| d.set(depth + 1));
    let value = if depth == 0 { itself(k) + 1 } else { k * 10 };
    SELF_DEPTH.with(|d| d.set(depth));
    value
}

/// A thread re-entering the key it computes runs the body directly instead
/// of waiting for itself.
#[test]
fn a_thread_reentering_its_own_key_runs_the_body_directly() {
    watchdog("same_key_cycle", TIMEOUT, || {
        assert_eq!(itself(4), 41);
        assert_eq!(SELF_RUNS.load(SeqCst), 2, "the outer run and the inner one");
        let s = itself::stats();
        assert_eq!((s.calls, s.hits, s.misses, s.waited), (2, 0, 2, 0));
        // Both runs returned; the value stored is one of theirs.
        let again = itself(4);
        assert!(again == 40 || again == 41, "{again}");
        assert_eq!(SELF_RUNS.load(SeqCst), 2, "stored: a hit");
    });
}

thread_local! {
    static CROSS_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Both top-level bodies meet here, each leading its own key, before either
/// calls the other's key.
static CROSS_MEET: Barrier = Barrier::new(2);

fn cross_value(k: u32) -> u64 {
    u64::from(k) * 1_000 + 7
}

/// Key 1's top-level body calls key 2 and key 2's calls key 1; nested calls
/// return at once. The value never depends on the path.
#[memoize(single_flight)]
fn cross(k: u32) -> u64 {
    if CROSS_DEPTH.with(Cell::get) == 0 {
        CROSS_MEET.wait();
        CROSS_DEPTH.with(|d| d.set(1));
        let other = cross(3 - k);
        CROSS_DEPTH.with(|d| d.set(0));
        assert_eq!(other, cross_value(3 - k));
    }
    cross_value(k)
}

/// A computes key 1 and calls key 2 while B computes key 2 and calls key 1:
/// each would wait for the other forever. The cycle is seen and one of them
/// runs the body directly; both return the right value.
#[test]
fn two_threads_calling_each_others_keys_do_not_hang() {
    watchdog("cross_key_cycle", TIMEOUT, || {
        let a = std::thread::spawn(|| cross(1));
        let b = std::thread::spawn(|| cross(2));
        assert_eq!(join(a, "thread A (key 1)"), cross_value(1));
        assert_eq!(join(b, "thread B (key 2)"), cross_value(2));
        let s = cross::stats();
        assert_eq!(s.calls, 4);
        assert_eq!(s.hits + s.misses, 4);
        // Two leaders, plus the one that broke the cycle by running the body
        // (the other waited for it), or both broke it.
        assert!((3..=4).contains(&s.misses), "{} misses", s.misses);
        assert_eq!(cross(1), cross_value(1));
        assert_eq!(cross(2), cross_value(2));
        assert_eq!(cross::stats().misses, s.misses, "both keys are stored");
    });
}

// ---------------------------------------------------------------- failures

static SHAKY_RUNS: AtomicU64 = AtomicU64::new(0);
static SHAKY_STARTED: AtomicBool = AtomicBool::new(false);
/// Waiters about to call, so that the leader panics only with them present.
static SHAKY_WAITERS: AtomicU64 = AtomicU64::new(0);

/// The first run panics, once every waiter has called; later runs succeed.
#[memoize(single_flight)]
fn shaky(k: u64) -> u64 {
    if SHAKY_RUNS.fetch_add(1, SeqCst) == 0 {
        SHAKY_STARTED.store(true, SeqCst);
        wait_until("the four waiters call", || SHAKY_WAITERS.load(SeqCst) == 4);
        // Time for them to get from the counter to the wait.
        std::thread::sleep(Duration::from_millis(100));
        panic!("the leader's body fails");
    }
    std::thread::sleep(Duration::from_millis(20));
    k + 5
}

/// The leader's body panics with four waiters present: they wake, one of
/// them runs the body, all four get the value; nothing was cached from the
/// panic and nothing is poisoned.
#[test]
fn a_waiter_takes_over_when_the_leader_panics() {
    watchdog("leader_panics", TIMEOUT, || {
        let leader = spawn_quiet("leader", || shaky(9));
        wait_until("the leader's body runs", || SHAKY_STARTED.load(SeqCst));
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    SHAKY_WAITERS.fetch_add(1, SeqCst);
                    shaky(9)
                })
            })
            .collect();
        assert!(leader.join().is_err(), "the leader's call panics");
        for (i, waiter) in waiters.into_iter().enumerate() {
            assert_eq!(join(waiter, &format!("waiter {i}")), 14);
        }
        assert_eq!(SHAKY_RUNS.load(SeqCst), 2, "the panic, then one waiter");
        let s = shaky::stats();
        assert_eq!((s.calls, s.hits, s.misses), (5, 3, 2));
        assert!((1..=4).contains(&s.waited), "{} waited", s.waited);
        assert_eq!(s.entries, 1);
        assert_eq!(shaky(9), 14);
        assert_eq!(SHAKY_RUNS.load(SeqCst), 2, "the taken-over value is stored");
    });
}

static FLAKY_RUNS: AtomicU64 = AtomicU64::new(0);

/// The first run returns `Err`, every later one `Ok`.
#[memoize(single_flight)]
fn flaky(k: u64) -> Result<u64, String> {
    let run = FLAKY_RUNS.fetch_add(1, SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    if run == 0 {
        Err(format!("run {run} fails"))
    } else {
        Ok(k * 3)
    }
}

/// The leader's `Err` goes to the leader only and is not cached; the waiters
/// retry: one of them runs the body again, the others wait for that run.
#[test]
fn waiters_retry_after_the_leaders_err() {
    watchdog("leader_err", TIMEOUT, || {
        let results = race(8, |_| flaky(5));
        let errs: Vec<_> = results.iter().filter(|r| r.is_err()).collect();
        assert_eq!(errs.len(), 1, "only the leader gets the Err: {results:?}");
        assert_eq!(*errs[0], Err("run 0 fails".to_owned()));
        assert_eq!(
            results.iter().filter(|r| **r == Ok(15)).count(),
            7,
            "{results:?}"
        );
        assert_eq!(FLAKY_RUNS.load(SeqCst), 2, "the Err, then one retry");
        let s = flaky::stats();
        assert_eq!((s.calls, s.hits, s.misses), (8, 6, 2));
        assert!((1..=7).contains(&s.waited), "{} waited", s.waited);
        assert_eq!(s.entries, 1, "the Ok only");
        assert_eq!(flaky(5), Ok(15));
        assert_eq!(FLAKY_RUNS.load(SeqCst), 2);
    });
}

// ---------------------------------------------------------------- with every option

const RACERS: usize = 8;
const CALLS_EACH: u64 = 3;

/// `RACERS` threads released together make `CALLS_EACH` calls each on one
/// cold key: one body run, every value right, and the counts add up to the
/// calls made.
fn one_run(call: fn() -> u64, expected: u64, runs: &'static AtomicU64, stats: fn() -> memo::Stats) {
    let values = race(RACERS, move |_| {
        (0..CALLS_EACH).map(|_| call()).collect::<Vec<_>>()
    });
    assert!(
        values.iter().flatten().all(|&v| v == expected),
        "{values:?}"
    );
    assert_eq!(runs.load(SeqCst), 1, "one body run");
    let made = RACERS as u64 * CALLS_EACH;
    let s = stats();
    assert_eq!(s.calls, made, "{}: every call counted once", s.name);
    assert_eq!((s.hits, s.misses), (made - 1, 1), "{}", s.name);
    // Only a thread's first call can wait.
    assert!(
        (1..RACERS as u64).contains(&s.waited),
        "{}: {} waited",
        s.name,
        s.waited
    );
}

macro_rules! one_run_with {
    ($test:ident, $f:ident, $runs:ident, ($($option:tt)*)) => {
        static $runs: AtomicU64 = AtomicU64::new(0);

        #[memoize($($option)*)]
        fn $f(k: u64) -> u64 {
            $runs.fetch_add(1, SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            k * 11
        }

        #[test]
        fn $test() {
            watchdog(stringify!($test), TIMEOUT, || {
                one_run(|| $f(3), 33, &$runs, $f::stats);
            });
        }
    };
}

one_run_with!(
    with_capacity,
    bounded,
    BOUNDED_RUNS,
    (single_flight, capacity = 64)
);
one_run_with!(
    with_capacity_lru,
    bounded_lru,
    BOUNDED_LRU_RUNS,
    (capacity = 64, policy = lru, single_flight)
);
one_run_with!(
    with_ttl,
    expiring,
    EXPIRING_RUNS,
    (single_flight, ttl = "1h")
);
one_run_with!(
    with_capacity_lru_and_ttl,
    everything,
    EVERYTHING_RUNS,
    (
        capacity = 64,
        single_flight = true,
        policy = lru,
        ttl = "1h"
    )
);

static KEYED_RUNS: AtomicU64 = AtomicU64::new(0);

/// `noise` is not part of the key: callers with different noise share a flight.
#[memoize(single_flight = true, key = id)]
fn keyed(id: u64, _noise: u64) -> u64 {
    KEYED_RUNS.fetch_add(1, SeqCst);
    std::thread::sleep(Duration::from_millis(50));
    id * 11
}

#[test]
fn with_key_expression() {
    watchdog("with_key_expression", TIMEOUT, || {
        let values = race(RACERS, |t| {
            (0..CALLS_EACH)
                .map(|i| keyed(3, t as u64 * 10 + i))
                .collect::<Vec<_>>()
        });
        assert!(values.iter().flatten().all(|&v| v == 33), "{values:?}");
        assert_eq!(KEYED_RUNS.load(SeqCst), 1, "one run for one key");
        let s = keyed::stats();
        let made = RACERS as u64 * CALLS_EACH;
        assert_eq!((s.calls, s.hits, s.misses), (made, made - 1, 1));
        assert!(
            (1..RACERS as u64).contains(&s.waited),
            "{} waited",
            s.waited
        );
    });
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Scale {
    factor: u64,
}

static METHOD_RUNS: AtomicU64 = AtomicU64::new(0);

impl Scale {
    #[memoize(single_flight)]
    fn apply(&self, k: u64) -> u64 {
        METHOD_RUNS.fetch_add(1, SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        k * self.factor
    }
}

#[test]
fn with_a_method() {
    watchdog("with_a_method", TIMEOUT, || {
        one_run(
            || Scale { factor: 11 }.apply(3),
            33,
            &METHOD_RUNS,
            || {
                memo::report()
                    .get("single_flight::Scale::apply")
                    .cloned()
                    .expect("the method's report row")
            },
        );
    });
}

// ---------------------------------------------------------------- turned off

static UNSHARED_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(single_flight = false)]
fn unshared(k: u64) -> u64 {
    UNSHARED_RUNS.fetch_add(1, SeqCst);
    std::thread::sleep(Duration::from_millis(50));
    k * 13
}

/// `single_flight = false` is the plain default: racing misses may each run
/// the body, and nobody waits.
#[test]
fn single_flight_false_never_waits() {
    watchdog("single_flight_false", TIMEOUT, || {
        let values = race(RACERS, |_| unshared(2));
        assert!(values.iter().all(|&v| v == 26), "{values:?}");
        let runs = UNSHARED_RUNS.load(SeqCst);
        assert!((1..=RACERS as u64).contains(&runs), "{runs} runs");
        let s = unshared::stats();
        assert_eq!(s.calls, RACERS as u64);
        assert_eq!(s.misses, runs);
        assert_eq!(s.waited, 0);
    });
}
