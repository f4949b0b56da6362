//! A miss: run the body (or ask the store, or wait for the caller already
//! running the key), keep the result under the rules, and hand what the
//! thread's outermost call computed to the other threads.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::rules::{Computed, Rule};
use super::{unreachable_part, Depth, Entries, Key, Local, LocalSlot, Miss, Value};
use crate::function::Instance;
use crate::store::lookup::ByKey;
use crate::store::map::{Entry, Expiry};
use crate::store::policy::Node;
use crate::store::Mode;
use crate::sync::flight::Claim;
use crate::sync::lock;

impl<K: Key, V: Value> Local<K, V> {
    fn fill<R>(
        &self,
        miss: &Miss,
        key: K,
        observed: &[i128],
        body: impl FnOnce() -> R,
        rules: impl Rule<K, V, R>,
    ) -> R {
        if self.function.info().single_flight && miss.cache && self.mode != Mode::ThreadLocal {
            return self.fill_single_flight(miss, key, observed, body, rules);
        }
        self.run(miss, key, observed, body, rules, false)
    }

    /// `fill` with `single_flight`: claims the key's flight first, or waits
    /// for the caller running it and looks the key up again. The flight lands
    /// when this returns (or unwinds).
    #[inline(never)]
    fn fill_single_flight<R>(
        &self,
        miss: &Miss,
        key: K,
        observed: &[i128],
        body: impl FnOnce() -> R,
        rules: impl Rule<K, V, R>,
    ) -> R {
        loop {
            match self.function.flights().claim(miss.hash, true) {
                Claim::Lead(lead) => {
                    // A waiter looks the key up as soon as the flight lands:
                    // publish first.
                    let out = self.run(miss, key, observed, body, rules, true);
                    drop(lead);
                    return out;
                }
                Claim::Reenter => break,
                Claim::Wait(flight) => {
                    if !flight.wait() {
                        break; // waiting would close a cycle: run the body
                    }
                    if let Ok(value) = self.find(&ByKey(&key)) {
                        self.counts.waited();
                        return rules.wrap(value);
                    }
                }
            }
        }
        self.run(miss, key, observed, body, rules, false)
    }

    /// Asks the store, else runs the body and keeps what it computed;
    /// publishes at once with `now`.
    #[inline(always)]
    fn run<R>(
        &self,
        miss: &Miss,
        key: K,
        observed: &[i128],
        body: impl FnOnce() -> R,
        rules: impl Rule<K, V, R>,
        now: bool,
    ) -> R {
        if let Some(tier) = rules.store() {
            if let Some(value) = miss.cache.then(|| (tier.get)(&key)).flatten() {
                return self.store_hit(miss, key, value, rules, now);
            }
        }
        let (generation, timed) = self.begin(miss.hash, observed);
        let outer = Depth::enter(self);
        let frame = timed.then(|| self.counts.frame());
        let result = body();
        drop(frame);
        drop(outer);
        self.finish(miss, key, result, generation, rules, now, false)
    }

    /// Counts a miss that runs the body and records its arguments for the
    /// report. Returns the generation its value belongs to, and whether to
    /// time the body.
    #[inline(always)]
    fn begin(&self, hash: u64, observed: &[i128]) -> (u64, bool) {
        let timed = self.counts.miss();
        self.observe(hash, observed);
        (self.generation.get(), timed)
    }

