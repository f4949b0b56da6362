use memo::memoize;

struct Report {
    lines: Vec<String>,
}

#[memoize]
fn build(n: u32) -> Report {
    Report {
        lines: (0..n).map(|i| i.to_string()).collect(),
    }
}

fn main() {}
