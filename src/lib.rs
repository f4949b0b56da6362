#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use memo_core::{
    report, report_on_exit, thresholds, Advice, Kind, Report, ReportOnExit, Source, Stats,
};
#[doc = include_str!("../docs/counted.md")]
pub use memo_macros::counted;
#[doc = include_str!("../docs/memoize.md")]
pub use memo_macros::memoize;
#[doc = include_str!("../docs/precompute.md")]
pub use memo_macros::precompute;

/// Second-level stores behind the in-process cache (`#[memoize(store = …)]`):
/// the disk store, the Redis store and the [`Backend`](store::Backend) trait
/// for your own. Cargo features `store`, `disk`, `redis`, `redis-tls`.
#[cfg(feature = "store")]
pub use memo_core::persist as store;

/// What the generated code calls. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use memo_core::__private::*;
}
