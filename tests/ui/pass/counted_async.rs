// `#[counted]` on `async fn`: the call is counted when the body starts running,
// that is at the future's first poll.
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use memo::counted;

#[counted]
async fn fetch(id: u64) -> u64 {
    id * 2
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
    assert_eq!(block_on(fetch(4)), 8);
    assert_eq!(block_on(fetch(4)), 8);
    assert_eq!(fetch::stats().calls, 2);
}
