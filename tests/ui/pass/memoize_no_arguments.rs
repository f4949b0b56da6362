use memo::memoize;

#[memoize]
fn answer() -> u64 {
    42
}

fn main() {
    assert_eq!(answer(), 42);
    assert_eq!(answer(), 42);
    let s = answer::stats();
    assert_eq!((s.calls, s.hits, s.misses), (2, 1, 1));
}
