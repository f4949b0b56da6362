use memo::memoize;

#[memoize(capacity = 0, ttl = "soon")]
fn fetch<const N: usize>(id: u64) -> u64 {
    id
}

fn main() {}
