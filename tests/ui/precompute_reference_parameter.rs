use memo::precompute;

#[precompute(domain = 0..10)]
fn double(n: &u32) -> u32 {
    n * 2
}

fn main() {}
