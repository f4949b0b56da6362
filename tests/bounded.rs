#![allow(clippy::type_complexity)] // tables of (function, counter, stats) cases
//! Bounded caches: CPython's `test_lru_cache` sequences (exact LRU on one
//! thread), the capacity bound under threads, exact evictions, and `ttl` with
//! either policy.

mod common;

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{watchdog, TIMEOUT};
use memo::memoize;

/// Calls `f` on each key of `sequence` and checks, after every call, that the
/// body ran exactly when `expected` says `m` (miss) and not on `h` (hit), and
/// that the counters agree.
fn run_sequence(
    sequence: &[u32],
    expected: &str,
    f: fn(u32) -> u32,
    runs: &AtomicU64,
    stats: fn() -> memo::Stats,
) {
    assert_eq!(sequence.len(), expected.len());
    let (mut hits, mut misses) = (0, 0);
    for (i, (&k, want)) in sequence.iter().zip(expected.chars()).enumerate() {
        let before = runs.load(SeqCst);
        assert_eq!(f(k), k * 10, "call {i}: f({k})");
        let ran = runs.load(SeqCst) - before;
        match want {
            'h' => hits += 1,
            'm' => misses += 1,
            other => unreachable!("{other}"),
        }
        assert_eq!(
            ran,
            u64::from(want == 'm'),
            "call {i}: f({k}) should be a {want}"
        );
        let s = stats();
        assert_eq!((s.hits, s.misses), (hits, misses), "call {i}: f({k})");
    }
}

static ONE_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 1, policy = lru)]
fn size_one() -> u32 {
    ONE_RUNS.fetch_add(1, SeqCst);
    20
}

/// CPython `test_lru`, "test size one".
#[test]
fn cpython_size_one() {
    for _ in 0..5 {
        assert_eq!(size_one(), 20);
    }
    assert_eq!(ONE_RUNS.load(SeqCst), 1);
    let s = size_one::stats();
    assert_eq!(
        (s.hits, s.misses, s.entries, s.capacity),
        (4, 1, 1, Some(1))
    );
}

static TWO_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 2, policy = lru)]
fn size_two(x: u32) -> u32 {
    TWO_RUNS.fetch_add(1, SeqCst);
    x * 10
}

/// CPython `test_lru`, "test size two": misses at the starred calls only.
#[test]
fn cpython_size_two() {
    run_sequence(
        &[7, 9, 7, 9, 7, 9, 8, 8, 8, 9, 9, 9, 8, 8, 8, 7],
        //*  *              *                          *
        "mmhhhhmhhhhhhhhm",
        size_two,
        &TWO_RUNS,
        size_two::stats,
    );
    assert_eq!(TWO_RUNS.load(SeqCst), 4);
    let s = size_two::stats();
    assert_eq!((s.calls, s.hits, s.misses, s.entries), (16, 12, 4, 2));
    assert_eq!(s.evictions, 2);

    size_two::clear();
    let s = size_two::stats();
    assert_eq!(
        (s.calls, s.hits, s.misses, s.entries, s.evictions),
        (0, 0, 0, 0, 0)
    );
    assert_eq!(size_two(7), 70);
    assert_eq!(TWO_RUNS.load(SeqCst), 5, "clear() dropped the entries");
}

static THREE_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 3, policy = lru)]
fn size_three(x: u32) -> u32 {
    THREE_RUNS.fetch_add(1, SeqCst);
    x * 10
}

