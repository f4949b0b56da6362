//! The call path of `#[memoize]`.
//!
//! The generated code is two steps, so that the lookup's borrow of the
//! arguments ends before the body takes them by value:
//!
//! ```text
//! let query = (&a, b);
//! let miss = match lookup(&LOCAL, "", &query) { Ok(v) => return v, Err(miss) => miss };
//! fill(&LOCAL, "", miss, query.into_key(), &[observed], move || body, cacheable)
//! ```
//!
//! `lookup` hashes the key once; `fill` reuses that hash for every probe and
//! insert. Every thread-local is reached with `try_with`: a call made while the
//! thread is being torn down (from another thread-local's destructor) runs the
//! body, uncached and uncounted.
//!
//! No user code (`Clone`, `Drop`, `Hash`, `Eq` of keys and values) runs while
//! a lock is held, except `Eq` of keys under the lock of a shared cache with
//! `capacity` or `ttl`. `Hash`/`Eq` of keys and `Clone` of a hit's value run
//! while this thread's entries are borrowed; a call they make to the same
//! function finds the entries busy and runs its body uncached, instead of
//! panicking or waiting for itself.

use std::any::{Any, TypeId};
use std::cell::{Cell, OnceCell, RefCell};
use std::hash::Hash;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::LocalKey;
use std::time::Duration;

mod companion;
mod fill;
mod rules;

pub use companion::{get, insert, remove, traced, Source};
pub use fill::{fill, fill_async, typed_future};
pub use rules::{always, identity, ttl_fn, Computed, NoStore, NoTtl, Rule, Rules, Tier};

use crate::counters::LocalCounts;
use crate::function::{Function, Instance};
use crate::store::bounded::{Bounded, Replica};
use crate::store::log::Log;
use crate::store::lookup::Lookup;
use crate::store::map::{Entry, Map};
use crate::store::policy::Policy;
use crate::store::Mode;
use crate::sync::{hash, hasher, lock, Hasher};

/// What a cache key must be: hashed and compared on every lookup, cloned
/// into the cache, and handed between threads by the shared stores.
pub trait Key: Hash + Eq + Clone + Send + Sync + 'static {}

impl<T: Hash + Eq + Clone + Send + Sync + 'static> Key for T {}

/// What a cached value must be: cloned out on every hit, and handed between
/// threads by the shared stores.
pub trait Value: Clone + Send + Sync + 'static {}

impl<T: Clone + Send + Sync + 'static> Value for T {}

/// Where a thread keeps its entries.
enum Entries<K, V> {
    /// Unbounded: a `thread_local` cache, or this thread's replica of a shared one.
    Map(Map<K, V>),
    /// A bounded `thread_local` cache.
    Policy(Policy<K, V>),
    /// This thread's view of a bounded shared cache.
    Replica(Replica<K, V>),
    /// A `thread_local` cache whose hits restart an entry's `ttl`
    /// (`refresh`): off the hit path of every other cache.
    Sliding(Map<K, V>),
    /// None: an unbounded shared cache with a `ttl`, behind a lock.
    None,
}

impl<K, V> Entries<K, V> {
    fn new(function: &Function) -> Self {
        let info = function.info();
        match (function.mode(), info.capacity) {
            (Mode::ThreadLocal, Some(capacity)) => Entries::Policy(Policy::new(capacity, info.lru)),
            (Mode::Bounded, Some(capacity)) => Entries::Replica(Replica::new(capacity)),
            (Mode::Locked, _) => Entries::None,
            (Mode::ThreadLocal, None) if info.refresh => Entries::Sliding(Map::default()),
            _ => Entries::Map(Map::default()),
        }
    }
}

impl<K: Eq, V> Entries<K, V> {
    /// Empties the entries, handing back what they held so that the caller
    /// drops it outside the borrow. An unbounded map keeps its allocation
    /// through `restore`.
    fn take(&mut self, function: &Function) -> Self {
        match self {
            Entries::Map(map) => Entries::Map(map.take()),
            other => std::mem::replace(other, Entries::new(function)),
        }
    }

