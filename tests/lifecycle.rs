//! The correctness findings of the runtime review, one test each: methods in
//! generic impls, calls during thread teardown, `clear()` against calls in
//! flight, user code that runs under the cache's borrow or lock, and how a
//! `Result` return type is recognised.

mod common;

use std::fmt::Display;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::thread::LocalKey;

use common::{isolated, join, watchdog, TIMEOUT};
use memo::{counted, memoize};

// ---------------------------------------------------------------------------
// a. Methods in generic impls: one cache and one report row per `Self` type.
// ---------------------------------------------------------------------------

#[derive(Clone, PartialEq, Eq, Hash)]
struct W<T>(T);

static SHOW_RUNS: AtomicU64 = AtomicU64::new(0);

// `Send` because a shared cache hands its keys between threads.
impl<T: Clone + Eq + Hash + Display + Send + Sync + 'static> W<T> {
    #[memoize]
    fn show(&self) -> String {
        SHOW_RUNS.fetch_add(1, SeqCst);
        format!("W({})", self.0)
    }

    #[counted]
    fn tally(&self) -> usize {
        self.0.to_string().len()
    }
}

/// The report rows whose name ends in `::{method}`.
fn rows(method: &str) -> Vec<memo::Stats> {
    let suffix = format!("::{method}");
    memo::report()
        .iter()
        .filter(|s| s.name.ends_with(&suffix))
        .cloned()
        .collect()
}

/// The one row among `rows` whose name contains `needle`.
fn row<'a>(rows: &'a [memo::Stats], needle: &str) -> &'a memo::Stats {
    let found: Vec<_> = rows.iter().filter(|s| s.name.contains(needle)).collect();
    assert_eq!(
        found.len(),
        1,
        "one row naming {needle}: {:?}",
        rows.iter().map(|s| s.name).collect::<Vec<_>>()
    );
    found[0]
}

#[test]
fn memoized_method_in_a_generic_impl_has_a_cache_per_self_type() {
    // `memo::report()` reads every function's cache: under the watchdog, so
    // that a cache another test left locked fails this test instead of hanging it.
    watchdog(
        "memoized_method_in_a_generic_impl_has_a_cache_per_self_type",
        TIMEOUT,
        || {
            assert_eq!(W(1_u32).show(), "W(1)");
            assert_eq!(W(1_u32).show(), "W(1)");
            assert_eq!(W(String::from("a")).show(), "W(a)");
            assert_eq!(W(String::from("a")).show(), "W(a)");
            assert_eq!(W(String::from("b")).show(), "W(b)");
            assert_eq!(SHOW_RUNS.load(SeqCst), 3, "one body run per distinct self");

            let rows = rows("show");
            assert_eq!(
                rows.len(),
                2,
                "{:?}",
                rows.iter().map(|s| s.name).collect::<Vec<_>>()
            );
            let n = row(&rows, "u32");
            assert_eq!(
                (n.calls, n.hits, n.misses, n.entries),
                (2, 1, 1, 1),
                "{}",
                n.name
            );
            let s = row(&rows, "String");
            assert_eq!(
                (s.calls, s.hits, s.misses, s.entries),
                (3, 1, 2, 2),
                "{}",
                s.name
            );
        },
    );
}

trait Describe: Clone + Eq + Hash + Send + Sync + 'static {
    fn id(&self) -> u32;

    #[memoize]
    fn describe(&self) -> String {
        DESCRIBE_RUNS.fetch_add(1, SeqCst);
        format!("#{}", self.id())
    }
}

static DESCRIBE_RUNS: AtomicU64 = AtomicU64::new(0);

#[derive(Clone, PartialEq, Eq, Hash)]
struct Apple(u32);

#[derive(Clone, PartialEq, Eq, Hash)]
struct Pear(u32);

impl Describe for Apple {
    fn id(&self) -> u32 {
        self.0
    }
}

impl Describe for Pear {
    fn id(&self) -> u32 {
        self.0 + 100
    }
}

