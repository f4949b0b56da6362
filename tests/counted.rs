//! `#[counted]`: counters only, exact under threads.

use memo::counted;

#[counted]
fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

#[test]
fn counts_every_call_and_misses_equal_calls() {
    assert_eq!(fib(20), 6765);
    let s = fib::stats();
    assert_eq!(
        (s.calls, s.hits, s.misses, s.entries),
        (21_891, 0, 21_891, 0)
    );
    assert_eq!(s.kind, memo::Kind::Counted);
    fib::clear();
    assert_eq!(fib::stats().calls, 0);
}

#[counted]
fn tick(x: u32) -> u32 {
    x + 1
}

#[test]
fn exact_under_threads_including_exited_ones() {
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for i in 0..10_000 {
                    std::hint::black_box(tick(i));
                }
            });
        }
    });
    assert_eq!(tick::stats().calls, 80_000);
}

#[counted]
fn generic<T: std::fmt::Debug>(t: T) -> String {
    format!("{t:?}")
}

#[counted]
async fn later(x: u32) -> u32 {
    x
}

struct Meter;

impl Meter {
    #[counted]
    fn read(&self) -> u32 {
        7
    }

    #[counted]
    fn new() -> Self {
        Meter
    }
}

#[test]
fn generic_async_and_methods() {
    generic(1_u8);
    generic("two");
    assert_eq!(
        generic::stats().calls,
        2,
        "one counter across instantiations"
    );
    let future = later(1);
    assert_eq!(
        later::stats().calls,
        0,
        "counted when the future first runs"
    );
    drop(future);
    let m = Meter::new();
    m.read();
    m.read();
    let report = memo::report();
    assert_eq!(report.get("counted::Meter::read").map(|s| s.calls), Some(2));
    assert_eq!(report.get("counted::Meter::new").map(|s| s.calls), Some(1));
}

#[counted]
fn late(x: u32) -> u32 {
    x * 7
}

struct CallsOnDrop(std::sync::mpsc::Sender<u32>);

impl Drop for CallsOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(late(6));
    }
}

#[test]
fn calls_from_thread_local_destructors_run_after_teardown() {
    use std::cell::RefCell;
    thread_local! {
        static FIRST: RefCell<Option<CallsOnDrop>> = const { RefCell::new(None) };
        static LAST: RefCell<Option<CallsOnDrop>> = const { RefCell::new(None) };
    }
    let (results, received) = std::sync::mpsc::channel();
    let first = results.clone();
    let thread = std::thread::spawn(move || {
        FIRST.with(|slot| *slot.borrow_mut() = Some(CallsOnDrop(first)));
        for i in 0..100 {
            assert_eq!(late(i), i * 7);
        }
        LAST.with(|slot| *slot.borrow_mut() = Some(CallsOnDrop(results)));
    });
    assert!(thread.join().is_ok(), "a call during teardown panicked");
    assert_eq!(received.iter().collect::<Vec<_>>(), [42, 42]);
    let s = late::stats();
    assert!((100..=102).contains(&s.calls), "{}", s.calls);
    assert_eq!(s.calls, s.misses);
}