    /// The unbounded map, if the entries are one.
    fn map(&self) -> Option<&Map<K, V>> {
        match self {
            Entries::Map(map) | Entries::Sliding(map) => Some(map),
            _ => None,
        }
    }

    fn map_mut(&mut self) -> Option<&mut Map<K, V>> {
        match self {
            Entries::Map(map) | Entries::Sliding(map) => Some(map),
            _ => None,
        }
    }
}

/// A thread's part of a `#[memoize]` function: its counters, and its cache
/// (`thread_local`) or its replica of the shared cache.
pub struct Local<K: 'static, V: 'static> {
    function: &'static Function,
    mode: Mode,
    hasher: Hasher,
    counts: LocalCounts,
    entries: RefCell<Entries<K, V>>,
    /// The function's generation the entries belong to.
    generation: Cell<u64>,
    /// The function's epoch (`clear()` and `remove`) the entries are up to.
    epoch: Cell<u64>,
    /// Replicated: the next import takes this thread's own batches too (its
    /// entries were dropped for falling behind on removals).
    reimport_own: Cell<bool>,
    /// How many calls of the function that missed are running on this thread;
    /// what they computed is published when the outermost returns.
    depth: Cell<u32>,
    /// Whether this thread holds the shared store's lock (`Locked`).
    busy: Cell<bool>,
    /// `refresh`: the `ttl` a hit restarts.
    refresh: Option<Duration>,
    /// Replicated: entries computed here and not yet published.
    pending: RefCell<Vec<Entry<K, V>>>,
    /// Replicated: how many of the log's batches this thread has imported.
    cursor: Cell<usize>,
    /// Observed integer ranges and key hashes of misses, not yet handed to the
    /// report (also published when the outermost call returns).
    seen: RefCell<Seen>,
    log: OnceCell<&'static Log<K, V>>,
    bounded: OnceCell<&'static Bounded<K, V>>,
    locked: OnceCell<&'static Mutex<Map<K, V>>>,
}

/// A call that missed: the key's hash, for `fill` to reuse.
pub struct Miss {
    hash: u64,
    /// Whether the result may be cached (not when the entries were busy).
    cache: bool,
    /// Whether this thread's part was there (not once the thread's
    /// thread-locals are being destroyed): then the miss is counted.
    live: bool,
}

impl Miss {
    fn new(hash: u64) -> Self {
        Miss {
            hash,
            cache: true,
            live: true,
        }
    }

    fn busy(hash: u64) -> Self {
        Miss {
            cache: false,
            ..Miss::new(hash)
        }
    }

    /// This thread's part is gone (the thread is being torn down).
    fn gone() -> Self {
        Miss {
            live: false,
            ..Miss::busy(0)
        }
    }
}

impl<K: 'static, V: 'static> Local<K, V> {
    /// This thread's part of `function`.
    #[must_use]
    pub fn new(function: &'static Function) -> Self {
        let local = Local {
            function,
            mode: function.mode(),
            hasher: hasher(),
            counts: function.local_counts(),
            entries: RefCell::new(Entries::new(function)),
            generation: Cell::new(function.generation.load(Ordering::Acquire)),
            epoch: Cell::new(function.epoch.load(Ordering::Acquire)),
            reimport_own: Cell::new(false),
            depth: Cell::new(0),
            busy: Cell::new(false),
            refresh: function.info().ttl.filter(|_| function.info().refresh),
            pending: RefCell::new(Vec::new()),
            cursor: Cell::new(0),
            seen: RefCell::new(Seen::default()),
            log: OnceCell::new(),
            bounded: OnceCell::new(),
            locked: OnceCell::new(),
        };
        local
            .counts
            .slot()
            .generation
            .store(local.generation.get(), Ordering::Release);
        local
    }
}

