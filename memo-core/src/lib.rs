//! The runtime of [`memo`](https://docs.rs/memo): the caches, tables and
//! counters behind `#[memoize]`, `#[precompute]` and `#[counted]`, and the
//! [`Stats`] and [`Report`] they feed.
//!
//! Users depend on the `memo` facade; this crate's public items are re-exported
//! there. Everything under [`__private`] is for generated code only.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod advice;
mod calibrate;
mod checks;
mod counters;
mod flight;
mod frames;
mod function;
mod lookup;
mod memoize;
#[cfg(feature = "store")]
#[cfg_attr(docsrs, doc(cfg(feature = "store")))]
pub mod persist;
mod profile;
mod registry;
mod report;
mod sketch;
mod stats;
mod store;
mod sync;
mod table;
mod touched;

pub use advice::{thresholds, Advice, Saving};
pub use memoize::Source;
pub use report::{report, report_on_exit, Report, ReportOnExit, SortBy};
pub use stats::{Kind, Stats};

/// What the generated code calls. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "store")]
    pub use crate::checks::assert_stored;
    pub use crate::checks::{assert_key, assert_value};
    pub use crate::counters::{
        count_method, count_miss, count_sampled, tick, LocalCounts, ThreadSlot, Timer,
    };
    pub use crate::function::{Function, Info, Instance, StoreStats};
    pub use crate::lookup::{Lookup, Owned};
    pub use crate::memoize::{
        always, fill, fill_async, get, identity, insert, lookup, remove, traced, ttl_fn,
        typed_future, Computed, ErasedLocal, Local, LocalSlot, Miss, NoStore, NoTtl, Rule, Rules,
        Tier,
    };
    #[cfg(feature = "store")]
    pub use crate::persist::__private as persist;
    pub use crate::profile::{Hashed, KeyProbe, Observe, Unhashed};
    pub use crate::registry::Registration;
    pub use crate::stats::Kind;
    pub use crate::table::{assert_table_value, out_of_domain};
    pub use crate::table::{cold_hit, cold_hit_const, hit, hit_const, LocalCells, Table};
    pub use crate::touched::Touched;
    pub use core::any::{type_name, TypeId};
    pub use core::time::Duration;
    pub use inventory;
    pub use std::borrow::ToOwned;
    pub use std::thread::LocalKey;
    pub use std::thread_local;
}