#[test]
fn memoized_trait_default_method_has_a_cache_per_implementor() {
    // `memo::report()` reads every function's cache: under the watchdog, so
    // that a cache another test left locked fails this test instead of hanging it.
    watchdog(
        "memoized_trait_default_method_has_a_cache_per_implementor",
        TIMEOUT,
        || {
            assert_eq!(Apple(1).describe(), "#1");
            assert_eq!(Apple(1).describe(), "#1");
            assert_eq!(Pear(1).describe(), "#101");
            assert_eq!(Pear(1).describe(), "#101");
            assert_eq!(Pear(1).describe(), "#101");
            assert_eq!(
                DESCRIBE_RUNS.load(SeqCst),
                2,
                "Apple(1) and Pear(1) are different keys"
            );

            let rows = rows("describe");
            assert_eq!(
                rows.len(),
                2,
                "{:?}",
                rows.iter().map(|s| s.name).collect::<Vec<_>>()
            );
            let a = row(&rows, "Apple");
            assert_eq!((a.calls, a.hits, a.misses), (2, 1, 1), "{}", a.name);
            let p = row(&rows, "Pear");
            assert_eq!((p.calls, p.hits, p.misses), (3, 2, 1), "{}", p.name);
        },
    );
}

#[test]
fn counted_method_in_a_generic_impl_counts_per_self_type() {
    // `memo::report()` reads every function's cache: under the watchdog, so
    // that a cache another test left locked fails this test instead of hanging it.
    watchdog(
        "counted_method_in_a_generic_impl_counts_per_self_type",
        TIMEOUT,
        || {
            W(7_u32).tally();
            W(7_u32).tally();
            for _ in 0..3 {
                W(String::from("xy")).tally();
            }
            let rows = rows("tally");
            assert_eq!(
                rows.len(),
                2,
                "{:?}",
                rows.iter().map(|s| s.name).collect::<Vec<_>>()
            );
            assert_eq!(row(&rows, "u32").calls, 2);
            assert_eq!(row(&rows, "String").calls, 3);
        },
    );
}

// ---------------------------------------------------------------------------
// b. Calls during thread teardown: a destructor that runs after memo's own
//    thread-local state is gone still gets the right value (uncached). Each
//    runs in a child process: today's failure is an abort.
// ---------------------------------------------------------------------------

fn value(k: u32) -> u64 {
    u64::from(k) * 10 + 1
}

#[memoize]
fn teardown_shared_fn(k: u32) -> u64 {
    value(k)
}

#[memoize(thread_local)]
fn teardown_local_fn(k: u32) -> u64 {
    value(k)
}

/// A thread-local whose destructor calls a memoized function and checks what
/// it returns.
struct CallsOnDrop(fn(u32) -> u64, &'static AtomicU64);

impl Drop for CallsOnDrop {
    fn drop(&mut self) {
        assert_eq!((self.0)(1), value(1), "a key this thread cached");
        assert_eq!((self.0)(2), value(2), "a key it never called");
        self.1.fetch_add(1, SeqCst);
    }
}

static SHARED_GUARD_DROPS: AtomicU64 = AtomicU64::new(0);
static LOCAL_GUARD_DROPS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static SHARED_GUARD: CallsOnDrop = const { CallsOnDrop(teardown_shared_fn, &SHARED_GUARD_DROPS) };
    static LOCAL_GUARD: CallsOnDrop = const { CallsOnDrop(teardown_local_fn, &LOCAL_GUARD_DROPS) };
}

/// A thread touches `guard` before its first call of `f`, so that the guard's
/// destructor runs after memo's thread-local state is destroyed (destructors
/// run in reverse order of registration); then a thread whose only call is
/// from the destructor.
fn call_from_a_destructor(
    f: fn(u32) -> u64,
    guard: &'static LocalKey<CallsOnDrop>,
    drops: &'static AtomicU64,
) {
    std::thread::spawn(move || {
        guard.with(|_| {});
        assert_eq!(f(1), value(1));
    })
    .join()
    .expect("the thread joins without panic");
    assert_eq!(drops.load(SeqCst), 1, "the destructor ran to its end");

    std::thread::spawn(move || guard.with(|_| {}))
        .join()
        .expect("the second thread joins without panic");
    assert_eq!(drops.load(SeqCst), 2);
}

