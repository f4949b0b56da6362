//! Does a warm cache scale from one thread to two?
//!
//! For each strategy: the wall time of 1 thread doing N hits, and of
//! 2 threads each doing N hits at the same time (both after warming
//! their caches and meeting at a barrier). ratio = 2-thread total throughput
//! / 1-thread throughput = 2 * t1 / t2: 2.0 is perfect scaling on 2 free
//! cores, below 1.0 means a second thread makes the total slower.
//!
//! `cargo bench --bench scaling [-- RUNS [MILLIS]] [STRATEGY...]` prints
//! the medians of RUNS (default 9) rounds; a round runs every strategy on 1
//! then on 2 threads, each thread doing about MILLIS (default 30) ms of hits
//! (calibrated per strategy on one thread). Names pick strategies (default:
//! those marked for scaling in `common`). `MEMO_BENCH_QUICK=1`: 3 rounds of 10 ms.

mod common;

use std::time::Duration;

use common::{wall_time, Strategy, EVENTS, STRATEGIES};

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
    // `cargo bench` passes `--bench`; numbers are RUNS and MILLIS, names pick strategies.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let numbers: Vec<u64> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let only: Vec<&String> = args.iter().filter(|a| a.parse::<u64>().is_err()).collect();
    // `MEMO_BENCH_QUICK=1`: 3 rounds of 10 ms unless given.
    let (default_runs, default_millis) = if common::quick() { (3, 10) } else { (9, 30) };
    let runs = numbers.first().map_or(default_runs, |&n| n as usize).max(1);
    let target = Duration::from_millis(numbers.get(1).copied().unwrap_or(default_millis));
    let events = common::events(EVENTS);
    common::check_all_agree(&events);
    println!(
        "median of {runs} rounds (each: every strategy, 1 then 2 threads), \
         each thread about {} ms of hits, {} cores",
        target.as_millis(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!("| strategy | 1 thread ns/op | 2 threads ns/op (total) | ratio 2T/1T |");
    println!("|---|---:|---:|---:|");
    let chosen: Vec<&Strategy> = STRATEGIES
        .iter()
        .filter(|s| {
            if only.is_empty() {
                s.scaling
            } else {
                only.iter().any(|o| *o == s.name)
            }
        })
        .collect();
    let batches: Vec<usize> = chosen
        .iter()
        .map(|s| calibrate(s, &events, target))
        .collect();
    // Rounds visit every strategy in turn, so that a burst of other work on
    // the machine lands on all of them rather than on one.
    let mut samples = vec![(Vec::new(), Vec::new(), Vec::new()); chosen.len()];
    for _ in 0..runs {
        for (i, strategy) in chosen.iter().enumerate() {
            let lookups = (batches[i] * events.len()) as f64;
            let t1 = wall_time(strategy, &events, 1, batches[i]).as_secs_f64();
            let t2 = wall_time(strategy, &events, 2, batches[i]).as_secs_f64();
            samples[i].0.push(t1 * 1e9 / lookups);
            samples[i].1.push(t2 * 1e9 / (2.0 * lookups));
            samples[i].2.push(2.0 * t1 / t2);
        }
    }
    // The goal compares ratios measured in the same rounds.
    let find = |name: &str| chosen.iter().position(|s| s.name == name);
    let paired = |a: usize, b: usize| -> f64 {
        let mut per_round: Vec<f64> = samples[a]
            .2
            .iter()
            .zip(&samples[b].2)
            .map(|(x, y)| x / y)
            .collect();
        median(&mut per_round)
    };
    let goals: Vec<String> = [
        ("memo_shared", "hand_fx_thread_local", "  (goal: >= 0.9)"),
        ("memo_thread_local", "hand_fx_thread_local", ""),
        ("memo_precompute", "hand_flat", ""),
    ]
    .iter()
    .filter_map(|&(a, b, goal)| {
        let value = paired(find(a)?, find(b)?);
        Some(format!(
            "ratio of {a} / ratio of {b}, median over rounds: {value:.2}{goal}"
        ))
    })
    .collect();
    for (strategy, (one, two, ratio)) in chosen.iter().zip(&mut samples) {
        println!(
            "| {} | {:.2} | {:.2} | {:.2} |",
            strategy.name,
            median(one),
            median(two),
            median(ratio)
        );
    }
    println!();
    for goal in goals {
        println!("{goal}");
    }
}
