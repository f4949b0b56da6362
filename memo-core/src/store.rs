//! The map behind a cache: unbounded, or bounded with exact LRU order; either
//! with an optional time to live.

use std::hash::{BuildHasher, Hash};
use std::time::{Duration, Instant};

use hashbrown::hash_table::{Entry as TableEntry, HashTable};
use hashlink::linked_hash_map::RawEntryMut;
use hashlink::LinkedHashMap;

use crate::lookup::Lookup;

/// The hasher: fast, and seeded per process, so keys from untrusted input
/// cannot be chosen to collide.
pub(crate) type Hasher = foldhash::fast::RandomState;

struct Entry<V> {
    value: V,
    expires: Option<Instant>,
}

impl<V> Entry<V> {
    fn new(value: V, ttl: Option<Duration>) -> Self {
        Entry {
            value,
            expires: ttl.map(|ttl| Instant::now() + ttl),
        }
    }

    fn fresh(&self) -> bool {
        self.expires.is_none_or(|at| Instant::now() < at)
    }
}

enum Map<K, V> {
    Unbounded(HashTable<(K, Entry<V>)>),
    Lru(LinkedHashMap<K, Entry<V>, Hasher>, usize),
}

/// A cache's entries.
pub struct Store<K, V> {
    map: Map<K, V>,
    hasher: Hasher,
    ttl: Option<Duration>,
    /// With a `ttl`, the unbounded map's length at which expired entries are
    /// next swept out: twice the length after the last sweep, so sweeping costs
    /// O(1) per insert.
    sweep_at: usize,
}

impl<K: Hash + Eq, V> Store<K, V> {
    pub(crate) fn new(capacity: Option<usize>, ttl: Option<Duration>) -> Self {
        let hasher = Hasher::default();
        let map = match capacity {
            None => Map::Unbounded(HashTable::new()),
            Some(cap) => Map::Lru(LinkedHashMap::with_hasher(hasher.clone()), cap.max(1)),
        };
        Store {
            map,
            hasher,
            ttl,
            sweep_at: 64,
        }
    }

    /// The value for `query`, if present and fresh; a bounded map marks it most
    /// recently used. An expired entry is dropped.
    #[inline]
    pub(crate) fn get<Q: Lookup<Key = K>>(&mut self, query: &Q) -> Option<&V> {
        let hash = self.hasher.hash_one(query);
        match &mut self.map {
            // An expired entry stays until a miss replaces it or `insert` sweeps.
            Map::Unbounded(table) => table
                .find(hash, |(k, _)| query.matches(k))
                .filter(|(_, e)| e.fresh())
                .map(|(_, e)| &e.value),
            Map::Lru(map, _) => Self::get_lru(map, hash, query),
        }
    }

    /// A bounded map's lookup, which also reorders: out of line, so that the
    /// unbounded map's hit path stays small enough to inline.
    #[inline(never)]
    fn get_lru<'a, Q: Lookup<Key = K>>(
        map: &'a mut LinkedHashMap<K, Entry<V>, Hasher>,
        hash: u64,
        query: &Q,
    ) -> Option<&'a V> {
        match map.raw_entry_mut().from_hash(hash, |k| query.matches(k)) {
            RawEntryMut::Occupied(mut entry) if entry.get().fresh() => {
                entry.to_back();
                Some(&entry.into_mut().value)
            }
            RawEntryMut::Occupied(entry) => {
                entry.remove();
                None
            }
            RawEntryMut::Vacant(_) => None,
        }
    }

    /// Stores `value` under `key` (replacing what another thread may have stored
    /// meanwhile) and returns how many entries were evicted to make room.
    pub(crate) fn insert(&mut self, key: K, value: V) -> u64 {
        let hash = self.hasher.hash_one(&key);
        let entry = Entry::new(value, self.ttl);
        match &mut self.map {
            Map::Unbounded(table) => {
                if self.ttl.is_some() && table.len() >= self.sweep_at {
                    table.retain(|(_, e)| e.fresh());
                    self.sweep_at = (table.len() * 2).max(64);
                }
                let hasher = &self.hasher;
                match table.entry(hash, |(k, _)| *k == key, |(k, _)| hasher.hash_one(k)) {
                    TableEntry::Occupied(mut o) => o.get_mut().1 = entry,
                    TableEntry::Vacant(v) => {
                        v.insert((key, entry));
                    }
                }
                0
            }
            Map::Lru(map, capacity) => {
                map.replace(key, entry);
                let mut evicted = 0;
                while map.len() > *capacity {
                    map.pop_front();
                    evicted += 1;
                }
                evicted
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        match &self.map {
            Map::Unbounded(table) => table.len(),
            Map::Lru(map, _) => map.len(),
        }
    }

    pub(crate) fn clear(&mut self) {
        match &mut self.map {
            Map::Unbounded(table) => table.clear(),
            Map::Lru(map, _) => map.clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: &u32) -> (&u32,) {
        (n,)
    }

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut store = Store::<(u32,), u32>::new(Some(2), None);
        assert_eq!(store.insert((1,), 10), 0);
        assert_eq!(store.insert((2,), 20), 0);
        assert_eq!(store.get(&key(&1)), Some(&10)); // 1 is now the most recent
        assert_eq!(store.insert((3,), 30), 1); // evicts 2
        assert_eq!(store.get(&key(&2)), None);
        assert_eq!(store.get(&key(&1)), Some(&10));
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn expired_entries_are_dropped() {
        let mut store = Store::<(u32,), u32>::new(None, Some(Duration::from_millis(20)));
        store.insert((1,), 10);
        assert_eq!(store.get(&key(&1)), Some(&10));
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(store.get(&key(&1)), None);
        // Expired entries of keys never asked for again are swept by inserts.
        for k in 2..=64 {
            store.insert((k,), k);
        }
        std::thread::sleep(Duration::from_millis(30));
        store.insert((100,), 100);
        assert_eq!(store.len(), 1, "the sweep dropped every expired entry");

        let mut lru = Store::<(u32,), u32>::new(Some(4), Some(Duration::from_millis(20)));
        lru.insert((1,), 10);
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(lru.get(&key(&1)), None);
        assert_eq!(
            lru.len(),
            0,
            "a bounded map drops an expired entry when it finds it"
        );
    }
}