impl<K: Key, V: Value> Local<K, V> {
    fn log(&self) -> &'static Log<K, V> {
        self.log.get_or_init(|| self.function.log::<K, V>())
    }

    fn bounded(&self) -> &'static Bounded<K, V> {
        self.bounded.get_or_init(|| self.function.bounded::<K, V>())
    }

    fn locked(&self) -> &'static Mutex<Map<K, V>> {
        self.locked.get_or_init(|| self.function.locked::<K, V>())
    }

    /// Brings this thread's entries up to date with `clear()` and `remove`:
    /// one load of a word that changes only then.
    #[inline]
    fn sync(&self) {
        let now = self.function.epoch.load(Ordering::Acquire);
        if now != self.epoch.get() {
            self.sync_slow(now);
        }
    }

    #[cold]
    fn sync_slow(&self, epoch: u64) {
        let generation = self.function.generation.load(Ordering::Acquire);
        if generation != self.generation.get() {
            self.drop_entries(Some(generation));
        } else {
            match self.function.removed_since(self.epoch.get()) {
                Some(hashes) => self.drop_hashes(&hashes),
                None => self.drop_entries(None),
            }
        }
        self.epoch.set(epoch);
    }

    /// Drops entries whose key hashes to one of `hashes`, removed by a thread.
    fn drop_hashes(&self, hashes: &[u64]) {
        let Ok(mut entries) = self.entries.try_borrow_mut() else {
            return; // a call from user code under the borrow: the outer call syncs
        };
        let dropped = match entries.map_mut() {
            Some(map) => map.remove_hashes(hashes),
            None => Vec::new(),
        };
        let mut nodes = Vec::new();
        if let Entries::Policy(policy) = &mut *entries {
            for &hash in hashes {
                nodes.extend(policy.remove(hash, |_| true));
            }
            self.counts
                .slot()
                .entries
                .store(policy.len(), Ordering::Relaxed);
        }
        if let Some(map) = entries.map() {
            if self.mode == Mode::ThreadLocal {
                self.counts
                    .slot()
                    .entries
                    .store(map.len(), Ordering::Relaxed);
            }
        }
        drop(entries);
        let pending = self.pending.try_borrow_mut().map(|mut pending| {
            let (gone, kept) = std::mem::take(&mut *pending)
                .into_iter()
                .partition::<Vec<_>, _>(|e| hashes.contains(&e.hash));
            *pending = kept;
            gone
        });
        drop(dropped);
        drop(nodes);
        drop(pending);
    }

    /// Drops every entry: for `clear()` (the new `generation`), or for a
    /// thread too far behind on removals to drop them one by one (`None`: a
    /// replica then imports everything again, its own batches included).
    fn drop_entries(&self, generation: Option<u64>) {
        let Ok(mut entries) = self.entries.try_borrow_mut() else {
            return; // a call from user code under the borrow: the outer call syncs
        };
        let old = entries.take(self.function);
        drop(entries);
        // Taken only when it holds something (its entries drop outside the
        // borrow); an empty list keeps its capacity for the next fill.
        let pending = self
            .pending
            .try_borrow_mut()
            .map(|mut p| (!p.is_empty()).then(|| std::mem::take(&mut *p)));
        self.cursor.set(0);
        let slot = self.counts.slot();
        slot.entries.store(0, Ordering::Relaxed);
        match generation {
            Some(now) => {
                self.generation.set(now);
                slot.generation.store(now, Ordering::Release);
            }
            None => self.reimport_own.set(true),
        }
        drop(pending);
        if let Entries::Map(mut map) = old {
            map.clear();
            if let Ok(mut entries) = self.entries.try_borrow_mut() {
                if let Entries::Map(now) = &mut *entries {
                    if now.is_empty() {
                        *now = map;
                    }
                }
            }
        }
    }

    /// The hit path: this thread's own entries (its cache, or its replica of
    /// the shared one).
    #[inline]
    fn lookup<Q: Lookup<Key = K>>(&self, query: &Q) -> Result<V, Miss> {
        self.probe::<true, Q>(query)
    }

    /// `lookup` without counting.
    #[inline]
    fn find<Q: Lookup<Key = K>>(&self, query: &Q) -> Result<V, Miss> {
        self.probe::<false, Q>(query)
    }

    /// The `ttl` a hit restarts (`refresh`): only a counted lookup's, so that
    /// `f::get` changes nothing.
    #[inline(always)]
    fn refresh_for<const COUNT: bool>(&self) -> Option<Duration> {
        if COUNT {
            self.refresh
        } else {
            None
        }
    }

    /// Looks `query` up, counting a hit if `COUNT`.
    #[inline(always)]
    fn probe<const COUNT: bool, Q: Lookup<Key = K>>(&self, query: &Q) -> Result<V, Miss> {
        self.sync();
        let hash = hash(&self.hasher, query);
        let Ok(entries) = self.entries.try_borrow() else {
            return Err(Miss::busy(hash));
        };
        let found = match &*entries {
            Entries::Map(map) => map.get(hash, query).cloned(),
            _ => {
                drop(entries);
                return self.lookup_other::<COUNT, Q>(hash, query);
            }
        };
        drop(entries);
        match found {
            Some(value) => {
                if COUNT {
                    self.counts.hit();
                }
                Ok(value)
            }
            None => self.missed_map::<COUNT, Q>(hash, query),
        }
    }

    /// Past a miss in this thread's unbounded map: a `thread_local` cache's
    /// map holds all it has, and a replica all there is unless other threads
    /// published since; then it is a miss, decided without `lookup_slow`'s
    /// borrow. Out of line, so that the hit path around it stays as small.
    #[cold]
    #[inline(never)]
    fn missed_map<const COUNT: bool, Q: Lookup<Key = K>>(
        &self,
        hash: u64,
        query: &Q,
    ) -> Result<V, Miss> {
        if self.mode == Mode::ThreadLocal || self.imported_all() {
            return Err(Miss::new(hash));
        }
        self.lookup_slow::<COUNT, Q>(hash, query)
    }

    /// Whether this thread's replica holds every batch other threads
    /// published (false before its first import).
    #[inline(always)]
    fn imported_all(&self) -> bool {
        self.log
            .get()
            .is_some_and(|log| log.published() == self.cursor.get())
    }

    /// A bounded cache's hit path, out of line so that the unbounded one
    /// stays small where it is inlined.
    #[inline(never)]
    fn lookup_other<const COUNT: bool, Q: Lookup<Key = K>>(
        &self,
        hash: u64,
        query: &Q,
    ) -> Result<V, Miss> {
        if let Ok(entries) = self.entries.try_borrow() {
            if let Entries::Replica(replica) = &*entries {
                if let Some(value) = replica
                    .get(self.bounded(), hash, query, self.refresh_for::<COUNT>())
                    .cloned()
                {
                    drop(entries);
                    if COUNT {
                        self.counts.hit();
                    }
                    return Ok(value);
                }
            }
        }
        self.lookup_slow::<COUNT, Q>(hash, query)
    }

    /// Past this thread's own unbounded entries: a bounded `thread_local`
    /// cache, what other threads published, the shared bounded cache, or the
    /// locked one.
    #[cold]
    #[inline(never)]
    fn lookup_slow<const COUNT: bool, Q: Lookup<Key = K>>(
        &self,
        hash: u64,
        query: &Q,
    ) -> Result<V, Miss> {
        let found = match self.mode {
            Mode::ThreadLocal => {
                let Ok(mut entries) = self.entries.try_borrow_mut() else {
                    return Err(Miss::busy(hash));
                };
                match &mut *entries {
                    Entries::Policy(policy) => policy
                        .get(hash, |k| query.matches(k))
                        .filter(|node| node.hit(self.refresh_for::<COUNT>()))
                        .map(|node| node.value.clone()),
                    Entries::Sliding(map) => map
                        .entry(hash, query)
                        .and_then(|e| e.hit(self.refresh_for::<COUNT>()))
                        .cloned(),
                    _ => None,
                }
            }
            Mode::Replicated => {
                if self.import() {
                    match &*self.entries.borrow() {
                        Entries::Map(map) => map.get(hash, query).cloned(),
                        _ => None,
                    }
                } else {
                    None
                }
            }
            Mode::Bounded => {
                let Ok(mut entries) = self.entries.try_borrow_mut() else {
                    return Err(Miss::busy(hash));
                };
                let Entries::Replica(replica) = &mut *entries else {
                    return Err(Miss::new(hash));
                };
                let shared = self.bounded();
                replica.flush(shared);
                let node = shared
                    .get(hash, query)
                    .filter(|node| node.hit(self.refresh_for::<COUNT>()));
                match node {
                    Some(node) => {
                        let dropped = replica.insert(Arc::clone(&node));
                        drop(entries);
                        drop(dropped);
                        Some(node.value.clone())
                    }
                    None => None,
                }
            }
            Mode::Locked => {
                // `Eq` of keys and `Clone` of the value run under this lock: a
                // call they make to this function would wait for itself, so a
                // call from under it runs uncached instead.
                if self.busy.replace(true) {
                    return Err(Miss::busy(hash));
                }
                let found = lock(self.locked())
                    .entry(hash, query)
                    .and_then(|e| e.hit(self.refresh_for::<COUNT>()))
                    .cloned();
                self.busy.set(false);
                found
            }
        };
        match found {
            Some(value) => {
                if COUNT {
                    self.counts.hit();
                }
                Ok(value)
            }
            None => Err(Miss::new(hash)),
        }
    }

    /// Brings in the batches other threads published since this thread last
    /// looked. Returns whether there were any.
    fn import(&self) -> bool {
        let log = self.log();
        let cursor = self.cursor.get();
        if log.published() == cursor {
            return false;
        }
        let Some(batches) = log.since(cursor, self.generation.get()) else {
            return false; // a `clear()` this thread has not seen yet
        };
        let me = std::ptr::from_ref(self) as usize;
        let own = self.reimport_own.replace(false);
        // Clone outside any borrow: user `Clone` may call this function.
        let copies: Vec<Entry<K, V>> = batches
            .entries()
            .filter(|&(owner, e)| (own || owner != me) && e.fresh())
            .map(|(_, e)| e)
            .map(|e| Entry {
                hash: e.hash,
                key: e.key.clone(),
                value: e.value.clone(),
                expires: e.expires.clone(),
            })
            .collect();
        let Ok(mut entries) = self.entries.try_borrow_mut() else {
            return false;
        };
        let mut displaced = Vec::new();
        if let Entries::Map(map) = &mut *entries {
            for copy in copies {
                displaced.extend(map.insert(copy));
            }
        }
        drop(entries);
        self.cursor.set(cursor + batches.batches.len());
        drop(displaced);
        drop(batches);
        true
    }
}

