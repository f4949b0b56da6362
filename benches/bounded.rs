//! Bounded caches: hit ratio and throughput on Zipf traces, the cost of a hot
//! hit, and 1 vs 2 threads on hot hits.
//!
//! `cargo bench --bench bounded [-- PART...]`, PART = `trace`, `hot`, `scaling`
//! (default all three); `MEMO_BENCH_QUICK=1` for a short run.
//!
//! - `trace`: a seeded Zipf(0.99) trace over 100,000 keys (2,000,000 accesses),
//!   and the same trace with a one-pass scan of 50,000 fresh keys after every
//!   200,000 accesses; capacities 1,000 and 10,000; a deterministic ~200 ns
//!   body. One timed pass per strategy (plain `std::time`), hit ratio beside
//!   ns per access. Quick mode: traces a fifth as long.
//! - `hot`: 400 distinct keys all cached (capacity 1,024), the config
//!   validator's events, ns per hit (criterion medians / 4096).
//! - `scaling`: that hot-hit loop on 1 and 2 threads (barrier, same hits per
//!   thread, wall time), as `benches/scaling.rs` does.

#[macro_use]
mod common;

use std::cell::{Cell, RefCell};
use std::hint::black_box;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use cached::Cached;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Zipf};

use common::{validate_rule_slow, wall_time, Section, Strategy, EVENTS, EVENT_TYPES, RULES};

// ---------------------------------------------------------------- the trace part

/// Distinct keys of the Zipf trace.
const KEYS: u64 = 100_000;
/// The Zipf exponent.
const ZIPF_S: f64 = 0.99;
/// The seed of the trace.
const TRACE_SEED: u64 = 0x21FF_0099;
/// Rounds of mixing in the body (about 200 ns here; the run prints it).
const BODY_ROUNDS: u64 = 270;

thread_local! {
    static BODY_RUNS: Cell<u64> = const { Cell::new(0) };
}

/// The cached function of the trace part: deterministic integer mixing,
/// about 200 ns; counts its runs (for hit ratios counted by hand).
fn body(key: u64) -> u64 {
    BODY_RUNS.with(|c| c.set(c.get() + 1));
    let mut x = black_box(key) ^ 0x9E37_79B9_7F4A_7C15;
    for round in 0..BODY_ROUNDS {
        x = x.rotate_left(7).wrapping_add(0xBF58_476D_1CE4_E5B9) ^ round;
    }
    x
}

fn body_runs() -> u64 {
    BODY_RUNS.with(Cell::get)
}

/// `accesses` Zipf draws; with `scan`, after every `scan_every` draws a pass
/// over `scan_len` keys never seen before.
fn trace(accesses: usize, scan: Option<(usize, usize)>) -> Vec<u64> {
    let mut rng = StdRng::seed_from_u64(TRACE_SEED);
    let zipf = Zipf::new(KEYS as f64, ZIPF_S).expect("valid Zipf parameters");
    let mut out = Vec::with_capacity(accesses + accesses / 2);
    let mut fresh = 1u64 << 40;
    for i in 0..accesses {
        out.push(zipf.sample(&mut rng) as u64);
        if let Some((every, len)) = scan {
            if (i + 1) % every == 0 {
                for _ in 0..len {
                    out.push(fresh);
                    fresh += 1;
                }
            }
        }
    }
    out
}

macro_rules! bounded_fns {
    ($module:ident, $cap:literal) => {
        mod $module {
            /// `#[memoize(capacity = N)]` (default policy).
            #[memo::memoize(capacity = $cap)]
            pub fn memo_default(key: u64) -> u64 {
                super::body(key)
            }

            /// `#[memoize(capacity = N, policy = lru)]`.
            #[memo::memoize(capacity = $cap, policy = lru)]
            pub fn memo_lru(key: u64) -> u64 {
                super::body(key)
            }

            /// `cached` 4.1 `#[cached(max_size = N)]` (LRU).
            #[cached::macros::cached(max_size = $cap)]
            pub fn cached_lru(key: u64) -> u64 {
                super::body(key)
            }
        }
    };
}

