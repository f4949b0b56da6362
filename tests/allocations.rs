//! What a miss allocates, counted by a global allocator (this test binary's
//! own): an `async fn` miss costs at most one allocation more than its body
//! (the batch that shares the value with other threads), a sync miss at most
//! that batch, and a hit nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use memo::memoize;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, SeqCst);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above, that is from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A waker that is never woken: the futures here never wait.
struct Never;

impl Wake for Never {
    fn wake(self: Arc<Self>) {}
}

/// Polls a future that never waits (the bodies here are ready at once).
fn ready<F: Future>(future: F) -> F::Output {
    thread_local! {
        static WAKER: Waker = Waker::from(Arc::new(Never));
    }
    let mut future = pin!(future);
    let waker = WAKER.with(Waker::clone);
    let mut cx = Context::from_waker(&waker);
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the body does not wait"),
    }
}

#[memoize]
async fn triple(n: u64) -> u64 {
    n * 3
}

#[memoize]
fn square(n: u64) -> u64 {
    n * n
}

/// Allocations per call of `call(i)` for `i` in `range`, after a warm-up that
/// lets the tables reach their size.
fn per_call(range: std::ops::Range<u64>, mut call: impl FnMut(u64)) -> f64 {
    let before = ALLOCATIONS.load(SeqCst);
    let n = range.end - range.start;
    for i in range {
        call(i);
    }
    #[allow(clippy::cast_precision_loss)]
    let per = (ALLOCATIONS.load(SeqCst) - before) as f64 / n as f64;
    per
}

/// One test: the allocation counter is the process's, so a second test
/// running beside this one would count into it.
#[test]
fn a_miss_allocates_one_batch_and_a_hit_nothing() {
    // Warm-up: the thread's tables, the flight map, the log's list.
    per_call(0..5_000, |i| {
        ready(triple(i));
    });
    let misses = per_call(1_000_000..1_002_000, |i| {
        ready(triple(i));
    });
    let hits = per_call(1_000_000..1_002_000, |i| {
        ready(triple(i));
    });
    assert!(misses <= 1.1, "{misses} allocations per async miss");
    assert!(hits < 0.01, "{hits} allocations per async hit");

    per_call(0..5_000, |i| {
        square(i);
    });
    // Misses of the outermost call each publish one batch.
    let misses = per_call(1_000_000..1_002_000, |i| {
        square(i);
    });
    assert!(misses <= 1.1, "{misses} allocations per sync miss");
}
