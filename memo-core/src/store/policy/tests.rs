//! Exact-order tests for LRU, invariant tests for both policies, and the
//! hit-ratio and cost measurements that chose S3-FIFO and its parameters:
//!
//! ```text
//! cargo test -p memo-core --release -- --ignored --nocapture hit_ratios
//! cargo test -p memo-core --release -- --ignored --nocapture s3fifo_tuning
//! ```

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Zipf};

use super::s3fifo::Tuning;
use super::*;
use crate::store::map::Expiry;

type N = Arc<Node<u64, u64>>;

fn hasher() -> foldhash::fast::FixedState {
    foldhash::fast::FixedState::with_seed(0x5eed)
}

fn hash(key: u64) -> u64 {
    hasher().hash_one(key)
}

fn node(key: u64) -> N {
    Arc::new(Node::new(
        hash(key),
        key,
        key.wrapping_mul(10),
        Expiry::default(),
    ))
}

/// The cache-aside use the caches make of a policy: a hit records an access,
/// a miss inserts. Returns whether it hit.
fn call(policy: &mut Policy<u64, u64>, key: u64, out: &mut Vec<N>) -> bool {
    if policy.get(hash(key), |k| *k == key).is_some() {
        return true;
    }
    policy.insert(node(key), out);
    out.clear();
    false
}

fn lru_order(policy: &Policy<u64, u64>) -> Vec<u64> {
    match policy {
        Policy::Lru(lru) => lru.order().into_iter().copied().collect(),
        Policy::S3Fifo(_) => unreachable!("an LRU policy"),
    }
}

// ---------------------------------------------------------------- LRU order

#[test]
fn lru_hit_protects_from_eviction() {
    // f(1), f(2), f(1), f(3) evicts 2; f(2) then misses.
    let mut lru = Policy::new(2, true);
    let out = &mut Vec::new();
    let calls: Vec<bool> = [1, 2, 1, 3, 2]
        .iter()
        .map(|&k| call(&mut lru, k, out))
        .collect();
    assert_eq!(calls, [false, false, true, false, false]);
    assert_eq!(lru_order(&lru), [3, 2]);
}

/// CPython `test_lru`, "test size two".
#[test]
fn lru_cpython_size_two() {
    let mut lru = Policy::new(2, true);
    let out = &mut Vec::new();
    let keys = [7, 9, 7, 9, 7, 9, 8, 8, 8, 9, 9, 9, 8, 8, 8, 7];
    let hits = keys.iter().filter(|&&k| call(&mut lru, k, out)).count();
    assert_eq!((hits, keys.len() - hits, lru.len()), (12, 4, 2));
}

/// CPython `test_lru`, "test size one": ten calls, one body run.
#[test]
fn lru_cpython_size_one() {
    let mut lru = Policy::new(1, true);
    let out = &mut Vec::new();
    let misses = (0..10).filter(|_| !call(&mut lru, 0, out)).count();
    assert_eq!(misses, 1);
}

/// CPython `test_lru`: maxsize 20 over a 5 x 5 domain, 1000 random calls.
#[test]
fn lru_cpython_random_calls() {
    let mut lru = Policy::new(20, true);
    let out = &mut Vec::new();
    let mut rng = StdRng::seed_from_u64(1);
    let mut hits = 0;
    for _ in 0..1000 {
        let (x, y) = (rng.random_range(0..5u64), rng.random_range(0..5u64));
        hits += usize::from(call(&mut lru, 3 * x + y + 100 * x, out));
    }
    assert!(hits > 1000 - hits);
    assert_eq!(lru.len(), 20);
}

/// The example in CPython's `functools` docs: `[fib(n) for n in range(16)]`
/// leaves `CacheInfo(hits=28, misses=16)`.
#[test]
fn lru_cpython_fib() {
    fn fib(n: u64, lru: &mut Policy<u64, u64>, counts: &mut (u32, u32)) -> u64 {
        if let Some(node) = lru.get(hash(n), |k| *k == n) {
            counts.0 += 1;
            return node.value;
        }
        counts.1 += 1;
        let value = if n < 2 {
            n
        } else {
            fib(n - 1, lru, counts) + fib(n - 2, lru, counts)
        };
        lru.insert(
            Arc::new(Node::new(hash(n), n, value, Expiry::default())),
            &mut Vec::new(),
        );
        value
    }
    let mut lru = Policy::new(16, true);
    let mut counts = (0, 0);
    let values: Vec<u64> = (0..16).map(|n| fib(n, &mut lru, &mut counts)).collect();
    assert_eq!(values[15], 610);
    assert_eq!(counts, (28, 16));
}

