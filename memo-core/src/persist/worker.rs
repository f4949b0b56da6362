//! The threads that run store calls for `async fn`s, so that no future blocks
//! its executor, whatever the executor is: a future hands its call to a worker
//! and awaits the answer on a `futures-channel` oneshot, which any executor can
//! poll.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread;

use futures_channel::oneshot;

use super::{StoreError, StoreErrorKind};

type Job = Box<dyn FnOnce() + Send>;

/// Two, so that one call stalled up to its store's timeout leaves another
/// store (or another key of the same one) served.
const WORKERS: usize = 2;

fn queue() -> Option<&'static Sender<Job>> {
    static QUEUE: OnceLock<Option<Sender<Job>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (send, receive) = mpsc::channel::<Job>();
            let receive = Arc::new(Mutex::new(receive));
            let started = (0..WORKERS)
                .filter(|_| {
                    let receive = Arc::clone(&receive);
                    thread::Builder::new()
                        .name("memo-store".to_owned())
                        .spawn(move || work(&receive))
                        .is_ok()
                })
                .count();
            (started > 0).then_some(send)
        })
        .as_ref()
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        // A panicking user backend drops the job's sender: its caller sees a
        // cancelled answer (a counted error) and this worker lives on.
        let _ = panic::catch_unwind(AssertUnwindSafe(job));
    }
}

/// Runs `call` on a worker; its answer arrives on the returned receiver (which
/// reports `Canceled` if `call` panicked). The call runs even if the receiver
/// is dropped.
pub(crate) fn spawn<T: Send + 'static>(
    call: impl FnOnce() -> T + Send + 'static,
) -> Result<oneshot::Receiver<T>, StoreError> {
    let unavailable =
        |what: &str| StoreError::new("memo", "async call", StoreErrorKind::Unavailable, what);
    let queue = queue().ok_or_else(|| unavailable("could not start a worker thread"))?;
    let (answer, receiver) = oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = answer.send(call());
    });
    queue
        .send(job)
        .map_err(|_| unavailable("the worker threads have stopped"))?;
    Ok(receiver)
}

/// The error of a call whose answer never came.
pub(crate) fn cancelled() -> StoreError {
    StoreError::new(
        "memo",
        "async call",
        StoreErrorKind::Failed,
        "the backend panicked on the worker thread",
    )
}
