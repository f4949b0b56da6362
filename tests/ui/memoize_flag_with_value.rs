use memo::memoize;

#[memoize(thread_local = true)]
fn square(n: u64) -> u64 {
    n * n
}

fn main() {}
