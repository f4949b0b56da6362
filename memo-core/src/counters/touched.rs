//! Which cells of a `#[precompute]` table have been read (by one hit in 64):
//! one bit per cell, so the report can tell a table that serves a few inputs
//! from one that serves them all. A sampled hit reads its bit and writes it only
//! the first time, so after warm-up the bitset is read-only and shared by every
//! core without traffic.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// One bit per table cell, `WORDS` = the table length / 64, rounded up.
pub struct Touched<const WORDS: usize> {
    words: [AtomicU64; WORDS],
}

impl<const WORDS: usize> Touched<WORDS> {
    /// No cell read yet.
    #[must_use]
    pub const fn new() -> Self {
        Touched {
            words: [const { AtomicU64::new(0) }; WORDS],
        }
    }

    /// Marks cell `index` as read.
    #[inline(always)]
    pub fn touch(&self, index: usize) {
        if let Some(word) = self.words.get(index / 64) {
            let bit = 1 << (index % 64);
            if word.load(Relaxed) & bit == 0 {
                word.fetch_or(bit, Relaxed);
            }
        }
    }
}

impl<const WORDS: usize> Default for Touched<WORDS> {
    fn default() -> Self {
        Self::new()
    }
}

/// A `Touched` of any size, for `Function`.
pub trait TouchedCells: Sync {
    /// How many cells have been read.
    fn count(&self) -> u64;
    /// Forgets every read (`clear()`).
    fn reset(&self);
}

impl<const WORDS: usize> TouchedCells for Touched<WORDS> {
    fn count(&self) -> u64 {
        self.words
            .iter()
            .map(|w| u64::from(w.load(Relaxed).count_ones()))
            .sum()
    }

    fn reset(&self) {
        for word in &self.words {
            word.store(0, Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_cell_once() {
        let touched = Touched::<2>::new();
        for i in [0, 3, 3, 64, 127, 127, 500] {
            touched.touch(i);
        }
        assert_eq!(touched.count(), 4, "500 is outside the table");
        touched.reset();
        assert_eq!(touched.count(), 0);
    }
}
