//! The seed's "when to use each approach" table, applied to the counters of
//! the running program: one piece of advice per function.

use std::fmt;
use std::time::Duration;

use crate::stats::{Kind, Stats};

/// Every threshold the advice uses, in one place.
pub mod thresholds {
    /// Below this many calls there is too little to judge: the advice is `Keep`.
    pub const MIN_CALLS: u64 = 100;
    /// A cache whose hit rate is below this costs more than it saves.
    pub const REMOVE_BELOW_HIT_RATE: f64 = 0.05;
    /// A body faster than this many lookups gains little from a cache.
    pub const CHEAP_BODY_LOOKUPS: u32 = 3;
    /// A bounded cache that evicted more than this share of its misses is too small.
    pub const EVICTED_SHARE: f64 = 0.5;
    /// The largest table `#[precompute]` accepts without `max_entries`.
    pub const MAX_TABLE_CELLS: u128 = 16_777_216;
    /// A table of at least this many cells ...
    pub const SPARSE_MIN_CELLS: usize = 65_536;
    /// ... of which fewer than this share is ever used, is better a cache.
    pub const SPARSE_USED_SHARE: f64 = 0.01;
    /// A `#[precompute]` function with more than this share of calls out of its
    /// domain mostly runs its body.
    pub const OUT_OF_DOMAIN_SHARE: f64 = 0.5;
    /// A `#[counted]` function whose sampled calls repeat each distinct input at
    /// least this many times would gain from `#[memoize]` ...
    pub const REPEATS_FOR_MEMOIZE: u64 = 2;
    /// ... judged on at least this many sampled calls.
    pub const MIN_SAMPLES: u64 = 16;
}

use thresholds::*;

/// What the report advises for one function.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Advice {
    /// The strategy fits, or there is too little data to say otherwise.
    Keep,
    /// A cache over small integers: a table would replace hashing with one load.
    Precompute {
        /// Calls so far.
        calls: u64,
        /// The observed domain, one `start..end` per parameter (`_` for `bool`).
        domain: String,
        /// The table's size.
        cells: u128,
    },
    /// The cache hits so rarely that it costs more than it saves.
    Remove {
        /// Hits so far.
        hits: u64,
        /// Calls so far.
        calls: u64,
    },
    /// The body costs about as much as a lookup.
    CheapBody {
        /// The body's mean time.
        body: Duration,
        /// One lookup's cost.
        lookup: Duration,
    },
    /// A bounded cache that throws away most of what it stores.
    RaiseCapacity {
        /// The `capacity` option.
        capacity: usize,
        /// Evictions so far.
        evictions: u64,
        /// Misses so far.
        misses: u64,
    },
    /// A large table of which few cells are ever used.
    SparseTable {
        /// The table's length.
        cells: usize,
        /// Distinct inputs seen (estimated).
        distinct: u64,
    },
    /// Most calls fall outside the table's domain.
    MostlyOutOfDomain {
        /// Out-of-domain calls.
        misses: u64,
        /// Calls so far.
        calls: u64,
    },
    /// An uncached function called again and again with the same inputs.
    Memoize {
        /// Calls so far.
        calls: u64,
        /// Distinct inputs among the sampled calls.
        distinct: u64,
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
}

