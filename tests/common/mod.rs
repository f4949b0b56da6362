//! Helpers shared by the concurrency and lifecycle tests.

#![allow(dead_code)] // each test binary uses its own subset

use std::sync::mpsc;
use std::sync::Once;
use std::time::Duration;

/// How long a test body may run before it counts as hung.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `f` in a thread of its own and waits at most `timeout` for it: a hang
/// or a deadlock fails the test with a message naming it instead of stalling
/// the whole suite. A panic in `f` is re-raised with its own message.
pub fn watchdog<R, F>(name: &str, timeout: Duration, f: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (done, outcome) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("watchdog-{name}"))
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            // The receiver is gone only if the watchdog already gave up.
            let _ = done.send(result);
        })
        .expect("spawn the watched thread");
    match outcome.recv_timeout(timeout) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: no result after {timeout:?}: a hang or a deadlock")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("{name}: the watched thread exited without a result")
        }
    }
}

/// The prefix of thread names whose panics print nothing (see [`quiet_panics`]).
pub const QUIET: &str = "quiet-";

/// Installs, once per process, a panic hook that says nothing for threads
/// named `quiet-…` (panics the test provokes on purpose) and defers to the
/// default hook for every other thread.
pub fn quiet_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let quiet = std::thread::current()
                .name()
                .is_some_and(|name| name.starts_with(QUIET));
            if !quiet {
                default(info);
            }
        }));
    });
}

/// Spawns a thread whose deliberate panics print nothing.
pub fn spawn_quiet<F, R>(name: &str, f: F) -> std::thread::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    quiet_panics();
    std::thread::Builder::new()
        .name(format!("{QUIET}{name}"))
        .spawn(f)
        .expect("spawn a worker")
}

/// The variable that tells a child process which test to run for real.
const ISOLATED: &str = "MEMO_TEST_ISOLATED";

/// Runs `scenario` in a child process that runs only the test `name` of this
/// same binary, and fails if the child fails. For scenarios whose failure
/// mode is a process abort (a panic in a thread-local destructor), which
/// would otherwise take every other test of the binary down with it. `name`
/// is the test's path as the harness prints it.
pub fn isolated(name: &str, scenario: fn()) {
    if std::env::var(ISOLATED).as_deref() == Ok(name) {
        return watchdog(name, TIMEOUT, scenario);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let child_name = name.to_owned();
    let output = watchdog(name, TIMEOUT + Duration::from_secs(10), move || {
        std::process::Command::new(exe)
            .args([&child_name, "--exact", "--nocapture", "--test-threads=1"])
            .env(ISOLATED, &child_name)
            .output()
    })
    .expect("start the child process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{name}, run in a child process, failed ({}):\n{stderr}\n{stdout}",
        output.status
    );
}

/// Joins `handle`, re-raising a panic of the thread as this thread's own, so
/// the test fails with the thread's message rather than a bare `Any`.
pub fn join<R>(handle: std::thread::JoinHandle<R>, what: &str) -> R {
    match handle.join() {
        Ok(value) => value,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "a non-string panic".to_owned());
            panic!("{what} panicked: {message}")
        }
    }
}

/// Busy-waits for `d` of wall time: work a profiler must charge to the caller.
pub fn spin(d: Duration) {
    let start = std::time::Instant::now();
    while start.elapsed() < d {
        std::hint::black_box(());
    }
}

/// Runs `attempt` until it returns `Ok`, at most three times, holding a lock
/// that the timing tests of one binary share: they take turns, since a
/// spinning test slows the others on a small machine. A thread that loses
/// its core during a timed stretch can throw one attempt off; a wrong
/// estimate or a wrong claim fails all three.
pub fn attempts(mut attempt: impl FnMut() -> Result<(), String>) {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut failures = Vec::new();
    for _ in 0..3 {
        match attempt() {
            Ok(()) => return,
            Err(failure) => failures.push(failure),
        }
    }
    panic!("three attempts failed:\n{}", failures.join("\n"));
}

/// `Err(message)` unless `ok`.
pub fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(message())
    }
}

/// The fastest of five runs of `f`: the least disturbed by other work.
pub fn fastest(mut f: impl FnMut()) -> Duration {
    (0..5)
        .map(|_| {
            let start = std::time::Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}
