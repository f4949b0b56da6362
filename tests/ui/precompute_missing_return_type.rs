use memo::precompute;

#[precompute(domain = 0..10)]
fn log(level: u8) {
    let _ = level;
}

fn main() {}
