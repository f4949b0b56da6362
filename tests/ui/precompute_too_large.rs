use memo::precompute;

#[precompute(domain = (0..65_536, 0..65_536))]
fn mix(a: u32, b: u32) -> u32 {
    a.wrapping_mul(31) ^ b
}

fn main() {}
