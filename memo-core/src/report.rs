//! `memo::report()`: every instrumented function as a profiler-style table.

use std::fmt;

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
}

impl<'a> IntoIterator for &'a Report {
    type Item = &'a Stats;
    type IntoIter = std::slice::Iter<'a, Stats>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

const HEADERS: [&str; 8] = [
    "function",
    "kind",
    "calls",
    "hits",
    "misses",
    "hit rate",
    "entries",
    "evictions",
];

fn cells(s: &Stats) -> [String; 8] {
    [
        s.name.to_string(),
        s.kind.as_str().to_string(),
        s.calls.to_string(),
        s.hits.to_string(),
        s.misses.to_string(),
        format!("{:.1}%", s.hit_rate() * 100.0),
        s.entries.to_string(),
        s.evictions.to_string(),
    ]
}

impl fmt::Display for Report {
    /// One row per function; the name column left-aligned, numbers right-aligned.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<[String; 8]> = self.rows.iter().map(cells).collect();
        let mut widths = HEADERS.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.len());
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
        Ok(())
    }
}
