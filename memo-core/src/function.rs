//! The static state every instrumented function owns: what it is, its
//! counters, and (for a shared cache) its store.

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use crate::counters::{Counters, LocalCounts};
use crate::stats::{Kind, Stats};
use crate::store::Store;
use crate::touched::TouchedCells;

/// What the macro knows about a function at compile time.
#[derive(Clone, Copy)]
pub struct Info {
    /// `module_path!()` + `"::"` + the name (methods: completed at the first call).
    pub name: &'static str,
    /// For methods, the bare method name, completed with the type's name at the first call.
    pub method: Option<&'static str>,
    /// Which attribute.
    pub kind: Kind,
    /// `capacity = N`.
    pub capacity: Option<usize>,
    /// `policy = lru`: exact least-recently-used eviction.
    pub lru: bool,
    /// `ttl = "..."`.
    pub ttl: Option<Duration>,
    /// `thread_local`.
    pub thread_local: bool,
    /// The table length (`#[precompute]`).
    pub entries: usize,
    /// The parameter types, when all are integers or `bool` (for the report's
    /// observed domain); empty otherwise.
    pub params: &'static [&'static str],
    /// The cells of a `#[precompute]` table read so far.
    pub touched: Option<&'static dyn TouchedCells>,
}

impl Info {
    /// An `Info` with no options, for `kind`.
    #[must_use]
    pub const fn new(name: &'static str, kind: Kind) -> Self {
        Info {
            name,
            method: None,
            kind,
            capacity: None,
            lru: false,
            ttl: None,
            thread_local: false,
            entries: 0,
            params: &[],
            touched: None,
        }
    }
}

/// Where a `#[memoize]` function keeps its entries.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One cache per thread.
    ThreadLocal,
    /// One shared cache, read through a per-thread replica so that hits write
    /// nothing another core reads (unbounded, no `ttl`).
    Replicated,
    /// One shared cache behind a lock (`capacity` or `ttl`: an exact LRU order or
    /// an expiry needs one shared view).
    Locked,
}

/// A shared store with its key and value types erased, so that `Function`
/// needs no type parameters and can live in a plain `static`.
trait SharedStore: Send + Sync {
    fn len(&self) -> usize;
    fn clear(&self);
    fn as_any(&self) -> &dyn Any;
}

impl<K, V> SharedStore for Mutex<Store<K, V>>
where
    K: std::hash::Hash + Eq + Send + 'static,
    V: Send + 'static,
{
    fn len(&self) -> usize {
        lock(self).len()
    }
    fn clear(&self) {
        lock(self).clear();
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Locks a store. User code (`Hash`, `Eq`, `Clone` of keys) may panic under this
/// lock; the store stays consistent, so poisoning is ignored.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The state of one instrumented function, in a `static` the macro emits.
pub struct Function {
    info: Info,
    method_name: OnceLock<&'static str>,
    pub(crate) counters: Counters,
    /// Bumped by `clear()`; thread-local caches and replicas drop their entries
    /// when they see it change.
    pub(crate) generation: AtomicU64,
    shared: OnceLock<Box<dyn SharedStore>>,
}

impl Function {
    /// The state of a function described by `info`.
    #[must_use]
    pub const fn new(info: Info) -> Self {
        Function {
            info,
            method_name: OnceLock::new(),
            counters: Counters::new(),
            generation: AtomicU64::new(0),
            shared: OnceLock::new(),
        }
    }

    /// What the macro knew.
    #[must_use]
    pub fn info(&self) -> &Info {
        &self.info
    }

    /// The name `Stats` and `Report` use.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.method_name.get().copied().unwrap_or(self.info.name)
    }

    /// Completes a method's name with its type's, once.
    #[inline]
    pub fn name_method(&self, type_name: fn() -> &'static str) {
        if self.method_name.get().is_none() {
            self.name_method_slow(type_name);
        }
    }

    #[cold]
    fn name_method_slow(&self, type_name: fn() -> &'static str) {
        if let Some(method) = self.info.method {
            self.method_name
                .get_or_init(|| Box::leak(format!("{}::{method}", type_name()).into_boxed_str()));
        }
    }

    pub(crate) fn mode(&self) -> Mode {
        if self.info.thread_local {
            Mode::ThreadLocal
        } else if self.info.capacity.is_none() && self.info.ttl.is_none() {
            Mode::Replicated
        } else {
            Mode::Locked
        }
    }

    /// This thread's counters, registered with the function.
    #[must_use]
    pub fn local_counts(&'static self) -> LocalCounts {
        LocalCounts::new(&self.counters)
    }

    pub(crate) fn shared<K, V>(&'static self) -> &'static Mutex<Store<K, V>>
    where
        K: std::hash::Hash + Eq + Send + 'static,
        V: Send + 'static,
    {
        self.shared
            .get_or_init(|| {
                Box::new(Mutex::new(Store::<K, V>::new(
                    self.info.capacity,
                    self.info.ttl,
                )))
            })
            .as_any()
            .downcast_ref()
            .expect("memo: a function's key and value types never change")
    }

    /// A snapshot of the counters.
    #[must_use]
    pub fn stats(&self) -> Stats {
        let generation = self.generation.load(Ordering::Acquire);
        let (totals, local_entries, profile) = self.counters.total(generation);
        let entries = match self.info.kind {
            Kind::Precompute => self.info.entries,
            Kind::Memoize if self.info.thread_local => local_entries,
            Kind::Memoize => self.shared.get().map_or(0, |s| s.len()),
            Kind::Counted => 0,
        };
        // Every miss of a cache is timed; one body run in 64 of the others.
        let executions = match self.info.kind {
            Kind::Memoize => totals.timed,
            Kind::Counted | Kind::Precompute => totals.misses,
        };
        let body_mean = (totals.timed > 0).then(|| {
            Duration::from_nanos(totals.body_nanos / totals.timed)
                .saturating_sub(crate::calibrate::clock_overhead())
        });
        let body_time = body_mean.map_or(Duration::ZERO, |mean| {
            mean.saturating_mul(u32::try_from(executions).unwrap_or(u32::MAX))
        });
        let lookup_cost =
            (self.info.kind == Kind::Memoize).then(|| crate::calibrate::lookup_cost(self.mode()));

        Stats {
            name: self.name(),
            kind: self.info.kind,
            calls: totals.hits + totals.misses,
            hits: totals.hits,
            misses: totals.misses,
            entries,
            evictions: totals.evictions,
            capacity: self.info.capacity,
            ttl: self.info.ttl,
            thread_local: self.info.thread_local,
            body_time,
            body_mean,
            lookup_cost,
            distinct: match self.info.touched {
                Some(touched) => Some(touched.count()),
                None => (totals.samples > 0).then(|| profile.distinct.estimate()),
            },
            samples: match self.info.touched {
                Some(_) => totals.hits / crate::counters::SAMPLE_EVERY,
                None => totals.samples,
            },
            observed: profile.ranges,
            param_types: self.info.params,
        }
    }

    /// Drops every entry (every thread's, for `thread_local`) and zeroes the counters.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Some(shared) = self.shared.get() {
            shared.clear();
        }
        if let Some(touched) = self.info.touched {
            touched.reset();
        }
        self.counters.reset();
    }
}
