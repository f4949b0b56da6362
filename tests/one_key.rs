//! One key at a time: the companion module's `get` (a peek that runs nothing
//! and counts nothing), `insert` (priming: the next call is a hit) and
//! `remove` (once it returns, no thread is served the removed value), in
//! every mode, with borrowed arguments and with `key = EXPR`.

mod common;

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::mpsc;
use std::time::Duration;

use common::{join, watchdog, TIMEOUT};
use memo::memoize;

/// Key `k` and the number of the body run that computed it (from 1): a value
/// served from before a `remove` is told apart from a recomputed one.
type Stamped = (u32, u64);

/// `calls`, `hits`, `misses`.
fn counts(s: &memo::Stats) -> (u64, u64, u64) {
    (s.calls, s.hits, s.misses)
}

/// One function and its companion module.
#[derive(Clone, Copy)]
struct Api {
    call: fn(u32) -> Stamped,
    get: fn(u32) -> Option<Stamped>,
    insert: fn(u32, Stamped),
    remove: fn(u32) -> Option<Stamped>,
    clear: fn(),
    stats: fn() -> memo::Stats,
    runs: &'static AtomicU64,
}

macro_rules! api {
    ($f:ident, $runs:ident) => {
        Api {
            call: $f,
            get: $f::get,
            insert: $f::insert,
            remove: $f::remove,
            clear: $f::clear,
            stats: $f::stats,
            runs: &$runs,
        }
    };
}

/// On one thread: what each operation returns, runs and counts.
fn get_insert_remove(f: Api) {
    let runs = || f.runs.load(SeqCst);

    // A peek at an empty cache finds nothing and counts nothing.
    assert_eq!((f.get)(1), None);
    let s = (f.stats)();
    assert_eq!((counts(&s), s.entries), ((0, 0, 0), 0));

    // After a call, a peek sees its value; peeks run and count nothing.
    assert_eq!((f.call)(1), (1, 1));
    assert_eq!((f.get)(1), Some((1, 1)));
    assert_eq!((f.get)(1), Some((1, 1)));
    let s = (f.stats)();
    assert_eq!((counts(&s), s.entries), ((1, 0, 1), 1), "{}", s.name);
    assert_eq!(runs(), 1, "a peek runs nothing");

    // Priming: the next call is a hit with no body run.
    (f.insert)(2, (2, 99));
    assert_eq!((f.get)(2), Some((2, 99)));
    let s = (f.stats)();
    assert_eq!(
        (counts(&s), s.entries),
        ((1, 0, 1), 2),
        "{}: an insert is not a call",
        s.name
    );
    assert_eq!((f.call)(2), (2, 99));
    assert_eq!(runs(), 1, "primed: no body run");
    assert_eq!(counts(&(f.stats)()), (2, 1, 1));

    // Inserting over an entry replaces its value.
    (f.insert)(1, (1, 50));
    assert_eq!((f.call)(1), (1, 50));
    assert_eq!(counts(&(f.stats)()), (3, 2, 1));

    // `remove` returns the value it removed, then `None`; the next call runs
    // the body; other keys stay.
    assert_eq!((f.remove)(2), Some((2, 99)));
    assert_eq!((f.remove)(2), None);
    assert_eq!((f.get)(2), None);
    assert_eq!((f.stats)().entries, 1);
    assert_eq!((f.call)(2), (2, 2));
    assert_eq!(runs(), 2);
    assert_eq!((f.remove)(77), None, "never cached");
    assert_eq!((f.call)(1), (1, 50), "key 1 untouched");
    let s = (f.stats)();
    assert_eq!((counts(&s), s.entries), ((5, 3, 2), 2), "{}", s.name);

    // `clear()` drops primed entries too, and zeroes the counters.
    (f.insert)(3, (3, 7));
    (f.clear)();
    assert_eq!((f.get)(1), None);
    assert_eq!((f.get)(3), None);
    let s = (f.stats)();
    assert_eq!((counts(&s), s.entries), ((0, 0, 0), 0), "{}", s.name);
    assert_eq!((f.call)(3), (3, 3));
    assert_eq!(runs(), 3);
}

