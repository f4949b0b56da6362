//! The runtime of [`memo`](https://docs.rs/memo): the caches, tables and
//! counters behind `#[memoize]`, `#[precompute]` and `#[counted]`, and the
//! [`Stats`] and [`Report`] they feed.
//!
//! Users depend on the `memo` facade; this crate's public items are re-exported
//! there. Everything under [`__private`] is for generated code only.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The layers, bottom up: each imports only those above it in this list.
mod call;
mod counters;
mod function;
#[cfg(feature = "store")]
#[cfg_attr(docsrs, doc(cfg(feature = "store")))]
pub mod persist;
mod report;
mod store;
mod sync;

pub use call::Source;
pub use function::Kind;
pub use report::advice::{thresholds, Advice, Saving};
pub use report::stats::Stats;
pub use report::{report, report_on_exit, Report, ReportOnExit, SortBy};

/// What the generated code calls. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::call::*;
}
