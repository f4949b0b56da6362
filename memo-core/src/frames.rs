//! Self time and total time (a profiler's `tottime` and `cumtime`) from
//! sampled runs of the body, without reading the clock on every call.
//!
//! A *run* is an execution of a function's body: every call of a
//! `#[counted]` function, every miss of a `#[memoize]` one, every
//! out-of-domain call of a `#[precompute]` one. Each thread counts its runs
//! exactly (the `misses` counter of its slot). A few runs are *timed*: the
//! first three of a thread (of a `#[counted]` function, whose calls are
//! counted inline: the first), one in `SAMPLE_EVERY` (64) after that, and the
//! first after a `clear()` on the clearing thread. A timed run is a *frame*:
//! it reads the clock when the body starts and ends, and also reads, at both
//! ends, this thread's run counter of every instrumented function it has
//! called (one load each). The difference tells, exactly, how many runs of
//! each function happened inside the frame, recursion included.
//!
//! Each frame stands for the runs since the previous frame of its function on
//! its thread (its *weight*: 1 for the first runs, about 64 after). Per
//! function the report then knows, weighted and scaled to all its runs:
//!
//! - `T[f]`: the time of all runs of `f`, children and recursion included;
//! - `R[f][g]`: how many runs of `g` happened inside runs of `f`.
//!
//! With `x[g]` the self time of all runs of `g`, each run of `f` costs its
//! own work plus that of every run nested in it, so for every `f`:
//!
//! ```text
//! T[f] = x[f] + sum over g of R[f][g] * x[g] / runs[g]
//! ```
//!
//! a small linear system over the functions a frame saw, solved when a
//! snapshot is taken. `tottime` is `x[f]`; `cumtime` is `x[f]` plus the self
//! time of the runs of other functions inside `f`, each counted once, so that
//! a recursive function's nested runs are not counted again (as cProfile
//! counts a recursive frame once).
//!
//! The clock reads and counter reads of a frame cost time that would not be
//! spent without the report: a frame's own clock read is subtracted from its
//! time, and each frame nested in it subtracts what a frame costs around its
//! body; both are calibrated once per process (`calibrate::frame_costs`).
//!
//! Error: one timed run in 64 is a systematic sample, so `T[f]` and `R[f][g]`
//! carry the sampling error of a mean over the timed runs (small when runs
//! take similar time; a rare slow run is weighted like the 63 runs around
//! it). A parent's self time is what remains once its children's estimated
//! time is subtracted, so when its children take most of its time, it
//! carries their error too. The model assumes a function's runs cost the same
//! wherever they are called from.

use std::cell::RefCell;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use crate::counters::{Counters, Slot};
use crate::sync::lock;

/// What the timed runs of one function measured on one thread (or, merged,
/// on every thread): sums weighted by the runs each frame stands for.
#[derive(Clone, Debug, Default)]
pub(crate) struct Frames {
    /// The runs the timed frames stand for.
    pub(crate) weight: u64,
    /// How many frames were timed.
    pub(crate) timed: u64,
    /// Weighted nanoseconds between the clock reads around the body.
    pub(crate) nanos: u128,
    /// Weighted count of the timed frames nested inside.
    pub(crate) nested_timed: u128,
    /// Weighted count of the runs of each function nested inside (this one
    /// included, for recursion).
    pub(crate) nested: Vec<(&'static Counters, u128)>,
    /// Frames left out as preempted (see [`Recent`]).
    pub(crate) dropped: u64,
    /// Weighted count of the frames with no frame of the same function open
    /// below them on their thread: the thread's first call, and sampled runs
    /// not inside a timed run of their own function.
    pub(crate) outer: u128,
    /// Their weighted runs, each with its nested runs of the same function:
    /// how many runs one outer call makes, for `outer_runs`.
    pub(crate) outer_runs: u128,
}

/// The time per run (nested runs included) of a thread's last few frames of
/// one function, to leave out a frame during which the thread lost its
/// core: one such frame of microseconds that took milliseconds, standing for
/// 64 runs, would multiply the estimate. A frame is left out when it took
/// over 100 µs and over 100 times the median of the last 8 (at least 4
/// known); the runs it stood for are then estimated from the other frames.
#[derive(Clone, Debug, Default)]
pub(crate) struct Recent {
    /// `(elapsed, runs)` of the last frames.
    frames: [(u64, u64); 8],
    len: usize,
    next: usize,
}

impl Recent {
    /// Whether a frame of `elapsed` nanoseconds with `runs` runs in it
    /// (itself included) is kept; if so, remembers it.
    fn keep(&mut self, elapsed: u64, runs: u64) -> bool {
        if self.len >= 4 && elapsed > 100_000 {
            let mut units = [0; 8];
            for (unit, &(e, r)) in units.iter_mut().zip(&self.frames[..self.len]) {
                *unit = e / r.max(1);
            }
            let known = &mut units[..self.len];
            known.sort_unstable();
            if elapsed / runs.max(1) / 100 > known[self.len / 2] {
                return false;
            }
        }
        self.frames[self.next] = (elapsed, runs);
        self.next = (self.next + 1) % self.frames.len();
        self.len = (self.len + 1).min(self.frames.len());
        true
    }
}

impl Frames {
    pub(crate) fn merge(&mut self, other: &Frames) {
        self.weight += other.weight;
        self.timed += other.timed;
        self.nanos += other.nanos;
        self.nested_timed += other.nested_timed;
        self.dropped += other.dropped;
        self.outer += other.outer;
        self.outer_runs += other.outer_runs;
        for &(counters, runs) in &other.nested {
            self.add_nested(counters, runs);
        }
    }

