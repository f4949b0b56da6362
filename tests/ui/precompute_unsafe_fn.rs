use memo::precompute;

#[precompute(domain = 0..10)]
unsafe fn raw(n: u8) -> u8 {
    n
}

fn main() {}
