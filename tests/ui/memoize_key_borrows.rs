use std::borrow::Cow;

use memo::memoize;

// A key is stored past the call, so it cannot borrow.
#[memoize]
fn length<'a>(text: Cow<'a, str>) -> usize {
    text.len()
}

fn main() {}
