//! One thread's unbounded entries: a hash table that keeps each key's hash
//! beside it, so a key is hashed once per call and never again (not on insert,
//! not when the table grows).

use std::time::{Duration, Instant};

use hashbrown::hash_table::{Entry as TableEntry, HashTable};

use crate::lookup::Lookup;

/// A computed value with its key, its key's hash and, with a `ttl`, its expiry.
pub(crate) struct Entry<K, V> {
    pub(crate) hash: u64,
    pub(crate) key: K,
    pub(crate) value: V,
    pub(crate) expires: Option<Instant>,
}

impl<K, V> Entry<K, V> {
    pub(crate) fn fresh(&self) -> bool {
        self.expires.is_none_or(|at| Instant::now() < at)
    }
}

/// The time an entry stored now expires at.
pub(crate) fn expiry(ttl: Option<Duration>) -> Option<Instant> {
    ttl.map(|ttl| Instant::now() + ttl)
}

/// Unbounded entries, optionally expiring.
pub(crate) struct Map<K, V> {
    table: HashTable<Entry<K, V>>,
    /// With a `ttl`: the length at which expired entries are next swept out,
    /// twice the length after the last sweep, so sweeping is O(1) per insert.
    sweep_at: usize,
}

impl<K, V> Default for Map<K, V> {
    fn default() -> Self {
        Map {
            table: HashTable::new(),
            sweep_at: 64,
        }
    }
}

impl<K: Eq, V> Map<K, V> {
    /// The fresh entry for `query`, whose hash is `hash`. An expired entry stays
    /// until an insert replaces it or sweeps it out.
    #[inline]
    pub(crate) fn get<Q: Lookup<Key = K>>(&self, hash: u64, query: &Q) -> Option<&V> {
        self.table
            .find(hash, |e| e.hash == hash && query.matches(&e.key))
            .filter(|e| e.fresh())
            .map(|e| &e.value)
    }

    /// Stores `entry`, replacing an entry with an equal key. Returns what it
    /// displaced (a replaced entry, swept expired ones), for the caller to drop
    /// once nothing is borrowed.
    pub(crate) fn insert(&mut self, entry: Entry<K, V>) -> Vec<Entry<K, V>> {
        let mut dropped = Vec::new();
        if entry.expires.is_some() && self.table.len() >= self.sweep_at {
            dropped = self.sweep();
        }
        let hash = entry.hash;
        match self
            .table
            .entry(hash, |e| e.hash == hash && e.key == entry.key, |e| e.hash)
        {
            TableEntry::Occupied(mut o) => dropped.push(std::mem::replace(o.get_mut(), entry)),
            TableEntry::Vacant(v) => {
                v.insert(entry);
            }
        }
        dropped
    }

    fn sweep(&mut self) -> Vec<Entry<K, V>> {
        let now = Instant::now();
        let expired = self
            .table
            .extract_if(|e| e.expires.is_some_and(|at| at <= now))
            .collect();
        self.sweep_at = (self.table.len() * 2).max(64);
        expired
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// Empties the map, handing back what it held so the caller drops it
    /// outside any borrow.
    pub(crate) fn take(&mut self) -> Self {
        std::mem::take(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn entry(key: u32, value: u32, expires: Option<Instant>) -> Entry<(u32,), u32> {
        let hash = foldhash::fast::FixedState::with_seed(1).hash_one((&key,));
        Entry {
            hash,
            key: (key,),
            value,
            expires,
        }
    }

    fn get(map: &Map<(u32,), u32>, key: u32) -> Option<u32> {
        let hash = foldhash::fast::FixedState::with_seed(1).hash_one((&key,));
        map.get(hash, &(&key,)).copied()
    }

    #[test]
    fn inserts_replace() {
        let mut map = Map::default();
        assert!(map.insert(entry(1, 10, None)).is_empty());
        assert_eq!(map.insert(entry(1, 11, None)).len(), 1, "replaced");
        assert_eq!(get(&map, 1), Some(11));
        assert_eq!(get(&map, 2), None);
        assert_eq!(map.len(), 1);
    }

    #[test]
    fn expired_entries_are_not_served_and_are_swept() {
        let mut map = Map::default();
        let past = Instant::now();
        let future = expiry(Some(Duration::from_secs(60)));
        map.insert(entry(1, 10, Some(past)));
        assert_eq!(get(&map, 1), None);
        for k in 2..=64 {
            map.insert(entry(k, k, Some(past)));
        }
        let swept = map.insert(entry(100, 100, future));
        assert_eq!(swept.len(), 64, "the sweep dropped every expired entry");
        assert_eq!(map.len(), 1);
    }
}
