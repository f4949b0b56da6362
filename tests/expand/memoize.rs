//! Representative `#[memoize]` functions; `memoize.expanded.rs` beside this file
//! is what they expand to.

use memo::memoize;

/// The default: one cache shared by all threads.
#[memoize]
pub fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

/// A bounded, expiring cache keyed by a borrowed string; `Err` is not cached.
#[memoize(capacity = 1024, ttl = "30s")]
fn parse(s: &str, radix: u32) -> Result<u64, std::num::ParseIntError> {
    u64::from_str_radix(s, radix)
}

/// One cache per thread.
#[memoize(thread_local)]
fn validate(rule_id: u32, event_type: u32) -> bool {
    (rule_id * 31 + event_type) % 3 != 0
}

struct Rect {
    w: u32,
}

impl Rect {
    /// A method: `self` is part of the key; its state lives in its body.
    #[memoize(key = self.w)]
    fn label(&self) -> String {
        format!("w={}", self.w)
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Point {
    x: i64,
}

/// Keys and a value of the user's types: their bounds are `where` clauses,
/// spanned at the types, so an unmet one is reported once, there.
#[memoize]
pub fn shift(p: Point, by: &Point) -> Point {
    Point { x: p.x + by.x }
}
