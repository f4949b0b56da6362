// `crate = path` reaches every part of the code the new features generate:
// single-flight, `async fn`, generic functions and the companion's
// `get`/`insert`/`remove` all name the runtime through the given path.
#![deny(warnings)]

extern crate memo as my_memo;

use std::future::Future;
use std::hash::Hash;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use memo::memoize;

#[memoize(crate = my_memo, single_flight)]
fn flight(n: u64) -> u64 {
    n
}

#[memoize(crate = my_memo)]
async fn fetch(id: u64) -> u64 {
    id
}

#[memoize(crate = my_memo, capacity = 4)]
fn ident<T: Clone + Eq + Hash + Send + Sync + 'static>(x: T) -> T {
    x
}

struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

fn main() {
    assert_eq!(flight(1), 1);
    flight::insert(2, 3);
    assert_eq!(flight::get(2), Some(3));
    assert_eq!(flight::remove(2), Some(3));
    assert_eq!(ident(5_u8), 5);
    assert_eq!(ident::get(5_u8), Some(5));
    assert_eq!(block_on(fetch(1)), 1);
    assert_eq!(block_on(fetch(1)), 1);
    assert_eq!(fetch::stats().hits, 1);
}