/// Every operation against a plain vector kept in LRU order.
#[test]
fn lru_matches_a_reference_model() {
    let mut rng = StdRng::seed_from_u64(2);
    for capacity in [1, 2, 3, 8] {
        let mut lru = Policy::new(capacity, true);
        let mut model: Vec<u64> = Vec::new();
        let mut held: HashMap<u64, N> = HashMap::new();
        let out = &mut Vec::new();
        for _ in 0..5000 {
            let key = rng.random_range(0..12u64);
            match rng.random_range(0..10) {
                0..=3 => {
                    let hit = call(&mut lru, key, out);
                    assert_eq!(hit, model.contains(&key));
                    model.retain(|&k| k != key);
                    model.push(key);
                    if model.len() > capacity {
                        model.remove(0);
                    }
                }
                4..=5 => {
                    // An access through a node found earlier, maybe evicted since.
                    if let Some(n) = held.get(&key) {
                        lru.access(n);
                        if n.is_alive() {
                            model.retain(|&k| k != key);
                            model.push(key);
                        }
                    }
                }
                6 => {
                    if let Some(n) = lru.find(hash(key), |k| *k == key) {
                        held.insert(key, n.clone());
                    }
                }
                7 => {
                    let replaced = model.contains(&key);
                    let evicted = lru.insert(node(key), out);
                    assert_eq!(out.len(), 1.min(usize::from(replaced) + evicted as usize));
                    assert!(out.iter().all(|n| !n.is_alive()));
                    assert_eq!(evicted, u64::from(!replaced && model.len() == capacity));
                    out.clear();
                    model.retain(|&k| k != key);
                    model.push(key);
                    if model.len() > capacity {
                        model.remove(0);
                    }
                }
                8 => {
                    let removed = lru.remove(hash(key), |k| *k == key);
                    assert_eq!(removed.is_some(), model.contains(&key));
                    assert!(removed.is_none_or(|n| !n.is_alive()));
                    model.retain(|&k| k != key);
                }
                _ => {
                    if rng.random_range(0..20) == 0 {
                        lru.clear(out);
                        assert_eq!(out.len(), model.len());
                        assert!(out.iter().all(|n| !n.is_alive()));
                        out.clear();
                        model.clear();
                    }
                }
            }
            assert_eq!(lru_order(&lru), model);
            assert_eq!(lru.len(), model.len());
        }
    }
}

#[test]
fn lru_access_to_a_reused_slot_is_ignored() {
    let mut lru = Policy::new(2, true);
    let out = &mut Vec::new();
    call(&mut lru, 1, out);
    let one = lru.find(hash(1), |k| *k == 1).cloned();
    call(&mut lru, 2, out);
    call(&mut lru, 3, out); // evicts 1; 3 takes its slot
    call(&mut lru, 2, out);
    if let Some(one) = one {
        assert!(!one.is_alive());
        lru.access(&one);
    }
    assert_eq!(lru_order(&lru), [3, 2]);
}

// --------------------------------------------------------------- both policies

