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
use std::future::Future;
use std::hash::Hash;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::LocalKey;
use std::time::Duration;

use crate::counters::LocalCounts;
use crate::flight::Claim;
use crate::function::{Function, Instance};
use crate::lookup::{ByKey, Lookup};
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
    /// A `thread_local` cache whose hits restart an entry's `ttl`
    /// (`refresh`): off the hit path of every other cache.
    Sliding(Map<K, V>),
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
            (Mode::ThreadLocal, None) if info.refresh => Entries::Sliding(Map::default()),
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
        let pending = self
            .pending
            .try_borrow_mut()
            .map(|mut p| std::mem::take(&mut *p));
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
            None => self.lookup_slow::<COUNT, Q>(hash, query),
        }
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

    fn fill<R>(
        &self,
        miss: &Miss,
        key: K,
        observed: &[i128],
        body: impl FnOnce() -> R,
        rules: impl Rule<K, V, R>,
    ) -> R {
        if self.function.info().single_flight && miss.cache && self.mode != Mode::ThreadLocal {
            return self.fill_single_flight(miss, key, observed, body, rules);
        }
        self.run(miss, key, observed, body, rules, false)
    }

    /// `fill` with `single_flight`: claims the key's flight first, or waits
    /// for the caller running it and looks the key up again. The flight lands
    /// when this returns (or unwinds).
    #[inline(never)]
    fn fill_single_flight<R>(
        &self,
        miss: &Miss,
        key: K,
        observed: &[i128],
        body: impl FnOnce() -> R,
        rules: impl Rule<K, V, R>,
    ) -> R {
        loop {
            match self.function.flights().claim(miss.hash, true) {
                Claim::Lead(lead) => {
                    // A waiter looks the key up as soon as the flight lands:
                    // publish first.
                    let out = self.run(miss, key, observed, body, rules, true);
                    drop(lead);
                    return out;
                }
                Claim::Reenter => break,
                Claim::Wait(flight) => {
                    if !flight.wait() {
                        break; // waiting would close a cycle: run the body
                    }
                    if let Ok(value) = self.find(&ByKey(&key)) {
                        self.counts.waited();
                        return rules.wrap(value);
                    }
                }
            }
        }
        self.run(miss, key, observed, body, rules, false)
    }

    /// Asks the store, else runs the body and keeps what it computed;
    /// publishes at once with `now`.
    #[inline(always)]
    fn run<R>(
        &self,
        miss: &Miss,
        key: K,
        observed: &[i128],
        body: impl FnOnce() -> R,
        rules: impl Rule<K, V, R>,
        now: bool,
    ) -> R {
        if let Some(tier) = rules.store() {
            if let Some(value) = miss.cache.then(|| (tier.get)(&key)).flatten() {
                return self.store_hit(miss, key, value, rules, now);
            }
        }
        let (generation, timed) = self.begin(miss.hash, observed);
        let outer = Depth::enter(self);
        let frame = timed.then(|| self.counts.frame());
        let result = body();
        drop(frame);
        drop(outer);
        self.finish(miss, key, result, generation, rules, now, false)
    }

    /// Counts a miss that runs the body and records its arguments for the
    /// report. Returns the generation its value belongs to, and whether to
    /// time the body.
    #[inline(always)]
    fn begin(&self, hash: u64, observed: &[i128]) -> (u64, bool) {
        let timed = self.counts.miss();
        self.observe(hash, observed);
        (self.generation.get(), timed)
    }

    /// Stores what the body computed, if `rules` keep it and no `clear()` ran
    /// since `generation`; serves a stale value for a failed run with
    /// `stale_on_error`. Publishes what this thread computed when its
    /// outermost call returns, or at once (`now`).
    #[allow(clippy::too_many_arguments)]
    fn finish<R>(
        &self,
        miss: &Miss,
        key: K,
        result: R,
        generation: u64,
        rules: impl Rule<K, V, R>,
        now: bool,
        now_async: bool,
    ) -> R {
        let current = self.function.generation.load(Ordering::Acquire) == generation
            && self.generation.get() == generation
            && miss.cache;
        let info = self.function.info();
        let out = match rules.split(result) {
            Computed::Keep(value) => {
                if current {
                    let ttl = rules.ttl(&value, info.ttl);
                    if let Some(tier) = rules.store() {
                        if now_async {
                            (tier.put_async)(&key, &value, ttl);
                        } else {
                            (tier.put)(&key, &value, ttl);
                        }
                    }
                    self.store(miss.hash, key, &value, ttl);
                }
                rules.wrap(value)
            }
            Computed::Skip(result) => result,
            Computed::Failed(result) => {
                self.counts.failed();
                let stale = if info.stale_on_error {
                    self.stale(miss.hash, &key)
                } else {
                    None
                };
                match stale {
                    Some(stale) => {
                        self.counts.served_stale();
                        if current {
                            let ttl = rules.ttl(&stale, info.ttl);
                            self.store(miss.hash, key, &stale, ttl);
                        }
                        rules.wrap(stale)
                    }
                    None => result,
                }
            }
        };
        if now || self.depth.get() == 0 {
            self.publish();
        }
        out
    }

    /// A value the second-level store had: a hit (counted as one from the
    /// store), kept in the in-process cache too.
    fn store_hit<R>(
        &self,
        miss: &Miss,
        key: K,
        value: V,
        rules: impl Rule<K, V, R>,
        now: bool,
    ) -> R {
        self.counts.store_hit();
        let ttl = rules.ttl(&value, self.function.info().ttl);
        self.store(miss.hash, key, &value, ttl);
        if now || self.depth.get() == 0 {
            self.publish();
        }
        rules.wrap(value)
    }

    /// The value stored for `key`, expired or not (`stale_on_error`).
    fn stale(&self, hash: u64, key: &K) -> Option<V> {
        let query = ByKey(key);
        match self.mode {
            Mode::ThreadLocal => match &*self.entries.try_borrow().ok()? {
                Entries::Map(map) | Entries::Sliding(map) => {
                    map.entry(hash, &query).map(|e| e.value.clone())
                }
                Entries::Policy(policy) => policy
                    .find(hash, |k| k == key)
                    .map(|node| node.value.clone()),
                _ => None,
            },
            Mode::Bounded => self
                .bounded()
                .get(hash, &query)
                .map(|node| node.value.clone()),
            Mode::Locked => {
                if self.busy.replace(true) {
                    return None;
                }
                let found = lock(self.locked())
                    .entry(hash, &query)
                    .map(|e| e.value.clone());
                self.busy.set(false);
                found
            }
            Mode::Replicated => None,
        }
    }

    /// Which path served the call that moved this thread's counters from
    /// `before`: the body, a wait on another caller, or the cache.
    fn source_since(&self, before: (u64, u64, u64, u64)) -> Source {
        let (hits, waited, misses, stored) = self.counts.snapshot();
        if misses != before.2 {
            Source::Body
        } else if stored != before.3 {
            Source::Store
        } else if waited != before.1 {
            Source::Wait
        } else if hits != before.0 {
            Source::Cache
        } else {
            Source::Body
        }
    }

    /// The cached value for `query`, if any; counts nothing.
    fn peek<Q: Lookup<Key = K>>(&self, query: &Q) -> Option<V> {
        self.find(query).ok()
    }

    /// Stores `value` for `key` as if a call had computed it.
    fn prime<R>(&self, key: K, value: &V, rules: impl Rule<K, V, R>) {
        self.sync();
        let hash = hash(&self.hasher, &ByKey(&key));
        let ttl = rules.ttl(value, self.function.info().ttl);
        if let Some(tier) = rules.store() {
            (tier.put)(&key, value, ttl);
        }
        self.store(hash, key, value, ttl);
        if self.depth.get() == 0 {
            self.publish();
        }
    }

    /// Drops the entry for `query` from every thread's view; returns its value.
    fn remove<Q: Lookup<Key = K>>(&self, query: &Q) -> Option<V> {
        self.sync();
        let hash = hash(&self.hasher, query);
        // This thread's own copy first: the value it would have served.
        let mut removed = None;
        let mut dropped_node = None;
        if let Ok(mut entries) = self.entries.try_borrow_mut() {
            match &mut *entries {
                Entries::Map(map) | Entries::Sliding(map) => removed = map.remove(hash, query),
                Entries::Policy(policy) => dropped_node = policy.remove(hash, |k| query.matches(k)),
                Entries::Replica(_) | Entries::None => {}
            }
            if let (Some(map), Mode::ThreadLocal) = (entries.map(), self.mode) {
                self.counts
                    .slot()
                    .entries
                    .store(map.len(), Ordering::Relaxed);
            }
            if let Entries::Policy(policy) = &*entries {
                self.counts
                    .slot()
                    .entries
                    .store(policy.len(), Ordering::Relaxed);
            }
        }
        let mut value = removed
            .as_ref()
            .filter(|e| e.fresh())
            .map(|e| e.value.clone())
            .or_else(|| {
                dropped_node
                    .as_ref()
                    .filter(|n| n.is_fresh())
                    .map(|n| n.value.clone())
            });
        if let Ok(mut pending) = self.pending.try_borrow_mut() {
            pending.retain(|e| !(e.hash == hash && query.matches(&e.key)));
        }
        match self.mode {
            Mode::Replicated => {
                let held = self.log().remove(hash);
                if value.is_none() {
                    value = held
                        .iter()
                        .rev()
                        .flat_map(|(_, entries)| entries.iter().rev())
                        .find(|e| e.hash == hash && query.matches(&e.key) && e.fresh())
                        .map(|e| e.value.clone());
                }
            }
            Mode::Bounded => {
                let node = self.bounded().remove(hash, query);
                if value.is_none() {
                    value = node
                        .as_ref()
                        .filter(|n| n.is_fresh())
                        .map(|n| n.value.clone());
                }
            }
            Mode::Locked => {
                if !self.busy.replace(true) {
                    let entry = lock(self.locked()).remove(hash, query);
                    self.busy.set(false);
                    if value.is_none() {
                        value = entry
                            .as_ref()
                            .filter(|e| e.fresh())
                            .map(|e| e.value.clone());
                    }
                }
            }
            Mode::ThreadLocal => {}
        }
        // Every other thread drops its copy before its next lookup.
        self.function.removed(hash);
        value
    }

    /// Keeps a computed value. Every clone of user values happens before the
    /// entries are borrowed or a lock taken; what an insert displaces is
    /// dropped after.
    fn store(&self, hash: u64, key: K, value: &V, ttl: Option<Duration>) {
        match self.mode {
            Mode::Replicated => {
                let expires = Expiry::after(ttl);
                let pending = Entry {
                    hash,
                    key: key.clone(),
                    value: value.clone(),
                    expires: expires.clone(),
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
                    Entries::Map(map) | Entries::Sliding(map) => {
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
                        let node = Node::new(hash, key, value, Expiry::after(ttl));
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
                let node = Arc::new(Node::new(hash, key, value.clone(), Expiry::after(ttl)));
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
            // Drained into the batch's one allocation; the list keeps its
            // capacity for the next call.
            let pending = self
                .pending
                .try_borrow_mut()
                .map(|mut p| (!p.is_empty()).then(|| p.drain(..).collect::<Arc<[Entry<K, V>]>>()));
            if let Ok(Some(entries)) = pending {
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
        if let Ok(mut seen) = self.seen.try_borrow_mut() {
            if !seen.ranges.is_empty() || !seen.hashes.is_empty() {
                self.counts.absorb(&seen.ranges, &seen.hashes);
                seen.ranges.clear();
                seen.hashes.clear();
            }
        }
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
    fn new<K, V>(function: &'static Function, instance: Instance) -> Self
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
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
    fn with<K, V, R>(&self, instance: Instance, f: impl FnOnce(&Local<K, V>) -> R) -> R
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
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
    fn with_more<K, V, R>(&self, instance: Instance, f: impl FnOnce(&Local<K, V>) -> R) -> R
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
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

impl<K, V> LocalSlot<K, V> for LocalKey<Local<K, V>>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    #[inline(always)]
    fn try_local<R>(&'static self, _: Instance, f: impl FnOnce(&Local<K, V>) -> R) -> Option<R> {
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
        instance: Instance,
        f: impl FnOnce(&Local<K, V>) -> R,
    ) -> Option<R> {
        self.try_with(|erased| erased.with(instance, f)).ok()
    }
}

/// Looks `query` up: `Ok` with the cached value, or `Err` with what `fill`
/// needs.
#[inline(always)]
pub fn lookup<K, V, Q, S>(local: &'static S, instance: Instance, query: &Q) -> Result<V, Miss>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    Q: Lookup<Key = K>,
    S: LocalSlot<K, V> + ?Sized,
{
    match local.try_local(instance, |local| local.lookup(query)) {
        Some(found) => found,
        None => Err(Miss::gone()),
    }
}

/// Runs the body for a missed key and caches the result if `cacheable` says so.
/// `observed` holds the integer arguments, for the report's observed domain.
/// Out of line, so that the caller's hit path keeps few registers to save.
#[inline(never)]
pub fn fill<K, V, R, S>(
    local: &'static S,
    instance: Instance,
    miss: Miss,
    key: K,
    observed: &[i128],
    body: impl FnOnce() -> R,
    rules: impl Rule<K, V, R>,
) -> R
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: LocalSlot<K, V> + ?Sized,
{
    if !miss.live {
        return body();
    }
    match hand_over(local, instance, key, body, |local, key, body| {
        local.fill(&miss, key, observed, body, rules)
    }) {
        Ok(value) => value,
        Err(body) => body(),
    }
}

/// Runs `f` on this thread's part with `key` and `item`, or hands `item`
/// back if the part is gone (the thread is being torn down).
#[inline(always)]
fn hand_over<K, V, S, T, R>(
    local: &'static S,
    instance: Instance,
    key: K,
    item: T,
    f: impl FnOnce(&Local<K, V>, K, T) -> R,
) -> Result<R, T>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: LocalSlot<K, V> + ?Sized,
{
    let mut given = Some((key, item));
    let done = local.try_local(instance, |local| {
        given.take().map(|(key, item)| f(local, key, item))
    });
    match (done.flatten(), given) {
        (Some(out), _) => Ok(out),
        (None, Some((_, item))) => Err(item),
        (None, None) => unreachable_part(),
    }
}

/// `fill` for an `async fn`: the body is a future, awaited with no borrow of
/// a thread-local held (the task may move between threads while it waits).
/// With `single_flight` (the default for `async fn`), a caller that finds the
/// key being computed awaits that flight; if the leader's future is dropped
/// before it finishes, the flight lands empty and a waiter takes over.
pub async fn fill_async<K, V, R, S, const N: usize>(
    local: &'static S,
    instance: Instance,
    miss: Miss,
    key: K,
    observed: [i128; N],
    body: impl Future<Output = R>,
    rules: impl Rule<K, V, R>,
) -> R
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: LocalSlot<K, V> + ?Sized,
{
    let function = match local.try_local(instance, |local| local.function) {
        Some(function) if miss.live => function,
        _ => return body.await,
    };
    let mut lead = None;
    if function.info().single_flight && miss.cache && !function.info().thread_local {
        loop {
            match function.flights().claim(miss.hash, false) {
                Claim::Lead(claimed) => {
                    lead = Some(claimed);
                    break;
                }
                Claim::Reenter => break,
                Claim::Wait(flight) => {
                    flight.landing().await;
                    let found = local.try_local(instance, |local| {
                        let found = local.find(&ByKey(&key)).ok();
                        if found.is_some() {
                            local.counts.waited();
                        }
                        found
                    });
                    match found {
                        Some(Some(value)) => return rules.wrap(value),
                        Some(None) => {}
                        None => return body.await,
                    }
                }
            }
        }
    }
    if let Some(tier) = rules.store().filter(|_| miss.cache) {
        if let Some(value) = (tier.get_async)(&key).await {
            let out = hand_over(local, instance, key, value, |local, key, value| {
                local.sync();
                local.store_hit(&miss, key, value, rules, true)
            });
            drop(lead);
            return out.unwrap_or_else(|value| rules.wrap(value));
        }
    }
    let Some((generation, frame)) = local.try_local(instance, |local| {
        let (generation, timed) = local.begin(miss.hash, &observed);
        (generation, timed.then(|| local.counts.frame()))
    }) else {
        return body.await;
    };
    let result = body.await;
    drop(frame);
    let out = hand_over(local, instance, key, result, |local, key, result| {
        local.sync();
        local.finish(&miss, key, result, generation, rules, true, true)
    });
    drop(lead);
    out.unwrap_or_else(|result| result)
}

/// Pins an `async` block's output type to the function's return type, so
/// that `?` and `return` in the body infer as they do in the `async fn`.
#[inline(always)]
pub fn typed_future<V, F: Future<Output = V>>(future: F) -> F {
    future
}

/// `f::get`: the cached value for `query`, if any; runs nothing, counts nothing.
pub fn get<K, V, Q, S>(local: &'static S, instance: Instance, query: &Q) -> Option<V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    Q: Lookup<Key = K>,
    S: LocalSlot<K, V> + ?Sized,
{
    local
        .try_local(instance, |local| local.peek(query))
        .flatten()
}

/// `f::insert`: stores `value` for `key`, as if a call had computed it.
pub fn insert<K, V, R, S>(
    local: &'static S,
    instance: Instance,
    key: K,
    value: V,
    rules: impl Rule<K, V, R>,
) where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: LocalSlot<K, V> + ?Sized,
{
    local.try_local(instance, |local| local.prime(key, &value, rules));
}

/// `f::remove`: drops the entry for `query` in every thread's view; returns
/// the value it held.
pub fn remove<K, V, Q, S>(local: &'static S, instance: Instance, query: &Q) -> Option<V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    Q: Lookup<Key = K>,
    S: LocalSlot<K, V> + ?Sized,
{
    local
        .try_local(instance, |local| local.remove(query))
        .flatten()
}

/// `f::traced`: runs `call` (a call of the function with these arguments)
/// and tells where its value came from, from this thread's counters: no
/// cost on any other call.
pub fn traced<K, V, S, R>(
    local: &'static S,
    instance: Instance,
    call: impl FnOnce() -> R,
) -> (R, Source)
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: LocalSlot<K, V> + ?Sized,
{
    let before = local.try_local(instance, |local| local.counts.snapshot());
    let out = call();
    let source = before
        .and_then(|before| local.try_local(instance, |local| local.source_since(before)))
        .unwrap_or(Source::Body);
    (out, source)
}

/// Where a call's value came from (`f::traced`).
///
/// ```
/// #[memo::memoize]
/// fn square(n: u64) -> u64 { n * n }
///
/// assert_eq!(square::traced(4), (16, memo::Source::Body));
/// assert_eq!(square::traced(4), (16, memo::Source::Cache));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// The in-process cache: a hit.
    Cache,
    /// The second-level store (`store = ...`).
    Store,
    /// Another caller's run of the same key, waited for (`single_flight`).
    Wait,
    /// The body ran.
    Body,
}

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
