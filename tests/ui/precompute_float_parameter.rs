use memo::precompute;

#[precompute(domain = (0..10, 0..10))]
fn scale(level: u32, factor: f64) -> f64 {
    f64::from(level) * factor
}

fn main() {}
