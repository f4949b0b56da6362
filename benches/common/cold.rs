//! Caches from empty: fib(90) and the edit distance of two 300-byte strings,
//! each strategy filling its cache from nothing. Shared by `cold_fill`
//! (criterion) and `callgrind_probe` (instructions per fill).
//!
//! A strategy is a `clear` (empties the cache; a no-op for hand-written code,
//! which makes a fresh map per fill) and a `fill` (computes the answer from
//! the empty cache). A fill's cost in the benches is `clear(); fill()`.

use std::sync::OnceLock;

use cached::Cached;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rustc_hash::FxHashMap;

/// fib(90): the largest the benches compute (fits in a `u64`).
pub const FIB_N: u64 = 90;
/// fib(90).
pub const FIB_90: u64 = 2_880_067_194_370_816_120;
/// The length of both edit-distance strings.
pub const ED_LEN: usize = 300;
/// The seed of the edit-distance strings.
pub const ED_SEED: u64 = 0xED17_D157;

/// A cache filled from empty.
pub struct Cold {
    /// Its benchmark id.
    pub name: &'static str,
    /// Empties its cache (no-op for hand-written fresh maps).
    pub clear: fn(),
    /// Computes the answer from an empty cache.
    pub fill: fn() -> u64,
}

// ---------------------------------------------------------------- fib

fn fib_fx(n: u64, memo: &mut FxHashMap<u64, u64>) -> u64 {
    if n < 2 {
        return n;
    }
    if let Some(&v) = memo.get(&n) {
        return v;
    }
    let v = fib_fx(n - 1, memo) + fib_fx(n - 2, memo);
    memo.insert(n, v);
    v
}

/// Hand-written: a fresh `FxHashMap` passed down as `&mut`.
pub fn fib_hand_fx() -> u64 {
    let mut memo = FxHashMap::default();
    fib_fx(std::hint::black_box(FIB_N), &mut memo)
}

thread_local! {
    static FIB_FX_REUSED: std::cell::RefCell<FxHashMap<u64, u64>> = std::cell::RefCell::new(FxHashMap::default());
}

/// Hand-written: one thread-local `FxHashMap` kept between fills; `clear()`
/// empties it but keeps its allocation (as the peers' clears do).
pub fn fib_hand_fx_reused() -> u64 {
    FIB_FX_REUSED.with(|m| fib_fx(std::hint::black_box(FIB_N), &mut m.borrow_mut()))
}

fn fib_vec(n: u64, memo: &mut [Option<u64>]) -> u64 {
    if n < 2 {
        return n;
    }
    if let Some(v) = memo[n as usize] {
        return v;
    }
    let v = fib_vec(n - 1, memo) + fib_vec(n - 2, memo);
    memo[n as usize] = Some(v);
    v
}

/// Hand-written: a fresh `Vec<Option<u64>>` of n + 1 slots.
pub fn fib_hand_vec() -> u64 {
    let n = std::hint::black_box(FIB_N);
    let mut memo = vec![None; n as usize + 1];
    fib_vec(n, &mut memo)
}

/// `#[memoize(thread_local)]`.
#[memo::memoize(thread_local)]
pub fn fib_memo_tl(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_memo_tl(n - 1) + fib_memo_tl(n - 2)
    }
}

/// `#[memoize]` (shared by all threads).
#[memo::memoize]
pub fn fib_memo_shared(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_memo_shared(n - 1) + fib_memo_shared(n - 2)
    }
}

/// `memoize` 0.6 default (thread-local std `HashMap`, SipHash).
#[memoize::memoize]
pub fn fib_memoize(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_memoize(n - 1) + fib_memoize(n - 2)
    }
}

/// `memoize` 0.6 with its `CustomHasher` option: a thread-local `FxHashMap`.
#[memoize::memoize(CustomHasher: rustc_hash::FxHashMap, HasherInit: rustc_hash::FxHashMap::default())]
pub fn fib_memoize_fx(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_memoize_fx(n - 1) + fib_memoize_fx(n - 2)
    }
}

/// `cached` 4.1 `#[cached]` default (unbounded, one `parking_lot::Mutex`).
#[cached::macros::cached]
pub fn fib_cached(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_cached(n - 1) + fib_cached(n - 2)
    }
}

