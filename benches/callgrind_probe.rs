//! Runs one strategy over the events a given number of times, for counting
//! instructions under `valgrind --tool=callgrind`: the difference between the
//! counts of `REPS` and `2 * REPS` batches, divided by `REPS * 4096`, is the
//! instructions per event (start-up, warming and the table build cancel out).
//!
//! `benches/callgrind.sh` runs it; by hand:
//! `target/release/deps/callgrind_probe-* STRATEGY REPS`.
//! Under `cargo bench` (no strategy given) it lists the strategies.

mod common;

use std::hint::black_box;

use common::EVENTS;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (Some(name), Some(reps)) = (
        args.first(),
        args.get(1).and_then(|r| r.parse::<usize>().ok()),
    ) else {
        let names: Vec<&str> = common::STRATEGIES.iter().map(|s| s.name).collect();
        println!(
            "usage: callgrind_probe STRATEGY REPS\nstrategies: {}",
            names.join(" ")
        );
        return;
    };
    let Some(strategy) = common::strategy(name) else {
        eprintln!("unknown strategy `{name}`");
        std::process::exit(2);
    };
    let events = common::events(EVENTS);
    (strategy.warm)();
    let mut valid = 0;
    for _ in 0..reps {
        valid += (strategy.run)(black_box(&events));
    }
    println!("{name}: {valid} valid events in {reps} batches of {EVENTS}");
}
