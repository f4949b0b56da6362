use memo::precompute;

#[precompute(domain = (0..100, 0..100), max_entries = 1000)]
fn product(a: u32, b: u32) -> u32 {
    a * b
}

fn main() {}
