//! Command-line pieces the binaries share, and how they fail.

use std::path::PathBuf;

use super::events::DEFAULT_EVENTS_PATH;

/// Any error a binary reports; its `Display` is one line.
pub type BoxError = Box<dyn std::error::Error>;

/// The options of the three single-strategy validators.
#[derive(clap::Args, Debug)]
pub struct ValidatorArgs {
    /// The events file, as written by `generate_events`.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_EVENTS_PATH)]
    pub events: PathBuf,
    /// Timed runs over all the events; the time shown is their median.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..))]
    pub runs: u16,
}

/// Ends the program on an error: one line on stderr, exit code 1. Not a
/// panic, and not `main` returning `Err`, which would print the error's
/// `Debug` form.
pub fn exit_on_error(result: Result<(), BoxError>) {
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