/// Size three, where LRU and FIFO part: after `1 2 3 1`, a miss evicts 2 (the
/// least recently used), not 1 (the first inserted).
#[test]
fn size_three_evicts_the_least_recently_used_not_the_oldest() {
    // 1 2 3 | 1 hit [2 3 1] | 4 evicts 2 [3 1 4] | 2 evicts 3 [1 4 2] | 5 evicts 1
    // | 1 evicts 4 | 3 evicts 2 | 4 evicts 5 [1 3 4] | 4 hit | 5 evicts 1 | 2 evicts 3
    run_sequence(
        &[1, 2, 3, 1, 4, 2, 5, 1, 3, 4, 4, 5, 2],
        "mmmhmmmmmmhmm",
        size_three,
        &THREE_RUNS,
        size_three::stats,
    );
    let s = size_three::stats();
    assert_eq!(
        (s.calls, s.hits, s.misses, s.evictions, s.entries),
        (13, 2, 11, 8, 3)
    );
    size_three::clear();
    // After a clear the order starts over: 1 2 3 1 4 must keep 1.
    run_sequence(
        &[1, 2, 3, 1, 4, 1],
        "mmmhmh",
        size_three,
        &THREE_RUNS,
        size_three::stats,
    );
}

static LEN_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 4, policy = lru)]
fn cached_len(s: &str) -> usize {
    LEN_RUNS.fetch_add(1, SeqCst);
    s.len()
}

/// CPython `test_lru_reentrancy_with_len`: `len` cached with maxsize 4 over
/// prefixes of one string, keyed by a borrowed `&str`.
#[test]
fn cpython_reentrancy_with_len_sequence() {
    let text = "abcdefghijklmn";
    // 0 0h 1 2 3 3h | 4 evicts 0 | 5 evicts 1 | 6 evicts 2 | 1 evicts 3 | 7 evicts 4
    // | 2 evicts 5 | 1 hit
    let expected = "mhmmmhmmmmmmh";
    for (i, (n, want)) in [0, 0, 1, 2, 3, 3, 4, 5, 6, 1, 7, 2, 1]
        .into_iter()
        .zip(expected.chars())
        .enumerate()
    {
        let before = LEN_RUNS.load(SeqCst);
        assert_eq!(cached_len(&text[..n]), n);
        assert_eq!(
            LEN_RUNS.load(SeqCst) - before,
            u64::from(want == 'm'),
            "call {i}: len of {n}"
        );
    }
    let s = cached_len::stats();
    assert_eq!(
        (s.calls, s.hits, s.misses, s.evictions, s.entries),
        (13, 3, 10, 6, 4)
    );
}

/// A deterministic stand-in for CPython's `choice(domain)`.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn orig(x: u32, y: u32) -> u32 {
    3 * x + y
}

static TWENTY_LRU_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 20, policy = lru)]
fn twenty_lru(x: u32, y: u32) -> u32 {
    TWENTY_LRU_RUNS.fetch_add(1, SeqCst);
    orig(x, y)
}

static TWENTY_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 20)]
fn twenty(x: u32, y: u32) -> u32 {
    TWENTY_RUNS.fetch_add(1, SeqCst);
    orig(x, y)
}

/// CPython `test_lru`: 1000 calls over a 5 x 5 domain with maxsize 20, then
/// `cache_clear()` and one call; for both policies.
#[test]
fn cpython_maxsize_twenty_over_a_five_by_five_domain() {
    let cases: [(
        fn(u32, u32) -> u32,
        &AtomicU64,
        fn() -> memo::Stats,
        fn(),
        bool,
    ); 2] = [
        (
            twenty_lru,
            &TWENTY_LRU_RUNS,
            twenty_lru::stats,
            twenty_lru::clear,
            true,
        ),
        (twenty, &TWENTY_RUNS, twenty::stats, twenty::clear, false),
    ];
    for (f, runs, stats, clear, exact) in cases {
        let mut state = 0x2545_F491_4F6C_DD1D;
        let (mut x, mut y) = (0, 0);
        for _ in 0..1_000 {
            x = (xorshift(&mut state) % 5) as u32;
            y = (xorshift(&mut state) % 5) as u32;
            assert_eq!(f(x, y), orig(x, y));
        }
        let s = stats();
        assert!(s.hits > s.misses, "{}: {s:?}", s.name);
        assert_eq!(s.calls, 1_000, "{}", s.name);
        assert_eq!(
            s.misses,
            runs.load(SeqCst),
            "{}: misses are body runs",
            s.name
        );
        assert_eq!(s.hits, 1_000 - runs.load(SeqCst), "{}", s.name);
        if exact {
            assert_eq!(s.entries, 20, "{}: currsize", s.name);
        } else {
            assert!(s.entries <= 20, "{}: {} entries", s.name, s.entries);
        }
        assert_eq!(s.evictions, s.misses - s.entries as u64, "{}", s.name);

        clear();
        let s = stats();
        assert_eq!(
            (s.calls, s.hits, s.misses, s.entries, s.evictions),
            (0, 0, 0, 0, 0)
        );
        let before = runs.load(SeqCst);
        f(x, y);
        assert_eq!(runs.load(SeqCst), before + 1, "{}: cleared", s.name);
        let s = stats();
        assert_eq!((s.hits, s.misses, s.entries), (0, 1, 1), "{}", s.name);
    }
}

