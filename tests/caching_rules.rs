//! Issue 14: the caching rules and expiry of API.md ("Caching rules and
//! expiry"). Each test fails without its feature:
//!
//! - `Result<T, E>` stores `T` only: an `E` that is not `Clone` (`io::Error`,
//!   `anyhow::Error`, a user's `struct`) compiles, and an `Err` is never cached,
//!   in every kind of cache, for methods, `key = EXPR` and `async fn` too;
//! - `cache_if = EXPR` decides which values are stored;
//! - `ttl = "…", refresh` keeps an entry alive while it is hit;
//! - `stale_on_error` serves the expired `Ok` when recomputing it fails;
//! - `ttl_of = EXPR` gives each entry its own expiry;
//! - `f::traced` tells where a value came from.
//!
//! Times are generous (the machine running this is shared and noisy): every
//! `ttl` is at least 100 ms, and every sleep is well clear of a boundary.

mod common;

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::thread;
use std::time::{Duration, Instant};

use futures::executor::block_on;
use memo::{memoize, Source, Stats};

use common::{join, watchdog, TIMEOUT};

/// A user's own error type, without `Clone`.
#[derive(Debug, PartialEq, Eq)]
struct NotClone(u64);

/// Counts the runs of one function's body.
struct Runs(AtomicU64);

impl Runs {
    const fn new() -> Self {
        Runs(AtomicU64::new(0))
    }

    /// Counts a run; returns its number (1 for the first).
    fn bump(&self) -> u64 {
        self.0.fetch_add(1, SeqCst) + 1
    }

    fn get(&self) -> u64 {
        self.0.load(SeqCst)
    }
}

/// `(calls, hits, misses, entries)`.
fn counts(s: &Stats) -> (u64, u64, u64, usize) {
    (s.calls, s.hits, s.misses, s.entries)
}

// ---------------------------------------------------------------------------
// `Result<T, E>` with an `E` that is not `Clone`
// ---------------------------------------------------------------------------

static IO_RUNS: Runs = Runs::new();

#[memoize]
fn read_setting(k: u64) -> io::Result<u64> {
    IO_RUNS.bump();
    if k == 0 {
        Err(io::Error::new(io::ErrorKind::NotFound, "no setting 0"))
    } else {
        Ok(k * 2)
    }
}

#[test]
fn io_result_compiles_and_never_caches_err() {
    for _ in 0..3 {
        let err = read_setting(0).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "the body's own error");
    }
    assert_eq!(IO_RUNS.get(), 3, "every `Err` reruns the body");
    assert_eq!(read_setting(4).unwrap(), 8);
    assert_eq!(read_setting(4).unwrap(), 8);
    assert_eq!(IO_RUNS.get(), 4, "an `Ok` is cached");
    let s = read_setting::stats();
    assert_eq!(counts(&s), (5, 1, 4, 1));
    assert_eq!(
        s.errors, 3,
        "`Stats::errors` counts each run that returned `Err`"
    );
    assert_eq!(s.stale, 0);
    // The companion deals in the stored `T`, not the `Result`.
    assert_eq!(read_setting::get(4), Some(8));
    assert_eq!(read_setting::get(0), None, "no `Err` was stored");
}

static ANYHOW_RUNS: Runs = Runs::new();

#[memoize]
fn parse_port(text: &str) -> anyhow::Result<u16> {
    ANYHOW_RUNS.bump();
    let port: u16 = text.trim().parse()?;
    if port == 0 {
        anyhow::bail!("port 0 is reserved");
    }
    Ok(port)
}

#[test]
fn anyhow_result_compiles_and_never_caches_err() {
    assert!(parse_port("http").is_err());
    assert!(parse_port("http").is_err());
    let reserved = parse_port("0").unwrap_err();
    assert_eq!(reserved.to_string(), "port 0 is reserved");
    assert_eq!(ANYHOW_RUNS.get(), 3, "every `Err` reruns the body");
    assert_eq!(parse_port("8080").unwrap(), 8080);
    assert_eq!(parse_port("8080").unwrap(), 8080);
    assert_eq!(ANYHOW_RUNS.get(), 4, "an `Ok` is cached");
    let s = parse_port::stats();
    assert_eq!(counts(&s), (5, 1, 4, 1));
    assert_eq!(s.errors, 3);
}

/// One body for the custom-error functions below: `Err` for 0, else `Ok(k + 100)`.
fn outcome(runs: &Runs, k: u64) -> Result<u64, NotClone> {
    runs.bump();
    if k == 0 {
        Err(NotClone(runs.get()))
    } else {
        Ok(k + 100)
    }
}

static SHARED_ERR_RUNS: Runs = Runs::new();
static LOCAL_ERR_RUNS: Runs = Runs::new();
static BOUNDED_ERR_RUNS: Runs = Runs::new();
static EXPIRING_ERR_RUNS: Runs = Runs::new();
static BOUNDED_LOCAL_ERR_RUNS: Runs = Runs::new();
static KEYED_ERR_RUNS: Runs = Runs::new();
static METHOD_ERR_RUNS: Runs = Runs::new();

#[memoize]
fn custom_shared(k: u64) -> Result<u64, NotClone> {
    outcome(&SHARED_ERR_RUNS, k)
}