/// Another thread computes key 5 and hits it (so whatever it keeps of its
/// own holds the value); this thread removes key 5; the other thread's next
/// call must run the body and return the new value.
fn remove_reaches_every_thread(f: Api, thread_local: bool) {
    let (to_other, from_main) = mpsc::channel::<()>();
    let (to_main, from_other) = mpsc::channel::<Stamped>();
    let other = std::thread::spawn(move || {
        let first = (f.call)(5);
        assert_eq!((f.call)(5), first, "the second call is a hit");
        to_main.send(first).expect("main listens");
        from_main.recv().expect("main removes key 5, then says so");
        assert_eq!((f.get)(5), None, "removed from this thread's view too");
        let again = (f.call)(5);
        to_main.send(again).expect("main listens");
        assert_eq!((f.call)(5), again, "stored again");
    });
    let Ok(first) = from_other.recv() else {
        join(other, "the other thread");
        panic!("the other thread sent nothing");
    };
    assert_eq!(first, (5, 1));

    let removed = (f.remove)(5);
    if thread_local {
        // This thread's own cache never held key 5: what `remove` says of
        // another thread's is either answer.
        assert!(removed.is_none() || removed == Some(first), "{removed:?}");
    } else {
        assert_eq!(removed, Some(first));
    }
    assert_eq!((f.get)(5), None);
    let before = (f.stats)();
    to_other.send(()).expect("the other thread waits");

    let Ok(again) = from_other.recv() else {
        join(other, "the other thread");
        panic!("the other thread sent nothing after the remove");
    };
    assert_eq!(
        again,
        (5, 2),
        "the other thread ran the body again instead of serving the removed value"
    );
    join(other, "the other thread");
    assert_eq!(f.runs.load(SeqCst), 2);
    let s = (f.stats)();
    assert_eq!(
        counts(&s),
        (before.calls + 2, before.hits + 1, before.misses + 1),
        "{}: after the remove, one miss and one hit",
        s.name
    );
    assert_eq!(counts(&s), (4, 2, 2), "{}", s.name);
}

/// For one mode (a module of its own): one function for the one-thread
/// semantics, another for the cross-thread `remove`.
macro_rules! every_mode {
    ($mode:ident, ($($option:tt)*), thread_local = $thread_local:expr) => {
        mod $mode {
            use super::*;

            static SEMANTICS_RUNS: AtomicU64 = AtomicU64::new(0);

            #[memoize($($option)*)]
            fn semantics(k: u32) -> Stamped {
                (k, SEMANTICS_RUNS.fetch_add(1, SeqCst) + 1)
            }

            static CROSS_RUNS: AtomicU64 = AtomicU64::new(0);

            #[memoize($($option)*)]
            fn cross(k: u32) -> Stamped {
                (k, CROSS_RUNS.fetch_add(1, SeqCst) + 1)
            }

            #[test]
            fn get_insert_remove() {
                super::get_insert_remove(api!(semantics, SEMANTICS_RUNS));
            }

            #[test]
            fn remove_reaches_every_thread() {
                watchdog(
                    concat!(stringify!($mode), "_remove_reaches_every_thread"),
                    TIMEOUT,
                    || super::remove_reaches_every_thread(api!(cross, CROSS_RUNS), $thread_local),
                );
            }
        }
    };
}

every_mode!(shared, (), thread_local = false);
every_mode!(per_thread, (thread_local), thread_local = true);
every_mode!(bounded, (capacity = 16), thread_local = false);
every_mode!(
    bounded_lru,
    (capacity = 16, policy = lru),
    thread_local = false
);
every_mode!(expiring, (ttl = "1h"), thread_local = false);
every_mode!(
    bounded_lru_expiring,
    (capacity = 16, policy = lru, ttl = "1h"),
    thread_local = false
);
every_mode!(flight, (single_flight), thread_local = false);

// ---------------------------------------------------------------- bounds and expiry

#[memoize(capacity = 4)]
fn small(k: u32) -> u32 {
    k
}

/// Inserted entries count against `capacity` like computed ones.
#[test]
fn insert_respects_capacity() {
    for k in 0..40 {
        small::insert(k, k + 1);
        let entries = small::stats().entries;
        assert!(entries <= 4, "{entries} entries after inserting {k}");
    }
    assert_eq!(small(100), 100);
    assert!(small::stats().entries <= 4);
}

#[memoize(capacity = 4, policy = lru)]
fn small_lru(k: u32) -> u32 {
    k
}

