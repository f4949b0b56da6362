#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub use memo_core::{
    report, report_on_exit, thresholds, Advice, Kind, Report, ReportOnExit, Source, Stats,
};
pub use memo_macros::{counted, memoize, precompute};

/// What the generated code calls. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use memo_core::__private::*;
}