#[memoize(thread_local)]
fn custom_thread_local(k: u64) -> Result<u64, NotClone> {
    outcome(&LOCAL_ERR_RUNS, k)
}

#[memoize(capacity = 4)]
fn custom_bounded(k: u64) -> Result<u64, NotClone> {
    outcome(&BOUNDED_ERR_RUNS, k)
}

#[memoize(ttl = "1h")]
fn custom_expiring(k: u64) -> Result<u64, NotClone> {
    outcome(&EXPIRING_ERR_RUNS, k)
}

#[memoize(thread_local, capacity = 4, policy = lru)]
fn custom_bounded_local(k: u64) -> Result<u64, NotClone> {
    outcome(&BOUNDED_LOCAL_ERR_RUNS, k)
}

#[memoize(key = k)]
fn custom_keyed(k: u64, _label: &str) -> Result<u64, NotClone> {
    outcome(&KEYED_ERR_RUNS, k)
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Repo;

impl Repo {
    #[memoize]
    fn load(&self, k: u64) -> Result<u64, NotClone> {
        outcome(&METHOD_ERR_RUNS, k)
    }
}

/// Calls `f` with an error key three times and an ok key three times.
fn check_custom(name: &str, runs: &Runs, f: impl Fn(u64) -> Result<u64, NotClone>) {
    assert_eq!(f(0), Err(NotClone(1)), "{name}: the body's own error");
    assert_eq!(f(0), Err(NotClone(2)), "{name}: the `Err` is not cached");
    assert_eq!(f(0), Err(NotClone(3)), "{name}: the `Err` is not cached");
    assert_eq!(f(7), Ok(107), "{name}");
    assert_eq!(f(7), Ok(107), "{name}");
    assert_eq!(f(7), Ok(107), "{name}");
    assert_eq!(
        runs.get(),
        4,
        "{name}: three errors and one `Ok` ran the body"
    );
}

#[test]
fn custom_non_clone_error_in_every_kind_of_cache() {
    check_custom("shared", &SHARED_ERR_RUNS, custom_shared);
    check_custom("thread_local", &LOCAL_ERR_RUNS, custom_thread_local);
    check_custom("capacity", &BOUNDED_ERR_RUNS, custom_bounded);
    check_custom("ttl", &EXPIRING_ERR_RUNS, custom_expiring);
    check_custom(
        "thread_local + capacity",
        &BOUNDED_LOCAL_ERR_RUNS,
        custom_bounded_local,
    );
    check_custom("key = EXPR", &KEYED_ERR_RUNS, |k| custom_keyed(k, "x"));
    check_custom("method", &METHOD_ERR_RUNS, |k| Repo.load(k));
    for s in [
        custom_shared::stats(),
        custom_thread_local::stats(),
        custom_bounded::stats(),
        custom_expiring::stats(),
        custom_bounded_local::stats(),
        custom_keyed::stats(),
    ] {
        assert_eq!(counts(&s), (6, 2, 4, 1), "{}", s.name);
        assert_eq!(s.errors, 3, "{}", s.name);
    }
}

static ASYNC_RUNS: Runs = Runs::new();

#[memoize]
async fn fetch_remote(k: u64) -> Result<u64, NotClone> {
    ASYNC_RUNS.bump();
    futures::future::ready(()).await;
    if k == 0 {
        Err(NotClone(ASYNC_RUNS.get()))
    } else {
        Ok(k * 3)
    }
}

static ASYNC_ANYHOW_RUNS: Runs = Runs::new();

#[memoize(thread_local)]
async fn fetch_port(text: String) -> anyhow::Result<u16> {
    ASYNC_ANYHOW_RUNS.bump();
    Ok(text.parse::<u16>()?)
}

#[test]
fn async_result_with_non_clone_error() {
    block_on(async {
        assert_eq!(fetch_remote(0).await, Err(NotClone(1)));
        assert_eq!(fetch_remote(0).await, Err(NotClone(2)), "not cached");
        assert_eq!(fetch_remote(5).await, Ok(15));
        assert_eq!(fetch_remote(5).await, Ok(15));
        assert_eq!(ASYNC_RUNS.get(), 3);
        let s = fetch_remote::stats();
        assert_eq!(counts(&s), (4, 1, 3, 1));
        assert_eq!(s.errors, 2);

        assert!(fetch_port("x".into()).await.is_err());
        assert!(fetch_port("x".into()).await.is_err());
        assert_eq!(fetch_port("443".into()).await.unwrap(), 443);
        assert_eq!(fetch_port("443".into()).await.unwrap(), 443);
        assert_eq!(ASYNC_ANYHOW_RUNS.get(), 3);
        assert_eq!(fetch_port::stats().errors, 2);
    });
}

// ---------------------------------------------------------------------------
// `cache_if`
// ---------------------------------------------------------------------------

static FIND_RUNS: Runs = Runs::new();

/// Even ids exist.
#[memoize(cache_if = Option::is_some)]
fn find_user(id: u64) -> Option<u64> {
    FIND_RUNS.bump();
    (id % 2 == 0).then_some(id * 10)
}

#[test]
fn cache_if_is_some_skips_none() {
    for _ in 0..3 {
        assert_eq!(find_user(1), None);
    }
    assert_eq!(FIND_RUNS.get(), 3, "`None` is recomputed on every call");
    for _ in 0..3 {
        assert_eq!(find_user(2), Some(20));
    }
    assert_eq!(FIND_RUNS.get(), 4, "`Some` is cached");
    let s = find_user::stats();
    assert_eq!(
        counts(&s),
        (6, 2, 4, 1),
        "skipped values count as misses and are not stored"
    );
    assert_eq!(s.errors, 0, "a skipped value is not an error");
    assert_eq!(find_user::get(1), None);
    assert_eq!(find_user::get(2), Some(Some(20)));
}

static SCALED_RUNS: Runs = Runs::new();

#[memoize(cache_if = |v: &u64| *v > 10)]
fn scaled(n: u64) -> u64 {
    SCALED_RUNS.bump();
    n * 3
}

#[test]
fn cache_if_closure() {
    assert_eq!(scaled(2), 6);
    assert_eq!(scaled(2), 6);
    assert_eq!(SCALED_RUNS.get(), 2, "6 is not above 10: not stored");
    assert_eq!(scaled(5), 15);
    assert_eq!(scaled(5), 15);
    assert_eq!(SCALED_RUNS.get(), 3, "15 is stored");
    assert_eq!(counts(&scaled::stats()), (4, 1, 3, 1));
}

/// A job's state: only a finished one may be cached.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Job {
    Running(u64),
    Done(u64),
}

