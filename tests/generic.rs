//! Generic functions: one cache per instantiation, each a row of the report
//! named with its types (`generic::f::<u32>`), `f::stats()` summing them; with
//! several type parameters, `capacity`, `thread_local`, `single_flight`, the
//! companion's `get`/`insert`/`remove`, and across threads.

mod common;

use std::any::type_name;
use std::fmt::Display;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{join, watchdog, TIMEOUT};
use memo::memoize;

/// The report row of one instantiation, by its full name.
fn row(name: &str) -> memo::Stats {
    let report = memo::report();
    report.get(name).cloned().unwrap_or_else(|| {
        let names: Vec<_> = report.iter().map(|s| s.name).collect();
        panic!("no report row {name:?}; the rows are {names:?}")
    })
}

/// `calls`, `hits`, `misses`.
fn counts(s: &memo::Stats) -> (u64, u64, u64) {
    (s.calls, s.hits, s.misses)
}

static IDENT_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
fn ident<T: Clone + Eq + Hash + Send + Sync + 'static>(x: T) -> T {
    IDENT_RUNS.fetch_add(1, SeqCst);
    x
}

/// `ident(1u32)` and `ident(1u64)` are different functions with different
/// caches; the report has a row for each.
#[test]
fn one_cache_per_instantiation() {
    assert_eq!(ident(1u32), 1);
    assert_eq!(ident(1u32), 1);
    assert_eq!(ident(1u64), 1);
    for _ in 0..3 {
        assert_eq!(ident(String::from("a")), "a");
    }
    assert_eq!(IDENT_RUNS.load(SeqCst), 3, "one run per instantiation");

    let u32s = row("generic::ident::<u32>");
    assert_eq!((counts(&u32s), u32s.entries), ((2, 1, 1), 1));
    let u64s = row("generic::ident::<u64>");
    assert_eq!((counts(&u64s), u64s.entries), ((1, 0, 1), 1));
    // `type_name` spells it `alloc::string::String`.
    let strings = row(&format!("generic::ident::<{}>", type_name::<String>()));
    assert_eq!((counts(&strings), strings.entries), ((3, 2, 1), 1));
    assert!(memo::report()
        .get("generic::ident::<alloc::string::String>")
        .is_some());

    let all = ident::stats();
    assert_eq!(
        (counts(&all), all.entries),
        ((6, 3, 3), 3),
        "the sum of the rows"
    );
}

static ZERO_RUNS: AtomicU64 = AtomicU64::new(0);

/// The type parameter is in the value only: every instantiation has the key
/// `()`, and each must still get its own value.
#[memoize]
fn zero<T: Default + Clone + Send + Sync + 'static>() -> T {
    ZERO_RUNS.fetch_add(1, SeqCst);
    T::default()
}

#[test]
fn a_type_parameter_in_the_value_only() {
    assert_eq!(zero::<u32>(), 0);
    assert_eq!(zero::<String>(), "");
    assert_eq!(zero::<Vec<u8>>(), Vec::<u8>::new());
    assert_eq!(zero::<u32>(), 0);
    assert_eq!(zero::<String>(), "");
    assert_eq!(ZERO_RUNS.load(SeqCst), 3);
    assert_eq!(counts(&row("generic::zero::<u32>")), (2, 1, 1));
    assert_eq!(
        counts(&row(&format!(
            "generic::zero::<{}>",
            type_name::<Vec<u8>>()
        ))),
        (1, 0, 1)
    );
    assert_eq!(counts(&zero::stats()), (5, 2, 3));
}

static PAIR_RUNS: AtomicU64 = AtomicU64::new(0);

/// Two type parameters, bounded in a `where` clause.
#[memoize]
fn swap<A, B>(a: A, b: B) -> (B, A)
where
    A: Clone + Eq + Hash + Send + Sync + 'static,
    B: Clone + Eq + Hash + Send + Sync + 'static,
{
    PAIR_RUNS.fetch_add(1, SeqCst);
    (b, a)
}

#[test]
fn two_type_parameters() {
    assert_eq!(swap(1u32, 2u64), (2u64, 1u32));
    assert_eq!(swap(1u32, 2u64), (2u64, 1u32));
    assert_eq!(swap(1u64, 2u32), (2u32, 1u64));
    assert_eq!(PAIR_RUNS.load(SeqCst), 2);
    assert_eq!(counts(&row("generic::swap::<u32, u64>")), (2, 1, 1));
    assert_eq!(counts(&row("generic::swap::<u64, u32>")), (1, 0, 1));
    assert_eq!(counts(&swap::stats()), (3, 1, 2));
}

#[memoize(capacity = 2)]
fn capped<T: Clone + Eq + Hash + Send + Sync + 'static>(x: T) -> T {
    x
}

/// `capacity` bounds each instantiation's cache.
#[test]
fn capacity_per_instantiation() {
    for k in 0..5u32 {
        assert_eq!(capped(k), k);
    }
    for k in 0..5u64 {
        assert_eq!(capped(k), k);
    }
    for name in ["generic::capped::<u32>", "generic::capped::<u64>"] {
        let s = row(name);
        assert_eq!(
            (s.misses, s.entries, s.evictions, s.capacity),
            (5, 2, 3, Some(2)),
            "{name}"
        );
    }
    let all = capped::stats();
    assert_eq!((all.misses, all.entries, all.evictions), (10, 4, 6));
}

