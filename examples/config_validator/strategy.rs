//! What the runner knows about one way of validating events.

use crate::common::events::Event;

/// One strategy: how to run it over the events, and how to read what it did.
///
/// Every field is a plain `fn`, so a strategy is `Sync` and runs on many
/// threads at once. `count_valid` calls the validator through a generic
/// loop inside it, so the validator is inlined there: the one indirect call
/// is per run, not per event.
pub struct Strategy {
    /// The row's name.
    pub name: &'static str,
    /// The hand-written strategy this one is measured against.
    pub twin: Option<&'static str>,
    /// One-time work before any run (building a table); timed once.
    pub build: Option<fn()>,
    /// Clears caches and zeroes counters before each run.
    pub reset: fn(),
    /// Runs the strategy over the events and counts the valid ones.
    pub count_valid: fn(&[Event]) -> usize,
    /// Executions of the validator's body since the last `reset` (and by
    /// `build`, for tables), given the calls made since: every event of
    /// every thread and pass.
    pub body_runs: fn(u64) -> u64,
}

/// A `reset` for strategies that keep nothing between runs.
pub fn keep_nothing() {}

/// `body_runs` for a strategy that runs the body on every call.
pub fn every_call(calls: u64) -> u64 {
    calls
}
