//! The snapshot of one instrumented function's counters.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{calibrate, times};
use crate::counters::SAMPLE_EVERY;
use crate::function::{Function, Kind};

/// A snapshot of one function's counters.
///
/// Whenever no call is in flight, `calls == hits + misses`, exactly, under any
/// number of threads.
///
/// ```
/// #[memo::memoize]
/// fn square(n: u64) -> u64 { n * n }
///
/// square(3);
/// square(3);
/// let s: memo::Stats = square::stats();
/// assert_eq!((s.calls, s.hits, s.misses, s.entries), (2, 1, 1, 1));
/// assert!(s.name.ends_with("::square"));
/// assert_eq!(s.hit_rate(), 0.5);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// `module_path!()` + `"::"` + the function's name (`"Type::"` before it for methods).
    pub name: &'static str,
    /// Which attribute instrumented the function.
    pub kind: Kind,
    /// Every call since the start or the last `clear()`.
    pub calls: u64,
    /// Calls answered without running the body.
    pub hits: u64,
    /// Of the hits, the calls that waited for another caller's run of the
    /// same key (`single_flight`) and returned its value.
    pub waited: u64,
    /// Runs of the body that returned `Err` (never cached).
    pub errors: u64,
    /// Of those, the calls answered with the expired `Ok` value instead
    /// (`stale_on_error`).
    pub stale: u64,
    /// Of the hits, the ones the second-level store answered (`store = ...`).
    pub store_hits: u64,
    /// Store operations that failed (down, slow, garbage): each became a miss
    /// of the store, never a failed call.
    pub store_errors: u64,
    /// Store reads that found nothing fresh, failures included.
    pub store_misses: u64,
    /// The mean time of one store operation (a read or a write), once there
    /// was one.
    pub store_latency: Option<Duration>,
    /// Executions of the body through this call path.
    pub misses: u64,
    /// Entries held now: cached results, or the table length for `#[precompute]`.
    pub entries: usize,
    /// Entries dropped to make room (`capacity`); expired entries are not evictions.
    pub evictions: u64,
    /// The `capacity` option, if any.
    pub capacity: Option<usize>,
    /// The `ttl` option, if any.
    pub ttl: Option<Duration>,
    /// Whether each thread has a cache of its own (`thread_local`).
    pub thread_local: bool,
    /// Time spent in runs of the body, other instrumented functions they
    /// call included and recursion counted once: the same as `total_time`,
    /// or zero before a run was timed.
    pub body_time: Duration,
    /// `total_time` per run of the body (per miss, for a cache): for a
    /// recursive function, what one run costs with its recursive calls
    /// answered (by the cache, or by runs counted in their own right).
    pub body_mean: Option<Duration>,
    /// `tottime`: time in the body itself, excluding runs of other
    /// instrumented functions it calls (and nested runs of itself); calls
    /// it makes that are cache hits or table loads are included, as cProfile
    /// charges a C function's time to its Python caller. `None` until a run
    /// was timed.
    ///
    /// Estimated from timed runs: the first three runs of each thread, then
    /// one in 64 (a `#[counted]` function: the first call, then one in 64),
    /// and the first run after `clear()` on the clearing thread. Each timed
    /// run stands for the runs since the previous one; the time of the clock
    /// reads is subtracted. See `Report` for the error this carries.
    pub self_time: Option<Duration>,
    /// `cumtime`: time in the body including the instrumented functions it
    /// calls, a recursive function's nested runs counted once (as cProfile
    /// counts a recursive frame once).
    pub total_time: Option<Duration>,
    /// The mean time of one run including its nested runs of the same
    /// function: for an uncached recursive function (`#[counted]` fib), what
    /// one call costs with its whole recursion, which is what a cache hit on
    /// it would save.
    pub frame_mean: Option<Duration>,
    /// How many runs of the body were timed.
    pub timed_runs: u64,
    /// Runs not nested in another run of the same function: cProfile's
    /// *primitive calls* (all runs, for a function that does not recurse;
    /// 1 for `fib(35)`). Estimated from timed runs that had no run of their
    /// own function open around them, which are the outer runs (the
    /// thread's first one always is) unless an untimed run was: then fewer
    /// nested runs are seen and this errs high.
    pub outer_runs: Option<u64>,
    /// What one cache lookup costs, calibrated once per process for this kind of cache.
    pub lookup_cost: Option<Duration>,
    /// The number of distinct inputs among the `samples` calls (a bounded
    /// sketch: exact up to 256, estimated above; for `#[precompute]`, the table
    /// cells those hits read).
    pub distinct: Option<u64>,
    /// How many calls fed `distinct`: every miss of a `#[memoize]` function (handed
    /// to the report when the thread's outermost call of the function returns), one
    /// call in 64 of a `#[counted]` one, one hit in 64 of a `#[precompute]` one.
    pub samples: u64,
    /// For a function whose parameters are all integers or `bool`, the smallest
    /// and largest value of each seen so far.
    pub observed: Vec<(i128, i128)>,
    /// The type of each parameter, as written (`"u32"`), for the same functions.
    pub param_types: &'static [&'static str],
}

