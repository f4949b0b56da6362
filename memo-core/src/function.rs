//! The static state every instrumented function owns: what it is, its
//! counters, and (for a shared cache) its store.

use std::any::{Any, TypeId};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::counters::touched::TouchedCells;
use crate::counters::{Counters, LocalCounts};
use crate::store::bounded::Bounded;
use crate::store::log::Log;
use crate::store::map::Map;
use crate::store::Mode;
use crate::sync::flight::Flights;
use crate::sync::lock;

/// Which attribute instrumented a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// `#[memoize]`: a cache in front of the body.
    Memoize,
    /// `#[precompute]`: a table of every result in the domain.
    Precompute,
    /// `#[counted]`: counters only.
    Counted,
}

impl Kind {
    /// The attribute's name, as the report prints it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Memoize => "memoize",
            Kind::Precompute => "precompute",
            Kind::Counted => "counted",
        }
    }
}

/// Registers one function; the macros emit one per function, so every
/// instrumented function is known at link time, before its first call.
pub struct Registration(pub &'static Function);

inventory::collect!(Registration);

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
    /// `single_flight` (on by default for `async fn`).
    pub single_flight: bool,
    /// `refresh`: a hit restarts the entry's `ttl`.
    pub refresh: bool,
    /// `stale_on_error`: an `Err` recomputing an expired entry serves the stale `Ok`.
    pub stale_on_error: bool,
    /// `ttl_of = EXPR`: each entry has an expiry of its own.
    pub ttl_of: bool,
    /// `store = ...`: the second-level store, for its counters and `clear()`.
    pub store: Option<&'static dyn StoreStats>,
    /// A generic function: one `Function` per instantiation, named
    /// `path::f::<T>`; this one only sums them.
    pub generic: bool,
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
            single_flight: false,
            refresh: false,
            stale_on_error: false,
            ttl_of: false,
            store: None,
            generic: false,
            entries: 0,
            params: &[],
            touched: None,
        }
    }
}

/// A second-level store as `Stats` and `clear()` see it.
pub trait StoreStats: Sync {
    /// Operations that failed (counted as misses of the store).
    fn errors(&self) -> u64;
    /// Reads that found nothing fresh (failures included).
    fn misses(&self) -> u64;
    /// The mean time of one store operation, once there was one.
    fn latency(&self) -> Option<Duration>;
    /// Drops this function's entries from the store and zeroes its counters.
    fn clear(&self);
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

/// Which instantiation of a function a call is: for a method of a generic
/// `impl` its `Self` type, for a generic function its type arguments (one
/// item, one `static`, for every instantiation). Plain functions have one.
#[derive(Clone, Copy)]
pub struct Instance {
    /// `TypeId::of::<(Self, (T, U))>()`, `TypeId::of::<Self>()`, ... ; `()` for a plain fn.
    pub types: TypeId,
    /// `type_name::<Self>()` for a method, `""` otherwise.
    pub self_type: &'static str,
    /// `type_name::<(T, U)>()` for a generic fn, `""` otherwise.
    pub args: &'static str,
}

impl Instance {
    /// The one instantiation of a plain function.
    #[inline(always)]
    #[must_use]
    pub fn plain() -> Instance {
        Instance {
            types: TypeId::of::<()>(),
            self_type: "",
            args: "",
        }
    }

    /// Whether `self` and `other` are one instantiation.
    pub(crate) fn same(&self, other: &Instance) -> bool {
        self.types == other.types && self.self_type == other.self_type && self.args == other.args
    }

