//! The seed's "when to use each approach" table, applied to what the report
//! measured: one piece of advice per function, with what it would save.
//!
//! Each suggestion is the cheapest of the alternatives the report can price
//! from its own measurements: a run of the body (`body_mean`: its time with
//! recursion counted once, so for `fib` one run's own work), a lookup
//! (`lookup_cost`, calibrated), a `#[precompute]` table load (calibrated),
//! the calls, misses and distinct inputs. Per call, on average:
//!
//! | strategy | cost per call |
//! |---|---|
//! | the cache as it is | `lookup + misses / calls * run` |
//! | no cache | `run` (not priced for a recursive function: its calls would multiply) |
//! | `capacity` raised to hold every distinct input | `lookup + distinct / calls * run` |
//! | `#[precompute]` over the observed domain | `table load + cells / calls * run` (the build, spread over the calls) |
//! | `#[memoize]` on a `#[counted]` function | `(distinct * run + calls left * lookup) / calls`, where the calls left are the outer calls plus the calls the distinct runs make |
//!
//! A change is advised when it saves at least
//! [`MIN_SAVING_SHARE`](thresholds::MIN_SAVING_SHARE) of the current cost;
//! between alternatives within that share of each other, the simpler one
//! (earlier in the table) wins.

use std::fmt;
use std::time::Duration;

use super::calibrate;
use super::stats::Stats;
use crate::function::Kind;

/// Every threshold the advice uses, in one place.
pub mod thresholds {
    /// Below this many calls there is too little to judge: the advice is `Keep`.
    pub const MIN_CALLS: u64 = 100;
    /// A change is advised only if it saves at least this share of the
    /// current cost; alternatives closer than this to each other count as a
    /// tie, which the simpler one wins.
    pub const MIN_SAVING_SHARE: f64 = 0.1;
    /// The advice to remove a cache says "hits in calls" below this hit rate,
    /// "the body is cheaper than a lookup" above; it is also the whole rule
    /// when no run of the body was timed.
    pub const REMOVE_BELOW_HIT_RATE: f64 = 0.05;
    /// `#[precompute]` is suggested only for a body that costs more than this
    /// many table loads: a table is no faster than a body about as cheap.
    pub const TABLE_LOADS_FOR_PRECOMPUTE: f64 = 2.0;
    /// The largest table `#[precompute]` accepts without `max_entries`.
    pub const MAX_TABLE_CELLS: u128 = 16_777_216;
    /// The largest `capacity` the advice suggests: more distinct inputs than
    /// this do not "fit".
    pub const MAX_SUGGESTED_CAPACITY: u64 = 1 << 20;
    /// The suggested `capacity` is the distinct inputs seen plus this
    /// percentage (rounded up to two significant digits): room for the
    /// estimate's error and a little growth.
    pub const CAPACITY_HEADROOM_PERCENT: u64 = 10;
    /// A table of at least this many cells ...
    pub const SPARSE_MIN_CELLS: usize = 65_536;
    /// ... of which fewer than this share is ever used, is better a cache.
    pub const SPARSE_USED_SHARE: f64 = 0.01;
    /// A `#[precompute]` function with more than this share of calls out of its
    /// domain mostly runs its body.
    pub const OUT_OF_DOMAIN_SHARE: f64 = 0.5;
    /// A `#[counted]` function whose sampled calls repeat each distinct input at
    /// least this many times may gain from `#[memoize]` ...
    pub const REPEATS_FOR_MEMOIZE: u64 = 2;
    /// ... judged on at least this many sampled calls.
    pub const MIN_SAMPLES: u64 = 16;
}

use thresholds::*;

/// What a suggestion is estimated to save, from what the report measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Saving {
    /// Nanoseconds saved per call, on average.
    pub per_call_ns: f64,
    /// The calls counted so far.
    pub calls: u64,
    /// Time saved over those calls.
    pub total: Duration,
}

impl Saving {
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    fn new(per_call_ns: f64, calls: u64) -> Saving {
        let total = (per_call_ns * calls as f64).max(0.0);
        Saving {
            per_call_ns,
            calls,
            total: Duration::from_nanos(total.round() as u64),
        }
    }
}