impl Job {
    fn is_done(&self) -> bool {
        matches!(self, Job::Done(_))
    }
}

static JOB_RUNS: Runs = Runs::new();

/// Odd jobs are still running; job 0 cannot be found.
#[memoize(cache_if = Job::is_done)]
fn job_status(id: u64) -> Result<Job, NotClone> {
    JOB_RUNS.bump();
    match id {
        0 => Err(NotClone(0)),
        id if id % 2 == 1 => Ok(Job::Running(id)),
        id => Ok(Job::Done(id)),
    }
}

#[test]
fn cache_if_on_a_result_sees_the_ok_value() {
    assert_eq!(job_status(1), Ok(Job::Running(1)));
    assert_eq!(job_status(1), Ok(Job::Running(1)));
    assert_eq!(
        JOB_RUNS.get(),
        2,
        "an `Ok` the predicate rejects is not stored"
    );
    assert_eq!(job_status(0), Err(NotClone(0)));
    assert_eq!(job_status(0), Err(NotClone(0)));
    assert_eq!(JOB_RUNS.get(), 4, "an `Err` is never stored");
    assert_eq!(job_status(2), Ok(Job::Done(2)));
    assert_eq!(job_status(2), Ok(Job::Done(2)));
    assert_eq!(JOB_RUNS.get(), 5, "an `Ok` the predicate accepts is stored");
    let s = job_status::stats();
    assert_eq!(counts(&s), (6, 1, 5, 1));
    assert_eq!(
        s.errors, 2,
        "only the `Err`s are errors, not the skipped `Ok`s"
    );
}

static LOCAL_IF_RUNS: Runs = Runs::new();
static BOUNDED_IF_RUNS: Runs = Runs::new();
static ASYNC_IF_RUNS: Runs = Runs::new();

#[memoize(thread_local, cache_if = Option::is_some)]
fn find_local(id: u64) -> Option<u64> {
    LOCAL_IF_RUNS.bump();
    (id % 2 == 0).then_some(id)
}

#[memoize(capacity = 4, cache_if = Option::is_some)]
fn find_bounded(id: u64) -> Option<u64> {
    BOUNDED_IF_RUNS.bump();
    (id % 2 == 0).then_some(id)
}

#[memoize(cache_if = Option::is_some)]
async fn find_async(id: u64) -> Option<u64> {
    ASYNC_IF_RUNS.bump();
    (id % 2 == 0).then_some(id)
}

#[test]
fn cache_if_in_other_kinds_of_cache() {
    let check = |name: &str, runs: &Runs, f: &dyn Fn(u64) -> Option<u64>| {
        assert_eq!(f(1), None, "{name}");
        assert_eq!(f(1), None, "{name}");
        assert_eq!(f(2), Some(2), "{name}");
        assert_eq!(f(2), Some(2), "{name}");
        assert_eq!(runs.get(), 3, "{name}: `None` twice, `Some` once");
    };
    check("thread_local", &LOCAL_IF_RUNS, &find_local);
    check("capacity", &BOUNDED_IF_RUNS, &find_bounded);
    check("async", &ASYNC_IF_RUNS, &|id| block_on(find_async(id)));
}

// ---------------------------------------------------------------------------
// `ttl = "…", refresh`: sliding expiry
// ---------------------------------------------------------------------------

/// The `ttl` of the sliding functions below.
const SLIDE_TTL: Duration = Duration::from_millis(200);
/// How often the entry is hit: a quarter of its `ttl`, so a gap would have to
/// grow by 150 ms before the entry expired between two hits.
const HIT_EVERY: Duration = Duration::from_millis(50);
/// How long the entry is hit for: well past twice its `ttl`.
const HIT_FOR: Duration = Duration::from_millis(500);

