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
use std::time::Instant;

use crate::counters::LocalCounts;
use crate::function::Function;
use crate::lookup::Lookup;
use crate::store::bounded::{Bounded, Replica};
use crate::store::log::Log;
use crate::store::map::{Entry, Expiry, Map};
use crate::store::policy::{Node, Policy};
use crate::store::Mode;
use crate::sync::{hash, hasher, lock, Hasher};

/// Where a thread keeps its entries.
enum Entries<K, V> {
    /// Unbounded: a `thread_local` cache, or this thread's replica of a shared one.
    Map(Map<K, V>),
    /// A bounded `thread_local` cache.
    Policy(Policy<K, V>),
    /// This thread's view of a bounded shared cache.
    Replica(Replica<K, V>),
    /// None: an unbounded shared cache with a `ttl`, behind a lock.
    None,
}

impl<K: Eq, V> Entries<K, V> {
    fn new(function: &Function) -> Self {
        let info = function.info();
        match (function.mode(), info.capacity) {
            (Mode::ThreadLocal, Some(capacity)) => Entries::Policy(Policy::new(capacity, info.lru)),
            (Mode::Bounded, Some(capacity)) => Entries::Replica(Replica::new(capacity)),
            (Mode::Locked, _) => Entries::None,
            _ => Entries::Map(Map::default()),
        }
    }

    /// Empties the entries, handing back what they held so that the caller
    /// drops it outside the borrow. An unbounded map keeps its allocation
    /// through `restore`.
    fn take(&mut self, function: &Function) -> Self {
        match self {
            Entries::Map(map) => Entries::Map(map.take()),
            other => std::mem::replace(other, Entries::new(function)),
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
    /// How many calls of the function that missed are running on this thread;
    /// what they computed is published when the outermost returns.
    depth: Cell<u32>,
    /// Whether this thread holds the shared store's lock (`Locked`).
    busy: Cell<bool>,
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

impl<K, V> Local<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
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
            depth: Cell::new(0),
            busy: Cell::new(false),
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

    fn log(&self) -> &'static Log<K, V> {
        self.log.get_or_init(|| self.function.log::<K, V>())
    }

    fn bounded(&self) -> &'static Bounded<K, V> {
        self.bounded.get_or_init(|| self.function.bounded::<K, V>())
    }

