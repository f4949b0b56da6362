use memo::memoize;

// Single-flight makes other threads wait; a thread-local cache is never shared.
#[memoize(thread_local, single_flight)]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
