//! Issue 9's speed figures: what `single_flight`, `async fn` and generics add
//! to a hit, and how long sixteen threads released together on one cold key
//! take with single-flight.
//!
//! `cargo bench --bench issue9 [-- FILTER]`; `MEMO_BENCH_QUICK=1` for a short
//! run. Hits use the config validator's 4096 events over a warm cache
//! (`benches/README.md`); ns per event = criterion median / 4096.
//!
//! - `issue9_1_single_flight`: `#[memoize]` vs `#[memoize(single_flight)]`,
//!   same body, both shared. Goal: single-flight within 1.1x.
//! - `issue9_2_async`: `#[memoize] async fn` hits awaited in a loop (one
//!   `block_on` per batch) on a tokio current-thread runtime, beside the sync
//!   hits of the same function shape, plain and single-flight. Goal: within 2x.
//! - `issue9_3_generic`: `f::<u64>` vs the same non-generic fn. Goal: 1.3x.
//! - Then, not criterion (printed whatever the filter): 16 threads released
//!   by a barrier on one cold key whose body sleeps 10 ms; wall time from the
//!   first thread's release to the last one's return, median of 10 rounds
//!   (`clear()` between rounds), and body runs per round. Goal: 1 run,
//!   <= 15 ms. The same for plain `#[memoize]`, for comparison.

mod common;

use std::hash::Hash;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use common::{validate_rule_slow, EVENTS};

// ---------------------------------------------------------------- the cached functions