bounded_fns!(cap_1k, 1000);
bounded_fns!(cap_10k, 10000);

/// The trace strategies, in table order.
const TRACE_STRATEGIES: [&str; 6] = [
    "memo_capacity",
    "memo_policy_lru",
    "quick_cache",
    "moka",
    "hashlink_mutex_lru",
    "cached_max_size",
];

/// Runs `trace` through strategy `name` at capacity `cap` from an empty cache:
/// (hits, hits reported by memo's `stats()` if memo, wall time).
fn run_trace(name: &str, cap: usize, trace: &[u64]) -> (u64, Option<u64>, Duration) {
    macro_rules! memo_run {
        ($f:path, $m:path) => {{
            use $m as m;
            m::clear();
            let runs = body_runs();
            let start = Instant::now();
            let mut sum = 0u64;
            for &k in trace {
                sum = sum.wrapping_add($f(k));
            }
            let took = start.elapsed();
            black_box(sum);
            let s = m::stats();
            assert!(
                s.entries <= cap,
                "{name}: {} entries > capacity {cap}",
                s.entries
            );
            assert_eq!(s.calls, trace.len() as u64);
            let hits = trace.len() as u64 - (body_runs() - runs);
            m::clear();
            (hits, Some(s.hits), took)
        }};
    }
    macro_rules! cached_run {
        ($f:path, $store:path) => {{
            $store.write().cache_clear();
            let runs = body_runs();
            let start = Instant::now();
            let mut sum = 0u64;
            for &k in trace {
                sum = sum.wrapping_add($f(k));
            }
            let took = start.elapsed();
            black_box(sum);
            $store.write().cache_clear();
            (trace.len() as u64 - (body_runs() - runs), None, took)
        }};
    }
    // The hand-driven caches: get, else compute and insert.
    fn drive(
        trace: &[u64],
        mut get: impl FnMut(u64) -> Option<u64>,
        mut insert: impl FnMut(u64, u64),
    ) -> (u64, Option<u64>, Duration) {
        let start = Instant::now();
        let mut sum = 0u64;
        let mut hits = 0u64;
        for &k in trace {
            let v = if let Some(v) = get(k) {
                hits += 1;
                v
            } else {
                let v = body(k);
                insert(k, v);
                v
            };
            sum = sum.wrapping_add(v);
        }
        let took = start.elapsed();
        black_box(sum);
        (hits, None, took)
    }
    match (name, cap) {
        ("memo_capacity", 1000) => memo_run!(cap_1k::memo_default, cap_1k::memo_default),
        ("memo_capacity", 10000) => memo_run!(cap_10k::memo_default, cap_10k::memo_default),
        ("memo_policy_lru", 1000) => memo_run!(cap_1k::memo_lru, cap_1k::memo_lru),
        ("memo_policy_lru", 10000) => memo_run!(cap_10k::memo_lru, cap_10k::memo_lru),
        ("cached_max_size", 1000) => cached_run!(cap_1k::cached_lru, cap_1k::CACHED_LRU),
        ("cached_max_size", 10000) => cached_run!(cap_10k::cached_lru, cap_10k::CACHED_LRU),
        ("quick_cache", _) => {
            let cache = quick_cache::sync::Cache::<u64, u64>::new(cap);
            drive(trace, |k| cache.get(&k), |k, v| cache.insert(k, v))
        }
        ("moka", _) => {
            let cache = moka::sync::Cache::<u64, u64>::new(cap as u64);
            drive(trace, |k| cache.get(&k), |k, v| cache.insert(k, v))
        }
        ("hashlink_mutex_lru", _) => {
            let cache = Mutex::new(hashlink::LruCache::<u64, u64>::new(cap));
            let lock = || cache.lock().unwrap_or_else(PoisonError::into_inner);
            drive(
                trace,
                |k| lock().get(&k).copied(),
                |k, v| {
                    lock().insert(k, v);
                },
            )
        }
        _ => unreachable!("no trace strategy {name} at capacity {cap}"),
    }
}

