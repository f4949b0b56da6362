//! The disk store on real SQLite files in temp directories, with child
//! processes for restarts and for two processes sharing one file.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use memo_core::persist::__private::key_bytes;
use memo_core::persist::disk::{self, Disk, CACHE_DIR_VAR};
use memo_core::persist::{Backend, StoreErrorKind};
use support::{persisted, watchdog};

const LIMIT: Duration = Duration::from_secs(120);

/// The crate name the children pass to `disk::backend`.
const CRATE: &str = "memo-store-test";

fn value(n: u64) -> String {
    format!("value of {n}")
}

fn open(path: &Path) -> Disk {
    Disk::open(path).expect("open the database")
}

#[test]
fn survives_a_restart_in_the_cache_dir_from_the_environment() {
    watchdog(LIMIT, || {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = dir.path().join("nested").join("cache");
        for role in ["disk-fill", "disk-read"] {
            let mut child = support::child(role);
            child.env(CACHE_DIR_VAR, &cache);
            support::run(child);
        }
        // One file per crate, in MEMO_CACHE_DIR.
        let file = cache.join(format!("{CRATE}.sqlite3"));
        assert_eq!(open(&file).len().expect("count"), 300);
    });
}

#[test]
fn two_processes_write_and_read_one_file_at_once() {
    watchdog(LIMIT, || {
        let dir = tempfile::tempdir().expect("temp dir");
        // Both start at the same moment, once loaded.
        let start = memo_core::persist::__private::now_millis() + 500;
        let children: Vec<_> = ["0", "1"]
            .iter()
            .map(|half| {
                let mut child = support::child("disk-share");
                child
                    .env(CACHE_DIR_VAR, dir.path())
                    .env("HALF", half)
                    .env("START", start.to_string());
                support::start(child)
            })
            .collect();
        for child in children {
            support::finish(child);
        }
        let store = persisted(
            "t::share",
            1,
            backend_fn!(open(&dir.path().join(format!("{CRATE}.sqlite3")))),
        );
        for n in 0..2 * SHARE {
            assert_eq!(
                store.get::<_, String>(&(n, "x")),
                Some(value(n)),
                "entry {n} lost"
            );
        }
    });
}

const SHARE: u64 = 2_000;

#[test]
fn expired_entries_are_misses_and_dropped_on_read() {
    watchdog(LIMIT, || {
        let dir = tempfile::tempdir().expect("temp dir");
        let disk = open(&dir.path().join("t.sqlite3"));
        disk.put(b"short", b"1", Some(Duration::from_millis(50)))
            .expect("put");
        disk.put(b"long", b"2", Some(Duration::from_secs(60)))
            .expect("put");
        disk.put(b"never", b"3", None).expect("put");
        assert_eq!(disk.get(b"short").expect("get"), Some(b"1".to_vec()));
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(disk.get(b"short").expect("get"), None);
        assert_eq!(disk.len().expect("count"), 2, "not dropped on read");
        assert_eq!(disk.get(b"long").expect("get"), Some(b"2".to_vec()));
        assert_eq!(disk.get(b"never").expect("get"), Some(b"3".to_vec()));
        // The envelope's expiry holds too, whatever the backend kept.
        let store = persisted(
            "t::expiry",
            1,
            backend_fn!(open(&dir.path().join("t.sqlite3"))),
        );
        store.put(&(1u64, "x"), &value(1), Some(Duration::from_millis(30)));
        assert_eq!(store.get::<_, String>(&(1u64, "x")), Some(value(1)));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(store.get::<_, String>(&(1u64, "x")), None);
    });
}