    /// Stores what the body computed, if `rules` keep it and no `clear()` ran
    /// since `generation`; serves a stale value for a failed run with
    /// `stale_on_error`. Publishes what this thread computed when its
    /// outermost call returns, or at once (`now`).
    #[allow(clippy::too_many_arguments)]
    fn finish<R>(
        &self,
        miss: &Miss,
        key: K,
        result: R,
        generation: u64,
        rules: impl Rule<K, V, R>,
        now: bool,
        now_async: bool,
    ) -> R {
        let current = self.function.generation.load(Ordering::Acquire) == generation
            && self.generation.get() == generation
            && miss.cache;
        let info = self.function.info();
        let out = match rules.split(result) {
            Computed::Keep(value) => {
                if current {
                    let ttl = rules.ttl(&value, info.ttl);
                    if let Some(tier) = rules.store() {
                        if now_async {
                            (tier.put_async)(&key, &value, ttl);
                        } else {
                            (tier.put)(&key, &value, ttl);
                        }
                    }
                    self.store(miss.hash, key, &value, ttl);
                }
                rules.wrap(value)
            }
            Computed::Skip(result) => result,
            Computed::Failed(result) => {
                self.counts.failed();
                let stale = if info.stale_on_error {
                    self.stale(miss.hash, &key)
                } else {
                    None
                };
                match stale {
                    Some(stale) => {
                        self.counts.served_stale();
                        if current {
                            let ttl = rules.ttl(&stale, info.ttl);
                            self.store(miss.hash, key, &stale, ttl);
                        }
                        rules.wrap(stale)
                    }
                    None => result,
                }
            }
        };
        if now || self.depth.get() == 0 {
            self.publish();
        }
        out
    }

    /// A value the second-level store had: a hit (counted as one from the
    /// store), kept in the in-process cache too.
    fn store_hit<R>(
        &self,
        miss: &Miss,
        key: K,
        value: V,
        rules: impl Rule<K, V, R>,
        now: bool,
    ) -> R {
        self.counts.store_hit();
        let ttl = rules.ttl(&value, self.function.info().ttl);
        self.store(miss.hash, key, &value, ttl);
        if now || self.depth.get() == 0 {
            self.publish();
        }
        rules.wrap(value)
    }

    /// The value stored for `key`, expired or not (`stale_on_error`).
    fn stale(&self, hash: u64, key: &K) -> Option<V> {
        let query = ByKey(key);
        match self.mode {
            Mode::ThreadLocal => match &*self.entries.try_borrow().ok()? {
                Entries::Map(map) | Entries::Sliding(map) => {
                    map.entry(hash, &query).map(|e| e.value.clone())
                }
                Entries::Policy(policy) => policy
                    .find(hash, |k| k == key)
                    .map(|node| node.value.clone()),
                _ => None,
            },
            Mode::Bounded => self
                .bounded()
                .get(hash, &query)
                .map(|node| node.value.clone()),
            Mode::Locked => {
                if self.busy.replace(true) {
                    return None;
                }
                let found = lock(self.locked())
                    .entry(hash, &query)
                    .map(|e| e.value.clone());
                self.busy.set(false);
                found
            }
            Mode::Replicated => None,
        }
    }

