//! `memo::report()`: every instrumented function as a profiler-style table,
//! with one piece of advice per function.

use std::fmt::{self, Write as _};

use crate::advice::nanos;
use crate::registry;
use crate::stats::Stats;

/// A snapshot of every instrumented function's counters, sorted by name.
#[derive(Clone, Debug, Default)]
pub struct Report {
    rows: Vec<Stats>,
}

/// Takes a snapshot of every memoized, precomputed and counted function in the
/// program, called or not.
#[must_use]
pub fn report() -> Report {
    let mut rows: Vec<Stats> = registry::functions()
        .map(crate::function::Function::stats)
        .collect();
    rows.sort_by(|a, b| a.name.cmp(b.name));
    Report { rows }
}

impl Report {
    /// The row of the function named `name` (`module::path::fn`).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Stats> {
        self.rows.iter().find(|s| s.name == name)
    }

    /// Every row, sorted by name.
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

    /// The report as a JSON array, one object per function.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::from("[");
        for (i, s) in self.rows.iter().enumerate() {
            let opt = |v: Option<u128>| v.map_or_else(|| "null".to_string(), |v| v.to_string());
            let advice = s.advice();
            let _ = write!(
                out,
                "{}\n  {{\"name\": {}, \"kind\": \"{}\", \"calls\": {}, \"hits\": {}, \"misses\": {}, \
                 \"entries\": {}, \"evictions\": {}, \"hit_rate\": {:.4}, \"body_mean_ns\": {}, \
                 \"lookup_ns\": {}, \"distinct\": {}, \"advice\": \"{}\", \"advice_text\": {}}}",
                if i == 0 { "" } else { "," },
                json_string(s.name),
                s.kind.as_str(),
                s.calls,
                s.hits,
                s.misses,
                s.entries,
                s.evictions,
                s.hit_rate(),
                opt(s.body_mean.map(|d| d.as_nanos())),
                opt(s.lookup_cost.map(|d| d.as_nanos())),
                opt(s.distinct.map(u128::from)),
                advice.name(),
                json_string(&advice.to_string()),
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

const HEADERS: [&str; 11] = [
    "function",
    "kind",
    "calls",
    "hits",
    "misses",
    "hit rate",
    "entries",
    "evictions",
    "body mean",
    "lookup",
    "distinct",
];

fn cells(s: &Stats) -> [String; 11] {
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    [
        s.name.to_string(),
        s.kind.as_str().to_string(),
        s.calls.to_string(),
        s.hits.to_string(),
        s.misses.to_string(),
        format!("{:.1}%", s.hit_rate() * 100.0),
        s.entries.to_string(),
        s.evictions.to_string(),
        or_dash(s.body_mean.map(nanos)),
        or_dash(s.lookup_cost.map(nanos)),
        or_dash(s.distinct.map(|d| d.to_string())),
    ]
}

impl fmt::Display for Report {
    /// One row per function, the name column left-aligned and numbers
    /// right-aligned, then one line of advice per function.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<[String; 11]> = self.rows.iter().map(cells).collect();
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
        Ok(())
    }
}

/// Prints the report to standard error when dropped: keep it alive in `main`.
#[must_use = "the report prints when this value is dropped"]
pub struct ReportOnExit {
    enabled: bool,
}

/// A guard that prints [`report()`] to standard error when `main` returns, if
/// the environment variable `MEMO_REPORT` is set to anything but `0`.
///
/// ```
/// # use memo_core as memo;
/// let _report = memo::report_on_exit();
/// ```
pub fn report_on_exit() -> ReportOnExit {
    let enabled = std::env::var_os("MEMO_REPORT").is_some_and(|v| v != "0");
    ReportOnExit { enabled }
}

impl Drop for ReportOnExit {
    fn drop(&mut self) {
        if self.enabled {
            eprint!("{}", report());
        }
    }
}