static SLIDE_SHARED: Runs = Runs::new();
static SLIDE_LOCAL: Runs = Runs::new();
static SLIDE_BOUNDED: Runs = Runs::new();
static SLIDE_LRU: Runs = Runs::new();
static SLIDE_BOUNDED_LOCAL: Runs = Runs::new();
static SLIDE_CROSS: Runs = Runs::new();
static FIXED_SHARED: Runs = Runs::new();
static FIXED_LOCAL: Runs = Runs::new();
static FIXED_BOUNDED: Runs = Runs::new();

#[memoize(ttl = "200ms", refresh)]
fn session_shared(id: u64) -> u64 {
    SLIDE_SHARED.bump();
    id * 10
}

#[memoize(ttl = "200ms", refresh, thread_local)]
fn session_local(id: u64) -> u64 {
    SLIDE_LOCAL.bump();
    id * 10
}

#[memoize(ttl = "200ms", refresh, capacity = 16)]
fn session_bounded(id: u64) -> u64 {
    SLIDE_BOUNDED.bump();
    id * 10
}

#[memoize(ttl = "200ms", refresh, capacity = 16, policy = lru)]
fn session_lru(id: u64) -> u64 {
    SLIDE_LRU.bump();
    id * 10
}

#[memoize(ttl = "200ms", refresh, thread_local, capacity = 16)]
fn session_bounded_local(id: u64) -> u64 {
    SLIDE_BOUNDED_LOCAL.bump();
    id * 10
}

#[memoize(ttl = "200ms", refresh)]
fn session_cross(id: u64) -> u64 {
    SLIDE_CROSS.bump();
    id * 10
}

#[memoize(ttl = "200ms")]
fn fixed_shared(id: u64) -> u64 {
    FIXED_SHARED.bump();
    id * 10
}

#[memoize(ttl = "200ms", thread_local)]
fn fixed_local(id: u64) -> u64 {
    FIXED_LOCAL.bump();
    id * 10
}

#[memoize(ttl = "200ms", capacity = 16)]
fn fixed_bounded(id: u64) -> u64 {
    FIXED_BOUNDED.bump();
    id * 10
}

/// Calls `f(7)` every [`HIT_EVERY`] for [`HIT_FOR`]; returns the longest gap
/// between two calls, which tells a stalled machine from a failed refresh.
fn keep_hitting(f: fn(u64) -> u64) -> Duration {
    let start = Instant::now();
    let mut last = start;
    let mut longest = Duration::ZERO;
    while start.elapsed() < HIT_FOR {
        thread::sleep(HIT_EVERY);
        let now = Instant::now();
        longest = longest.max(now - last);
        last = now;
        assert_eq!(f(7), 70);
    }
    longest
}

/// Fills, keeps the entry alive with hits past twice its `ttl`, then stops
/// hitting it and checks that it expires.
fn check_sliding(name: &str, runs: &Runs, f: fn(u64) -> u64) {
    assert_eq!(f(7), 70);
    assert_eq!(runs.get(), 1, "{name}: the fill");
    let longest = keep_hitting(f);
    assert_eq!(
        runs.get(),
        1,
        "{name}: hits every {HIT_EVERY:?} (longest gap {longest:?}) for {HIT_FOR:?} keep a \
         {SLIDE_TTL:?} entry alive"
    );
    thread::sleep(SLIDE_TTL * 2);
    assert_eq!(f(7), 70);
    assert_eq!(
        runs.get(),
        2,
        "{name}: once the hits stop for twice its ttl, the entry expires"
    );
}

#[test]
fn refresh_keeps_a_hit_entry_alive_shared() {
    check_sliding("shared", &SLIDE_SHARED, session_shared);
    let s = session_shared::stats();
    assert_eq!(s.misses, 2);
}

#[test]
fn refresh_keeps_a_hit_entry_alive_thread_local() {
    check_sliding("thread_local", &SLIDE_LOCAL, session_local);
}

#[test]
fn refresh_keeps_a_hit_entry_alive_capacity() {
    check_sliding("capacity", &SLIDE_BOUNDED, session_bounded);
}

#[test]
fn refresh_keeps_a_hit_entry_alive_lru() {
    check_sliding("capacity + policy = lru", &SLIDE_LRU, session_lru);
}

#[test]
fn refresh_keeps_a_hit_entry_alive_thread_local_capacity() {
    check_sliding(
        "thread_local + capacity",
        &SLIDE_BOUNDED_LOCAL,
        session_bounded_local,
    );
}

/// A shared entry is one entry: hits on another thread keep it alive here.
#[test]
fn refresh_by_another_thread_keeps_a_shared_entry_alive() {
    watchdog("refresh_cross_thread", TIMEOUT, || {
        assert_eq!(session_cross(7), 70);
        let longest = join(
            thread::spawn(|| keep_hitting(session_cross)),
            "the thread hitting the entry",
        );
        assert_eq!(session_cross(7), 70);
        assert_eq!(
            SLIDE_CROSS.get(),
            1,
            "another thread's hits (longest gap {longest:?}) kept the entry alive"
        );
    });
}

/// The control: without `refresh`, the same schedule of hits does not keep
/// the entry alive.
fn check_fixed(name: &str, runs: &Runs, f: fn(u64) -> u64) {
    assert_eq!(f(7), 70);
    keep_hitting(f);
    assert!(
        runs.get() >= 2,
        "{name}: without `refresh`, an entry expires {SLIDE_TTL:?} after it was stored, hit or \
         not (ran {} times)",
        runs.get()
    );
}