#[test]
fn shared_call_from_a_thread_local_destructor() {
    isolated("shared_call_from_a_thread_local_destructor", || {
        call_from_a_destructor(teardown_shared_fn, &SHARED_GUARD, &SHARED_GUARD_DROPS);
    });
}

#[test]
fn thread_local_call_from_a_thread_local_destructor() {
    isolated("thread_local_call_from_a_thread_local_destructor", || {
        call_from_a_destructor(teardown_local_fn, &LOCAL_GUARD, &LOCAL_GUARD_DROPS);
    });
}

/// A value whose destructor calls the function that cached it (for a key
/// whose value does not), wherever that destructor runs: when the caller
/// drops its copy, or when the thread's cache (or replica) is torn down.
#[derive(Clone)]
struct Echo {
    k: u32,
    call: Option<fn(u32) -> Echo>,
}

impl Drop for Echo {
    fn drop(&mut self) {
        if let Some(f) = self.call {
            assert_eq!(f(50).k, 50);
        }
    }
}

#[memoize]
fn echo_shared(k: u32) -> Echo {
    Echo {
        k,
        call: (k < 50).then_some(echo_shared as fn(u32) -> Echo),
    }
}

#[memoize(thread_local)]
fn echo_local(k: u32) -> Echo {
    Echo {
        k,
        call: (k < 50).then_some(echo_local as fn(u32) -> Echo),
    }
}

fn cached_value_dropped_at_thread_exit(f: fn(u32) -> Echo) {
    std::thread::spawn(move || {
        assert_eq!(f(1).k, 1);
        assert_eq!(f(1).k, 1);
    })
    .join()
    .expect("the thread joins without panic");
}

#[test]
fn shared_cached_value_whose_drop_calls_the_function() {
    isolated("shared_cached_value_whose_drop_calls_the_function", || {
        cached_value_dropped_at_thread_exit(echo_shared);
    });
}

#[test]
fn thread_local_cached_value_whose_drop_calls_the_function() {
    isolated(
        "thread_local_cached_value_whose_drop_calls_the_function",
        || {
            cached_value_dropped_at_thread_exit(echo_local);
        },
    );
}

// ---------------------------------------------------------------------------
// c. `clear()` against calls in flight: a result computed before `clear()`
//    must not be served after it returns. The bodies are impure on purpose:
//    each returns the next "version" of its computation.
// ---------------------------------------------------------------------------

/// Scenario 1, for one function: a call whose body starts, then waits until
/// another thread has called `clear()`, stores a stale result; the next call
/// (from either thread) must compute a fresh one.
macro_rules! stale_in_flight {
    ($test:ident, ($($option:tt)*)) => {
        mod $test {
            use super::*;

            static VERSION: AtomicU64 = AtomicU64::new(0);
            static HOLD: AtomicBool = AtomicBool::new(false);
            static STARTED: AtomicBool = AtomicBool::new(false);
            static GO: AtomicBool = AtomicBool::new(false);

            #[memoize($($option)*)]
            fn versioned(k: u32) -> u64 {
                let _ = k;
                let v = VERSION.fetch_add(1, SeqCst) + 1;
                if HOLD.load(SeqCst) {
                    STARTED.store(true, SeqCst);
                    while !GO.load(SeqCst) {
                        std::thread::yield_now();
                    }
                }
                v
            }

            #[test]
            fn stale_result_of_a_body_running_across_clear_is_not_served() {
                watchdog(stringify!($test), TIMEOUT, || {
                    HOLD.store(true, SeqCst);
                    let (again_tx, again_rx) = std::sync::mpsc::channel::<()>();
                    let (seen_tx, seen_rx) = std::sync::mpsc::channel::<u64>();
                    let caller = std::thread::spawn(move || {
                        let stale = versioned(1);
                        seen_tx.send(stale).unwrap();
                        again_rx.recv().unwrap();
                        // The same thread again: its own view must be fresh too.
                        seen_tx.send(versioned(1)).unwrap();
                    });
                    while !STARTED.load(SeqCst) {
                        std::thread::yield_now();
                    }
                    versioned::clear();
                    HOLD.store(false, SeqCst);
                    GO.store(true, SeqCst);
                    let stale = seen_rx.recv().unwrap();
                    assert_eq!(stale, 1, "the in-flight call returns its own result");
                    let fresh = versioned(1);
                    assert!(fresh > stale, "after clear(): got {fresh}, the stale value is {stale}");
                    again_tx.send(()).unwrap();
                    let theirs = seen_rx.recv().unwrap();
                    assert!(
                        theirs > stale,
                        "after clear(), the calling thread: got {theirs}, the stale value is {stale}"
                    );
                    join(caller, "the calling thread");
                });
            }
        }
    };
}

