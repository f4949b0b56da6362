//! Memoized Fibonacci: the Rust twin of the seed's `fib_cached.py`
//! (`@lru_cache`).
//!
//! ```text
//! cargo run --release --example fib_cached -- 35
//! ```
//!
//! The same recursion as `fib_slow`, behind `#[memoize]`: fib(35) now makes
//! 69 calls, 36 of which run the body (one per value 0..=35) and 33 of which
//! are answered by the cache. u128 holds every result up to fib(186).

mod common;

use clap::Parser;
use memo::memoize;

use common::cli::{exit_on_error, BoxError};
use common::timing::{format_duration, time};

/// The largest n whose fib(n) fits in a u128.
const MAX_N: u32 = 186;

/// Compute fib(N) through a cache and show its calls, hits and misses.
#[derive(Parser, Debug)]
struct Args {
    /// Which Fibonacci number to compute (fib(0) = 0, fib(1) = 1).
    n: u32,
}

/// The n-th Fibonacci number, by the definition, each value computed once.
#[memoize]
fn fib(n: u32) -> u128 {
    if n < 2 {
        u128::from(n)
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

fn main() {
    exit_on_error(run(&Args::parse()));
}

fn run(args: &Args) -> Result<(), BoxError> {
    let n = args.n;
    if n > MAX_N {
        return Err(format!(
            "fib({n}) does not fit in a u128 (the largest that does is fib({MAX_N}))"
        )
        .into());
    }
    let (value, elapsed) = time(|| fib(n));
    let stats = fib::stats();
    println!("fib({n}) = {value}");
    println!("time:   {}", format_duration(elapsed));
    println!("calls:  {}", stats.calls);
    println!("hits:   {}", stats.hits);
    println!("misses: {} (body runs)", stats.misses);
    println!();
    print!("{}", memo::report());
    Ok(())
}
