//! `memo::report()`: every instrumented function as a profiler-style table
//! (`ncalls`, `tottime`, `cumtime`, `percall`), with one piece of advice per
//! function.

use std::fmt::{self, Write as _};
use std::str::FromStr;
use std::time::Duration;

pub(crate) mod advice;
pub(crate) mod calibrate;
pub(crate) mod stats;
mod times;

use crate::function::Function;
use advice::time;
use stats::Stats;

/// A snapshot of every instrumented function's counters and times, sorted
/// by name unless [`sorted_by`](Report::sorted_by) says otherwise.
///
/// # Reading the times
///
/// `tottime` is the time spent in a function's body itself; `cumtime`
/// includes the instrumented functions it calls, a recursive function's
/// nested runs counted once (see [`Stats::self_time`] and
/// [`Stats::total_time`]). A cache hit or table load runs no body: its cost
/// is in its caller's `tottime`, so a loop calling a cached function shows
/// the lookups as its own time, as cProfile shows an `lru_cache` lookup in
/// the caller's.
///
/// Times come from timed runs, not from every call: the first three runs of
/// a function on each thread, then one in 64, and the first after `clear()`
/// on the clearing thread; each timed run stands for the runs since the
/// previous one. Counting the runs nested inside each timed run is exact.
/// So a time is a sampled estimate: for runs of similar cost its error is
/// a few percent; a function whose runs vary widely (a recursive one whose
/// runs are subtrees of every size) is estimated from fewer comparable
/// samples; a caller's `tottime` is what is left once its callees' estimated
/// time is taken out, and carries their error when they take most of its
/// time. The clock reads of timing (about one `Instant::now()` per timed run,
/// and what a timed run costs a timed run around it) are calibrated and
/// subtracted. A timed run that took over 100 times the recent median (and
/// over 100 µs), as when the thread lost its core, is left out.
///
/// ```
/// #[memo::counted]
/// fn work(n: u64) -> u64 { (0..n).sum() }
///
/// work(10);
/// let report = memo::report();
/// let row = report.iter().find(|s| s.name.ends_with("::work")).unwrap();
/// assert_eq!(row.calls, 1);
/// assert!(report.get(row.name).is_some());
/// assert!(report.to_json().contains("\"tottime_ns\""));
/// let table = report.sorted_by(memo::SortBy::TotTime).to_string(); // the profiler view
/// assert!(table.contains("tottime"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Report {
    rows: Vec<Stats>,
}

/// What [`Report::sorted_by`] orders the rows by, like `cProfile -s`. Times
/// and counts sort largest first; ties, and rows without a time, by name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SortBy {
    /// The function's name (the default).
    #[default]
    Name,
    /// `ncalls`: calls, hits included.
    Calls,
    /// `tottime`: the body's own time.
    TotTime,
    /// `cumtime`: the body's time with what it calls.
    CumTime,
}

impl FromStr for SortBy {
    type Err = String;

    /// `name`, `calls` (or `ncalls`), `tottime` (or `time`), `cumtime` (or
    /// `cumulative`), as `cProfile -s` spells them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "name" | "stdname" => Ok(SortBy::Name),
            "calls" | "ncalls" => Ok(SortBy::Calls),
            "tottime" | "time" => Ok(SortBy::TotTime),
            "cumtime" | "cumulative" => Ok(SortBy::CumTime),
            other => Err(format!(
                "unknown order `{other}`; use name, calls, tottime or cumtime"
            )),
        }
    }
}

/// Takes a snapshot of every memoized, precomputed and counted function in the
/// program, called or not.
#[must_use]
pub fn report() -> Report {
    let mut rows: Vec<Stats> = Function::registered().map(Function::stats).collect();
    rows.sort_by(|a, b| a.name.cmp(b.name));
    Report { rows }
}

