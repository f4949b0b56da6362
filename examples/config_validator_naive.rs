//! The baseline: `validate_rule_slow` runs once per event. The Rust twin of
//! the seed's `config_validator_naive.py`.
//!
//! ```text
//! cargo run --release --example generate_events
//! cargo run --release --example config_validator_naive
//! ```
//!
//! The validator is `#[counted]`, so `memo::report()` plays the part of
//! `cProfile -s ncalls`: one call per event, though only 400 distinct inputs
//! exist. Counting costs one thread-local increment per call; the
//! `config_validator` runner shows it beside the uncounted function.

mod common;

use clap::Parser;
use memo::counted;

use common::cli::{exit_on_error, ValidatorArgs};
use common::events::Event;
use common::rules::validate_rule_slow;

/// Validate every event with no caching at all, and show how often the validator ran.
#[derive(Parser, Debug)]
struct Args {
    #[command(flatten)]
    run: ValidatorArgs,
}

/// `validate_rule_slow`, with a call counter.
///
/// `black_box` keeps the optimizer from moving this pure body out from
/// between the clock reads of a timed call (it may, since nothing in the
/// body depends on them), which would charge its time to `process_events`.
#[counted]
fn validate_rule(rule_id: u32, event_type: u32) -> bool {
    std::hint::black_box(validate_rule_slow(rule_id, event_type))
}

/// The loop over the events, `#[counted]` so that the report shows its own
/// time: the seed's Step 4 compares this row's `tottime` across validators.
#[counted]
fn process_events(events: &[Event]) -> usize {
    common::rules::process_events(events, validate_rule)
}

fn main() {
    let args = Args::parse();
    exit_on_error(common::run_validator(
        "config validator, naive: validate_rule_slow runs for every event",
        &args.run,
        || {},
        &[process_events::clear, validate_rule::clear],
        process_events,
    ));
}
