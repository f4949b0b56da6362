//! Memoization and precomputed tables for Rust functions, with exact counters
//! that cost nothing on the hit path and a report that says which fits.
//!
//! ```
//! use memo::memoize;
//!
//! #[memoize]
//! fn fib(n: u64) -> u64 {
//!     if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
//! }
//!
//! assert_eq!(fib(35), 9_227_465);
//! let s = fib::stats();
//! assert_eq!((s.calls, s.hits, s.misses), (69, 33, 36));
//! fib::clear();
//! ```
//!
//! See the README for every option.

pub use memo_core::{
    report, report_on_exit, thresholds, Advice, Kind, Report, ReportOnExit, Saving, SortBy, Stats,
};
pub use memo_macros::{counted, memoize, precompute};

/// What the generated code calls. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use memo_core::__private::*;
}
