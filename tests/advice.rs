//! The report's advice: one test per rule and per conflict between rules,
//! each driving a real annotated function into the situation, asserting the
//! advice and its numbers, and then checking the claim for real where that
//! is cheap: the same body under the suggested attribute is faster, or hits
//! more, than under the current one.
//!
//! Decisions weigh measured times (a run of the body, a calibrated lookup
//! and table load), so each situation is built with a wide margin, and the
//! timing checks compare the fastest of five runs, three attempts each,
//! one test at a time (`common::attempts`).

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{attempts, check, fastest, spin};
use memo::{counted, memoize, precompute, Advice};

/// 200 rounds of integer mixing: a few hundred ns, clearly dearer than a
/// table load or a lookup, deterministic.
fn mix(a: u32, b: u32) -> u32 {
    let mut x = a.wrapping_mul(0x9E37_79B9) ^ b;
    for _ in 0..200 {
        x = black_box(x.rotate_left(5).wrapping_mul(31) ^ a);
    }
    x
}

// ---- rule: #[precompute] for a cache over a small integer domain ----------

#[memoize]
fn validate_cached(rule_id: u32, event_type: u32) -> bool {
    mix(rule_id, event_type) % 3 != 0
}

#[precompute(domain = (0..20, 0..20))]
fn validate_table(rule_id: u32, event_type: u32) -> bool {
    mix(rule_id, event_type) % 3 != 0
}

fn events() -> Vec<(u32, u32)> {
    (0..100_000_u32).map(|i| (i % 20, (i / 20) % 20)).collect()
}

#[test]
fn a_small_integer_domain_advises_precompute_and_the_table_is_faster() {
    let events = events();
    attempts(|| {
        validate_cached::clear();
        for &(r, e) in &events {
            validate_cached(r, e);
        }
        let s = validate_cached::stats();
        assert_eq!(
            (s.calls, s.hits, s.misses, s.entries),
            (100_000, 99_600, 400, 400)
        );
        assert_eq!(s.observed, vec![(0, 19), (0, 19)]);
        let advice = s.advice();
        let Advice::Precompute {
            calls,
            ref domain,
            cells,
            saving,
        } = advice
        else {
            return Err(format!(
                "{advice:?} (body {:?}, lookup {:?})",
                s.body_mean, s.lookup_cost
            ));
        };
        assert_eq!(
            (calls, domain.as_str(), cells),
            (100_000, "(0..20, 0..20)", 400)
        );
        let text = advice.to_string();
        assert!(
            text.starts_with("all 100,000 calls fell in (0..20, 0..20): 400 cells — `#[precompute(domain = (0..20, 0..20))]`"),
            "{text}"
        );
        assert!(text.contains(" saved per call, ~"), "{text}");
        assert!(text.ends_with(" over these 100,000 calls)"), "{text}");
        // The claim, for real: the same body under the suggested attribute.
        validate_table::init();
        let cached = fastest(|| {
            black_box(
                events
                    .iter()
                    .filter(|&&(r, e)| validate_cached(r, e))
                    .count(),
            );
        });
        let table = fastest(|| {
            black_box(
                events
                    .iter()
                    .filter(|&&(r, e)| validate_table(r, e))
                    .count(),
            );
        });
        let claimed = saving.per_call_ns;
        let measured = (cached.as_secs_f64() - table.as_secs_f64()) * 1e9 / 1e5;
        check(table < cached, || {
            format!("the table took {table:?}, the cache {cached:?} (claimed {claimed:.1} ns/call saved)")
        })?;
        // The estimate is of the right size: within 4× of what was measured.
        check((measured / 4.0..=measured * 4.0).contains(&claimed), || {
            format!("claimed {claimed:.1} ns/call saved, measured {measured:.1}")
        })
    });
}

// ---- u8 / i8 / bool over their whole range are written `_` ------------------

#[memoize]
fn shade(level: u8, dark: bool) -> u32 {
    mix(u32::from(level), u32::from(dark))
}

#[precompute(domain = (_, _))]
fn shade_table(level: u8, dark: bool) -> u32 {
    mix(u32::from(level), u32::from(dark))
}