#[memoize]
fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

/// CPython `test_lru_with_maxsize_none`.
#[test]
fn cpython_maxsize_none_fib() {
    let values: Vec<u64> = (0..16).map(fib).collect();
    assert_eq!(
        values,
        [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610]
    );
    let s = fib::stats();
    assert_eq!(
        (s.hits, s.misses, s.entries, s.capacity),
        (28, 16, 16, None)
    );
    fib::clear();
    let s = fib::stats();
    assert_eq!((s.hits, s.misses, s.entries), (0, 0, 0));
}

static HAMMER_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 8)]
fn hammered(k: u32) -> u32 {
    HAMMER_RUNS.fetch_add(1, SeqCst);
    k.wrapping_mul(2_654_435_761)
}

static HAMMER_LRU_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 8, policy = lru)]
fn hammered_lru(k: u32) -> u32 {
    HAMMER_LRU_RUNS.fetch_add(1, SeqCst);
    k.wrapping_mul(2_654_435_761)
}

/// Four threads, each mixing keys of its own with keys all of them share,
/// checking the bound as they go; at the end, calls, hits and misses are exact.
fn hammer(f: fn(u32) -> u32, runs: &'static AtomicU64, stats: fn() -> memo::Stats) {
    const THREADS: u32 = 4;
    const CALLS: u32 = 4_000;
    let barrier = Arc::new(Barrier::new(THREADS as usize));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let mut state = 0x9E37_79B9_7F4A_7C15 ^ u64::from(t);
                for i in 0..CALLS {
                    let r = xorshift(&mut state);
                    // Half the calls on 0..12 (shared), half on 12 of this thread's own.
                    let k = if r % 2 == 0 {
                        (r >> 8) as u32 % 12
                    } else {
                        1_000 * (t + 1) + (r >> 8) as u32 % 12
                    };
                    assert_eq!(f(k), k.wrapping_mul(2_654_435_761));
                    if i % 8 == 0 {
                        let s = stats();
                        assert!(s.entries <= 8, "{}: {} entries mid-run", s.name, s.entries);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let s = stats();
    assert!(s.entries <= 8, "{}: {} entries", s.name, s.entries);
    assert_eq!(s.calls, u64::from(THREADS * CALLS), "{}", s.name);
    assert_eq!(
        s.misses,
        runs.load(SeqCst),
        "{}: misses are body runs",
        s.name
    );
    assert_eq!(
        s.hits,
        u64::from(THREADS * CALLS) - runs.load(SeqCst),
        "{}",
        s.name
    );
    // Two threads may both compute a missing key and store it once (API.md),
    // so across threads misses - entries bounds the evictions from above; the
    // exact count is checked on one thread below.
    assert!(
        s.evictions <= s.misses - s.entries as u64,
        "{}: {} evictions, {} misses, {} entries",
        s.name,
        s.evictions,
        s.misses,
        s.entries
    );
    assert!(s.evictions > 0, "{}: 24 keys through 8 slots evict", s.name);
}

#[test]
fn entries_never_exceed_capacity_under_four_threads() {
    watchdog("capacity under threads", TIMEOUT, || {
        hammer(hammered, &HAMMER_RUNS, hammered::stats);
    });
}

#[test]
fn entries_never_exceed_capacity_under_four_threads_lru() {
    watchdog("capacity under threads, lru", TIMEOUT, || {
        hammer(hammered_lru, &HAMMER_LRU_RUNS, hammered_lru::stats);
    });
}

#[memoize(capacity = 3, policy = lru)]
fn evict_lru(k: u32) -> u32 {
    k + 1
}

#[memoize(capacity = 3)]
fn evict_default(k: u32) -> u32 {
    k + 1
}

/// One thread: every miss past the capacity drops exactly one entry, whatever
/// the policy picks.
#[test]
fn evictions_are_exact_on_one_thread() {
    for k in 0..100 {
        assert_eq!(evict_lru(k), k + 1);
        assert_eq!(evict_default(k), k + 1);
    }
    for s in [evict_lru::stats(), evict_default::stats()] {
        assert_eq!(
            (s.calls, s.misses, s.evictions, s.entries),
            (100, 100, 97, 3),
            "{}",
            s.name
        );
    }
    // Exact LRU: the three most recent keys are the ones held.
    for k in 97..100 {
        evict_lru(k);
    }
    let s = evict_lru::stats();
    assert_eq!((s.hits, s.evictions), (3, 97));
    evict_lru(0);
    assert_eq!(evict_lru::stats().evictions, 98);
}

static TTL_LRU_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 4, policy = lru, ttl = "30ms")]
fn ttl_lru(k: u32) -> u32 {
    TTL_LRU_RUNS.fetch_add(1, SeqCst);
    k * 3
}

