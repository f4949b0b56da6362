// The only errors here are the macro's own: on error the functions are still
// emitted as written, so the calls in `main` type-check and add no error of
// their own (no "cannot find function", no "cannot find module").
use memo::memoize;

#[memoize(capacity = 0)]
fn square(n: u64) -> u64 {
    n * n
}

#[memoize(thread_local, single_flight)]
fn first(items: &[u32]) -> Option<u32> {
    items.first().copied()
}

fn main() {
    let total: u64 = square(3) + square(4);
    assert_eq!(total, 25);
    assert_eq!(first(&[1, 2]), Some(1));
}
