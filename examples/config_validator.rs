//! The comparison runner: the Rust twin of the seed's `config_validator.py`,
//! and the example to run first.
//!
//! ```text
//! cargo run --release --example config_validator
//! cargo run --release --example config_validator -- --threads 2
//! cargo run --release --example config_validator -- --json
//! cargo run --release --example config_validator -- --threads 2 --plot strategies.svg
//! ```
//!
//! Runs every strategy over the same events and checks that they all count
//! the same valid events (exit code 1 if not):
//!
//! - **dense**: the seed's exercise, 400 distinct inputs. Naive, `#[counted]`,
//!   `#[memoize]`, `#[memoize(thread_local)]` and `#[precompute]`, each beside
//!   its hand-written twin: a thread-local `FxHashMap`, a flat `[bool; 400]`,
//!   a 2D `[[bool; 20]; 20]`. Tables are built once before timing.
//! - **sparse**: a 2,000 × 2,000 domain compiled in, the same 400 inputs
//!   seen. A table's build is part of its cost there, and memoization wins.
//! - `--threads N`: every dense strategy on N threads at once, each over all
//!   the events: which strategies scale, and which collapse when threads
//!   share a cache.
//! - `--plot PATH`: the figures as an SVG bar chart (log scale), each memo
//!   strategy beside its hand-written twin, and the thread ratios with
//!   `--threads`.
//!
//! Each figure is the median of `--runs` runs; caches are cleared and
//! counters zeroed before each run, so body runs are those of one run.

mod common;

#[path = "config_validator/dense.rs"]
mod dense;
#[path = "config_validator/measure.rs"]
mod measure;
#[path = "config_validator/output.rs"]
mod output;
#[path = "config_validator/plot.rs"]
mod plot;
#[path = "config_validator/results.rs"]
mod results;
#[path = "config_validator/sparse.rs"]
mod sparse;
#[path = "config_validator/strategy.rs"]
mod strategy;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;

use common::cli::{exit_on_error, BoxError};
use common::events::{
    generate_events, read_events, Event, DEFAULT_EVENTS_PATH, DEFAULT_EVENT_COUNT, DEFAULT_SEED,
    N_EVENT_TYPES, N_RULES,
};
use results::Row;
use strategy::Strategy;

/// How long one thread should work in one run of `--threads`.
const THREAD_RUN: Duration = Duration::from_millis(10);
/// The most passes over the events one thread makes in one run of `--threads`.
const MAX_PASSES: usize = 1_000;

/// Run every caching strategy over the same events, check that they agree, and compare them.
#[derive(Parser, Debug)]
struct Args {
    /// The events file [default: events.txt, or the default events generated
    /// in memory if that file does not exist].
    #[arg(long, value_name = "PATH")]
    events: Option<PathBuf>,
    /// Timed runs per strategy; each figure is their median.
    #[arg(long, default_value_t = 21, value_parser = clap::value_parser!(u16).range(1..))]
    runs: u16,
    /// Also run every dense strategy on this many threads at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: u16,
    /// Print the results as a JSON array instead of tables.
    #[arg(long)]
    json: bool,
    /// Also write the results as an SVG bar chart to this file.
    #[arg(long, value_name = "PATH")]
    plot: Option<PathBuf>,
}

fn main() {
    exit_on_error(run(&Args::parse()));
}

fn run(args: &Args) -> Result<(), BoxError> {
    let (events, source) = load_events(args.events.as_deref())?;
    let runs = usize::from(args.runs);
    let threads = usize::from(args.threads);
    if args.json {
        // stdout is the JSON alone.
        eprintln!("events: {source}");
    } else {
        println!("events: {source}");
    }

    let sparse_events = sparse::spread(&events);
    let mut rows = measure_case("dense", &dense::strategies(), &events, runs, false)?;
    rows.extend(measure_case(
        "sparse",
        &sparse::strategies(),
        &sparse_events,
        runs,
        true,
    )?);
    if threads > 1 {
        let threaded = measure_threads(&dense::strategies(), &events, runs, threads, &rows)?;
        rows.extend(threaded);
    }
    results::compare(&mut rows);

    if args.json {
        output::print_json(&rows)?;
    } else {
        let distinct = events.iter().collect::<HashSet<_>>().len();
        print_tables(&rows, events.len(), distinct, runs, threads);
    }
    if let Some(path) = &args.plot {
        plot::write_svg(path, &rows, threads)
            .map_err(|e| format!("cannot write the chart to {}: {e}", path.display()))?;
        if args.json {
            eprintln!("chart: {}", path.display());
        } else {
            println!("\nchart: {}", path.display());
        }
    }
    let disagreements = results::disagreements(&rows);
    if disagreements.is_empty() {
        Ok(())
    } else {
        Err(format!("strategies disagree: {}", disagreements.join("; ")).into())
    }
}

