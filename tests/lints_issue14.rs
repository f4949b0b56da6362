//! Issue 14's generated code adds no warning to a strict user crate either:
//! `Result` returns with errors that are not `Clone`, `cache_if`, `refresh`,
//! `stale_on_error`, `ttl_of` and the public `f::traced` companion, under
//! `warnings`, `missing_docs`, `unsafe_code` and clippy's `all` and
//! `pedantic`; CI runs clippy on it (`--all-targets`).
#![deny(warnings, missing_docs, unsafe_code)]
#![deny(clippy::all, clippy::pedantic)]

use std::time::Duration;

use futures::executor::block_on;
use memo::{memoize, Source};

/// Reads a setting; `io::Error` is not `Clone`.
///
/// # Errors
/// When `k` is 0.
#[memoize]
pub fn read_setting(k: u64) -> std::io::Result<u64> {
    if k == 0 {
        return Err(std::io::Error::other("no setting 0"));
    }
    Ok(k * 2)
}

/// Parses a port; `anyhow::Error` is not `Clone`.
///
/// # Errors
/// When `text` is not a port number.
#[memoize(thread_local)]
pub fn parse_port(text: &str) -> anyhow::Result<u16> {
    Ok(text.parse()?)
}

/// Finds a user: `None` is not cached.
#[memoize(cache_if = Option::is_some)]
#[must_use]
pub fn find_user(id: u64) -> Option<u64> {
    (id % 2 == 0).then_some(id)
}

/// Triples, caching only values above 10.
#[memoize(cache_if = |v: &u64| *v > 10, capacity = 8)]
#[must_use]
pub fn triple(n: u64) -> u64 {
    n * 3
}

/// A session, kept alive while it is used.
#[memoize(ttl = "10m", refresh, capacity = 64, policy = lru)]
#[must_use]
pub fn session(id: u64) -> String {
    format!("session-{id}")
}

/// A thread's own session.
#[memoize(ttl = "10m", refresh, thread_local)]
#[must_use]
pub fn local_session(id: u64) -> String {
    format!("local-{id}")
}

/// An upstream quote, served stale while the upstream is down.
///
/// # Errors
/// When the upstream fails and there is no stale quote.
#[memoize(ttl = "30s", stale_on_error, cache_if = |q: &u64| *q > 0)]
pub fn quote(symbol: &str) -> Result<u64, std::io::Error> {
    u64::try_from(symbol.len()).map_err(std::io::Error::other)
}

/// A credential with its own lifetime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// How long the token is valid; `None`: forever.
    pub valid_for: Option<Duration>,
}

impl Token {
    /// The token's lifetime, for `ttl_of`.
    #[must_use]
    pub fn lifetime(&self) -> Option<Duration> {
        self.valid_for
    }
}

/// Issues a token; each expires when it says.
///
/// # Errors
/// For user 0.
#[memoize(ttl_of = Token::lifetime, stale_on_error, capacity = 16)]
pub fn token(user: u64) -> anyhow::Result<Token> {
    anyhow::ensure!(user != 0, "no user 0");
    Ok(Token {
        valid_for: Some(Duration::from_secs(user)),
    })
}

/// The value is its own lifetime in seconds.
#[memoize(ttl_of = |secs: &u64| Some(Duration::from_secs(*secs)))]
#[must_use]
pub fn lives_for(secs: u64) -> u64 {
    secs
}

/// Fetches asynchronously; the error is not `Clone`.
///
/// # Errors
/// When `k` is 0.
#[memoize(ttl = "1m", stale_on_error)]
pub async fn fetch(k: u64) -> std::io::Result<u64> {
    if k == 0 {
        return Err(std::io::Error::other("no 0"));
    }
    Ok(k)
}

/// A repository with memoized methods.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Repo {
    /// Its name.
    pub name: String,
}

impl Repo {
    /// Loads a row, caching only found ones; the error is not `Clone`.
    ///
    /// # Errors
    /// For row 0.
    #[memoize(cache_if = Option::is_some, ttl = "1m", refresh, stale_on_error)]
    pub fn row(&self, id: u64) -> std::io::Result<Option<u64>> {
        if id == 0 {
            return Err(std::io::Error::other("no row 0"));
        }
        Ok((id % 2 == 0).then_some(id))
    }

    /// This repository's token, with its own lifetime.
    #[memoize(ttl_of = Token::lifetime)]
    #[must_use]
    pub fn token(&self) -> Token {
        Token { valid_for: None }
    }
}

#[test]
fn strict_crate_compiles_and_runs() {
    assert_eq!(read_setting(2).unwrap(), 4);
    assert!(read_setting(0).is_err());
    assert_eq!(read_setting::traced(2).0.unwrap(), 4);
    assert_eq!(read_setting::traced(2).1, Source::Cache);
    assert_eq!(parse_port("80").unwrap(), 80);
    assert_eq!(find_user::traced(2), (Some(2), Source::Body));
    assert_eq!(triple(5), 15);
    assert_eq!(session(1), "session-1");
    assert_eq!(local_session::traced(1).1, Source::Body);
    assert_eq!(quote("ab").unwrap(), 2);
    assert!(token(0).is_err());
    assert_eq!(token(3).unwrap().lifetime(), Some(Duration::from_secs(3)));
    assert_eq!(lives_for(60), 60);
    assert_eq!(block_on(fetch(1)).unwrap(), 1);
    let repo = Repo { name: "r".into() };
    assert_eq!(repo.row(2).unwrap(), Some(2));
    assert!(repo.row(0).is_err());
    assert_eq!(repo.token(), Token { valid_for: None });
    assert_eq!(repo.name, "r");
}