/// Random operations on both policies, checked against the set of keys they
/// must hold, worked out from what they hand back.
#[test]
fn policies_keep_their_invariants() {
    let mut rng = StdRng::seed_from_u64(3);
    for lru in [false, true] {
        for capacity in [1, 2, 10, 50] {
            let mut policy = Policy::new(capacity, lru);
            let mut model: HashMap<u64, N> = HashMap::new();
            let out = &mut Vec::new();
            let mut evictions = 0;
            for _ in 0..20_000 {
                let key = rng.random_range(0..(capacity as u64 * 3));
                match rng.random_range(0..100) {
                    0..=59 => {
                        if let Some(n) = policy.find(hash(key), |k| *k == key).cloned() {
                            assert!(n.is_alive() && Arc::ptr_eq(&n, &model[&key]));
                            policy.access(&n);
                        } else {
                            assert!(!model.contains_key(&key));
                            let n = node(key);
                            evictions += policy.insert(n.clone(), out);
                            model.insert(key, n);
                        }
                    }
                    60..=79 => {
                        let n = node(key);
                        evictions += policy.insert(n.clone(), out);
                        model.insert(key, n);
                    }
                    80..=97 => {
                        let removed = policy.remove(hash(key), |k| *k == key);
                        let expected = model.remove(&key);
                        assert_eq!(removed.is_some(), expected.is_some());
                        assert!(removed.is_none_or(|n| !n.is_alive()));
                    }
                    _ => {
                        policy.clear(out);
                        model.clear();
                    }
                }
                assert!(out.iter().all(|n| !n.is_alive()));
                for gone in out.drain(..) {
                    if model.get(&gone.key).is_some_and(|n| Arc::ptr_eq(n, &gone)) {
                        model.remove(&gone.key);
                    }
                }
                assert!(policy.len() <= capacity);
                assert_eq!(policy.len(), model.len());
                for (key, n) in &model {
                    assert!(n.is_alive());
                    let found = policy.find(hash(*key), |k| k == key);
                    assert!(found.is_some_and(|f| Arc::ptr_eq(f, n)));
                }
            }
            assert!(evictions > 0);
        }
    }
}

#[test]
fn eviction_counts_are_exact() {
    for lru in [false, true] {
        let mut policy = Policy::new(100, lru);
        let out = &mut Vec::new();
        let mut evicted = 0;
        for key in 0..1000 {
            evicted += policy.insert(node(key), out);
            assert!(policy.len() <= 100);
        }
        assert_eq!(evicted, 900);
        assert_eq!(out.len(), 900);
        assert!(out.iter().all(|n| !n.is_alive()));
    }
}

#[test]
fn replacing_is_not_evicting() {
    for lru in [false, true] {
        let mut policy = Policy::new(2, lru);
        let out = &mut Vec::new();
        let first = node(1);
        assert_eq!(policy.insert(first.clone(), out), 0);
        assert_eq!(policy.insert(node(2), out), 0);
        assert_eq!(policy.insert(node(1), out), 0);
        assert_eq!(out.len(), 1);
        assert!(Arc::ptr_eq(&out[0], &first) && !first.is_alive());
        assert_eq!(policy.len(), 2);
        // Inserting the very node that is there changes nothing.
        let again = policy.find(hash(1), |k| *k == 1).cloned();
        if let Some(again) = again {
            assert_eq!(policy.insert(again.clone(), out), 0);
            assert!(again.is_alive());
        }
        assert_eq!(out.len(), 1);
    }
}

#[test]
fn s3fifo_hits_survive_a_scan() {
    let mut policy = Policy::new(100, false);
    let out = &mut Vec::new();
    for _ in 0..3 {
        for key in 0..50 {
            call(&mut policy, key, out);
        }
    }
    for key in 1000..11_000 {
        call(&mut policy, key, out);
    }
    let kept = (0..50)
        .filter(|k| policy.find(hash(*k), |x| x == k).is_some())
        .count();
    assert_eq!(kept, 50);
}

#[test]
fn s3fifo_ghost_hit_enters_main() {
    let mut s3 = S3Fifo::new(10);
    let out = &mut Vec::new();
    for key in 0..11 {
        s3.insert(node(key), out);
    }
    // 0 went through the small queue unused and is a ghost now.
    assert!(out.iter().any(|n| n.key == 0));
    s3.insert(node(0), out);
    assert!(s3.is_in_main(hash(0), |k| *k == 0));
    assert!(!s3.is_in_main(hash(10), |k| *k == 10));
}

#[test]
fn s3fifo_churn_keeps_queues_bounded() {
    let mut s3 = S3Fifo::new(1000);
    let out = &mut Vec::new();
    for key in 0..1000 {
        s3.insert(node(key), out);
    }
    for round in 0..100_000 {
        let key = 5000 + round;
        s3.insert(node(key), out);
        s3.remove(hash(key), |k| *k == key);
        // Replacing leaves a dead copy behind too.
        s3.insert(node(round % 1000), out);
        out.clear();
    }
    assert!(s3.queued() <= 3 * 1000 + 100, "{}", s3.queued());
}

