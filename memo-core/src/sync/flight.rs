//! Single-flight: concurrent misses of one key run the body once.
//!
//! The first caller to miss a key claims its flight and runs the body; the
//! others wait for the flight to land and then look the key up again: a hit,
//! counted as one that waited. If the leader stored nothing (its body
//! panicked, its future was dropped, it returned an `Err` or a value
//! `cache_if` refused), a waiter finds no entry and claims the flight itself:
//! waiters retry rather than share a value that was never cached.
//!
//! Flights are found by the key's hash only, so two keys whose hashes collide
//! share one: the waiter of the other key finds no entry and retries, which
//! costs a wait, never a wrong value.
//!
//! Only the miss path comes here; a hit never touches a flight.
//!
//! Waiting never closes a cycle. A thread that misses a key it is computing
//! itself (a body that calls itself with the same arguments) runs the body
//! directly. Threads record whom they wait for, and a wait that would close a
//! cycle through other threads (A computes k1 and calls k2 while B computes
//! k2 and calls k1) is not taken: that caller runs the body directly. Async
//! leaders belong to no thread, so these checks cover sync callers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::thread::ThreadId;

use event_listener::{Event, Listener};

use crate::sync::lock;

/// The keys of one function being computed, by key hash: for each, the
/// flight's number and the thread running the body (a sync leader). A flight
/// is a map entry, not an allocation; it has landed once its hash maps to
/// another flight or none.
#[derive(Default)]
pub(crate) struct Flights {
    flying: Mutex<HashMap<u64, (u64, Option<ThreadId>)>>,
    next: AtomicU64,
    /// Wakes every waiter of this function when any of its flights lands:
    /// waiters are few (they exist only while a key is being computed), so
    /// one event is simpler than one per flight and costs no allocation on
    /// the leader's path.
    landed: Event,
}

/// A flight a caller found in the air.
pub(crate) struct Flight<'a> {
    flights: &'a Flights,
    hash: u64,
    id: u64,
    leader: Option<ThreadId>,
}

/// What a caller that missed does.
pub(crate) enum Claim<'a> {
    /// Run the body; the flight lands when the guard drops (after the value
    /// is stored, or when the body panics or its future is dropped).
    Lead(Lead<'a>),
    /// Another caller is running the body.
    Wait(Flight<'a>),
    /// This thread is already computing the key: run the body directly.
    Reenter,
}

impl Flights {
    /// Claims the flight of `hash`: `sync` callers are recorded as the thread
    /// leading it, so that waits on it can be checked for cycles.
    pub(crate) fn claim(&self, hash: u64, sync: bool) -> Claim<'_> {
        let me = std::thread::current().id();
        let mut flying = lock(&self.flying);
        if let Some(&(id, leader)) = flying.get(&hash) {
            return if sync && leader == Some(me) {
                Claim::Reenter
            } else {
                Claim::Wait(Flight {
                    flights: self,
                    hash,
                    id,
                    leader,
                })
            };
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        flying.insert(hash, (id, sync.then_some(me)));
        Claim::Lead(Lead {
            flights: self,
            hash,
            id,
        })
    }

    fn is_flying(&self, hash: u64, id: u64) -> bool {
        lock(&self.flying)
            .get(&hash)
            .is_some_and(|&(now, _)| now == id)
    }
}

impl Flight<'_> {
    fn landed(&self) -> bool {
        !self.flights.is_flying(self.hash, self.id)
    }

    /// Blocks until the flight lands, unless waiting would close a cycle of
    /// waits; returns whether it waited.
    pub(crate) fn wait(&self) -> bool {
        let me = std::thread::current().id();
        let Some(waiting) = Waiting::begin(me, self.leader) else {
            return false;
        };
        while !self.landed() {
            let listener = self.flights.landed.listen();
            if self.landed() {
                break;
            }
            listener.wait();
        }
        drop(waiting);
        true
    }

    /// Waits, without blocking the thread, until the flight lands.
    pub(crate) async fn landing(&self) {
        while !self.landed() {
            let listener = self.flights.landed.listen();
            if self.landed() {
                break;
            }
            listener.await;
        }
    }
}

/// The leader's claim on a flight; dropping it lands the flight and wakes
/// the waiters.
pub(crate) struct Lead<'a> {
    flights: &'a Flights,
    hash: u64,
    id: u64,
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        let mut flying = lock(&self.flights.flying);
        if flying.get(&self.hash).is_some_and(|&(id, _)| id == self.id) {
            flying.remove(&self.hash);
        }
        drop(flying);
        self.flights.landed.notify(usize::MAX);
    }
}

/// Who waits for whom, across every function: a sync waiter records the
/// thread leading its flight, and a wait that would close a cycle is refused.
static WAITS: Mutex<Vec<(ThreadId, ThreadId)>> = Mutex::new(Vec::new());

/// A recorded wait, removed when dropped.
struct Waiting {
    me: ThreadId,
}

impl Waiting {
    /// Records that `me` waits for `leader`, unless `leader` waits, through a
    /// chain of waits, for `me` (or `leader` is `me`).
    fn begin(me: ThreadId, leader: Option<ThreadId>) -> Option<Self> {
        let mut waits = lock(&WAITS);
        if let Some(leader) = leader {
            let mut at = leader;
            // A chain is at most as long as the list of waits.
            for _ in 0..=waits.len() {
                if at == me {
                    return None;
                }
                match waits.iter().find(|(waiter, _)| *waiter == at) {
                    Some(&(_, next)) => at = next,
                    None => break,
                }
            }
        }
        if let Some(leader) = leader {
            waits.push((me, leader));
        }
        Some(Waiting { me })
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut waits = lock(&WAITS);
        if let Some(at) = waits.iter().position(|(waiter, _)| *waiter == self.me) {
            waits.swap_remove(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn one_leader_per_hash_and_waiters_wake_when_it_lands() {
        let flights: &'static Flights = Box::leak(Box::default());
        let Claim::Lead(lead) = flights.claim(7, true) else {
            panic!("the first claim leads");
        };
        assert!(matches!(flights.claim(7, true), Claim::Reenter));
        assert!(matches!(flights.claim(8, true), Claim::Lead(_)));
        // A caller with no thread of its own (an async one) finds it flying.
        let Claim::Wait(flight) = flights.claim(7, false) else {
            panic!("the key is being computed");
        };
        let waiter = std::thread::spawn(move || flight.wait());
        std::thread::sleep(Duration::from_millis(20));
        drop(lead);
        assert!(waiter.join().unwrap_or(false), "the waiter waited and woke");
        assert!(matches!(flights.claim(7, true), Claim::Lead(_)));
    }

    #[test]
    fn a_wait_that_closes_a_cycle_is_refused() {
        let a = std::thread::current().id();
        let b = std::thread::spawn(|| std::thread::current().id())
            .join()
            .unwrap_or(a);
        let first = Waiting::begin(b, Some(a));
        assert!(first.is_some(), "b waits for a");
        assert!(
            Waiting::begin(a, Some(b)).is_none(),
            "a waiting for b closes a cycle"
        );
        drop(first);
        assert!(Waiting::begin(a, Some(b)).is_some(), "once b stops waiting");
    }
}
