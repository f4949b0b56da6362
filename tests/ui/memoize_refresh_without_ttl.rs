use memo::memoize;

#[memoize(capacity = 8, refresh)]
fn session(id: u64) -> u64 {
    id
}

fn main() {}
