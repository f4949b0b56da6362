//! `memo::report()`: exact counts, and one test per kind of advice, each
//! driving a real annotated function into that situation.

use memo::{counted, memoize, Advice};

fn validate(rule_id: u32, event_type: u32) -> bool {
    let mut x = rule_id.wrapping_mul(0x9E37_79B9) ^ event_type;
    for _ in 0..50 {
        x = x.rotate_left(5).wrapping_mul(31) ^ rule_id;
    }
    x % 3 != 0
}

#[memoize]
fn validate_cached(rule_id: u32, event_type: u32) -> bool {
    validate(rule_id, event_type)
}

#[test]
fn small_integer_domain_advises_precompute() {
    for i in 0..10_000_u32 {
        validate_cached(i % 20, (i / 20) % 20);
    }
    let s = validate_cached::stats();
    assert_eq!(
        (s.calls, s.hits, s.misses, s.entries),
        (10_000, 9_600, 400, 400)
    );
    assert_eq!(s.observed, vec![(0, 19), (0, 19)]);
    let distinct = s.distinct.unwrap();
    assert!(
        (360..=440).contains(&distinct),
        "sketch estimate {distinct}"
    );
    assert_eq!(s.samples, 400, "every miss is sampled");
    match s.advice() {
        Advice::Precompute {
            calls,
            domain,
            cells,
        } => {
            assert_eq!(
                (calls, domain.as_str(), cells),
                (10_000, "(0..20, 0..20)", 400)
            );
        }
        other => panic!("{other:?}"),
    }
    let text = s.advice().to_string();
    assert!(
        text.contains("`#[precompute(domain = (0..20, 0..20))]`"),
        "{text}"
    );
    assert!(
        text.starts_with("all 10,000 calls fell in (0..20, 0..20): 400 cells"),
        "{text}"
    );
}

#[memoize]
fn unique(id: String) -> usize {
    id.len()
}

#[test]
fn near_zero_hit_rate_advises_removal() {
    for i in 0..500 {
        unique(format!("id-{i}"));
    }
    unique("id-1".into());
    let s = unique::stats();
    assert_eq!(
        s.advice(),
        Advice::Remove {
            hits: 1,
            calls: 501
        }
    );
    assert_eq!(
        s.advice().to_string(),
        "1 hits in 501 calls: the cache costs more than it saves; remove it"
    );
}

#[memoize(capacity = 10)]
fn bounded(id: String) -> usize {
    id.len() * 2
}

#[test]
fn evicting_most_entries_advises_a_larger_capacity() {
    for i in 0..200 {
        bounded(format!("k{i}"));
        bounded(format!("k{i}"));
    }
    let s = bounded::stats();
    assert_eq!(
        (s.calls, s.hits, s.misses, s.evictions),
        (400, 200, 200, 190)
    );
    assert_eq!(
        s.advice(),
        Advice::RaiseCapacity {
            capacity: 10,
            evictions: 190,
            misses: 200
        }
    );
}

#[memoize]
fn cheap(name: String) -> usize {
    name.len()
}

#[test]
fn a_body_as_cheap_as_a_lookup_is_reported() {
    for i in 0..1_000 {
        cheap(format!("{}", i % 10));
    }
    let s = cheap::stats();
    assert!(s.body_mean.is_some() && s.lookup_cost.is_some());
    assert!(
        matches!(s.advice(), Advice::CheapBody { .. }),
        "{:?} (body {:?}, lookup {:?})",
        s.advice(),
        s.body_mean,
        s.lookup_cost
    );
}

#[memoize]
fn expensive(name: String) -> u64 {
    std::thread::sleep(std::time::Duration::from_micros(200));
    name.len() as u64
}

#[test]
fn a_cache_that_pays_for_itself_is_kept() {
    for i in 0..200 {
        expensive(format!("{}", i % 4));
    }
    let s = expensive::stats();
    assert_eq!((s.calls, s.misses), (200, 4));
    assert_eq!(s.advice(), Advice::Keep);
    assert!(s.body_mean.unwrap() >= std::time::Duration::from_micros(200));
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
fn counted_repeats_advise_memoize() {
    fib_slow(20);
    let s = fib_slow::stats();
    assert_eq!(s.calls, 21_891);
    // One call in 64 is sampled: 342 samples, at most 21 distinct inputs (fib(0..=20)).
    assert_eq!(s.samples, 21_891_u64.div_ceil(64));
    let distinct = s.distinct.unwrap();
    assert!((1..=21).contains(&distinct), "{distinct}");
    assert_eq!(
        s.advice(),
        Advice::Memoize {
            calls: 21_891,
            distinct
        }
    );
    assert!(s.advice().to_string().contains("`#[memoize]`"));
}

#[counted]
fn each_once(n: u64) -> u64 {
    n.wrapping_mul(3)
}

#[test]
fn counted_distinct_inputs_are_kept_and_too_few_calls_say_keep() {
    for n in 0..10_000 {
        each_once(n);
    }
    assert_eq!(each_once::stats().advice(), Advice::Keep);
    assert_eq!(never::stats().advice(), Advice::Keep);
}

#[counted]
fn never(n: u64) -> u64 {
    n
}

#[test]
fn report_renders_advice_and_json() {
    fib_slow(10);
    let report = memo::report();
    let text = report.to_string();
    assert!(text.contains("advice:"), "{text}");
    assert!(text.contains("report::fib_slow: "), "{text}");
    let json = report.to_json();
    assert!(json.trim_start().starts_with('[') && json.trim_end().ends_with(']'));
    assert!(json.contains("\"name\": \"report::fib_slow\""), "{json}");
    assert!(json.contains("\"advice\": \"memoize\""), "{json}");
}

#[memo::precompute(domain = (0..300, 0..300))]
fn wide(a: u32, b: u32) -> u32 {
    a * 1_000 + b
}

#[test]
fn a_large_table_serving_few_inputs_advises_memoize() {
    for i in 0..10_000_u32 {
        assert_eq!(wide(i % 10, 7), (i % 10) * 1_000 + 7);
    }
    let s = wide::stats();
    assert_eq!((s.calls, s.hits, s.entries), (10_000, 10_000, 90_000));
    let distinct = s.distinct.unwrap();
    assert!(
        (1..=10).contains(&distinct),
        "cells read by sampled hits: {distinct}"
    );
    assert_eq!(
        s.advice(),
        Advice::SparseTable {
            cells: 90_000,
            distinct
        }
    );
    assert!(s.advice().to_string().contains("use `#[memoize]`"));
}

#[memo::precompute(domain = 0..10)]
fn narrow(a: u32) -> u32 {
    a + 1
}

#[test]
fn mostly_out_of_domain_calls_are_reported() {
    for a in 0..1_000 {
        assert_eq!(narrow(a), a + 1);
    }
    let s = narrow::stats();
    assert_eq!((s.calls, s.hits, s.misses), (1_000, 10, 990));
    assert_eq!(
        s.advice(),
        Advice::MostlyOutOfDomain {
            misses: 990,
            calls: 1_000
        }
    );
}

#[memo::precompute(domain = 0..4)]
fn slow_outside(a: u32) -> u32 {
    std::thread::sleep(std::time::Duration::from_micros(100));
    a
}

#[test]
fn body_time_covers_every_out_of_domain_call() {
    for a in 10..138 {
        slow_outside(a);
    }
    let s = slow_outside::stats();
    assert_eq!(s.misses, 128);
    let mean = s.body_mean.expect("one out-of-domain call in 64 is timed");
    assert!(mean >= std::time::Duration::from_micros(100));
    assert_eq!(s.body_time, mean * 128);
}