/// What the report advises for one function.
///
/// ```
/// #[memo::counted]
/// fn once(n: u64) -> u64 { n + 1 }
///
/// once(1);
/// // Too few calls to say anything else.
/// assert_eq!(once::stats().advice(), memo::Advice::Keep);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Advice {
    /// The strategy fits, or there is too little data to say otherwise.
    Keep,
    /// A cache that hits so rarely that calling the body costs less.
    Remove {
        /// Hits so far.
        hits: u64,
        /// Calls so far.
        calls: u64,
        /// What removing the cache saves (`None` when no run was timed).
        saving: Option<Saving>,
    },
    /// A body cheaper to run than a lookup: remove the cache.
    CheapBody {
        /// One run of the body.
        body: Duration,
        /// One lookup.
        lookup: Duration,
        /// What removing the cache saves.
        saving: Saving,
    },
    /// A bounded cache that evicts what it later misses, whose distinct
    /// inputs would fit in a larger one.
    RaiseCapacity {
        /// The `capacity` option.
        capacity: usize,
        /// The suggested `capacity`: the distinct inputs, with headroom.
        suggested: u64,
        /// Distinct inputs seen (estimated above 256).
        distinct: u64,
        /// Evictions so far.
        evictions: u64,
        /// Misses so far.
        misses: u64,
        /// What the suggested capacity saves.
        saving: Saving,
    },
    /// A cache over small integers: a table would replace hashing with one load.
    Precompute {
        /// Calls so far.
        calls: u64,
        /// The observed domain, one `start..end` per parameter (`_` for a
        /// `bool`, or a `u8` or `i8` seen over its whole range).
        domain: String,
        /// The table's size.
        cells: u128,
        /// What the table saves, its build included.
        saving: Saving,
    },
    /// A large table of which few cells are ever used.
    SparseTable {
        /// The table's length.
        cells: usize,
        /// Distinct inputs seen (estimated).
        distinct: u64,
        /// What a cache would save, when a run of the body was timed (the
        /// build itself is not).
        saving: Option<Saving>,
    },
    /// Most calls fall outside the table's domain.
    MostlyOutOfDomain {
        /// Out-of-domain calls.
        misses: u64,
        /// Calls so far.
        calls: u64,
        /// What a domain covering them would save, when a run was timed.
        saving: Option<Saving>,
    },
    /// An uncached function called again and again with the same inputs.
    Memoize {
        /// Calls so far.
        calls: u64,
        /// Distinct inputs among the sampled calls.
        distinct: u64,
        /// What `#[memoize]` saves (`None` when no run was timed).
        saving: Option<Saving>,
    },
}

impl Advice {
    /// A short machine-readable name: `keep`, `precompute`, `remove`, ...
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Advice::Keep => "keep",
            Advice::Precompute { .. } => "precompute",
            Advice::Remove { .. } => "remove",
            Advice::CheapBody { .. } => "cheap_body",
            Advice::RaiseCapacity { .. } => "raise_capacity",
            Advice::SparseTable { .. } => "sparse_table",
            Advice::MostlyOutOfDomain { .. } => "mostly_out_of_domain",
            Advice::Memoize { .. } => "memoize",
        }
    }

    /// What following the advice is estimated to save.
    #[must_use]
    pub fn saving(&self) -> Option<Saving> {
        match self {
            Advice::Keep => None,
            Advice::CheapBody { saving, .. }
            | Advice::RaiseCapacity { saving, .. }
            | Advice::Precompute { saving, .. } => Some(*saving),
            Advice::Remove { saving, .. }
            | Advice::SparseTable { saving, .. }
            | Advice::MostlyOutOfDomain { saving, .. }
            | Advice::Memoize { saving, .. } => *saving,
        }
    }
}

#[allow(clippy::cast_precision_loss)] // shares for people to read
fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[allow(clippy::cast_precision_loss)]
fn ns(d: Duration) -> f64 {
    d.as_nanos() as f64
}

/// `(0..20, 0..20)`, or `0..100` for one parameter; `_` for a `bool`, and
/// for a `u8` or `i8` seen over its whole range.
fn domain_of(observed: &[(i128, i128)], types: &[&str]) -> (String, u128) {
    let mut cells: u128 = 1;
    let parts: Vec<String> = observed
        .iter()
        .enumerate()
        .map(|(i, &(lo, hi))| {
            let whole = match types.get(i).copied() {
                Some("bool") => Some((0, 1)),
                Some("u8") => Some((0, 255)),
                Some("i8") => Some((-128, 127)),
                _ => None,
            };
            match whole {
                Some((min, max)) if types.get(i) == Some(&"bool") || (lo, hi) == (min, max) => {
                    cells = cells.saturating_mul(u128::try_from(max - min + 1).unwrap_or(1));
                    "_".to_string()
                }
                _ => {
                    let width = u128::try_from(hi - lo)
                        .unwrap_or(u128::MAX)
                        .saturating_add(1);
                    cells = cells.saturating_mul(width);
                    format!("{lo}..{}", hi + 1)
                }
            }
        })
        .collect();
    let text = if parts.len() == 1 {
        parts[0].clone()
    } else {
        format!("({})", parts.join(", "))
    };
    (text, cells)
}

