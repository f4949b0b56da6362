//! The Redis store against a real `redis-server` that each test starts on a
//! free port (persistence off) and kills at its end.

mod support;

use std::time::{Duration, Instant};

use memo_core::persist::__private::{key_bytes, Persisted};
use memo_core::persist::redis::{self, Redis, Timeouts};
use memo_core::persist::{Backend, StoreErrorKind};
use support::{persisted, watchdog, RedisServer};

const LIMIT: Duration = Duration::from_secs(60);

fn open(url: &str) -> Redis {
    Redis::open(url, Timeouts::default()).expect("a valid URL")
}

fn value(n: u64) -> String {
    format!("value of {n}")
}

/// Store lookups of what a memoized body would compute: a hit or the body
/// and a put. Returns whether the store answered.
fn call(store: &Persisted, n: u64) -> bool {
    match store.get::<_, String>(&(n, "x")) {
        Some(v) => {
            assert_eq!(v, value(n));
            true
        }
        None => {
            store.put(&(n, "x"), &value(n), None);
            false
        }
    }
}

#[test]
fn round_trip_remove_and_counts() {
    watchdog(LIMIT, || {
        let server = RedisServer::start();
        let store = persisted("t::round_trip", 1, backend_fn!(open(&server.url())));
        assert_eq!(store.get::<_, String>(&(1u64, "x")), None);
        store.put(&(1u64, "x"), &value(1), None);
        assert_eq!(store.get::<_, String>(&(1u64, "x")), Some(value(1)));
        // Another argument, another key.
        assert_eq!(store.get::<_, String>(&(1u64, "y")), None);
        assert!(store.remove(&(1u64, "x")));
        assert!(!store.remove(&(1u64, "x")));
        assert_eq!(store.get::<_, String>(&(1u64, "x")), None);
        let c = store.counts();
        assert_eq!(
            (c.hits, c.misses, c.writes, c.errors, c.garbage),
            (1, 3, 1, 0, 0)
        );
        assert_eq!(c.ops, 7);
        assert!(
            c.mean_latency()
                .is_some_and(|t| t < Duration::from_millis(50)),
            "{c:?}"
        );
        store.reset_counts();
        assert_eq!(store.counts().ops, 0);
    });
}

#[test]
fn ttl_becomes_a_redis_expiry() {
    watchdog(LIMIT, || {
        let server = RedisServer::start();
        let redis = open(&server.url());
        redis
            .put(b"k", b"v", Some(Duration::from_millis(150)))
            .expect("put");
        let pttl = server.integer("PTTL k");
        assert!((1..=150).contains(&pttl), "PTTL {pttl}");
        assert_eq!(redis.get(b"k").expect("get"), Some(b"v".to_vec()));
        std::thread::sleep(Duration::from_millis(300));
        // Gone from the server itself, not only stale in the envelope.
        assert_eq!(server.integer("EXISTS k"), 0);
        assert_eq!(redis.get(b"k").expect("get"), None);
        // Without a ttl, no expiry.
        redis.put(b"k", b"v", None).expect("put");
        assert_eq!(server.integer("PTTL k"), -1);
    });
}

#[test]
fn clear_deletes_only_its_prefix() {
    watchdog(LIMIT, || {
        let server = RedisServer::start();
        let backend = backend_fn!(open(&server.url()));
        let v1 = persisted("t::clear", 1, backend);
        let v2 = persisted("t::clear", 2, backend);
        let longer = persisted("t::clear_more", 1, backend);
        // More keys than one SCAN batch (512) returns.
        for n in 0..2_000u64 {
            v1.put(&(n, "x"), &value(n), None);
        }
        for n in 0..300u64 {
            v2.put(&(n, "x"), &value(n), None);
            longer.put(&(n, "x"), &value(n), None);
        }
        let unrelated = open(&server.url());
        unrelated
            .put(b"someone else's key", b"1", None)
            .expect("put");
        assert_eq!(server.integer("DBSIZE"), 2_601);
        assert_eq!(v1.clear(), 2_000);
        assert_eq!(server.integer("DBSIZE"), 601);
        assert_eq!(v1.get::<_, String>(&(5u64, "x")), None);
        assert_eq!(v2.get::<_, String>(&(5u64, "x")), Some(value(5)));
        assert_eq!(longer.get::<_, String>(&(5u64, "x")), Some(value(5)));
        assert_eq!(v1.clear(), 0);
    });
}

#[test]
fn garbage_is_a_counted_miss_and_is_overwritten() {
    watchdog(LIMIT, || {
        let server = RedisServer::start();
        let store = persisted("t::garbage", 1, backend_fn!(open(&server.url())));
        let raw = open(&server.url());
        let key = key_bytes(store.prefix(), &(3u64, "x")).expect("key");
        for garbage in [
            &b""[..],
            b"\x01",
            b"\x07 not an envelope",
            b"\x01\0\0\0\0\0\0\0\0\xff\xff",
        ] {
            raw.put(&key, garbage, None).expect("put");
            assert!(!call(store, 3), "garbage {garbage:?} was a hit");
            assert!(
                call(store, 3),
                "the value computed after garbage was not stored"
            );
        }
        let c = store.counts();
        assert_eq!((c.hits, c.misses, c.garbage, c.errors), (4, 4, 4, 0));
    });
}

