//! The table behind a non-`const` `#[precompute]` function: built once, on the
//! first call or on `init()`; and the hit path, the cold path and the `strict`
//! check of every `#[precompute]` call.
//!
//! A hit reads two thread-locals that need no lazy initialisation: this
//! thread's view of the cells (`LocalCells`, empty until this thread's first
//! call has found the table built) and its counter (`ThreadSlot`). Anything
//! else (the first call of a thread, a table not built yet, the one hit in
//! `SAMPLE_EVERY` that marks its cell read) takes the cold path.
//!
//! Building never waits on a cycle: a thread that needs a table another thread
//! is building waits for it, unless that builder is itself waiting (directly
//! or through other builders) for a table this thread is building; then it
//! computes the cell it needs directly, as a miss.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt::{Arguments, Display};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::LocalKey;

use crate::counters::touched::Touched;
use crate::counters::{count_hit_slow, tick, ThreadSlot};
use crate::function::Function;

/// A table of `N` cells built once at run time. `N` is part of the type so
/// that a lookup's bounds check is against a constant (or gone, when the
/// caller's own check implies it).
pub struct Table<T, const N: usize> {
    cells: OnceLock<Box<[T; N]>>,
}

/// This thread's view of a table's cells: empty until one of this thread's
/// calls has found the table built, so that the hit path's bounds check is
/// also its "is it built" check.
pub struct LocalCells<T: 'static> {
    cells: Cell<&'static [T]>,
}

impl<T: 'static> LocalCells<T> {
    /// No cells yet.
    #[must_use]
    pub const fn new() -> Self {
        LocalCells {
            cells: Cell::new(&[]),
        }
    }
}

impl<T: 'static> Default for LocalCells<T> {
    fn default() -> Self {
        Self::new()
    }
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
    /// Its address names this thread in `GRAPH` (no destructor: reachable
    /// during teardown too).
    static ME: u8 = const { 0 };
}

/// Who builds which table, and who waits for which: every wait is checked
/// against this graph first, so that no wait closes a cycle.
struct Graph {
    /// `(table, thread building it)`.
    building: Vec<(usize, usize)>,
    /// `(thread, table it waits for)`.
    waiting: Vec<(usize, usize)>,
}

static GRAPH: Mutex<Graph> = Mutex::new(Graph {
    building: Vec::new(),
    waiting: Vec::new(),
});
/// Signalled whenever a build ends (finished or abandoned).
static BUILT: Condvar = Condvar::new();

fn graph() -> MutexGuard<'static, Graph> {
    // Plain bookkeeping, no user code runs under the lock.
    GRAPH.lock().unwrap_or_else(PoisonError::into_inner)
}

fn me() -> usize {
    ME.try_with(|me| std::ptr::from_ref(me) as usize)
        .unwrap_or(usize::MAX)
}

impl Graph {
    fn builder(&self, table: usize) -> Option<usize> {
        self.building
            .iter()
            .find(|&&(t, _)| t == table)
            .map(|&(_, thread)| thread)
    }

    /// Whether `thread` is waiting, through a chain of builders, for `me`.
    fn waits_for(&self, mut thread: usize, me: usize) -> bool {
        for _ in 0..=self.waiting.len() {
            if thread == me {
                return true;
            }
            let Some(&(_, table)) = self.waiting.iter().find(|&&(t, _)| t == thread) else {
                return false;
            };
            let Some(builder) = self.builder(table) else {
                return false;
            };
            thread = builder;
        }
        false
    }
}

/// What a thread that needs an unbuilt table does.
enum Claim {
    /// It was built meanwhile.
    Built,
    /// This thread builds it.
    Build,
    /// Waiting would deadlock (or this thread is already building it
    /// further up its stack): compute the cell directly.
    Direct,
}

/// Ends this thread's build of a table, finished or not (a body may panic).
struct Claimed(usize);

impl Drop for Claimed {
    fn drop(&mut self) {
        let mut graph = graph();
        graph.building.retain(|&(table, _)| table != self.0);
        drop(graph);
        BUILT.notify_all();
    }
}