#[test]
fn the_sweep_keeps_an_expiring_workload_from_growing_the_file() {
    watchdog(LIMIT, || {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.sqlite3");
        let disk = open(&path);
        let payload = vec![7u8; 1_024];
        let mut key = 0u64;
        let mut round = |disk: &Disk| {
            for _ in 0..disk::SWEEP_EVERY {
                key += 1;
                disk.put(&key.to_le_bytes(), &payload, Some(Duration::from_millis(1)))
                    .expect("put");
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        for _ in 0..10 {
            round(&disk);
        }
        let db_bytes = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let warm = db_bytes();
        for _ in 0..90 {
            round(&disk);
        }
        let after = db_bytes();
        let with_wal = support::file_bytes(&path);
        println!("database {warm} -> {after} bytes, {with_wal} with its WAL");
        // 100 rounds of 256 KiB written; what stays is about one round.
        assert!(disk.len().expect("count") <= 2 * disk::SWEEP_EVERY);
        assert!(
            after <= warm + warm / 2,
            "grew from {warm} to {after} bytes"
        );
        // The WAL is cut back to `journal_size_limit` (8 MiB) at checkpoints.
        assert!(with_wal < 16 << 20, "{with_wal} bytes");
    });
}

#[test]
fn the_size_budget_drops_the_oldest_entries() {
    watchdog(LIMIT, || {
        let dir = tempfile::tempdir().expect("temp dir");
        let disk = open(&dir.path().join("t.sqlite3"));
        disk.set_max_bytes(Some(256 << 10));
        let payload = vec![1u8; 1_024];
        for n in 0..2_000u64 {
            disk.put(&n.to_be_bytes(), &payload, None).expect("put");
        }
        disk.sweep().expect("sweep");
        let kept = disk.len().expect("count");
        // 2 MB written into a 256 KiB budget.
        assert!((100..=256).contains(&kept), "{kept} entries kept");
        assert_eq!(
            disk.get(&1_999u64.to_be_bytes()).expect("get"),
            Some(payload.clone())
        );
        assert_eq!(disk.get(&0u64.to_be_bytes()).expect("get"), None);
    });
}

#[test]
fn garbage_is_a_counted_miss_and_is_overwritten() {
    watchdog(LIMIT, || {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.sqlite3");
        let store = persisted("t::garbage", 1, backend_fn!(open(&path)));
        let raw = open(&path);
        let key = key_bytes(store.prefix(), &(3u64, "x")).expect("key");
        raw.put(&key, b"\x01 definitely not", None).expect("put");
        assert_eq!(store.get::<_, String>(&(3u64, "x")), None);
        store.put(&(3u64, "x"), &value(3), None);
        assert_eq!(store.get::<_, String>(&(3u64, "x")), Some(value(3)));
        // A value written by another version of the function is another key.
        let v2 = persisted("t::garbage", 2, backend_fn!(open(&path)));
        assert_eq!(v2.get::<_, String>(&(3u64, "x")), None);
        let c = store.counts();
        assert_eq!((c.hits, c.misses, c.garbage, c.errors), (1, 1, 1, 0));
    });
}

#[test]
fn clear_and_remove_touch_only_their_function() {
    watchdog(LIMIT, || {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.sqlite3");
        let backend = backend_fn!(open(&path));
        let f = persisted("t::f", 1, backend);
        let f_more = persisted("t::f_more", 1, backend);
        for n in 0..50u64 {
            f.put(&(n, "x"), &value(n), None);
            f_more.put(&(n, "x"), &value(n), None);
        }
        assert!(f.remove(&(7u64, "x")));
        assert!(!f.remove(&(7u64, "x")));
        assert_eq!(f.clear(), 49);
        assert_eq!(f.get::<_, String>(&(8u64, "x")), None);
        assert_eq!(f_more.get::<_, String>(&(8u64, "x")), Some(value(8)));
        assert_eq!(open(&path).len().expect("count"), 50);
    });
}

#[test]
fn open_moves_every_crate_to_the_new_directory() {
    watchdog(LIMIT, || {
        let first = tempfile::tempdir().expect("temp dir");
        let second = tempfile::tempdir().expect("temp dir");
        let target = second.path().join("made-by-open");
        disk::open(first.path()).expect("open");
        let store = persisted("t::open", 1, || disk::backend("open-test"));
        store.put(&(1u64, "x"), &value(1), None);
        disk::open(&target).expect("open");
        assert_eq!(disk::dir().expect("dir"), target);
        assert_eq!(store.get::<_, String>(&(1u64, "x")), None);
        store.put(&(1u64, "x"), &value(1), None);
        assert_eq!(store.get::<_, String>(&(1u64, "x")), Some(value(1)));
        assert!(first.path().join("open-test.sqlite3").exists());
        assert!(target.join("open-test.sqlite3").exists());
        assert_eq!(store.counts().errors, 0);
    });
}

#[test]
fn a_cache_dir_that_cannot_be_made_is_a_counted_error_not_retried_per_call() {
    watchdog(LIMIT, || {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("a file");
        std::fs::write(&file, b"").expect("write");
        let mut child = support::child("disk-bad-dir");
        child.env(CACHE_DIR_VAR, file.join("below a file"));
        support::run(child);
    });
}

/// The roles of the child processes the tests above start.
#[test]
fn child() {
    let store = || persisted("t::share", 1, || disk::backend(CRATE));
    match support::role().as_deref() {
        None => {}
        Some("disk-fill") => {
            let store = store();
            for n in 0..300 {
                store.put(&(n, "x"), &value(n), None);
            }
            assert_eq!(store.counts().errors, 0, "{:?}", store.last_error());
        }
        Some("disk-read") => {
            let store = store();
            for n in 0..300 {
                assert_eq!(store.get::<_, String>(&(n, "x")), Some(value(n)));
            }
            assert_eq!(store.counts().hits, 300);
        }
        Some("disk-share") => {
            // Each child writes its half and reads the other's as it goes.
            let half: u64 = std::env::var("HALF")
                .ok()
                .and_then(|h| h.parse().ok())
                .expect("HALF");
            let start: u64 = std::env::var("START")
                .ok()
                .and_then(|h| h.parse().ok())
                .expect("START");
            let store = store();
            // Open the file first, then wait for the other child.
            assert_eq!(store.get::<_, String>(&(u64::MAX, "x")), None);
            let now = memo_core::persist::__private::now_millis();
            std::thread::sleep(Duration::from_millis(start.saturating_sub(now)));
            let mine = half * SHARE..(half + 1) * SHARE;
            let theirs = (1 - half) * SHARE;
            let mut seen = 0;
            for (i, n) in mine.enumerate() {
                store.put(&(n, "x"), &value(n), None);
                assert_eq!(store.get::<_, String>(&(n, "x")), Some(value(n)));
                let other = theirs + i as u64;
                if let Some(v) = store.get::<_, String>(&(other, "x")) {
                    assert_eq!(v, value(other));
                    seen += 1;
                }
            }
            let c = store.counts();
            assert_eq!(c.errors, 0, "{:?}", store.last_error());
            println!("child {half}: saw {seen} of the other's entries while writing");
        }
        Some("disk-bad-dir") => {
            let store = store();
            let start = Instant::now();
            for n in 0..1_000 {
                assert_eq!(store.get::<_, String>(&(n, "x")), None);
                store.put(&(n, "x"), &value(n), None);
            }
            assert!(
                start.elapsed() < Duration::from_millis(500),
                "{:?}",
                start.elapsed()
            );
            let c = store.counts();
            assert_eq!((c.errors, c.writes, c.misses), (2_000, 0, 1_000));
            let e = store.last_error().expect("an error");
            assert_eq!(
                (e.store(), e.kind()),
                ("disk", StoreErrorKind::Config),
                "{e}"
            );
            assert!(e.to_string().contains("below a file"), "{e}");
        }
        Some(role) => panic!("unknown role {role}"),
    }
}