#[test]
fn whole_u8_and_bool_ranges_are_written_as_underscores() {
    let calls: Vec<(u8, bool)> = (0..100_000_u32)
        .map(|i| ((i % 256) as u8, (i / 256) % 2 == 0))
        .collect();
    attempts(|| {
        shade::clear();
        for &(l, d) in &calls {
            shade(l, d);
        }
        let s = shade::stats();
        assert_eq!(s.misses, 512);
        let advice = s.advice();
        let Advice::Precompute { domain, cells, .. } = &advice else {
            return Err(format!("{advice:?}"));
        };
        assert_eq!((domain.as_str(), *cells), ("(_, _)", 512));
        // The domain it suggests compiles (`shade_table`) and serves the calls.
        for &(l, d) in &calls[..1_000] {
            assert_eq!(shade_table(l, d), shade(l, d));
        }
        let table = fastest(|| {
            black_box(
                calls
                    .iter()
                    .map(|&(l, d)| shade_table(l, d))
                    .fold(0_u32, u32::wrapping_add),
            );
        });
        let cached = fastest(|| {
            black_box(
                calls
                    .iter()
                    .map(|&(l, d)| shade(l, d))
                    .fold(0_u32, u32::wrapping_add),
            );
        });
        check(table < cached, || {
            format!("table {table:?}, cache {cached:?}")
        })
    });
}

// ---- rule: remove a cache that hits too rarely -----------------------------

fn scramble(id: u64) -> u64 {
    id.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17)
}

#[memoize]
fn unique(id: u64) -> u64 {
    scramble(id)
}

#[test]
fn a_near_zero_hit_rate_advises_removal_and_no_cache_is_faster() {
    attempts(|| {
        unique::clear();
        for i in 0..5_000 {
            unique(i);
        }
        unique(1);
        let s = unique::stats();
        let advice = s.advice();
        let Advice::Remove {
            hits: 1,
            calls: 5_001,
            saving: Some(saving),
        } = advice
        else {
            return Err(format!("{advice:?}"));
        };
        assert!(
            advice.to_string().starts_with(
                "1 hits in 5,001 calls: the cache costs more than it saves; remove it (~"
            ),
            "{advice}"
        );
        assert!(saving.per_call_ns > 0.0);
        // For real: fresh inputs through the cache against the bare body.
        let mut next = 1_000_000;
        let cached = fastest(|| {
            for _ in 0..5_000 {
                next += 1;
                black_box(unique(next));
            }
        });
        let bare = fastest(|| {
            for i in 0..5_000 {
                black_box(scramble(black_box(i)));
            }
        });
        check(bare < cached, || {
            format!("bare {bare:?}, cached {cached:?}")
        })
    });
}

// ---- rule and conflict: a body cheaper than a lookup, over a small domain --

fn add(a: u32, b: u32) -> u32 {
    a.wrapping_add(b)
}

#[memoize]
fn add_cached(a: u32, b: u32) -> u32 {
    add(a, b)
}

/// The case: a table over `(0..1000, 0..7)` would be no cheaper than
/// the body itself, so "remove the cache" wins over "precompute".
#[test]
fn a_cheap_body_over_a_small_domain_advises_removing_the_cache_not_a_table() {
    let calls: Vec<(u32, u32)> = (0..70_000_u32).map(|i| (i % 1_000, i % 7)).collect();
    attempts(|| {
        add_cached::clear();
        for &(a, b) in &calls {
            add_cached(a, b);
        }
        let s = add_cached::stats();
        assert_eq!((s.calls, s.misses), (70_000, 7_000));
        assert_eq!(s.observed, vec![(0, 999), (0, 6)]);
        let advice = s.advice();
        let Advice::CheapBody {
            body,
            lookup,
            saving,
        } = advice
        else {
            return Err(format!(
                "{advice:?} (body {:?}, lookup {:?})",
                s.body_mean, s.lookup_cost
            ));
        };
        assert!(body < lookup);
        let text = advice.to_string();
        assert!(text.starts_with("the body takes ~"), "{text}");
        assert!(text.contains("remove it (~"), "{text}");
        assert_eq!(saving.calls, 70_000);
        // For real: the bare body beats the cache.
        let cached = fastest(|| {
            black_box(
                calls
                    .iter()
                    .map(|&(a, b)| add_cached(a, b))
                    .fold(0_u32, u32::wrapping_add),
            );
        });
        let bare = fastest(|| {
            black_box(
                calls
                    .iter()
                    .map(|&(a, b)| add(black_box(a), b))
                    .fold(0_u32, u32::wrapping_add),
            );
        });
        check(bare < cached, || {
            format!("bare {bare:?}, cached {cached:?}")
        })
    });
}

