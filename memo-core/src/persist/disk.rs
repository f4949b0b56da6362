//! The disk store (feature `disk`): one SQLite database per crate, in
//! `MEMO_CACHE_DIR` if set, else in the platform cache directory + `memo/`
//! (`~/.cache/memo` on Linux), or wherever [`open`] says at run time.
//!
//! SQLite rather than redb because several processes must use one cache at
//! once: redb locks its file for one process, SQLite in WAL mode lets readers
//! of every process go on while one writes, and makes a writer wait (at most
//! [`BUSY_TIMEOUT`]) for another's commit instead of failing. Each write
//! commits on its own, so a committed entry survives any crash of the process.
//!
//! Expired entries are dropped when read, and swept every [`SWEEP_EVERY`]
//! writes together with the oldest entries past the size budget
//! ([`set_max_bytes`]); freed pages go back to the file system (incremental
//! vacuum), so the file does not grow without bound. WAL needs shared memory
//! between the processes: keep the directory on a local file system.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, ErrorCode, OptionalExtension};

use super::envelope::now_millis;
use super::{Backend, StoreError, StoreErrorKind};

/// How long a write waits for another process's write to commit.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// Writes between two sweeps of expired entries (per open file, per process).
pub const SWEEP_EVERY: u64 = 256;

/// The size budget of a file unless [`set_max_bytes`] says otherwise: 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// How long `backend` keeps answering with the error of a file it could not
/// open before it tries again.
const REOPEN_AFTER: Duration = Duration::from_secs(1);

/// The name of the environment variable that overrides the cache directory.
pub const CACHE_DIR_VAR: &str = "MEMO_CACHE_DIR";

/// One SQLite file of entries: a [`Backend`]. [`backend`] opens one per crate
/// in the cache directory; `Disk::open` opens any file.
pub struct Disk {
    path: PathBuf,
    connection: Mutex<Connection>,
    writes: AtomicU64,
    max_bytes: AtomicU64,
}