stale_in_flight!(in_flight_shared, ());
stale_in_flight!(in_flight_thread_local, (thread_local));
stale_in_flight!(in_flight_capacity, (capacity = 8));

/// Scenario 2, for one function: readers call one key in a loop while a
/// clearer, 1000 times, reads the version counter, calls `clear()`, publishes
/// that floor, and calls the key itself. A call that starts after a floor is
/// published (the reader reads it first) must return a value computed after
/// that `clear()` began: greater than the floor.
macro_rules! fresh_after_clear {
    ($test:ident, ($($option:tt)*)) => {
        mod $test {
            use super::*;

            static VERSION: AtomicU64 = AtomicU64::new(0);

            #[memoize($($option)*)]
            fn versioned(k: u32) -> u64 {
                let _ = k;
                let v = VERSION.fetch_add(1, SeqCst) + 1;
                // Stay in flight for a moment, so that clears land mid-body.
                for _ in 0..3 {
                    std::thread::yield_now();
                }
                v
            }

            #[test]
            fn every_value_read_after_clear_returns_is_newer_than_the_clear() {
                watchdog(stringify!($test), TIMEOUT, || {
                    const READERS: usize = 3;
                    let floor = Arc::new(AtomicU64::new(0));
                    let done = Arc::new(AtomicBool::new(false));
                    let readers: Vec<_> = (0..READERS)
                        .map(|r| {
                            let floor = Arc::clone(&floor);
                            let done = Arc::clone(&done);
                            std::thread::spawn(move || {
                                let mut reads = 0_u64;
                                while !done.load(SeqCst) {
                                    let at_least = floor.load(SeqCst);
                                    let v = versioned(7);
                                    assert!(
                                        v > at_least,
                                        "reader {r}: got version {v} after a clear() that began at version {at_least}"
                                    );
                                    reads += 1;
                                }
                                reads
                            })
                        })
                        .collect();
                    for round in 0..1_000 {
                        let before = VERSION.load(SeqCst);
                        versioned::clear();
                        floor.store(before, SeqCst);
                        let v = versioned(7);
                        assert!(
                            v > before,
                            "clearer, round {round}: got version {v} right after a clear() that began at version {before}"
                        );
                    }
                    done.store(true, SeqCst);
                    for r in readers {
                        assert!(join(r, "a reader") > 0);
                    }
                });
            }
        }
    };
}

fresh_after_clear!(clear_race_shared, ());
fresh_after_clear!(clear_race_thread_local, (thread_local));
fresh_after_clear!(clear_race_capacity, (capacity = 8));

// ---------------------------------------------------------------------------
// d. User code that runs while the cache holds a borrow or a lock: `Clone`
//    of keys and values, `Drop` of evicted values, `Hash` of keys. It may call
//    the function again, its `stats()` or its `clear()`: no `BorrowMutError`,
//    no deadlock, right results.
// ---------------------------------------------------------------------------

