use memo::memoize;

#[memoize(single_flight, capacity = 8, single_flight = true)] // the error: spanned at the second `single_flight`: "`single_flight` is given twice; keep one"
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
