// A body may name its parameters, locals and items like the code the macros
// generate: their locals are hygienic (`Span::mixed_site`), and the items they
// put in a function body (statics, thread-locals) sit in a block of their own,
// out of the body's scope. Only the companion (`f::stats()`, ...) is added.
#![allow(non_snake_case, non_upper_case_globals)]

use memo::{counted, memoize, precompute};

#[memoize]
fn free(__memo_query: u64, key: u64, cache: u64, result: u64) -> u64 {
    static __MEMO_COUNTS: u64 = 1;
    let __MEMO_LOCAL = 2;
    __memo_query + key + cache + result + __MEMO_COUNTS + __MEMO_LOCAL
}

#[counted]
fn counted_free(__memo_counts: u64, key: u64) -> u64 {
    let __MEMO_COUNTS = 3;
    static __MEMO: u64 = 4;
    __memo_counts + key + __MEMO_COUNTS + __MEMO
}

#[precompute(domain = (0..4, 0..4))]
fn table(key: u8, cache: u8) -> u16 {
    let result = u16::from(key) * 4 + u16::from(cache);
    result
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Scale(u64);

impl Scale {
    #[memoize]
    fn apply(&self, __memo_query: u64, cache: u64) -> u64 {
        let __MEMO = 1;
        let __MEMO_LOCAL = 2;
        static __memo_local: u64 = 3;
        self.0 + __memo_query + cache + __MEMO + __MEMO_LOCAL + __memo_local
    }

    #[counted]
    fn count(&self, result: u64) -> u64 {
        let __MEMO = 5;
        let __memo_state = 6;
        self.0 + result + __MEMO + __memo_state
    }
}

fn main() {
    assert_eq!(free(1, 2, 3, 4), 13);
    assert_eq!(free(1, 2, 3, 4), 13);
    assert_eq!(free::stats().hits, 1);
    assert_eq!(counted_free(1, 2), 10);
    assert_eq!(counted_free::stats().calls, 1);
    assert_eq!(table(3, 2), 14);
    assert_eq!(Scale(2).apply(1, 2), 11);
    assert_eq!(Scale(2).count(1), 14);
}