/// With exact LRU, the last four inserted keys are the ones held.
#[test]
fn insert_into_a_full_lru_cache_evicts_the_least_recent() {
    for k in 0..10 {
        small_lru::insert(k, k + 1);
    }
    assert_eq!(small_lru::stats().entries, 4);
    for k in 6..10 {
        assert_eq!(small_lru::get(k), Some(k + 1), "key {k}");
    }
    assert_eq!(small_lru::get(5), None);
    assert_eq!(small_lru(9), 10, "primed");
    assert_eq!(small_lru(0), 0, "evicted: computed");
    assert_eq!(counts(&small_lru::stats()), (2, 1, 1));
}

static SHORT_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(ttl = "100ms")]
fn short_lived(k: u32) -> Stamped {
    (k, SHORT_RUNS.fetch_add(1, SeqCst) + 1)
}

/// An expired entry is not a cached value: `get` does not return it, and an
/// inserted entry expires like a computed one.
#[test]
fn get_never_returns_an_expired_entry() {
    assert_eq!(short_lived(1), (1, 1));
    short_lived::insert(2, (2, 99));
    assert_eq!(short_lived::get(1), Some((1, 1)));
    assert_eq!(short_lived::get(2), Some((2, 99)));
    std::thread::sleep(Duration::from_millis(250));
    assert_eq!(short_lived::get(1), None, "expired");
    assert_eq!(short_lived::get(2), None, "the inserted entry expired too");
    assert_eq!(short_lived(2), (2, 2), "recomputed");
}

// ---------------------------------------------------------------- argument shapes

static GREET_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
fn greet(name: &str, times: usize) -> String {
    GREET_RUNS.fetch_add(1, SeqCst);
    name.repeat(times)
}

/// The companion takes the function's own parameter types, `&str` included,
/// and finds the entry by the owned form, whichever string it is given.
#[test]
fn borrowed_arguments() {
    assert_eq!(greet::get("ab", 2), None);
    greet::insert("ab", 2, "primed".to_owned());
    assert_eq!(greet("ab", 2), "primed");
    assert_eq!(GREET_RUNS.load(SeqCst), 0, "primed: no body run");
    let owned = String::from("ab");
    assert_eq!(greet::get(&owned, 2).as_deref(), Some("primed"));
    assert_eq!(greet::get("ab", 3), None, "another key");
    assert_eq!(greet::remove(&owned, 2).as_deref(), Some("primed"));
    assert_eq!(greet::remove("ab", 2), None);
    assert_eq!(greet("ab", 2), "abab");
    assert_eq!(GREET_RUNS.load(SeqCst), 1);
    assert_eq!(counts(&greet::stats()), (2, 1, 1));
}

static KEYED_RUNS: AtomicU64 = AtomicU64::new(0);

/// `noise` is not part of the key.
#[memoize(key = id)]
fn keyed(id: u32, _noise: u64) -> u32 {
    KEYED_RUNS.fetch_add(1, SeqCst);
    id * 2
}

/// With `key = EXPR`, the companion takes the key's value.
#[test]
fn key_expression_companion_takes_the_key() {
    assert_eq!(keyed::get(7u32), None);
    keyed::insert(7u32, 70);
    assert_eq!(keyed(7, 123), 70, "primed");
    assert_eq!(keyed::get(7u32), Some(70));
    assert_eq!(keyed::remove(7u32), Some(70));
    assert_eq!(keyed::remove(7u32), None);
    assert_eq!(keyed(7, 5), 14);
    assert_eq!(KEYED_RUNS.load(SeqCst), 1);
    assert_eq!(keyed::get(7u32), Some(14));
    assert_eq!(counts(&keyed::stats()), (2, 1, 1));
}

/// `noise` is not part of the key; the key is a tuple.
#[memoize(key = (a, b))]
fn pair_keyed(a: u32, b: u32, _noise: u64) -> u64 {
    u64::from(a) * 100 + u64::from(b)
}

#[test]
fn tuple_key_expression_companion_takes_the_tuple() {
    pair_keyed::insert((1, 2), 5);
    assert_eq!(pair_keyed(1, 2, 9), 5, "primed");
    assert_eq!(pair_keyed::get((1, 2)), Some(5));
    assert_eq!(pair_keyed::get((2, 1)), None);
    assert_eq!(pair_keyed::remove((1, 2)), Some(5));
    assert_eq!(pair_keyed(1, 2, 0), 102);
    assert_eq!(counts(&pair_keyed::stats()), (2, 1, 1));
}
