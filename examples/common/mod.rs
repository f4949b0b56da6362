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

use std::path::Path;

use cli::BoxError;
use events::read_events;
use rules::process_events;
use timing::{format_duration, ns_per_event, time};

/// The body of the three single-strategy validators: reads the events at
/// `path`, prints `title`, runs `setup` (untimed), counts the valid events
/// once with `validate`, and prints the count, the time per event and
/// `memo::report()`.
pub fn run_validator(
    title: &str,
    path: &Path,
    setup: impl FnOnce(),
    validate: impl Fn(u32, u32) -> bool,
) -> Result<(), BoxError> {
    let events = read_events(path)?;
    println!("{title}");
    setup();
    let (valid, elapsed) = time(|| process_events(&events, validate));
    println!("events:     {} (from {})", events.len(), path.display());
    println!("valid:      {valid}");
    println!(
        "time:       {} ({:.2} ns/event)",
        format_duration(elapsed),
        ns_per_event(elapsed, events.len())
    );
    println!();
    println!("memo::report():");
    print!("{}", memo::report());
    Ok(())
}
