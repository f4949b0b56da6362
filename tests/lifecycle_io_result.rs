//! `std::io::Result<u32>` as a return type: its last path segment is `Result`,
//! so `Err` is returned and not cached (API.md), and since an `Err` is never
//! stored or cloned, `std::io::Error` (not `Clone`) must be accepted.
//!
//! Part of the lifecycle findings (item e); a file of its own because, while
//! the runtime requires the whole `Result` to be `Clone`, this file does not
//! compile, and that must not hide the results of `tests/lifecycle.rs`.

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use memo::memoize;

static RUNS: AtomicU64 = AtomicU64::new(0);

#[memoize]
fn read_setting(k: u32) -> std::io::Result<u32> {
    RUNS.fetch_add(1, SeqCst);
    if k == 0 {
        Err(std::io::Error::other("no setting 0"))
    } else {
        Ok(k * 2)
    }
}

#[test]
fn io_result_does_not_cache_err() {
    assert!(read_setting(0).is_err());
    assert!(read_setting(0).is_err());
    assert_eq!(RUNS.load(SeqCst), 2, "Err is not cached");
    assert_eq!(read_setting(1).unwrap(), 2);
    assert_eq!(read_setting(1).unwrap(), 2);
    assert_eq!(RUNS.load(SeqCst), 3, "Ok is cached");
    let s = read_setting::stats();
    assert_eq!((s.calls, s.hits, s.misses, s.entries), (4, 1, 3, 1));
}
