//! `#[memoize]` on `async fn`: the awaited value is cached, single-flight by
//! default, on tokio's multi-thread runtime and on `futures`' executors (memo
//! depends on neither); a leader whose future is dropped hands over to a
//! waiter; the future is `Send`; borrowed arguments, `Result`, methods, the
//! options and `#[counted]` keep working.
//!
//! Every test runs under the watchdog: a waiter left pending fails the test
//! with a message instead of hanging the suite.

mod common;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use futures::executor::{block_on, ThreadPool};
use futures::task::SpawnExt;
use memo::{counted, memoize};

use common::{watchdog, TIMEOUT};

/// Runs `test` to completion on a fresh tokio multi-thread runtime of four
/// workers, under the watchdog.
fn on_tokio<T, F>(name: &str, test: T)
where
    T: FnOnce() -> F + Send + 'static,
    F: Future<Output = ()>,
{
    watchdog(name, TIMEOUT, move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_time()
            .build()
            .expect("a tokio runtime")
            .block_on(test());
    });
}

/// Polls `condition` every millisecond on tokio's timer; panics after 10 s.
async fn until(what: &str, condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// A timer that needs no runtime, for the `futures` executors: a thread
/// sleeps, then completes a oneshot.
async fn pause(duration: Duration) {
    let (done, finished) = futures::channel::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(duration);
        // The receiver is gone only if the future awaiting it was dropped.
        let _ = done.send(());
    });
    finished.await.expect("the timer thread sends");
}

fn assert_send<T: Send>(_: &T) {}

/// `calls`, `hits`, `misses`, `waited`.
fn counts(s: &memo::Stats) -> (u64, u64, u64, u64) {
    (s.calls, s.hits, s.misses, s.waited)
}

// ---------------------------------------------------------------- tokio

static DOUBLE_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
async fn double(x: u64) -> u64 {
    DOUBLE_RUNS.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    x * 2
}

#[test]
fn the_awaited_value_is_cached_on_tokio() {
    on_tokio("tokio_basic", || async {
        for _ in 0..3 {
            assert_eq!(double(21).await, 42);
        }
        assert_eq!(double(4).await, 8);
        assert_eq!(DOUBLE_RUNS.load(SeqCst), 2, "one run per key");
        let s = double::stats();
        assert_eq!(counts(&s), (4, 2, 2, 0));
        assert_eq!(s.entries, 2);
    });
}

static COLD_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
async fn cold(x: u64) -> u64 {
    COLD_RUNS.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    x + 100
}

/// Sixteen spawned tasks released together on one cold key: single-flight is
/// the default for `async fn`, the body runs once.
#[test]
fn sixteen_tasks_on_one_cold_key_run_the_body_once() {
    on_tokio("tokio_one_cold_key", || async {
        let barrier = Arc::new(tokio::sync::Barrier::new(16));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    cold(1).await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.expect("a task"), 101);
        }
        assert_eq!(COLD_RUNS.load(SeqCst), 1, "one body run for 16 tasks");
        let s = cold::stats();
        assert_eq!((s.calls, s.hits, s.misses), (16, 15, 1));
        assert!(
            (1..=15).contains(&s.waited),
            "{} of 15 hits waited",
            s.waited
        );
    });
}

static SENDABLE_RUNS: AtomicU64 = AtomicU64::new(0);

/// Holds a `String` and a timer across an await.
#[memoize]
async fn sendable(name: String) -> Vec<String> {
    SENDABLE_RUNS.fetch_add(1, SeqCst);
    let upper = name.to_uppercase();
    tokio::time::sleep(Duration::from_millis(1)).await;
    vec![name, upper]
}

/// The future is `Send` (and `'static` with owned arguments): it goes into
/// `tokio::spawn` as it is.
#[test]
fn the_future_is_send() {
    on_tokio("tokio_send", || async {
        let future = sendable("ab".to_owned());
        assert_send(&future);
        let expected = vec!["ab".to_owned(), "AB".to_owned()];
        assert_eq!(tokio::spawn(future).await.expect("a task"), expected);
        assert_eq!(
            tokio::spawn(sendable("ab".to_owned()))
                .await
                .expect("a task"),
            expected
        );
        assert_eq!(SENDABLE_RUNS.load(SeqCst), 1);
        assert_eq!(counts(&sendable::stats()), (2, 1, 1, 0));
    });
}

static WORD_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
async fn word_len(word: &str) -> usize {
    WORD_RUNS.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    word.len()
}

