// Functions declared inside a function body, and the companion beside them.
use memo::{counted, memoize};

fn outer(n: u64) -> u64 {
    #[memoize]
    fn inner(n: u64) -> u64 {
        if n < 2 {
            n
        } else {
            inner(n - 1) + inner(n - 2)
        }
    }

    #[counted]
    fn tally(n: u64) -> u64 {
        n
    }

    let value = inner(n) + tally(0);
    assert!(inner::stats().calls > 0);
    assert_eq!(tally::stats().calls, 1);
    value
}

fn main() {
    assert_eq!(outer(20), 6765);
}