#[test]
fn without_refresh_hits_do_not_keep_an_entry_alive() {
    check_fixed("shared", &FIXED_SHARED, fixed_shared);
    check_fixed("thread_local", &FIXED_LOCAL, fixed_local);
    check_fixed("capacity", &FIXED_BOUNDED, fixed_bounded);
}

// ---------------------------------------------------------------------------
// `stale_on_error`
// ---------------------------------------------------------------------------

/// The error of an upstream that is down.
#[derive(Debug, PartialEq, Eq)]
struct Down;

/// An upstream service that can be switched off; each answer carries the
/// number of the run that produced it, so a stale one is told from a fresh one.
struct Upstream {
    down: AtomicBool,
    runs: Runs,
}

impl Upstream {
    const fn new() -> Self {
        Upstream {
            down: AtomicBool::new(false),
            runs: Runs::new(),
        }
    }

    fn call(&self, k: u64) -> Result<u64, Down> {
        let run = self.runs.bump();
        if self.down.load(SeqCst) {
            Err(Down)
        } else {
            Ok(k * 1000 + run)
        }
    }
}

/// How long to sleep to be well past the 150 ms `ttl` of the
/// `stale_on_error` functions.
const PAST_TTL: Duration = Duration::from_millis(400);

static UP_SHARED: Upstream = Upstream::new();
static UP_BOUNDED: Upstream = Upstream::new();
static UP_LOCAL: Upstream = Upstream::new();
static UP_BOUNDED_LOCAL: Upstream = Upstream::new();
static UP_TTL_OF: Upstream = Upstream::new();
static UP_PLAIN: Upstream = Upstream::new();

#[memoize(ttl = "150ms", stale_on_error)]
fn quote_shared(k: u64) -> Result<u64, Down> {
    UP_SHARED.call(k)
}

#[memoize(ttl = "150ms", stale_on_error, capacity = 8)]
fn quote_bounded(k: u64) -> Result<u64, Down> {
    UP_BOUNDED.call(k)
}

#[memoize(ttl = "150ms", stale_on_error, thread_local)]
fn quote_local(k: u64) -> Result<u64, Down> {
    UP_LOCAL.call(k)
}

#[memoize(ttl = "150ms", stale_on_error, thread_local, capacity = 8)]
fn quote_bounded_local(k: u64) -> Result<u64, Down> {
    UP_BOUNDED_LOCAL.call(k)
}

#[memoize(ttl_of = |_: &u64| Some(Duration::from_millis(150)), stale_on_error)]
fn quote_ttl_of(k: u64) -> Result<u64, Down> {
    UP_TTL_OF.call(k)
}

/// The control: the same function without `stale_on_error`.
#[memoize(ttl = "150ms")]
fn quote_plain(k: u64) -> Result<u64, Down> {
    UP_PLAIN.call(k)
}

/// Fill; expire; upstream down: the stale value, kept for another `ttl`;
/// expire again: stale again; upstream up, expire: a fresh value.
fn check_stale(name: &str, up: &Upstream, f: fn(u64) -> Result<u64, Down>, stats: fn() -> Stats) {
    assert_eq!(f(1), Ok(1001), "{name}: the fill (run 1)");
    assert_eq!(f(1), Ok(1001), "{name}: a hit");

    thread::sleep(PAST_TTL);
    up.down.store(true, SeqCst);
    assert_eq!(
        f(1),
        Ok(1001),
        "{name}: expired, and the body (run 2) failed: the stale `Ok` is served"
    );
    assert_eq!(up.runs.get(), 2, "{name}: the body did run");
    let s = stats();
    assert_eq!(
        (s.errors, s.stale),
        (1, 1),
        "{name}: one error, one stale answer"
    );

    assert_eq!(f(1), Ok(1001), "{name}: the stale value was stored again");
    assert_eq!(
        up.runs.get(),
        2,
        "{name}: ... for another ttl: that call was a hit"
    );

    thread::sleep(PAST_TTL);
    assert_eq!(f(1), Ok(1001), "{name}: expired again, still down (run 3)");
    let s = stats();
    assert_eq!((s.errors, s.stale), (2, 2), "{name}");

    assert_eq!(
        f(2),
        Err(Down),
        "{name}: no stale value for a key never filled (run 4)"
    );
    let s = stats();
    assert_eq!(
        (s.errors, s.stale),
        (3, 2),
        "{name}: an error, not a stale answer"
    );

    up.down.store(false, SeqCst);
    thread::sleep(PAST_TTL);
    assert_eq!(
        f(1),
        Ok(1005),
        "{name}: up again, expired: a fresh value (run 5)"
    );
    assert_eq!(f(1), Ok(1005), "{name}: which is cached");
    assert_eq!(up.runs.get(), 5, "{name}");
    let s = stats();
    assert_eq!((s.errors, s.stale), (3, 2), "{name}");
    assert_eq!(
        (s.hits, s.misses),
        (3, 5),
        "{name}: a stale answer ran the body"
    );
}

#[test]
fn stale_on_error_shared() {
    check_stale("shared", &UP_SHARED, quote_shared, quote_shared::stats);
}

#[test]
fn stale_on_error_capacity() {
    check_stale("capacity", &UP_BOUNDED, quote_bounded, quote_bounded::stats);
}

