#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use memo_core::{
    report, report_on_exit, thresholds, Advice, Kind, Report, ReportOnExit, Saving, SortBy, Source,
    Stats,
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
#[cfg_attr(docsrs, doc(cfg(feature = "store")))]
pub use memo_core::persist as store;

/// `store = disk`: the disk store of the crate that expands it.
#[doc(hidden)]
#[macro_export]
#[cfg(feature = "disk")]
macro_rules! __store_disk {
    () => {
        $crate::store::disk::backend(::core::env!("CARGO_PKG_NAME"))
    };
}

/// `store = disk` without the feature: one error that says what to do.
#[doc(hidden)]
#[macro_export]
#[cfg(not(feature = "disk"))]
macro_rules! __store_disk {
    () => {
        ::core::compile_error!(
            "`store = disk` needs memo's `disk` feature: `memo = { ..., features = [\"disk\"] }`"
        )
    };
}

/// `store = redis`: the Redis store.
#[doc(hidden)]
#[macro_export]
#[cfg(feature = "redis")]
macro_rules! __store_redis {
    () => {
        $crate::store::redis::backend()
    };
}

/// `store = redis` without the feature.
#[doc(hidden)]
#[macro_export]
#[cfg(not(feature = "redis"))]
macro_rules! __store_redis {
    () => {
        ::core::compile_error!(
            "`store = redis` needs memo's `redis` feature: `memo = { ..., features = [\"redis\"] }`"
        )
    };
}

/// Any `store = ...` without the `store` feature (a user backend needs it too).
#[doc(hidden)]
#[macro_export]
#[cfg(not(feature = "store"))]
macro_rules! __store_feature {
    () => {
        ::core::compile_error!(
            "`store = ...` needs one of memo's features `store` (a user backend), `disk` or `redis`"
        );
    };
}

/// With the `store` feature: nothing to say.
#[doc(hidden)]
#[macro_export]
#[cfg(feature = "store")]
macro_rules! __store_feature {
    () => {};
}

/// What the generated code calls. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use memo_core::__private::*;
}
