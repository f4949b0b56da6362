//! What the store tests share: a watchdog, a real `redis-server` started per
//! test, a server that accepts and never answers, child processes running a
//! role of the same test binary, and leaked backends for `Persisted`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The variable that turns a run of the `child` test into a role.
pub const ROLE: &str = "MEMO_TEST_CHILD";

/// Runs `test` on a thread and fails if it has not finished after `limit`
/// (the thread is left behind; the harness exits once every test is done).
pub fn watchdog(limit: Duration, test: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        test();
        let _ = done.send(());
    });
    match finished.recv_timeout(limit) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The test panicked: report its panic, not ours.
            if let Err(panic) = runner.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("watchdog: the test hung for {limit:?}"),
    }
}

/// A port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// A real `redis-server` on 127.0.0.1, persistence off, in a temp dir;
/// killed on drop.
pub struct RedisServer {
    child: Child,
    stopped: bool,
    port: u16,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    pub fn start() -> RedisServer {
        Self::start_on(free_port())
    }

    /// Starts one on `port` (to restart a killed one in place).
    pub fn start_on(port: u16) -> RedisServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is not on PATH: `apt-get install redis-server` (.ci/run does)");
        let server = RedisServer {
            child,
            stopped: false,
            port,
            _dir: dir,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(reply) = self.command("PING") {
                if reply.starts_with("+PONG") {
                    return;
                }
            }
            thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server on port {} did not answer PING", self.port);
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends one inline command and returns the first line of the answer.
    pub fn command(&self, command: &str) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(format!("{command}\r\n").as_bytes())?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line)?;
        Ok(line)
    }

    /// The integer answer of an inline command (`DBSIZE`, `EXISTS k`, …).
    pub fn integer(&self, command: &str) -> i64 {
        let line = self.command(command).expect("command");
        line.trim()
            .strip_prefix(':')
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{command}: not an integer reply: {line:?}"))
    }

    /// Stops the process (SIGSTOP) or resumes it (SIGCONT): a stalled server.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal} failed");
    }

    pub fn kill(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A server that accepts connections and never answers; stops with the test
/// process.
pub fn stalled_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

/// This test binary, running only its `child` test with `ROLE=role`.
pub fn child(role: &str) -> Command {
    let exe = std::env::current_exe().expect("current exe");
    let mut command = Command::new(exe);
    command
        .args(["child", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role);
    command
}

/// Runs `command` to its end and fails with its output if it failed.
pub fn run(mut command: Command) {
    check(&command.output().expect("spawn the child"));
}

/// Starts `command` without waiting; `finish` the result.
pub fn start(mut command: Command) -> Child {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command.spawn().expect("spawn the child")
}

/// Waits for a child `start`ed, fails with its output if it failed, else
/// prints it.
pub fn finish(child: Child) {
    let output = child.wait_with_output().expect("wait for the child");
    check(&output);
    print!("{}", String::from_utf8_lossy(&output.stdout));
}

fn check(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "child failed: {}\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The role this process plays, if it is a child.
pub fn role() -> Option<String> {
    std::env::var(ROLE).ok()
}

/// Bytes of a SQLite database and its WAL.
pub fn file_bytes(db: &Path) -> u64 {
    let wal = db.with_extension("sqlite3-wal");
    [db, wal.as_path()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// A `BackendFn` answering with `$backend`, leaked; each use has its own slot.
#[macro_export]
macro_rules! backend_fn {
    ($backend:expr) => {{
        use memo_core::persist::{Backend, StoreError, StoreErrorKind};
        static SLOT: std::sync::OnceLock<&'static dyn Backend> = std::sync::OnceLock::new();
        fn slot() -> Result<&'static dyn Backend, StoreError> {
            SLOT.get().copied().ok_or_else(|| {
                StoreError::new("test", "get", StoreErrorKind::Config, "no backend set")
            })
        }
        let backend: &'static dyn Backend = Box::leak(Box::new($backend));
        let _ = SLOT.set(backend);
        slot as memo_core::persist::__private::BackendFn
    }};
}

/// A leaked `Persisted` (the async front needs `'static`, like the `static`
/// the generated code declares).
pub fn persisted(
    path: &'static str,
    version: u32,
    backend: memo_core::persist::__private::BackendFn,
) -> &'static memo_core::persist::__private::Persisted {
    use memo_core::persist::__private::{Persisted, Prefix};
    Box::leak(Box::new(Persisted::new(
        Prefix::new(path, "(u64, &str) -> String", version),
        backend,
    )))
}