#[test]
fn stale_on_error_thread_local() {
    check_stale("thread_local", &UP_LOCAL, quote_local, quote_local::stats);
}

#[test]
fn stale_on_error_thread_local_capacity() {
    check_stale(
        "thread_local + capacity",
        &UP_BOUNDED_LOCAL,
        quote_bounded_local,
        quote_bounded_local::stats,
    );
}

#[test]
fn stale_on_error_ttl_of() {
    check_stale("ttl_of", &UP_TTL_OF, quote_ttl_of, quote_ttl_of::stats);
}

#[test]
fn without_stale_on_error_the_error_is_returned() {
    assert_eq!(quote_plain(1), Ok(1001));
    thread::sleep(PAST_TTL);
    UP_PLAIN.down.store(true, SeqCst);
    assert_eq!(
        quote_plain(1),
        Err(Down),
        "no stale value without the option"
    );
    let s = quote_plain::stats();
    assert_eq!((s.errors, s.stale), (1, 0));
}

static UP_FORGET_SHARED: Upstream = Upstream::new();
static UP_FORGET_BOUNDED: Upstream = Upstream::new();
static UP_FORGET_LOCAL: Upstream = Upstream::new();
static UP_ASYNC: Upstream = Upstream::new();
static UP_THREADS: Upstream = Upstream::new();

#[memoize(ttl = "150ms", stale_on_error)]
fn forget_shared(k: u64) -> Result<u64, Down> {
    UP_FORGET_SHARED.call(k)
}

#[memoize(ttl = "150ms", stale_on_error, capacity = 8)]
fn forget_bounded(k: u64) -> Result<u64, Down> {
    UP_FORGET_BOUNDED.call(k)
}

#[memoize(ttl = "150ms", stale_on_error, thread_local)]
fn forget_local(k: u64) -> Result<u64, Down> {
    UP_FORGET_LOCAL.call(k)
}

/// A stale value is an entry like any other: `remove` and `clear()` drop it,
/// and `clear()` zeroes `errors` and `stale` with the other counters.
fn check_forgotten(
    name: &str,
    up: &Upstream,
    f: fn(u64) -> Result<u64, Down>,
    remove: fn(u64) -> Option<u64>,
    clear: fn(),
    stats: fn() -> Stats,
) {
    assert_eq!(f(1), Ok(1001), "{name}");
    assert_eq!(f(2), Ok(2002), "{name}");
    thread::sleep(PAST_TTL);
    up.down.store(true, SeqCst);
    assert_eq!(remove(1), None, "{name}: an expired entry is not returned");
    assert_eq!(f(1), Err(Down), "{name}: no stale value once removed");
    clear();
    assert_eq!(f(2), Err(Down), "{name}: no stale value once cleared");
    let s = stats();
    assert_eq!(
        (s.errors, s.stale),
        (1, 0),
        "{name}: counted since the `clear()`"
    );
    clear();
    let s = stats();
    assert_eq!(
        (s.errors, s.stale, s.calls),
        (0, 0, 0),
        "{name}: zeroed by `clear()`"
    );
}

#[test]
fn stale_values_are_dropped_by_remove_and_clear() {
    check_forgotten(
        "shared",
        &UP_FORGET_SHARED,
        forget_shared,
        forget_shared::remove,
        forget_shared::clear,
        forget_shared::stats,
    );
    check_forgotten(
        "capacity",
        &UP_FORGET_BOUNDED,
        forget_bounded,
        forget_bounded::remove,
        forget_bounded::clear,
        forget_bounded::stats,
    );
    check_forgotten(
        "thread_local",
        &UP_FORGET_LOCAL,
        forget_local,
        forget_local::remove,
        forget_local::clear,
        forget_local::stats,
    );
}

#[memoize(ttl = "150ms", stale_on_error)]
async fn quote_async(k: u64) -> Result<u64, Down> {
    futures::future::ready(()).await;
    UP_ASYNC.call(k)
}

#[test]
fn stale_on_error_async() {
    block_on(async {
        assert_eq!(quote_async(1).await, Ok(1001));
        thread::sleep(PAST_TTL);
        UP_ASYNC.down.store(true, SeqCst);
        assert_eq!(quote_async(1).await, Ok(1001), "the stale `Ok`");
        assert_eq!(quote_async(1).await, Ok(1001), "kept for another ttl");
        assert_eq!(UP_ASYNC.runs.get(), 2);
        let s = quote_async::stats();
        assert_eq!((s.errors, s.stale, s.hits, s.misses), (1, 1, 1, 2));
    });
}

#[memoize(ttl = "150ms", stale_on_error)]
fn quote_threads(k: u64) -> Result<u64, Down> {
    UP_THREADS.call(k)
}

/// A shared cache's stale value is served to any thread, and the counts of
/// threads that have exited stay in `stats()`.
#[test]
fn stale_on_error_across_threads() {
    watchdog("stale_across_threads", TIMEOUT, || {
        let filled = join(thread::spawn(|| quote_threads(1)), "the filling thread");
        assert_eq!(filled, Ok(1001));
        thread::sleep(PAST_TTL);
        UP_THREADS.down.store(true, SeqCst);
        let served = join(thread::spawn(|| quote_threads(1)), "the failing thread");
        assert_eq!(served, Ok(1001), "another thread's entry, served stale");
        assert_eq!(quote_threads(1), Ok(1001), "and stored again for all");
        let s = quote_threads::stats();
        assert_eq!((s.errors, s.stale, s.hits, s.misses), (1, 1, 1, 2));
    });
}

