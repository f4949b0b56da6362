use memo::memoize;

#[memoize]
fn describe(value: impl std::fmt::Display) -> String {
    value.to_string()
}

fn main() {}