macro_rules! user_code_under_the_cache {
    ($mode:ident, ($($option:tt)*)) => {
        mod $mode {
            use super::*;

            /// Keys at or above this call nothing from their `Clone`.
            const QUIET: u32 = 1_000;
            static NEXT: AtomicU64 = AtomicU64::new(0);

            /// A key never used before, so that a call with it misses.
            fn fresh() -> u32 {
                QUIET + u32::try_from(NEXT.fetch_add(1, SeqCst)).unwrap()
            }

            /// A key whose `Clone` calls the function for a key never seen
            /// (a miss, wherever the clone happens).
            #[derive(PartialEq, Eq, Hash, Debug)]
            pub struct Key(pub u32);

            impl Clone for Key {
                fn clone(&self) -> Self {
                    if self.0 < QUIET {
                        let k = fresh();
                        assert_eq!(by_key(Key(k)), k * 10);
                    }
                    Key(self.0)
                }
            }

            #[memoize($($option)*)]
            fn by_key(key: Key) -> u32 {
                key.0 * 10
            }

            #[test]
            fn key_clone_calls_the_function() {
                watchdog(concat!(stringify!($mode), ": key clone"), TIMEOUT, || {
                    for _ in 0..3 {
                        for k in 0..4 {
                            assert_eq!(by_key(Key(k)), k * 10);
                        }
                    }
                });
            }

            /// A value whose `Clone` calls the function for a key never seen.
            #[derive(PartialEq, Debug)]
            pub struct Val(pub u32);

            impl Clone for Val {
                fn clone(&self) -> Self {
                    if self.0 < QUIET {
                        let k = fresh();
                        assert_eq!(to_val(k), Val(k));
                    }
                    Val(self.0)
                }
            }

            #[memoize($($option)*)]
            fn to_val(k: u32) -> Val {
                Val(k)
            }

            #[test]
            fn value_clone_calls_the_function() {
                watchdog(concat!(stringify!($mode), ": value clone"), TIMEOUT, || {
                    for _ in 0..3 {
                        for k in 0..4 {
                            assert_eq!(to_val(k), Val(k));
                        }
                    }
                });
            }

            /// A key whose `Hash` reads the function's `stats()`.
            #[derive(Clone, PartialEq, Eq, Debug)]
            pub struct Peek(pub u32);

            impl Hash for Peek {
                fn hash<H: Hasher>(&self, state: &mut H) {
                    let _ = peek::stats();
                    self.0.hash(state);
                }
            }

            #[memoize($($option)*)]
            fn peek(key: Peek) -> u32 {
                key.0 + 1
            }

            #[test]
            fn key_hash_reads_stats() {
                watchdog(concat!(stringify!($mode), ": key hash"), TIMEOUT, || {
                    for _ in 0..3 {
                        for k in 0..4 {
                            assert_eq!(peek(Peek(k)), k + 1);
                        }
                    }
                    assert_eq!(peek::stats().calls, 12);
                });
            }

            /// A value whose `Clone` clears the function's cache.
            #[derive(PartialEq, Debug)]
            pub struct Wipe(pub u32);

            impl Clone for Wipe {
                fn clone(&self) -> Self {
                    wipe::clear();
                    Wipe(self.0)
                }
            }

            #[memoize($($option)*)]
            fn wipe(k: u32) -> Wipe {
                Wipe(k)
            }

            #[test]
            fn value_clone_clears_the_cache() {
                watchdog(concat!(stringify!($mode), ": value clone clears"), TIMEOUT, || {
                    for _ in 0..3 {
                        for k in 0..4 {
                            assert_eq!(wipe(k), Wipe(k));
                        }
                    }
                });
            }
        }
    };
}

user_code_under_the_cache!(user_code_shared, ());
user_code_under_the_cache!(user_code_thread_local, (thread_local));
user_code_under_the_cache!(user_code_capacity, (capacity = 2));
user_code_under_the_cache!(user_code_capacity_lru, (capacity = 2, policy = lru));