    /// Keeps a computed value. Every clone of user values happens before the
    /// entries are borrowed or a lock taken; what an insert displaces is
    /// dropped after.
    pub(super) fn store(&self, hash: u64, key: K, value: &V, ttl: Option<Duration>) {
        match self.mode {
            Mode::Replicated => {
                let expires = Expiry::after(ttl);
                let pending = Entry {
                    hash,
                    key: key.clone(),
                    value: value.clone(),
                    expires: expires.clone(),
                };
                let entry = Entry {
                    hash,
                    key,
                    value: value.clone(),
                    expires,
                };
                let Ok(mut entries) = self.entries.try_borrow_mut() else {
                    return; // a call from user code under the borrow
                };
                let replaced = match &mut *entries {
                    Entries::Map(map) => map.insert(entry),
                    _ => None,
                };
                drop(entries);
                if let Ok(mut list) = self.pending.try_borrow_mut() {
                    list.push(pending);
                }
                drop(replaced);
            }
            Mode::ThreadLocal => {
                let value = value.clone();
                let Ok(mut entries) = self.entries.try_borrow_mut() else {
                    return; // a call from user code under the borrow
                };
                let (evicted, len, dropped) = match &mut *entries {
                    Entries::Map(map) | Entries::Sliding(map) => {
                        let expires = Expiry::after(ttl);
                        let mut dropped = if expires.expires() {
                            map.sweep_if_due()
                        } else {
                            Vec::new()
                        };
                        dropped.extend(map.insert(Entry {
                            hash,
                            key,
                            value,
                            expires,
                        }));
                        (0, map.len(), (dropped, Vec::new()))
                    }
                    Entries::Policy(policy) => {
                        let mut out = Vec::new();
                        let node = Node::new(hash, key, value, Expiry::after(ttl));
                        let evicted = policy.insert(Arc::new(node), &mut out);
                        (evicted, policy.len(), (Vec::new(), out))
                    }
                    _ => (0, 0, (Vec::new(), Vec::new())),
                };
                drop(entries);
                self.counts.evicted(evicted);
                self.counts.slot().entries.store(len, Ordering::Relaxed);
                drop(dropped);
            }
            Mode::Bounded => {
                let node = Arc::new(Node::new(hash, key, value.clone(), Expiry::after(ttl)));
                let evicted = self
                    .bounded()
                    .insert(Arc::clone(&node), self.generation.get());
                self.counts.evicted(evicted);
                let dropped = match self.entries.try_borrow_mut().as_deref_mut() {
                    Ok(Entries::Replica(replica)) => replica.insert(node),
                    _ => Vec::new(),
                };
                drop(dropped);
            }
            Mode::Locked => {
                let entry = Entry {
                    hash,
                    key,
                    value: value.clone(),
                    expires: Expiry::after(ttl),
                };
                if self.busy.replace(true) {
                    return;
                }
                let mut map = lock(self.locked());
                // The generation is checked under the lock `clear()` takes
                // too: a value computed before a `clear()` is never stored
                // after it.
                let dropped =
                    if self.function.generation.load(Ordering::Acquire) == self.generation.get() {
                        let mut dropped = map.sweep_if_due();
                        dropped.extend(map.insert(entry));
                        dropped
                    } else {
                        Vec::new()
                    };
                drop(map);
                self.busy.set(false);
                drop(dropped);
            }
        }
    }

    /// Widens the observed ranges and samples the key, for the report.
    #[inline]
    fn observe(&self, hash: u64, values: &[i128]) {
        let sample = self.counts.wants_sample(hash);
        if let Ok(mut seen) = self.seen.try_borrow_mut() {
            let seen = &mut *seen;
            if seen.ranges.len() == values.len() {
                for (range, &v) in seen.ranges.iter_mut().zip(values) {
                    range.0 = range.0.min(v);
                    range.1 = range.1.max(v);
                }
            } else {
                seen.ranges.clear();
                seen.ranges.extend(values.iter().map(|&v| (v, v)));
            }
            if sample {
                seen.hashes.push(hash);
            }
        }
    }

    /// Hands what this thread's outermost call computed to the other threads
    /// and to the report.
    pub(super) fn publish(&self) {
        if self.mode == Mode::Replicated {
            // Drained into the batch's one allocation; the list keeps its
            // capacity for the next call.
            let pending = self
                .pending
                .try_borrow_mut()
                .map(|mut p| (!p.is_empty()).then(|| p.drain(..).collect::<Arc<[Entry<K, V>]>>()));
            if let Ok(Some(entries)) = pending {
                let me = std::ptr::from_ref(self) as usize;
                let cursor = self.cursor.get();
                if self
                    .log()
                    .publish(me, entries, self.generation.get(), cursor)
                {
                    self.cursor.set(cursor + 1);
                }
            }
        }
        if let Ok(mut seen) = self.seen.try_borrow_mut() {
            if !seen.ranges.is_empty() || !seen.hashes.is_empty() {
                self.counts.absorb(&seen.ranges, &seen.hashes);
                seen.ranges.clear();
                seen.hashes.clear();
            }
        }
    }
}