/// A cell found off the hit path.
enum Found<T: 'static, const N: usize> {
    Built(&'static [T; N]),
    /// Read from the cells built so far, while this thread builds the table.
    Partial(T),
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

    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Whether this thread is building the table. `None` during teardown,
    /// when this thread can no longer build anything.
    fn is_building_here(&self) -> Option<bool> {
        let id = self.id();
        BUILDING
            .try_with(|building| building.borrow().iter().any(|p| p.table == id))
            .ok()
    }

    fn claim(&self) -> Claim {
        let (id, me) = (self.id(), me());
        let mut graph = graph();
        loop {
            if self.is_built() {
                return Claim::Built;
            }
            match graph.builder(id) {
                None => {
                    graph.building.push((id, me));
                    return Claim::Build;
                }
                Some(builder) if graph.waits_for(builder, me) => return Claim::Direct,
                Some(_) => {
                    graph.waiting.push((me, id));
                    graph = BUILT.wait(graph).unwrap_or_else(PoisonError::into_inner);
                    if let Some(at) = graph.waiting.iter().position(|&w| w == (me, id)) {
                        graph.waiting.swap_remove(at);
                    }
                }
            }
        }
    }
}

// The bounds sit on the methods, so that a return type that is not `Clone`
// is reported as such at each call (spanned at the user's return type) rather
// than as a missing method.
impl<T, const N: usize> Table<T, N> {
    /// The table, building it with `cell(i)` for every cell if it is not
    /// built; or, while this thread builds it, cell `index` if built so far.
    /// `None` when the cell is to be computed directly: not built yet in a
    /// build of this thread's, a build that waiting for would deadlock, or a
    /// call from a thread-local destructor after this thread's are gone.
    fn find(&'static self, index: usize, cell: impl FnMut(usize) -> T) -> Option<Found<T, N>>
    where
        T: Clone + 'static,
    {
        if let Some(cells) = self.cells.get() {
            return Some(Found::Built(cells));
        }
        if self.is_building_here()? {
            let id = self.id();
            return BUILDING
                .try_with(|building| {
                    let building = building.borrow();
                    let partial = building.iter().rev().find(|p| p.table == id)?;
                    partial.cells.downcast_ref::<Vec<T>>()?.get(index).cloned()
                })
                .ok()
                .flatten()
                .map(Found::Partial);
        }
        self.build(cell).map(Found::Built)
    }

    /// Builds the table now unless it is built or this thread is building it.
    pub fn init(&'static self, cell: impl FnMut(usize) -> T)
    where
        T: 'static,
    {
        if self.cells.get().is_none() && self.is_building_here() == Some(false) {
            self.build(cell);
        }
    }

    /// Appends a cell to those this thread has built so far.
    fn push_partial(&self, value: T)
    where
        T: 'static,
    {
        let id = self.id();
        let _ = BUILDING.try_with(|building| {
            let mut building = building.borrow_mut();
            if let Some(partial) = building.iter_mut().rev().find(|p| p.table == id) {
                if let Some(cells) = partial.cells.downcast_mut::<Vec<T>>() {
                    cells.push(value);
                }
            }
        });
    }

    /// Builds the table, or waits for the thread that is building it, or
    /// gives up (`None`) where waiting could deadlock.
    fn build(&'static self, mut cell: impl FnMut(usize) -> T) -> Option<&'static [T; N]>
    where
        T: 'static,
    {
        match self.claim() {
            Claim::Built => return self.cells.get().map(|cells| &**cells),
            Claim::Direct => return None,
            Claim::Build => {}
        }
        let id = self.id();
        let claimed = Claimed(id);
        BUILDING
            .try_with(|building| {
                building.borrow_mut().push(Partial {
                    table: id,
                    cells: Box::new(Vec::<T>::with_capacity(N)),
                });
            })
            .ok()?;
        let building = Building(id);
        for index in 0..N {
            let value = cell(index);
            self.push_partial(value);
        }
        let cells = building.finish()?.downcast::<Vec<T>>().ok()?;
        let cells: Box<[T; N]> = cells.into_boxed_slice().try_into().ok()?;
        let _ = self.cells.set(cells);
        drop(claimed);
        self.cells.get().map(|cells| &**cells)
    }
}

#[cfg(test)]
impl<T: Clone + 'static, const N: usize> Table<T, N> {
    /// Cell `index`, as the cold path finds it.
    fn get(&'static self, index: usize, cell: impl FnMut(usize) -> T) -> Option<T> {
        match self.find(index, cell)? {
            Found::Built(all) => all.get(index).cloned(),
            Found::Partial(value) => Some(value),
        }
    }
}

/// Takes a table off this thread's building list, even if a body panics.
struct Building(usize);

impl Building {
    /// The cells built, taken off the list.
    fn finish(self) -> Option<Box<dyn Any>> {
        let id = self.0;
        BUILDING
            .try_with(|building| {
                let mut building = building.borrow_mut();
                let at = building.iter().rposition(|p| p.table == id)?;
                Some(building.remove(at).cells)
            })
            .ok()
            .flatten()
    }
}

impl Drop for Building {
    fn drop(&mut self) {
        let id = self.0;
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

/// The hit path of a table built at run time: `Some` (counted) when this
/// thread sees the table built, `index` is in it and this is not the hit in
/// `SAMPLE_EVERY` (64) that goes down the cold path.
#[inline(always)]
pub fn hit<T: Clone + 'static>(
    cells: &'static LocalKey<LocalCells<T>>,
    counts: &'static LocalKey<ThreadSlot>,
    index: usize,
) -> Option<T> {
    let cells = cells.try_with(|local| local.cells.get()).ok()?;
    let value = cells.get(index)?;
    tick(counts).then(|| value.clone())
}

/// The hit path of a table built at compile time.
#[inline(always)]
pub fn hit_const<T: Clone, const N: usize>(
    table: &'static [T; N],
    counts: &'static LocalKey<ThreadSlot>,
    index: usize,
) -> Option<T> {
    let value = table.get(index)?;
    tick(counts).then(|| value.clone())
}

/// The cold path of an in-domain call of a table built at run time: builds
/// the table if need be, shows it to this thread's hit path, counts the hit
/// and marks the cell read. `None` if the cell is to be computed directly
/// (see `Table::find`); the caller counts that as a miss.
#[inline]
#[allow(clippy::too_many_arguments)]
pub fn cold_hit<T: Clone + 'static, const N: usize, const WORDS: usize>(
    table: &'static Table<T, N>,
    cells: &'static LocalKey<LocalCells<T>>,
    counts: &'static LocalKey<ThreadSlot>,
    function: &'static Function,
    touched: &Touched<WORDS>,
    index: usize,
    cell: impl FnMut(usize) -> T,
) -> Option<T> {
    // The hit path reaches the counter only once this thread sees the cells.
    let ticked = ThreadSlot::ticked(counts)
        && cells
            .try_with(|local| index < local.cells.get().len())
            .unwrap_or(false);
    let value = match table.find(index, cell)? {
        Found::Built(all) => {
            let value = all.get(index)?.clone();
            // The slot first: a hit path that sees the cells counts into it.
            count_hit_slow(counts, &function.counters, ticked);
            touched.touch(index);
            let _ = cells.try_with(|local| local.cells.set(all.as_slice()));
            return Some(value);
        }
        Found::Partial(value) => value,
    };
    count_hit_slow(counts, &function.counters, ticked);
    Some(value)
}

/// The cold path of an in-domain call of a table built at compile time.
#[inline]
pub fn cold_hit_const<T: Clone, const N: usize, const WORDS: usize>(
    table: &'static [T; N],
    counts: &'static LocalKey<ThreadSlot>,
    function: &'static Function,
    touched: &Touched<WORDS>,
    index: usize,
) -> Option<T> {
    let value = table.get(index)?.clone();
    count_hit_slow(counts, &function.counters, ThreadSlot::ticked(counts));
    touched.touch(index);
    Some(value)
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