static LOCAL_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(thread_local)]
fn local<T: Clone + Eq + Hash + Send + Sync + 'static>(x: T) -> T {
    LOCAL_RUNS.fetch_add(1, SeqCst);
    x
}

/// `thread_local`: one cache per thread and per instantiation.
#[test]
fn thread_local_per_instantiation() {
    watchdog("generic_thread_local", TIMEOUT, || {
        let run = || {
            assert_eq!(local(3u32), 3);
            assert_eq!(local(3u32), 3);
            assert_eq!(local(3u64), 3);
        };
        let a = std::thread::spawn(run);
        let b = std::thread::spawn(run);
        join(a, "thread A");
        join(b, "thread B");
        assert_eq!(LOCAL_RUNS.load(SeqCst), 4, "each thread, each type");
        let u32s = row("generic::local::<u32>");
        assert_eq!(counts(&u32s), (4, 2, 2));
        assert!(u32s.thread_local);
        assert_eq!(counts(&row("generic::local::<u64>")), (2, 0, 2));
        assert_eq!(counts(&local::stats()), (6, 2, 4));
    });
}

static ACROSS_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
fn across<T: Clone + Eq + Hash + Send + Sync + 'static>(x: T) -> Vec<T> {
    ACROSS_RUNS.fetch_add(1, SeqCst);
    vec![x.clone(), x]
}

/// The default cache is shared by all threads, per instantiation.
#[test]
fn values_are_shared_across_threads() {
    watchdog("generic_across_threads", TIMEOUT, || {
        assert_eq!(across(4u16), [4, 4]);
        assert_eq!(across(String::from("x")), ["x", "x"]);
        let readers: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    assert_eq!(across(4u16), [4, 4]);
                    assert_eq!(across(String::from("x")), ["x", "x"]);
                })
            })
            .collect();
        for (i, reader) in readers.into_iter().enumerate() {
            join(reader, &format!("reader {i}"));
        }
        assert_eq!(ACROSS_RUNS.load(SeqCst), 2, "computed once per type");
        assert_eq!(counts(&row("generic::across::<u16>")), (5, 4, 1));
        assert_eq!(
            counts(&row(&format!(
                "generic::across::<{}>",
                type_name::<String>()
            ))),
            (5, 4, 1)
        );
    });
}

static FLIGHT_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(single_flight)]
fn flight<T: Clone + Eq + Hash + Send + Sync + 'static>(x: T) -> T {
    FLIGHT_RUNS.fetch_add(1, SeqCst);
    std::thread::sleep(Duration::from_millis(50));
    x
}

/// `single_flight` per instantiation: eight racing threads, one run.
#[test]
fn single_flight_per_instantiation() {
    watchdog("generic_single_flight", TIMEOUT, || {
        let barrier = Arc::new(Barrier::new(8));
        let racers: Vec<_> = (0..8)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    flight(9u8)
                })
            })
            .collect();
        for (i, racer) in racers.into_iter().enumerate() {
            assert_eq!(join(racer, &format!("racer {i}")), 9);
        }
        assert_eq!(FLIGHT_RUNS.load(SeqCst), 1);
        let s = row("generic::flight::<u8>");
        assert_eq!(counts(&s), (8, 7, 1));
        assert!((1..=7).contains(&s.waited), "{} waited", s.waited);
    });
}

static LABEL_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
fn label<T: Display + Clone + Eq + Hash + Send + Sync + 'static>(x: T) -> String {
    LABEL_RUNS.fetch_add(1, SeqCst);
    format!("<{x}>")
}

/// The companion functions are generic the same way: explicit
/// (`label::get::<u32>(1)`) or inferred (`label::get(1u32)`), one cache per
/// instantiation.
#[test]
fn companion_get_insert_remove_per_instantiation() {
    assert_eq!(label::get(1u32), None);
    label::insert(1u32, "one".to_owned());
    assert_eq!(label::get::<u32>(1).as_deref(), Some("one"));
    assert_eq!(label::get(1u64), None, "another instantiation");
    assert_eq!(label(1u32), "one", "primed");
    assert_eq!(LABEL_RUNS.load(SeqCst), 0);
    assert_eq!(label(1u64), "<1>");
    assert_eq!(LABEL_RUNS.load(SeqCst), 1);
    assert_eq!(label::remove(1u32).as_deref(), Some("one"));
    assert_eq!(label::remove::<u32>(1), None);
    assert_eq!(label::get(1u64).as_deref(), Some("<1>"), "untouched");
    assert_eq!(label(1u32), "<1>");
    assert_eq!(LABEL_RUNS.load(SeqCst), 2);
    assert_eq!(counts(&row("generic::label::<u32>")), (2, 1, 1));
    assert_eq!(counts(&row("generic::label::<u64>")), (1, 0, 1));
}