/// `capacity` for `distinct` inputs: with headroom, two significant digits,
/// rounded up (`100` gives `110`, `1234` gives `1400`).
fn suggested_capacity(distinct: u64) -> u64 {
    let wanted = distinct + (distinct * CAPACITY_HEADROOM_PERCENT).div_ceil(100);
    let mut step = 1;
    while wanted / step >= 100 {
        step *= 10;
    }
    wanted.div_ceil(step) * step
}

/// The unit costs the advice prices alternatives with.
#[derive(Clone, Copy)]
struct Costs {
    /// A lookup in the default cache (for functions without a cache).
    lookup: f64,
    /// A `#[precompute]` table load.
    table: f64,
}

impl Costs {
    fn calibrated() -> Costs {
        Costs {
            lookup: ns(calibrate::lookup_cost(crate::store::Mode::Replicated)),
            table: ns(calibrate::table_cost()),
        }
    }
}

/// The cheapest alternative so far, and what it costs per call.
struct Best {
    cost: f64,
    advice: Option<Advice>,
}

impl Best {
    /// Keeps `advice` (costing `cost` per call) if it beats the best so far
    /// by more than a tie; `make` gets the saving per call against `now`.
    fn consider(&mut self, now: f64, cost: f64, make: impl FnOnce(f64) -> Advice) {
        if cost < self.cost - MIN_SAVING_SHARE * now {
            self.cost = cost;
            self.advice = Some(make(now - cost));
        }
    }
}

impl Stats {
    /// What to do about this function, from its counters and times (see
    /// [`thresholds`] and the cost table in the README).
    #[must_use]
    pub fn advice(&self) -> Advice {
        if self.calls < MIN_CALLS {
            return Advice::Keep;
        }
        let costs = Costs::calibrated();
        match self.kind {
            Kind::Memoize => self.memoize_advice(costs),
            Kind::Precompute => self.precompute_advice(costs),
            Kind::Counted => self.counted_advice(costs),
        }
    }

    #[allow(clippy::cast_precision_loss)]
    fn memoize_advice(&self, costs: Costs) -> Advice {
        let low_hit_rate = self.hit_rate() < REMOVE_BELOW_HIT_RATE;
        let Some(body) = self.body_mean else {
            return if low_hit_rate {
                Advice::Remove {
                    hits: self.hits,
                    calls: self.calls,
                    saving: None,
                }
            } else {
                Advice::Keep
            };
        };
        let lookup = self.lookup_cost.unwrap_or(Duration::ZERO);
        let (run, calls) = (ns(body), self.calls as f64);
        let now = ns(lookup) + self.misses as f64 / calls * run;
        // "Keep" must save nothing: the bar every alternative must clear.
        let mut best = Best {
            cost: now,
            advice: None,
        };
        // 1. No cache: every call runs the body. Not for a recursive
        // function, whose calls would multiply without it.
        if !self.is_recursive() {
            best.consider(now, run, |saved| {
                let saving = Saving::new(saved, self.calls);
                if low_hit_rate {
                    Advice::Remove {
                        hits: self.hits,
                        calls: self.calls,
                        saving: Some(saving),
                    }
                } else {
                    Advice::CheapBody {
                        body,
                        lookup,
                        saving,
                    }
                }
            });
        }
        // 2. A capacity that holds every distinct input: one miss each.
        if let (Some(capacity), Some(distinct)) = (self.capacity, self.distinct) {
            let suggested = suggested_capacity(distinct);
            if self.evictions > 0
                && self.misses > distinct
                && distinct <= MAX_SUGGESTED_CAPACITY
                && suggested > capacity as u64
            {
                let cost = ns(lookup) + distinct as f64 / calls * run;
                best.consider(now, cost, |saved| Advice::RaiseCapacity {
                    capacity,
                    suggested,
                    distinct,
                    evictions: self.evictions,
                    misses: self.misses,
                    saving: Saving::new(saved, self.calls),
                });
            }
        }
        // 3. A table over the observed domain, built once: only for a body
        // clearly dearer than a table load.
        if !self.observed.is_empty() && run > TABLE_LOADS_FOR_PRECOMPUTE * costs.table {
            let (domain, cells) = domain_of(&self.observed, self.param_types);
            if cells <= MAX_TABLE_CELLS {
                let cost = costs.table + cells as f64 / calls * run;
                best.consider(now, cost, |saved| Advice::Precompute {
                    calls: self.calls,
                    domain,
                    cells,
                    saving: Saving::new(saved, self.calls),
                });
            }
        }
        best.advice.unwrap_or(Advice::Keep)
    }

