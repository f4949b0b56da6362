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
//! body; both are calibrated once per process (`report::calibrate::frame_costs`); `report::times` solves the system.
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
    /// Forgets every frame, keeping the allocation of `nested`.
    pub(crate) fn clear(&mut self) {
        let mut nested = std::mem::take(&mut self.nested);
        nested.clear();
        *self = Frames {
            nested,
            ..Frames::default()
        };
    }

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