static TTL_DEFAULT_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 4, ttl = "30ms")]
fn ttl_default(k: u32) -> u32 {
    TTL_DEFAULT_RUNS.fetch_add(1, SeqCst);
    k * 3
}

/// `ttl` with either policy: an entry is served while fresh and recomputed
/// once its time is past; expiring is not evicting.
#[test]
fn ttl_combines_with_both_policies() {
    let cases: [(fn(u32) -> u32, &AtomicU64, fn() -> memo::Stats); 2] = [
        (ttl_lru, &TTL_LRU_RUNS, ttl_lru::stats),
        (ttl_default, &TTL_DEFAULT_RUNS, ttl_default::stats),
    ];
    for (f, runs, _) in cases {
        assert_eq!(f(1), 3);
        assert_eq!(f(1), 3);
        assert_eq!(runs.load(SeqCst), 1, "fresh: a hit");
    }
    std::thread::sleep(Duration::from_millis(60));
    for (f, runs, stats) in cases {
        assert_eq!(f(1), 3);
        assert_eq!(runs.load(SeqCst), 2, "expired: recomputed");
        assert_eq!(f(1), 3);
        assert_eq!(runs.load(SeqCst), 2, "the recomputed entry is fresh again");
        let s = stats();
        assert_eq!((s.calls, s.hits, s.misses), (4, 2, 2), "{}", s.name);
        assert_eq!(
            s.evictions, 0,
            "{}: an expired entry is not an eviction",
            s.name
        );
        assert!(s.entries <= 1, "{}", s.name);
        assert_eq!(s.ttl, Some(Duration::from_millis(30)));
        assert_eq!(s.capacity, Some(4));
    }
}

#[memoize(capacity = 2, policy = lru, ttl = "30ms")]
fn ttl_full(k: u32) -> u32 {
    k
}

/// A full LRU cache whose entries all expired makes room by dropping them:
/// those are expiries, not evictions.
#[test]
fn expired_entries_making_room_are_not_evictions() {
    ttl_full(1);
    ttl_full(2);
    std::thread::sleep(Duration::from_millis(60));
    ttl_full(3);
    ttl_full(4);
    let s = ttl_full::stats();
    assert_eq!((s.misses, s.entries), (4, 2));
    assert_eq!(s.evictions, 0, "both dropped entries had expired");
    ttl_full(5);
    assert_eq!(ttl_full::stats().evictions, 1, "3 was fresh: evicted");
}
