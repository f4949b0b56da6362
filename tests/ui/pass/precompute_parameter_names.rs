// Parameters named like the generated helpers, `mut` parameters, and
// attributes on the function all keep working.
use memo::precompute;

#[precompute(domain = (0..4, 0..4, _))]
#[allow(clippy::needless_pass_by_value)]
#[inline]
fn clash(index: usize, table: u32, mut value: bool) -> u64 {
    value = !value;
    (index as u64) * 100 + u64::from(table) * 10 + u64::from(value)
}

#[precompute(domain = 1..=3)]
fn r#type(r#in: i8) -> i8 {
    -r#in
}

fn main() {
    assert_eq!(clash(3, 2, false), 321);
    assert_eq!(clash(9, 2, true), 920);
    assert_eq!(r#type(2), -2);
    assert_eq!(r#type(9), -9);
    assert_eq!(clash::stats().hits, 1);
    assert_eq!(r#type::stats().misses, 1);
}