/// `&str` arguments are keyed by their owned form, as in sync fns; the
/// future borrows the argument and is still `Send`.
#[test]
fn borrowed_arguments() {
    on_tokio("tokio_borrowed", || async {
        let owned = String::from("memo");
        let future = word_len(&owned);
        assert_send(&future);
        assert_eq!(future.await, 4);
        assert_eq!(word_len("memo").await, 4);
        let spawned = tokio::spawn(async {
            let local = String::from("memo");
            word_len(&local).await
        });
        assert_eq!(spawned.await.expect("a task"), 4);
        assert_eq!(word_len("memoize").await, 7);
        assert_eq!(WORD_RUNS.load(SeqCst), 2, "one run per distinct string");
        assert_eq!(counts(&word_len::stats()), (4, 2, 2, 0));
    });
}

static PARSE_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
async fn parse(text: &str) -> Result<u32, String> {
    PARSE_RUNS.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    text.parse().map_err(|e| format!("{text:?}: {e}"))
}

/// `Err` is returned, never cached; `Ok` is.
#[test]
fn err_is_not_cached() {
    on_tokio("tokio_result", || async {
        assert!(parse("x").await.is_err());
        assert!(parse("x").await.is_err());
        assert_eq!(PARSE_RUNS.load(SeqCst), 2, "each Err ran the body");
        assert_eq!(parse("12").await, Ok(12));
        assert_eq!(parse("12").await, Ok(12));
        assert_eq!(PARSE_RUNS.load(SeqCst), 3);
        let s = parse::stats();
        assert_eq!(counts(&s), (4, 1, 3, 0));
        assert_eq!(s.entries, 1, "the Ok only");
    });
}

static FLAKY_RUNS: AtomicU64 = AtomicU64::new(0);

/// The first run returns `Err`, every later one `Ok`.
#[memoize]
async fn flaky(x: u64) -> Result<u64, String> {
    let run = FLAKY_RUNS.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    if run == 0 {
        Err(format!("run {run} fails"))
    } else {
        Ok(x * 3)
    }
}

/// As for sync fns: the leader's `Err` is its own; the waiting tasks retry,
/// one of them runs the body again, and they all get its `Ok`.
#[test]
fn waiting_tasks_retry_after_the_leaders_err() {
    on_tokio("tokio_err_waiters", || async {
        let barrier = Arc::new(tokio::sync::Barrier::new(8));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    flaky(5).await
                })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.expect("a task"));
        }
        assert_eq!(
            results.iter().filter(|r| r.is_err()).count(),
            1,
            "{results:?}"
        );
        assert_eq!(
            results.iter().filter(|r| **r == Ok(15)).count(),
            7,
            "{results:?}"
        );
        assert_eq!(FLAKY_RUNS.load(SeqCst), 2, "the Err, then one retry");
        let s = flaky::stats();
        assert_eq!((s.calls, s.hits, s.misses), (8, 6, 2));
    });
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Client {
    base: u64,
}

static FETCH_RUNS: AtomicU64 = AtomicU64::new(0);

impl Client {
    #[memoize]
    async fn fetch(&self, id: u64) -> u64 {
        FETCH_RUNS.fetch_add(1, SeqCst);
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.base + id
    }
}

/// `async fn` methods on `&self`, keyed by the receiver too.
#[test]
fn a_method() {
    on_tokio("tokio_method", || async {
        let client = Client { base: 100 };
        assert_eq!(client.fetch(1).await, 101);
        assert_eq!(client.fetch(1).await, 101);
        assert_eq!(Client { base: 200 }.fetch(1).await, 201);
        let moved = client.clone();
        let spawned = tokio::spawn(async move { moved.fetch(1).await });
        assert_eq!(spawned.await.expect("a task"), 101);
        assert_eq!(FETCH_RUNS.load(SeqCst), 2);
        let report = memo::report();
        let s = report
            .get("async_fn::Client::fetch")
            .expect("the method's report row");
        assert_eq!(counts(s), (4, 2, 2, 0));
    });
}

static UNSHARED_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(single_flight = false)]
async fn unshared(x: u64) -> u64 {
    UNSHARED_RUNS.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    x * 5
}

/// `single_flight = false`: racing misses may each run the body; nobody waits.
#[test]
fn single_flight_false() {
    on_tokio("tokio_single_flight_false", || async {
        let barrier = Arc::new(tokio::sync::Barrier::new(8));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    unshared(7).await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.expect("a task"), 35);
        }
        let runs = UNSHARED_RUNS.load(SeqCst);
        assert!((1..=8).contains(&runs), "{runs} runs");
        let s = unshared::stats();
        assert_eq!(s.calls, 8);
        assert_eq!(s.hits + s.misses, 8);
        assert_eq!(s.misses, runs);
        assert_eq!(s.waited, 0);
    });
}

// ---------------------------------------------------------------- cancellation

static TIMED_OUT_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
async fn timed_out(x: u64) -> u64 {
    TIMED_OUT_RUNS.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    x * 9
}

