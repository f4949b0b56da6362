//! Does a warm cache scale from one thread to two?
//!
//! For each strategy: the wall time of 1 thread doing N hits, and of
//! 2 threads each doing N hits at the same time (both after warming
//! their caches and meeting at a barrier). ratio = 2-thread total throughput
//! / 1-thread throughput = 2 * t1 / t2: 2.0 is perfect scaling on 2 free
//! cores, below 1.0 means a second thread makes the total slower.
//!
//! `cargo bench --bench scaling [-- RUNS [MILLIS]]`; prints the medians of
//! RUNS (default 7) alternating 1- and 2-thread runs, each thread doing about
//! MILLIS (default 60) ms of hits (calibrated per strategy on one thread).

mod common;

use std::sync::Barrier;
use std::time::{Duration, Instant};

use common::{Strategy, EVENTS, STRATEGIES};

/// Wall time of `threads` threads each running `batches` batches of `events`:
/// from the first thread's start to the last thread's end, both read by the
/// workers themselves (a main thread waiting for a core would read them late).
fn wall_time(
    strategy: &Strategy,
    events: &[(u32, u32)],
    threads: usize,
    batches: usize,
) -> Duration {
    let barrier = Barrier::new(threads);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    (strategy.warm)();
                    (strategy.run)(events);
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..batches {
                        std::hint::black_box((strategy.run)(std::hint::black_box(events)));
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a benchmark thread panicked"))
            .collect()
    });
    let first = spans
        .iter()
        .map(|s| s.0)
        .min()
        .expect("at least one thread");
    let last = spans
        .iter()
        .map(|s| s.1)
        .max()
        .expect("at least one thread");
    last - first
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Batches that one thread runs in about `target`.
fn calibrate(strategy: &Strategy, events: &[(u32, u32)], target: Duration) -> usize {
    let probe = 20;
    let took = wall_time(strategy, events, 1, probe);
    let per_batch = took.as_secs_f64() / probe as f64;
    ((target.as_secs_f64() / per_batch) as usize).max(probe)
}

fn main() {
    // `cargo bench` passes `--bench`; anything numeric is ours.
    let numbers: Vec<u64> = std::env::args().filter_map(|a| a.parse().ok()).collect();
    let runs = numbers.first().map_or(7, |&n| n as usize).max(1);
    let target = Duration::from_millis(numbers.get(1).copied().unwrap_or(60));
    let events = common::events(EVENTS);
    common::check_all_agree(&events);
    println!(
        "median of {runs} runs (1 and 2 threads alternating), each thread about {} ms of hits, {} cores",
        target.as_millis(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!("| strategy | 1 thread ns/op | 2 threads ns/op (total) | ratio 2T/1T |");
    println!("|---|---:|---:|---:|");
    for strategy in STRATEGIES.iter().filter(|s| s.scaling) {
        let batches = calibrate(strategy, &events, target);
        let lookups = (batches * events.len()) as f64;
        let (mut one, mut two, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let t1 = wall_time(strategy, &events, 1, batches).as_secs_f64();
            let t2 = wall_time(strategy, &events, 2, batches).as_secs_f64();
            one.push(t1 * 1e9 / lookups);
            two.push(t2 * 1e9 / (2.0 * lookups));
            ratio.push(2.0 * t1 / t2);
        }
        println!(
            "| {} | {:.2} | {:.2} | {:.2} |",
            strategy.name,
            median(&mut one),
            median(&mut two),
            median(&mut ratio)
        );
    }
}