// ---- rule: raise a bounded cache's capacity --------------------------------

// The keys are strings: over integers, a table over the observed domain
// would be an alternative too (the precompute rule), and a table load is
// cheaper than a lookup.

fn slow_len(id: &str) -> usize {
    spin(Duration::from_micros(5));
    id.len()
}

#[memoize(capacity = 10)]
fn bounded(id: &str) -> usize {
    slow_len(id)
}

#[memoize(capacity = 110)]
fn bounded_as_advised(id: &str) -> usize {
    slow_len(id)
}

/// 100 keys, each called twice in a row, round and round: half the calls
/// hit, and the other half miss keys the cache held before.
fn pairs() -> Vec<String> {
    (0..2_000_u32)
        .map(|i| format!("user-{}", (i / 2) % 100))
        .collect()
}

fn hit_rate_of(f: fn(&str) -> usize, stats: fn() -> memo::Stats, keys: &[String]) -> f64 {
    for k in keys {
        f(k);
    }
    stats().hit_rate()
}

#[test]
fn a_cache_that_evicts_what_it_misses_advises_the_capacity_that_fits() {
    let pairs = pairs();
    attempts(|| {
        bounded::clear();
        let before = hit_rate_of(bounded, bounded::stats, &pairs);
        let s = bounded::stats();
        assert_eq!((s.calls, s.misses), (2_000, 1_000));
        assert_eq!(s.distinct, Some(100));
        let advice = s.advice();
        let Advice::RaiseCapacity {
            capacity: 10,
            suggested,
            distinct: 100,
            saving,
            ..
        } = advice
        else {
            return Err(format!("{advice:?} from {s:?}"));
        };
        assert_eq!(suggested, 110, "100 distinct inputs and 10% headroom");
        let text = advice.to_string();
        assert!(
            text.contains("`capacity = 110` would hold them all (~"),
            "{text}"
        );
        // About 900 of the 1,000 misses would hit: ~900 runs of 5 µs.
        let claimed = saving.total.as_secs_f64() * 1e3;
        check((2.0..=12.0).contains(&claimed), || {
            format!("claimed {claimed:.2} ms saved, expected about 4.5")
        })?;
        // For real: the suggested capacity on the same calls.
        bounded_as_advised::clear();
        let after = hit_rate_of(bounded_as_advised, bounded_as_advised::stats, &pairs);
        assert_eq!(bounded_as_advised::stats().evictions, 0);
        check(after >= 0.94 && after > before, || {
            format!("hit rate {before:.3} at capacity 10, {after:.3} at 110")
        })
    });
}

/// The first case: a cyclic working set of 100 keys through
/// `capacity = 10` gets no hits at all. That is a capacity problem, not a
/// reason to drop the cache.
#[test]
fn a_thrashing_bounded_cache_advises_more_capacity_not_removal() {
    let cycle: Vec<String> = (0..2_000_u32)
        .map(|i| format!("user-{}", i % 100))
        .collect();
    attempts(|| {
        bounded::clear();
        let before = hit_rate_of(bounded, bounded::stats, &cycle);
        let s = bounded::stats();
        assert!(before < 0.05, "{before}");
        let advice = s.advice();
        let Advice::RaiseCapacity { suggested, .. } = advice else {
            return Err(format!("{advice:?}"));
        };
        assert_eq!(suggested, 110);
        bounded_as_advised::clear();
        let after = hit_rate_of(bounded_as_advised, bounded_as_advised::stats, &cycle);
        check(after > 0.94, || format!("{after}"))
    });
}

// ---- keep ------------------------------------------------------------------

#[memoize]
fn expensive(name: String) -> u64 {
    std::thread::sleep(Duration::from_micros(200));
    name.len() as u64
}