// ------------------------------------------------------------- measurements

/// Zipf(`exponent`) over `keys` keys, `accesses` of them, with `scan` fresh
/// never-repeated keys after every `scan_every` Zipf accesses.
fn trace(keys: u64, accesses: usize, scan: Option<(usize, usize)>, seed: u64) -> Vec<u64> {
    let zipf = Zipf::new(keys as f64, 0.99).unwrap_or_else(|e| panic!("{e}"));
    let mut rng = StdRng::seed_from_u64(seed);
    let mut fresh = u64::MAX / 2;
    let mut trace = Vec::with_capacity(accesses * 5 / 4);
    for i in 0..accesses {
        if let Some((every, len)) = scan {
            if i > 0 && i % every == 0 {
                trace.extend(fresh..fresh + len as u64);
                fresh += len as u64;
            }
        }
        trace.push(zipf.sample(&mut rng) as u64);
    }
    trace
}

fn ratio_of(policy: &mut Policy<u64, u64>, trace: &[u64]) -> f64 {
    let out = &mut Vec::new();
    let hits = trace.iter().filter(|&&k| call(policy, k, out)).count();
    hits as f64 / trace.len() as f64
}

type Quick =
    quick_cache::unsync::Cache<u64, u64, quick_cache::UnitWeighter, foldhash::fast::FixedState>;

fn quick(capacity: usize) -> Quick {
    Quick::with(
        capacity,
        capacity as u64,
        quick_cache::UnitWeighter,
        hasher(),
        quick_cache::unsync::DefaultLifecycle::default(),
    )
}

fn quick_ratio(capacity: usize, trace: &[u64]) -> f64 {
    let mut cache = quick(capacity);
    let mut hits = 0;
    for &key in trace {
        if cache.get(&key).is_some() {
            hits += 1;
        } else {
            cache.insert(key, key);
        }
    }
    hits as f64 / trace.len() as f64
}

/// Small enough to run in well under a second unoptimized.
#[test]
fn s3fifo_beats_lru_on_small_traces() {
    for scan in [None, Some((10_000, 1_000))] {
        let trace = trace(10_000, 40_000, scan, 4);
        let s3 = ratio_of(&mut Policy::new(200, false), &trace);
        let lru = ratio_of(&mut Policy::new(200, true), &trace);
        assert!(
            s3 > lru + 0.04,
            "scan {scan:?}: S3-FIFO {s3:.3}, LRU {lru:.3}"
        );
    }
}

const KEYS: u64 = 100_000;
const ACCESSES: usize = 2_000_000;
const SCAN: (usize, usize) = (200_000, 50_000);

#[test]
#[ignore = "a measurement: run in release with --nocapture"]
fn hit_ratios() {
    let traces = [
        ("Zipf", trace(KEYS, ACCESSES, None, 7)),
        ("Zipf+scan", trace(KEYS, ACCESSES, Some(SCAN), 7)),
    ];
    println!("\nhit ratio, Zipf(0.99) over {KEYS} keys, {ACCESSES} Zipf accesses");
    println!(
        "(+scan: {} fresh keys after every {} of them, counted in the ratio)\n",
        SCAN.1, SCAN.0
    );
    println!("| trace | capacity | S3-FIFO | quick_cache | LRU |");
    println!("|---|---:|---:|---:|---:|");
    for (name, trace) in &traces {
        for capacity in [1_000, 10_000] {
            let s3 = ratio_of(&mut Policy::new(capacity, false), trace);
            let quick = quick_ratio(capacity, trace);
            let lru = ratio_of(&mut Policy::new(capacity, true), trace);
            println!("| {name} | {capacity} | {s3:.4} | {quick:.4} | {lru:.4} |");
        }
    }
    costs();
}

