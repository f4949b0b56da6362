//! The runner's output: aligned tables for people, JSON for programs.

use std::time::Duration;

use crate::common::timing::format_duration;
use crate::results::Row;

/// A table of text cells: numbers right-aligned, text columns left-aligned.
struct Table {
    headers: Vec<String>,
    /// The indexes of the left-aligned (text) columns.
    left: &'static [usize],
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(headers: &[&str], left: &'static [usize]) -> Self {
        Table {
            headers: headers.iter().map(ToString::to_string).collect(),
            left,
            rows: Vec::new(),
        }
    }

    fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    fn print(&self) {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(column, (cell, &width))| {
                    if self.left.contains(&column) {
                        format!("{cell:<width$}")
                    } else {
                        format!("{cell:>width$}")
                    }
                })
                .collect();
            println!("{}", line.join("  ").trim_end());
        }
    }
}

/// The table of one case on one thread.
pub fn print_case(rows: &[Row]) {
    let mut table = Table::new(
        &[
            "strategy",
            "ns/event",
            "vs naive",
            "body runs",
            "build",
            "overhead vs hand-written twin",
        ],
        &[0, 5],
    );
    for row in rows {
        table.push(vec![
            row.strategy.to_string(),
            format!("{:.2}", row.ns_per_event),
            ratio(row.speedup_vs_naive),
            thousands(row.body_runs),
            row.build_ns
                .map_or_else(dash, |ns| format_duration(Duration::from_nanos(ns))),
            overhead(row),
        ]);
    }
    table.print();
}

/// The table of many threads beside one, for the rows on `threads` threads.
pub fn print_threads(one_thread: &[Row], threaded: &[Row], threads: usize) {
    let many = format!("{threads} threads (Mev/s)");
    let mut table = Table::new(
        &[
            "strategy",
            "1 thread (Mev/s)",
            &many,
            "ratio",
            "ns/event",
            "body runs",
        ],
        &[0],
    );
    for row in threaded {
        let single = one_thread
            .iter()
            .find(|single| single.strategy == row.strategy)
            .map_or_else(dash, |single| format!("{:.1}", single.events_per_sec / 1e6));
        table.push(vec![
            row.strategy.to_string(),
            single,
            format!("{:.1}", row.events_per_sec / 1e6),
            ratio(row.scaling_vs_one_thread),
            format!("{:.2}", row.ns_per_event),
            thousands(row.body_runs),
        ]);
    }
    table.print();
}

/// One line comparing strategies `a` and `b` in `rows`: which is faster, and by how much.
pub fn print_versus(rows: &[Row], a: &str, b: &str, when: &str) {
    let ns = |name: &str| {
        rows.iter()
            .find(|row| row.strategy == name)
            .map(|row| row.ns_per_event)
    };
    let (Some(a_ns), Some(b_ns)) = (ns(a), ns(b)) else {
        return;
    };
    let (fast, slow, times) = if a_ns <= b_ns {
        (a, b, b_ns / a_ns)
    } else {
        (b, a, a_ns / b_ns)
    };
    println!("{when}: {fast} is {times:.1}× faster than {slow}");
}

/// Every row as one JSON array.
pub fn print_json(rows: &[Row]) -> Result<(), serde_json::Error> {
    println!("{}", serde_json::to_string_pretty(rows)?);
    Ok(())
}

fn dash() -> String {
    "—".to_string()
}

fn ratio(value: Option<f64>) -> String {
    value.map_or_else(dash, |value| format!("{value:.2}×"))
}

/// `1.19× (+0.62 ns) vs hand FxHashMap`: how much slower (or faster) than its twin.
fn overhead(row: &Row) -> String {
    match (row.twin, row.overhead_vs_twin, row.overhead_ns_vs_twin) {
        (Some(twin), Some(times), Some(ns)) => format!("{times:.2}× ({ns:+.2} ns) vs {twin}"),
        _ => dash(),
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