#[allow(clippy::cast_precision_loss)] // shares for people to read
fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// `(0..20, 0..20)`, or `0..100` for one parameter; `_` for `bool`.
fn domain_of(observed: &[(i128, i128)], types: &[&str]) -> (String, u128) {
    let mut cells: u128 = 1;
    let parts: Vec<String> = observed
        .iter()
        .enumerate()
        .map(|(i, &(lo, hi))| {
            let width = u128::try_from(hi - lo)
                .unwrap_or(u128::MAX)
                .saturating_add(1);
            if types.get(i) == Some(&"bool") {
                cells = cells.saturating_mul(2);
                "_".to_string()
            } else {
                cells = cells.saturating_mul(width);
                format!("{lo}..{}", hi + 1)
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

impl Stats {
    /// What to do about this function, from its counters (see [`thresholds`]).
    #[must_use]
    pub fn advice(&self) -> Advice {
        if self.calls < MIN_CALLS {
            return Advice::Keep;
        }
        match self.kind {
            Kind::Memoize => self.memoize_advice(),
            Kind::Precompute => self.precompute_advice(),
            Kind::Counted => match self.distinct {
                Some(distinct)
                    if distinct > 0
                        && self.samples >= MIN_SAMPLES
                        && self.samples >= REPEATS_FOR_MEMOIZE * distinct =>
                {
                    Advice::Memoize {
                        calls: self.calls,
                        distinct,
                    }
                }
                _ => Advice::Keep,
            },
        }
    }

    fn memoize_advice(&self) -> Advice {
        if self.hit_rate() < REMOVE_BELOW_HIT_RATE {
            return Advice::Remove {
                hits: self.hits,
                calls: self.calls,
            };
        }
        if !self.observed.is_empty() {
            let (domain, cells) = domain_of(&self.observed, self.param_types);
            if cells <= MAX_TABLE_CELLS {
                return Advice::Precompute {
                    calls: self.calls,
                    domain,
                    cells,
                };
            }
        }
        if let Some(capacity) = self.capacity {
            if share(self.evictions, self.misses) > EVICTED_SHARE {
                return Advice::RaiseCapacity {
                    capacity,
                    evictions: self.evictions,
                    misses: self.misses,
                };
            }
        }
        if let (Some(body), Some(lookup)) = (self.body_mean, self.lookup_cost) {
            if body < lookup * CHEAP_BODY_LOOKUPS {
                return Advice::CheapBody { body, lookup };
            }
        }
        Advice::Keep
    }

    fn precompute_advice(&self) -> Advice {
        if share(self.misses, self.calls) > OUT_OF_DOMAIN_SHARE {
            return Advice::MostlyOutOfDomain {
                misses: self.misses,
                calls: self.calls,
            };
        }
        match self.distinct {
            #[allow(clippy::cast_precision_loss)]
            Some(distinct)
                if self.entries >= SPARSE_MIN_CELLS
                    && (distinct as f64) < self.entries as f64 * SPARSE_USED_SHARE =>
            {
                Advice::SparseTable {
                    cells: self.entries,
                    distinct,
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

pub(crate) fn nanos(d: Duration) -> String {
    if d < Duration::from_micros(10) {
        format!("{} ns", d.as_nanos())
    } else {
        format!("{:.1?}", d)
    }
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = |n: u64| grouped(u128::from(n));
        match self {
            Advice::Keep => f.write_str("keep"),
            Advice::Precompute { calls, domain, cells } => write!(
                f,
                "all {} calls fell in {domain}: {} cells — `#[precompute(domain = {domain})]` \
                 would replace hashing with one array load",
                g(*calls),
                grouped(*cells)
            ),
            Advice::Remove { hits, calls } => write!(
                f,
                "{} hits in {} calls: the cache costs more than it saves; remove it",
                g(*hits),
                g(*calls)
            ),
            Advice::CheapBody { body, lookup } => write!(
                f,
                "the body takes ~{}, a lookup ~{}: caching saves little",
                nanos(*body),
                nanos(*lookup)
            ),
            Advice::RaiseCapacity {
                capacity,
                evictions,
                misses,
            } => write!(
                f,
                "capacity {} evicted {} entries for {} misses; raise `capacity`",
                grouped(*capacity as u128),
                g(*evictions),
                g(*misses)
            ),
            Advice::SparseTable { cells, distinct } => write!(
                f,
                "a table of {} cells served ~{} distinct inputs: building it costs more than it saves; \
                 use `#[memoize]`",
                grouped(*cells as u128),
                g(*distinct)
            ),
            Advice::MostlyOutOfDomain { misses, calls } => write!(
                f,
                "{} of {} calls fell outside the domain and ran the body; widen `domain` or use `#[memoize]`",
                g(*misses),
                g(*calls)
            ),
            Advice::Memoize { calls, distinct } => write!(
                f,
                "{} calls repeat a few inputs (~{} distinct in a sample): `#[memoize]` would run \
                 the body once per distinct input",
                g(*calls),
                g(*distinct)
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
    }
}
