//! The call path of `#[memoize]`: probe the cache with the borrowed arguments,
//! and on a miss run the body with no borrow or lock held.
//!
//! The generated code is three steps, so that the probe's borrow of the
//! arguments ends before the body takes them by value:
//!
//! ```text
//! let query = (&a, b);
//! if let Some(v) = LOCAL.with_local(|l| l.get(&query)) { return v }
//! let miss = match LOCAL.with_local(|l| l.probe(query)) { Probe::Hit(v) => return v, Probe::Miss(m) => m };
//! fill(&LOCAL, miss, move || body, cacheable)
//! ```

use std::any::Any;
use std::cell::{Cell, OnceCell, RefCell};
use std::hash::Hash;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::thread::LocalKey;
use std::time::Instant;

use crate::counters::LocalCounts;
use crate::function::{lock, Function, Mode};
use crate::lookup::Lookup;
use crate::store::Store;

/// A thread's part of a `#[memoize]` function: its counters, and its cache
/// (`thread_local`) or its replica of the shared cache.
pub struct Local<K: 'static, V: 'static> {
    function: &'static Function,
    mode: Mode,
    counts: LocalCounts,
    store: RefCell<Store<K, V>>,
    generation: Cell<u64>,
    /// The function's shared store, typed, once this thread has looked it up.
    shared: OnceCell<&'static Mutex<Store<K, V>>>,
}

impl<K: Hash + Eq + 'static, V: 'static> Local<K, V> {
    /// This thread's part of `function`.
    #[must_use]
    pub fn new(function: &'static Function) -> Self {
        let info = function.info();
        let mode = function.mode();
        let (capacity, ttl) = match mode {
            Mode::ThreadLocal => (info.capacity, info.ttl),
            Mode::Replicated | Mode::Locked => (None, None),
        };
        let local = Local {
            function,
            mode,
            counts: function.local_counts(),
            store: RefCell::new(Store::new(capacity, ttl)),
            generation: Cell::new(0),
            shared: OnceCell::new(),
        };
        local.sync();
        local
    }

    /// Drops this thread's entries if `clear()` ran since they were stored.
    #[inline]
    fn sync(&self) {
        let now = self.function.generation.load(Ordering::Acquire);
        if now != self.generation.get() {
            self.sync_slow(now);
        }
    }

    #[cold]
    fn sync_slow(&self, now: u64) {
        self.store.borrow_mut().clear();
        self.generation.set(now);
        let slot = self.counts.slot();
        slot.entries.store(0, Ordering::Relaxed);
        slot.generation.store(now, Ordering::Release);
    }

    fn publish_len(&self) {
        let len = self.store.borrow().len();
        self.counts.slot().entries.store(len, Ordering::Relaxed);
    }
}

/// The outcome of a probe.
pub enum Probe<V, K> {
    /// The cached value.
    Hit(V),
    /// Not cached: the body must run.
    Miss(Miss<K>),
}

/// A key that missed, owned, waiting for the body's result.
pub struct Miss<K> {
    key: K,
}