/// Every fib(90) strategy, in report order.
pub static FIB: &[Cold] = &[
    Cold {
        name: "hand_fx",
        clear: || {},
        fill: fib_hand_fx,
    },
    Cold {
        name: "hand_fx_reused",
        clear: || FIB_FX_REUSED.with(|m| m.borrow_mut().clear()),
        fill: fib_hand_fx_reused,
    },
    Cold {
        name: "hand_vec",
        clear: || {},
        fill: fib_hand_vec,
    },
    Cold {
        name: "memo_thread_local",
        clear: fib_memo_tl::clear,
        fill: || fib_memo_tl(std::hint::black_box(FIB_N)),
    },
    Cold {
        name: "memo_shared",
        clear: fib_memo_shared::clear,
        fill: || fib_memo_shared(std::hint::black_box(FIB_N)),
    },
    Cold {
        name: "memoize_crate_default",
        clear: memoized_flush_fib_memoize,
        fill: || fib_memoize(std::hint::black_box(FIB_N)),
    },
    Cold {
        name: "memoize_crate_fx",
        clear: memoized_flush_fib_memoize_fx,
        fill: || fib_memoize_fx(std::hint::black_box(FIB_N)),
    },
    Cold {
        name: "cached_default",
        clear: || FIB_CACHED.write().cache_clear(),
        fill: || fib_cached(std::hint::black_box(FIB_N)),
    },
];

// ---------------------------------------------------------------- edit distance

/// The two seeded random strings of `ED_LEN` lowercase letters.
pub fn ed_strings() -> &'static (String, String) {
    static STRINGS: OnceLock<(String, String)> = OnceLock::new();
    STRINGS.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(ED_SEED);
        let mut word = || -> String {
            (0..ED_LEN)
                .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
                .collect()
        };
        let a = word();
        let b = word();
        (a, b)
    })
}

/// The edit distance by the usual iterative two-row DP (the reference).
pub fn ed_reference() -> usize {
    let (a, b) = ed_strings();
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            cur[j] = if a[i - 1] == b[j - 1] {
                prev[j - 1]
            } else {
                1 + prev[j].min(cur[j - 1]).min(prev[j - 1])
            };
        }
        prev = cur;
    }
    prev[b.len()]
}

fn ab() -> (&'static [u8], &'static [u8]) {
    let (a, b) = ed_strings();
    (a.as_bytes(), b.as_bytes())
}

/// One step of the suffix recursion on `(i, j)`: `rec` is the memoized call.
#[inline(always)]
fn ed_step(
    a: &[u8],
    b: &[u8],
    i: usize,
    j: usize,
    mut rec: impl FnMut(usize, usize) -> usize,
) -> usize {
    if i == a.len() {
        b.len() - j
    } else if j == b.len() {
        a.len() - i
    } else if a[i] == b[j] {
        rec(i + 1, j + 1)
    } else {
        1 + rec(i + 1, j).min(rec(i, j + 1)).min(rec(i + 1, j + 1))
    }
}

fn ed_fx(
    a: &[u8],
    b: &[u8],
    i: usize,
    j: usize,
    memo: &mut FxHashMap<(usize, usize), usize>,
) -> usize {
    if i == a.len() || j == b.len() {
        return ed_step(a, b, i, j, |_, _| unreachable!());
    }
    if let Some(&d) = memo.get(&(i, j)) {
        return d;
    }
    let d = ed_step(a, b, i, j, |i, j| ed_fx(a, b, i, j, memo));
    memo.insert((i, j), d);
    d
}

/// Hand-written: a fresh `FxHashMap<(usize, usize), usize>` passed as `&mut`.
pub fn ed_ij_hand_fx() -> u64 {
    let (a, b) = ab();
    let mut memo = FxHashMap::default();
    ed_fx(a, b, 0, 0, &mut memo) as u64
}

fn ed_vec(a: &[u8], b: &[u8], i: usize, j: usize, memo: &mut [usize]) -> usize {
    if i == a.len() || j == b.len() {
        return ed_step(a, b, i, j, |_, _| unreachable!());
    }
    let slot = i * (b.len() + 1) + j;
    if memo[slot] != usize::MAX {
        return memo[slot];
    }
    let d = ed_step(a, b, i, j, |i, j| ed_vec(a, b, i, j, memo));
    memo[slot] = d;
    d
}

/// Hand-written: a fresh flat `Vec<usize>` table, `usize::MAX` = not yet computed.
pub fn ed_ij_hand_vec() -> u64 {
    let (a, b) = ab();
    let mut memo = vec![usize::MAX; (a.len() + 1) * (b.len() + 1)];
    ed_vec(a, b, 0, 0, &mut memo) as u64
}

/// `#[memoize(thread_local)]` on `(i, j)` (the strings are in a static).
#[memo::memoize(thread_local)]
pub fn ed_ij_memo_tl(i: usize, j: usize) -> usize {
    let (a, b) = ab();
    ed_step(a, b, i, j, ed_ij_memo_tl)
}