fn trace_part() {
    let quick = common::quick();
    let (accesses, every, scan_len) = if quick {
        (400_000, 40_000, 10_000)
    } else {
        (2_000_000, 200_000, 50_000)
    };
    // The body's own cost.
    let probe = 200_000u64;
    let start = Instant::now();
    let mut sum = 0u64;
    for k in 0..probe {
        sum = sum.wrapping_add(body(k));
    }
    black_box(sum);
    let body_ns = start.elapsed().as_secs_f64() * 1e9 / probe as f64;
    let traces = [
        (format!("Zipf({ZIPF_S}) over {KEYS} keys, {accesses} accesses"), trace(accesses, None)),
        (
            format!(
                "the same plus a one-pass scan of {scan_len} fresh keys after every {every} accesses ({} accesses)",
                accesses + accesses / every * scan_len
            ),
            trace(accesses, Some((every, scan_len))),
        ),
    ];
    println!("body: {BODY_ROUNDS} rounds of mixing, {body_ns:.0} ns per call; one timed pass per strategy, from an empty cache");
    println!();
    for (title, trace) in &traces {
        println!("{title}:");
        println!();
        println!("| strategy | hit ratio @1,000 | ns/access @1,000 | hit ratio @10,000 | ns/access @10,000 |");
        println!("|---|---:|---:|---:|---:|");
        for name in TRACE_STRATEGIES {
            let mut cells = Vec::new();
            for cap in [1000, 10000] {
                let (hits, memo_hits, took) = run_trace(name, cap, trace);
                if let Some(memo_hits) = memo_hits {
                    assert_eq!(
                        memo_hits, hits,
                        "{name}: stats().hits disagrees with the body's runs"
                    );
                }
                cells.push(format!("{:.3}", hits as f64 / trace.len() as f64));
                cells.push(format!(
                    "{:.1}",
                    took.as_secs_f64() * 1e9 / trace.len() as f64
                ));
            }
            println!("| {name} | {} |", cells.join(" | "));
        }
        println!();
    }
    println!("(memo's hit ratios are its `stats().hits / calls`, checked against the body's runs; the others' are counted by hand)");
    println!();
}

// ---------------------------------------------------------------- the hot-hit part

thread_local! {
    static HOT_BODY_RUNS: Cell<u64> = const { Cell::new(0) };
}

/// `validate_rule_slow` counting its runs (to check that hot hits are hits).
fn hot_body(rule_id: u32, event_type: u32) -> bool {
    HOT_BODY_RUNS.with(|c| c.set(c.get() + 1));
    validate_rule_slow(rule_id, event_type)
}

/// `#[memoize(capacity = 1024)]` (default policy).
#[memo::memoize(capacity = 1024)]
fn hot_memo_capacity(rule_id: u32, event_type: u32) -> bool {
    hot_body(rule_id, event_type)
}

/// `#[memoize(capacity = 1024, policy = lru)]`.
#[memo::memoize(capacity = 1024, policy = lru)]
fn hot_memo_lru(rule_id: u32, event_type: u32) -> bool {
    hot_body(rule_id, event_type)
}

/// `#[memoize]`, unbounded, shared.
#[memo::memoize]
fn hot_memo_shared(rule_id: u32, event_type: u32) -> bool {
    hot_body(rule_id, event_type)
}

/// `cached` 4.1 `#[cached(max_size = 1024)]`.
#[cached::macros::cached(max_size = 1024)]
fn hot_cached(rule_id: u32, event_type: u32) -> bool {
    hot_body(rule_id, event_type)
}

static QUICK: LazyLock<quick_cache::sync::Cache<(u32, u32), bool>> =
    LazyLock::new(|| quick_cache::sync::Cache::new(1024));

