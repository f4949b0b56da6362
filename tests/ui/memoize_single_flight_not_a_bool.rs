use memo::memoize;

#[memoize(single_flight = 3)] // the error: spanned at `3`; `single_flight` takes `true` or `false`, or no value
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