/// `#[memoize]` on `(i, j)`.
#[memo::memoize]
pub fn ed_ij_memo_shared(i: usize, j: usize) -> usize {
    let (a, b) = ab();
    ed_step(a, b, i, j, ed_ij_memo_shared)
}

/// `memoize` 0.6 default on `(i, j)`.
#[memoize::memoize]
pub fn ed_ij_memoize(i: usize, j: usize) -> usize {
    let (a, b) = ab();
    ed_step(a, b, i, j, ed_ij_memoize)
}

/// `memoize` 0.6 with an `FxHashMap` on `(i, j)`.
#[memoize::memoize(CustomHasher: rustc_hash::FxHashMap, HasherInit: rustc_hash::FxHashMap::default())]
pub fn ed_ij_memoize_fx(i: usize, j: usize) -> usize {
    let (a, b) = ab();
    ed_step(a, b, i, j, ed_ij_memoize_fx)
}

/// `cached` 4.1 default on `(i, j)`.
#[cached::macros::cached]
pub fn ed_ij_cached(i: usize, j: usize) -> usize {
    let (a, b) = ab();
    ed_step(a, b, i, j, ed_ij_cached)
}

/// One step of the recursion on suffixes `(a, b)`.
#[inline(always)]
fn eds_step(a: &str, b: &str, mut rec: impl FnMut(&str, &str) -> usize) -> usize {
    if a.is_empty() {
        b.len()
    } else if b.is_empty() {
        a.len()
    } else if a.as_bytes()[0] == b.as_bytes()[0] {
        rec(&a[1..], &b[1..])
    } else {
        1 + rec(&a[1..], b)
            .min(rec(a, &b[1..]))
            .min(rec(&a[1..], &b[1..]))
    }
}

fn eds_fx<'a>(a: &'a str, b: &'a str, memo: &mut FxHashMap<(&'a str, &'a str), usize>) -> usize {
    if a.is_empty() || b.is_empty() {
        return eds_step(a, b, |_, _| unreachable!());
    }
    if let Some(&d) = memo.get(&(a, b)) {
        return d;
    }
    let d = eds_step(a, b, |x, y| {
        // The suffixes of `a` and `b` live as long as they do.
        let (x, y) = (&a[a.len() - x.len()..], &b[b.len() - y.len()..]);
        eds_fx(x, y, memo)
    });
    memo.insert((a, b), d);
    d
}

/// Hand-written: a fresh `FxHashMap<(&str, &str), usize>` (borrowed keys, no allocation).
pub fn ed_str_hand_fx() -> u64 {
    let (a, b) = ed_strings();
    let mut memo = FxHashMap::default();
    eds_fx(a, b, &mut memo) as u64
}

fn eds_vec(a: &str, b: &str, width: usize, memo: &mut [usize]) -> usize {
    if a.is_empty() || b.is_empty() {
        return eds_step(a, b, |_, _| unreachable!());
    }
    // A suffix of a fixed string is known by its length.
    let slot = a.len() * width + b.len();
    if memo[slot] != usize::MAX {
        return memo[slot];
    }
    let d = eds_step(a, b, |x, y| eds_vec(x, y, width, memo));
    memo[slot] = d;
    d
}

/// Hand-written: a fresh flat `Vec<usize>` indexed by the suffixes' lengths.
pub fn ed_str_hand_vec() -> u64 {
    let (a, b) = ed_strings();
    let width = b.len() + 1;
    let mut memo = vec![usize::MAX; (a.len() + 1) * width];
    eds_vec(a, b, width, &mut memo) as u64
}

/// `#[memoize(thread_local)]` on `(&str, &str)` (keyed by `(String, String)`).
#[memo::memoize(thread_local)]
pub fn ed_str_memo_tl(a: &str, b: &str) -> usize {
    eds_step(a, b, ed_str_memo_tl)
}

/// `#[memoize]` on `(&str, &str)`.
#[memo::memoize]
pub fn ed_str_memo_shared(a: &str, b: &str) -> usize {
    eds_step(a, b, ed_str_memo_shared)
}

/// `memoize` 0.6 keys on owned arguments only: `String` parameters, so every
/// recursive call allocates its two suffixes.
#[memoize::memoize]
pub fn ed_str_memoize(a: String, b: String) -> usize {
    eds_step(&a, &b, |x, y| ed_str_memoize(x.to_owned(), y.to_owned()))
}

