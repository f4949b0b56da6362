use memo::precompute;

#[precompute(domain = (0..256, -200..=0))]
fn cell(level: u8, offset: i8) -> i16 {
    i16::from(level) + i16::from(offset)
}

fn main() {
    let _ = cell(1, 2);
}