/// The leader runs under a 10 ms timeout while its body takes 200 ms; a
/// second task waits on the same key. The timeout drops the leader's future;
/// the waiter takes over, runs the body itself and completes.
#[test]
fn a_waiter_takes_over_from_a_leader_that_timed_out() {
    on_tokio("tokio_timeout", || async {
        let leader = tokio::spawn(tokio::time::timeout(
            Duration::from_millis(10),
            timed_out(2),
        ));
        until("the leader's body runs", || {
            TIMED_OUT_RUNS.load(SeqCst) == 1
        })
        .await;
        let waiter = tokio::spawn(timed_out(2));
        assert!(
            leader.await.expect("the leader's task").is_err(),
            "the leader timed out"
        );
        assert_eq!(waiter.await.expect("the waiter's task"), 18);
        assert_eq!(
            TIMED_OUT_RUNS.load(SeqCst),
            2,
            "the dropped run, then the waiter's"
        );
        let s = timed_out::stats();
        assert_eq!((s.calls, s.hits, s.misses), (2, 0, 2));
        assert_eq!(
            s.entries, 1,
            "nothing from the dropped run, the waiter's value"
        );
        assert_eq!(timed_out(2).await, 18);
        assert_eq!(TIMED_OUT_RUNS.load(SeqCst), 2, "stored: a hit");
    });
}

static SELECTED_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
async fn selected(x: u64) -> u64 {
    SELECTED_RUNS.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    x * 4
}

/// The leader loses a `select!` while three tasks wait on its key: one of
/// them runs the body, all three complete with the value.
#[test]
fn waiters_complete_when_the_leader_loses_a_select() {
    on_tokio("tokio_select", || async {
        let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
        let leader = tokio::spawn(async move {
            tokio::select! {
                value = selected(3) => Some(value),
                _ = cancelled => None,
            }
        });
        until("the leader's body runs", || SELECTED_RUNS.load(SeqCst) == 1).await;
        let waiters: Vec<_> = (0..3).map(|_| tokio::spawn(selected(3))).collect();
        // Time for the waiters to reach the leader's flight.
        tokio::time::sleep(Duration::from_millis(30)).await;
        cancel.send(()).expect("the leader listens");
        assert_eq!(leader.await.expect("the leader's task"), None);
        for waiter in waiters {
            assert_eq!(waiter.await.expect("a waiter's task"), 12);
        }
        assert_eq!(
            SELECTED_RUNS.load(SeqCst),
            2,
            "the dropped run, then one waiter's"
        );
        let s = selected::stats();
        assert_eq!((s.calls, s.hits, s.misses), (4, 2, 2));
        // At least the two that did not take over waited for the second run.
        assert!((2..=3).contains(&s.waited), "{} waited", s.waited);
    });
}

// ---------------------------------------------------------------- counted, options

#[counted]
async fn tally(x: u64) -> u64 {
    tokio::task::yield_now().await;
    x
}

/// `#[counted]` on `async fn` counts every call, spawned ones included.
#[test]
fn counted_async_fn_counts_calls() {
    on_tokio("tokio_counted", || async {
        assert_eq!(tally(1).await, 1);
        assert_eq!(tokio::spawn(tally(2)).await.expect("a task"), 2);
        assert_eq!(tally(1).await, 1);
        let s = tally::stats();
        assert_eq!((s.calls, s.hits, s.misses), (3, 0, 3));
    });
}

static RECENT_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 2, policy = lru)]
async fn recent(x: u64) -> u64 {
    RECENT_RUNS.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    x * 10
}

/// `capacity` with exact LRU order, as for sync fns.
#[test]
fn capacity_with_lru() {
    on_tokio("tokio_capacity_lru", || async {
        // 1 2 | 1 hit | 3 evicts 2 | 1 hit | 2 miss evicts 3
        let sequence = [1, 2, 1, 3, 1, 2];
        let expected_hit = [false, false, true, false, true, false];
        for (x, hit) in sequence.into_iter().zip(expected_hit) {
            let before = RECENT_RUNS.load(SeqCst);
            assert_eq!(recent(x).await, x * 10);
            assert_eq!(RECENT_RUNS.load(SeqCst) == before, hit, "key {x}");
        }
        let s = recent::stats();
        assert_eq!((s.calls, s.hits, s.misses), (6, 2, 4));
        assert_eq!((s.entries, s.evictions, s.capacity), (2, 2, Some(2)));
    });
}

static BOUNDED_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(capacity = 64)]
async fn bounded(x: u64) -> u64 {
    BOUNDED_RUNS.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    x + 1
}