// ---------------------------------------------------------------------------
// `ttl_of`: per-entry expiry
// ---------------------------------------------------------------------------

/// A credential that knows how long it is valid.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Token {
    id: u64,
    run: u64,
    valid_for: Option<Duration>,
}

impl Token {
    fn lifetime(&self) -> Option<Duration> {
        self.valid_for
    }
}

/// Token 1 lives 100 ms, token 2 ten seconds, token 3 forever, token 4 for
/// `Duration::MAX` (which must not overflow the deadline).
fn issue(runs: &Runs, id: u64) -> Token {
    let run = runs.bump();
    let valid_for = match id {
        1 => Some(Duration::from_millis(100)),
        2 => Some(Duration::from_secs(10)),
        4 => Some(Duration::MAX),
        _ => None,
    };
    Token { id, run, valid_for }
}

static TOKEN_RUNS: Runs = Runs::new();
static TOKEN_BOUNDED_RUNS: Runs = Runs::new();
static TOKEN_LOCAL_RUNS: Runs = Runs::new();
static TOKEN_RESULT_RUNS: Runs = Runs::new();
static TOKEN_INSERT_RUNS: Runs = Runs::new();
static MS_RUNS: Runs = Runs::new();

#[memoize(ttl_of = Token::lifetime)]
fn token(id: u64) -> Token {
    issue(&TOKEN_RUNS, id)
}

#[memoize(ttl_of = Token::lifetime, capacity = 4)]
fn token_bounded(id: u64) -> Token {
    issue(&TOKEN_BOUNDED_RUNS, id)
}

#[memoize(ttl_of = Token::lifetime, thread_local)]
fn token_local(id: u64) -> Token {
    issue(&TOKEN_LOCAL_RUNS, id)
}

#[memoize(ttl_of = Token::lifetime)]
fn token_result(id: u64) -> Result<Token, NotClone> {
    if id == 0 {
        return Err(NotClone(0));
    }
    Ok(issue(&TOKEN_RESULT_RUNS, id))
}

#[memoize(ttl_of = Token::lifetime)]
fn token_insert(id: u64) -> Token {
    issue(&TOKEN_INSERT_RUNS, id)
}

/// The value is its own lifetime in milliseconds.
#[memoize(ttl_of = |ms: &u64| Some(Duration::from_millis(*ms)))]
fn lives_for(ms: u64) -> u64 {
    MS_RUNS.bump();
    ms
}

/// Fills tokens 1 (100 ms), 2 (10 s), 3 (forever) and 4 (`Duration::MAX`);
/// after 400 ms only token 1 is recomputed.
fn check_tokens(name: &str, runs: &Runs, f: &dyn Fn(u64) -> Token) {
    for id in 1..=4 {
        assert_eq!(f(id).id, id, "{name}");
        assert_eq!(f(id).run, id, "{name}: hit at once");
    }
    assert_eq!(runs.get(), 4, "{name}");
    thread::sleep(Duration::from_millis(400));
    assert_eq!(
        f(1).run,
        5,
        "{name}: the 100 ms token expired and was issued again"
    );
    assert_eq!(f(2).run, 2, "{name}: the 10 s token is still cached");
    assert_eq!(f(3).run, 3, "{name}: a `None` lifetime never expires");
    assert_eq!(f(4).run, 4, "{name}: nor does `Duration::MAX`");
    assert_eq!(f(1).run, 5, "{name}: the new token is cached in turn");
    assert_eq!(runs.get(), 5, "{name}");
}

#[test]
fn ttl_of_expires_entries_at_different_times() {
    check_tokens("shared", &TOKEN_RUNS, &token);
    assert_eq!(token::stats().misses, 5);
}

#[test]
fn ttl_of_with_capacity() {
    check_tokens("capacity = 4", &TOKEN_BOUNDED_RUNS, &token_bounded);
    assert_eq!(token_bounded::stats().evictions, 0);
}

#[test]
fn ttl_of_thread_local() {
    check_tokens("thread_local", &TOKEN_LOCAL_RUNS, &token_local);
}

#[test]
fn ttl_of_on_a_result_sees_the_ok_value() {
    check_tokens("Result", &TOKEN_RESULT_RUNS, &|id| {
        token_result(id).unwrap()
    });
    assert_eq!(token_result(0), Err(NotClone(0)));
}

#[test]
fn ttl_of_closure() {
    assert_eq!(lives_for(100), 100);
    assert_eq!(lives_for(10_000), 10_000);
    assert_eq!(lives_for(100), 100);
    assert_eq!(lives_for(10_000), 10_000);
    assert_eq!(MS_RUNS.get(), 2, "both hit at once");
    thread::sleep(Duration::from_millis(400));
    assert_eq!(lives_for(100), 100);
    assert_eq!(MS_RUNS.get(), 3, "the 100 ms entry expired");
    assert_eq!(lives_for(10_000), 10_000);
    assert_eq!(MS_RUNS.get(), 3, "the 10 s entry did not");
}