/// `quick_cache::sync::Cache` (1,024).
fn hot_quick_cache(rule_id: u32, event_type: u32) -> bool {
    let key = (rule_id, event_type);
    if let Some(v) = QUICK.get(&key) {
        return v;
    }
    let v = hot_body(rule_id, event_type);
    QUICK.insert(key, v);
    v
}

static MOKA: LazyLock<moka::sync::Cache<(u32, u32), bool>> =
    LazyLock::new(|| moka::sync::Cache::new(1024));

/// `moka::sync::Cache` (1,024).
fn hot_moka(rule_id: u32, event_type: u32) -> bool {
    let key = (rule_id, event_type);
    if let Some(v) = MOKA.get(&key) {
        return v;
    }
    let v = hot_body(rule_id, event_type);
    MOKA.insert(key, v);
    v
}

static HASHLINK: LazyLock<Mutex<hashlink::LruCache<(u32, u32), bool>>> =
    LazyLock::new(|| Mutex::new(hashlink::LruCache::new(1024)));

/// `Mutex<hashlink::LruCache>` (1,024), no lock held while computing.
fn hot_hashlink(rule_id: u32, event_type: u32) -> bool {
    let key = (rule_id, event_type);
    let lock = || HASHLINK.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&v) = lock().get(&key) {
        return v;
    }
    let v = hot_body(rule_id, event_type);
    lock().insert(key, v);
    v
}

thread_local! {
    static HOT_FX: RefCell<rustc_hash::FxHashMap<(u32, u32), bool>> = RefCell::default();
}

/// A thread-local unbounded `FxHashMap` (the reference).
fn hot_fx_thread_local(rule_id: u32, event_type: u32) -> bool {
    let key = (rule_id, event_type);
    if let Some(v) = HOT_FX.with(|m| m.borrow().get(&key).copied()) {
        return v;
    }
    let v = hot_body(rule_id, event_type);
    HOT_FX.with(|m| m.borrow_mut().insert(key, v));
    v
}

/// The hot-hit strategies; `scaling` marks those of the scaling part.
static HOT: &[Strategy] = &[
    strategy!(Bounded, "memo_capacity_1024", true, hot_memo_capacity),
    strategy!(Bounded, "memo_policy_lru_1024", true, hot_memo_lru),
    strategy!(Bounded, "quick_cache_1024", true, hot_quick_cache),
    strategy!(Bounded, "moka_1024", true, hot_moka),
    strategy!(Bounded, "hashlink_mutex_lru_1024", true, hot_hashlink),
    strategy!(Bounded, "cached_max_size_1024", true, hot_cached),
    strategy!(Bounded, "memo_shared_unbounded", false, hot_memo_shared),
    strategy!(Bounded, "fx_thread_local", true, hot_fx_thread_local),
];

const HOT_GROUP: &str = "bounded_hot_hit";

/// Warms `s` and checks that a pass over `events` then runs no body.
fn warm_and_check(s: &Strategy, events: &[(u32, u32)], expected: usize) {
    (s.warm)();
    (s.warm)();
    let before = HOT_BODY_RUNS.with(Cell::get);
    assert_eq!((s.run)(events), expected, "{} gives wrong answers", s.name);
    let misses = HOT_BODY_RUNS.with(Cell::get) - before;
    assert_eq!(misses, 0, "{}: {misses} misses on a warm pass", s.name);
}

