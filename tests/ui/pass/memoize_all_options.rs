// Every combination of `capacity`, `ttl` and `thread_local`.
use memo::memoize;

#[memoize(capacity = 2)]
fn c(n: u64) -> u64 {
    n
}

#[memoize(ttl = "500ms")]
fn t(n: u64) -> u64 {
    n
}

#[memoize(thread_local)]
fn l(n: u64) -> u64 {
    n
}

#[memoize(capacity = 2, ttl = "30s")]
fn ct(n: u64) -> u64 {
    n
}

#[memoize(capacity = 2, thread_local)]
fn cl(n: u64) -> u64 {
    n
}

#[memoize(ttl = "5m", thread_local)]
fn tl(n: u64) -> u64 {
    n
}

#[memoize(thread_local, ttl = "2h", capacity = 1_000)]
fn ctl(n: u64) -> u64 {
    n
}

#[memoize(capacity = 3, ttl = "1s", thread_local, key = n % 3)]
fn everything(n: u64) -> u64 {
    n % 3
}

fn main() {
    for f in [c, t, l, ct, cl, tl, ctl, everything] {
        assert_eq!(f(1), 1);
        assert_eq!(f(1), 1);
    }
    assert_eq!(everything(4), 1);
    assert_eq!(ctl::stats().hits, 1);
}
