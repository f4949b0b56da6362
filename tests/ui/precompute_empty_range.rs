use memo::precompute;

#[precompute(domain = (5..5, 3..=2))]
fn cell(row: i32, column: i32) -> i32 {
    row * 10 + column
}

fn main() {}
