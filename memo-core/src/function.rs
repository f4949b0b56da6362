//! The static state every instrumented function owns: what it is, its
//! counters, and (for a shared cache) its store.

use std::any::{Any, TypeId};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::counters::{Counters, LocalCounts};
use crate::stats::{Kind, Stats};
use crate::store::bounded::Bounded;
use crate::store::log::Log;
use crate::store::map::Map;
use crate::store::Mode;
use crate::sync::lock;
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

/// A shared store with its key and value types erased, so that `Function`
/// needs no type parameters and can live in a plain `static`.
trait SharedStore: Send + Sync {
    fn len(&self) -> usize;
    /// Drops every entry; `generation` is the function's new generation.
    fn clear(&self, generation: u64);
    fn as_any(&self) -> &dyn Any;
}

impl<K, V> SharedStore for Mutex<Map<K, V>>
where
    K: Eq + Send + 'static,
    V: Send + 'static,
{
    fn len(&self) -> usize {
        lock(self).len()
    }
    fn clear(&self, _: u64) {
        let old = lock(self).take();
        drop(old);
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<K, V> SharedStore for Bounded<K, V>
where
    K: Eq + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    fn len(&self) -> usize {
        Bounded::len(self)
    }
    fn clear(&self, generation: u64) {
        self.reset(generation);
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<K, V> SharedStore for Log<K, V>
where
    K: Eq + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    fn len(&self) -> usize {
        Log::len(self)
    }
    fn clear(&self, generation: u64) {
        self.reset(generation);
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The instantiations of a method of a generic `impl` (one item, one
/// `static`, for every `Self` type), each with a `Function` of its own.
type Instances = Mutex<Vec<(TypeId, &'static str, &'static Function)>>;

/// The state of one instrumented function, in a `static` the macro emits.
pub struct Function {
    info: Info,
    method_name: OnceLock<&'static str>,
    pub(crate) counters: Counters,
    /// Bumped by `clear()`; thread-local caches and replicas drop their entries
    /// when they see it change.
    pub(crate) generation: AtomicU64,
    shared: OnceLock<Box<dyn SharedStore>>,
    instances: OnceLock<Instances>,
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
            instances: OnceLock::new(),
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
    #[cold]
    fn set_method_name(&self, type_name: &str) {
        if let Some(method) = self.info.method {
            self.method_name
                .get_or_init(|| Box::leak(format!("{type_name}::{method}").into_boxed_str()));
        }
    }

    pub(crate) fn mode(&self) -> Mode {
        if self.info.thread_local {
            Mode::ThreadLocal
        } else if self.info.capacity.is_some() {
            Mode::Bounded
        } else if self.info.ttl.is_none() {
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

    fn shared_as<T: SharedStore + 'static>(&'static self, make: impl FnOnce() -> T) -> &'static T {
        let any = self.shared.get_or_init(|| Box::new(make())).as_any();
        match any.downcast_ref() {
            Some(shared) => shared,
            // Each `Function` belongs to one key and value type: methods of
            // generic impls get one per instantiation (`instance`).
            None => panic!(
                "memo: `{}` was called with two key or value types",
                self.name()
            ),
        }
    }

    /// The log an unbounded shared cache publishes to.
    pub(crate) fn log<K, V>(&'static self) -> &'static Log<K, V>
    where
        K: Eq + Send + Sync + 'static,
        V: Send + Sync + 'static,
    {
        self.shared_as(|| Log::new(self.generation.load(Ordering::Acquire)))
    }

    /// The entries an unbounded shared cache with a `ttl` keeps behind a lock.
    pub(crate) fn locked<K, V>(&'static self) -> &'static Mutex<Map<K, V>>
    where
        K: Eq + Send + 'static,
        V: Send + 'static,
    {
        self.shared_as(|| Mutex::new(Map::default()))
    }

    /// The shared half of a cache with `capacity`.
    pub(crate) fn bounded<K, V>(&'static self) -> &'static Bounded<K, V>
    where
        K: Eq + Send + Sync + 'static,
        V: Send + Sync + 'static,
    {
        let capacity = self.info.capacity.unwrap_or(1);
        self.shared_as(|| {
            Bounded::new(
                capacity,
                self.info.lru,
                self.generation.load(Ordering::Acquire),
            )
        })
    }

    /// The function for one instantiation `T` of a method whose `Self` type
    /// is `type_name` (`""` for a plain function: itself). The first
    /// instantiation called is this `static` itself; others get a `Function`
    /// of their own, reported beside it.
    pub(crate) fn instance<T: 'static>(
        &'static self,
        type_name: &'static str,
    ) -> &'static Function {
        if self.info.method.is_none() {
            return self;
        }
        let types = TypeId::of::<T>();
        let mut instances = lock(self.instances.get_or_init(Instances::default));
        if let Some(&(_, _, function)) = instances
            .iter()
            .find(|(t, n, _)| *t == types && *n == type_name)
        {
            return function;
        }
        let function: &'static Function = if instances.is_empty() {
            self
        } else {
            Box::leak(Box::new(Function::new(self.info)))
        };
        function.set_method_name(type_name);
        instances.push((types, type_name, function));
        function
    }

    /// This function's other instantiations (see `instance`).
    pub(crate) fn others(&'static self) -> Vec<&'static Function> {
        self.instances
            .get()
            .map(|i| {
                lock(i)
                    .iter()
                    .map(|&(_, _, f)| f)
                    .filter(|f| !std::ptr::eq(*f, self))
                    .collect()
            })
            .unwrap_or_default()
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
        // Self and total time, from the timed runs (see `frames`).
        let times = crate::frames::times(&self.counters, totals.misses, &profile.frames);
        // Every miss of a cache feeds the distinct-input sketch; one call in
        // `SAMPLE_EVERY` of the others.
        let samples = match (self.info.touched, self.info.kind) {
            (Some(_), _) => totals.hits / crate::counters::SAMPLE_EVERY,
            (None, Kind::Memoize) => totals.misses,
            (None, _) => totals.samples,
        };
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
            body_time: times.total_time.unwrap_or_default(),
            body_mean: times.mean(totals.misses),
            self_time: times.self_time,
            total_time: times.total_time,
            frame_mean: times.frame_mean,
            timed_runs: times.timed,
            outer_runs: times.outer_runs,
            lookup_cost,
            distinct: match self.info.touched {
                Some(touched) => Some(touched.count()),
                None => (samples > 0).then(|| profile.distinct.estimate()),
            },
            samples,
            observed: profile.ranges,
            param_types: self.info.params,
        }
    }

    /// Drops every entry (every thread's, for `thread_local`) and zeroes the counters.
    pub fn clear(&self) {
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        if let Some(shared) = self.shared.get() {
            shared.clear(generation);
        }
        if let Some(touched) = self.info.touched {
            touched.reset();
        }
        self.counters.reset();
    }
}
