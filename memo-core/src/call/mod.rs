//! The call path: everything the generated code calls, and nothing else.
//! `memoize` is a `#[memoize]` call (the hit path first, then the miss),
//! `table` a `#[precompute]` call, `counted` the cold paths of a
//! `#[counted]` call, `observe` what a miss tells the report about its
//! arguments, and `checks` the bounds the macros assert at the user's types.
//!
//! The crate's layers, each importing only those before it: `sync` →
//! `store` (maps, log, bounded nodes, policies) → `counters` (slots, thread
//! slots, timing frames, sketch) → `function` (one function's static state)
//! → `persist` (second-level stores, behind a feature) → `call` (here) and
//! `report` (stats, calibration, advice, the table), which never import
//! each other. The facade's `__private` is this module's public items.

mod checks;
mod counted;
mod memoize;
mod observe;
mod table;

#[cfg(feature = "store")]
pub use checks::assert_stored;
pub use checks::{assert_key, assert_value};
pub use counted::{count_method, count_miss, count_sampled, tick};
pub use memoize::{
    always, fill, fill_async, get, identity, insert, lookup, remove, traced, ttl_fn, typed_future,
    Computed, ErasedLocal, Local, LocalSlot, Miss, NoStore, NoTtl, Rule, Rules, Source, Tier,
};
pub use observe::{Hashed, KeyProbe, Observe, Unhashed};
pub use table::{
    assert_table_value, cold_hit, cold_hit_const, hit, hit_const, out_of_domain, LocalCells, Table,
};

pub use crate::counters::touched::Touched;
pub use crate::counters::{LocalCounts, ThreadSlot, Timer};
pub use crate::function::{Function, Info, Instance, Kind, Registration, StoreStats};
#[cfg(feature = "store")]
pub use crate::persist::__private as persist;
pub use crate::store::lookup::{Lookup, Owned};

pub use core::any::{type_name, TypeId};
pub use core::time::Duration;
pub use inventory;
pub use std::borrow::ToOwned;
pub use std::thread::LocalKey;
pub use std::thread_local;
