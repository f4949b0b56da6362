//! What the companion's `get`, `insert`, `remove` and `traced` do: the
//! cache reached without a call, or a call watched.

use std::hash::Hash;
use std::sync::atomic::Ordering;

use super::rules::Rule;
use super::{Entries, Key, Local, LocalSlot, Value};
use crate::function::Instance;
use crate::store::lookup::{ByKey, Lookup};
use crate::store::Mode;
use crate::sync::{hash, lock};

impl<K: Key, V: Value> Local<K, V> {
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
}

/// `f::get`: the cached value for `query`, if any; runs nothing, counts nothing.
pub fn get<K: Key, V: Value, Q, S>(local: &'static S, instance: Instance, query: &Q) -> Option<V>
where
    Q: Lookup<Key = K>,
    S: LocalSlot<K, V> + ?Sized,
{
    local
        .try_local(instance, |local| local.peek(query))
        .flatten()
}

/// `f::insert`: stores `value` for `key`, as if a call had computed it.
pub fn insert<K: Key, V: Value, R, S>(
    local: &'static S,
    instance: Instance,
    key: K,
    value: V,
    rules: impl Rule<K, V, R>,
) where
    S: LocalSlot<K, V> + ?Sized,
{
    local.try_local(instance, |local| local.prime(key, &value, rules));
}

/// `f::remove`: drops the entry for `query` in every thread's view; returns
/// the value it held.
pub fn remove<K: Key, V: Value, Q, S>(local: &'static S, instance: Instance, query: &Q) -> Option<V>
where
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
pub fn traced<K: Key, V: Value, S, R>(
    local: &'static S,
    instance: Instance,
    call: impl FnOnce() -> R,
) -> (R, Source)
where
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
