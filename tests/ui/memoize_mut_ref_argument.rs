use memo::memoize;

#[memoize]
fn push_and_sum(items: &mut Vec<u64>, n: u64) -> u64 {
    items.push(n);
    items.iter().sum()
}

fn main() {}