#[test]
fn a_cache_that_pays_for_itself_is_kept() {
    attempts(|| {
        expensive::clear();
        for i in 0..200 {
            expensive(format!("{}", i % 4));
        }
        let s = expensive::stats();
        assert_eq!((s.calls, s.misses), (200, 4));
        check(s.advice() == Advice::Keep, || format!("{:?}", s.advice()))?;
        check(s.body_mean.unwrap() >= Duration::from_micros(200), || {
            format!("{:?}", s.body_mean)
        })
    });
}

#[counted]
fn never(n: u64) -> u64 {
    n
}

#[counted]
fn each_once(n: u64) -> u64 {
    n.wrapping_mul(3)
}

#[test]
fn distinct_inputs_and_too_few_calls_say_keep() {
    for n in 0..10_000 {
        each_once(n);
    }
    assert_eq!(each_once::stats().advice(), Advice::Keep);
    never(1);
    assert_eq!(never::stats().advice(), Advice::Keep);
}

// ---- rule: #[memoize] for a counted function called with repeated inputs --

#[counted]
fn square_slowly(n: u64) -> u64 {
    spin(Duration::from_micros(2));
    n * n
}

#[memoize]
fn square_memoized(n: u64) -> u64 {
    spin(Duration::from_micros(2));
    n * n
}

#[test]
fn repeated_inputs_advise_memoize_and_the_cache_is_faster() {
    let inputs: Vec<u64> = (0..6_400).map(|i| scramble(i) % 10).collect();
    attempts(|| {
        square_slowly::clear();
        let uncached = fastest(|| {
            for &n in &inputs {
                black_box(square_slowly(n));
            }
        });
        square_slowly::clear();
        for &n in &inputs {
            square_slowly(n);
        }
        let s = square_slowly::stats();
        let advice = s.advice();
        let Advice::Memoize {
            calls: 6_400,
            distinct,
            saving: Some(saving),
        } = advice
        else {
            return Err(format!("{advice:?}"));
        };
        assert!(
            (5..=10).contains(&distinct),
            "distinct inputs in a sample: {distinct}"
        );
        // 6,390 runs of 2 µs avoided (12.8 ms), less 6,400 lookups (slow
        // in a debug build).
        let claimed = saving.total.as_secs_f64() * 1e3;
        check((3.0..=20.0).contains(&claimed), || {
            format!("claimed {claimed:.1} ms")
        })?;
        let cached = fastest(|| {
            square_memoized::clear();
            for &n in &inputs {
                black_box(square_memoized(n));
            }
        });
        check(cached * 5 < uncached, || {
            format!("memoized {cached:?}, counted {uncached:?}")
        })
    });
}

#[counted]
fn fib_slow(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_slow(n - 1) + fib_slow(n - 2)
    }
}

#[test]
fn a_recursive_counted_function_advises_memoize_with_its_whole_time_saved() {
    attempts(|| {
        fib_slow::clear();
        fib_slow(22);
        let s = fib_slow::stats();
        assert_eq!(s.calls, 57_313);
        assert_eq!(s.outer_runs, Some(1), "one call from outside");
        let advice = s.advice();
        let Advice::Memoize {
            calls: 57_313,
            distinct,
            saving: Some(saving),
        } = advice
        else {
            return Err(format!("{advice:?}"));
        };
        assert!((1..=23).contains(&distinct), "{distinct}");
        // Memoized, fib(22) makes 43 calls and 23 runs: nearly all the time goes.
        let total = s.total_time.unwrap();
        let share = saving.total.as_secs_f64() / total.as_secs_f64();
        check(share > 0.8, || {
            format!("saving {:?} of {total:?}", saving.total)
        })?;
        let text = memo::report().to_string();
        check(text.contains("57313/1"), || {
            "the report writes a recursive function's calls as total/outer".to_string()
        })
    });
}

// ---- conflict: repeated inputs, but a body cheaper than a lookup ------------

#[counted]
fn xor(a: u32, b: u32) -> u32 {
    a ^ b
}

#[memoize]
fn xor_memoized(a: u32, b: u32) -> u32 {
    a ^ b
}

