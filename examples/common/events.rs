//! Events, and the text file that holds them.
//!
//! # The events file
//!
//! Plain UTF-8 text, one event per line, as `generate_events` writes it:
//!
//! ```text
//! # memo events: one "rule_id event_type" pair per line, rule_id in 0..20, event_type in 0..20 (100000 events, seed 42)
//! 3 17
//! 0 5
//! 19 0
//! ```
//!
//! - A line starting with `#` is a comment; comments and blank lines are
//!   skipped wherever they are.
//! - Every other line is two decimal integers separated by whitespace: the
//!   rule id, then the event type, each in `0..20`.
//! - Anything else is an error that names the file and the 1-based line
//!   number. An id out of range is an error too, never skipped: a validator
//!   that quietly dropped events would report a valid count for a file it
//!   did not read.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The number of rules: rule ids are `0..N_RULES`.
pub const N_RULES: u32 = 20;
/// The number of event types: event types are `0..N_EVENT_TYPES`.
pub const N_EVENT_TYPES: u32 = 20;
/// Where `generate_events` writes and the validators read by default.
pub const DEFAULT_EVENTS_PATH: &str = "events.txt";
/// How many events `generate_events` writes by default.
pub const DEFAULT_EVENT_COUNT: usize = 100_000;
/// The seed `generate_events` uses by default, so every run sees the same events.
pub const DEFAULT_SEED: u64 = 42;

/// The command that writes the default events file.
const GENERATE_COMMAND: &str = "cargo run --release --example generate_events";

/// One event: a rule to check against an event type.
///
/// Events read or generated here are in `0..N_RULES × 0..N_EVENT_TYPES`;
/// `config_validator`'s sparse case spreads them over a larger domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    /// The rule.
    pub rule_id: u32,
    /// The event type.
    pub event_type: u32,
}

/// `count` events drawn uniformly from `0..N_RULES × 0..N_EVENT_TYPES` by a
/// generator seeded with `seed`: the same seed gives the same events.
pub fn generate_events(count: usize, seed: u64) -> Vec<Event> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| Event {
            rule_id: rng.random_range(0..N_RULES),
            event_type: rng.random_range(0..N_EVENT_TYPES),
        })
        .collect()
}

/// Writes `events` to `path` in the format above, with a header comment that
/// records how they were made.
pub fn write_events(path: &Path, events: &[Event], seed: u64) -> Result<(), EventsError> {
    let write_error = |source| EventsError::Write {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(write_error)?;
    let mut out = BufWriter::new(file);
    writeln!(
        out,
        "# memo events: one \"rule_id event_type\" pair per line, rule_id in 0..{N_RULES}, \
         event_type in 0..{N_EVENT_TYPES} ({} events, seed {seed})",
        events.len()
    )
    .map_err(write_error)?;
    for event in events {
        writeln!(out, "{} {}", event.rule_id, event.event_type).map_err(write_error)?;
    }
    out.flush().map_err(write_error)
}

/// Reads the events file at `path`: every event in file order, or the first
/// problem with it.
pub fn read_events(path: &Path) -> Result<Vec<Event>, EventsError> {
    let file = File::open(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => EventsError::Missing {
            path: path.to_path_buf(),
        },
        _ => EventsError::Read {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let mut events = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line_number = index + 1;
        let line = line.map_err(|source| match source.kind() {
            io::ErrorKind::InvalidData => EventsError::Malformed {
                path: path.to_path_buf(),
                line: line_number,
                reason: "it is not UTF-8 text".to_string(),
            },
            _ => EventsError::Read {
                path: path.to_path_buf(),
                source,
            },
        })?;
        if let Some(event) = parse_line(&line).map_err(|problem| problem.at(path, line_number))? {
            events.push(event);
        }
    }
    if events.is_empty() {
        return Err(EventsError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(events)
}

/// What is wrong with one line, before the file and line number are known.
enum LineProblem {
    Malformed(String),
    OutOfRange {
        field: &'static str,
        value: i64,
        limit: u32,
    },
}

impl LineProblem {
    fn at(self, path: &Path, line: usize) -> EventsError {
        let path = path.to_path_buf();
        match self {
            LineProblem::Malformed(reason) => EventsError::Malformed { path, line, reason },
            LineProblem::OutOfRange {
                field,
                value,
                limit,
            } => EventsError::OutOfRange {
                path,
                line,
                field,
                value,
                limit,
            },
        }
    }
}

/// One line of the file: `Ok(None)` for a comment or a blank line.
fn parse_line(line: &str) -> Result<Option<Event>, LineProblem> {
    let text = line.trim();
    if text.is_empty() || text.starts_with('#') {
        return Ok(None);
    }
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [rule_id, event_type] = fields[..] else {
        return Err(LineProblem::Malformed(format!(
            "expected two integers `rule_id event_type`, found `{text}`"
        )));
    };
    Ok(Some(Event {
        rule_id: parse_id(rule_id, "rule_id", N_RULES)?,
        event_type: parse_id(event_type, "event_type", N_EVENT_TYPES)?,
    }))
}

fn parse_id(field: &str, name: &'static str, limit: u32) -> Result<u32, LineProblem> {
    let value: i64 = field.parse().map_err(|_| {
        LineProblem::Malformed(format!("`{name}` must be an integer, found `{field}`"))
    })?;
    u32::try_from(value)
        .ok()
        .filter(|&id| id < limit)
        .ok_or(LineProblem::OutOfRange {
            field: name,
            value,
            limit,
        })
}

/// Why the events could not be read or written. Each displays as one line.
#[derive(Debug)]
pub enum EventsError {
    /// The file does not exist.
    Missing {
        /// The file looked for.
        path: PathBuf,
    },
    /// The file exists but could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The file could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A line is not `rule_id event_type`.
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// An id is outside its range.
    OutOfRange {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// `rule_id` or `event_type`.
        field: &'static str,
        /// The id found.
        value: i64,
        /// The exclusive upper bound of the id.
        limit: u32,
    },
    /// The file holds no event at all.
    Empty {
        /// The file.
        path: PathBuf,
    },
}

impl fmt::Display for EventsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventsError::Missing { path } => write!(
                f,
                "events file {} not found; run `{GENERATE_COMMAND}` first",
                path.display()
            ),
            EventsError::Read { path, source } => {
                write!(f, "cannot read events file {}: {source}", path.display())
            }
            EventsError::Write { path, source } => {
                write!(f, "cannot write events file {}: {source}", path.display())
            }
            EventsError::Malformed { path, line, reason } => {
                write!(f, "{}:{line}: malformed event: {reason}", path.display())
            }
            EventsError::OutOfRange {
                path,
                line,
                field,
                value,
                limit,
            } => write!(
                f,
                "{}:{line}: `{field}` {value} is out of range 0..{limit}",
                path.display()
            ),
            EventsError::Empty { path } => write!(
                f,
                "events file {} holds no events; run `{GENERATE_COMMAND}` to write one",
                path.display()
            ),
        }
    }
}

impl std::error::Error for EventsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EventsError::Read { source, .. } | EventsError::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}
