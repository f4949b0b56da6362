use memo::precompute;

#[precompute(domain = 0..10)]
fn widen<T: From<u8>>(n: u8) -> T {
    T::from(n)
}

fn main() {}
