//! The sparse case: the seed's second discussion question, "what if there
//! were 10,000 × 10,000 possible inputs but you only see 100?".
//!
//! The domain compiled in is 2,000 × 2,000 (4,000,000 entries); the events
//! are the dense ones spread over it, so the same 400 distinct inputs occur.
//! A table must run the body for every entry before its first lookup; a
//! cache runs it for the 400 inputs that occur. Here the table's build is
//! part of its cost per event.

use std::sync::OnceLock;

use memo::precompute;

use crate::common::events::{Event, N_EVENT_TYPES, N_RULES};
use crate::common::rules::{process_events, validate_rule_slow};
use crate::dense;
use crate::strategy::{keep_nothing, Strategy};

/// Each side of the sparse domain.
pub const SIDE: u32 = 2_000;
/// The number of entries in the sparse domain.
const ENTRIES: usize = (SIDE as usize) * (SIDE as usize);

pub const PRECOMPUTE_BUILT: &str = "#[precompute] (4M), build + lookups";
const PRECOMPUTE_LOOKUPS: &str = "#[precompute] (4M), lookups only";
const HAND_FLAT_SPARSE: &str = "hand flat Vec<bool> (4M), build + lookups";

/// The dense events spread over the sparse domain: rule `r` becomes
/// `r * 100 + 37`, event type `e` becomes `e * 100 + 59`. Distinct events
/// stay distinct, so 400 distinct inputs occur in 4,000,000.
pub fn spread(events: &[Event]) -> Vec<Event> {
    events
        .iter()
        .map(|event| Event {
            rule_id: event.rule_id * (SIDE / N_RULES) + 37,
            event_type: event.event_type * (SIDE / N_EVENT_TYPES) + 59,
        })
        .collect()
}

/// `validate_rule_slow` for the whole sparse domain, in a flat table.
#[precompute(domain = (0..SIDE, 0..SIDE))]
fn validate_sparse_precomputed(rule_id: u32, event_type: u32) -> bool {
    validate_rule_slow(rule_id, event_type)
}

/// The hand-written flat table over the sparse domain.
fn hand_flat_sparse() -> &'static [bool] {
    static TABLE: OnceLock<Vec<bool>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..SIDE)
            .flat_map(|rule_id| {
                (0..SIDE).map(move |event_type| validate_rule_slow(rule_id, event_type))
            })
            .collect()
    })
}

/// `body_runs` of a table over the whole sparse domain.
fn table_build_runs(_calls: u64) -> u64 {
    ENTRIES as u64
}

/// Every strategy of the sparse case: the dense case's caches, then the
/// tables. The `#[precompute]` build-and-lookups row comes before its
/// lookups-only row, which reuses the table the first one built.
pub fn strategies() -> Vec<Strategy> {
    let tables = [
        Strategy {
            name: PRECOMPUTE_BUILT,
            twin: Some(HAND_FLAT_SPARSE),
            build: Some(validate_sparse_precomputed::init),
            reset: validate_sparse_precomputed::clear,
            count_valid: |events| process_events(events, validate_sparse_precomputed),
            body_runs: |_| {
                let stats = validate_sparse_precomputed::stats();
                stats.entries as u64 + stats.misses
            },
        },
        Strategy {
            name: HAND_FLAT_SPARSE,
            twin: None,
            build: Some(|| {
                hand_flat_sparse();
            }),
            reset: keep_nothing,
            count_valid: |events| {
                let table = hand_flat_sparse();
                process_events(events, |rule_id, event_type| {
                    table[rule_id as usize * SIDE as usize + event_type as usize]
                })
            },
            body_runs: table_build_runs,
        },
        Strategy {
            name: PRECOMPUTE_LOOKUPS,
            twin: None,
            build: None,
            reset: validate_sparse_precomputed::clear,
            count_valid: |events| process_events(events, validate_sparse_precomputed),
            body_runs: |_| validate_sparse_precomputed::stats().misses,
        },
    ];
    dense::caches().into_iter().chain(tables).collect()
}
