//! Self time and total time per function (`tottime`, `cumtime`), solved
//! from the frames that `counters::frames` collects: see that module for
//! the model and its error.

use std::time::Duration;

use super::calibrate;
use crate::counters::frames::Frames;
use crate::counters::Counters;

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
    let (own, nested_frame) = calibrate::frame_costs();
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
    fn more_runs_than_a_u32_holds_do_not_saturate() {
        static COUNTERS: Counters = Counters::new();
        // 64 timed runs of 1 ms standing for 5e9 runs: 5e6 s in all.
        let frames = Frames {
            weight: 64,
            timed: 64,
            nanos: 64 * 1_000_000,
            ..Frames::default()
        };
        let runs = 5_000_000_000;
        let t = times(&COUNTERS, runs, &frames);
        let total = t.total_time.unwrap().as_secs_f64();
        assert!((4.9e6..5.0e6).contains(&total), "{total} s");
        let mean = t.mean(runs).unwrap().as_secs_f64();
        assert!((0.98e-3..=1.0e-3).contains(&mean), "{mean} s");
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
