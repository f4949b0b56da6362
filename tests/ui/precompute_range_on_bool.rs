use memo::precompute;

#[precompute(domain = (0..10, 0..2))]
fn flag(level: u8, on: bool) -> u8 {
    if on { level } else { 0 }
}

fn main() {}
