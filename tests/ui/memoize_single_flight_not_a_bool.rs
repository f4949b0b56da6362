use memo::memoize;

#[memoize(single_flight = 3)]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
