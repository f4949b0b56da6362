//! The config-validator workload and every strategy the benchmarks compare,
//! shared by `hit_path` (criterion), `scaling` (1 vs 2 threads) and
//! `callgrind_probe` (instructions per event).
//!
//! Each strategy is a function `(rule_id, event_type) -> bool` with the same
//! answer as [`validate_rule_slow`]; [`Strategy::run`] is a loop over the
//! events that calls it directly (so it can be inlined, as in a user's code),
//! and only the loop is reached through a function pointer.

// Each bench binary uses a different part of this module.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, LazyLock, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rustc_hash::FxHashMap;

/// 20 rules.
pub const RULES: u32 = 20;
/// 20 event types.
pub const EVENT_TYPES: u32 = 20;
const DOMAIN: usize = (RULES * EVENT_TYPES) as usize;

/// Events per batch: one criterion iteration processes them all.
pub const EVENTS: usize = 4096;
/// The seed of the event vector, so every run sees the same events.
pub const SEED: u64 = 0x5EED_2024;

/// `EVENTS` seeded random `(rule_id, event_type)` pairs in `0..20 x 0..20`.
pub fn events(n: usize) -> Vec<(u32, u32)> {
    let mut rng = StdRng::seed_from_u64(SEED);
    (0..n)
        .map(|_| (rng.random_range(0..RULES), rng.random_range(0..EVENT_TYPES)))
        .collect()
}

/// The function being cached: 50 rounds of cheap integer mixing of the
/// inputs; deterministic, about 2 in 3 pairs valid. `const` so that a table
/// of it can be built at compile time.
pub const fn validate_rule_slow(rule_id: u32, event_type: u32) -> bool {
    let mut x = rule_id.wrapping_mul(0x9E37_79B9) ^ event_type.wrapping_mul(0x85EB_CA6B);
    let mut y = event_type ^ 0x27D4_EB2F;
    let mut round = 0;
    while round < 50 {
        x = x.rotate_left(5).wrapping_add(y) ^ round;
        y = y.rotate_left(11) ^ x;
        round += 1;
    }
    (x ^ y) % 3 != 0
}

// ---------------------------------------------------------------- hand-written

thread_local! {
    static FX_LOCAL: RefCell<FxHashMap<(u32, u32), bool>> = RefCell::new(FxHashMap::default());
}

/// A thread-local `FxHashMap`, the way a user writes it.
pub fn hand_fx_thread_local(rule_id: u32, event_type: u32) -> bool {
    let key = (rule_id, event_type);
    if let Some(valid) = FX_LOCAL.with(|map| map.borrow().get(&key).copied()) {
        return valid;
    }
    let valid = validate_rule_slow(rule_id, event_type);
    FX_LOCAL.with(|map| map.borrow_mut().insert(key, valid));
    valid
}

static FX_MUTEX: LazyLock<Mutex<FxHashMap<(u32, u32), bool>>> = LazyLock::new(Mutex::default);

/// One `Mutex<FxHashMap>` shared by all threads (no lock held while computing).
pub fn hand_mutex_fx(rule_id: u32, event_type: u32) -> bool {
    let key = (rule_id, event_type);
    let lock = || FX_MUTEX.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&valid) = lock().get(&key) {
        return valid;
    }
    let valid = validate_rule_slow(rule_id, event_type);
    lock().insert(key, valid);
    valid
}

const fn build_flat() -> [bool; DOMAIN] {
    let mut table = [false; DOMAIN];
    let mut i = 0;
    while i < DOMAIN {
        table[i] = validate_rule_slow(i as u32 / EVENT_TYPES, i as u32 % EVENT_TYPES);
        i += 1;
    }
    table
}

const fn build_2d() -> [[bool; EVENT_TYPES as usize]; RULES as usize] {
    let mut table = [[false; EVENT_TYPES as usize]; RULES as usize];
    let mut r = 0;
    while r < RULES as usize {
        let mut e = 0;
        while e < EVENT_TYPES as usize {
            table[r][e] = validate_rule_slow(r as u32, e as u32);
            e += 1;
        }
        r += 1;
    }
    table
}

