use memo::precompute;

#[precompute(domain = 0..10)]
async fn fetch(id: u32) -> u32 {
    id
}

fn main() {}
