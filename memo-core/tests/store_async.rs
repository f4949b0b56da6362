//! `get_async` / `put_async` on tokio and on `futures::executor`, against the
//! disk store and a real Redis server: they answer like the sync calls and
//! never block the executor, even on a server that does not answer.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use memo_core::persist::__private::{Fetch, Persisted, Write};
use memo_core::persist::disk::Disk;
use memo_core::persist::redis::{Redis, Timeouts};
use support::{persisted, watchdog, RedisServer};

const LIMIT: Duration = Duration::from_secs(60);

fn value(n: u64) -> String {
    format!("value of {n}")
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[test]
fn the_futures_are_send_whatever_the_value() {
    // The value is decoded on the awaiting side: a value that is not `Send`
    // does not make the future `!Send`.
    fn send<T: Send>() {}
    send::<Fetch<'static, std::rc::Rc<String>>>();
    send::<Write>();
}

/// Misses, writes, then hits `n` keys through the async front.
async fn fill_and_read(store: &'static Persisted, n: u64) {
    for i in 0..n {
        let miss = assert_send(store.get_async::<_, String>(&(i, "x"))).await;
        assert!(miss.is_none());
        assert_send(store.put_async(&(i, "x"), &value(i), None)).await;
    }
    for i in 0..n {
        assert_eq!(
            store.get_async::<_, String>(&(i, "x")).await,
            Some(value(i))
        );
    }
    let c = store.counts();
    assert_eq!(
        (c.hits, c.misses, c.writes, c.errors),
        (n, n, n, 0),
        "{:?}",
        store.last_error()
    );
}

fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
}

#[test]
fn disk_on_tokio_and_on_futures_executor() {
    watchdog(LIMIT, || {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("t.sqlite3");
        let on_tokio = persisted("t::tokio", 1, backend_fn!(Disk::open(&file).expect("open")));
        tokio().block_on(fill_and_read(on_tokio, 100));
        let on_futures = persisted(
            "t::futures",
            1,
            backend_fn!(Disk::open(&file).expect("open")),
        );
        futures_executor::block_on(fill_and_read(on_futures, 100));
    });
}

#[test]
fn redis_on_tokio_and_on_futures_executor() {
    watchdog(LIMIT, || {
        let server = RedisServer::start();
        let url = server.url();
        let backend = backend_fn!(Redis::open(&url, Timeouts::default()).expect("url"));
        tokio().block_on(fill_and_read(persisted("t::tokio", 1, backend), 100));
        futures_executor::block_on(fill_and_read(persisted("t::futures", 1, backend), 100));
        assert_eq!(server.integer("DBSIZE"), 200);
    });
}

#[test]
fn a_stalled_server_does_not_block_the_executor() {
    watchdog(LIMIT, || {
        let port = support::stalled_server();
        let timeouts =
            Timeouts::default().with(Duration::from_millis(300), Duration::from_millis(300));
        let url = format!("redis://127.0.0.1:{port}");
        let store = persisted(
            "t::stalled",
            1,
            backend_fn!(Redis::open(&url, timeouts).expect("url")),
        );
        let ticks = Arc::new(AtomicU64::new(0));
        let runtime = tokio();
        let (got, took) = runtime.block_on(async {
            // One thread runs both: the ticker advances only if the store
            // call yields instead of blocking.
            let ticker = {
                let ticks = Arc::clone(&ticks);
                tokio::spawn(async move {
                    loop {
                        ticks.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                })
            };
            let start = Instant::now();
            let got = store.get_async::<_, String>(&(1u64, "x")).await;
            let took = start.elapsed();
            ticker.abort();
            (got, took)
        });
        assert_eq!(got, None);
        assert!(
            took >= Duration::from_millis(250) && took < Duration::from_secs(1),
            "{took:?}"
        );
        let ticks = ticks.load(Ordering::Relaxed);
        assert!(
            ticks >= 10,
            "the executor was blocked: {ticks} ticks in {took:?}"
        );
        assert_eq!(store.counts().errors, 1);
        // A put to it is queued, counted as an error, and does not wait.
        futures_executor::block_on(store.put_async(&(1u64, "x"), &value(1), None));
        assert_eq!(store.counts().errors, 2);
    });
}
