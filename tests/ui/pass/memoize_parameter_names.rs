// Parameters may use the names generated code uses for its own locals: those
// are hygienic (`Span::mixed_site`), and the state lives in the companion module.
// Names of the form `__MEMO*` are reserved for the macro's statics and are not
// tested here.
use memo::memoize;

#[memoize]
fn shadowing(key: u64, cache: u64, result: u64, __memo_miss: u64, __memo_value: u64) -> u64 {
    key + cache + result + __memo_miss + __memo_value
}

#[memoize]
fn runtime_names(lookup: u64, fill: u64, always: u64, is_ok: u64, local: u64, miss: u64) -> u64 {
    lookup + fill + always + is_ok + local + miss
}

#[memoize]
fn companion_names(stats: u64, clear: u64, value: u64, state: u64) -> u64 {
    stats + clear + value + state
}

// A parameter with the function's own name: the companion module is in the
// type namespace, the parameter in the value namespace.
#[memoize]
fn total(total: u64) -> u64 {
    total * 2
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Scale(u64);

impl Scale {
    #[memoize]
    fn apply(&self, key: u64, cache: u64, result: u64, __memo_miss: u64) -> u64 {
        self.0 * (key + cache + result + __memo_miss)
    }
}

fn main() {
    assert_eq!(shadowing(1, 2, 3, 4, 5), 15);
    assert_eq!(shadowing(1, 2, 3, 4, 5), 15);
    assert_eq!(shadowing::stats().hits, 1);
    assert_eq!(runtime_names(1, 2, 3, 4, 5, 6), 21);
    assert_eq!(companion_names(1, 2, 3, 4), 10);
    assert_eq!(total(4), 8);
    assert_eq!(total::stats().calls, 1);
    assert_eq!(Scale(2).apply(1, 2, 3, 4), 20);
}
