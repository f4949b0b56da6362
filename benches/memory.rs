//! Bytes per cached entry, per mode and per thread, from a counting global
//! allocator: 100,000 `u64 -> u64` entries filled by one thread, then read in
//! full by a second thread (which builds its replica), then that thread exits.
//!
//! `cargo bench --bench memory` prints one line per mode.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::sync::mpsc;

use memo::memoize;

/// The system allocator, keeping a running total of the bytes it holds.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

fn signed(size: usize) -> isize {
    isize::try_from(size).unwrap_or(isize::MAX)
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds
// `GlobalAlloc`'s contract; the counter is only arithmetic on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(signed(layout.size()), Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(signed(layout.size()), Relaxed);
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const N: u64 = 100_000;

#[memoize]
fn shared(k: u64) -> u64 {
    k.wrapping_mul(3)
}

#[memoize(thread_local)]
fn local(k: u64) -> u64 {
    k.wrapping_mul(3)
}

#[memoize(capacity = 100_000)]
fn bounded(k: u64) -> u64 {
    k.wrapping_mul(3)
}

/// A recursive fill: one outermost call computes every entry.
#[memoize]
fn chain(k: u64) -> u64 {
    if k == 0 {
        0
    } else {
        chain(k - 1).wrapping_add(k)
    }
}

#[allow(clippy::cast_precision_loss)] // bytes per entry, for people to read
fn per_entry(bytes: isize) -> f64 {
    bytes as f64 / N as f64
}

fn measure(name: &str, fill: fn(), read: fn(u64) -> u64) {
    let before = LIVE.load(Relaxed);
    fill();
    let first = LIVE.load(Relaxed) - before;
    let (filled, ask) = mpsc::channel();
    let (exit, done) = mpsc::channel::<()>();
    let reader = std::thread::spawn(move || {
        for k in 0..N {
            read(k);
        }
        let _ = filled.send(LIVE.load(Relaxed));
        let _ = done.recv();
    });
    let second = ask.recv().unwrap_or(0) - before;
    let _ = exit.send(());
    let _ = reader.join();
    let after = LIVE.load(Relaxed) - before;
    println!(
        "{name:32} first thread {:6.1} B/entry; a second thread reading them all +{:5.1} B/entry; after it exits {:6.1} B/entry",
        per_entry(first),
        per_entry(second - first),
        per_entry(after)
    );
}

fn main() {
    // The recursion of `chain` is N deep: run on a thread with room for it.
    let run = std::thread::Builder::new().stack_size(512 << 20).spawn(|| {
        measure(
            "thread_local",
            || {
                (0..N).for_each(|k| {
                    std::hint::black_box(local(k));
                })
            },
            local,
        );
        measure(
            "shared, a batch per call",
            || {
                (0..N).for_each(|k| {
                    std::hint::black_box(shared(k));
                })
            },
            shared,
        );
        measure(
            "shared, one recursive fill",
            || {
                std::hint::black_box(chain(N - 1));
            },
            chain,
        );
        measure(
            "capacity = 100_000",
            || {
                (0..N).for_each(|k| {
                    std::hint::black_box(bounded(k));
                })
            },
            bounded,
        );
    });
    if let Ok(handle) = run {
        let _ = handle.join();
    }
}