fn hot_part(events: &[(u32, u32)], expected: usize) {
    let since = SystemTime::now();
    let mut c = common::criterion_config();
    let mut g = c.benchmark_group(HOT_GROUP);
    g.throughput(criterion::Throughput::Elements(events.len() as u64));
    for s in HOT {
        warm_and_check(s, events, expected);
        g.bench_function(s.name, |b| b.iter(|| (s.run)(black_box(events))));
    }
    g.finish();
    c.final_summary();
    println!();
    println!("hot hits: 400 distinct keys, all cached (capacity 1,024), criterion medians:");
    println!();
    println!("| strategy | median ns/hit | 95% CI of median | x fx_thread_local |");
    println!("|---|---:|---:|---:|");
    let per = events.len() as f64;
    let base = common::criterion_median(HOT_GROUP, "fx_thread_local", since).map(|m| m.0);
    for s in HOT {
        if let Some((m, lo, hi)) = common::criterion_median(HOT_GROUP, s.name, since) {
            let x = base.map_or(String::from("–"), |b| format!("{:.1}", m / b));
            println!(
                "| {} | {:.2} | {:.2}–{:.2} | {x} |",
                s.name,
                m / per,
                lo / per,
                hi / per
            );
        }
    }
    println!();
}

// ---------------------------------------------------------------- the scaling part

fn scaling_part(events: &[(u32, u32)]) {
    let (runs, target) = if common::quick() {
        (3, Duration::from_millis(10))
    } else {
        (9, Duration::from_millis(30))
    };
    let chosen: Vec<&Strategy> = HOT.iter().filter(|s| s.scaling).collect();
    let batches: Vec<usize> = chosen
        .iter()
        .map(|s| {
            let probe = 20;
            let per_batch = wall_time(s, events, 1, probe).as_secs_f64() / probe as f64;
            ((target.as_secs_f64() / per_batch) as usize).max(probe)
        })
        .collect();
    let mut samples = vec![(Vec::new(), Vec::new(), Vec::new()); chosen.len()];
    for _ in 0..runs {
        for (i, s) in chosen.iter().enumerate() {
            let lookups = (batches[i] * events.len()) as f64;
            let t1 = wall_time(s, events, 1, batches[i]).as_secs_f64();
            let t2 = wall_time(s, events, 2, batches[i]).as_secs_f64();
            samples[i].0.push(t1 * 1e9 / lookups);
            samples[i].1.push(t2 * 1e9 / (2.0 * lookups));
            samples[i].2.push(2.0 * t1 / t2);
        }
    }
    let reference = chosen
        .iter()
        .position(|s| s.name == "fx_thread_local")
        .expect("the reference is chosen");
    println!(
        "hot hits, 1 vs 2 threads: median of {runs} rounds (each: every strategy, 1 then 2 threads), \
         each thread about {} ms of hits, {} cores:",
        target.as_millis(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!();
    println!("| strategy | 1 thread ns/op | 2 threads ns/op (total) | ratio 2T/1T | ratio ÷ fx_thread_local's (paired) |");
    println!("|---|---:|---:|---:|---:|");
    let mut paired = Vec::new();
    for (i, s) in chosen.iter().enumerate() {
        let mut per_round: Vec<f64> = samples[i]
            .2
            .iter()
            .zip(&samples[reference].2)
            .map(|(x, y)| x / y)
            .collect();
        let p = common::median(&mut per_round);
        paired.push((s.name, p));
        let (one, two, ratio) = &mut samples[i];
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {p:.2} |",
            s.name,
            common::median(one),
            common::median(two),
            common::median(ratio)
        );
    }
    println!();
    for (name, p) in paired.iter().filter(|(n, _)| n.starts_with("memo")) {
        let verdict = if *p >= 0.9 { "met" } else { "missed" };
        println!("{name}: ratio / fx_thread_local's ratio = {p:.2} (goal >= 0.9: {verdict})");
    }
    println!();
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |part: &str| args.is_empty() || args.iter().any(|a| a == part);
    if want("trace") {
        trace_part();
    }
    let events = common::events(EVENTS);
    let expected = events
        .iter()
        .filter(|&&(r, e)| validate_rule_slow(r, e))
        .count();
    if want("hot") {
        hot_part(&events, expected);
    }
    if want("scaling") {
        for s in HOT.iter().filter(|s| s.scaling) {
            warm_and_check(s, &events, expected);
        }
        scaling_part(&events);
    }
}