#[test]
fn a_down_server_costs_one_connect_timeout_then_nothing() {
    watchdog(LIMIT, || {
        let url = format!("redis://127.0.0.1:{}", support::free_port());
        let store = persisted("t::down", 1, backend_fn!(open(&url)));
        let start = Instant::now();
        assert!(!call(store, 1));
        assert!(
            start.elapsed() < Duration::from_millis(400),
            "{:?}",
            start.elapsed()
        );
        // Backing off: no connection attempt at all.
        let start = Instant::now();
        for n in 0..1_000 {
            assert!(!call(store, n));
        }
        assert!(
            start.elapsed() < Duration::from_millis(100),
            "{:?}",
            start.elapsed()
        );
        let c = store.counts();
        assert_eq!((c.hits, c.misses, c.errors, c.writes), (0, 1_001, 2_002, 0));
        let e = store.last_error().expect("an error");
        assert_eq!(
            (e.store(), e.kind()),
            ("redis", StoreErrorKind::Unavailable)
        );
        assert!(e.to_string().starts_with("redis store: "), "{e}");
    });
}

#[test]
fn a_server_that_never_answers_times_out() {
    watchdog(LIMIT, || {
        let port = support::stalled_server();
        let timeouts =
            Timeouts::default().with(Duration::from_millis(200), Duration::from_millis(300));
        let redis = Redis::open(&format!("redis://127.0.0.1:{port}"), timeouts).expect("url");
        let start = Instant::now();
        let e = redis.get(b"k").expect_err("a stalled server answered");
        assert!(
            start.elapsed() < Duration::from_millis(800),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(e.kind(), StoreErrorKind::Timeout, "{e}");
        let start = Instant::now();
        assert!(redis.get(b"k").is_err());
        assert!(
            start.elapsed() < Duration::from_millis(50),
            "{:?}",
            start.elapsed()
        );
    });
}

#[test]
fn a_server_that_stops_answering_mid_run_times_out_then_recovers() {
    watchdog(LIMIT, || {
        let server = RedisServer::start();
        let timeouts =
            Timeouts::default().with(Duration::from_millis(200), Duration::from_millis(300));
        let redis = Redis::open(&server.url(), timeouts).expect("url");
        redis.put(b"k", b"v", None).expect("put");
        server.signal("-STOP");
        // The pooled connection is open; the answer never comes.
        let start = Instant::now();
        let e = redis.get(b"k").expect_err("a stopped server answered");
        assert!(
            start.elapsed() < Duration::from_millis(800),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(e.kind(), StoreErrorKind::Timeout, "{e}");
        server.signal("-CONT");
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            redis.get(b"k").expect("get after resume"),
            Some(b"v".to_vec())
        );
    });
}

#[test]
fn killed_and_restarted_mid_run() {
    watchdog(LIMIT, || {
        let server = RedisServer::start();
        let port = server.port();
        let timeouts = Timeouts::default().with_max_backoff(Duration::from_millis(500));
        let store = persisted(
            "t::restart",
            1,
            backend_fn!(Redis::open(&server.url(), timeouts).expect("url")),
        );
        let mut server = Some(server);
        let mut slowest = Duration::ZERO;
        let mut hits_after_restart = 0;
        for i in 0..10_000u64 {
            if i == 3_000 {
                if let Some(server) = server.take() {
                    server.kill();
                }
            }
            if i == 6_000 {
                server = Some(RedisServer::start_on(port));
            }
            let start = Instant::now();
            let hit = call(store, i % 100);
            slowest = slowest.max(start.elapsed());
            if i >= 9_000 && hit {
                hits_after_restart += 1;
            }
            if (3_000..6_000).contains(&i) || i >= 6_000 {
                // Slow enough that the back-off ends while the loop runs.
                std::thread::sleep(Duration::from_micros(300));
            }
        }
        let c = store.counts();
        assert!(c.errors > 0, "{c:?}");
        // Within a back-off (500 ms here) of the restart, every call is a hit again.
        assert_eq!(
            hits_after_restart, 1_000,
            "the store was not used again: {c:?}"
        );
        assert!(
            slowest < Duration::from_millis(1_300),
            "a call stalled {slowest:?}"
        );
        assert_eq!(c.hits + c.misses, 10_000);
    });
}

#[test]
fn values_written_by_one_process_are_hits_in_another() {
    watchdog(LIMIT, || {
        let server = RedisServer::start();
        let mut writer = support::child("redis-writer");
        writer.env(redis::URL_VAR, server.url());
        support::run(writer);
        let store = persisted("t::cross", 1, backend_fn!(open(&server.url())));
        for n in 0..200 {
            assert!(call(store, n), "{n} missed");
        }
        assert_eq!(store.counts().hits, 200);
    });
}

#[test]
fn the_process_wide_store_follows_set_url() {
    watchdog(LIMIT, || {
        let server = RedisServer::start();
        let e = redis::set_url("http://nope").expect_err("not a redis URL");
        assert_eq!(e.kind(), StoreErrorKind::Config);
        redis::set_url(&server.url()).expect("set_url");
        assert_eq!(redis::url(), server.url());
        let store = persisted("t::global", 1, redis::backend);
        assert!(!call(store, 1));
        assert!(call(store, 1));
        assert_eq!(server.integer("DBSIZE"), 1);
    });
}

/// The roles of the child processes the tests above start.
#[test]
fn child() {
    match support::role().as_deref() {
        None => {}
        // MEMO_REDIS_URL names the server: the process-wide store reads it.
        Some("redis-writer") => {
            let store = persisted("t::cross", 1, redis::backend);
            for n in 0..200 {
                assert!(!call(store, n));
            }
            let c = store.counts();
            assert_eq!((c.writes, c.errors), (200, 0), "{:?}", store.last_error());
        }
        Some(role) => panic!("unknown role {role}"),
    }
}
