// `Result` return types: `Err` is returned, not cached. A `Result` alias counts
// too (the last path segment is `Result`). The whole `Result`, error type
// included, must be `Clone`: `std::io::Result` is not.
use memo::memoize;

#[derive(Clone, Debug, PartialEq)]
struct ParseError(String);

type Result<T> = std::result::Result<T, ParseError>;

#[memoize]
fn parse(text: &str) -> std::result::Result<u32, String> {
    text.parse().map_err(|e| format!("{e}"))
}

#[memoize]
fn checked(n: u32) -> Result<u32> {
    if n == 0 {
        return Err(ParseError("zero".into()));
    }
    Ok(100 / n)
}

#[memoize]
fn with_question_mark(text: &str) -> std::result::Result<u32, String> {
    let n: u32 = text.parse().map_err(|_| "not a number".to_string())?;
    Ok(n + 1)
}

fn main() {
    assert_eq!(parse("7"), Ok(7));
    assert!(parse("x").is_err());
    assert!(parse("x").is_err());
    assert_eq!(parse::stats().misses, 3);
    assert_eq!(checked(0), Err(ParseError("zero".into())));
    assert_eq!(checked(0), Err(ParseError("zero".into())));
    assert_eq!(checked(4), Ok(25));
    assert_eq!(checked(4), Ok(25));
    let s = checked::stats();
    assert_eq!((s.calls, s.hits, s.misses), (4, 1, 3));
    assert_eq!(with_question_mark("1"), Ok(2));
    assert!(with_question_mark("a").is_err());
}