    fn locked(&self) -> &'static Mutex<Map<K, V>> {
        self.locked.get_or_init(|| self.function.locked::<K, V>())
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
        let Ok(mut entries) = self.entries.try_borrow_mut() else {
            return; // a call from user code under the borrow: the outer call syncs
        };
        let old = entries.take(self.function);
        drop(entries);
        let pending = self
            .pending
            .try_borrow_mut()
            .map(|mut p| std::mem::take(&mut *p));
        self.generation.set(now);
        self.cursor.set(0);
        let slot = self.counts.slot();
        slot.entries.store(0, Ordering::Relaxed);
        slot.generation.store(now, Ordering::Release);
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
        self.sync();
        let hash = hash(&self.hasher, query);
        let Ok(entries) = self.entries.try_borrow() else {
            return Err(Miss::busy(hash));
        };
        let found = match &*entries {
            Entries::Map(map) => map.get(hash, query).cloned(),
            _ => {
                drop(entries);
                return self.lookup_other(hash, query);
            }
        };
        drop(entries);
        match found {
            Some(value) => {
                self.counts.hit();
                Ok(value)
            }
            None => self.lookup_slow(hash, query),
        }
    }

    /// A bounded cache's hit path, out of line so that the unbounded one
    /// stays small where it is inlined.
    #[inline(never)]
    fn lookup_other<Q: Lookup<Key = K>>(&self, hash: u64, query: &Q) -> Result<V, Miss> {
        if let Ok(entries) = self.entries.try_borrow() {
            if let Entries::Replica(replica) = &*entries {
                if let Some(value) = replica.get(self.bounded(), hash, query).cloned() {
                    drop(entries);
                    self.counts.hit();
                    return Ok(value);
                }
            }
        }
        self.lookup_slow(hash, query)
    }

    /// Past this thread's own unbounded entries: a bounded `thread_local`
    /// cache, what other threads published, the shared bounded cache, or the
    /// locked one.
    #[cold]
    #[inline(never)]
    fn lookup_slow<Q: Lookup<Key = K>>(&self, hash: u64, query: &Q) -> Result<V, Miss> {
        let found = match self.mode {
            Mode::ThreadLocal => {
                let Ok(mut entries) = self.entries.try_borrow_mut() else {
                    return Err(Miss::busy(hash));
                };
                match &mut *entries {
                    Entries::Policy(policy) => policy
                        .get(hash, |k| query.matches(k))
                        .filter(|node| node.is_fresh())
                        .map(|node| node.value.clone()),
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
                let node = shared.get(hash, query).filter(|node| node.is_fresh());
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
                let found = lock(self.locked()).get(hash, query).cloned();
                self.busy.set(false);
                found
            }
        };
        match found {
            Some(value) => {
                self.counts.hit();
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
        // Clone outside any borrow: user `Clone` may call this function.
        let copies: Vec<Entry<K, V>> = batches
            .iter()
            .filter(|(owner, _)| *owner != me)
            .flat_map(|(_, entries)| entries.iter())
            .filter(|e| e.fresh())
            .map(|e| Entry {
                hash: e.hash,
                key: e.key.clone(),
                value: e.value.clone(),
                expires: e.expires,
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
        self.cursor.set(cursor + batches.len());
        drop(displaced);
        drop(batches);
        true
    }

    fn fill(
        &self,
        miss: &Miss,
        key: K,
        observed: &[i128],
        body: impl FnOnce() -> V,
        cacheable: impl FnOnce(&V) -> bool,
    ) -> V {
        let generation = self.generation.get();
        let timed = self.counts.miss();
        self.observe(miss.hash, observed);
        let outer = Depth::enter(self);
        let frame = timed.then(|| self.counts.frame());
        let value = body();
        drop(frame);
        drop(outer);
        let current = self.function.generation.load(Ordering::Acquire) == generation;
        if miss.cache && current && cacheable(&value) {
            self.store(miss.hash, key, &value);
        }
        if self.depth.get() == 0 {
            self.publish();
        }
        value
    }

    /// Keeps a computed value. Every clone of user values happens before the
    /// entries are borrowed or a lock taken; what an insert displaces is
    /// dropped after.
    fn store(&self, hash: u64, key: K, value: &V) {
        let ttl = self.function.info().ttl;
        match self.mode {
            Mode::Replicated => {
                let expires = Expiry::after(ttl);
                let pending = Entry {
                    hash,
                    key: key.clone(),
                    value: value.clone(),
                    expires,
                };
                let entry = Entry {
                    hash,
                    key,
                    value: value.clone(),
                    expires,
                };
                let Ok(mut entries) = self.entries.try_borrow_mut() else {
                    return; // a call from user code under the borrow
                };
                let replaced = match &mut *entries {
                    Entries::Map(map) => map.insert(entry),
                    _ => None,
                };
                drop(entries);
                if let Ok(mut list) = self.pending.try_borrow_mut() {
                    list.push(pending);
                }
                drop(replaced);
            }
            Mode::ThreadLocal => {
                let value = value.clone();
                let Ok(mut entries) = self.entries.try_borrow_mut() else {
                    return; // a call from user code under the borrow
                };
                let (evicted, len, dropped) = match &mut *entries {
                    Entries::Map(map) => {
                        let expires = Expiry::after(ttl);
                        let mut dropped = if expires.expires() {
                            map.sweep_if_due()
                        } else {
                            Vec::new()
                        };
                        dropped.extend(map.insert(Entry {
                            hash,
                            key,
                            value,
                            expires,
                        }));
                        (0, map.len(), (dropped, Vec::new()))
                    }
                    Entries::Policy(policy) => {
                        let mut out = Vec::new();
                        let node = Node::new(hash, key, value, deadline(ttl));
                        let evicted = policy.insert(Arc::new(node), &mut out);
                        (evicted, policy.len(), (Vec::new(), out))
                    }
                    _ => (0, 0, (Vec::new(), Vec::new())),
                };
                drop(entries);
                self.counts.evicted(evicted);
                self.counts.slot().entries.store(len, Ordering::Relaxed);
                drop(dropped);
            }
            Mode::Bounded => {
                let node = Arc::new(Node::new(hash, key, value.clone(), deadline(ttl)));
                let evicted = self
                    .bounded()
                    .insert(Arc::clone(&node), self.generation.get());
                self.counts.evicted(evicted);
                let dropped = match self.entries.try_borrow_mut().as_deref_mut() {
                    Ok(Entries::Replica(replica)) => replica.insert(node),
                    _ => Vec::new(),
                };
                drop(dropped);
            }
            Mode::Locked => {
                let entry = Entry {
                    hash,
                    key,
                    value: value.clone(),
                    expires: Expiry::after(ttl),
                };
                if self.busy.replace(true) {
                    return;
                }
                let mut map = lock(self.locked());
                // The generation is checked under the lock `clear()` takes
                // too: a value computed before a `clear()` is never stored
                // after it.
                let dropped =
                    if self.function.generation.load(Ordering::Acquire) == self.generation.get() {
                        let mut dropped = map.sweep_if_due();
                        dropped.extend(map.insert(entry));
                        dropped
                    } else {
                        Vec::new()
                    };
                drop(map);
                self.busy.set(false);
                drop(dropped);
            }
        }
    }

    /// Widens the observed ranges and samples the key, for the report.
    #[inline]
    fn observe(&self, hash: u64, values: &[i128]) {
        let sample = self.counts.wants_sample(hash);
        if let Ok(mut seen) = self.seen.try_borrow_mut() {
            let seen = &mut *seen;
            if seen.ranges.len() == values.len() {
                for (range, &v) in seen.ranges.iter_mut().zip(values) {
                    range.0 = range.0.min(v);
                    range.1 = range.1.max(v);
                }
            } else {
                seen.ranges.clear();
                seen.ranges.extend(values.iter().map(|&v| (v, v)));
            }
            if sample {
                seen.hashes.push(hash);
            }
        }
    }

    /// Hands what this thread's outermost call computed to the other threads
    /// and to the report.
    fn publish(&self) {
        if self.mode == Mode::Replicated {
            let pending = self
                .pending
                .try_borrow_mut()
                .map(|mut p| std::mem::take(&mut *p));
            if let Ok(entries) = pending {
                if !entries.is_empty() {
                    let me = std::ptr::from_ref(self) as usize;
                    let cursor = self.cursor.get();
                    if self
                        .log()
                        .publish(me, entries, self.generation.get(), cursor)
                    {
                        self.cursor.set(cursor + 1);
                    }
                }
            }
        }
        if let Ok(mut seen) = self.seen.try_borrow_mut() {
            if !seen.ranges.is_empty() || !seen.hashes.is_empty() {
                self.counts.absorb(&seen.ranges, &seen.hashes);
                seen.ranges.clear();
                seen.hashes.clear();
            }
        }
    }
}

/// When a bounded entry stored now expires.
fn deadline(ttl: Option<std::time::Duration>) -> Option<Instant> {
    ttl.map(|ttl| Instant::now() + ttl)
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
/// name in a `static` (methods, whose types mention `Self`; `key = EXPR`).
/// A method of a generic `impl` is one item for every `Self` type, so each
/// instantiation gets a part of its own, and a `Function` of its own.
pub struct ErasedLocal {
    function: &'static Function,
    /// The first instantiation this thread called.
    first: OnceCell<Part>,
    /// The others.
    more: RefCell<Vec<Rc<Part>>>,
}

struct Part {
    types: TypeId,
    name: &'static str,
    local: Box<dyn Any>,
}

impl Part {
    fn new<K, V>(function: &'static Function, name: &'static str) -> Self
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        Part {
            types: TypeId::of::<(K, V)>(),
            name,
            local: Box::new(Local::<K, V>::new(function.instance::<(K, V)>(name))),
        }
    }

    fn is<K: 'static, V: 'static>(&self, name: &'static str) -> bool {
        self.types == TypeId::of::<(K, V)>() && (std::ptr::eq(self.name, name) || self.name == name)
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

    /// Runs `f` on this thread's part for key `K`, value `V` and `Self` type
    /// `name`.
    fn with<K, V, R>(&self, name: &'static str, f: impl FnOnce(&Local<K, V>) -> R) -> R
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        let first = self
            .first
            .get_or_init(|| Part::new::<K, V>(self.function, name));
        if first.is::<K, V>(name) {
            if let Some(local) = first.local.downcast_ref() {
                return f(local);
            }
        }
        self.with_more(name, f)
    }

    #[cold]
    fn with_more<K, V, R>(&self, name: &'static str, f: impl FnOnce(&Local<K, V>) -> R) -> R
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        let found = self
            .more
            .borrow()
            .iter()
            .find(|p| p.is::<K, V>(name))
            .cloned();
        let part = found.unwrap_or_else(|| {
            let part = Rc::new(Part::new::<K, V>(self.function, name));
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
    /// are being destroyed. `name` is the `Self` type of a method.
    fn try_local<R>(
        &'static self,
        name: &'static str,
        f: impl FnOnce(&Local<K, V>) -> R,
    ) -> Option<R>;
}

impl<K, V> LocalSlot<K, V> for LocalKey<Local<K, V>>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    #[inline(always)]
    fn try_local<R>(
        &'static self,
        _: &'static str,
        f: impl FnOnce(&Local<K, V>) -> R,
    ) -> Option<R> {
        self.try_with(f).ok()
    }
}

impl<K, V> LocalSlot<K, V> for LocalKey<ErasedLocal>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    #[inline]
    fn try_local<R>(
        &'static self,
        name: &'static str,
        f: impl FnOnce(&Local<K, V>) -> R,
    ) -> Option<R> {
        self.try_with(|erased| erased.with(name, f)).ok()
    }
}

/// Looks `query` up: `Ok` with the cached value, or `Err` with what `fill`
/// needs. `name` is `type_name::<Self>()` for a method, `""` otherwise.
#[inline(always)]
pub fn lookup<K, V, Q, S>(local: &'static S, name: &'static str, query: &Q) -> Result<V, Miss>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    Q: Lookup<Key = K>,
    S: LocalSlot<K, V> + ?Sized,
{
    match local.try_local(name, |local| local.lookup(query)) {
        Some(found) => found,
        None => Err(Miss::gone()),
    }
}

/// Runs the body for a missed key and caches the result if `cacheable` says so.
/// `observed` holds the integer arguments, for the report's observed domain.
/// Out of line, so that the caller's hit path keeps few registers to save.
#[inline(never)]
pub fn fill<K, V, S>(
    local: &'static S,
    name: &'static str,
    miss: Miss,
    key: K,
    observed: &[i128],
    body: impl FnOnce() -> V,
    cacheable: impl FnOnce(&V) -> bool,
) -> V
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: LocalSlot<K, V> + ?Sized,
{
    let mut body = Some(body);
    let mut key = Some(key);
    if miss.live {
        let done = local.try_local(name, |local| {
            let (Some(key), Some(body)) = (key.take(), body.take()) else {
                return None;
            };
            Some(local.fill(&miss, key, observed, body, cacheable))
        });
        if let Some(Some(value)) = done {
            return value;
        }
    }
    match body.take() {
        Some(body) => body(),
        None => unreachable_part(),
    }
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