/// `#[memoize]`: shared, the plain hit.
#[memo::memoize]
fn plain(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `#[memoize(single_flight)]`: the same.
#[memo::memoize(single_flight)]
fn flight(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `#[memoize] async fn` (single-flight by default): the same.
#[memo::memoize]
async fn awaited(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// Events are in `0..20`.
fn narrow(x: impl Into<u64>) -> u32 {
    u32::try_from(x.into()).expect("an event field fits in u32")
}

/// Generic over the integer type; measured as `generic::<u64>`.
#[memo::memoize]
fn generic<T: Into<u64> + Copy + Eq + Hash + Send + Sync + 'static>(
    rule_id: T,
    event_type: T,
) -> bool {
    validate_rule_slow(narrow(rule_id), narrow(event_type))
}

/// `generic::<u64>` written out.
#[memo::memoize]
fn concrete(rule_id: u64, event_type: u64) -> bool {
    validate_rule_slow(narrow(rule_id), narrow(event_type))
}

/// Issue 14's sliding expiry: the same body with a `ttl`, without and with
/// `refresh` (a hit then restarts the entry's time to live: a clock read and
/// a write to the entry). Shared and `thread_local`.
#[memo::memoize(ttl = "1h")]
fn expiring(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

#[memo::memoize(ttl = "1h", refresh)]
fn sliding(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

#[memo::memoize(ttl = "1h", thread_local)]
fn expiring_local(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

#[memo::memoize(ttl = "1h", refresh, thread_local)]
fn sliding_local(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// The valid events of a batch, counted through `$f` called directly (so it
/// can be inlined, as in a user's code).
macro_rules! valid {
    ($f:path, $events:expr) => {{
        let mut valid = 0usize;
        for &(rule_id, event_type) in $events {
            valid += usize::from(black_box($f(rule_id, event_type)));
        }
        valid
    }};
}

/// The same for the async fn: each hit awaited in turn.
async fn valid_awaited(events: &[(u32, u32)]) -> usize {
    let mut valid = 0usize;
    for &(rule_id, event_type) in events {
        valid += usize::from(black_box(awaited(rule_id, event_type).await));
    }
    valid
}

// ---------------------------------------------------------------- hits

fn hits(c: &mut Criterion) {
    let events = common::events(EVENTS);
    let wide: Vec<(u64, u64)> = events
        .iter()
        .map(|&(r, e)| (u64::from(r), u64::from(e)))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread tokio runtime");

    // Warm every cache, and check that every way agrees.
    let expected = events
        .iter()
        .filter(|&&(r, e)| validate_rule_slow(r, e))
        .count();
    assert_eq!(valid!(plain, &events), expected);
    assert_eq!(valid!(flight, &events), expected);
    assert_eq!(runtime.block_on(valid_awaited(&events)), expected);
    assert_eq!(valid!(generic::<u64>, &wide), expected);
    assert_eq!(valid!(concrete, &wide), expected);
    eprintln!(
        "{expected} of {} events valid; every function agrees",
        events.len()
    );

    let mut group = c.benchmark_group("issue9_1_single_flight");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("plain", |b| b.iter(|| valid!(plain, black_box(&events))));
    group.bench_function("single_flight", |b| {
        b.iter(|| valid!(flight, black_box(&events)))
    });
    group.finish();

    let mut group = c.benchmark_group("issue9_2_async");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("async_await_loop", |b| {
        b.iter(|| runtime.block_on(valid_awaited(black_box(&events))))
    });
    group.bench_function("sync_plain", |b| {
        b.iter(|| valid!(plain, black_box(&events)))
    });
    group.bench_function("sync_single_flight", |b| {
        b.iter(|| valid!(flight, black_box(&events)))
    });
    group.finish();

    for f in [expiring, sliding, expiring_local, sliding_local] {
        assert_eq!(valid!(f, &events), expected);
    }
    let mut group = c.benchmark_group("issue14_refresh");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("ttl", |b| b.iter(|| valid!(expiring, black_box(&events))));
    group.bench_function("ttl_refresh", |b| {
        b.iter(|| valid!(sliding, black_box(&events)))
    });
    group.bench_function("ttl_thread_local", |b| {
        b.iter(|| valid!(expiring_local, black_box(&events)))
    });
    group.bench_function("ttl_refresh_thread_local", |b| {
        b.iter(|| valid!(sliding_local, black_box(&events)))
    });
    group.finish();

    let mut group = c.benchmark_group("issue9_3_generic");
    group.throughput(Throughput::Elements(wide.len() as u64));
    group.bench_function("generic_u64", |b| {
        b.iter(|| valid!(generic::<u64>, black_box(&wide)))
    });
    group.bench_function("concrete_u64", |b| {
        b.iter(|| valid!(concrete, black_box(&wide)))
    });
    group.finish();
}

// ---------------------------------------------------------------- 16 threads, one cold key

const THREADS: usize = 16;
const ROUNDS: usize = 10;
const BODY: Duration = Duration::from_millis(10);

static SLEEPER_RUNS: AtomicU64 = AtomicU64::new(0);

#[memo::memoize(single_flight)]
fn sleeper(key: u32) -> u32 {
    SLEEPER_RUNS.fetch_add(1, Ordering::Relaxed);
    std::thread::sleep(BODY);
    key
}

static SLEEPER_PLAIN_RUNS: AtomicU64 = AtomicU64::new(0);

#[memo::memoize]
fn sleeper_plain(key: u32) -> u32 {
    SLEEPER_PLAIN_RUNS.fetch_add(1, Ordering::Relaxed);
    std::thread::sleep(BODY);
    key
}

/// One round: `THREADS` threads wait at a barrier, then each calls `f(7)`.
/// Returns the wall time from the first thread's release to the last
/// thread's return (both read by the threads themselves).
fn release_round(f: fn(u32) -> u32) -> Duration {
    let barrier = Barrier::new(THREADS);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    let start = Instant::now();
                    assert_eq!(black_box(f(black_box(7))), 7);
                    (start, Instant::now())
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("a released thread panicked"))
            .collect()
    });
    let first = spans.iter().map(|s| s.0).min().expect("threads");
    let last = spans.iter().map(|s| s.1).max().expect("threads");
    last - first
}

/// `ROUNDS` rounds from an empty cache; prints the median wall time and the
/// body runs of each round.
fn release(name: &str, f: fn(u32) -> u32, clear: fn(), runs: &AtomicU64) {
    let mut walls = Vec::with_capacity(ROUNDS);
    let mut runs_per_round = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        clear();
        runs.store(0, Ordering::Relaxed);
        walls.push(release_round(f).as_secs_f64() * 1e3);
        runs_per_round.push(runs.load(Ordering::Relaxed));
    }
    let (min, max) = walls.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), &w| {
        (lo.min(w), hi.max(w))
    });
    let median = common::median(&mut walls);
    println!(
        "{name}: {THREADS} threads, one cold key, {} ms body: median {median:.2} ms \
         (min {min:.2}, max {max:.2}) over {ROUNDS} rounds; body runs per round {runs_per_round:?}",
        BODY.as_millis()
    );
}

fn release_16(_: &mut Criterion) {
    println!();
    release(
        "release16/single_flight",
        sleeper,
        sleeper::clear,
        &SLEEPER_RUNS,
    );
    release(
        "release16/plain",
        sleeper_plain,
        sleeper_plain::clear,
        &SLEEPER_PLAIN_RUNS,
    );
    println!("goal: single_flight 1 body run per round, median <= 15 ms");
    println!();
}

criterion_group! {
    name = benches;
    // 50 samples of 2 s; `MEMO_BENCH_QUICK=1`: 10 of 0.5 s.
    config = common::criterion_config();
    targets = hits, release_16
}
criterion_main!(benches);
