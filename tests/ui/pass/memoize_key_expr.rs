// `key = EXPR`: an expression over the parameters; the others are left out.
use memo::memoize;

#[derive(Clone)]
struct User {
    id: u64,
    name: String,
}

#[memoize(key = (user.id, day))]
fn greeting(user: &User, day: u32) -> String {
    format!("{} on day {day}", user.name)
}

#[memoize(key = text.len())]
fn by_length(text: &str) -> usize {
    text.len() * 2
}

fn main() {
    let ada = User {
        id: 1,
        name: "Ada".into(),
    };
    let renamed = User {
        id: 1,
        name: "Lovelace".into(),
    };
    assert_eq!(greeting(&ada, 3), "Ada on day 3");
    assert_eq!(greeting(&renamed, 3), "Ada on day 3");
    assert_eq!(by_length("abc"), 6);
    assert_eq!(by_length("xyz"), 6);
    assert_eq!(by_length::stats().hits, 1);
}
