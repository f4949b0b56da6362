//! `#[memoize(store = ...)]`: the second-level store behind the in-process
//! cache, through the attribute. Order: in-process cache → store → body, and a
//! store hit fills the in-process cache. Run with `--features disk,redis`
//! (`.ci/run` does); the Redis tests start their own `redis-server`.

#[path = "../memo-core/tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use memo::store::{Backend, StoreError};
use memo::{memoize, Source};
use support::{role, run, watchdog, RedisServer};

const LIMIT: Duration = Duration::from_secs(60);

// ------------------------------------------------------------- a user backend

/// An in-memory backend: what a user writes for `store = path::to::fn`.
#[derive(Default)]
struct InMemory {
    entries: Mutex<HashMap<Vec<u8>, Vec<u8>>>,
}

impl Backend for InMemory {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.entries.lock().unwrap().get(key).cloned())
    }
    fn put(&self, key: &[u8], value: &[u8], _: Option<Duration>) -> Result<(), StoreError> {
        self.entries
            .lock()
            .unwrap()
            .insert(key.to_vec(), value.to_vec());
        Ok(())
    }
    fn remove(&self, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.entries.lock().unwrap().remove(key).is_some())
    }
    fn clear_prefix(&self, prefix: &[u8]) -> Result<u64, StoreError> {
        let mut entries = self.entries.lock().unwrap();
        let before = entries.len();
        entries.retain(|k, _| !k.starts_with(prefix));
        Ok((before - entries.len()) as u64)
    }
}

static IN_MEMORY: OnceLock<InMemory> = OnceLock::new();

fn in_memory() -> &'static dyn Backend {
    IN_MEMORY.get_or_init(InMemory::default)
}

/// The keys the user backend holds that contain `needle`.
fn keys_with(needle: &str) -> Vec<String> {
    IN_MEMORY
        .get_or_init(InMemory::default)
        .entries
        .lock()
        .unwrap()
        .keys()
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .filter(|k| k.contains(needle))
        .collect()
}

static USER_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = in_memory)]
fn user_square(n: u64) -> u64 {
    USER_RUNS.fetch_add(1, SeqCst);
    n * n
}

static OTHER_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = in_memory, version = 2)]
fn user_other(n: u64) -> u64 {
    OTHER_RUNS.fetch_add(1, SeqCst);
    n + 1
}

#[test]
fn a_user_backend_gets_keys_named_by_path_signature_and_version() {
    assert_eq!(user_square(4), 16);
    assert_eq!(user_square(4), 16);
    assert_eq!(USER_RUNS.load(SeqCst), 1);
    let keys = keys_with("user_square");
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        keys[0].starts_with("memo:v1:stores::user_square:"),
        "{keys:?}"
    );
    assert!(keys[0].contains(":0:"), "version 0 by default: {keys:?}");
    user_other(1);
    let other = keys_with("user_other");
    assert!(
        other[0].contains(":2:"),
        "`version = 2` is in the key: {other:?}"
    );
    // `clear()` drops this function's keys, and only them.
    user_square::clear();
    assert!(keys_with("user_square").is_empty());
    assert_eq!(keys_with("user_other").len(), 1);
    // `insert` primes the store as well as the in-process cache.
    user_square::insert(5, 99);
    assert_eq!(keys_with("user_square").len(), 1);
    assert_eq!(user_square(5), 99);
}

// ------------------------------------------------------------------- disk

static DISK_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = disk)]
fn disk_label(id: u64, name: &str) -> String {
    DISK_RUNS.fetch_add(1, SeqCst);
    format!("{name}#{id}")
}

fn disk_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("memo-stores-test-{}", std::process::id()))
}

/// The child side of the restart tests: computes and exits.
#[test]
fn child() {
    match role().as_deref() {
        Some("disk-writer") => {
            memo::store::disk::open(std::env::var("MEMO_TEST_DIR").unwrap()).unwrap();
            assert_eq!(disk_label(7, "seven"), "seven#7");
            assert_eq!(DISK_RUNS.load(SeqCst), 1, "the writer runs the body");
        }
        Some("redis-writer") => {
            memo::store::redis::set_url(&std::env::var("MEMO_REDIS_URL").unwrap()).unwrap();
            assert_eq!(redis_double(21), 42);
            assert_eq!(REDIS_RUNS.load(SeqCst), 1);
        }
        Some("redis-down") => {
            let start = std::time::Instant::now();
            for n in 0..50 {
                assert_eq!(redis_down(n), n + 100);
            }
            assert!(start.elapsed() < Duration::from_secs(10), "no call hangs");
            assert_eq!(DOWN_RUNS.load(SeqCst), 50, "every body ran");
            assert!(
                redis_down::stats().store_errors > 0,
                "the errors are counted"
            );
        }
        _ => {}
    }
}

