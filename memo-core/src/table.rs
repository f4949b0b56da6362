//! The table behind a non-`const` `#[precompute]` function: built once, on the
//! first call or on `init()`, while other threads wait.

use std::cell::RefCell;
use std::sync::OnceLock;

/// A table built once at run time.
pub struct Table<T> {
    cells: OnceLock<Box<[T]>>,
}

std::thread_local! {
    /// The tables this thread is building, so that a body calling its own
    /// function while its table is built computes directly instead of waiting
    /// for itself.
    static BUILDING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

impl<T> Table<T> {
    /// An empty table.
    #[must_use]
    pub const fn new() -> Self {
        Table {
            cells: OnceLock::new(),
        }
    }

    /// The table, built with `cell(i)` for every index below `len` if this is the
    /// first use; `None` while this same thread is building it.
    #[inline]
    pub fn get(&'static self, len: usize, cell: impl FnMut(usize) -> T) -> Option<&'static [T]> {
        match self.cells.get() {
            Some(cells) => Some(cells),
            None => self.build(len, cell),
        }
    }

    #[cold]
    fn build(&'static self, len: usize, cell: impl FnMut(usize) -> T) -> Option<&'static [T]> {
        let id = std::ptr::from_ref(self) as usize;
        if BUILDING.with(|b| b.borrow().contains(&id)) {
            return None;
        }
        BUILDING.with(|b| b.borrow_mut().push(id));
        let _building = Building(id);
        Some(self.cells.get_or_init(|| (0..len).map(cell).collect()))
    }

    /// Whether the table has been built.
    #[must_use]
    pub fn is_built(&self) -> bool {
        self.cells.get().is_some()
    }
}

/// Takes a table off this thread's building list, even if a body panics.
struct Building(usize);

impl Drop for Building {
    fn drop(&mut self) {
        BUILDING.with(|b| b.borrow_mut().retain(|&id| id != self.0));
    }
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn built_once_under_racing_threads() {
        static TABLE: Table<u32> = Table::new();
        static BUILDS: AtomicUsize = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let t = TABLE
                        .get(100, |i| {
                            BUILDS.fetch_add(1, Ordering::Relaxed);
                            u32::try_from(i).unwrap() * 2
                        })
                        .unwrap();
                    assert_eq!(t[21], 42);
                });
            }
        });
        assert_eq!(BUILDS.load(Ordering::Relaxed), 100);
    }
}