impl Report {
    /// The row of the function named `name` (`module::path::fn`).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Stats> {
        self.rows.iter().find(|s| s.name == name)
    }

    /// Every row, in the report's order.
    pub fn iter(&self) -> impl Iterator<Item = &Stats> {
        self.rows.iter()
    }

    /// The number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the program has no instrumented function.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows ordered by `key`: `report().sorted_by(SortBy::TotTime)` is
    /// `cProfile -s tottime`.
    #[must_use]
    pub fn sorted_by(mut self, key: SortBy) -> Report {
        let time = |t: Option<Duration>| std::cmp::Reverse(t.unwrap_or(Duration::ZERO));
        self.rows.sort_by(|a, b| {
            let order = match key {
                SortBy::Name => std::cmp::Ordering::Equal,
                SortBy::Calls => b.calls.cmp(&a.calls),
                SortBy::TotTime => time(a.self_time).cmp(&time(b.self_time)),
                SortBy::CumTime => time(a.total_time).cmp(&time(b.total_time)),
            };
            order.then_with(|| a.name.cmp(b.name))
        });
        self
    }

    /// The report as a JSON array, one object per function, in the report's
    /// order. Every object has these keys, in this order; times are whole
    /// nanoseconds, `null` when unknown (no run timed yet):
    ///
    /// | key | type | meaning |
    /// |---|---|---|
    /// | `name` | string | `module::path::fn` |
    /// | `kind` | string | `memoize`, `precompute` or `counted` |
    /// | `calls` | integer | every call (`ncalls`) |
    /// | `hits` | integer | calls answered without running the body |
    /// | `misses` | integer | runs of the body |
    /// | `entries` | integer | entries held, or the table's length |
    /// | `evictions` | integer | entries dropped to make room |
    /// | `hit_rate` | number | `hits / calls`, 4 decimals |
    /// | `body_mean_ns` | integer or null | `cumtime` per run (kept from the first version; same as `cumtime_percall_ns` for a function that does not recurse) |
    /// | `lookup_ns` | integer or null | one lookup, calibrated (`#[memoize]` only) |
    /// | `distinct` | integer or null | distinct inputs seen (estimated above 256) |
    /// | `tottime_ns` | integer or null | time in the body itself |
    /// | `tottime_percall_ns` | integer or null | `tottime` per run |
    /// | `cumtime_ns` | integer or null | time in the body with what it calls, recursion counted once |
    /// | `cumtime_percall_ns` | integer or null | `cumtime` per outer run (cProfile's primitive calls) |
    /// | `outer_runs` | integer or null | runs not nested in a run of the same function (estimated) |
    /// | `timed_runs` | integer | runs that were timed |
    /// | `advice` | string | [`Advice::name`](crate::Advice::name) |
    /// | `advice_text` | string | the advice as the table prints it |
    /// | `saving_per_call_ns` | number or null | what the advice would save per call |
    /// | `saving_total_ns` | integer or null | ... over the calls counted |
    /// | `waited` | integer | hits that waited for another caller's run (`single_flight`) |
    /// | `errors` | integer | runs of the body that returned `Err` |
    /// | `stale` | integer | of those, calls answered with the expired value (`stale_on_error`) |
    /// | `store_hits` | integer | hits the second-level store answered (`store = ...`) |
    /// | `store_misses` | integer | store reads that found nothing fresh |
    /// | `store_errors` | integer | store operations that failed (each a miss, never a failed call) |
    /// | `store_latency_ns` | integer or null | the mean store operation |
    ///
    /// New keys are only ever added, after the existing ones.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::from("[");
        for (i, s) in self.rows.iter().enumerate() {
            let opt = |v: Option<u128>| v.map_or_else(|| "null".to_string(), |v| v.to_string());
            let ns = |d: Option<Duration>| opt(d.map(|d| d.as_nanos()));
            let advice = s.advice();
            let saving = advice.saving();
            let _ = write!(
                out,
                "{}\n  {{\"name\": {}, \"kind\": \"{}\", \"calls\": {}, \"hits\": {}, \"misses\": {}, \
                 \"entries\": {}, \"evictions\": {}, \"hit_rate\": {:.4}, \"body_mean_ns\": {}, \
                 \"lookup_ns\": {}, \"distinct\": {}, \"tottime_ns\": {}, \"tottime_percall_ns\": {}, \
                 \"cumtime_ns\": {}, \"cumtime_percall_ns\": {}, \"outer_runs\": {}, \
                 \"timed_runs\": {}, \"advice\": \"{}\", \"advice_text\": {}, \
                 \"saving_per_call_ns\": {}, \"saving_total_ns\": {}, \"waited\": {}, \
                 \"errors\": {}, \"stale\": {}, \"store_hits\": {}, \"store_misses\": {}, \
                 \"store_errors\": {}, \"store_latency_ns\": {}}}",
                if i == 0 { "" } else { "," },
                json_string(s.name),
                s.kind.as_str(),
                s.calls,
                s.hits,
                s.misses,
                s.entries,
                s.evictions,
                s.hit_rate(),
                ns(s.body_mean),
                ns(s.lookup_cost),
                opt(s.distinct.map(u128::from)),
                ns(s.self_time),
                ns(s.self_mean()),
                ns(s.total_time),
                ns(s.total_per_outer_run()),
                opt(s.outer_runs.map(u128::from)),
                s.timed_runs,
                advice.name(),
                json_string(&advice.to_string()),
                saving.map_or_else(|| "null".to_string(), |s| format!("{:.2}", s.per_call_ns)),
                ns(saving.map(|s| s.total)),
                s.waited,
                s.errors,
                s.stale,
                s.store_hits,
                s.store_misses,
                s.store_errors,
                ns(s.store_latency),
            );
        }
        out.push_str("\n]\n");
        out
    }
}

fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl<'a> IntoIterator for &'a Report {
    type Item = &'a Stats;
    type IntoIter = std::slice::Iter<'a, Stats>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

const HEADERS: [&str; 14] = [
    "function",
    "kind",
    "ncalls",
    "hits",
    "misses",
    "hit rate",
    "entries",
    "evictions",
    "tottime",
    "percall",
    "cumtime",
    "percall",
    "lookup",
    "distinct",
];

fn cells(s: &Stats) -> [String; 14] {
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    let ncalls = match s.outer_runs {
        // cProfile's `69/1`: all calls, then those not from the function itself.
        Some(outer) if s.is_recursive() && s.hits == 0 => format!("{}/{outer}", s.calls),
        _ => s.calls.to_string(),
    };
    [
        s.name.to_string(),
        s.kind.as_str().to_string(),
        ncalls,
        s.hits.to_string(),
        s.misses.to_string(),
        format!("{:.1}%", s.hit_rate() * 100.0),
        s.entries.to_string(),
        s.evictions.to_string(),
        or_dash(s.self_time.map(time)),
        or_dash(s.self_mean().map(time)),
        or_dash(s.total_time.map(time)),
        or_dash(s.total_per_outer_run().map(time)),
        or_dash(s.lookup_cost.map(time)),
        or_dash(s.distinct.map(|d| d.to_string())),
    ]
}

impl fmt::Display for Report {
    /// One row per function, the name column left-aligned and numbers
    /// right-aligned, then one line of advice per function.
    ///
    /// Columns: `ncalls` (calls; `total/outer` for a recursive function
    /// without a cache, as cProfile prints it), `hits`, `misses` (runs of
    /// the body), `hit rate`, `entries`, `evictions`, `tottime` and its
    /// `percall` (per run), `cumtime` and its `percall` (per outer run),
    /// `lookup` (a calibrated hit) and `distinct` (inputs seen).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<[String; 14]> = self.rows.iter().map(cells).collect();
        let mut widths = HEADERS.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, row: &[&str]| -> fmt::Result {
            for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
                let sep = if i == 0 { "" } else { "  " };
                if i < 2 {
                    write!(f, "{sep}{cell:<width$}")?;
                } else {
                    write!(f, "{sep}{cell:>width$}")?;
                }
            }
            writeln!(f)
        };
        line(f, &HEADERS)?;
        for row in &rows {
            line(f, &row.each_ref().map(String::as_str))?;
        }
        if !self.rows.is_empty() {
            writeln!(f, "\nadvice:")?;
            for s in &self.rows {
                writeln!(f, "  {}: {}", s.name, s.advice())?;
            }
        }
        // The second-level stores (`store = ...`), for the functions that
        // have one (or have used one).
        let stored: Vec<&Stats> = self
            .rows
            .iter()
            .filter(|s| s.store_hits + s.store_misses + s.store_errors > 0)
            .collect();
        if !stored.is_empty() {
            writeln!(f, "\nstores:")?;
            for s in stored {
                let latency = s
                    .store_latency
                    .map_or_else(String::new, |l| format!(", {} per operation", time(l)));
                writeln!(
                    f,
                    "  {}: {} hits, {} misses, {} errors{latency}",
                    s.name, s.store_hits, s.store_misses, s.store_errors
                )?;
            }
        }
        Ok(())
    }
}

/// Prints the report to standard error when dropped: keep it alive in `main`.
#[must_use = "the report prints when this value is dropped"]
pub struct ReportOnExit {
    enabled: bool,
    order: Result<SortBy, String>,
}

/// A guard that prints [`report()`] to standard error when `main` returns, if
/// the environment variable `MEMO_REPORT` is set to anything but `0`. Its
/// value may name the order, like `cProfile -s`: `MEMO_REPORT=tottime`,
/// `cumtime`, `calls` or `name` (`1`, or anything else, sorts by name; an
/// unknown order is said in the report's last line).
///
/// ```
/// # use memo_core as memo;
/// let _report = memo::report_on_exit();
/// ```
pub fn report_on_exit() -> ReportOnExit {
    let value = std::env::var("MEMO_REPORT").unwrap_or_default();
    let enabled = std::env::var_os("MEMO_REPORT").is_some_and(|v| v != "0");
    let order = match value.trim() {
        "" | "1" => Ok(SortBy::Name),
        other => other.parse(),
    };
    ReportOnExit { enabled, order }
}

impl Drop for ReportOnExit {
    fn drop(&mut self) {
        if self.enabled {
            let order = self.order.clone().unwrap_or_default();
            eprint!("{}", report().sorted_by(order));
            if let Err(why) = &self.order {
                eprintln!("MEMO_REPORT: {why}; sorted by name");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_parse_as_cprofile_spells_them() {
        assert_eq!("tottime".parse(), Ok(SortBy::TotTime));
        assert_eq!("time".parse(), Ok(SortBy::TotTime));
        assert_eq!("cumulative".parse(), Ok(SortBy::CumTime));
        assert_eq!(" CUMTIME ".parse(), Ok(SortBy::CumTime));
        assert_eq!("ncalls".parse(), Ok(SortBy::Calls));
        assert_eq!("name".parse(), Ok(SortBy::Name));
        assert!("fastest".parse::<SortBy>().is_err());
    }
}