/// A value whose `Drop` calls the function (for a key whose value does not),
/// in a cache of one entry, so every miss evicts and drops one.
macro_rules! evicted_value_drop_calls {
    ($test:ident, ($($option:tt)*)) => {
        mod $test {
            use super::*;

            #[derive(Clone, PartialEq, Debug)]
            pub struct Dropper(pub u32);

            /// Set while the test runs, so that values still cached when its
            /// thread exits call nothing from a thread-local destructor (that
            /// is scenario b's business, run in a child process).
            static ARMED: AtomicBool = AtomicBool::new(false);

            impl Drop for Dropper {
                fn drop(&mut self) {
                    if self.0 < 100 && ARMED.load(SeqCst) && !std::thread::panicking() {
                        assert_eq!(dropper(self.0 + 100), Dropper(self.0 + 100));
                    }
                }
            }

            #[memoize($($option)*)]
            fn dropper(k: u32) -> Dropper {
                Dropper(k)
            }

            #[test]
            fn evicted_value_drop_calls_the_function() {
                watchdog(stringify!($test), TIMEOUT, || {
                    ARMED.store(true, SeqCst);
                    for _ in 0..3 {
                        for k in 0..4 {
                            assert_eq!(dropper(k), Dropper(k));
                        }
                    }
                    assert!(dropper::stats().entries <= 1);
                    assert!(dropper::stats().evictions > 0);
                    dropper::clear();
                    assert_eq!(dropper::stats().entries, 0);
                    // A miss after the clear drops what the clear left behind.
                    assert_eq!(dropper(200), Dropper(200));
                    ARMED.store(false, SeqCst);
                });
            }
        }
    };
}

evicted_value_drop_calls!(evicted_drop_capacity, (capacity = 1));
evicted_value_drop_calls!(evicted_drop_capacity_lru, (capacity = 1, policy = lru));
evicted_value_drop_calls!(evicted_drop_thread_local, (thread_local, capacity = 1));

// ---------------------------------------------------------------------------
// e. Which return types count as `Result`: API.md says "the last path segment
//    is `Result`". The macro sees tokens, not types, so an alias under another
//    name is an ordinary value (its `Err` is cached like any value), and any
//    path ending in `Result` is a `Result` (its `Err` is not cached).
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
struct MyErr;

/// Named `Res`: to the macro, not a `Result`.
type Res<T> = Result<T, MyErr>;

mod errs {
    /// Named `Result` (last segment): to the macro, a `Result`.
    pub type Result<T> = std::result::Result<T, super::MyErr>;
}

static RES_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
fn via_res(k: u32) -> Res<u32> {
    RES_RUNS.fetch_add(1, SeqCst);
    if k == 0 {
        Err(MyErr)
    } else {
        Ok(k)
    }
}

#[test]
fn an_alias_not_named_result_caches_err_like_any_value() {
    assert_eq!(via_res(0), Err(MyErr));
    assert_eq!(via_res(0), Err(MyErr));
    assert_eq!(
        RES_RUNS.load(SeqCst),
        1,
        "`Res` is not `Result`: its Err is cached"
    );
    assert_eq!(via_res(1), Ok(1));
    assert_eq!(via_res(1), Ok(1));
    let s = via_res::stats();
    assert_eq!((s.calls, s.hits, s.misses, s.entries), (4, 2, 2, 2));
}

static ERRS_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
fn via_errs_result(k: u32) -> errs::Result<u32> {
    ERRS_RUNS.fetch_add(1, SeqCst);
    if k == 0 {
        Err(MyErr)
    } else {
        Ok(k)
    }
}

#[test]
fn an_alias_whose_last_segment_is_result_does_not_cache_err() {
    assert_eq!(via_errs_result(0), Err(MyErr));
    assert_eq!(via_errs_result(0), Err(MyErr));
    assert_eq!(
        ERRS_RUNS.load(SeqCst),
        2,
        "`errs::Result`: Err is not cached"
    );
    assert_eq!(via_errs_result(1), Ok(1));
    assert_eq!(via_errs_result(1), Ok(1));
    assert_eq!(ERRS_RUNS.load(SeqCst), 3);
    let s = via_errs_result::stats();
    assert_eq!((s.calls, s.hits, s.misses, s.entries), (4, 1, 3, 1));
}