/// `f::insert` stores a value "as if a call had computed it": with `ttl_of`,
/// the inserted value's own lifetime applies.
#[test]
fn ttl_of_applies_to_inserted_values() {
    let short = Token {
        id: 1,
        run: 0,
        valid_for: Some(Duration::from_millis(100)),
    };
    token_insert::insert(1, short.clone());
    assert_eq!(token_insert::get(1), Some(short), "inserted");
    thread::sleep(Duration::from_millis(400));
    assert_eq!(
        token_insert::get(1),
        None,
        "an inserted value whose `ttl_of` is 100 ms is gone after 400 ms"
    );
    assert_eq!(token_insert(1).run, 1, "and a call runs the body");
    assert_eq!(TOKEN_INSERT_RUNS.get(), 1);
}

// ---------------------------------------------------------------------------
// `f::traced`
// ---------------------------------------------------------------------------

static TRACED_RUNS: Runs = Runs::new();

#[memoize]
fn area(w: u64, label: &str) -> u64 {
    TRACED_RUNS.bump();
    w * label.len() as u64
}

#[memoize(thread_local, capacity = 4)]
fn area_local(w: u64) -> u64 {
    w * w
}

#[memoize]
fn checked_div(a: u64, b: u64) -> Result<u64, NotClone> {
    a.checked_div(b).ok_or(NotClone(a))
}

#[memoize]
fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

#[memoize]
fn ident<T: Clone + Eq + std::hash::Hash + Send + Sync + 'static>(x: T) -> T {
    x
}

#[test]
fn traced_tells_body_then_cache() {
    assert_eq!(area::traced(3, "abcd"), (12, Source::Body));
    assert_eq!(area::traced(3, "abcd"), (12, Source::Cache));
    assert_eq!(area(3, "abcd"), 12);
    assert_eq!(area::traced(3, "abcd"), (12, Source::Cache));
    assert_eq!(area::traced(3, "ab"), (6, Source::Body));
    assert_eq!(TRACED_RUNS.get(), 2);
    let s = area::stats();
    assert_eq!(counts(&s), (5, 3, 2, 2), "traced calls are calls");

    area::insert(9, "x", 99);
    assert_eq!(
        area::traced(9, "x"),
        (99, Source::Cache),
        "an inserted value"
    );

    assert_eq!(area_local::traced(4), (16, Source::Body));
    assert_eq!(area_local::traced(4), (16, Source::Cache));

    assert_eq!(checked_div::traced(6, 0), (Err(NotClone(6)), Source::Body));
    assert_eq!(checked_div::traced(6, 0), (Err(NotClone(6)), Source::Body));
    assert_eq!(checked_div::traced(6, 3), (Ok(2), Source::Body));
    assert_eq!(checked_div::traced(6, 3), (Ok(2), Source::Cache));

    assert_eq!(fib::traced(30), (832_040, Source::Body));
    assert_eq!(
        fib::traced(29),
        (514_229, Source::Cache),
        "filled by the recursion"
    );

    assert_eq!(ident::traced(5_u8), (5, Source::Body));
    assert_eq!(ident::traced(5_u8), (5, Source::Cache));
    assert_eq!(
        ident::traced("s"),
        ("s", Source::Body),
        "another instantiation"
    );
}

#[memoize(cache_if = Option::is_some)]
fn find_traced(id: u64) -> Option<u64> {
    (id % 2 == 0).then_some(id * 10)
}

#[test]
fn traced_tells_a_skipped_value_ran_the_body() {
    assert_eq!(find_traced::traced(1), (None, Source::Body));
    assert_eq!(find_traced::traced(1), (None, Source::Body));
    assert_eq!(find_traced::traced(2), (Some(20), Source::Body));
    assert_eq!(find_traced::traced(2), (Some(20), Source::Cache));
}

static SLOW_RUNS: Runs = Runs::new();
static SLOW_ENTERED: AtomicBool = AtomicBool::new(false);

#[memoize(single_flight)]
fn slow_lookup(n: u64) -> u64 {
    SLOW_RUNS.bump();
    SLOW_ENTERED.store(true, SeqCst);
    thread::sleep(Duration::from_millis(500));
    n + 1
}

#[test]
fn traced_tells_a_wait_on_another_caller() {
    watchdog("traced_wait", TIMEOUT, || {
        let leader = thread::spawn(|| slow_lookup::traced(41));
        // The follower calls once the leader is inside the body, which then
        // sleeps half a second: it finds the key in flight and waits.
        while !SLOW_ENTERED.load(SeqCst) {
            thread::sleep(Duration::from_millis(1));
        }
        let follower = thread::spawn(|| slow_lookup::traced(41));
        let leader = join(leader, "the leader");
        let follower = join(follower, "the follower");
        assert_eq!(leader, (42, Source::Body), "the leader ran the body");
        assert_eq!(
            follower,
            (42, Source::Wait),
            "the follower waited on the leader"
        );
        assert_eq!(SLOW_RUNS.get(), 1, "one run for both");
        assert_eq!(slow_lookup::traced(41), (42, Source::Cache));
        let s = slow_lookup::stats();
        assert_eq!((s.calls, s.hits, s.waited, s.misses), (3, 2, 1, 1));
    });
}
