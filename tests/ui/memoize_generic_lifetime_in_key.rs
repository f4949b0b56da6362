use std::borrow::Cow;

use memo::memoize;

#[memoize]
fn length<'a>(text: Cow<'a, str>) -> usize { // the error: spanned at `Cow<'a, str>` (the key's type borrows for `'a`; a cache outlives every call): take an owned type such as `String`, or `&str`
    text.len()
}

fn main() {}
