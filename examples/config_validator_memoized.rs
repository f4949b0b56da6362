//! `#[memoize]` in front of the validator: the Rust twin of the seed's
//! `config_validator_memoized.py` (`@lru_cache`).
//!
//! ```text
//! cargo run --release --example generate_events
//! cargo run --release --example config_validator_memoized
//! ```
//!
//! The report shows 400 misses (one body run per distinct input) and the
//! rest hits. The body is now cheap next to the lookup: hashing the key and
//! probing the cache is what each event costs, which `config_validator`
//! measures beside a hand-written `FxHashMap` and a flat table.

mod common;

use clap::Parser;
use memo::{counted, memoize};

use common::cli::{exit_on_error, ValidatorArgs};
use common::events::Event;
use common::rules::validate_rule_slow;

/// Validate every event through a #[memoize] cache, and show its hits and misses.
#[derive(Parser, Debug)]
struct Args {
    #[command(flatten)]
    run: ValidatorArgs,
}

/// `validate_rule_slow`, cached: one cache shared by all threads.
#[memoize]
fn validate_rule_cached(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// The loop over the events, `#[counted]` so that the report shows its own
/// time: the seed's Step 4 compares this row's `tottime` across validators.
#[counted]
fn process_events(events: &[Event]) -> usize {
    common::rules::process_events(events, validate_rule_cached)
}

fn main() {
    let args = Args::parse();
    exit_on_error(common::run_validator(
        "config validator, memoized: #[memoize] runs the body once per distinct input",
        &args.run,
        || {},
        &[process_events::clear, validate_rule_cached::clear],
        process_events,
    ));
}