    #[allow(clippy::cast_precision_loss)]
    fn counted_advice(&self, costs: Costs) -> Advice {
        let Some(distinct) = self.distinct else {
            return Advice::Keep;
        };
        let repeats = distinct > 0
            && self.samples >= MIN_SAMPLES
            && self.samples >= REPEATS_FOR_MEMOIZE * distinct;
        if !repeats {
            return Advice::Keep;
        }
        let (Some(total), Some(body)) = (self.total_time, self.body_mean) else {
            return Advice::Memoize {
                calls: self.calls,
                distinct,
                saving: None,
            };
        };
        // With a cache, each distinct input runs once; the calls left are
        // those from outside and those the distinct runs make.
        let calls = self.calls as f64;
        let outer = self.outer_runs.unwrap_or(self.calls) as f64;
        let calls_left = outer + distinct as f64 * (calls - outer) / calls;
        let memoized = distinct as f64 * ns(body) + calls_left * costs.lookup;
        let saved = ns(total) - memoized;
        if saved < MIN_SAVING_SHARE * ns(total) {
            return Advice::Keep;
        }
        Advice::Memoize {
            calls: self.calls,
            distinct,
            saving: Some(Saving::new(saved / calls, self.calls)),
        }
    }

    #[allow(clippy::cast_precision_loss)]
    fn precompute_advice(&self, costs: Costs) -> Advice {
        let calls = self.calls as f64;
        if share(self.misses, self.calls) > OUT_OF_DOMAIN_SHARE {
            // A call in the domain would be one table load instead of a run.
            let saving = match self.body_mean {
                Some(body) if ns(body) <= TABLE_LOADS_FOR_PRECOMPUTE * costs.table => {
                    return Advice::Keep;
                }
                Some(body) => Some(Saving::new(
                    (ns(body) - costs.table) * self.misses as f64 / calls,
                    self.calls,
                )),
                None => None,
            };
            return Advice::MostlyOutOfDomain {
                misses: self.misses,
                calls: self.calls,
                saving,
            };
        }
        match self.distinct {
            Some(distinct)
                if self.entries >= SPARSE_MIN_CELLS
                    && (distinct as f64) < self.entries as f64 * SPARSE_USED_SHARE =>
            {
                // The build ran the body once per cell; a cache would run it
                // once per distinct input, and look up every call.
                let saving = self.body_mean.map(|body| {
                    let build = self.entries as f64 * ns(body);
                    let cache = distinct as f64 * ns(body) + calls * (costs.lookup - costs.table);
                    Saving::new((build - cache) / calls, self.calls)
                });
                Advice::SparseTable {
                    cells: self.entries,
                    distinct,
                    saving,
                }
            }
            _ => Advice::Keep,
        }
    }
}

/// `29860703` as `29,860,703`.
pub(crate) fn grouped(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration in nanoseconds with a unit that keeps about three significant
/// digits: `0.62 ns`, `3.4 ns`, `850 ns`, `4.10 µs`, `12.3 ms`, `1.23 s`.
pub(crate) fn time_ns(ns: f64) -> String {
    if ns <= 0.0 {
        return "0 ns".to_string();
    }
    let (value, unit) = if ns >= 1e9 {
        (ns / 1e9, "s")
    } else if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    };
    let decimals = if value >= 100.0 || (unit == "ns" && value >= 10.0) {
        0
    } else if value >= 10.0 || unit == "ns" && value >= 1.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$} {unit}")
}

/// [`time_ns`] of a `Duration`.
pub(crate) fn time(d: Duration) -> String {
    time_ns(ns(d))
}

impl fmt::Display for Saving {
    /// `~340 ns saved per call, ~34.0 ms over these 100,000 calls`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "~{} saved per call, ~{} over these {} calls",
            time_ns(self.per_call_ns),
            time(self.total),
            grouped(u128::from(self.calls))
        )
    }
}

