use memo::memoize;

#[memoize(capacity = 0, ttl = "soon")]
async fn fetch(id: u64) -> u64 {
    id
}

fn main() {}
