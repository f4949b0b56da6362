use memo::memoize;

#[memoize]
async fn fetch(id: u64) -> u64 {
    id * 2
}

fn main() {}
