use memo::memoize;

#[memoize(single_flight, thread_local)] // the error: spanned at `single_flight`; each thread has a cache of its own, so there is no other caller to wait for: remove one of the two
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
