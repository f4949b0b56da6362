//! A `#[precompute]` function whose table is built at run time, on the first
//! call or on `init()`; `precompute_table.expanded.rs` beside this file is what
//! it expands to.

use memo::precompute;

const N_RULES: u32 = 20;

/// Whether a rule accepts an event type; out-of-domain calls run the body.
#[precompute(domain = (0..N_RULES, 0..=9))]
pub fn validate_rule(rule_id: u32, event_type: u32) -> bool {
    (rule_id * 7 + event_type) % 3 != 0
}

/// A score over a signed range and a flag; `strict` panics outside the domain.
#[precompute(domain = (-8..8, _), strict)]
fn score(delta: i32, bonus: bool) -> String {
    format!("{delta}{}", if bonus { "+" } else { "" })
}
