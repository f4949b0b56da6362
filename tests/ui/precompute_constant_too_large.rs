use memo::precompute;

const N: u32 = 1 << 13;

#[precompute(domain = (0..N, 0..N))]
fn mix(a: u32, b: u32) -> u32 {
    a.wrapping_mul(31) ^ b
}

fn main() {
    let _ = mix(1, 2);
}