/// Nanoseconds per operation: hits on a resident hot set, and misses on fresh
/// keys into a full cache (each evicting one).
fn costs() {
    const OPS: usize = 2_000_000;
    println!("\nns per operation (hit: on a resident set of capacity / 2 keys, random order; miss: fresh key, find + insert + evict)\n");
    println!("| capacity | S3-FIFO get | S3-FIFO find+access | LRU get | LRU find+access | quick_cache get | S3-FIFO miss | LRU miss | quick_cache miss |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for capacity in [1_000, 10_000] {
        let mut rng = StdRng::seed_from_u64(9);
        let hot: Vec<u64> = (0..OPS)
            .map(|_| rng.random_range(0..capacity as u64 / 2))
            .collect();
        let hashed: Vec<(u64, u64)> = hot.iter().map(|&k| (k, hash(k))).collect();
        let fresh: Vec<(u64, u64)> = (0..OPS as u64)
            .map(|k| ((k + 1) << 32, hash((k + 1) << 32)))
            .collect();
        let mut row = vec![capacity.to_string()];

        let hit_costs = |lru: bool| {
            let mut policy = Policy::new(capacity, lru);
            let out = &mut Vec::new();
            for _ in 0..3 {
                for key in 0..capacity as u64 / 2 {
                    call(&mut policy, key, out);
                }
            }
            let start = Instant::now();
            for &(key, h) in &hashed {
                black_box(policy.get(h, |k| *k == key).map(|n| n.value));
            }
            let get = start.elapsed().as_nanos() as f64 / OPS as f64;
            let start = Instant::now();
            for &(key, h) in &hashed {
                if let Some(n) = policy.find(h, |k| *k == key).cloned() {
                    policy.access(&n);
                    black_box(n.value);
                }
            }
            let find_access = start.elapsed().as_nanos() as f64 / OPS as f64;
            [get, find_access]
        };
        let [s3_get, s3_find] = hit_costs(false);
        let [lru_get, lru_find] = hit_costs(true);
        let mut cache = quick(capacity);
        for _ in 0..3 {
            for key in 0..capacity as u64 / 2 {
                if cache.get(&key).is_none() {
                    cache.insert(key, key);
                }
            }
        }
        let start = Instant::now();
        for &key in &hot {
            black_box(cache.get(&key));
        }
        let quick_get = start.elapsed().as_nanos() as f64 / OPS as f64;

        let miss_cost = |lru: bool| {
            let mut policy = Policy::new(capacity, lru);
            let out = &mut Vec::new();
            for key in 0..capacity as u64 {
                call(&mut policy, key, out);
            }
            let start = Instant::now();
            for &(key, h) in &fresh {
                if policy.find(h, |k| *k == key).is_none() {
                    policy.insert(Arc::new(Node::new(h, key, key, Expiry::default())), out);
                    out.clear();
                }
            }
            start.elapsed().as_nanos() as f64 / OPS as f64
        };
        let s3_miss = miss_cost(false);
        let lru_miss = miss_cost(true);
        let mut cache = quick(capacity);
        for key in 0..capacity as u64 {
            cache.insert(key, key);
        }
        let start = Instant::now();
        for &(key, _) in &fresh {
            if cache.get(&key).is_none() {
                cache.insert(key, key);
            }
        }
        let quick_miss = start.elapsed().as_nanos() as f64 / OPS as f64;
        for figure in [
            s3_get, s3_find, lru_get, lru_find, quick_get, s3_miss, lru_miss, quick_miss,
        ] {
            row.push(format!("{figure:.1}"));
        }
        println!("| {} |", row.join(" | "));
    }
}

#[test]
#[ignore = "a measurement: run in release with --nocapture"]
fn s3fifo_tuning() {
    let traces = [
        trace(KEYS, ACCESSES, None, 7),
        trace(KEYS, ACCESSES, Some(SCAN), 7),
    ];
    println!("\n| small ‰ | ghost ‰ | promote at | Zipf 1k | Zipf 10k | scan 1k | scan 10k |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for small_per_mille in [10, 20, 30, 100, 200] {
        for ghost_per_mille in [250, 500, 1000, 2000] {
            for promote_at in [1, 2] {
                let tuning = Tuning {
                    small_per_mille,
                    ghost_per_mille,
                    promote_at,
                };
                let mut row = format!("| {small_per_mille} | {ghost_per_mille} | {promote_at} |");
                for trace in &traces {
                    for capacity in [1_000, 10_000] {
                        let mut policy = Policy::S3Fifo(S3Fifo::tuned(capacity, tuning));
                        row += &format!(" {:.4} |", ratio_of(&mut policy, trace));
                    }
                }
                println!("{row}");
            }
        }
    }
}
