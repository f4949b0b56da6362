use memo::precompute;

#[derive(Debug)]
struct Reading(u32);

#[precompute(domain = 0..10)]
fn read(n: u32) -> Reading {
    Reading(n)
}

fn main() {
    let _ = read(1);
}
