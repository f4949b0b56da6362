use std::fmt::Display;
use std::hash::Hash;

use memo::memoize;

#[memoize]
fn describe<T: Display + Clone + Eq + Hash + Send + Sync + 'static>(
    value: T,
    suffix: impl Display, // the error: spanned at `impl Display`, as for a non-generic fn: take a concrete type or a named type parameter
) -> String {
    format!("{value}{suffix}")
}

fn main() {}