/// `memoize` 0.6 with an `FxHashMap`, `String` parameters.
#[memoize::memoize(CustomHasher: rustc_hash::FxHashMap, HasherInit: rustc_hash::FxHashMap::default())]
pub fn ed_str_memoize_fx(a: String, b: String) -> usize {
    eds_step(&a, &b, |x, y| ed_str_memoize_fx(x.to_owned(), y.to_owned()))
}

/// `cached` 4.1 on `(&str, &str)`: its documented way, a `(String, String)`
/// key made by `convert` on every call.
#[cached::macros::cached(
    key = "(String, String)",
    convert = r#"{ (a.to_owned(), b.to_owned()) }"#
)]
pub fn ed_str_cached(a: &str, b: &str) -> usize {
    eds_step(a, b, ed_str_cached)
}

/// Every edit-distance strategy, `(i, j)` keys then `(&str, &str)` keys.
pub static EDIT: &[Cold] = &[
    Cold {
        name: "ij_hand_fx",
        clear: || {},
        fill: ed_ij_hand_fx,
    },
    Cold {
        name: "ij_hand_vec",
        clear: || {},
        fill: ed_ij_hand_vec,
    },
    Cold {
        name: "ij_memo_thread_local",
        clear: ed_ij_memo_tl::clear,
        fill: || ed_ij_memo_tl(0, 0) as u64,
    },
    Cold {
        name: "ij_memo_shared",
        clear: ed_ij_memo_shared::clear,
        fill: || ed_ij_memo_shared(0, 0) as u64,
    },
    Cold {
        name: "ij_memoize_crate_default",
        clear: memoized_flush_ed_ij_memoize,
        fill: || ed_ij_memoize(0, 0) as u64,
    },
    Cold {
        name: "ij_memoize_crate_fx",
        clear: memoized_flush_ed_ij_memoize_fx,
        fill: || ed_ij_memoize_fx(0, 0) as u64,
    },
    Cold {
        name: "ij_cached_default",
        clear: || ED_IJ_CACHED.write().cache_clear(),
        fill: || ed_ij_cached(0, 0) as u64,
    },
    Cold {
        name: "str_hand_fx",
        clear: || {},
        fill: ed_str_hand_fx,
    },
    Cold {
        name: "str_hand_vec",
        clear: || {},
        fill: ed_str_hand_vec,
    },
    Cold {
        name: "str_memo_thread_local",
        clear: ed_str_memo_tl::clear,
        fill: || {
            let (a, b) = ed_strings();
            ed_str_memo_tl(a, b) as u64
        },
    },
    Cold {
        name: "str_memo_shared",
        clear: ed_str_memo_shared::clear,
        fill: || {
            let (a, b) = ed_strings();
            ed_str_memo_shared(a, b) as u64
        },
    },
    Cold {
        name: "str_memoize_crate_default",
        clear: memoized_flush_ed_str_memoize,
        fill: || {
            let (a, b) = ed_strings();
            ed_str_memoize(a.clone(), b.clone()) as u64
        },
    },
    Cold {
        name: "str_memoize_crate_fx",
        clear: memoized_flush_ed_str_memoize_fx,
        fill: || {
            let (a, b) = ed_strings();
            ed_str_memoize_fx(a.clone(), b.clone()) as u64
        },
    },
    Cold {
        name: "str_cached_default",
        clear: || ED_STR_CACHED.write().cache_clear(),
        fill: || {
            let (a, b) = ed_strings();
            ed_str_cached(a, b) as u64
        },
    },
];

/// The cold strategy called `name` in `FIB` (prefixed `fib_`) or `EDIT` (prefixed `ed_`).
pub fn cold(name: &str) -> Option<&'static Cold> {
    if let Some(rest) = name.strip_prefix("fib_") {
        FIB.iter().find(|c| c.name == rest)
    } else if let Some(rest) = name.strip_prefix("ed_") {
        EDIT.iter().find(|c| c.name == rest)
    } else {
        None
    }
}

/// Checks every strategy against the reference answers (and their clears).
pub fn check_all() {
    let ed = ed_reference() as u64;
    for (list, expected) in [(FIB, FIB_90), (EDIT, ed)] {
        for c in list {
            for _ in 0..2 {
                (c.clear)();
                assert_eq!((c.fill)(), expected, "{} gives a wrong answer", c.name);
            }
            (c.clear)();
        }
    }
    // A clear empties memo's caches: a fill from empty runs the body once per key.
    fib_memo_shared::clear();
    fib_memo_shared(FIB_N);
    let s = fib_memo_shared::stats();
    assert_eq!((s.misses, s.entries), (FIB_N + 1, FIB_N as usize + 1));
    fib_memo_shared::clear();
}
