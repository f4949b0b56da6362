use memo::precompute;

const N_RULES: usize = 20;

#[precompute(domain = (0..N_RULES, -1..20))]
fn validate_rule(rule_id: u32, event_type: u32) -> bool {
    rule_id % 3 == event_type % 5
}

fn main() {
    let _ = validate_rule(1, 2);
}
