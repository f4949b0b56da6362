use memo::precompute;

// One cell over `memo::thresholds::MAX_TABLE_CELLS` (16,777,216); exactly
// that many compile (`tests/precompute.rs`, `at_the_limit`).
#[precompute(domain = 0..16_777_217)]
fn wide(n: u32) -> u32 {
    n / 3
}

fn main() {}