/// Runs the body for a missed key and caches the result if `cacheable` says so.
/// `observed` holds the integer arguments, for the report's observed domain.
/// Out of line, so that the caller's hit path keeps few registers to save.
#[inline(never)]
pub fn fill<K: Key, V: Value, R, S>(
    local: &'static S,
    instance: Instance,
    miss: Miss,
    key: K,
    observed: &[i128],
    body: impl FnOnce() -> R,
    rules: impl Rule<K, V, R>,
) -> R
where
    S: LocalSlot<K, V> + ?Sized,
{
    if !miss.live {
        return body();
    }
    match hand_over(local, instance, key, body, |local, key, body| {
        local.fill(&miss, key, observed, body, rules)
    }) {
        Ok(value) => value,
        Err(body) => body(),
    }
}

/// Runs `f` on this thread's part with `key` and `item`, or hands `item`
/// back if the part is gone (the thread is being torn down).
#[inline(always)]
fn hand_over<K: Key, V: Value, S, T, R>(
    local: &'static S,
    instance: Instance,
    key: K,
    item: T,
    f: impl FnOnce(&Local<K, V>, K, T) -> R,
) -> Result<R, T>
where
    S: LocalSlot<K, V> + ?Sized,
{
    let mut given = Some((key, item));
    let done = local.try_local(instance, |local| {
        given.take().map(|(key, item)| f(local, key, item))
    });
    match (done.flatten(), given) {
        (Some(out), _) => Ok(out),
        (None, Some((_, item))) => Err(item),
        (None, None) => unreachable_part(),
    }
}

/// `fill` for an `async fn`: the body is a future, awaited with no borrow of
/// a thread-local held (the task may move between threads while it waits).
/// With `single_flight` (the default for `async fn`), a caller that finds the
/// key being computed awaits that flight; if the leader's future is dropped
/// before it finishes, the flight lands empty and a waiter takes over.
pub async fn fill_async<K: Key, V: Value, R, S, const N: usize>(
    local: &'static S,
    instance: Instance,
    miss: Miss,
    key: K,
    observed: [i128; N],
    body: impl Future<Output = R>,
    rules: impl Rule<K, V, R>,
) -> R
where
    S: LocalSlot<K, V> + ?Sized,
{
    let function = match local.try_local(instance, |local| local.function) {
        Some(function) if miss.live => function,
        _ => return body.await,
    };
    let mut lead = None;
    if function.info().single_flight && miss.cache && !function.info().thread_local {
        loop {
            match function.flights().claim(miss.hash, false) {
                Claim::Lead(claimed) => {
                    lead = Some(claimed);
                    break;
                }
                Claim::Reenter => break,
                Claim::Wait(flight) => {
                    flight.landing().await;
                    let found = local.try_local(instance, |local| {
                        let found = local.find(&ByKey(&key)).ok();
                        if found.is_some() {
                            local.counts.waited();
                        }
                        found
                    });
                    match found {
                        Some(Some(value)) => return rules.wrap(value),
                        Some(None) => {}
                        None => return body.await,
                    }
                }
            }
        }
    }
    if let Some(tier) = rules.store().filter(|_| miss.cache) {
        if let Some(value) = (tier.get_async)(&key).await {
            let out = hand_over(local, instance, key, value, |local, key, value| {
                local.sync();
                local.store_hit(&miss, key, value, rules, true)
            });
            drop(lead);
            return out.unwrap_or_else(|value| rules.wrap(value));
        }
    }
    let Some((generation, frame)) = local.try_local(instance, |local| {
        let (generation, timed) = local.begin(miss.hash, &observed);
        (generation, timed.then(|| local.counts.frame()))
    }) else {
        return body.await;
    };
    let result = body.await;
    drop(frame);
    let out = hand_over(local, instance, key, result, |local, key, result| {
        local.sync();
        local.finish(&miss, key, result, generation, rules, true, true)
    });
    drop(lead);
    out.unwrap_or_else(|result| result)
}

/// Pins an `async` block's output type to the function's return type, so
/// that `?` and `return` in the body infer as they do in the `async fn`.
#[inline(always)]
pub fn typed_future<V, F: Future<Output = V>>(future: F) -> F {
    future
}
