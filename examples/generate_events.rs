//! Writes seeded random events for the config validators: the Rust twin of
//! the seed's `generate_events.py`.
//!
//! ```text
//! cargo run --release --example generate_events                 # 100000 events, seed 42, events.txt
//! cargo run --release --example generate_events -- 2000 --seed 7 --out /tmp/small.txt
//! ```
//!
//! The file format is documented in `examples/common/events.rs`.

mod common;

use std::path::PathBuf;

use clap::Parser;

use common::cli::{exit_on_error, BoxError};
use common::events::{
    generate_events, write_events, DEFAULT_EVENTS_PATH, DEFAULT_EVENT_COUNT, DEFAULT_SEED,
};

/// Write N seeded random events (rule ids and event types in 0..20) for the config validators.
#[derive(Parser, Debug)]
struct Args {
    /// How many events to write.
    #[arg(default_value_t = DEFAULT_EVENT_COUNT)]
    count: usize,
    /// The random seed: the same seed writes the same events.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Where to write them.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_EVENTS_PATH)]
    out: PathBuf,
}

fn main() {
    exit_on_error(run(&Args::parse()));
}

fn run(args: &Args) -> Result<(), BoxError> {
    if args.count == 0 {
        return Err("the event count must be at least 1".into());
    }
    let events = generate_events(args.count, args.seed);
    write_events(&args.out, &events, args.seed)?;
    println!(
        "wrote {} events (seed {}) to {}",
        events.len(),
        args.seed,
        args.out.display()
    );
    Ok(())
}
