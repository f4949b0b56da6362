//! What the attribute's caching options (`cache_if`, `Result`, `ttl_of`,
//! `store`) become: types the generated code builds and the miss path
//! applies, zero-sized unless an option needs state.

use std::future::Future;
use std::time::Duration;

/// What a run of the body gave, for the cache: a value to store, a result
/// to return without storing (`cache_if` said no), or a failure (`Err`).
pub enum Computed<V, R> {
    /// Store this value, and return it (`Rules::wrap`).
    Keep(V),
    /// Return this, store nothing.
    Skip(R),
    /// Return this, store nothing; `stale_on_error` may serve a stale value
    /// instead.
    Failed(R),
}

impl<V> Computed<V, V> {
    /// A function whose every value may be stored, if `keep` says so.
    #[inline]
    pub fn value(value: V, keep: impl FnOnce(&V) -> bool) -> Self {
        if keep(&value) {
            Computed::Keep(value)
        } else {
            Computed::Skip(value)
        }
    }
}

impl<T, E> Computed<T, Result<T, E>> {
    /// A `Result`: `Ok` values are stored if `keep` says so; an `Err` is
    /// returned, never stored or cloned.
    #[inline]
    pub fn result(result: Result<T, E>, keep: impl FnOnce(&T) -> bool) -> Self {
        match result {
            Ok(value) if keep(&value) => Computed::Keep(value),
            Ok(value) => Computed::Skip(Ok(value)),
            Err(error) => Computed::Failed(Err(error)),
        }
    }
}

/// How a function's results go in and out of its cache: `split` a result
/// into what to store, `wrap` a stored value back into a result, the
/// entry's own expiry (`ttl_of`), and the second-level store behind the
/// in-process cache (`store = ...`).
pub struct Rules<S, W, T, St> {
    /// `Computed::value` or `Computed::result`, with `cache_if`.
    pub split: S,
    /// The identity, or `Ok`.
    pub wrap: W,
    /// `ttl_of = EXPR` (through [`ttl_fn`]), or [`NoTtl`].
    pub ttl_of: T,
    /// `store = ...`: a [`Tier`], or [`NoStore`].
    pub store: St,
}

impl<S: Copy, W: Copy, T: Copy, St: Copy> Clone for Rules<S, W, T, St> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: Copy, W: Copy, T: Copy, St: Copy> Copy for Rules<S, W, T, St> {}

/// No `ttl_of`: entries expire after the function's `ttl`, if any.
#[derive(Clone, Copy)]
pub struct NoTtl;

/// No `store`.
#[derive(Clone, Copy)]
pub struct NoStore;

/// An entry's time to live: `ttl_of`'s, or the function's `ttl`.
pub trait TtlOf<V>: Copy {
    /// The time to live of an entry holding `value`.
    fn ttl(&self, value: &V, ttl: Option<Duration>) -> Option<Duration>;
}

impl<V> TtlOf<V> for NoTtl {
    #[inline(always)]
    fn ttl(&self, _: &V, ttl: Option<Duration>) -> Option<Duration> {
        ttl
    }
}

impl<V, F: Fn(&V) -> Option<Duration> + Copy> TtlOf<V> for F {
    #[inline]
    fn ttl(&self, value: &V, _: Option<Duration>) -> Option<Duration> {
        self(value)
    }
}

/// Types a `ttl_of` expression as a function of `&V`, so that a closure's
/// parameter needs no annotation.
#[inline(always)]
pub fn ttl_fn<V, F: Fn(&V) -> Option<Duration> + Copy>(ttl_of: F) -> F {
    ttl_of
}

/// The second-level store of a function, if it has one.
pub trait StoreOf<K, V>: Copy {
    /// The store's typed front.
    fn tier(&self) -> Option<Tier<K, V>>;
}

impl<K, V> StoreOf<K, V> for NoStore {
    #[inline(always)]
    fn tier(&self) -> Option<Tier<K, V>> {
        None
    }
}

impl<K, V> StoreOf<K, V> for Tier<K, V> {
    #[inline(always)]
    fn tier(&self) -> Option<Tier<K, V>> {
        Some(*self)
    }
}

/// [`Rules`] as the call path uses them, for a function returning `R`. For a
/// function with none of the options, every part is a zero-sized type the
/// compiler sees through: the call site passes nothing, and a cold fill pays
/// no call through a pointer.
pub trait Rule<K, V, R>: Copy {
    /// What to store of a result.
    fn split(&self, result: R) -> Computed<V, R>;
    /// A stored value as the function returns it.
    fn wrap(&self, value: V) -> R;
    /// The time to live of an entry holding `value` (`ttl`: the function's).
    fn ttl(&self, value: &V, ttl: Option<Duration>) -> Option<Duration>;
    /// The second-level store, if any.
    fn store(&self) -> Option<Tier<K, V>>;
}

impl<K, V, R, S, W, T, St> Rule<K, V, R> for Rules<S, W, T, St>
where
    S: Fn(R) -> Computed<V, R> + Copy,
    W: Fn(V) -> R + Copy,
    T: TtlOf<V>,
    St: StoreOf<K, V>,
{
    #[inline(always)]
    fn split(&self, result: R) -> Computed<V, R> {
        (self.split)(result)
    }
    #[inline(always)]
    fn wrap(&self, value: V) -> R {
        (self.wrap)(value)
    }
    #[inline(always)]
    fn ttl(&self, value: &V, ttl: Option<Duration>) -> Option<Duration> {
        self.ttl_of.ttl(value, ttl)
    }
    #[inline(always)]
    fn store(&self) -> Option<Tier<K, V>> {
        self.store.tier()
    }
}

/// A second-level store as the call path sees it: typed closures the
/// generated code writes over the store's serde-based front, so that this
/// path needs no serde bounds. Every failure is already a counted miss.
pub struct Tier<K, V> {
    /// The stored value of a key, if the store has a fresh one.
    pub get: fn(&K) -> Option<V>,
    /// Stores a value, with the entry's time to live.
    pub put: fn(&K, &V, Option<Duration>),
    /// `get` for an `async fn`: the blocking call runs on a store thread.
    pub get_async: fn(&K) -> Fetching<V>,
    /// `put` for an `async fn`: queued, never awaited.
    pub put_async: fn(&K, &V, Option<Duration>),
}

/// A store read in flight, for an `async fn`.
pub type Fetching<V> = std::pin::Pin<Box<dyn Future<Output = Option<V>> + Send>>;

impl<K, V> Clone for Tier<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K, V> Copy for Tier<K, V> {}

/// `cache_if` when none is given: keep every value.
#[must_use]
#[inline(always)]
pub fn always<V>(_: &V) -> bool {
    true
}

/// `wrap` for a function that returns the stored value itself.
#[must_use]
#[inline(always)]
pub fn identity<V>(value: V) -> V {
    value
}