#[test]
fn repeated_inputs_to_a_cheap_body_say_keep_and_a_cache_would_be_slower() {
    let calls: Vec<(u32, u32)> = (0..64_000_u32).map(|i| (i % 10, i % 3)).collect();
    attempts(|| {
        xor::clear();
        for &(a, b) in &calls {
            xor(a, b);
        }
        let s = xor::stats();
        check(s.samples >= 2 * s.distinct.unwrap_or(0), || {
            format!("{s:?}")
        })?;
        check(s.advice() == Advice::Keep, || {
            format!("{:?} (body {:?})", s.advice(), s.body_mean)
        })?;
        // For real: the cache would cost more than the body it saves.
        let counted = fastest(|| {
            black_box(
                calls
                    .iter()
                    .map(|&(a, b)| xor(a, b))
                    .fold(0_u32, u32::wrapping_add),
            );
        });
        let memoized = fastest(|| {
            black_box(
                calls
                    .iter()
                    .map(|&(a, b)| xor_memoized(a, b))
                    .fold(0_u32, u32::wrapping_add),
            );
        });
        check(counted < memoized, || {
            format!("counted {counted:?}, memoized {memoized:?}")
        })
    });
}

// ---- rules on tables --------------------------------------------------------

#[precompute(domain = (0..300, 0..300))]
fn wide(a: u32, b: u32) -> u32 {
    mix(a, b)
}

#[memoize]
fn wide_memoized(a: u32, b: u32) -> u32 {
    mix(a, b)
}

#[test]
fn a_large_table_serving_few_inputs_advises_memoize_and_a_cache_is_faster() {
    let calls: Vec<(u32, u32)> = (0..10_000_u32).map(|i| (i % 10, 7)).collect();
    // The table is built once per process, at the first call: time it then.
    let start = std::time::Instant::now();
    black_box(
        calls
            .iter()
            .map(|&(a, b)| wide(a, b))
            .fold(0_u32, u32::wrapping_add),
    );
    let table = start.elapsed();
    let s = wide::stats();
    assert_eq!((s.calls, s.hits, s.entries), (10_000, 10_000, 90_000));
    let distinct = s.distinct.unwrap();
    assert!(
        (1..=10).contains(&distinct),
        "cells read by sampled hits: {distinct}"
    );
    let advice = s.advice();
    assert!(
        matches!(advice, Advice::SparseTable { cells: 90_000, distinct: d, .. } if d == distinct),
        "{advice:?}"
    );
    assert!(advice.to_string().contains("use `#[memoize]`"));
    attempts(|| {
        let cached = fastest(|| {
            wide_memoized::clear();
            black_box(
                calls
                    .iter()
                    .map(|&(a, b)| wide_memoized(a, b))
                    .fold(0_u32, u32::wrapping_add),
            );
        });
        check(cached * 2 < table, || {
            format!("cache {cached:?}, table built and read {table:?}")
        })
    });
}

#[precompute(domain = 0..10)]
fn narrow(a: u32) -> u32 {
    mix(a, 1)
}

#[precompute(domain = 0..1_000)]
fn narrow_widened(a: u32) -> u32 {
    mix(a, 1)
}

#[test]
fn mostly_out_of_domain_calls_advise_a_wider_domain_and_it_is_faster() {
    attempts(|| {
        narrow::clear();
        for a in 0..1_000 {
            assert_eq!(narrow(a), mix(a, 1));
        }
        let s = narrow::stats();
        assert_eq!((s.calls, s.hits, s.misses), (1_000, 10, 990));
        let advice = s.advice();
        let Advice::MostlyOutOfDomain {
            misses: 990,
            calls: 1_000,
            saving: Some(_),
        } = advice
        else {
            return Err(format!("{advice:?} (body {:?})", s.body_mean));
        };
        narrow_widened::init();
        let narrow_time = fastest(|| {
            black_box((0..1_000).map(narrow).fold(0_u32, u32::wrapping_add));
        });
        let wide_time = fastest(|| {
            black_box(
                (0..1_000)
                    .map(narrow_widened)
                    .fold(0_u32, u32::wrapping_add),
            );
        });
        check(wide_time < narrow_time, || {
            format!("widened {wide_time:?}, narrow {narrow_time:?}")
        })
    });
}
