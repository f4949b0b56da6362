// Issue 14's options in the shapes users write them: `Result`s whose error is
// not `Clone` (`io`, a user type, `async`), `cache_if` as a path and as a
// closure, `ttl` + `refresh`, `stale_on_error` with `ttl` and with `ttl_of`,
// `ttl_of` with `capacity`, methods, and the `traced` companion.
use std::time::Duration;

use memo::{memoize, Source};

#[derive(Debug)]
struct NotClone;

#[memoize]
fn read(k: u64) -> std::io::Result<u64> {
    if k == 0 {
        return Err(std::io::Error::other("zero"));
    }
    Ok(k)
}

#[memoize(capacity = 4, thread_local)]
fn custom(k: u64) -> Result<u64, NotClone> {
    if k == 0 {
        Err(NotClone)
    } else {
        Ok(k)
    }
}

#[memoize]
async fn fetch(k: u64) -> Result<String, NotClone> {
    Ok(k.to_string())
}

#[memoize(cache_if = Option::is_some)]
fn find(id: u64) -> Option<u64> {
    (id > 0).then_some(id)
}

#[memoize(cache_if = |v: &u64| *v > 10)]
fn triple(n: u64) -> u64 {
    n * 3
}

fn keep(v: &String) -> bool {
    !v.is_empty()
}

#[memoize(cache_if = keep, key = n)]
fn label(n: u64, _noise: u8) -> String {
    n.to_string()
}

#[memoize(ttl = "10m", refresh)]
fn session(id: u64) -> u64 {
    id
}

#[memoize(ttl = "10m", stale_on_error, capacity = 8)]
fn quote(symbol: &str) -> Result<u64, NotClone> {
    Ok(symbol.len() as u64)
}

#[derive(Clone)]
struct Token {
    valid_for: Option<Duration>,
}

impl Token {
    fn lifetime(&self) -> Option<Duration> {
        self.valid_for
    }
}

#[memoize(ttl_of = Token::lifetime, capacity = 4, stale_on_error)]
fn token(user: u64) -> Result<Token, NotClone> {
    Ok(Token {
        valid_for: Some(Duration::from_secs(user)),
    })
}

#[memoize(ttl_of = |secs: &u64| Some(Duration::from_secs(*secs)), thread_local)]
fn lives_for(secs: u64) -> u64 {
    secs
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Repo;

impl Repo {
    #[memoize(cache_if = Option::is_some, ttl = "1m", refresh, stale_on_error)]
    fn row(&self, id: u64) -> std::io::Result<Option<u64>> {
        Ok(Some(id))
    }

    #[memoize(ttl_of = Token::lifetime)]
    fn token(&self) -> Token {
        Token { valid_for: None }
    }
}

// Parameters named like the generated helpers still work.
#[memoize(cache_if = Option::is_some, ttl = "1m", stale_on_error)]
fn shadows(value: u64, key: u64, result: u64) -> Result<Option<u64>, NotClone> {
    Ok(Some(value + key + result))
}

fn main() {
    assert!(read(0).is_err());
    assert_eq!(read::traced(1).1, Source::Body);
    assert_eq!(read::traced(1).1, Source::Cache);
    assert!(custom(0).is_err());
    assert_eq!(futures::executor::block_on(fetch(1)).ok(), Some("1".into()));
    assert_eq!(find(0), None);
    assert_eq!(triple(5), 15);
    assert_eq!(label(1, 0), "1");
    assert_eq!(session(1), 1);
    assert_eq!(quote("ab").ok(), Some(2));
    assert!(token(1).is_ok());
    assert_eq!(lives_for(1), 1);
    assert_eq!(Repo.row(1).unwrap(), Some(1));
    assert!(Repo.token().lifetime().is_none());
    assert_eq!(shadows(1, 2, 3).ok(), Some(Some(6)));
    assert_eq!(shadows::traced(1, 2, 3).1, Source::Cache);
}
