//! A shared cache with `capacity`: the policy's nodes behind one lock, and a
//! replica per thread that answers hits without it.
//!
//! A replica holds `Arc`s of the shared nodes it has seen. A hit checks that
//! its node is still alive (a read of a line that changes only when the node
//! is evicted) and records the access without writing shared memory: S3-FIFO
//! raises the node's frequency only while it is below 3, so a hot node is
//! never written; exact LRU order is kept by buffering a thread's accesses and
//! applying them under the lock in batches of [`BATCH`], and before any miss
//! of that thread, so one thread sees exact LRU order.

use std::cell::RefCell;
use std::sync::{Arc, Mutex};

use hashbrown::HashTable;

use crate::store::lookup::Lookup;
use crate::store::policy::{Node, Policy};
use crate::sync::lock;

/// Accesses a thread buffers before applying them to an LRU order.
const BATCH: usize = 64;

struct Inner<K, V> {
    /// The function's generation the nodes belong to (see `Function::clear`).
    generation: u64,
    policy: Policy<K, V>,
}

pub(crate) struct Bounded<K, V> {
    inner: Mutex<Inner<K, V>>,
    lru: bool,
}

/// Where a buffered access points: the node's place in the policy and the
/// address of its key, which tells the node apart without holding a
/// reference to it.
type Access = (u32, usize);

fn address<K>(key: &K) -> usize {
    std::ptr::from_ref(key) as usize
}

impl<K: Eq, V> Bounded<K, V> {
    pub(crate) fn new(capacity: usize, lru: bool, generation: u64) -> Self {
        Bounded {
            inner: Mutex::new(Inner {
                generation,
                policy: Policy::new(capacity, lru),
            }),
            lru,
        }
    }

    /// The live node for `query`, recording the access.
    pub(crate) fn get<Q: Lookup<Key = K>>(&self, hash: u64, query: &Q) -> Option<Arc<Node<K, V>>> {
        let mut inner = lock(&self.inner);
        inner.policy.get(hash, |k| query.matches(k)).cloned()
    }

    /// Inserts `node` unless a `clear()` ran since `generation`. Returns how
    /// many nodes were evicted; they are dropped after the lock is released.
    pub(crate) fn insert(&self, node: Arc<Node<K, V>>, generation: u64) -> u64 {
        let mut out = Vec::new();
        let mut inner = lock(&self.inner);
        let evicted = if inner.generation == generation {
            inner.policy.insert(node, &mut out)
        } else {
            0
        };
        drop(inner);
        drop(out);
        evicted
    }

    /// Takes out the node for `query`, marked dead so that no replica serves
    /// it again.
    pub(crate) fn remove<Q: Lookup<Key = K>>(
        &self,
        hash: u64,
        query: &Q,
    ) -> Option<Arc<Node<K, V>>> {
        let mut inner = lock(&self.inner);
        inner.policy.remove(hash, |k| query.matches(k))
    }

    /// Applies buffered accesses, in order.
    fn apply(&self, accesses: &[Access]) {
        let mut inner = lock(&self.inner);
        for &(place, key) in accesses {
            inner.policy.access_at(place, key);
        }
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.inner).policy.len()
    }

    /// Starts generation `generation` with no entries; see `Log::reset`.
    pub(crate) fn reset(&self, generation: u64) {
        let mut out = Vec::new();
        let mut inner = lock(&self.inner);
        inner.generation = generation;
        inner.policy.clear(&mut out);
        drop(inner);
        drop(out);
    }
}

/// One thread's view of a [`Bounded`] cache.
pub(crate) struct Replica<K, V> {
    nodes: HashTable<Arc<Node<K, V>>>,
    /// Nodes are kept until the table reaches this size, then the dead ones
    /// are dropped: at most twice `capacity` nodes per thread.
    prune_at: usize,
    capacity: usize,
    /// LRU accesses not yet applied.
    accesses: RefCell<Vec<Access>>,
}

impl<K, V> Replica<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Replica {
            nodes: HashTable::new(),
            prune_at: capacity.saturating_mul(2).max(16),
            capacity,
            accesses: RefCell::new(Vec::new()),
        }
    }
}

impl<K: Eq, V> Replica<K, V> {
    /// The value of a live, fresh node for `query`, recording the access.
    #[inline]
    pub(crate) fn get<Q: Lookup<Key = K>>(
        &self,
        shared: &Bounded<K, V>,
        hash: u64,
        query: &Q,
        refresh: Option<std::time::Duration>,
    ) -> Option<&V> {
        let node = self
            .nodes
            .find(hash, |n| n.hash == hash && query.matches(&n.key))?;
        if !node.is_alive() || !node.hit(refresh) {
            return None;
        }
        if shared.lru {
            self.record(shared, (node.place(), address(&node.key)));
        } else {
            node.touch();
        }
        Some(&node.value)
    }

    fn record(&self, shared: &Bounded<K, V>, access: Access) {
        if let Ok(mut accesses) = self.accesses.try_borrow_mut() {
            accesses.push(access);
            if accesses.len() >= BATCH {
                shared.apply(&accesses);
                accesses.clear();
            }
        }
    }

    /// Applies this thread's buffered accesses: before a miss, so that the
    /// eviction it may cause sees them.
    pub(crate) fn flush(&self, shared: &Bounded<K, V>) {
        if let Ok(mut accesses) = self.accesses.try_borrow_mut() {
            if !accesses.is_empty() {
                shared.apply(&accesses);
                accesses.clear();
            }
        }
    }

    /// Keeps `node` for later hits. Returns nodes let go of, for the caller to
    /// drop once nothing is borrowed.
    pub(crate) fn insert(&mut self, node: Arc<Node<K, V>>) -> Vec<Arc<Node<K, V>>> {
        let mut dropped = Vec::new();
        if self.nodes.len() >= self.prune_at {
            dropped.extend(self.nodes.extract_if(|n| !n.is_alive()));
            self.prune_at = self
                .nodes
                .len()
                .max(self.capacity)
                .saturating_mul(2)
                .max(16);
        }
        let hash = node.hash;
        match self
            .nodes
            .entry(hash, |n| n.hash == hash && n.key == node.key, |n| n.hash)
        {
            hashbrown::hash_table::Entry::Occupied(mut o) => {
                dropped.push(std::mem::replace(o.get_mut(), node));
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(node);
            }
        }
        dropped
    }
}
