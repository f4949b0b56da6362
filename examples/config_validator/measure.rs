//! Timing strategies: on one thread, and on many threads at once.

use std::sync::Barrier;
use std::thread::ScopedJoinHandle;
use std::time::{Duration, Instant};

use crate::common::cli::BoxError;
use crate::common::events::Event;
use crate::common::timing::{median, time};
use crate::strategy::Strategy;

/// What one strategy did on one thread.
pub struct Measurement {
    /// The valid events it counted (the same in every run, or an error).
    pub valid: usize,
    /// How long its one-time build took, if it has one.
    pub build: Option<Duration>,
    /// The median run over all the events.
    pub run: Duration,
    /// Body executions in the last run, plus the build's.
    pub body_runs: u64,
}

/// Builds `strategy` (if it has a build), then runs it `runs` times over
/// `events`, resetting it before each run.
pub fn on_one_thread(
    strategy: &Strategy,
    events: &[Event],
    runs: usize,
) -> Result<Measurement, BoxError> {
    let build = strategy.build.map(|build| time(build).1);
    let mut samples = Vec::with_capacity(runs);
    let mut valid = None;
    for _ in 0..runs {
        (strategy.reset)();
        let (count, elapsed) = time(|| (strategy.count_valid)(events));
        check_same(strategy.name, &mut valid, count)?;
        samples.push(elapsed);
    }
    Ok(Measurement {
        valid: valid.unwrap_or_default(),
        build,
        run: median(&samples),
        body_runs: (strategy.body_runs)(events.len() as u64),
    })
}

/// What one strategy did on `threads` threads at once.
pub struct ThreadedMeasurement {
    /// The valid events each thread counted in each pass (the same everywhere).
    pub valid: usize,
    /// How many times each thread went over all the events in one run.
    pub passes: usize,
    /// The median wall time from the first thread's start to the last one's end.
    pub wall: Duration,
    /// Body executions in the last run, all threads together.
    pub body_runs: u64,
}

/// Runs `strategy` on `threads` threads at once, `runs` times, each thread
/// going `passes` times over all of `events`; the strategy is reset before
/// each run (not between passes) and must be built already.
///
/// Several passes make a run long next to the time the threads take to
/// leave the barrier, which would otherwise swamp the fastest strategies.
pub fn on_threads(
    strategy: &Strategy,
    events: &[Event],
    runs: usize,
    threads: usize,
    passes: usize,
) -> Result<ThreadedMeasurement, BoxError> {
    let mut samples = Vec::with_capacity(runs);
    let mut valid = None;
    for _ in 0..runs {
        (strategy.reset)();
        let (counts, wall) = run_threads(strategy, events, threads, passes)?;
        for count in counts {
            check_same(strategy.name, &mut valid, count)?;
        }
        samples.push(wall);
    }
    Ok(ThreadedMeasurement {
        valid: valid.unwrap_or_default(),
        passes,
        wall: median(&samples),
        body_runs: (strategy.body_runs)((events.len() * threads * passes) as u64),
    })
}

/// One run on `threads` threads released together by a barrier: each
/// thread's count of each pass, and the time from the earliest start to the
/// latest end (thread start-up is not timed).
fn run_threads(
    strategy: &Strategy,
    events: &[Event],
    threads: usize,
    passes: usize,
) -> Result<(Vec<usize>, Duration), BoxError> {
    let barrier = Barrier::new(threads);
    let results: Vec<(Vec<usize>, Instant, Instant)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    let start = Instant::now();
                    let counts = (0..passes)
                        .map(|_| (strategy.count_valid)(events))
                        .collect();
                    (counts, start, Instant::now())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(ScopedJoinHandle::join)
            .collect::<Result<_, _>>()
    })
    .map_err(|_| format!("a thread running {} panicked", strategy.name))?;
    let first_start = results.iter().map(|&(_, start, _)| start).min();
    let last_end = results.iter().map(|&(_, _, end)| end).max();
    let wall = match (first_start, last_end) {
        (Some(start), Some(end)) => end - start,
        _ => Duration::ZERO,
    };
    let counts = results.into_iter().flat_map(|(counts, _, _)| counts);
    Ok((counts.collect(), wall))
}

/// Records `count` as the strategy's valid count, or fails if an earlier run
/// or thread counted differently.
fn check_same(name: &str, valid: &mut Option<usize>, count: usize) -> Result<(), BoxError> {
    match *valid {
        Some(earlier) if earlier != count => Err(format!(
            "{name} counted {earlier} valid events in one run and {count} in another"
        )
        .into()),
        _ => {
            *valid = Some(count);
            Ok(())
        }
    }
}
