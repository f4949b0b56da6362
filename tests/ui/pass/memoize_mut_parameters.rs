// `mut` bindings are the body's business; the key is the value passed in.
use memo::memoize;

#[memoize]
fn collatz_steps(mut n: u64) -> u32 {
    let mut steps = 0;
    while n != 1 {
        n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
        steps += 1;
    }
    steps
}

#[memoize]
fn trimmed(mut text: String, mut times: usize) -> String {
    while times > 0 && !text.is_empty() {
        text.pop();
        times -= 1;
    }
    text
}

fn main() {
    assert_eq!(collatz_steps(6), 8);
    assert_eq!(collatz_steps(6), 8);
    assert_eq!(collatz_steps::stats().hits, 1);
    assert_eq!(trimmed("abc".into(), 1), "ab");
}
