use memo::precompute;

#[precompute(domain = (0.., ..=9))]
fn cell(row: u16, column: u16) -> u16 {
    row * 10 + column
}

fn main() {}
