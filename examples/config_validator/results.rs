//! The runner's results: one row per strategy, case and thread count, and
//! the figures derived from comparing rows.

use std::time::Duration;

use serde::Serialize;

use crate::common::timing::ns_per_event;
use crate::dense::NAIVE;
use crate::measure::{Measurement, ThreadedMeasurement};
use crate::strategy::Strategy;

/// One strategy's result in one case, on one or more threads. Serialized
/// as is by `--json`.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// `dense` or `sparse`.
    pub case: &'static str,
    /// The strategy's name.
    pub strategy: &'static str,
    /// How many threads ran the strategy at once, each over all the events.
    pub threads: usize,
    /// The events in the case; each thread processes them all, once per pass.
    pub events: usize,
    /// Wall time per event processed: the median run divided by every
    /// event of every thread, plus the build when the case charges it.
    pub ns_per_event: f64,
    /// `ns_per_event` without the build.
    pub lookup_ns_per_event: f64,
    /// The one-time build (tables), in nanoseconds.
    pub build_ns: Option<u64>,
    /// Events processed per second, all threads together, build not counted.
    pub events_per_sec: f64,
    /// `ns_per_event` of naive over this strategy's, same case and threads.
    pub speedup_vs_naive: Option<f64>,
    /// The hand-written strategy this one is compared with.
    pub twin: Option<&'static str>,
    /// `ns_per_event` of this strategy over its twin's.
    pub overhead_vs_twin: Option<f64>,
    /// `ns_per_event` of this strategy minus its twin's.
    pub overhead_ns_vs_twin: Option<f64>,
    /// Throughput on `threads` threads over throughput on one (rows with
    /// more than one thread).
    pub scaling_vs_one_thread: Option<f64>,
    /// Valid events counted (by each thread).
    pub valid: usize,
    /// Executions of the validator's body: in the last run, all threads
    /// together, plus the table build for tables.
    pub body_runs: u64,
}

impl Row {
    /// The row of a one-thread measurement; `charge_build` adds the build's
    /// time to the cost per event.
    pub fn one_thread(
        case: &'static str,
        strategy: &Strategy,
        events: usize,
        measured: &Measurement,
        charge_build: bool,
    ) -> Row {
        let lookups = ns_per_event(measured.run, events);
        let charged = match measured.build {
            Some(build) if charge_build => ns_per_event(build, events),
            _ => 0.0,
        };
        Row {
            case,
            strategy: strategy.name,
            threads: 1,
            events,
            ns_per_event: lookups + charged,
            lookup_ns_per_event: lookups,
            build_ns: measured.build.map(nanos),
            events_per_sec: per_second(measured.run, events),
            speedup_vs_naive: None,
            twin: strategy.twin,
            overhead_vs_twin: None,
            overhead_ns_vs_twin: None,
            scaling_vs_one_thread: None,
            valid: measured.valid,
            body_runs: measured.body_runs,
        }
    }

    /// The row of a many-thread measurement, beside the same strategy's
    /// one-thread row.
    pub fn threaded(one_thread: &Row, threads: usize, measured: &ThreadedMeasurement) -> Row {
        let processed = one_thread.events * threads * measured.passes;
        let events_per_sec = per_second(measured.wall, processed);
        let ns = ns_per_event(measured.wall, processed);
        Row {
            threads,
            ns_per_event: ns,
            lookup_ns_per_event: ns,
            build_ns: None,
            events_per_sec,
            speedup_vs_naive: None,
            overhead_vs_twin: None,
            overhead_ns_vs_twin: None,
            scaling_vs_one_thread: Some(events_per_sec / one_thread.events_per_sec),
            valid: measured.valid,
            body_runs: measured.body_runs,
            ..one_thread.clone()
        }
    }
}

/// Fills in each row's speedup over naive and overhead over its twin, from
/// the rows of the same case and thread count.
pub fn compare(rows: &mut [Row]) {
    let lookup = |rows: &[Row], case: &str, threads: usize, name: &str| {
        rows.iter()
            .find(|row| row.case == case && row.threads == threads && row.strategy == name)
            .map(|row| row.ns_per_event)
    };
    for i in 0..rows.len() {
        let (case, threads, ns) = (rows[i].case, rows[i].threads, rows[i].ns_per_event);
        let naive = lookup(rows, case, threads, NAIVE);
        let twin = rows[i]
            .twin
            .and_then(|twin| lookup(rows, case, threads, twin));
        let row = &mut rows[i];
        row.speedup_vs_naive = naive.map(|naive| naive / ns);
        row.overhead_vs_twin = twin.map(|twin| ns / twin);
        row.overhead_ns_vs_twin = twin.map(|twin| ns - twin);
    }
}

/// Each case in which a strategy's valid count differs from naive's, as
/// one line per disagreement.
pub fn disagreements(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .filter_map(|row| {
            let naive = rows
                .iter()
                .find(|naive| naive.case == row.case && naive.strategy == NAIVE)?;
            (row.valid != naive.valid).then(|| {
                format!(
                    "{} case: {} on {} thread(s) counted {} valid events, naive {}",
                    row.case, row.strategy, row.threads, row.valid, naive.valid
                )
            })
        })
        .collect()
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[allow(clippy::cast_precision_loss)] // a figure for people to read
fn per_second(elapsed: Duration, events: usize) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        events as f64 / secs
    } else {
        f64::INFINITY
    }
}