impl Stats {
    /// Adds `other`'s counts to these (the instantiations of a generic fn).
    pub(crate) fn add(&mut self, other: &Stats) {
        self.calls += other.calls;
        self.hits += other.hits;
        self.waited += other.waited;
        self.errors += other.errors;
        self.stale += other.stale;
        self.store_hits += other.store_hits;
        self.store_errors += other.store_errors;
        self.store_misses += other.store_misses;
        self.store_latency = self.store_latency.or(other.store_latency);
        self.misses += other.misses;
        self.entries += other.entries;
        self.evictions += other.evictions;
        self.body_time += other.body_time;
        self.body_mean = self.body_mean.or(other.body_mean);
        let sum = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.self_time = sum(self.self_time, other.self_time);
        self.total_time = sum(self.total_time, other.total_time);
        self.frame_mean = self.frame_mean.or(other.frame_mean);
        self.timed_runs += other.timed_runs;
        self.outer_runs = match (self.outer_runs, other.outer_runs) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.lookup_cost = self.lookup_cost.or(other.lookup_cost);
        self.samples += other.samples;
        self.distinct = match (self.distinct, other.distinct) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
    }

    /// `self_time` per run of the body (`tottime` percall).
    #[must_use]
    pub fn self_mean(&self) -> Option<Duration> {
        per_run(self.self_time?, self.misses)
    }

    /// `total_time` per outer run (`cumtime` percall, as cProfile divides
    /// by primitive calls): what one call from outside costs.
    #[must_use]
    pub fn total_per_outer_run(&self) -> Option<Duration> {
        per_run(self.total_time?, self.outer_runs?)
    }

    /// Whether the function's runs call it again: some run had nested runs
    /// of the same function.
    #[must_use]
    pub fn is_recursive(&self) -> bool {
        self.outer_runs.is_some_and(|outer| outer < self.misses)
    }

    /// `hits / calls`, or 0 before the first call.
    #[must_use]
    #[allow(clippy::cast_precision_loss)] // a ratio for people to read
    pub fn hit_rate(&self) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            self.hits as f64 / self.calls as f64
        }
    }
}

/// `total / runs`, or `None` without runs.
fn per_run(total: Duration, runs: u64) -> Option<Duration> {
    (runs > 0).then(|| {
        Duration::from_nanos(u64::try_from(total.as_nanos() / u128::from(runs)).unwrap_or(u64::MAX))
    })
}

/// The snapshot is the report's: `function` only keeps the counters.
impl Function {
    /// A snapshot of the counters (of a generic fn: the sum over its
    /// instantiations).
    #[must_use]
    pub fn stats(&'static self) -> Stats {
        if !self.info().generic {
            return self.own_stats();
        }
        let mut sum = self.own_stats();
        for other in self.others() {
            sum.add(&other.own_stats());
        }
        sum
    }

    fn own_stats(&self) -> Stats {
        let generation = self.generation.load(Ordering::Acquire);
        let (totals, local_entries, profile) = self.counters.total(generation);
        let entries = match self.info().kind {
            Kind::Precompute => self.info().entries,
            Kind::Memoize if self.info().thread_local => local_entries,
            Kind::Memoize => self.shared_entries(),
            Kind::Counted => 0,
        };
        // Self and total time, from the timed runs (see `frames`).
        let times = times::times(&self.counters, totals.misses, &profile.frames);
        // Every miss of a cache feeds the distinct-input sketch; one call in
        // `SAMPLE_EVERY` of the others.
        let samples = match (self.info().touched, self.info().kind) {
            (Some(_), _) => totals.hits / SAMPLE_EVERY,
            (None, Kind::Memoize) => totals.misses,
            (None, _) => totals.samples,
        };
        let lookup_cost =
            (self.info().kind == Kind::Memoize).then(|| calibrate::lookup_cost(self.mode()));

        Stats {
            name: self.name(),
            kind: self.info().kind,
            calls: totals.hits + totals.misses,
            hits: totals.hits,
            waited: totals.waited,
            errors: totals.errors,
            stale: totals.stale,
            store_hits: totals.stored,
            store_errors: self.info().store.map_or(0, |store| store.errors()),
            store_misses: self.info().store.map_or(0, |store| store.misses()),
            store_latency: self.info().store.and_then(|store| store.latency()),
            misses: totals.misses,
            entries,
            evictions: totals.evictions,
            capacity: self.info().capacity,
            ttl: self.info().ttl,
            thread_local: self.info().thread_local,
            body_time: times.total_time.unwrap_or_default(),
            body_mean: times.mean(totals.misses),
            self_time: times.self_time,
            total_time: times.total_time,
            frame_mean: times.frame_mean,
            timed_runs: times.timed,
            outer_runs: times.outer_runs,
            lookup_cost,
            distinct: match self.info().touched {
                Some(touched) => Some(touched.count()),
                None => (samples > 0).then(|| profile.distinct.estimate()),
            },
            samples,
            observed: profile.ranges,
            param_types: self.info().params,
        }
    }
}
