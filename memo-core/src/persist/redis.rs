//! The Redis store (feature `redis`; `redis-tls` for `rediss://` URLs): one
//! server shared by every process of a service. The URL comes from [`set_url`],
//! else `MEMO_REDIS_URL`, else `redis://127.0.0.1:6379`.
//!
//! Calls are synchronous on a small pool of connections with short timeouts
//! ([`Timeouts`]): a server that is down or stalled costs one timeout, after
//! which the store backs off (the next calls fail at once, without touching
//! the network) and tries again after 250 ms, then 500 ms, … up to
//! [`Timeouts::max_backoff`].

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use redis::{Client, Connection, RedisError, RedisResult};

use super::{Backend, StoreError, StoreErrorKind};

/// The URL used when neither [`set_url`] nor `MEMO_REDIS_URL` gives one.
pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";

/// The name of the environment variable holding the server's URL.
pub const URL_VAR: &str = "MEMO_REDIS_URL";

/// The first back-off after a failure; each further failure doubles it.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// Connections kept open for reuse.
const IDLE: usize = 4;

/// Keys asked for per `SCAN` (and deleted per `DEL`) by `clear_prefix`.
const SCAN_BATCH: usize = 512;

/// How long the store waits for the server. A call never waits longer than
/// `connect` + `io` (a connect, then one command); after a failure, calls fail
/// at once for the back-off time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// To open a connection, handshake included. Default 250 ms.
    pub connect: Duration,
    /// To send a command or read its answer. Default 1 s.
    pub io: Duration,
    /// The longest back-off after repeated failures. Default 5 s.
    pub max_backoff: Duration,
}

const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_millis(250),
    io: Duration::from_secs(1),
    max_backoff: Duration::from_secs(5),
};

impl Default for Timeouts {
    fn default() -> Self {
        DEFAULT_TIMEOUTS
    }
}

impl Timeouts {
    /// These timeouts with `connect` and `io` replaced.
    pub fn with(self, connect: Duration, io: Duration) -> Self {
        Timeouts {
            connect,
            io,
            ..self
        }
    }

    /// These timeouts with `max_backoff` replaced.
    pub fn with_max_backoff(self, max_backoff: Duration) -> Self {
        Timeouts {
            max_backoff,
            ..self
        }
    }
}

/// A Redis server: a [`Backend`]. [`backend`] gives the process-wide one;
/// `Redis::open` any other.
pub struct Redis {
    client: Client,
    timeouts: Timeouts,
    state: Mutex<State>,
}

struct State {
    idle: Vec<Connection>,
    failures: u32,
    /// While set and in the future, calls fail at once with `last_error`.
    down_until: Option<Instant>,
    last_error: String,
}

fn error(op: &'static str, e: &RedisError) -> StoreError {
    let kind = if e.is_timeout() {
        StoreErrorKind::Timeout
    } else if e.is_io_error() || e.is_unrecoverable_error() {
        StoreErrorKind::Unavailable
    } else {
        StoreErrorKind::Failed
    };
    StoreError::new("redis", op, kind, e)
}

/// Whether the connection that saw `e` is lost (and the server may be down).
fn is_fatal(e: &RedisError) -> bool {
    e.is_io_error() || e.is_unrecoverable_error()
}

impl Redis {
    /// The server at `url` (`redis://[user:password@]host[:port][/db]`, or
    /// `rediss://…` with the `redis-tls` feature). Connects lazily: a server
    /// that is down is no error here.
    pub fn open(url: &str, timeouts: Timeouts) -> Result<Redis, StoreError> {
        let client = Client::open(url).map_err(|e| {
            StoreError::new(
                "redis",
                "open",
                StoreErrorKind::Config,
                format!("{url}: {e}"),
            )
        })?;
        Ok(Redis {
            client,
            timeouts,
            state: Mutex::new(State {
                idle: Vec::new(),
                failures: 0,
                down_until: None,
                last_error: String::new(),
            }),
        })
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection, or a new one; fails at once while backing off.
    fn connection(&self, op: &'static str) -> Result<Connection, StoreError> {
        {
            let mut state = self.state();
            if let Some(until) = state.down_until {
                let now = Instant::now();
                if now < until {
                    return Err(StoreError::new(
                        "redis",
                        op,
                        StoreErrorKind::Unavailable,
                        format!(
                            "not tried: backing off for {:?} after {}",
                            until - now,
                            state.last_error
                        ),
                    ));
                }
            }
            if let Some(connection) = state.idle.pop() {
                return Ok(connection);
            }
        }
        let at_least_1ms = |d: Duration| d.max(Duration::from_millis(1));
        let connection = self
            .client
            .get_connection_with_timeout(at_least_1ms(self.timeouts.connect))
            .and_then(|connection| {
                connection.set_read_timeout(Some(at_least_1ms(self.timeouts.io)))?;
                connection.set_write_timeout(Some(at_least_1ms(self.timeouts.io)))?;
                Ok(connection)
            });
        connection.map_err(|e| {
            let e = error("connect", &e);
            self.failed(&e);
            e
        })
    }

    fn failed(&self, e: &StoreError) {
        let mut state = self.state();
        // Every idle connection went to the same server: drop them too.
        state.idle.clear();
        state.failures = state.failures.saturating_add(1);
        let doublings = state.failures.saturating_sub(1).min(16);
        let backoff = FIRST_BACKOFF
            .saturating_mul(1 << doublings)
            .min(self.timeouts.max_backoff);
        state.down_until = Some(Instant::now() + backoff);
        state.last_error = e.to_string();
    }

    /// Runs `command` on a connection; a lost connection is dropped and starts
    /// a back-off, any other is reused.
    fn run<T>(
        &self,
        op: &'static str,
        command: impl FnOnce(&mut Connection) -> RedisResult<T>,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection(op)?;
        match command(&mut connection) {
            Ok(answer) => {
                let mut state = self.state();
                state.failures = 0;
                state.down_until = None;
                if state.idle.len() < IDLE {
                    state.idle.push(connection);
                }
                Ok(answer)
            }
            Err(e) if is_fatal(&e) => {
                let e = error(op, &e);
                self.failed(&e);
                Err(e)
            }
            Err(e) => {
                let mut state = self.state();
                if state.idle.len() < IDLE {
                    state.idle.push(connection);
                }
                Err(error(op, &e))
            }
        }
    }
}

/// `prefix` as a `SCAN MATCH` pattern: its glob characters escaped, then `*`.
fn pattern(prefix: &[u8]) -> Vec<u8> {
    let mut pattern = Vec::with_capacity(prefix.len() + 8);
    for &b in prefix {
        if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\' | b'^' | b'-') {
            pattern.push(b'\\');
        }
        pattern.push(b);
    }
    pattern.push(b'*');
    pattern
}