#[test]
fn disk_values_outlive_the_process() {
    watchdog(LIMIT, || {
        let dir = disk_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let mut writer = support::child("disk-writer");
        writer.env("MEMO_TEST_DIR", &dir);
        run(writer);
        memo::store::disk::open(&dir).unwrap();
        let (value, source) = disk_label::traced(7, "seven");
        assert_eq!(value, "seven#7");
        assert_eq!(source, Source::Store, "another process computed it");
        assert_eq!(DISK_RUNS.load(SeqCst), 0, "no body run here");
        let (_, source) = disk_label::traced(7, "seven");
        assert_eq!(
            source,
            Source::Cache,
            "the store hit filled the in-process cache"
        );
        let s = disk_label::stats();
        assert_eq!((s.calls, s.hits, s.misses, s.store_hits), (2, 2, 0, 1));
        // The report lists the store's counts after the advice, and in JSON.
        let report = memo::report();
        let table = report.to_string();
        let line = table
            .lines()
            .skip_while(|l| *l != "stores:")
            .find(|l| l.contains("disk_label"))
            .unwrap_or_default();
        assert!(line.contains("1 hits"), "{table}");
        assert!(report.to_json().contains("\"store_hits\": 1"));
        // `clear()` drops this function's entries from the store too.
        disk_label::clear();
        assert_eq!(disk_label(7, "seven"), "seven#7");
        assert_eq!(DISK_RUNS.load(SeqCst), 1, "cleared: computed again");
        let _ = std::fs::remove_dir_all(&dir);
    });
}

// ------------------------------------------------------------------- redis

static REDIS_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = redis, ttl = "10m")]
fn redis_double(n: u64) -> u64 {
    REDIS_RUNS.fetch_add(1, SeqCst);
    n * 2
}

static DOWN_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = redis)]
fn redis_down(n: u64) -> u64 {
    DOWN_RUNS.fetch_add(1, SeqCst);
    n + 100
}

#[test]
fn redis_values_are_shared_between_processes_with_their_ttl() {
    watchdog(LIMIT, || {
        let server = RedisServer::start();
        let mut writer = support::child("redis-writer");
        writer.env("MEMO_REDIS_URL", server.url());
        run(writer);
        assert_eq!(server.integer("DBSIZE"), 1, "the writer stored one key");
        memo::store::redis::set_url(&server.url()).unwrap();
        assert_eq!(redis_double::traced(21), (42, Source::Store));
        assert_eq!(REDIS_RUNS.load(SeqCst), 0);
        assert_eq!(redis_double::stats().store_hits, 1);
        // `remove` drops the key from Redis too.
        assert_eq!(redis_double::remove(21), Some(42));
        assert_eq!(redis_double::traced(21), (42, Source::Body));
        assert_eq!(REDIS_RUNS.load(SeqCst), 1);
    });
}

#[test]
fn a_store_that_is_down_never_fails_a_call() {
    watchdog(LIMIT, || {
        // In a process of its own: the Redis store's URL is the process's.
        let mut down = support::child("redis-down");
        down.env(
            "MEMO_REDIS_URL",
            format!("redis://127.0.0.1:{}", support::free_port()),
        );
        run(down);
    });
}

// ------------------------------------------------------------------- async

static ASYNC_RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize(store = in_memory, version = 3)]
async fn user_async(n: u64) -> u64 {
    ASYNC_RUNS.fetch_add(1, SeqCst);
    n * 3
}

#[test]
fn async_fns_reach_the_store_without_blocking() {
    watchdog(LIMIT, || {
        assert_eq!(futures::executor::block_on(user_async(5)), 15);
        assert_eq!(ASYNC_RUNS.load(SeqCst), 1);
        assert_eq!(futures::executor::block_on(user_async(5)), 15);
        assert_eq!(ASYNC_RUNS.load(SeqCst), 1);
    });
}
