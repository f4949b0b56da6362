use std::rc::Rc;

use memo::precompute;

#[precompute(domain = 0..10)]
fn shared(n: u8) -> Rc<u8> {
    Rc::new(n)
}

fn main() {
    let _ = shared(1);
}