/// ` (~340 ns saved per call, ...)`, or nothing.
struct Gain<'a>(Option<&'a Saving>);

impl fmt::Display for Gain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(saving) => write!(f, " ({saving})"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = |n: u64| grouped(u128::from(n));
        match self {
            Advice::Keep => f.write_str("keep"),
            Advice::Precompute {
                calls,
                domain,
                cells,
                saving,
            } => write!(
                f,
                "all {} calls fell in {domain}: {} cells — `#[precompute(domain = {domain})]` \
                 would replace hashing with one array load{}",
                g(*calls),
                grouped(*cells),
                Gain(Some(saving))
            ),
            Advice::Remove {
                hits,
                calls,
                saving,
            } => write!(
                f,
                "{} hits in {} calls: the cache costs more than it saves; remove it{}",
                g(*hits),
                g(*calls),
                Gain(saving.as_ref())
            ),
            Advice::CheapBody {
                body,
                lookup,
                saving,
            } => write!(
                f,
                "the body takes ~{}, a lookup ~{}: running the body is cheaper than the cache; \
                 remove it{}",
                time(*body),
                time(*lookup),
                Gain(Some(saving))
            ),
            Advice::RaiseCapacity {
                capacity,
                suggested,
                distinct,
                evictions,
                misses,
                saving,
            } => write!(
                f,
                "capacity {} evicted {} entries for {} misses over ~{} distinct inputs: \
                 `capacity = {suggested}` would hold them all{}",
                grouped(*capacity as u128),
                g(*evictions),
                g(*misses),
                g(*distinct),
                Gain(Some(saving))
            ),
            Advice::SparseTable {
                cells,
                distinct,
                saving,
            } => write!(
                f,
                "a table of {} cells served ~{} distinct inputs: building it costs more than it \
                 saves; use `#[memoize]`{}",
                grouped(*cells as u128),
                g(*distinct),
                Gain(saving.as_ref())
            ),
            Advice::MostlyOutOfDomain {
                misses,
                calls,
                saving,
            } => write!(
                f,
                "{} of {} calls fell outside the domain and ran the body; widen `domain` or use \
                 `#[memoize]`{}",
                g(*misses),
                g(*calls),
                Gain(saving.as_ref())
            ),
            Advice::Memoize {
                calls,
                distinct,
                saving,
            } => write!(
                f,
                "{} calls repeat a few inputs (~{} distinct in a sample): `#[memoize]` would run \
                 the body once per distinct input{}",
                g(*calls),
                g(*distinct),
                Gain(saving.as_ref())
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_digits() {
        assert_eq!(grouped(29_860_703), "29,860,703");
        assert_eq!(grouped(400), "400");
        assert_eq!(grouped(1_000), "1,000");
    }

    #[test]
    fn times_keep_three_digits() {
        assert_eq!(time_ns(0.0), "0 ns");
        assert_eq!(time_ns(0.617), "0.62 ns");
        assert_eq!(time_ns(3.44), "3.4 ns");
        assert_eq!(time_ns(850.0), "850 ns");
        assert_eq!(time_ns(4_100.0), "4.10 µs");
        assert_eq!(time_ns(12_340_000.0), "12.3 ms");
        assert_eq!(time_ns(1_234_000_000.0), "1.23 s");
    }

    #[test]
    fn domains_read_like_the_attribute() {
        assert_eq!(
            domain_of(&[(0, 19), (0, 19)], &["u32", "u32"]),
            ("(0..20, 0..20)".into(), 400)
        );
        assert_eq!(domain_of(&[(-3, 3)], &["i8"]), ("-3..4".into(), 7));
        assert_eq!(
            domain_of(&[(0, 1), (5, 9)], &["bool", "u8"]),
            ("(_, 5..10)".into(), 10)
        );
        assert_eq!(
            domain_of(&[(0, 255), (-128, 127), (0, 0)], &["u8", "i8", "bool"]),
            ("(_, _, _)".into(), 256 * 256 * 2)
        );
        assert_eq!(domain_of(&[(0, 255)], &["u16"]), ("0..256".into(), 256));
        assert_eq!(domain_of(&[(1, 255)], &["u8"]), ("1..256".into(), 255));
    }

    #[test]
    fn suggested_capacities_leave_headroom() {
        assert_eq!(suggested_capacity(100), 110);
        assert_eq!(suggested_capacity(1_234), 1_400);
        assert_eq!(suggested_capacity(5), 6);
        assert_eq!(suggested_capacity(90_000), 99_000);
    }
}
