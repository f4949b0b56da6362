//! The typed, counted front of a backend that one memoized function uses.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_channel::oneshot;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::envelope::{decode, encode, expiry_after, key_bytes, now_millis, Decoded, Prefix};
use super::{worker, Backend, StoreError};

/// How a function finds its backend: `disk::backend` for its crate,
/// `redis::backend`, or a user fn wrapped as `|| Ok(user_fn())`.
pub type BackendFn = fn() -> Result<&'static dyn Backend, StoreError>;

/// The counters of one function's store, a snapshot.
///
/// Every `get` is a hit or a miss; a miss may also be garbage (a value that
/// did not decode) or an error (the store failed; the call went on without
/// it). Errors of writes count in `errors` too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PersistCounts {
    /// Gets answered by the store.
    pub hits: u64,
    /// Gets not answered: absent, expired, garbage or failed.
    pub misses: u64,
    /// Operations that failed (the store down, slow, or in error).
    pub errors: u64,
    /// Gets that found a value that did not decode.
    pub garbage: u64,
    /// Values written.
    pub writes: u64,
    /// Operations that reached the backend (or tried to).
    pub ops: u64,
    /// Time spent in those operations, in all.
    pub busy: Duration,
}

impl PersistCounts {
    /// The mean time of one store operation, if there was any.
    pub fn mean_latency(&self) -> Option<Duration> {
        let ops = u32::try_from(self.ops).unwrap_or(u32::MAX);
        (ops > 0).then(|| self.busy / ops)
    }
}

/// One memoized function's view of its store: builds keys under its
/// [`Prefix`], wraps values in the envelope, and turns every failure into a
/// counted miss, so that a store that is down, slow or wrong never fails a
/// call. Built in a `static` by the generated code.
pub struct Persisted {
    prefix: Prefix,
    backend: BackendFn,
    hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
    garbage: AtomicU64,
    writes: AtomicU64,
    ops: AtomicU64,
    busy_nanos: AtomicU64,
    last_error: Mutex<Option<StoreError>>,
}

impl Persisted {
    /// The store of the function named by `prefix`, reached through `backend`.
    pub const fn new(prefix: Prefix, backend: BackendFn) -> Self {
        Persisted {
            prefix,
            backend,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            garbage: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            ops: AtomicU64::new(0),
            busy_nanos: AtomicU64::new(0),
            last_error: Mutex::new(None),
        }
    }

    /// The prefix of this function's keys.
    pub fn prefix(&self) -> &Prefix {
        &self.prefix
    }

    /// The stored value of the arguments `key`, if the store has a fresh one.
    /// Anything else (absent, expired, garbage, the store failing) is `None`.
    pub fn get<K: Serialize + ?Sized, V: DeserializeOwned>(&self, key: &K) -> Option<V> {
        let backend = self.backend;
        let got = key_bytes(&self.prefix, key).and_then(|key| {
            let start = Instant::now();
            let got = backend().and_then(|store| store.get(&key));
            self.took(start.elapsed());
            got
        });
        self.answer(got)
    }

