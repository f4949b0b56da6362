//! Results that outlive the process: `#[memoize(store = disk)]` in front of a
//! function that is really expensive (tens of milliseconds per input).
//!
//! ```text
//! cargo run --release --features disk --example persistent -- --dir /tmp/memo-demo
//! cargo run --release --features disk --example persistent -- --dir /tmp/memo-demo   # again
//! ```
//!
//! The first run computes every input; the second, a new process, answers
//! every input from the disk store with zero body runs. With `--redis URL`
//! the store is a Redis server instead, shared by every process that uses it:
//! start two at once, one with `--reverse`, and they split the work (each
//! finds what the other computed when they meet in the middle).
//! `--clear` empties this function's entries first.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use memo::memoize;

use common::cli::{exit_on_error, BoxError};

/// Score the first N inputs through a memoized function with a disk store.
#[derive(Parser, Debug)]
struct Args {
    /// The cache directory (default: `MEMO_CACHE_DIR`, else the platform's).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Use a Redis server at this URL instead of the disk.
    #[arg(long)]
    redis: Option<String>,
    /// How many inputs.
    #[arg(long, default_value_t = 20)]
    inputs: u64,
    /// Clear the function's stored entries first.
    #[arg(long)]
    clear: bool,
    /// Walk the inputs from the last to the first (start a second process
    /// with it beside one without: they meet in the middle).
    #[arg(long)]
    reverse: bool,
}

/// Stands for an expensive computation (a parse, a solver, a remote call):
/// 20 ms of waiting, then a number derived from the input.
#[memoize(store = disk, version = 1)]
fn score(input: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(20));
    input.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) % 1_000
}

/// The same through Redis.
#[memoize(store = redis, version = 1)]
fn score_shared(input: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(20));
    input.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) % 1_000
}

/// The inputs in the order asked for.
fn inputs(args: &Args) -> Box<dyn Iterator<Item = u64>> {
    if args.reverse {
        Box::new((0..args.inputs).rev())
    } else {
        Box::new(0..args.inputs)
    }
}

fn run(args: &Args) -> Result<(), BoxError> {
    let started = Instant::now();
    let (sum, stats) = if let Some(url) = &args.redis {
        memo::store::redis::set_url(url)?;
        if args.clear {
            score_shared::clear();
        }
        let sum: u64 = inputs(args).map(score_shared).sum();
        (sum, score_shared::stats())
    } else {
        if let Some(dir) = &args.dir {
            memo::store::disk::open(dir)?;
        }
        if args.clear {
            score::clear();
        }
        let sum: u64 = inputs(args).map(score).sum();
        (sum, score::stats())
    };
    println!(
        "{} inputs, sum of scores {sum}, in {:.1} ms",
        args.inputs,
        started.elapsed().as_secs_f64() * 1e3
    );
    println!(
        "calls {}, body runs {}, answered by the store {}, store errors {}",
        stats.calls, stats.misses, stats.store_hits, stats.store_errors
    );
    if let Some(latency) = stats.store_latency {
        println!("mean store operation {:.1} µs", latency.as_secs_f64() * 1e6);
    }
    Ok(())
}

fn main() {
    let args = Args::parse();
    exit_on_error(run(&args));
}
