//! Naive recursive Fibonacci under `#[counted]`: the Rust twin of the seed's
//! `fib_slow.py`, with the call count that `cProfile -s ncalls` showed.
//!
//! ```text
//! cargo run --release --example fib_slow -- 35
//! ```
//!
//! fib(n) makes `2 * fib(n + 1) - 1` calls (29,860,703 for n = 35) because
//! every value below n is recomputed again and again; `fib_cached` fixes that.

mod common;

use clap::Parser;
use memo::counted;

use common::cli::{exit_on_error, BoxError};
use common::timing::{format_duration, time};

/// The largest n whose fib(n) fits in a u64.
const MAX_N: u32 = 93;
/// Above this n the run takes minutes or more, so the program warns first.
const WARN_ABOVE: u32 = 45;

/// Compute fib(N) the slow way and count the calls it takes.
#[derive(Parser, Debug)]
struct Args {
    /// Which Fibonacci number to compute (fib(0) = 0, fib(1) = 1).
    n: u32,
}

/// The n-th Fibonacci number, by the definition and nothing else.
#[counted]
fn fib(n: u32) -> u64 {
    if n < 2 {
        u64::from(n)
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

/// How many calls the naive recursion makes for fib(n): `2 * fib(n + 1) - 1`,
/// worked out by iteration in u128, which holds it for every n ≤ 93.
fn expected_calls(n: u32) -> u128 {
    let (mut a, mut b) = (0u128, 1u128);
    for _ in 0..=n {
        (a, b) = (b, a + b);
    }
    2 * a - 1
}

fn main() {
    exit_on_error(run(&Args::parse()));
}

fn run(args: &Args) -> Result<(), BoxError> {
    let n = args.n;
    if n > MAX_N {
        return Err(format!(
            "fib({n}) does not fit in a u64 (the largest that does is fib({MAX_N})); \
             try `fib_cached`, which works in u128 up to fib(186)"
        )
        .into());
    }
    if n > WARN_ABOVE {
        eprintln!(
            "warning: fib({n}) makes {} calls and will take a very long time; \
             press Ctrl-C to stop, or try `fib_cached {n}`",
            expected_calls(n)
        );
    }
    let (value, elapsed) = time(|| fib(n));
    let stats = fib::stats();
    println!("fib({n}) = {value}");
    println!("time:  {}", format_duration(elapsed));
    println!("calls: {}", stats.calls);
    println!();
    print!("{}", memo::report());
    Ok(())
}