fn error(op: &'static str, e: &rusqlite::Error) -> StoreError {
    let kind = match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreErrorKind::Timeout,
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied | ErrorCode::ReadOnly) => {
            StoreErrorKind::Unavailable
        }
        _ => StoreErrorKind::Failed,
    };
    StoreError::new("disk", op, kind, e)
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Disk {
    /// Opens (creating if needed) the database file at `path`; its directory
    /// must exist. The budget is [`DEFAULT_MAX_BYTES`].
    pub fn open(path: impl AsRef<Path>) -> Result<Disk, StoreError> {
        let path = path.as_ref().to_path_buf();
        // Setting up a new file takes locks that another process opening it
        // at the same moment may hold longer than the busy timeout covers.
        let mut attempt = 0;
        let connection = loop {
            match Self::connect(&path) {
                Ok(connection) => break connection,
                Err(e) if attempt < 3 && e.kind() == StoreErrorKind::Timeout => {
                    attempt += 1;
                    thread::sleep(Duration::from_millis(20 << attempt));
                }
                Err(e) => return Err(e),
            }
        };
        Ok(Disk {
            path,
            connection: Mutex::new(connection),
            writes: AtomicU64::new(0),
            max_bytes: AtomicU64::new(DEFAULT_MAX_BYTES),
        })
    }

    fn connect(path: &Path) -> Result<Connection, StoreError> {
        let fail = |e: rusqlite::Error| error("open", &e);
        let connection = Connection::open(path).map_err(|e| {
            StoreError::new(
                "disk",
                "open",
                StoreErrorKind::Unavailable,
                format!("{}: {e}", path.display()),
            )
        })?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        // auto_vacuum only takes before the first table is created.
        connection
            .execute_batch("PRAGMA auto_vacuum = INCREMENTAL")
            .map_err(fail)?;
        let mode: String = connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::new(
                "disk",
                "open",
                StoreErrorKind::Failed,
                format!("{}: SQLite refused WAL mode (got {mode})", path.display()),
            ));
        }
        connection
            .execute_batch(
                "PRAGMA synchronous = NORMAL;
                 PRAGMA journal_size_limit = 8388608;
                 -- A rowid table, not WITHOUT ROWID: its rows stay on their
                 -- page up to ~4 KB where an index b-tree spills anything
                 -- past ~1 KB to an overflow page. `id` is the write order:
                 -- INSERT OR REPLACE gives a rewritten key a new, larger id.
                 CREATE TABLE IF NOT EXISTS entries (
                     id INTEGER PRIMARY KEY,
                     key BLOB NOT NULL UNIQUE,
                     value BLOB NOT NULL,
                     expires INTEGER NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS entries_expires ON entries (expires) WHERE expires > 0;",
            )
            .map_err(fail)?;
        Ok(connection)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets the size budget (bytes of live pages in the file, not counting
    /// the WAL); `None` for none. Applied at the next sweep.
    pub fn set_max_bytes(&self, max_bytes: Option<u64>) {
        self.max_bytes.store(max_bytes.unwrap_or(0), Relaxed);
    }

    /// The number of entries in the file, expired ones included.
    pub fn len(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .lock()
            .query_row("SELECT COUNT(*) FROM entries", [], |row| row.get(0))
            .map_err(|e| error("count", &e))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Whether the file holds no entry.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        self.len().map(|n| n == 0)
    }

    /// Drops the expired entries, then the oldest written ones while the
    /// file is over its budget, and gives the freed pages back to the file
    /// system; returns how many entries were dropped. Runs by itself every
    /// [`SWEEP_EVERY`] writes.
    pub fn sweep(&self) -> Result<u64, StoreError> {
        let fail = |e: rusqlite::Error| error("sweep", &e);
        let connection = self.lock();
        let mut dropped = connection
            .prepare_cached("DELETE FROM entries WHERE expires > 0 AND expires <= ?1")
            .and_then(|mut s| s.execute([to_i64(now_millis())]))
            .map_err(fail)?;
        let budget = self.max_bytes.load(Relaxed);
        if budget > 0 {
            let used = used_bytes(&connection).map_err(fail)?;
            if used > budget {
                // Down to 90% of the budget, assuming entries of even size.
                let count: i64 = connection
                    .query_row("SELECT COUNT(*) FROM entries", [], |row| row.get(0))
                    .map_err(fail)?;
                let excess = used - budget / 10 * 9;
                let count = u64::try_from(count).unwrap_or(0);
                let victims = (u128::from(count) * u128::from(excess) / u128::from(used)).max(1);
                dropped += connection
                    .execute(
                        "DELETE FROM entries WHERE id IN
                         (SELECT id FROM entries ORDER BY id LIMIT ?1)",
                        [to_i64(u64::try_from(victims).unwrap_or(u64::MAX))],
                    )
                    .map_err(fail)?;
            }
        }
        if dropped > 0 {
            connection
                .execute_batch("PRAGMA incremental_vacuum")
                .map_err(fail)?;
        }
        Ok(u64::try_from(dropped).unwrap_or(u64::MAX))
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding it leaves SQLite consistent: each statement
        // is its own transaction.
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Bytes of the pages in use (the file less its free pages).
fn used_bytes(connection: &Connection) -> rusqlite::Result<u64> {
    let pragma = |name: &str| {
        connection
            .query_row(&format!("PRAGMA {name}"), [], |row| row.get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
    };
    let pages = pragma("page_count")?.saturating_sub(pragma("freelist_count")?);
    Ok(pages.saturating_mul(pragma("page_size")?))
}

impl Backend for Disk {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let connection = self.lock();
        let row: Option<(Vec<u8>, i64)> = connection
            .prepare_cached("SELECT value, expires FROM entries WHERE key = ?1")
            .and_then(|mut s| {
                s.query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .map_err(|e| error("get", &e))?;
        match row {
            Some((_, expires)) if expires > 0 && expires <= to_i64(now_millis()) => {
                // Only that very entry: another process may have written a
                // fresh one since. A failure (a read-only file) leaves it for
                // a later sweep; the answer is a miss either way.
                let _ = connection
                    .prepare_cached("DELETE FROM entries WHERE key = ?1 AND expires = ?2")
                    .and_then(|mut s| s.execute(params![key, expires]));
                Ok(None)
            }
            Some((value, _)) => Ok(Some(value)),
            None => Ok(None),
        }
    }

    fn put(&self, key: &[u8], value: &[u8], ttl: Option<Duration>) -> Result<(), StoreError> {
        let now = now_millis();
        let expires = ttl.map_or(0, |ttl| {
            now.saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1))
        });
        self.lock()
            .prepare_cached(
                "INSERT OR REPLACE INTO entries (key, value, expires) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![key, value, to_i64(expires)]))
            .map_err(|e| error("put", &e))?;
        if self.writes.fetch_add(1, Relaxed) % SWEEP_EVERY == 0 {
            // The write itself succeeded; a failed sweep is retried next time.
            let _ = self.sweep();
        }
        Ok(())
    }

    fn remove(&self, key: &[u8]) -> Result<bool, StoreError> {
        let removed = self
            .lock()
            .prepare_cached("DELETE FROM entries WHERE key = ?1")
            .and_then(|mut s| s.execute([key]))
            .map_err(|e| error("remove", &e))?;
        Ok(removed > 0)
    }

    fn clear_prefix(&self, prefix: &[u8]) -> Result<u64, StoreError> {
        // Keys in [prefix, prefix + 1) in byte order, found through the
        // primary key's index; no upper bound if the prefix is all 0xff.
        let connection = self.lock();
        let removed = match prefix_end(prefix) {
            Some(end) => connection.execute(
                "DELETE FROM entries WHERE key >= ?1 AND key < ?2",
                params![prefix, end],
            ),
            None => connection.execute("DELETE FROM entries WHERE key >= ?1", [prefix]),
        }
        .map_err(|e| error("clear", &e))?;
        if removed > 0 {
            let _ = connection.execute_batch("PRAGMA incremental_vacuum");
        }
        Ok(u64::try_from(removed).unwrap_or(u64::MAX))
    }
}

/// The smallest byte string greater than every string starting with `prefix`.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The files opened by [`backend`], for the current directory.
struct Location {
    /// Set by [`open`]; else the environment or the platform decides.
    dir: Option<PathBuf>,
    max_bytes: Option<u64>,
    files: BTreeMap<&'static str, Opened>,
}

enum Opened {
    Ready(&'static Disk),
    Failed(StoreError, Instant),
}

static LOCATION: Mutex<Location> = Mutex::new(Location {
    dir: None,
    max_bytes: Some(DEFAULT_MAX_BYTES),
    files: BTreeMap::new(),
});

fn location() -> MutexGuard<'static, Location> {
    LOCATION.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sets the cache directory for the rest of the run (created if missing):
/// the functions of every crate move to their files in it. Files already
/// open stay valid for whoever holds them.
pub fn open(dir: impl AsRef<Path>) -> Result<(), StoreError> {
    let dir = dir.as_ref();
    make_dir(dir)?;
    let mut location = location();
    location.dir = Some(dir.to_path_buf());
    location.files.clear();
    Ok(())
}

fn make_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        StoreError::new(
            "disk",
            "open",
            StoreErrorKind::Config,
            format!("{}: {e}", dir.display()),
        )
    })
}

/// The cache directory in use: the one given to [`open`], else
/// `MEMO_CACHE_DIR`, else the platform cache directory + `memo`.
pub fn dir() -> Result<PathBuf, StoreError> {
    dir_of(&location())
}

fn dir_of(location: &Location) -> Result<PathBuf, StoreError> {
    if let Some(dir) = &location.dir {
        return Ok(dir.clone());
    }
    if let Some(dir) = std::env::var_os(CACHE_DIR_VAR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::cache_dir().map(|d| d.join("memo")).ok_or_else(|| {
        StoreError::new(
            "disk",
            "open",
            StoreErrorKind::Config,
            format!("no cache directory on this platform: set {CACHE_DIR_VAR}"),
        )
    })
}

/// Sets the size budget of every file [`backend`] has opened or will open;
/// `None` for none. The default is [`DEFAULT_MAX_BYTES`].
pub fn set_max_bytes(max_bytes: Option<u64>) {
    let mut location = location();
    location.max_bytes = max_bytes;
    for opened in location.files.values() {
        if let Opened::Ready(disk) = opened {
            disk.set_max_bytes(max_bytes);
        }
    }
}

/// The file of the crate `crate_name` (the generated code passes
/// `env!("CARGO_PKG_NAME")`) in the cache directory, `<crate>.sqlite3`,
/// opened once per run. A file that cannot be opened is tried again a second
/// later, not on every call.
pub fn backend(crate_name: &'static str) -> Result<&'static dyn Backend, StoreError> {
    let mut location = location();
    match location.files.get(crate_name) {
        Some(Opened::Ready(disk)) => return Ok(*disk),
        Some(Opened::Failed(e, at)) if at.elapsed() < REOPEN_AFTER => return Err(e.clone()),
        _ => {}
    }
    let opened = dir_of(&location).and_then(|dir| {
        make_dir(&dir)?;
        Disk::open(dir.join(file_name(crate_name)))
    });
    match opened {
        Ok(disk) => {
            disk.set_max_bytes(location.max_bytes);
            let disk: &'static Disk = Box::leak(Box::new(disk));
            location.files.insert(crate_name, Opened::Ready(disk));
            Ok(disk)
        }
        Err(e) => {
            location
                .files
                .insert(crate_name, Opened::Failed(e.clone(), Instant::now()));
            Err(e)
        }
    }
}

/// `<crate>.sqlite3`, with anything but `[A-Za-z0-9_-]` replaced by `_`.
fn file_name(crate_name: &str) -> String {
    let stem: String = crate_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = if stem.is_empty() {
        "memo".to_owned()
    } else {
        stem
    };
    format!("{stem}.sqlite3")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ends() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }

    #[test]
    fn file_names_are_tame() {
        assert_eq!(file_name("my-crate_2"), "my-crate_2.sqlite3");
        assert_eq!(file_name("../x"), "___x.sqlite3");
        assert_eq!(file_name(""), "memo.sqlite3");
    }
}
