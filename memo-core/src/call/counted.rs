//! What a `#[counted]` function (and a `#[precompute]` call that runs its
//! body) calls besides `tick`: the cold paths, given the function's state.

use std::cell::RefCell;
use std::sync::atomic::Ordering::Relaxed;
use std::thread::LocalKey;

use crate::counters::{self, timed_run, LocalCounts, ThreadSlot, Timer};
use crate::function::{Function, Instance};

pub use crate::counters::tick;

/// Counts a call of a `#[counted]` function that [`tick`] did not count
/// (see `counters::count_sampled`): timed until the returned `Timer` drops,
/// `None` after this thread's counters are gone.
#[inline(always)]
pub fn count_sampled(
    key: &'static LocalKey<ThreadSlot>,
    function: &'static Function,
    hash: impl FnOnce() -> Option<u64>,
) -> Option<Timer> {
    counters::count_sampled(key, &function.counters, hash)
}

/// Counts a `#[precompute]` call that runs the body (see
/// `counters::count_miss`).
#[inline(always)]
pub fn count_miss(
    key: &'static LocalKey<ThreadSlot>,
    function: &'static Function,
) -> Option<Timer> {
    counters::count_miss(key, &function.counters)
}

/// Counts a call of a `#[counted]` method. A method of a generic `impl` is
/// one item for every `Self` type, so its counts are kept per `Self` type
/// (`type_name`), each under a `Function` of its own (see
/// `Function::instance`), found through a per-thread list. The first three
/// calls and then one in `SAMPLE_EVERY` (64) are timed and have their key
/// hashed.
pub fn count_method(
    function: &'static Function,
    type_name: &'static str,
    hash: impl FnOnce() -> Option<u64>,
) -> Option<Timer> {
    type Methods = RefCell<Vec<(usize, &'static str, LocalCounts)>>;
    std::thread_local! {
        static METHODS: Methods = const { RefCell::new(Vec::new()) };
    }
    let slot = METHODS
        .try_with(|methods| {
            let mut methods = methods.try_borrow_mut().ok()?;
            let id = std::ptr::from_ref(function) as usize;
            let found = methods.iter().position(|(f, name, _)| {
                *f == id && (std::ptr::eq(*name, type_name) || *name == type_name)
            });
            let at = found.unwrap_or_else(|| {
                let instance = Instance {
                    self_type: type_name,
                    ..Instance::plain()
                };
                let counts = function.instance::<()>(&instance).local_counts();
                methods.push((id, type_name, counts));
                methods.len() - 1
            });
            Some(methods[at].2.slot())
        })
        .ok()
        .flatten()?;
    let calls = slot.misses.load(Relaxed).wrapping_add(1);
    slot.misses.store(calls, Relaxed);
    timed_run(calls).then(|| counters::sampled(slot, hash))
}
