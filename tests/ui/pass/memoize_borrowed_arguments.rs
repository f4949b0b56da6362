// `&str` and `&[u8]` arguments are keyed by their owned forms.
use memo::memoize;

#[memoize]
fn shout(text: &str) -> String {
    text.to_uppercase()
}

#[memoize]
fn checksum(bytes: &[u8], seed: u32) -> u32 {
    bytes.iter().fold(seed, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(*b))
    })
}

#[memoize]
fn with_lifetime<'a>(text: &'a str, n: &'a u64) -> usize {
    text.len() + *n as usize
}

fn main() {
    assert_eq!(shout("hi"), "HI");
    assert_eq!(shout(&String::from("hi")), "HI");
    assert_eq!(shout::stats().hits, 1);
    assert_eq!(checksum(b"ab", 1), checksum(&[b'a', b'b'], 1));
    assert_eq!(with_lifetime("abc", &2), 5);
}