    /// Stores `value` for the arguments `key`, expiring after `ttl`. A failure
    /// is counted, never returned.
    pub fn put<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &self,
        key: &K,
        value: &V,
        ttl: Option<Duration>,
    ) {
        let backend = self.backend;
        let done = self.entry(key, value, ttl).and_then(|(key, value)| {
            let start = Instant::now();
            let done = backend().and_then(|store| store.put(&key, &value, ttl));
            self.took(start.elapsed());
            done
        });
        self.written(done);
    }

    /// Drops the stored value of the arguments `key`; `true` if there was one.
    pub fn remove<K: Serialize + ?Sized>(&self, key: &K) -> bool {
        let backend = self.backend;
        let removed = key_bytes(&self.prefix, key).and_then(|key| {
            let start = Instant::now();
            let removed = backend().and_then(|store| store.remove(&key));
            self.took(start.elapsed());
            removed
        });
        self.ok(removed).unwrap_or(false)
    }

    /// Drops every stored value of this function (every `version` and
    /// signature keeps its own prefix, so only this one's); returns how many.
    pub fn clear(&self) -> u64 {
        let start = Instant::now();
        let prefix = self.prefix.to_bytes();
        let cleared = (self.backend)().and_then(|store| store.clear_prefix(&prefix));
        self.took(start.elapsed());
        self.ok(cleared).unwrap_or(0)
    }

    /// [`get`](Self::get) for an `async fn`: the store is called on a memo
    /// worker thread, so the future never blocks its executor.
    pub fn get_async<K: Serialize + ?Sized, V: DeserializeOwned>(&self, key: &K) -> Fetch<'_, V> {
        let backend = self.backend;
        let call = key_bytes(&self.prefix, key).and_then(|key| {
            worker::spawn(move || {
                let start = Instant::now();
                let got = backend().and_then(|store| store.get(&key));
                (got, start.elapsed())
            })
        });
        Fetch {
            persisted: self,
            call: Some(call),
            value: PhantomData,
        }
    }

    /// [`put`](Self::put) for an `async fn`. The write is queued when this is
    /// called and happens even if the future is dropped; awaiting it waits
    /// until the store has answered.
    pub fn put_async<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &'static self,
        key: &K,
        value: &V,
        ttl: Option<Duration>,
    ) -> Write {
        let backend = self.backend;
        let call = self.entry(key, value, ttl).and_then(|(key, value)| {
            worker::spawn(move || {
                let start = Instant::now();
                let done = backend().and_then(|store| store.put(&key, &value, ttl));
                self.took(start.elapsed());
                self.written(done);
            })
        });
        let call = call.map_err(|e| self.written(Err(e))).ok();
        Write {
            persisted: self,
            call,
        }
    }

    /// [`put_async`](Self::put_async) without waiting: the write is queued
    /// for a store thread, so an `async fn` never blocks on it.
    pub fn put_queued<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &'static self,
        key: &K,
        value: &V,
        ttl: Option<Duration>,
    ) {
        drop(self.put_async(key, value, ttl));
    }

    /// A snapshot of the counters.
    pub fn counts(&self) -> PersistCounts {
        PersistCounts {
            hits: self.hits.load(Relaxed),
            misses: self.misses.load(Relaxed),
            errors: self.errors.load(Relaxed),
            garbage: self.garbage.load(Relaxed),
            writes: self.writes.load(Relaxed),
            ops: self.ops.load(Relaxed),
            busy: Duration::from_nanos(self.busy_nanos.load(Relaxed)),
        }
    }

    /// Zeroes the counters and forgets the last error (the function's
    /// `clear()` zeroes its counters).
    pub fn reset_counts(&self) {
        for counter in [
            &self.hits,
            &self.misses,
            &self.errors,
            &self.garbage,
            &self.writes,
            &self.ops,
            &self.busy_nanos,
        ] {
            counter.store(0, Relaxed);
        }
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The most recent error, to say what failed.
    pub fn last_error(&self) -> Option<StoreError> {
        self.last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &self,
        key: &K,
        value: &V,
        ttl: Option<Duration>,
    ) -> Result<(Vec<u8>, Vec<u8>), StoreError> {
        Ok((
            key_bytes(&self.prefix, key)?,
            encode(value, expiry_after(ttl))?,
        ))
    }

    fn answer<V: DeserializeOwned>(&self, got: Result<Option<Vec<u8>>, StoreError>) -> Option<V> {
        let value = match self.ok(got).flatten() {
            Some(bytes) => match decode(&bytes, now_millis()) {
                Decoded::Fresh(value) => Some(value),
                Decoded::Expired => None,
                Decoded::Garbage => {
                    self.garbage.fetch_add(1, Relaxed);
                    None
                }
            },
            None => None,
        };
        let counter = if value.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Relaxed);
        value
    }

    fn written(&self, done: Result<(), StoreError>) {
        if self.ok(done).is_some() {
            self.writes.fetch_add(1, Relaxed);
        }
    }

    fn ok<T>(&self, result: Result<T, StoreError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.errors.fetch_add(1, Relaxed);
                *self
                    .last_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(e);
                None
            }
        }
    }

    fn took(&self, time: Duration) {
        let nanos = u64::try_from(time.as_nanos()).unwrap_or(u64::MAX);
        self.ops.fetch_add(1, Relaxed);
        self.busy_nanos.fetch_add(nanos, Relaxed);
    }
}

type Fetched = (Result<Option<Vec<u8>>, StoreError>, Duration);

/// The future of [`Persisted::get_async`]: `Send` whatever the value type,
/// since the value is decoded on the awaiting side.
#[must_use = "a future does nothing unless awaited"]
pub struct Fetch<'a, V> {
    persisted: &'a Persisted,
    /// `None` once answered.
    call: Option<Result<oneshot::Receiver<Fetched>, StoreError>>,
    value: PhantomData<fn() -> V>,
}

impl<V: DeserializeOwned> Future for Fetch<'_, V> {
    type Output = Option<V>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<V>> {
        let got = match self.call.as_mut() {
            // Polled again after its answer: nothing more to say.
            None => return Poll::Ready(None),
            Some(Err(_)) => match self.call.take() {
                Some(Err(e)) => Err(e),
                _ => return Poll::Ready(None),
            },
            Some(Ok(answer)) => match Pin::new(answer).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok((got, took))) => {
                    self.persisted.took(took);
                    got
                }
                Poll::Ready(Err(oneshot::Canceled)) => Err(worker::cancelled()),
            },
        };
        self.call = None;
        Poll::Ready(self.persisted.answer(got))
    }
}

/// The future of [`Persisted::put_async`]; the write is already queued.
#[must_use = "the write happens anyway; await it to wait for the store's answer"]
pub struct Write {
    persisted: &'static Persisted,
    /// `None` once answered, or if the write could not be queued.
    call: Option<oneshot::Receiver<()>>,
}

impl Future for Write {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(answer) = self.call.as_mut() else {
            return Poll::Ready(());
        };
        match Pin::new(answer).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(oneshot::Canceled)) => self.persisted.written(Err(worker::cancelled())),
        }
        self.call = None;
        Poll::Ready(())
    }
}

impl crate::function::StoreStats for Persisted {
    fn errors(&self) -> u64 {
        self.errors.load(Relaxed) + self.garbage.load(Relaxed)
    }

    fn misses(&self) -> u64 {
        self.misses.load(Relaxed)
    }

    fn latency(&self) -> Option<Duration> {
        self.counts().mean_latency()
    }

    fn clear(&self) {
        Persisted::clear(self);
        self.reset_counts();
    }
}
