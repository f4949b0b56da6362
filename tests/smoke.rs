use memo::{counted, memoize};

#[memoize]
fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

#[counted]
fn slow(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        slow(n - 1) + slow(n - 2)
    }
}

#[test]
fn smoke() {
    assert_eq!(fib(35), 9_227_465);
    let s = fib::stats();
    assert_eq!((s.calls, s.hits, s.misses), (69, 33, 36));
    assert_eq!(slow(20), 6765);
    assert_eq!(slow::stats().calls, 21891);
    println!("{}", memo::report());
}
