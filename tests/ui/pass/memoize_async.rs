// `#[memoize]` on `async fn`: plain, borrowed arguments, `Result`, `&self`
// methods and each option, driven by a hand-written `block_on` (memo needs
// no executor). The futures are `Send` when their parts are.
#![deny(warnings)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use memo::memoize;

#[memoize]
async fn plain(id: u64) -> u64 {
    id * 2
}

#[memoize]
async fn borrowed(text: &str, bytes: &[u8]) -> usize {
    text.len() + bytes.len()
}

#[memoize]
async fn fallible(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

#[memoize(single_flight = false)]
async fn unshared(id: u64) -> u64 {
    id
}

#[memoize(single_flight = true)]
async fn shared_explicitly(id: u64) -> u64 {
    id
}

#[memoize(capacity = 8)]
async fn bounded(id: u64) -> u64 {
    id + 1
}

#[memoize(capacity = 8, policy = lru, ttl = "1m")]
async fn bounded_lru(id: u64) -> u64 {
    id + 1
}

#[memoize(ttl = "500ms")]
async fn expiring(id: u64) -> u64 {
    id
}

#[memoize(key = id)]
async fn keyed(id: u64, _noise: u64) -> u64 {
    id
}

/// Awaits another memoized `async fn` inside the body.
#[memoize]
async fn nested(id: u64) -> u64 {
    plain(id).await + 1
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Client {
    base: u64,
}

impl Client {
    #[memoize]
    async fn fetch(&self, id: u64) -> u64 {
        self.base + id
    }

    #[memoize(key = id, single_flight = false)]
    async fn fetch_by_id(&self, id: u64) -> u64 {
        self.base + id
    }
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

fn assert_send<T: Send>(_: &T) {}

fn main() {
    let future = plain(1);
    assert_send(&future);
    assert_eq!(block_on(future), 2);
    assert_eq!(block_on(plain(1)), 2);
    let s = plain::stats();
    assert_eq!((s.calls, s.hits, s.misses, s.waited), (2, 1, 1, 0));

    let text = String::from("ab");
    let future = borrowed(&text, b"c");
    assert_send(&future);
    assert_eq!(block_on(future), 3);
    assert_eq!(block_on(borrowed("ab", &[b'c'][..])), 3);
    assert_eq!(borrowed::stats().hits, 1);

    assert!(block_on(fallible("x")).is_err());
    assert_eq!(block_on(fallible("12")), Ok(12));
    assert_eq!(fallible::stats().entries, 1);

    // Each `async fn` returns its own future type: no array of them.
    assert_eq!(block_on(unshared(1)), block_on(unshared(1)));
    assert_eq!(block_on(shared_explicitly(1)), 1);
    assert_eq!(block_on(bounded(1)), block_on(bounded(1)));
    assert_eq!(block_on(bounded_lru(1)), 2);
    assert_eq!(block_on(expiring(1)), 1);
    assert_eq!(block_on(nested(1)), 3);
    assert_eq!(block_on(nested(1)), 3);
    assert_eq!(bounded::stats().hits, 1);
    assert_eq!(nested::stats().hits, 1);
    assert_eq!(block_on(keyed(3, 1)), 3);
    assert_eq!(block_on(keyed(3, 2)), 3);
    assert_eq!(keyed::stats().hits, 1);

    let client = Client { base: 100 };
    let future = client.fetch(1);
    assert_send(&future);
    assert_eq!(block_on(future), 101);
    assert_eq!(block_on(client.fetch(1)), 101);
    assert_eq!(block_on(client.fetch_by_id(2)), 102);
    assert_eq!(block_on(Client { base: 0 }.fetch_by_id(2)), 102);
    assert!(memo::report()
        .iter()
        .any(|s| s.name.ends_with("Client::fetch") && s.hits == 1));
}