/// Built at compile time: the cheapest possible hit.
static FLAT: [bool; DOMAIN] = build_flat();
static TABLE_2D: [[bool; EVENT_TYPES as usize]; RULES as usize] = build_2d();
/// Built on first use, as a table of a non-`const` function has to be.
static FLAT_LAZY: LazyLock<[bool; DOMAIN]> = LazyLock::new(build_flat);

/// A flat row-major `[bool; 400]` built at compile time, with the out-of-domain fallback.
#[inline]
pub fn hand_flat(rule_id: u32, event_type: u32) -> bool {
    if rule_id < RULES && event_type < EVENT_TYPES {
        FLAT[(rule_id * EVENT_TYPES + event_type) as usize]
    } else {
        validate_rule_slow(rule_id, event_type)
    }
}

/// The same flat table behind a `LazyLock` (built at the first call).
pub fn hand_flat_lazy(rule_id: u32, event_type: u32) -> bool {
    if rule_id < RULES && event_type < EVENT_TYPES {
        FLAT_LAZY[(rule_id * EVENT_TYPES + event_type) as usize]
    } else {
        validate_rule_slow(rule_id, event_type)
    }
}

static FLAT_BOXED: OnceLock<Box<[bool; DOMAIN]>> = OnceLock::new();

/// The flat table in a `OnceLock<Box<[bool; 400]>>` (the shape of a
/// non-`const` `#[precompute]` table), built at the first call.
pub fn hand_flat_oncelock(rule_id: u32, event_type: u32) -> bool {
    if rule_id < RULES && event_type < EVENT_TYPES {
        FLAT_BOXED.get_or_init(|| Box::new(build_flat()))
            [(rule_id * EVENT_TYPES + event_type) as usize]
    } else {
        validate_rule_slow(rule_id, event_type)
    }
}

thread_local! {
    static BOXED_LOCAL_CALLS: Cell<u64> = const { Cell::new(0) };
}

/// `hand_flat_oncelock` plus a thread-local `Cell<u64>` call counter.
pub fn hand_flat_oncelock_local_counter(rule_id: u32, event_type: u32) -> bool {
    BOXED_LOCAL_CALLS.with(|calls| calls.set(calls.get() + 1));
    hand_flat_oncelock(rule_id, event_type)
}

/// A `[[bool; 20]; 20]` built at compile time.
pub fn hand_2d(rule_id: u32, event_type: u32) -> bool {
    if rule_id < RULES && event_type < EVENT_TYPES {
        TABLE_2D[rule_id as usize][event_type as usize]
    } else {
        validate_rule_slow(rule_id, event_type)
    }
}

static FLAT_CALLS: AtomicU64 = AtomicU64::new(0);

/// The flat table plus one shared relaxed `fetch_add` call counter.
pub fn hand_flat_atomic_counter(rule_id: u32, event_type: u32) -> bool {
    FLAT_CALLS.fetch_add(1, Ordering::Relaxed);
    hand_flat(rule_id, event_type)
}

thread_local! {
    static FLAT_LOCAL_CALLS: Cell<u64> = const { Cell::new(0) };
}

/// The flat table plus one thread-local `Cell<u64>` call counter.
pub fn hand_flat_local_counter(rule_id: u32, event_type: u32) -> bool {
    FLAT_LOCAL_CALLS.with(|calls| calls.set(calls.get() + 1));
    hand_flat(rule_id, event_type)
}

