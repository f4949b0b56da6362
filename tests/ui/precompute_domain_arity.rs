use memo::precompute;

#[precompute(domain = (0..20, 0..20, 0..4))]
fn validate_rule(rule_id: u32, event_type: u32) -> bool {
    rule_id % 3 == event_type % 5
}

#[precompute(domain = 0..20)]
fn pair(a: u32, b: u32) -> u32 {
    a + b
}

fn main() {}
