use memo::memoize;

#[memoize]
struct Config {
    capacity: usize,
}

fn main() {
    let _ = Config { capacity: 1 }.capacity;
}
