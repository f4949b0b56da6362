//! The function the validators cache, and the loop that calls it.

use std::hint::black_box;

use super::events::Event;

/// Rounds of mixing in [`validate_rule_slow`]: the seed's 50 iterations.
const ROUNDS: u64 = 50;

/// Whether rule `rule_id` accepts events of type `event_type`.
///
/// 50 rounds of cheap integer mixing of the two inputs: deterministic, about
/// 2 in 3 pairs valid (270 of the 400 in `0..20 × 0..20`), and a few tens of
/// nanoseconds. Cheap on purpose: the lesson of the examples is that a cache
/// lookup can cost as much as the work it saves.
#[must_use]
pub fn validate_rule_slow(rule_id: u32, event_type: u32) -> bool {
    let mut h = (u64::from(rule_id) << 32 | u64::from(event_type)) ^ 0x9E37_79B9_7F4A_7C15;
    for round in 0..ROUNDS {
        h = h.rotate_left(13) ^ h.wrapping_add(round);
    }
    (h.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) % 3 != 0
}

/// Counts the events that `validate` accepts.
///
/// Each event goes through [`black_box`] so the optimizer can neither hoist
/// the work out of the loop nor vectorize it across events: every strategy
/// pays for one call per event, as a real program would.
pub fn process_events(events: &[Event], validate: impl Fn(u32, u32) -> bool) -> usize {
    events
        .iter()
        .filter(|&&event| {
            let Event {
                rule_id,
                event_type,
            } = black_box(event);
            validate(rule_id, event_type)
        })
        .count()
}