/// `capacity` (default policy) keeps single-flight on.
#[test]
fn capacity_keeps_single_flight() {
    on_tokio("tokio_capacity", || async {
        let barrier = Arc::new(tokio::sync::Barrier::new(8));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    bounded(40).await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.expect("a task"), 41);
        }
        assert_eq!(BOUNDED_RUNS.load(SeqCst), 1);
        let s = bounded::stats();
        assert_eq!((s.calls, s.hits, s.misses), (8, 7, 1));
        assert_eq!(s.capacity, Some(64));
    });
}

static SESSION_RUNS: AtomicU64 = AtomicU64::new(0);

/// `nonce` is not part of the key.
#[memoize(ttl = "150ms", key = id)]
async fn session(id: u64, nonce: u64) -> u64 {
    SESSION_RUNS.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    id * 1_000 + nonce
}

/// `ttl` and `key = EXPR` on `async fn`.
#[test]
fn ttl_and_key_expression() {
    on_tokio("tokio_ttl_key", || async {
        assert_eq!(session(1, 5).await, 1_005);
        assert_eq!(session(1, 6).await, 1_005, "same key: the cached value");
        assert_eq!(SESSION_RUNS.load(SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(session(1, 7).await, 1_007, "expired: recomputed");
        assert_eq!(SESSION_RUNS.load(SeqCst), 2);
        assert_eq!(counts(&session::stats()), (3, 1, 2, 0));
    });
}

// ---------------------------------------------------------------- futures' executors

static TRIPLE_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
async fn triple(x: u64) -> u64 {
    TRIPLE_RUNS.fetch_add(1, SeqCst);
    pause(Duration::from_millis(1)).await;
    x * 3
}

/// `futures::executor::block_on`: no tokio anywhere.
#[test]
fn the_awaited_value_is_cached_on_block_on() {
    watchdog("block_on_basic", TIMEOUT, || {
        block_on(async {
            for _ in 0..3 {
                assert_eq!(triple(5).await, 15);
            }
        });
        assert_eq!(block_on(triple(5)), 15);
        assert_eq!(TRIPLE_RUNS.load(SeqCst), 1);
        assert_eq!(counts(&triple::stats()), (4, 3, 1, 0));
    });
}

static POOLED_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
async fn pooled(x: u64) -> u64 {
    POOLED_RUNS.fetch_add(1, SeqCst);
    pause(Duration::from_millis(50)).await;
    x + 1
}

/// Sixteen tasks on `futures`' `ThreadPool` (four threads), one cold key:
/// one body run, every waiter woken by memo's own wakeups.
#[test]
fn sixteen_tasks_on_a_futures_thread_pool_run_the_body_once() {
    watchdog("thread_pool_one_cold_key", TIMEOUT, || {
        let pool = ThreadPool::builder()
            .pool_size(4)
            .create()
            .expect("a thread pool");
        let tasks: Vec<_> = (0..16)
            .map(|_| pool.spawn_with_handle(pooled(8)).expect("spawn a task"))
            .collect();
        let values = block_on(futures::future::join_all(tasks));
        assert!(values.iter().all(|&v| v == 9), "{values:?}");
        assert_eq!(POOLED_RUNS.load(SeqCst), 1, "one body run for 16 tasks");
        let s = pooled::stats();
        assert_eq!((s.calls, s.hits, s.misses), (16, 15, 1));
        assert!((1..=15).contains(&s.waited), "{} waited", s.waited);
    });
}

static ABANDONED_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
async fn abandoned(x: u64) -> u64 {
    ABANDONED_RUNS.fetch_add(1, SeqCst);
    pause(Duration::from_millis(200)).await;
    x * 6
}

/// On the `futures` thread pool: the leader's future is dropped when a 20 ms
/// pause wins `select`; the task waiting on its key takes over.
#[test]
fn a_waiter_takes_over_on_a_futures_thread_pool() {
    watchdog("thread_pool_cancel", TIMEOUT, || {
        let pool = ThreadPool::builder()
            .pool_size(2)
            .create()
            .expect("a thread pool");
        let leader = pool
            .spawn_with_handle(async {
                let race = futures::future::select(
                    Box::pin(abandoned(4)),
                    Box::pin(pause(Duration::from_millis(20))),
                );
                match race.await {
                    futures::future::Either::Left((value, _)) => Some(value),
                    futures::future::Either::Right(((), _)) => None,
                }
            })
            .expect("spawn the leader");
        while ABANDONED_RUNS.load(SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let waiter = pool
            .spawn_with_handle(abandoned(4))
            .expect("spawn the waiter");
        assert_eq!(block_on(leader), None, "the pause won");
        assert_eq!(block_on(waiter), 24);
        assert_eq!(ABANDONED_RUNS.load(SeqCst), 2);
        let s = abandoned::stats();
        assert_eq!((s.calls, s.hits, s.misses), (2, 0, 2));
    });
}
