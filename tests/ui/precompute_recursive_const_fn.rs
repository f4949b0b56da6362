use memo::precompute;

#[precompute(domain = 0..=90)]
const fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

fn main() {}
