//! Exact least-recently-used order, as Python's `lru_cache` keeps it: a slab
//! of slots linked into one list, oldest first, and a hash index of slot
//! numbers. Nodes remember their slot, so recording an access is a relink
//! without a lookup.

use std::sync::Arc;

use hashbrown::hash_table::{Entry, HashTable};

use super::node::Node;
use super::MakeRoom;

/// The end of the list, and the end of the free list.
const NIL: u32 = u32::MAX;

/// Slot numbers are `u32` to keep the node small, so a capacity is at most this.
pub(super) const MAX_CAPACITY: usize = (u32::MAX - 1) as usize;

struct Slot<K, V> {
    /// `None` while the slot is on the free list.
    node: Option<Arc<Node<K, V>>>,
    prev: u32,
    next: u32,
}

pub(crate) struct Lru<K, V> {
    index: HashTable<u32>,
    slots: Vec<Slot<K, V>>,
    /// Least recently used.
    head: u32,
    /// Most recently used.
    tail: u32,
    /// Freed slots, linked through `next`, reused before the slab grows.
    free: u32,
    len: usize,
    capacity: usize,
}

impl<K, V> Lru<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Lru {
            index: HashTable::new(),
            slots: Vec::new(),
            head: NIL,
            tail: NIL,
            free: NIL,
            len: 0,
            capacity: capacity.clamp(1, MAX_CAPACITY),
        }
    }
}

impl<K: Eq, V> Lru<K, V> {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The slot of the live node for `hash`/`eq`.
    fn slot_of(&self, hash: u64, mut eq: impl FnMut(&K) -> bool) -> Option<u32> {
        let slots = &self.slots;
        self.index
            .find(hash, |&i| node_at(slots, i).is_some_and(|n| eq(&n.key)))
            .copied()
    }

    pub(crate) fn find(&self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<&Arc<Node<K, V>>> {
        node_at(&self.slots, self.slot_of(hash, eq)?)
    }

    /// Finds and records an access in one step, for the caller holding the lock.
    pub(crate) fn get(
        &mut self,
        hash: u64,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<&Arc<Node<K, V>>> {
        let slot = self.slot_of(hash, eq)?;
        self.move_to_back(slot);
        node_at(&self.slots, slot)
    }

    /// A node evicted since it was found may have had its slot reused: the
    /// pointer check tells.
    #[cfg(test)]
    pub(crate) fn access(&mut self, node: &Arc<Node<K, V>>) {
        if !node.is_alive() {
            return;
        }
        let slot = node.place();
        if node_at(&self.slots, slot).is_some_and(|n| Arc::ptr_eq(n, node)) {
            self.move_to_back(slot);
        }
    }

    /// Records an access to the node whose key is at address `key` and that
    /// was in `slot` when a replica saw it: a relink, with no lookup and no
    /// reference to the node held meanwhile. A slot reused since holds another
    /// node, which the address tells apart.
    pub(crate) fn access_at(&mut self, slot: u32, key: usize) {
        if node_at(&self.slots, slot).is_some_and(|n| std::ptr::from_ref(&n.key) as usize == key) {
            self.move_to_back(slot);
        }
    }

    pub(crate) fn insert(&mut self, node: Arc<Node<K, V>>, out: &mut Vec<Arc<Node<K, V>>>) -> u64 {
        let slots = &self.slots;
        let entry = self.index.entry(
            node.hash,
            |&i| node_at(slots, i).is_some_and(|n| n.key == node.key),
            |&i| node_at(slots, i).map_or(0, |n| n.hash),
        );
        match entry {
            Entry::Occupied(entry) => {
                let slot = *entry.get();
                let Some(old) = self.slots[slot as usize].node.replace(node.clone()) else {
                    return 0;
                };
                if Arc::ptr_eq(&old, &node) {
                    return 0;
                }
                node.set_place(slot);
                old.kill();
                out.push(old);
                self.move_to_back(slot);
                0
            }
            Entry::Vacant(entry) => {
                let slot = if self.free == NIL {
                    self.slots.push(Slot {
                        node: None,
                        prev: NIL,
                        next: NIL,
                    });
                    (self.slots.len() - 1) as u32
                } else {
                    let slot = self.free;
                    self.free = self.slots[slot as usize].next;
                    slot
                };
                entry.insert(slot);
                node.set_place(slot);
                self.slots[slot as usize].node = Some(node);
                self.link_back(slot);
                self.len += 1;
                self.make_room(out)
            }
        }
    }

    pub(crate) fn remove(
        &mut self,
        hash: u64,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<Arc<Node<K, V>>> {
        let slot = self.slot_of(hash, eq)?;
        self.take(slot)
    }

    pub(crate) fn clear(&mut self, out: &mut Vec<Arc<Node<K, V>>>) {
        self.index.clear();
        for node in self.slots.drain(..).filter_map(|slot| slot.node) {
            node.kill();
            out.push(node);
        }
        self.head = NIL;
        self.tail = NIL;
        self.free = NIL;
        self.len = 0;
    }

    /// Unlinks, unindexes and frees `slot`, returning its node marked dead.
    fn take(&mut self, slot: u32) -> Option<Arc<Node<K, V>>> {
        let node = self.slots.get_mut(slot as usize)?.node.take()?;
        if let Ok(entry) = self.index.find_entry(node.hash, |&i| i == slot) {
            entry.remove();
        }
        self.unlink(slot);
        self.slots[slot as usize].next = self.free;
        self.free = slot;
        self.len -= 1;
        node.kill();
        Some(node)
    }

    fn move_to_back(&mut self, slot: u32) {
        if self.tail != slot {
            self.unlink(slot);
            self.link_back(slot);
        }
    }

    fn unlink(&mut self, slot: u32) {
        let Slot { prev, next, .. } = self.slots[slot as usize];
        match prev {
            NIL => self.head = next,
            prev => self.slots[prev as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            next => self.slots[next as usize].prev = prev,
        }
    }

    fn link_back(&mut self, slot: u32) {
        let tail = self.tail;
        let linked = &mut self.slots[slot as usize];
        linked.prev = tail;
        linked.next = NIL;
        match tail {
            NIL => self.head = slot,
            tail => self.slots[tail as usize].next = slot,
        }
        self.tail = slot;
    }

    /// Keys from least to most recently used, for tests.
    #[cfg(test)]
    pub(super) fn order(&self) -> Vec<&K> {
        let mut keys = Vec::with_capacity(self.len);
        let mut slot = self.head;
        while let Some(node) = node_at(&self.slots, slot) {
            keys.push(&node.key);
            slot = self.slots[slot as usize].next;
        }
        keys
    }
}

#[inline]
fn node_at<K, V>(slots: &[Slot<K, V>], slot: u32) -> Option<&Arc<Node<K, V>>> {
    slots.get(slot as usize)?.node.as_ref()
}

impl<K: Eq, V> MakeRoom<K, V> for Lru<K, V> {
    fn over_capacity(&self) -> bool {
        self.len > self.capacity
    }

    fn next_victim(&mut self, _: &mut Vec<Arc<Node<K, V>>>) -> Option<Arc<Node<K, V>>> {
        let oldest = self.head;
        self.take(oldest)
    }
}
