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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use event_listener::{Event, Listener};

use crate::sync::lock;

/// One key being computed.
pub(crate) struct Flight {
    landed: AtomicBool,
    event: Event,
    /// The thread running the body, for a sync leader.
    leader: Option<ThreadId>,
}

impl Flight {
    fn landed(&self) -> bool {
        self.landed.load(Ordering::Acquire)
    }

    /// Blocks until the flight lands, unless waiting would close a cycle of
    /// waits; returns whether it waited.
    pub(crate) fn wait(&self) -> bool {
        let me = std::thread::current().id();
        let Some(waiting) = Waiting::begin(me, self.leader) else {
            return false;
        };
        while !self.landed() {
            let listener = self.event.listen();
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
            let listener = self.event.listen();
            if self.landed() {
                break;
            }
            listener.await;
        }
    }
}

/// The flights of one function, by key hash.
#[derive(Default)]
pub(crate) struct Flights {
    flying: Mutex<HashMap<u64, Arc<Flight>>>,
}

/// What a caller that missed does.
pub(crate) enum Claim<'a> {
    /// Run the body; the flight lands when the guard drops (after the value
    /// is stored, or when the body panics or its future is dropped).
    Lead(Lead<'a>),
    /// Another caller is running the body.
    Wait(Arc<Flight>),
    /// This thread is already computing the key: run the body directly.
    Reenter,
}

impl Flights {
    /// Claims the flight of `hash`: `sync` callers are recorded as the thread
    /// leading it, so that waits on it can be checked for cycles.
    pub(crate) fn claim(&self, hash: u64, sync: bool) -> Claim<'_> {
        let me = std::thread::current().id();
        let mut flying = lock(&self.flying);
        if let Some(flight) = flying.get(&hash) {
            return if sync && flight.leader == Some(me) {
                Claim::Reenter
            } else {
                Claim::Wait(Arc::clone(flight))
            };
        }
        let flight = Arc::new(Flight {
            landed: AtomicBool::new(false),
            event: Event::new(),
            leader: sync.then_some(me),
        });
        flying.insert(hash, Arc::clone(&flight));
        Claim::Lead(Lead {
            flights: self,
            hash,
            flight,
        })
    }
}

/// The leader's claim on a flight; dropping it lands the flight and wakes
/// every waiter.
pub(crate) struct Lead<'a> {
    flights: &'a Flights,
    hash: u64,
    flight: Arc<Flight>,
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        let mut flying = lock(&self.flights.flying);
        if flying
            .get(&self.hash)
            .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
        {
            flying.remove(&self.hash);
        }
        drop(flying);
        self.flight.landed.store(true, Ordering::Release);
        self.flight.event.notify(usize::MAX);
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
        let waiter = std::thread::spawn(move || match flights.claim(7, true) {
            Claim::Wait(flight) => flight.wait(),
            _ => false,
        });
        while Arc::strong_count(&lead.flight) < 3 {
            std::thread::sleep(Duration::from_millis(1));
        }
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