/// No cache.
pub fn naive(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

// ---------------------------------------------------------------- peers

/// `cached` 4.1 default: one unbounded store behind a lock, shared by all threads.
#[cached::macros::cached]
pub fn cached_default(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `cached` 4.1 with its LRU store (`max_size`, formerly `size`).
#[cached::macros::cached(max_size = 1024)]
pub fn cached_sized(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `cached` 4.1 sharded store (`#[concurrent_cached]`, unbounded).
#[cached::macros::concurrent_cached]
pub fn cached_sharded(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `memoize` 0.6 default: a thread-local std `HashMap` (SipHash).
#[memoize::memoize]
pub fn memoize_default(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `memoize` 0.6 `SharedCache`: one `Mutex<HashMap>` shared by all threads.
#[memoize::memoize(SharedCache)]
pub fn memoize_shared(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

// ---------------------------------------------------------------- memo

/// `#[memoize(thread_local)]`: one cache per thread.
#[memo::memoize(thread_local)]
pub fn memo_thread_local(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `#[memoize]`: one cache shared by all threads.
#[memo::memoize]
pub fn memo_shared(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `#[memoize(capacity = 1024)]`: shared, exact LRU.
#[memo::memoize(capacity = 1024)]
pub fn memo_capacity(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `#[precompute]` over a non-`const` fn: the table is built at the first call.
#[memo::precompute(domain = (0..20, 0..20))]
pub fn memo_precompute(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `#[precompute]` over a `const fn`: the table is built at compile time.
#[memo::precompute(domain = (0..20, 0..20))]
pub const fn memo_precompute_const(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// `#[counted]`: no cache, counters only.
#[memo::counted]
pub fn memo_counted(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

// ---------------------------------------------------------------- the table

/// Which comparison a strategy belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Section {
    /// Thread-local caches.
    ThreadLocal,
    /// Shared, unbounded caches.
    Shared,
    /// Shared, bounded (LRU) caches.
    Bounded,
    /// Precomputed tables.
    Table,
    /// No cache.
    Naive,
}

impl Section {
    /// Every section, in report order.
    pub const ALL: [Section; 5] = [
        Section::ThreadLocal,
        Section::Shared,
        Section::Bounded,
        Section::Table,
        Section::Naive,
    ];

    /// The criterion group name.
    pub fn group(self) -> &'static str {
        match self {
            Section::ThreadLocal => "1_thread_local",
            Section::Shared => "2_shared",
            Section::Bounded => "3_bounded",
            Section::Table => "4_table",
            Section::Naive => "5_naive",
        }
    }
}

/// One way of answering `validate_rule_slow`.
pub struct Strategy {
    /// Its benchmark id.
    pub name: &'static str,
    /// Its comparison.
    pub section: Section,
    /// Whether the scaling benchmark runs it.
    pub scaling: bool,
    /// Fills this thread's cache (or builds the table) with all 400 inputs.
    pub warm: fn(),
    /// Processes a batch of events, calling the strategy once per event;
    /// returns the number of valid events.
    pub run: fn(&[(u32, u32)]) -> usize,
}

macro_rules! strategy {
    ($section:ident, $name:literal, $scaling:literal, $f:path) => {
        Strategy {
            name: $name,
            section: Section::$section,
            scaling: $scaling,
            warm: || {
                for rule_id in 0..RULES {
                    for event_type in 0..EVENT_TYPES {
                        black_box($f(black_box(rule_id), black_box(event_type)));
                    }
                }
            },
            run: |events| {
                let mut valid = 0usize;
                for &(rule_id, event_type) in events {
                    valid += usize::from(black_box($f(rule_id, event_type)));
                }
                valid
            },
        }
    };
}

/// Every strategy, in report order.
pub static STRATEGIES: &[Strategy] = &[
    strategy!(
        ThreadLocal,
        "hand_fx_thread_local",
        true,
        hand_fx_thread_local
    ),
    strategy!(ThreadLocal, "memo_thread_local", true, memo_thread_local),
    strategy!(ThreadLocal, "memoize_crate_default", true, memoize_default),
    strategy!(Shared, "memo_shared", true, memo_shared),
    strategy!(Shared, "cached_default", true, cached_default),
    strategy!(Shared, "cached_sharded", true, cached_sharded),
    strategy!(Shared, "memoize_crate_shared", true, memoize_shared),
    strategy!(Shared, "hand_mutex_fx", true, hand_mutex_fx),
    strategy!(Bounded, "memo_capacity_1024", true, memo_capacity),
    strategy!(Bounded, "cached_max_size_1024", true, cached_sized),
    strategy!(Table, "hand_flat", true, hand_flat),
    strategy!(Table, "memo_precompute", true, memo_precompute),
    strategy!(Table, "memo_precompute_const", false, memo_precompute_const),
    strategy!(Table, "hand_flat_lazy", false, hand_flat_lazy),
    strategy!(Table, "hand_flat_oncelock", false, hand_flat_oncelock),
    strategy!(
        Table,
        "hand_flat_oncelock_local_counter",
        false,
        hand_flat_oncelock_local_counter
    ),
    strategy!(Table, "hand_2d", false, hand_2d),
    strategy!(
        Table,
        "hand_flat_atomic_counter",
        true,
        hand_flat_atomic_counter
    ),
    strategy!(
        Table,
        "hand_flat_local_counter",
        false,
        hand_flat_local_counter
    ),
    strategy!(Naive, "naive", false, naive),
    strategy!(Naive, "memo_counted_naive", false, memo_counted),
];

/// The strategy called `name`.
pub fn strategy(name: &str) -> Option<&'static Strategy> {
    STRATEGIES.iter().find(|s| s.name == name)
}

/// Checks that every strategy agrees with the naive function on `events`.
pub fn check_all_agree(events: &[(u32, u32)]) -> usize {
    let expected = events
        .iter()
        .filter(|&&(r, e)| validate_rule_slow(r, e))
        .count();
    for s in STRATEGIES {
        (s.warm)();
        let got = (s.run)(events);
        assert_eq!(
            got, expected,
            "{} disagrees with validate_rule_slow",
            s.name
        );
    }
    expected
}

// ---------------------------------------------------------------- bench helpers

pub mod cold;

/// `MEMO_BENCH_QUICK=1`: fewer samples and shorter traces in every bench.
pub fn quick() -> bool {
    std::env::var_os("MEMO_BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The criterion settings of the hit-path style benches (50 samples of 2 s;
/// quick mode: 10 samples of 0.5 s).
pub fn criterion_config() -> criterion::Criterion {
    use std::time::Duration;
    let c = criterion::Criterion::default();
    if quick() {
        c.warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(500))
            .sample_size(10)
    } else {
        c.warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .sample_size(50)
    }
}

/// Criterion's output directory (`CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`,
/// else `target/criterion`), as criterion itself picks it.
pub fn criterion_dir() -> std::path::PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
    std::path::PathBuf::from(target).join("criterion")
}

/// The median (ns per iteration) and its 95 % confidence interval of the
/// benchmark `group/name`, if criterion wrote it after `since`.
pub fn criterion_median(
    group: &str,
    name: &str,
    since: std::time::SystemTime,
) -> Option<(f64, f64, f64)> {
    let path = criterion_dir()
        .join(group)
        .join(name)
        .join("new")
        .join("estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let median = &json["median"];
    Some((
        median["point_estimate"].as_f64()?,
        median["confidence_interval"]["lower_bound"].as_f64()?,
        median["confidence_interval"]["upper_bound"].as_f64()?,
    ))
}

/// The median of `values` (sorts them).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Wall time of `threads` threads each running `batches` batches of `events`:
/// from the first thread's start to the last thread's end, both read by the
/// workers themselves (a main thread waiting for a core would read them late).
pub fn wall_time(
    strategy: &Strategy,
    events: &[(u32, u32)],
    threads: usize,
    batches: usize,
) -> Duration {
    let barrier = Barrier::new(threads);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    (strategy.warm)();
                    (strategy.run)(events);
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..batches {
                        black_box((strategy.run)(black_box(events)));
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a benchmark thread panicked"))
            .collect()
    });
    let first = spans
        .iter()
        .map(|s| s.0)
        .min()
        .expect("at least one thread");
    let last = spans
        .iter()
        .map(|s| s.1)
        .max()
        .expect("at least one thread");
    last - first
}