    /// The name `Stats` gives this instantiation of `function`.
    fn name(&self, info: &Info) -> Option<String> {
        let generic = if self.args.is_empty() {
            String::new()
        } else {
            let args = self.args;
            let args = args
                .strip_prefix('(')
                .and_then(|a| a.strip_suffix(')'))
                .map_or(args, |a| a.trim_end_matches(','));
            format!("::<{args}>")
        };
        match info.method {
            Some(method) => Some(format!("{}::{method}{generic}", self.self_type)),
            None if info.generic => Some(format!("{}{generic}", info.name)),
            None => None,
        }
    }
}

/// The instantiations of a method of a generic `impl` or of a generic fn,
/// each with a `Function` of its own: by the `TypeId` of its key and value
/// and its `Instance::types`.
type Instances = Mutex<Vec<(TypeId, Instance, &'static Function)>>;

/// Keys removed one at a time (`f::remove`), for the threads whose entries
/// still hold them: each thread drops the hashes removed since it last
/// looked. Only the latest are kept; a thread that fell further behind drops
/// all its entries.
#[derive(Default)]
struct Removals {
    /// `(epoch, hash)`, oldest first.
    hashes: std::collections::VecDeque<(u64, u64)>,
    /// The epoch of the newest removal no longer kept.
    forgotten: u64,
}

/// How many removals are kept for threads that have not caught up.
const REMOVALS_KEPT: usize = 4096;

/// The state of one instrumented function, in a `static` the macro emits.
pub struct Function {
    info: Info,
    method_name: OnceLock<&'static str>,
    pub(crate) counters: Counters,
    /// Bumped by `clear()`; thread-local caches and replicas drop their entries
    /// when they see it change.
    pub(crate) generation: AtomicU64,
    /// Bumped by `clear()` and by `remove`: the one word every hit reads to
    /// learn that its thread's entries are out of date.
    pub(crate) epoch: AtomicU64,
    removals: Mutex<Removals>,
    shared: OnceLock<Box<dyn SharedStore>>,
    instances: OnceLock<Instances>,
    flights: OnceLock<Flights>,
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
            epoch: AtomicU64::new(0),
            removals: Mutex::new(Removals {
                hashes: std::collections::VecDeque::new(),
                forgotten: 0,
            }),
            shared: OnceLock::new(),
            instances: OnceLock::new(),
            flights: OnceLock::new(),
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

    /// Names an instantiation (a method's `Self` type, a generic fn's type
    /// arguments), once.
    #[cold]
    fn set_instance_name(&self, instance: &Instance) {
        if let Some(name) = instance.name(&self.info) {
            self.method_name
                .get_or_init(|| Box::leak(name.into_boxed_str()));
        }
    }

    /// The single-flight registry of this function's keys.
    pub(crate) fn flights(&'static self) -> &'static Flights {
        self.flights.get_or_init(Flights::default)
    }

    /// Records that the key with this hash was removed: every thread drops
    /// its copy before its next lookup.
    pub(crate) fn removed(&self, hash: u64) {
        let mut removals = lock(&self.removals);
        let epoch = self.epoch.fetch_add(1, Ordering::AcqRel) + 1;
        if removals.hashes.len() == REMOVALS_KEPT {
            if let Some((forgotten, _)) = removals.hashes.pop_front() {
                removals.forgotten = forgotten;
            }
        }
        removals.hashes.push_back((epoch, hash));
    }

    /// The hashes removed after `epoch`, or `None` if some of them are no
    /// longer kept (the caller then drops every entry).
    pub(crate) fn removed_since(&self, epoch: u64) -> Option<Vec<u64>> {
        let removals = lock(&self.removals);
        if removals.forgotten > epoch {
            return None;
        }
        Some(
            removals
                .hashes
                .iter()
                .filter(|&&(e, _)| e > epoch)
                .map(|&(_, hash)| hash)
                .collect(),
        )
    }

    pub(crate) fn mode(&self) -> Mode {
        if self.info.thread_local {
            Mode::ThreadLocal
        } else if self.info.capacity.is_some() {
            Mode::Bounded
        } else if self.info.ttl.is_none() && !self.info.ttl_of {
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
                "memo: `{}` was called with two key or value types (now `{}`); with `key = EXPR`, \
                 `get`, `insert` and `remove` take a key of the expression's exact type (`7u32`, not `7`)",
                self.name(),
                std::any::type_name::<T>()
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

    /// The function for one instantiation of a method or generic fn, whose
    /// key and value are `T` (a plain function: itself). A method's first
    /// instantiation called is this `static` itself; others get a `Function`
    /// of their own, reported beside it. Every instantiation of a generic fn
    /// gets its own, and this one sums them.
    pub(crate) fn instance<T: 'static>(&'static self, instance: &Instance) -> &'static Function {
        if self.info.method.is_none() && !self.info.generic {
            return self;
        }
        let types = TypeId::of::<T>();
        let mut instances = lock(self.instances.get_or_init(Instances::default));
        if let Some(&(_, _, function)) = instances
            .iter()
            .find(|(t, i, _)| *t == types && i.same(instance))
        {
            return function;
        }
        let function: &'static Function = if instances.is_empty() && !self.info.generic {
            self
        } else {
            Box::leak(Box::new(Function::new(self.info)))
        };
        function.set_instance_name(instance);
        instances.push((types, *instance, function));
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

    /// Whether the report shows this function's own row: not for the static
    /// of a generic fn, whose instantiations have rows of their own.
    pub(crate) fn reported(&self) -> bool {
        !self.info.generic
    }

    /// How many entries the shared cache holds (0 without one).
    pub(crate) fn shared_entries(&self) -> usize {
        self.shared.get().map_or(0, |s| s.len())
    }

    /// Every registered function with a row in the report: each
    /// instantiation of a generic one instead of its base.
    pub(crate) fn registered() -> impl Iterator<Item = &'static Function> {
        inventory::iter::<Registration>
            .into_iter()
            .flat_map(|registration| {
                std::iter::once(registration.0)
                    .filter(|f| f.reported())
                    .chain(registration.0.others())
            })
    }

    /// Drops every entry (every thread's, for `thread_local`) and zeroes the
    /// counters; of a generic fn, of every instantiation.
    pub fn clear(&'static self) {
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        if let Some(shared) = self.shared.get() {
            shared.clear(generation);
        }
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Some(touched) = self.info.touched {
            touched.reset();
        }
        if let Some(store) = self.info.store {
            store.clear();
        }
        self.counters.reset();
        if self.info.generic {
            for other in self.others() {
                other.clear();
            }
        }
    }
}