impl Backend for Redis {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.run("get", |c| redis::cmd("GET").arg(key).query(c))
    }

    fn put(&self, key: &[u8], value: &[u8], ttl: Option<Duration>) -> Result<(), StoreError> {
        let mut set = redis::cmd("SET");
        set.arg(key).arg(value);
        if let Some(ttl) = ttl {
            let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            set.arg("PX").arg(ms);
        }
        self.run("put", |c| set.query(c))
    }

    fn remove(&self, key: &[u8]) -> Result<bool, StoreError> {
        self.run("remove", |c| redis::cmd("DEL").arg(key).query::<u64>(c))
            .map(|n| n > 0)
    }

    /// `SCAN … MATCH prefix*` and `DEL` in batches of 512: walks the whole
    /// keyspace, one bounded round trip at a time; never `FLUSHDB`.
    fn clear_prefix(&self, prefix: &[u8]) -> Result<u64, StoreError> {
        let pattern = pattern(prefix);
        let mut cursor = 0u64;
        let mut removed = 0;
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) = self.run("clear", |c| {
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(SCAN_BATCH)
                    .query(c)
            })?;
            let keys: Vec<&Vec<u8>> = keys.iter().filter(|k| k.starts_with(prefix)).collect();
            if !keys.is_empty() {
                removed += self.run("clear", |c| redis::cmd("DEL").arg(&keys).query::<u64>(c))?;
            }
            if next == 0 {
                return Ok(removed);
            }
            cursor = next;
        }
    }
}

struct Global {
    url: Option<String>,
    timeouts: Timeouts,
    current: Option<&'static Redis>,
}

static GLOBAL: Mutex<Global> = Mutex::new(Global {
    url: None,
    timeouts: DEFAULT_TIMEOUTS,
    current: None,
});

fn global() -> MutexGuard<'static, Global> {
    GLOBAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Points the process-wide store at `url` for the rest of the run (checked
/// here; connected on first use).
pub fn set_url(url: &str) -> Result<(), StoreError> {
    let mut global = global();
    let redis = Redis::open(url, global.timeouts)?;
    global.url = Some(url.to_owned());
    global.current = Some(Box::leak(Box::new(redis)));
    Ok(())
}

/// Sets the timeouts of the process-wide store.
pub fn set_timeouts(timeouts: Timeouts) {
    let mut global = global();
    global.timeouts = timeouts;
    global.current = None;
}

/// The URL the process-wide store uses: [`set_url`]'s, else `MEMO_REDIS_URL`,
/// else [`DEFAULT_URL`].
pub fn url() -> String {
    url_of(&global())
}

fn url_of(global: &Global) -> String {
    global
        .url
        .clone()
        .or_else(|| std::env::var(URL_VAR).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| DEFAULT_URL.to_owned())
}

/// The process-wide store. An error only if its URL is malformed; a server
/// that is down shows in the calls.
pub fn backend() -> Result<&'static dyn Backend, StoreError> {
    let mut global = global();
    if let Some(redis) = global.current {
        return Ok(redis);
    }
    let redis: &'static Redis =
        Box::leak(Box::new(Redis::open(&url_of(&global), global.timeouts)?));
    global.current = Some(redis);
    Ok(redis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_globs() {
        assert_eq!(
            pattern(b"memo:v1:f::<[u8; 2]>:"),
            b"memo:v1:f::<\\[u8; 2\\]>:*".to_vec()
        );
        assert_eq!(pattern(b"a*b?c\\"), b"a\\*b\\?c\\\\*".to_vec());
    }
}