/// What this thread's misses saw since the report last took it: per integer
/// parameter the smallest and largest value, and key hashes for the
/// distinct-input sketch.
#[derive(Default)]
struct Seen {
    ranges: Vec<(i128, i128)>,
    hashes: Vec<u64>,
}

/// Counts a miss's body as running on this thread, until dropped (also when
/// the body panics, so a panic leaves the function usable).
struct Depth<'a, K: 'static, V: 'static> {
    local: &'a Local<K, V>,
}

impl<'a, K: 'static, V: 'static> Depth<'a, K, V> {
    fn enter(local: &'a Local<K, V>) -> Self {
        local.depth.set(local.depth.get().saturating_add(1));
        Depth { local }
    }
}

impl<K: 'static, V: 'static> Drop for Depth<'_, K, V> {
    fn drop(&mut self) {
        self.local
            .depth
            .set(self.local.depth.get().saturating_sub(1));
    }
}

/// A thread's part of a function whose key or value type the macro cannot
/// name in a `static` (methods, whose types mention `Self`; `key = EXPR`;
/// generic fns). A method of a generic `impl` or a generic fn is one item for
/// every instantiation, so each instantiation gets a part of its own, and a
/// `Function` of its own.
pub struct ErasedLocal {
    function: &'static Function,
    /// The first instantiation this thread called.
    first: OnceCell<Part>,
    /// The others.
    more: RefCell<Vec<Rc<Part>>>,
}

