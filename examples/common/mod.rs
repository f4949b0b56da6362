//! Code shared by the example binaries: the Rust twin of the seed's `common.py`.
//!
//! - [`events`]: the event type, the events file format, its reader and writer;
//! - [`rules`]: the function every validator caches, and the loop that runs it;
//! - [`timing`]: wall-clock helpers (a median of repeated runs, readable durations);
//! - [`cli`]: the command-line pieces the binaries share and the error exit.
//!
//! Each example is its own crate and compiles this module with `mod common;`,
//! using only part of it, hence the `dead_code` allowance below.

#![allow(dead_code)]

pub mod cli;
pub mod events;
pub mod rules;
pub mod timing;

use cli::{BoxError, ValidatorArgs};
use events::{read_events, Event};
use timing::{format_duration, median, ns_per_event, time};

/// The body of the three single-strategy validators: reads the events of
/// `args`, prints `title`, runs `setup` (untimed), then `args.runs` times
/// calls every `clear` and counts the valid events with `process` (the
/// validator's own `#[counted] process_events`); prints the count, the
/// median time per event and `memo::report()` sorted by `tottime` (the
/// seed's `cProfile -s tottime`), whose counters, cleared before each run,
/// are those of the last run.
pub fn run_validator(
    title: &str,
    args: &ValidatorArgs,
    setup: impl FnOnce(),
    clear: &[fn()],
    process: fn(&[Event]) -> usize,
) -> Result<(), BoxError> {
    let events = read_events(&args.events)?;
    println!("{title}");
    setup();
    let mut valid = 0;
    let mut samples = Vec::new();
    for _ in 0..args.runs {
        for clear in clear {
            clear();
        }
        let (count, elapsed) = time(|| process(&events));
        valid = count;
        samples.push(elapsed);
    }
    let elapsed = median(&samples);
    println!(
        "events:     {} (from {})",
        events.len(),
        args.events.display()
    );
    println!("valid:      {valid}");
    println!(
        "time:       {} ({:.2} ns/event, median of {} runs)",
        format_duration(elapsed),
        ns_per_event(elapsed, events.len()),
        args.runs
    );
    println!();
    println!("memo::report(), sorted by tottime (counters and times of the last run):");
    print!("{}", memo::report().sorted_by(memo::SortBy::TotTime));
    Ok(())
}
