//! A `#[counted]` function; `counted.expanded.rs` beside this file is what it
//! expands to.

use memo::counted;

/// Naive Fibonacci, with its calls counted.
#[counted]
pub fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}