struct Part {
    types: TypeId,
    instance: Instance,
    local: Box<dyn Any>,
}

impl Part {
    fn new<K: Key, V: Value>(function: &'static Function, instance: Instance) -> Self {
        Part {
            types: TypeId::of::<(K, V)>(),
            instance,
            local: Box::new(Local::<K, V>::new(function.instance::<(K, V)>(&instance))),
        }
    }

    #[inline]
    fn is<K: 'static, V: 'static>(&self, instance: &Instance) -> bool {
        self.types == TypeId::of::<(K, V)>()
            && self.instance.types == instance.types
            && (std::ptr::eq(self.instance.self_type, instance.self_type)
                || self.instance.self_type == instance.self_type)
    }
}

impl ErasedLocal {
    /// This thread's part of `function`, typed at the first call.
    #[must_use]
    pub fn new(function: &'static Function) -> Self {
        ErasedLocal {
            function,
            first: OnceCell::new(),
            more: RefCell::new(Vec::new()),
        }
    }

    /// Runs `f` on this thread's part for key `K`, value `V` and `instance`.
    fn with<K: Key, V: Value, R>(
        &self,
        instance: Instance,
        f: impl FnOnce(&Local<K, V>) -> R,
    ) -> R {
        let first = self
            .first
            .get_or_init(|| Part::new::<K, V>(self.function, instance));
        if first.is::<K, V>(&instance) {
            if let Some(local) = first.local.downcast_ref() {
                return f(local);
            }
        }
        self.with_more(instance, f)
    }

