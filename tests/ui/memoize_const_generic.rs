use memo::memoize;

// One cache per instantiation is found by the type parameters' `TypeId`s;
// a `const` parameter has none.
#[memoize]
fn scaled<const N: u64>(x: u64) -> u64 {
    x * N
}

fn main() {}
