//! Wall-clock helpers.

use std::time::{Duration, Instant};

/// Runs `f` once and returns its result and how long it took.
pub fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

/// The median of `samples` (the upper one of the middle two for an even
/// count), or zero for none. Less sensitive than the mean to the odd run
/// that a page fault or another process slowed down.
pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// Nanoseconds per event for `events` events processed in `elapsed`.
#[allow(clippy::cast_precision_loss)] // a figure for people to read
pub fn ns_per_event(elapsed: Duration, events: usize) -> f64 {
    elapsed.as_nanos() as f64 / events.max(1) as f64
}

/// `elapsed` with a unit that keeps three significant digits: `850 ns`,
/// `4.10 µs`, `12.3 ms`, `1.23 s`.
pub fn format_duration(elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let (value, unit) = if secs >= 1.0 {
        (secs, "s")
    } else if secs >= 1e-3 {
        (secs * 1e3, "ms")
    } else if secs >= 1e-6 {
        (secs * 1e6, "µs")
    } else {
        return format!("{} ns", elapsed.as_nanos());
    };
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$} {unit}")
}
