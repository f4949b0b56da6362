//! `#[precompute]`: every answer in a flat table, one load per event. The
//! Rust twin of the seed's `config_validator_precomputed.py`.
//!
//! ```text
//! cargo run --release --example generate_events
//! cargo run --release --example config_validator_precomputed
//! ```
//!
//! The domain is known and small (20 rules × 20 event types), so the macro
//! builds `table[rule_id * 20 + event_type]` once, here before timing, and a
//! call is an index: no hashing, no probing, no key to build.

mod common;

use clap::Parser;
use memo::{counted, precompute};

use common::cli::{exit_on_error, ValidatorArgs};
use common::events::{Event, N_EVENT_TYPES, N_RULES};
use common::rules::validate_rule_slow;
use common::timing::{format_duration, time};

/// Validate every event through a #[precompute] table of all 400 answers.
#[derive(Parser, Debug)]
struct Args {
    #[command(flatten)]
    run: ValidatorArgs,
}

/// `validate_rule_slow` for every rule and event type, computed once.
#[precompute(domain = (0..N_RULES, 0..N_EVENT_TYPES))]
fn validate_rule_table(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// The loop over the events, `#[counted]` so that the report shows its own
/// time: the seed's Step 4 compares this row's `tottime` across validators.
#[counted]
fn process_events(events: &[Event]) -> usize {
    common::rules::process_events(events, validate_rule_table)
}

fn main() {
    let args = Args::parse();
    let build_table = || {
        let ((), build) = time(validate_rule_table::init);
        println!(
            "table:      {} entries, built in {} before timing",
            validate_rule_table::stats().entries,
            format_duration(build)
        );
    };
    exit_on_error(common::run_validator(
        "config validator, precomputed: #[precompute] answers from a flat table",
        &args.run,
        build_table,
        &[process_events::clear, validate_rule_table::clear],
        process_events,
    ));
}
