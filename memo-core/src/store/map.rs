//! One thread's unbounded entries: a hash table that keeps each key's hash
//! beside it, so a key is hashed once per call and never again (not on insert,
//! not when the table grows).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use hashbrown::hash_table::{Entry as TableEntry, HashTable};

use crate::store::lookup::Lookup;

/// A computed value with its key, its key's hash and, with a `ttl`, its expiry.
pub(crate) struct Entry<K, V> {
    pub(crate) hash: u64,
    pub(crate) key: K,
    pub(crate) value: V,
    pub(crate) expires: Expiry,
}

impl<K, V> Entry<K, V> {
    pub(crate) fn fresh(&self) -> bool {
        self.expires.is_fresh()
    }

    /// The entry, if it is fresh; restarting its time to live with `refresh`.
    #[inline]
    pub(crate) fn hit(&self, refresh: Option<Duration>) -> Option<&V> {
        self.expires.hit(refresh).then_some(&self.value)
    }
}

/// When an entry expires, in 8 bytes: nanoseconds since the process's first
/// expiring entry, plus one; 0 for never (no `ttl`), which needs no clock.
/// Atomic so that a hit can restart it (`refresh`) through a shared
/// reference; a relaxed load costs what a plain one does.
#[derive(Debug, Default)]
pub(crate) struct Expiry(AtomicU64);

fn since_epoch() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let elapsed = EPOCH.get_or_init(Instant::now).elapsed();
    u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
}

fn deadline(ttl: Option<Duration>) -> u64 {
    match ttl {
        None => 0,
        Some(ttl) => {
            let ttl = u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX);
            since_epoch().saturating_add(ttl).saturating_add(1).max(1)
        }
    }
}

impl Clone for Expiry {
    fn clone(&self) -> Self {
        Expiry(AtomicU64::new(self.0.load(Relaxed)))
    }
}

impl Expiry {
    /// The expiry of an entry stored now.
    pub(crate) fn after(ttl: Option<Duration>) -> Self {
        Expiry(AtomicU64::new(deadline(ttl)))
    }

    #[inline]
    pub(crate) fn is_fresh(&self) -> bool {
        let at = self.0.load(Relaxed);
        at == 0 || since_epoch() < at - 1
    }

    pub(crate) fn expires(&self) -> bool {
        self.0.load(Relaxed) != 0
    }

    /// Whether the entry is fresh; with `refresh`, restarts its time to live
    /// from the same clock read (so a sliding hit reads the clock once).
    #[inline]
    pub(crate) fn hit(&self, refresh: Option<Duration>) -> bool {
        let Some(ttl) = refresh else {
            return self.is_fresh();
        };
        self.slide(ttl)
    }

    /// `refresh`'s hit: a clock read and a write to the entry. Out of line,
    /// so that the hit path of every other function stays as small as it was.
    #[cold]
    #[inline(never)]
    fn slide(&self, ttl: Duration) -> bool {
        let at = self.0.load(Relaxed);
        if at == 0 {
            return true;
        }
        let now = since_epoch();
        if now >= at - 1 {
            return false;
        }
        let ttl = u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX);
        self.0
            .store(now.saturating_add(ttl).saturating_add(1).max(1), Relaxed);
        true
    }
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

    /// The entry for `query`, fresh or not.
    pub(crate) fn entry<Q: Lookup<Key = K>>(&self, hash: u64, query: &Q) -> Option<&Entry<K, V>> {
        self.table
            .find(hash, |e| e.hash == hash && query.matches(&e.key))
    }

    /// Stores `entry`, replacing an entry with an equal key, which it returns
    /// for the caller to drop once nothing is borrowed.
    #[inline]
    pub(crate) fn insert(&mut self, entry: Entry<K, V>) -> Option<Entry<K, V>> {
        let hash = entry.hash;
        match self
            .table
            .entry(hash, |e| e.hash == hash && e.key == entry.key, |e| e.hash)
        {
            TableEntry::Occupied(mut o) => Some(std::mem::replace(o.get_mut(), entry)),
            TableEntry::Vacant(v) => {
                v.insert(entry);
                None
            }
        }
    }

    /// Takes out the entry for `query`, for the caller to drop once nothing
    /// is borrowed.
    pub(crate) fn remove<Q: Lookup<Key = K>>(
        &mut self,
        hash: u64,
        query: &Q,
    ) -> Option<Entry<K, V>> {
        match self
            .table
            .find_entry(hash, |e| e.hash == hash && query.matches(&e.key))
        {
            Ok(found) => Some(found.remove().0),
            Err(_) => None,
        }
    }

    /// Takes out every entry whose key hashes to one of `hashes` (keys removed
    /// by another thread, known by hash), for the caller to drop.
    pub(crate) fn remove_hashes(&mut self, hashes: &[u64]) -> Vec<Entry<K, V>> {
        if hashes.is_empty() {
            return Vec::new();
        }
        self.table
            .extract_if(|e| hashes.contains(&e.hash))
            .collect()
    }

    /// With a `ttl`: drops expired entries once the map has doubled since the
    /// last sweep, so sweeping costs O(1) per insert. Returns them, for the
    /// caller to drop once nothing is borrowed.
    pub(crate) fn sweep_if_due(&mut self) -> Vec<Entry<K, V>> {
        if self.table.len() >= self.sweep_at {
            self.sweep()
        } else {
            Vec::new()
        }
    }

    fn sweep(&mut self) -> Vec<Entry<K, V>> {
        let expired = self.table.extract_if(|e| !e.fresh()).collect();
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

    /// Empties the map, keeping its allocation.
    pub(crate) fn clear(&mut self) {
        self.table.clear();
        self.sweep_at = 64;
    }

    /// Whether the map holds nothing and has room: `self` after `clear`.
    pub(crate) fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn entry(key: u32, value: u32, expires: Expiry) -> Entry<(u32,), u32> {
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
        assert!(map.insert(entry(1, 10, Expiry::after(None))).is_none());
        assert_eq!(
            map.insert(entry(1, 11, Expiry::after(None)))
                .map(|e| e.value),
            Some(10),
            "replaced"
        );
        assert_eq!(get(&map, 1), Some(11));
        assert_eq!(get(&map, 2), None);
        assert_eq!(map.len(), 1);
    }

    #[test]
    fn expired_entries_are_not_served_and_are_swept() {
        let mut map = Map::default();
        let past = Expiry::after(Some(Duration::from_nanos(1)));
        std::thread::sleep(Duration::from_millis(1));
        let future = Expiry::after(Some(Duration::from_secs(60)));
        map.insert(entry(1, 10, past.clone()));
        assert_eq!(get(&map, 1), None);
        for k in 2..=64 {
            map.insert(entry(k, k, past.clone()));
        }
        map.insert(entry(100, 100, future));
        let swept = map.sweep_if_due();
        assert_eq!(swept.len(), 64, "the sweep dropped every expired entry");
        assert_eq!(map.len(), 1);
    }
}
