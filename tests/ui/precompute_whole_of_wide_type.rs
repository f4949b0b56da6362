use memo::precompute;

#[precompute(domain = (_, 0..4))]
fn lookup(code: u32, lane: u8) -> u32 {
    code ^ u32::from(lane)
}

fn main() {}
