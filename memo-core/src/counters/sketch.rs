//! A bounded distinct-count sketch (k minimum values): keeps the `K` smallest
//! hashes seen. Below `K` distinct inputs the count is exact; above, it is
//! estimated from how small the `K`-th smallest hash is. Memory never grows past
//! `K` hashes, and two sketches merge by union.

const K: usize = 256;

/// The `K` smallest hashes, kept as a sorted `Vec`, plus the hashes inserted
/// since the last compaction: an insert is a comparison and a push, and the
/// sorting happens once per `K` inserts (a miss of a cold fill must stay cheap).
#[derive(Clone, Debug, Default)]
pub(crate) struct Sketch {
    smallest: Vec<u64>,
    recent: Vec<u64>,
}

impl Sketch {
    /// The largest kept hash: a new hash above it changes nothing.
    pub(crate) fn threshold(&self) -> u64 {
        if self.smallest.len() < K {
            u64::MAX
        } else {
            self.smallest.last().copied().unwrap_or(u64::MAX)
        }
    }

    /// Forgets every hash, keeping the allocations.
    pub(crate) fn clear(&mut self) {
        self.smallest.clear();
        self.recent.clear();
    }

    pub(crate) fn insert(&mut self, hash: u64) {
        if hash < self.threshold() {
            self.recent.push(hash);
            if self.recent.len() >= K {
                self.compact();
            }
        }
    }

    fn compact(&mut self) {
        self.smallest.append(&mut self.recent);
        self.smallest.sort_unstable();
        self.smallest.dedup();
        self.smallest.truncate(K);
    }

    pub(crate) fn merge(&mut self, other: &Sketch) {
        for &hash in other.smallest.iter().chain(&other.recent) {
            self.insert(hash);
        }
    }

    fn compacted(&self) -> Vec<u64> {
        let mut copy = self.clone();
        copy.compact();
        copy.smallest
    }

    /// The estimated number of distinct inputs, exact below `K`.
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    pub(crate) fn estimate(&self) -> u64 {
        let smallest = self.compacted();
        if smallest.len() < K {
            return smallest.len() as u64;
        }
        let kth = smallest[K - 1] as f64 / u64::MAX as f64;
        ((K - 1) as f64 / kth).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn exact_when_small_and_close_when_large() {
        let state = foldhash::fast::FixedState::with_seed(7);
        let mut small = Sketch::default();
        for _ in 0..10 {
            for i in 0..36_u64 {
                small.insert(state.hash_one(i));
            }
        }
        assert_eq!(small.estimate(), 36);
        let mut large = Sketch::default();
        for i in 0..100_000_u64 {
            large.insert(state.hash_one(i));
        }
        let estimate = large.estimate();
        assert!((80_000..120_000).contains(&estimate), "{estimate}");
        let mut merged = Sketch::default();
        merged.merge(&small);
        merged.merge(&small);
        assert_eq!(merged.estimate(), 36);
    }
}
