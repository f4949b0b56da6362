use memo::precompute;

#[precompute(domain = (0..10, 16, [1, 2]))]
fn pick(a: u8, b: u8, c: u8) -> u8 {
    a ^ b ^ c
}

fn main() {}
