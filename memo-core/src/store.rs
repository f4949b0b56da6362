//! The entries of a cache that one lock guards: a shared cache with `capacity`
//! or `ttl`, and a bounded `thread_local` one. Unbounded, or bounded with exact
//! LRU order; keys come with the hash the call computed once.

use hashlink::linked_hash_map::RawEntryMut;
use hashlink::LinkedHashMap;

use crate::lookup::Lookup;
use crate::map::{Entry, Expiry, Map};
use crate::sync::Hasher;

pub(crate) struct Timed<V> {
    value: V,
    expires: Expiry,
}

impl<V> Timed<V> {
    fn fresh(&self) -> bool {
        self.expires.is_fresh()
    }
}

/// A cache's entries.
pub(crate) enum Store<K, V> {
    Unbounded(Map<K, V>),
    Lru(LinkedHashMap<K, Timed<V>, Hasher>, usize),
}

/// What an insert displaced, for the caller to drop after unlocking.
pub(crate) type Dropped<K, V> = Vec<(K, V)>;

impl<K: std::hash::Hash + Eq, V> Store<K, V> {
    pub(crate) fn new(capacity: Option<usize>, hasher: Hasher) -> Self {
        match capacity {
            None => Store::Unbounded(Map::default()),
            Some(cap) => Store::Lru(LinkedHashMap::with_hasher(hasher), cap.max(1)),
        }
    }

    /// The value for `query` (hashed to `hash` by the same hasher), if present
    /// and fresh; a bounded store marks it most recently used.
    pub(crate) fn get<Q: Lookup<Key = K>>(&mut self, hash: u64, query: &Q) -> Option<&V> {
        match self {
            Store::Unbounded(map) => map.get(hash, query),
            Store::Lru(map, _) => match map.raw_entry_mut().from_hash(hash, |k| query.matches(k)) {
                RawEntryMut::Occupied(mut entry) if entry.get().fresh() => {
                    entry.to_back();
                    Some(&entry.into_mut().value)
                }
                RawEntryMut::Occupied(_) | RawEntryMut::Vacant(_) => None,
            },
        }
    }

    /// Stores `value` under `key` (replacing what another thread may have
    /// stored meanwhile). Returns how many entries were evicted to make room,
    /// and everything displaced.
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        key: K,
        value: V,
        expires: Expiry,
    ) -> (u64, Dropped<K, V>) {
        match self {
            Store::Unbounded(map) => {
                let mut dropped: Dropped<K, V> = map
                    .sweep_if_due()
                    .into_iter()
                    .map(|e| (e.key, e.value))
                    .collect();
                let replaced = map.insert(Entry {
                    hash,
                    key,
                    value,
                    expires,
                });
                dropped.extend(replaced.map(|e| (e.key, e.value)));
                (0, dropped)
            }
            Store::Lru(map, capacity) => {
                let timed = Timed { value, expires };
                let mut dropped = Vec::new();
                match map.raw_entry_mut().from_hash(hash, |k| *k == key) {
                    RawEntryMut::Occupied(mut entry) => {
                        let old = std::mem::replace(entry.get_mut(), timed);
                        entry.to_back();
                        dropped.push((key, old.value));
                    }
                    RawEntryMut::Vacant(entry) => {
                        entry.insert_hashed_nocheck(hash, key, timed);
                    }
                }
                let mut evicted = 0;
                while map.len() > *capacity {
                    let Some((k, old)) = map.pop_front() else {
                        break;
                    };
                    // An expired entry making room is not an eviction.
                    if old.fresh() {
                        evicted += 1;
                    }
                    dropped.push((k, old.value));
                }
                (evicted, dropped)
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Store::Unbounded(map) => map.len(),
            Store::Lru(map, _) => map.len(),
        }
    }

    /// Empties the store, handing back what it held.
    pub(crate) fn take(&mut self) -> Self {
        match self {
            Store::Unbounded(map) => Store::Unbounded(map.take()),
            Store::Lru(map, capacity) => {
                let empty = LinkedHashMap::with_hasher(map.hasher().clone());
                Store::Lru(std::mem::replace(map, empty), *capacity)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn hash(n: u32) -> u64 {
        crate::sync::hasher().hash_one((&n,))
    }

    fn get(store: &mut Store<(u32,), u32>, n: u32) -> Option<u32> {
        store.get(hash(n), &(&n,)).copied()
    }

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut store = Store::<(u32,), u32>::new(Some(2), crate::sync::hasher());
        assert_eq!(store.insert(hash(1), (1,), 10, Expiry::NEVER).0, 0);
        assert_eq!(store.insert(hash(2), (2,), 20, Expiry::NEVER).0, 0);
        assert_eq!(get(&mut store, 1), Some(10)); // 1 is now the most recent
        assert_eq!(store.insert(hash(3), (3,), 30, Expiry::NEVER).0, 1); // evicts 2
        assert_eq!(get(&mut store, 2), None);
        assert_eq!(get(&mut store, 1), Some(10));
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn expired_entries_are_not_served() {
        let mut lru = Store::<(u32,), u32>::new(Some(4), crate::sync::hasher());
        lru.insert(
            hash(1),
            (1,),
            10,
            Expiry::after(Some(std::time::Duration::from_nanos(1))),
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
        assert_eq!(get(&mut lru, 1), None);
    }
}
