// `#[counted]` on generic functions: one counter for every instantiation. Other
// inputs `#[memoize]` rejects (`impl Trait`, `&mut`, patterns, `()`) work too.
use memo::counted;

#[counted]
fn largest<T: Ord + Copy>(items: &[T]) -> Option<T> {
    items.iter().copied().max()
}

#[counted]
fn record((a, b): (u32, u32), text: impl AsRef<str>, out: &mut Vec<usize>) {
    out.push(a as usize + b as usize + text.as_ref().len());
}

fn main() {
    assert_eq!(largest(&[3, 1, 2]), Some(3));
    assert_eq!(largest(&["b", "a"]), Some("b"));
    assert_eq!(largest::stats().calls, 2);
    let mut out = Vec::new();
    record((1, 2), "abc", &mut out);
    assert_eq!(out, [6]);
    assert_eq!(record::stats().calls, 1);
}
