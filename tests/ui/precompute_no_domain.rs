use memo::precompute;

#[precompute]
fn score(level: u8, bonus: bool) -> u32 {
    u32::from(level) * if bonus { 2 } else { 1 }
}

fn main() {}
