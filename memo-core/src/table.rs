//! The table behind a non-`const` `#[precompute]` function: built once, on the
//! first call or on `init()`, while other threads wait; and the counting and
//! `strict` checks of every `#[precompute]` call.

use std::any::Any;
use std::cell::RefCell;
use std::fmt::{Arguments, Display};
use std::sync::OnceLock;

use crate::function::Function;

/// A table of `N` cells built once at run time. `N` is part of the type so
/// that a lookup's bounds check is against a constant (or gone, when the
/// caller's own check implies it).
pub struct Table<T, const N: usize> {
    cells: OnceLock<Box<[T; N]>>,
}

/// The cells built so far of a table this thread is building.
struct Partial {
    table: usize,
    /// A `Vec<T>` for the table's `T`.
    cells: Box<dyn Any>,
}

std::thread_local! {
    /// The tables this thread is building, so that a body calling its own
    /// function while its table is built reads the cells built so far (a
    /// recursive definition builds in index order) or computes directly,
    /// instead of waiting for itself.
    static BUILDING: RefCell<Vec<Partial>> = const { RefCell::new(Vec::new()) };
}

impl<T, const N: usize> Table<T, N> {
    /// An empty table.
    #[must_use]
    pub const fn new() -> Self {
        Table {
            cells: OnceLock::new(),
        }
    }

    /// Whether the table has been built.
    #[must_use]
    pub fn is_built(&self) -> bool {
        self.cells.get().is_some()
    }
}

