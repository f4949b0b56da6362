//! The shared half of an unbounded shared cache: an append-only log of the
//! batches of entries that threads computed.
//!
//! Each thread answers hits from its own replica, so a hit reads and writes only
//! memory of its own. A thread publishes what it computed when its outermost
//! call of the function returns (one lock for a whole recursive fill), and a
//! thread that misses first imports the batches other threads published since
//! it last looked, if any (one atomic load tells). No user code runs under the
//! lock: it guards a list of `Arc`s, and dropped batches are dropped after it
//! is released.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hashbrown::HashTable;

use crate::store::map::Entry;
use crate::sync::{hasher, lock, Hasher};

/// Entries one thread published at once, and that thread's replica (which
/// holds them already): one allocation per batch.
pub(crate) type Batch<K, V> = (usize, Arc<[Entry<K, V>]>);

/// Keys removed one at a time, by hash, with the number of batches there
/// were then: an entry of an earlier batch is no longer in the log. Shared
/// with importers as a snapshot (copied only if a removal lands while one
/// is held), and looked up once per imported entry.
type Removed = Arc<HashMap<u64, usize, Hasher>>;

fn no_removals() -> Removed {
    Arc::new(HashMap::with_hasher(hasher()))
}

struct Inner<K, V> {
    /// The function's generation these batches belong to (see `Function::clear`).
    generation: u64,
    batches: Vec<Batch<K, V>>,
    removed: Removed,
}

/// What a thread imports: batches, and the removals that hide some of their
/// entries.
pub(crate) struct Since<K, V> {
    pub(crate) batches: Vec<Batch<K, V>>,
    /// The index of the first batch in `batches`.
    first: usize,
    removed: Removed,
}

impl<K, V> Since<K, V> {
    /// The entries still in the log, with the owner of their batch.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (usize, &Entry<K, V>)> {
        self.batches
            .iter()
            .enumerate()
            .flat_map(move |(i, (owner, entries))| {
                let at = self.first + i;
                entries
                    .iter()
                    .filter(move |e| {
                        self.removed.is_empty()
                            || self.removed.get(&e.hash).is_none_or(|&upto| at >= upto)
                    })
                    .map(move |e| (*owner, e))
            })
    }
}

pub(crate) struct Log<K, V> {
    inner: Mutex<Inner<K, V>>,
    /// `batches.len()`, readable without the lock.
    published: AtomicUsize,
}

impl<K, V> Log<K, V> {
    pub(crate) fn new(generation: u64) -> Self {
        Log {
            inner: Mutex::new(Inner {
                generation,
                batches: Vec::new(),
                removed: no_removals(),
            }),
            published: AtomicUsize::new(0),
        }
    }

    /// How many batches there are: a thread that has imported this many has
    /// every entry.
    #[inline]
    pub(crate) fn published(&self) -> usize {
        self.published.load(Ordering::Acquire)
    }

    /// Appends `batch` if it was computed in the current generation (a batch
    /// computed before a `clear()` is dropped). Returns whether it was appended
    /// right after the batch at `cursor - 1`, i.e. no other thread published
    /// since the caller last imported.
    pub(crate) fn publish(
        &self,
        owner: usize,
        entries: Arc<[Entry<K, V>]>,
        generation: u64,
        cursor: usize,
    ) -> bool {
        let batch: Batch<K, V> = (owner, entries);
        let mut inner = lock(&self.inner);
        if inner.generation != generation {
            drop(inner);
            drop(batch);
            return false;
        }
        let in_step = inner.batches.len() == cursor;
        inner.batches.push(batch);
        self.published.store(inner.batches.len(), Ordering::Release);
        in_step
    }

    /// The batches from `cursor` on, if the log is still in `generation`.
    pub(crate) fn since(&self, cursor: usize, generation: u64) -> Option<Since<K, V>> {
        let inner = lock(&self.inner);
        (inner.generation == generation).then(|| Since {
            batches: inner.batches.get(cursor..).unwrap_or(&[]).to_vec(),
            first: cursor,
            removed: Arc::clone(&inner.removed),
        })
    }