    fn add_nested(&mut self, counters: &'static Counters, runs: u128) {
        match self
            .nested
            .iter_mut()
            .find(|(c, _)| std::ptr::eq(*c, counters))
        {
            Some((_, have)) => *have += runs,
            None => self.nested.push((counters, runs)),
        }
    }
}

/// A slot this thread counts into.
struct Known {
    counters: &'static Counters,
    slot: &'static Slot,
    /// The slot's runs when this thread took it.
    registered: u64,
}

/// A timed frame that has not ended.
struct Open {
    id: u64,
    slot: &'static Slot,
    /// Where its snapshot of the known slots' runs starts in `Stack::runs`.
    snapshot: usize,
    /// How many known slots it saw.
    seen: usize,
    /// The thread's finished frames when it started.
    finished: u64,
}

/// This thread's known slots and open frames.
struct Stack {
    known: Vec<Known>,
    runs: Vec<u64>,
    open: Vec<Open>,
    finished: u64,
    next_id: u64,
}

std::thread_local! {
    static STACK: RefCell<Stack> = const {
        RefCell::new(Stack {
            known: Vec::new(),
            runs: Vec::new(),
            open: Vec::new(),
            finished: 0,
            next_id: 1,
        })
    };
}

/// Remembers that this thread counts runs of `counters` in `slot`.
pub(crate) fn known(counters: &'static Counters, slot: &'static Slot) {
    let _ = STACK.try_with(|stack| {
        if let Ok(mut stack) = stack.try_borrow_mut() {
            let registered = slot.misses.load(Relaxed);
            slot.last_timed.store(registered, Relaxed);
            stack.known.push(Known {
                counters,
                slot,
                registered,
            });
        }
    });
}

/// Forgets a slot this thread gives back.
pub(crate) fn forget(slot: &'static Slot) {
    let _ = STACK.try_with(|stack| {
        if let Ok(mut stack) = stack.try_borrow_mut() {
            // Open frames keep their snapshots; the slot's runs stop counting.
            if let Some(at) = stack.known.iter().position(|k| std::ptr::eq(k.slot, slot)) {
                let stack = &mut *stack;
                stack.known.remove(at);
                // Last frame first: a removal then leaves the snapshots of
                // the frames before it where they are.
                for open in stack.open.iter_mut().rev() {
                    if at < open.seen && open.snapshot + at < stack.runs.len() {
                        stack.runs.remove(open.snapshot + at);
                        open.seen -= 1;
                    }
                }
                reindex(stack);
            }
        }
    });
}

/// Recomputes where each open frame's snapshot starts after a removal.
fn reindex(stack: &mut Stack) {
    let mut at = 0;
    for open in &mut stack.open {
        open.snapshot = at;
        at += open.seen;
    }
    stack.runs.truncate(at);
}

/// After `clear()` on this thread: moves each of this thread's slots of
/// `counters` to just before a sampled run, so that its next run is timed,
/// and keeps open frames' snapshots in step. Only this thread writes these
/// counters, so nothing is lost.
pub(crate) fn rearm(counters: &Counters) {
    let _ = STACK.try_with(|stack| {
        let Ok(mut stack) = stack.try_borrow_mut() else {
            return;
        };
        let stack = &mut *stack;
        for (i, known) in stack.known.iter_mut().enumerate() {
            if !std::ptr::eq(known.counters, counters) {
                continue;
            }
            let runs = known.slot.misses.load(Relaxed);
            let gap = (crate::counters::SAMPLE_EVERY - 1)
                .wrapping_sub(runs % crate::counters::SAMPLE_EVERY);
            known.slot.misses.store(runs + gap, Relaxed);
            known.slot.last_timed.store(runs + gap, Relaxed);
            known.registered += gap;
            for open in &stack.open {
                if i < open.seen {
                    if let Some(run) = stack.runs.get_mut(open.snapshot + i) {
                        *run += gap;
                    }
                }
            }
        }
    });
}

/// A timed run, from just before its body to just after; ends when dropped.
///
/// Generated code holds it (as `Option<Timer>`) for the sampled calls of
/// `#[counted]` and `#[precompute]` functions; a `#[memoize]` miss holds one
/// around its body when timed.
pub struct Timer {
    slot: &'static Slot,
    /// This frame on its thread's stack; 0 when it is not on one.
    id: u64,
    /// The runs this frame stands for.
    weight: u64,
    start: Instant,
}

impl Timer {
    /// Starts timing the run just counted in `slot` (its owner thread).
    pub(crate) fn start(slot: &'static Slot) -> Timer {
        let runs = slot.misses.load(Relaxed);
        let weight = runs.wrapping_sub(slot.last_timed.load(Relaxed)).max(1);
        slot.last_timed.store(runs, Relaxed);
        let id = STACK
            .try_with(|stack| {
                let Ok(mut stack) = stack.try_borrow_mut() else {
                    return 0;
                };
                let stack = &mut *stack;
                let id = stack.next_id;
                stack.next_id += 1;
                let snapshot = stack.runs.len();
                stack
                    .runs
                    .extend(stack.known.iter().map(|k| k.slot.misses.load(Relaxed)));
                stack.open.push(Open {
                    id,
                    slot,
                    snapshot,
                    seen: stack.known.len(),
                    finished: stack.finished,
                });
                id
            })
            .unwrap_or(0);
        Timer {
            slot,
            id,
            weight,
            start: Instant::now(),
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let elapsed = self.start.elapsed();
        end(self, elapsed);
    }
}

#[cold]
#[inline(never)]
fn end(timer: &Timer, elapsed: Duration) {
    let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
    if timer.id != 0 {
        let closed = STACK.try_with(|stack| {
            let Ok(mut stack) = stack.try_borrow_mut() else {
                return false;
            };
            close(&mut stack, timer, nanos)
        });
        if closed == Ok(true) {
            return;
        }
    }
    // Ended on another thread (an `async fn` whose future moved) or during
    // teardown: its time counts, its nested runs are unknown.
    let mut profile = lock(&timer.slot.profile);
    if profile.recent.keep(nanos, 1) {
        let frames = &mut profile.frames;
        frames.weight += timer.weight;
        frames.timed += 1;
        frames.nanos += u128::from(nanos) * u128::from(timer.weight);
    } else {
        profile.frames.dropped += 1;
    }
}

/// Takes `timer`'s frame off this thread's stack and records it, with the
/// runs nested in it, straight into its slot's profile (no allocation on
/// this path once the profile knows the nested functions). Frames end in the
/// reverse order they started, except across `.await`s, where another
/// task's frames may interleave: a frame found below the top is taken out of
/// the middle. `false` if the frame is not on this thread's stack.
fn close(stack: &mut Stack, timer: &Timer, nanos: u64) -> bool {
    let Some(at) = stack.open.iter().rposition(|open| open.id == timer.id) else {
        return false;
    };
    let open = if at + 1 == stack.open.len() {
        stack.open.pop()
    } else {
        Some(stack.open.remove(at))
    };
    let Some(open) = open else {
        return false;
    };
    let stack = &mut *stack;
    // Runs of each known function inside the frame (the first 16 kept, for
    // one pass; only this thread counts into its slots, so a second read of
    // the others gives the same).
    let mut first = [0_u64; 16];
    let mut all = 0_u64;
    let nested = |i: usize, known: &Known| {
        let before = if i < open.seen {
            stack.runs[open.snapshot + i]
        } else {
            known.registered
        };
        let n = known.slot.misses.load(Relaxed).wrapping_sub(before);
        if n < u64::MAX / 2 {
            n
        } else {
            0
        }
    };
    for (i, known) in stack.known.iter().enumerate() {
        let n = nested(i, known);
        if let Some(slot) = first.get_mut(i) {
            *slot = n;
        }
        all = all.saturating_add(n);
    }
    let weight = u128::from(timer.weight);
    {
        let mut profile = lock(&timer.slot.profile);
        if profile.recent.keep(nanos, all.saturating_add(1)) {
            let outer = !stack.open.iter().any(|o| std::ptr::eq(o.slot, open.slot));
            let frames = &mut profile.frames;
            frames.weight += timer.weight;
            frames.timed += 1;
            frames.nanos += u128::from(nanos) * weight;
            frames.nested_timed += u128::from(stack.finished - open.finished) * weight;
            for (i, known) in stack.known.iter().enumerate() {
                let n = first.get(i).copied().unwrap_or_else(|| nested(i, known));
                if n > 0 {
                    frames.add_nested(known.counters, u128::from(n) * weight);
                }
                if outer && std::ptr::eq(known.slot, open.slot) {
                    frames.outer += weight;
                    frames.outer_runs += u128::from(n + 1) * weight;
                }
            }
        } else {
            profile.frames.dropped += 1;
        }
    }
    stack.finished += 1;
    if at == stack.open.len() {
        stack.runs.truncate(open.snapshot);
    } else {
        stack.runs.drain(open.snapshot..open.snapshot + open.seen);
        reindex(stack);
    }
    true
}

/// Self and total time of one function, estimated from its frames and those
/// of every function that ran inside them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Times {
    /// `tottime`: the body's own time, nested instrumented runs excluded.
    pub(crate) self_time: Option<Duration>,
    /// `cumtime`: including them, recursion counted once.
    pub(crate) total_time: Option<Duration>,
    /// The mean time of one run, nested runs of itself included (what one
    /// call of an uncached recursive function costs).
    pub(crate) frame_mean: Option<Duration>,
    /// How many runs were timed.
    pub(crate) timed: u64,
    /// Runs not nested in another run of the same function (cProfile's
    /// primitive calls), estimated: all runs over the runs one outer call
    /// makes, measured on frames that were not inside a frame of their own
    /// function.
    pub(crate) outer_runs: Option<u64>,
}

impl Times {
    /// `total_time` per run.
    pub(crate) fn mean(&self, runs: u64) -> Option<Duration> {
        let total = self.total_time?;
        (runs > 0).then(|| nanos(total.as_nanos() / u128::from(runs)))
    }
}

fn nanos(n: u128) -> Duration {
    Duration::from_nanos(u64::try_from(n).unwrap_or(u64::MAX))
}

/// One function in the system of equations.
struct Node {
    runs: u64,
    /// `T[f]`, corrected for the frames' own cost; `None` without frames.
    total: Option<f64>,
    /// `R[f][g]` by index into the nodes.
    nested: Vec<(usize, f64)>,
}

/// The functions of a system: the root (whose `Counters` the caller holds),
/// then every function that ran inside frames of those before it.
struct Index {
    root: *const Counters,
    others: Vec<&'static Counters>,
}

impl Index {
    fn len(&self) -> usize {
        1 + self.others.len()
    }

