//! Runs one strategy over the events a given number of times, for counting
//! instructions under `valgrind --tool=callgrind`: the difference between the
//! counts of `REPS` and `2 * REPS` batches, divided by `REPS * 4096`, is the
//! instructions per event (start-up, warming and the table build cancel out).
//!
//! `benches/callgrind.sh` runs it; by hand:
//! `target/release/deps/callgrind_probe-* STRATEGY REPS`.
//! Under `cargo bench` (no strategy given) it lists the strategies.
//!
//! The cold strategies (`fib_hand_fx`, `fib_memo_thread_local`, ...) run REPS
//! fills of fib(90) from empty instead (`clear(); fill()`): the difference of
//! the counts at REPS and 2 * REPS, divided by REPS, is instructions per fill.

mod common;

use std::hint::black_box;

use common::EVENTS;

/// The cold fills whose instructions `callgrind.sh` counts.
const COLD: [&str; 5] = [
    "fib_hand_fx",
    "fib_hand_vec",
    "fib_memo_thread_local",
    "fib_memo_shared",
    "fib_memoize_crate_fx",
];

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
            "usage: callgrind_probe STRATEGY REPS\nstrategies: {}\ncold: {}",
            names.join(" "),
            COLD.join(" ")
        );
        return;
    };
    if let Some(cold) = common::cold::cold(name) {
        let mut sum = 0u64;
        for _ in 0..reps {
            (cold.clear)();
            sum = sum.wrapping_add(black_box((cold.fill)()));
        }
        println!("{name}: {reps} fills from empty, checksum {sum}");
        return;
    }
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