    #[cold]
    fn with_more<K: Key, V: Value, R>(
        &self,
        instance: Instance,
        f: impl FnOnce(&Local<K, V>) -> R,
    ) -> R {
        let found = self
            .more
            .borrow()
            .iter()
            .find(|p| p.is::<K, V>(&instance))
            .cloned();
        let part = found.unwrap_or_else(|| {
            let part = Rc::new(Part::new::<K, V>(self.function, instance));
            self.more.borrow_mut().push(Rc::clone(&part));
            part
        });
        match part.local.downcast_ref() {
            Some(local) => f(local),
            // `Part::is` compared the `TypeId` the box was made with.
            None => unreachable_part(),
        }
    }
}

#[cold]
fn unreachable_part() -> ! {
    panic!("memo: a thread's part of a function does not match its type id")
}

/// A `thread_local!` holding a thread's part of a function, typed or erased.
pub trait LocalSlot<K, V> {
    /// Runs `f` on this thread's part; `None` once the thread's thread-locals
    /// are being destroyed. `instance` tells a method's `Self` type or a
    /// generic fn's type arguments.
    fn try_local<R>(
        &'static self,
        instance: Instance,
        f: impl FnOnce(&Local<K, V>) -> R,
    ) -> Option<R>;
}

impl<K: Key, V: Value> LocalSlot<K, V> for LocalKey<Local<K, V>> {
    #[inline(always)]
    fn try_local<R>(&'static self, _: Instance, f: impl FnOnce(&Local<K, V>) -> R) -> Option<R> {
        self.try_with(f).ok()
    }
}

impl<K: Key, V: Value> LocalSlot<K, V> for LocalKey<ErasedLocal> {
    #[inline]
    fn try_local<R>(
        &'static self,
        instance: Instance,
        f: impl FnOnce(&Local<K, V>) -> R,
    ) -> Option<R> {
        self.try_with(|erased| erased.with(instance, f)).ok()
    }
}

/// Looks `query` up: `Ok` with the cached value, or `Err` with what `fill`
/// needs.
#[inline(always)]
pub fn lookup<K: Key, V: Value, Q, S>(
    local: &'static S,
    instance: Instance,
    query: &Q,
) -> Result<V, Miss>
where
    Q: Lookup<Key = K>,
    S: LocalSlot<K, V> + ?Sized,
{
    match local.try_local(instance, |local| local.lookup(query)) {
        Some(found) => found,
        None => Err(Miss::gone()),
    }
}