/// The events of `--events`; without it, `events.txt` if it exists, else
/// the default events generated in memory. Also says where they came from.
fn load_events(path: Option<&Path>) -> Result<(Vec<Event>, String), BoxError> {
    let default = Path::new(DEFAULT_EVENTS_PATH);
    let path = match path {
        Some(path) => path,
        None if default.exists() => default,
        None => {
            let events = generate_events(DEFAULT_EVENT_COUNT, DEFAULT_SEED);
            let source = format!(
                "{} generated in memory with seed {DEFAULT_SEED} \
                 ({DEFAULT_EVENTS_PATH} not found; `generate_events` writes the same ones)",
                events.len()
            );
            return Ok((events, source));
        }
    };
    let events = read_events(path)?;
    let source = format!("{} read from {}", events.len(), path.display());
    Ok((events, source))
}

/// One row per strategy, each measured on one thread; `charge_build` makes
/// a table's build part of its cost per event.
fn measure_case(
    case: &'static str,
    strategies: &[Strategy],
    events: &[Event],
    runs: usize,
    charge_build: bool,
) -> Result<Vec<Row>, BoxError> {
    strategies
        .iter()
        .map(|strategy| {
            let measured = measure::on_one_thread(strategy, events, runs)?;
            Ok(Row::one_thread(
                case,
                strategy,
                events.len(),
                &measured,
                charge_build,
            ))
        })
        .collect()
}

/// One row per dense strategy on `threads` threads at once, each thread
/// going over the events as many times as one thread needs for
/// [`THREAD_RUN`].
fn measure_threads(
    strategies: &[Strategy],
    events: &[Event],
    runs: usize,
    threads: usize,
    one_thread: &[Row],
) -> Result<Vec<Row>, BoxError> {
    strategies
        .iter()
        .filter_map(|strategy| {
            let single = one_thread
                .iter()
                .find(|row| row.case == "dense" && row.strategy == strategy.name)?;
            let pass_ns = single.lookup_ns_per_event * events.len() as f64;
            let passes = (THREAD_RUN.as_nanos() as f64 / pass_ns).ceil();
            // A float-to-int `as` saturates; the clamp keeps a run bounded.
            let passes = (passes as usize).clamp(1, MAX_PASSES);
            Some(
                measure::on_threads(strategy, events, runs, threads, passes)
                    .map(|measured| Row::threaded(single, threads, &measured)),
            )
        })
        .collect()
}

/// The tables, each with the notes that say how to read it.
fn print_tables(rows: &[Row], events: usize, distinct: usize, runs: usize, threads: usize) {
    let case = |name: &str, threads: usize| -> Vec<Row> {
        rows.iter()
            .filter(|row| row.case == name && row.threads == threads)
            .cloned()
            .collect()
    };
    let dense = case("dense", 1);
    let sparse = case("sparse", 1);
    println!("timing: median of {runs} runs per strategy; caches cleared before each run");
    println!();
    println!(
        "dense: {N_RULES} rules × {N_EVENT_TYPES} event types, {distinct} of the {} inputs seen",
        N_RULES * N_EVENT_TYPES
    );
    println!("tables (`build`) are built once before timing: ns/event is lookups only");
    output::print_case(&dense);
    print_agreement(&dense);
    output::print_versus(
        &dense,
        dense::MEMOIZE,
        dense::PRECOMPUTE,
        "every input known and small",
    );
    println!();
    println!(
        "sparse: {side} × {side} domain compiled in ({entries} entries), the same {distinct} inputs seen",
        side = sparse::SIDE,
        entries = output::thousands(u64::from(sparse::SIDE * sparse::SIDE))
    );
    println!("ns/event counts the table build: (build + lookups) / {events} events");
    output::print_case(&sparse);
    print_agreement(&sparse);
    output::print_versus(
        &sparse,
        dense::MEMOIZE,
        sparse::PRECOMPUTE_BUILT,
        "few of many inputs seen, build counted",
    );
    if threads > 1 {
        println!();
        println!(
            "threads: every dense strategy on {threads} threads at once, each thread going over \
             all {events} events (repeated to about {} ms of work per run)",
            THREAD_RUN.as_millis()
        );
        println!("ratio = throughput on {threads} threads / throughput on 1; above 1 scales, below 1 collapses");
        output::print_threads(&dense, &case("dense", threads), threads);
    } else {
        println!();
        println!("run with --threads 2 to see which strategies scale across threads");
    }
}

/// One line saying whether the case's strategies agree.
fn print_agreement(rows: &[Row]) {
    let Some(first) = rows.first() else { return };
    if rows.iter().all(|row| row.valid == first.valid) {
        println!(
            "all {} strategies agree: {} of {} events valid",
            rows.len(),
            output::thousands(first.valid as u64),
            output::thousands(first.events as u64)
        );
    } else {
        println!("STRATEGIES DISAGREE on the valid count; see the error below");
    }
}