// The bounds sit on the methods, so that a return type that is not `Clone`
// is reported as such at each call (spanned at the user's return type) rather
// than as a missing method.
impl<T, const N: usize> Table<T, N> {
    /// Cell `index`, building the table with `cell(i)` for every cell first if
    /// this is its first use. While this same thread builds it, only the cells
    /// built so far are there; `None` for the others and past the end.
    #[inline]
    pub fn get(&'static self, index: usize, cell: impl FnMut(usize) -> T) -> Option<T>
    where
        T: Clone + 'static,
    {
        match self.cells.get() {
            Some(cells) => cells.get(index).cloned(),
            None => self.get_cold(index, cell),
        }
    }

    #[cold]
    fn get_cold(&'static self, index: usize, cell: impl FnMut(usize) -> T) -> Option<T>
    where
        T: Clone + 'static,
    {
        if self.is_building_here() {
            let id = self.id();
            return BUILDING.with(|building| {
                let building = building.borrow();
                let partial = building.iter().rev().find(|p| p.table == id)?;
                partial.cells.downcast_ref::<Vec<T>>()?.get(index).cloned()
            });
        }
        self.build(cell).get(index).cloned()
    }

    /// Builds the table now unless it is built or this thread is building it.
    pub fn init(&'static self, cell: impl FnMut(usize) -> T)
    where
        T: 'static,
    {
        if self.cells.get().is_none() && !self.is_building_here() {
            self.build(cell);
        }
    }

    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    fn is_building_here(&self) -> bool {
        let id = self.id();
        BUILDING.with(|building| building.borrow().iter().any(|p| p.table == id))
    }

    /// Appends a cell to those this thread has built so far.
    fn push_partial(&self, value: T)
    where
        T: 'static,
    {
        let id = self.id();
        BUILDING.with(|building| {
            let mut building = building.borrow_mut();
            if let Some(partial) = building.iter_mut().rev().find(|p| p.table == id) {
                if let Some(cells) = partial.cells.downcast_mut::<Vec<T>>() {
                    cells.push(value);
                }
            }
        });
    }

    /// Builds the table, or waits for the thread that is building it.
    fn build(&'static self, mut cell: impl FnMut(usize) -> T) -> &'static [T; N]
    where
        T: 'static,
    {
        self.cells.get_or_init(|| {
            let id = self.id();
            BUILDING.with(|building| {
                building.borrow_mut().push(Partial {
                    table: id,
                    cells: Box::new(Vec::<T>::with_capacity(N)),
                });
            });
            let building = Building(id);
            for index in 0..N {
                let value = cell(index);
                self.push_partial(value);
            }
            let cells = match building.finish().downcast::<Vec<T>>() {
                Ok(cells) => *cells,
                // Unreachable: only this function puts cells under this id.
                Err(_) => (0..N).map(&mut cell).collect(),
            };
            cells
                .into_boxed_slice()
                .try_into()
                .unwrap_or_else(|_| unreachable!("memo: a table is built with exactly N cells"))
        })
    }
}

/// Takes a table off this thread's building list, even if a body panics.
struct Building(usize);

impl Building {
    /// The cells built, taken off the list.
    fn finish(self) -> Box<dyn Any> {
        let id = self.0;
        BUILDING.with(|building| {
            let mut building = building.borrow_mut();
            match building.iter().rposition(|p| p.table == id) {
                Some(at) => building.remove(at).cells,
                None => Box::new(()),
            }
        })
    }
}

impl Drop for Building {
    fn drop(&mut self) {
        let id = self.0;
        // `try_with`: a table built from a thread-local destructor outlives the list.
        let _ = BUILDING.try_with(|building| {
            let mut building = building.borrow_mut();
            if let Some(at) = building.iter().rposition(|p| p.table == id) {
                building.remove(at);
            }
        });
    }
}

impl<T, const N: usize> Default for Table<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// A return type a table can hand out again. (The `static` holding the table
/// checks that it can be shared between threads.)
#[inline(always)]
pub fn assert_table_value<V: Clone + 'static>() {}

/// The panic of a `strict` function called outside its domain: names the
/// function, the parameter, its value and its range (as written, and as
/// evaluated when that differs).
#[cold]
#[inline(never)]
#[track_caller]
pub fn out_of_domain(
    function: &Function,
    param: &str,
    value: &dyn Display,
    written: &str,
    evaluated: Arguments<'_>,
) -> ! {
    let evaluated = evaluated.to_string();
    let evaluated = if evaluated == written {
        String::new()
    } else {
        format!(" ({evaluated})")
    };
    panic!(
        "memo: `{}` is `strict`, and `{param}` = {value} is outside its domain `{written}`{evaluated}; \
         widen the domain, or remove `strict` to compute such calls",
        function.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn built_once_under_racing_threads() {
        static TABLE: Table<u32, 100> = Table::new();
        static BUILDS: AtomicUsize = AtomicUsize::new(0);
        let cell = |i: usize| {
            BUILDS.fetch_add(1, Ordering::Relaxed);
            u32::try_from(i).unwrap_or(u32::MAX) * 2
        };
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(move || assert_eq!(TABLE.get(21, cell), Some(42)));
            }
        });
        assert_eq!(BUILDS.load(Ordering::Relaxed), 100);
        assert_eq!(TABLE.get(100, cell), None);
        TABLE.init(cell);
        assert_eq!(BUILDS.load(Ordering::Relaxed), 100);
    }

    #[test]
    fn a_cell_built_while_building_reads_the_cells_before_it() {
        static TABLE: Table<u64, 90> = Table::new();
        static READS: AtomicUsize = AtomicUsize::new(0);
        // Fibonacci by its recurrence: each cell reads the two before it.
        fn fib(n: usize) -> u64 {
            if n < 2 {
                return n as u64;
            }
            let at = |i: usize| {
                TABLE.get(i, fib).inspect(|_| {
                    READS.fetch_add(1, Ordering::Relaxed);
                })
            };
            match (at(n - 1), at(n - 2)) {
                (Some(a), Some(b)) => a + b,
                _ => unreachable!("cell {n} was built before the cells below it"),
            }
        }
        assert_eq!(TABLE.get(89, fib), Some(1_779_979_416_004_714_189));
        assert_eq!(READS.load(Ordering::Relaxed), 2 * 88);
        assert!(TABLE.is_built());
    }

    #[test]
    fn a_cell_ahead_of_the_build_is_not_there_yet() {
        static TABLE: Table<u32, 4> = Table::new();
        let seen = std::cell::Cell::new(None);
        TABLE.init(|i| {
            if i == 1 {
                seen.set(Some(TABLE.get(3, |_| 0)));
            }
            7
        });
        assert_eq!(seen.get(), Some(None));
        assert_eq!(TABLE.get(3, |_| 0), Some(7));
    }

    #[test]
    fn a_panicking_cell_leaves_the_table_to_build_again() {
        static TABLE: Table<u32, 4> = Table::new();
        let failed = std::panic::catch_unwind(|| {
            TABLE.init(|i| {
                assert!(i != 2, "cell 2 fails");
                1
            });
        });
        assert!(failed.is_err());
        assert!(!TABLE.is_built());
        assert_eq!(TABLE.get(2, |_| 5), Some(5));
    }
}
