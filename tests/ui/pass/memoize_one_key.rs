// The companion's `get`, `insert` and `remove` in every mode, taking the
// function's own parameter types (borrowed forms included), the key's value
// with `key = EXPR`, and nothing for a function without parameters. They are
// plain functions: each coerces to a `fn` pointer.
#![deny(warnings)]

use memo::memoize;

#[memoize]
fn shared(n: u64) -> u64 {
    n
}

#[memoize(thread_local)]
fn local(n: u64) -> u64 {
    n
}

#[memoize(capacity = 4)]
fn bounded(n: u64) -> u64 {
    n
}

#[memoize(capacity = 4, policy = lru)]
fn recent(n: u64) -> u64 {
    n
}

#[memoize(ttl = "1m")]
fn expiring(n: u64) -> u64 {
    n
}

#[memoize(single_flight)]
fn flight(n: u64) -> u64 {
    n
}

#[memoize(thread_local, capacity = 4, ttl = "1m")]
fn local_bounded(n: u64) -> u64 {
    n
}

#[memoize]
fn borrowed(text: &str, bytes: &[u8], n: u32) -> String {
    format!("{text}{}{n}", bytes.len())
}

#[memoize(key = id)]
fn keyed(id: u32, _noise: u64) -> u32 {
    id
}

#[memoize(key = (a, b))]
fn tuple_keyed(a: u32, b: u32, _noise: u64) -> u32 {
    a + b
}

#[memoize]
fn nullary() -> u32 {
    7
}

type Get = fn(u64) -> Option<u64>;
type Insert = fn(u64, u64);
type Remove = fn(u64) -> Option<u64>;
type Mode = (fn(u64) -> u64, Get, Insert, Remove);

fn main() {
    let modes: [Mode; 7] = [
        (shared, shared::get, shared::insert, shared::remove),
        (local, local::get, local::insert, local::remove),
        (bounded, bounded::get, bounded::insert, bounded::remove),
        (recent, recent::get, recent::insert, recent::remove),
        (expiring, expiring::get, expiring::insert, expiring::remove),
        (flight, flight::get, flight::insert, flight::remove),
        (
            local_bounded,
            local_bounded::get,
            local_bounded::insert,
            local_bounded::remove,
        ),
    ];
    for (f, get, insert, remove) in modes {
        assert_eq!(get(1), None);
        insert(1, 10);
        assert_eq!(get(1), Some(10));
        assert_eq!(f(1), 10);
        assert_eq!(remove(1), Some(10));
        assert_eq!(remove(1), None);
        assert_eq!(f(1), 1);
    }

    borrowed::insert("a", b"bc", 1, "primed".to_owned());
    assert_eq!(borrowed("a", b"bc", 1), "primed");
    let text = String::from("a");
    let bytes = vec![b'b', b'c'];
    assert_eq!(borrowed::get(&text, &bytes, 1).as_deref(), Some("primed"));
    assert_eq!(
        borrowed::remove(&text, &bytes, 1).as_deref(),
        Some("primed")
    );
    assert_eq!(borrowed("a", b"bc", 1), "a21");

    keyed::insert(7_u32, 70);
    assert_eq!(keyed(7, 1), 70);
    assert_eq!(keyed::get(7_u32), Some(70));
    assert_eq!(keyed::remove(7_u32), Some(70));

    tuple_keyed::insert((1, 2), 9);
    assert_eq!(tuple_keyed(1, 2, 0), 9);
    assert_eq!(tuple_keyed::remove((1, 2)), Some(9));

    nullary::insert(8);
    assert_eq!(nullary::get(), Some(8));
    assert_eq!(nullary(), 8);
    assert_eq!(nullary::remove(), Some(8));
    assert_eq!(nullary(), 7);
}