    fn of(&mut self, counters: &'static Counters) -> usize {
        if std::ptr::eq(self.root, counters) {
            return 0;
        }
        match self.others.iter().position(|c| std::ptr::eq(*c, counters)) {
            Some(at) => at + 1,
            None => {
                self.others.push(counters);
                self.others.len()
            }
        }
    }
}

/// What a function's frames say, scaled to its `runs`.
fn node(runs: u64, frames: &Frames, index: &mut Index) -> Node {
    let (own, nested_frame) = crate::calibrate::frame_costs();
    #[allow(clippy::cast_precision_loss)] // estimates
    let scale = if frames.weight == 0 {
        0.0
    } else {
        runs as f64 / frames.weight as f64
    };
    #[allow(clippy::cast_precision_loss)]
    let total = (frames.weight > 0).then(|| {
        let overhead = frames.weight as f64 * own.as_nanos() as f64
            + frames.nested_timed as f64 * nested_frame.as_nanos() as f64;
        (frames.nanos as f64 - overhead).max(0.0) * scale
    });
    let nested = frames
        .nested
        .iter()
        .map(|&(c, runs)| {
            #[allow(clippy::cast_precision_loss)]
            (index.of(c), runs as f64 * scale)
        })
        .collect();
    Node {
        runs,
        total,
        nested,
    }
}

/// The times of the function counted by `counters`, whose runs since the
/// last `clear()` are `runs` and whose merged frames are `frames`: solves the
/// system over it and every function that ran inside its frames, and inside
/// theirs.
pub(crate) fn times(counters: &Counters, runs: u64, frames: &Frames) -> Times {
    if frames.weight == 0 || runs == 0 {
        return Times {
            timed: frames.timed,
            ..Times::default()
        };
    }
    let mut index = Index {
        root: counters,
        others: Vec::new(),
    };
    let mut nodes = vec![node(runs, frames, &mut index)];
    while nodes.len() < index.len() {
        let (runs, frames) = index.others[nodes.len() - 1].runs_and_frames();
        nodes.push(node(runs, &frames, &mut index));
    }
    let x = solve(&nodes);
    let runs_of = |i: usize| nodes[i].runs.max(1);
    let self_total = x[0];
    // Runs of other functions inside this one's runs, each counted once.
    #[allow(clippy::cast_precision_loss)]
    let inside: f64 = nodes[0]
        .nested
        .iter()
        .filter(|&&(i, _)| i != 0)
        .map(|&(i, r)| r.min(runs_of(i) as f64) / runs_of(i) as f64 * x[i])
        .sum();
    let duration = |nanos: f64| Duration::from_nanos(nanos.max(0.0).round() as u64);
    #[allow(clippy::cast_precision_loss)]
    let frame_mean = nodes[0].total.map(|t| duration(t / runs as f64));
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let outer_runs = (frames.outer > 0).then(|| {
        let per_outer = (frames.outer_runs as f64 / frames.outer as f64).max(1.0);
        ((runs as f64 / per_outer).round() as u64).clamp(1, runs)
    });
    Times {
        self_time: Some(duration(self_total)),
        total_time: Some(duration(self_total + inside)),
        frame_mean,
        timed: frames.timed,
        outer_runs,
    }
}

/// Solves `T[f] = x[f] + sum_g R[f][g] x[g] / runs[g]` by Gaussian
/// elimination; a function without frames has `x = 0` (its time stays in
/// its callers' self time). Negative solutions (noise) become 0.
fn solve(nodes: &[Node]) -> Vec<f64> {
    let n = nodes.len();
    let mut a = vec![vec![0.0_f64; n + 1]; n];
    for (f, node) in nodes.iter().enumerate() {
        a[f][f] = 1.0;
        match node.total {
            Some(total) => {
                for &(g, r) in &node.nested {
                    #[allow(clippy::cast_precision_loss)]
                    let per_run = r / nodes[g].runs.max(1) as f64;
                    if nodes[g].total.is_some() {
                        a[f][g] += per_run;
                    }
                }
                a[f][n] = total;
            }
            None => a[f][n] = 0.0,
        }
    }
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        let p = a[col][col];
        if p.abs() < 1e-12 {
            continue;
        }
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            let factor = row[col] / p;
            if r != col && factor != 0.0 {
                for (x, &y) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= factor * y;
                }
            }
        }
    }
    (0..n)
        .map(|i| {
            if a[i][i].abs() < 1e-12 {
                0.0
            } else {
                (a[i][n] / a[i][i]).max(0.0)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(total: f64, runs: u64) -> Node {
        Node {
            runs,
            total: Some(total),
            nested: Vec::new(),
        }
    }

    #[test]
    fn a_parent_keeps_only_its_own_time() {
        // A parent run of 10 µs holding 4 child runs of 2 µs: 2 µs its own.
        let mut parent = leaf(10_000.0, 1);
        parent.nested.push((1, 4.0));
        let child = leaf(8_000.0, 4);
        let x = solve(&[parent, child]);
        assert!((x[0] - 2_000.0).abs() < 1e-6, "{x:?}");
        assert!((x[1] - 8_000.0).abs() < 1e-6, "{x:?}");
    }

    #[test]
    fn recursion_is_not_counted_twice() {
        // fib-like: 36 runs of 10 ns each; frames summed 36 runs' elapsed,
        // nested runs 630 in all (1 + 2 + ... + 35).
        let total = (1..=36).map(|n| f64::from(n) * 10.0).sum::<f64>();
        let mut fib = leaf(total, 36);
        fib.nested.push((0, 630.0));
        let x = solve(&[fib]);
        assert!((x[0] - 360.0).abs() < 1e-6, "{x:?}");
    }

    #[test]
    fn a_child_without_frames_stays_in_its_parent() {
        let mut parent = leaf(10_000.0, 1);
        parent.nested.push((1, 4.0));
        let child = Node {
            total: None,
            ..leaf(0.0, 4)
        };
        let x = solve(&[parent, child]);
        assert_eq!(x, vec![10_000.0, 0.0]);
    }
}
