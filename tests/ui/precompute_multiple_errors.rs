use memo::precompute;

#[precompute(domain = (_, 1..1), capacity = 10)]
fn combine(a: u16, b: u16, c: f32) -> f32 {
    f32::from(a) + f32::from(b) + c
}

fn main() {}
