//! Generated code must add no warning to a strict user crate: this test crate
//! denies `warnings`, `missing_docs`, `unsafe_code` and clippy's `all` and
//! `pedantic` groups, and CI runs clippy on it (`--all-targets`).
#![deny(warnings, missing_docs, unsafe_code)]
#![deny(clippy::all, clippy::pedantic)]

use memo::{counted, memoize};

/// Fibonacci, memoized.
#[memoize]
#[must_use]
pub fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

/// Counts a string's bytes, keyed by the borrowed string.
#[memoize(capacity = 8, ttl = "1h")]
#[must_use]
pub fn byte_len(s: &str, extra: usize) -> usize {
    s.len() + extra
}

/// Parses, caching only successes.
///
/// # Errors
/// When `s` is not a number.
#[memoize(thread_local)]
pub fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
    s.parse()
}

/// Counted only.
#[counted]
#[must_use]
pub fn square(x: u32) -> u32 {
    x * x
}

/// A type with a memoized method.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rect {
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

impl Rect {
    /// The area, memoized per rectangle.
    #[memoize]
    #[must_use]
    pub fn area(&self) -> u64 {
        u64::from(self.w) * u64::from(self.h)
    }

    /// Keyed by the width only.
    #[memoize(key = self.w)]
    #[must_use]
    pub fn width_label(&self) -> String {
        format!("w={}", self.w)
    }

    /// Counted method.
    #[counted]
    #[must_use]
    pub fn perimeter(&self) -> u64 {
        2 * (u64::from(self.w) + u64::from(self.h))
    }
}

/// Doubles a rectangle: the key and the value are the user's type, whose
/// bounds the macro writes as `where` clauses at the types.
#[memoize]
#[must_use]
pub fn doubled(r: Rect, by: &Rect) -> Rect {
    Rect {
        w: r.w * 2 + by.w,
        h: r.h * 2 + by.h,
    }
}

/// A generic function: bounds on its type parameter stay assertions.
#[memoize]
#[must_use]
pub fn described<T: std::fmt::Debug + Clone + Eq + std::hash::Hash + Send + Sync + 'static>(
    t: T,
    r: Rect,
) -> String {
    format!("{t:?} {}", r.w)
}

#[test]
fn strict_crate_compiles_and_runs() {
    let unit = Rect { w: 1, h: 1 };
    assert_eq!(doubled(unit.clone(), &unit), Rect { w: 3, h: 3 });
    assert_eq!(described(7_u8, unit), "7 1");
    assert_eq!(fib(30), 832_040);
    assert_eq!(byte_len("abc", 1), 4);
    assert_eq!(parse("7"), Ok(7));
    assert!(parse("x").is_err());
    assert_eq!(square(3), 9);
    let r = Rect { w: 2, h: 3 };
    assert_eq!(r.area(), 6);
    assert_eq!(r.width_label(), "w=2");
    assert_eq!(r.perimeter(), 10);
}
