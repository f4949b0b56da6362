// Generic functions: one cache per instantiation, with bounds inline or in a
// `where` clause, several type parameters, a type parameter in the value
// only, each mode, and the companion generic the same way.
#![deny(warnings)]

use std::hash::Hash;

use memo::memoize;

#[memoize]
fn ident<T: Clone + Eq + Hash + Send + Sync + 'static>(x: T) -> T {
    x
}

#[memoize]
fn swap<A, B>(a: A, b: B) -> (B, A)
where
    A: Clone + Eq + Hash + Send + Sync + 'static,
    B: Clone + Eq + Hash + Send + Sync + 'static,
{
    (b, a)
}

#[memoize]
fn zero<T: Default + Clone + Send + Sync + 'static>() -> T {
    T::default()
}

#[memoize(capacity = 4, policy = lru, ttl = "5s")]
fn bounded<T: Clone + Eq + Hash + Send + Sync + 'static>(x: T) -> usize {
    std::mem::size_of_val(&x)
}

#[memoize(thread_local)]
fn local<T: Clone + Eq + Hash + Send + Sync + 'static>(x: T) -> T {
    x
}

#[memoize(single_flight, capacity = 16)]
fn flight<T: Clone + Eq + Hash + Send + Sync + 'static>(x: T) -> T {
    x
}

#[memoize(key = id)]
fn keyed<T: Clone + Send + Sync + 'static>(id: u32, payload: T) -> (u32, T) {
    (id, payload)
}

/// A borrowed argument, and the type parameter in the `Ok` value only.
#[memoize]
fn parsed<T: std::str::FromStr + Clone + Send + Sync + 'static>(text: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

fn main() {
    assert_eq!(ident(1_u8), 1);
    assert_eq!(ident(String::from("s")), "s");
    assert_eq!(swap(1_u8, 'c'), ('c', 1));
    assert_eq!(zero::<u32>(), 0);
    assert_eq!(zero::<String>(), "");
    assert_eq!(bounded(1_u32), 4);
    assert_eq!(bounded(1_u64), 8);
    assert_eq!(local(1_i64), 1);
    assert_eq!(flight(2_u16), 2);
    assert_eq!(keyed(1, "a"), (1, "a"));
    assert_eq!(keyed(1, "b"), (1, "a"));
    assert_eq!(parsed::<u32>("7"), Ok(7));
    assert_eq!(parsed::<u64>("7"), Ok(7));
    assert!(parsed::<u8>("x").is_err());

    assert_eq!(ident::get(1_u8), Some(1));
    ident::insert(2_u8, 3);
    assert_eq!(ident::get::<u8>(2), Some(3));
    assert_eq!(ident::remove::<u8>(2), Some(3));
    assert_eq!(ident::remove(2_u8), None);
    assert_eq!(zero::get::<u32>(), Some(0));
    let cached: Option<(u32, &str)> = keyed::get(1);
    assert_eq!(cached, Some((1, "a")));
    ident::clear();
    assert_eq!(ident::stats().calls, 0);

    let report = memo::report();
    assert!(report
        .iter()
        .any(|s| s.name.ends_with("::swap::<u8, char>")));
    assert!(report
        .iter()
        .any(|s| s.name.ends_with("::zero::<alloc::string::String>")));
    assert!(report.iter().any(|s| s.name.ends_with("::bounded::<u64>")));
}
