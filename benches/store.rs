//! What one call to a second-level store costs: a Redis round trip on
//! loopback (a `redis-server` this bench starts on a free port) and the disk
//! store (SQLite in a temp dir), through the byte-level `Backend` and through
//! the typed, counted `Persisted` front the generated code calls, sync and
//! async (the worker hand-off).
//!
//! `cargo bench --bench store --features disk,redis` (needs `redis-server` on
//! PATH). The floor is `raw RESP GET`: the same GET written by hand on a
//! `TcpStream`, no client library.

use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use memo::store::__private::{BackendFn, Persisted, Prefix};
use memo::store::disk::Disk;
use memo::store::redis::{Redis, Timeouts};
use memo::store::Backend;

/// Distinct keys cycled through by the hit benches.
const KEYS: u64 = 1_000;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_redis() -> (Server, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server on PATH");
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    (server, port)
}

/// GET of `key` written and read by hand (RESP), the answer's bulk string.
fn raw_get(stream: &mut BufReader<TcpStream>, key: &[u8]) -> Vec<u8> {
    let mut request = format!("*2\r\n$3\r\nGET\r\n${}\r\n", key.len()).into_bytes();
    request.extend_from_slice(key);
    request.extend_from_slice(b"\r\n");
    stream.get_mut().write_all(&request).expect("write");
    let mut header = String::new();
    stream.read_line(&mut header).expect("read");
    let len: usize = header[1..].trim().parse().expect("a bulk string");
    let mut body = vec![0; len + 2];
    stream.read_exact(&mut body).expect("read");
    body.truncate(len);
    body
}

fn leak_backend(
    slot: &'static std::sync::OnceLock<&'static dyn Backend>,
    backend: impl Backend + 'static,
) {
    let _ = slot.set(Box::leak(Box::new(backend)));
}

static REDIS: std::sync::OnceLock<&'static dyn Backend> = std::sync::OnceLock::new();
static DISK: std::sync::OnceLock<&'static dyn Backend> = std::sync::OnceLock::new();

fn slot(
    slot: &'static std::sync::OnceLock<&'static dyn Backend>,
) -> Result<&'static dyn Backend, memo::store::StoreError> {
    slot.get().copied().ok_or_else(|| {
        memo::store::StoreError::new("bench", "get", memo::store::StoreErrorKind::Config, "unset")
    })
}

static ON_REDIS: Persisted = Persisted::new(
    Prefix::new("bench::on_redis", "(u64) -> String", 1),
    (|| slot(&REDIS)) as BackendFn,
);
static ON_DISK: Persisted = Persisted::new(
    Prefix::new("bench::on_disk", "(u64) -> String", 1),
    (|| slot(&DISK)) as BackendFn,
);

fn value(n: u64) -> String {
    format!("the value of {n}, about as long as a short result")
}

/// Polls a future to its end on this thread (what `futures::executor::block_on` does).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}

fn stores(c: &mut Criterion) {
    let (_server, port) = start_redis();
    let url = format!("redis://127.0.0.1:{port}");
    leak_backend(&REDIS, Redis::open(&url, Timeouts::default()).expect("url"));
    let dir = tempfile::tempdir().expect("temp dir");
    leak_backend(
        &DISK,
        Disk::open(dir.path().join("bench.sqlite3")).expect("open"),
    );
    for n in 0..KEYS {
        ON_REDIS.put(&n, &value(n), None);
        ON_DISK.put(&n, &value(n), None);
    }
    let redis_key = memo::store::__private::key_bytes(ON_REDIS.prefix(), &7u64).expect("key");
    let mut raw = BufReader::new(TcpStream::connect(("127.0.0.1", port)).expect("connect"));
    raw.get_mut().set_nodelay(true).expect("nodelay");
    assert!(!raw_get(&mut raw, &redis_key).is_empty());
    let redis = slot(&REDIS).expect("redis");

    let mut group = c.benchmark_group("store");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    group.bench_function("redis: raw RESP GET", |b| {
        b.iter(|| raw_get(&mut raw, black_box(&redis_key)))
    });
    group.bench_function("redis: Backend::get", |b| {
        b.iter(|| redis.get(black_box(&redis_key)))
    });
    let mut n = 0;
    group.bench_function("redis: Persisted::get hit", |b| {
        b.iter(|| {
            n = (n + 1) % KEYS;
            ON_REDIS.get::<_, String>(&n).expect("a hit")
        });
    });
    group.bench_function("redis: Persisted::put", |b| {
        b.iter(|| {
            n = (n + 1) % KEYS;
            ON_REDIS.put(&n, &value(n), None);
        });
    });
    group.bench_function("redis: Persisted::get_async hit", |b| {
        b.iter(|| {
            n = (n + 1) % KEYS;
            block_on(ON_REDIS.get_async::<_, String>(&n)).expect("a hit")
        });
    });
    group.bench_function("disk: Persisted::get hit", |b| {
        b.iter(|| {
            n = (n + 1) % KEYS;
            ON_DISK.get::<_, String>(&n).expect("a hit")
        });
    });
    group.bench_function("disk: Persisted::put", |b| {
        b.iter(|| {
            n = (n + 1) % KEYS;
            ON_DISK.put(&n, &value(n), None);
        });
    });
    group.bench_function("disk: Persisted::get_async hit", |b| {
        b.iter(|| {
            n = (n + 1) % KEYS;
            block_on(ON_DISK.get_async::<_, String>(&n)).expect("a hit")
        });
    });
    group.finish();
    let (r, d) = (ON_REDIS.counts(), ON_DISK.counts());
    assert_eq!(
        (r.errors, d.errors),
        (0, 0),
        "{:?} {:?}",
        ON_REDIS.last_error(),
        ON_DISK.last_error()
    );
}

criterion_group!(benches, stores);
criterion_main!(benches);
