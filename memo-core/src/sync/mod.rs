//! The bottom layer: the one `lock` helper, the process's hasher, and the
//! single-flight table (`flight`) that lets one caller per key run a body
//! while the others wait. Imports nothing else from the crate.

pub(crate) mod flight;

use std::hash::{BuildHasher, Hash};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

/// Locks `mutex`. No user code runs under memo's locks except where a comment
/// says so, and what they guard stays consistent, so poisoning is ignored.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The hasher of every cache: fast, and seeded once per process, so keys from
/// untrusted input cannot be chosen to collide, while every thread's hash of a
/// key is the same (a hash computed by one thread is reused by the shared
/// store and by the report's distinct-input sketch).
pub(crate) type Hasher = foldhash::fast::FixedState;

/// The process's hasher.
pub(crate) fn hasher() -> Hasher {
    static SEED: OnceLock<u64> = OnceLock::new();
    let seed =
        *SEED.get_or_init(|| foldhash::fast::RandomState::default().hash_one(0x6d65_6d6f_u64));
    foldhash::fast::FixedState::with_seed(seed)
}

/// `value`'s hash under the process's hasher.
pub(crate) fn hash<T: Hash + ?Sized>(hasher: &Hasher, value: &T) -> u64 {
    hasher.hash_one(value)
}