impl<K, V> Local<K, V>
where
    K: Hash + Eq + Clone + Send + 'static,
    V: Clone + Send + 'static,
{
    fn shared(&self) -> &'static Mutex<Store<K, V>> {
        self.shared.get_or_init(|| self.function.shared::<K, V>())
    }

    /// The hit path: this thread's own entries (its cache, or its replica of
    /// the shared one). Generated code calls it from a closure of its own, so
    /// that each function's `LocalKey::with` is a separate instance that can
    /// inline into it, and returns a plain `Option` so the value comes back in
    /// registers.
    #[inline]
    pub fn get<Q: Lookup<Key = K>>(&self, query: &Q) -> Option<V> {
        self.sync();
        if self.mode == Mode::Locked {
            return None;
        }
        let value = self.store.borrow_mut().get(query)?.clone();
        self.counts.hit();
        Some(value)
    }

    /// Past this thread's own entries: the shared store, or a miss.
    pub fn probe<Q: Lookup<Key = K>>(&self, query: Q) -> Probe<V, K> {
        if self.mode != Mode::ThreadLocal {
            let shared = lock(self.shared()).get(&query).cloned();
            if let Some(value) = shared {
                if self.mode == Mode::Replicated {
                    self.store
                        .borrow_mut()
                        .insert(query.into_key(), value.clone());
                }
                self.counts.hit();
                return Probe::Hit(value);
            }
        }
        Probe::Miss(Miss {
            key: query.into_key(),
        })
    }

    fn fill(
        &self,
        miss: Miss<K>,
        observed: &[i128],
        body: impl FnOnce() -> V,
        cacheable: fn(&V) -> bool,
    ) -> V {
        self.counts.miss();
        self.counts.observe(observed);
        self.counts.sample_key(crate::profile::hash_of(&miss.key));
        let start = Instant::now();
        let value = body();
        self.counts.timed(start);
        if !cacheable(&value) {
            return value;
        }
        match self.mode {
            Mode::ThreadLocal => {
                let evicted = self.store.borrow_mut().insert(miss.key, value.clone());
                self.counts.evicted(evicted);
                self.publish_len();
            }
            Mode::Replicated => {
                lock(self.shared()).insert(miss.key.clone(), value.clone());
                self.store.borrow_mut().insert(miss.key, value.clone());
            }
            Mode::Locked => {
                let evicted = lock(self.shared()).insert(miss.key, value.clone());
                self.counts.evicted(evicted);
            }
        }
        value
    }
}

/// This thread's part of a function whose key or value type the macro cannot
/// name in a `static` (methods, whose types mention `Self`; `key = EXPR`).
pub struct ErasedLocal {
    function: &'static Function,
    typed: OnceCell<Box<dyn Any>>,
}

impl ErasedLocal {
    /// This thread's part of `function`, typed at the first call.
    #[must_use]
    pub fn new(function: &'static Function) -> Self {
        ErasedLocal {
            function,
            typed: OnceCell::new(),
        }
    }

    fn typed<K: Hash + Eq + 'static, V: 'static>(&self) -> &Local<K, V> {
        self.typed
            .get_or_init(|| Box::new(Local::<K, V>::new(self.function)))
            .downcast_ref()
            .expect("memo: a function's key and value types never change")
    }
}

/// A `thread_local!` holding a thread's part of a function, typed or erased.
pub trait LocalSlot<K, V> {
    /// Runs `f` on this thread's part.
    fn with_local<R>(&'static self, f: impl FnOnce(&Local<K, V>) -> R) -> R;
}

impl<K: 'static, V: 'static> LocalSlot<K, V> for LocalKey<Local<K, V>> {
    #[inline(always)]
    fn with_local<R>(&'static self, f: impl FnOnce(&Local<K, V>) -> R) -> R {
        self.with(f)
    }
}

impl<K: Hash + Eq + 'static, V: 'static> LocalSlot<K, V> for LocalKey<ErasedLocal> {
    #[inline]
    fn with_local<R>(&'static self, f: impl FnOnce(&Local<K, V>) -> R) -> R {
        self.with(|erased| f(erased.typed()))
    }
}

/// Runs the body for a missed key and caches the result if `cacheable` says so.
/// `observed` holds the integer arguments, for the report's observed domain.
pub fn fill<K, V, S>(
    local: &'static S,
    miss: Miss<K>,
    observed: &[i128],
    body: impl FnOnce() -> V,
    cacheable: fn(&V) -> bool,
) -> V
where
    K: Hash + Eq + Clone + Send + 'static,
    V: Clone + Send + 'static,
    S: LocalSlot<K, V> + ?Sized,
{
    local.with_local(|local| local.fill(miss, observed, body, cacheable))
}

/// `cacheable` for every return type but `Result`.
#[must_use]
pub fn always<V>(_: &V) -> bool {
    true
}

/// `cacheable` for `Result`: `Err` is returned, not cached.
#[must_use]
pub fn is_ok<T, E>(value: &Result<T, E>) -> bool {
    value.is_ok()
}