    /// Hides every entry published so far whose key hashes to `hash`; returns
    /// the batches that held one, for the caller to find the value in.
    pub(crate) fn remove(&self, hash: u64) -> Vec<Batch<K, V>> {
        let mut inner = lock(&self.inner);
        let upto = inner.batches.len();
        // Batches before an earlier removal of this hash hold it no longer.
        let hidden = inner.removed.get(&hash).copied().unwrap_or(0);
        let held: Vec<Batch<K, V>> = inner.batches[hidden.min(upto)..]
            .iter()
            .filter(|(_, entries)| entries.iter().any(|e| e.hash == hash))
            .cloned()
            .collect();
        if !held.is_empty() {
            Arc::make_mut(&mut inner.removed).insert(hash, upto);
        }
        held
    }

    /// Starts generation `generation` with no entries. Called by `clear()`
    /// after it bumped the function's generation, under this lock, so that no
    /// batch of the old generation is published or imported afterwards.
    pub(crate) fn reset(&self, generation: u64) {
        let mut inner = lock(&self.inner);
        inner.generation = generation;
        inner.removed = no_removals();
        let old = std::mem::take(&mut inner.batches);
        self.published.store(0, Ordering::Release);
        drop(inner);
        drop(old);
    }
}

impl<K: Eq, V> Log<K, V> {
    /// The number of distinct keys published (two threads may have computed
    /// the same key).
    pub(crate) fn len(&self) -> usize {
        let generation = lock(&self.inner).generation;
        let Some(all) = self.since(0, generation) else {
            return 0;
        };
        let mut seen: HashTable<&Entry<K, V>> = HashTable::new();
        for (_, entry) in all.entries() {
            let hash = entry.hash;
            seen.entry(hash, |e| e.hash == hash && e.key == entry.key, |e| e.hash)
                .or_insert(entry);
        }
        seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::map::Expiry;

    fn batch(keys: std::ops::Range<u64>) -> Arc<[Entry<u64, u64>]> {
        keys.map(|k| Entry {
            hash: k,
            key: k,
            value: k * 10,
            expires: Expiry::after(None),
        })
        .collect()
    }

    fn imported(log: &Log<u64, u64>, cursor: usize) -> Vec<u64> {
        let since = log.since(cursor, 0).unwrap();
        let mut keys: Vec<u64> = since.entries().map(|(_, e)| e.key).collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn a_removed_key_is_hidden_until_it_is_published_again() {
        let log = Log::new(0);
        log.publish(1, batch(0..4), 0, 0);
        log.publish(2, batch(2..6), 0, 1);
        assert_eq!(log.remove(3).len(), 2, "both batches held key 3");
        assert_eq!(imported(&log, 0), [0, 1, 2, 2, 4, 5]);
        assert_eq!(imported(&log, 1), [2, 4, 5]);
        log.publish(1, batch(3..4), 0, 2);
        assert_eq!(imported(&log, 0), [0, 1, 2, 2, 3, 4, 5]);
        assert!(log.remove(9).is_empty(), "a key never published");
        assert_eq!(log.len(), 6);
    }

    #[test]
    fn many_removals_stay_one_entry_each() {
        let log = Log::new(0);
        log.publish(1, batch(0..10_000), 0, 0);
        for round in 0..3 {
            for k in 0..5_000 {
                log.remove(k);
            }
            log.publish(1, batch(0..5_000), 0, round + 1);
        }
        assert_eq!(lock(&log.inner).removed.len(), 5_000);
        assert_eq!(log.len(), 10_000);
        // A snapshot held by an importer does not see later removals.
        let since = log.since(0, 0).unwrap();
        log.remove(9_999);
        assert_eq!(since.entries().filter(|(_, e)| e.key == 9_999).count(), 1);
        assert_eq!(log.len(), 9_999);
    }
}
