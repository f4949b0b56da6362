use memo::precompute;

#[precompute(domain = 0..10)]
const TABLE: [u32; 10] = [0; 10];

fn main() {}
