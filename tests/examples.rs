//! Runs the example binaries the way a reader would, on small generated
//! inputs, and checks their output and exit codes.
//!
//! `cargo test` builds the examples before it runs this file; they live in
//! `target/<profile>/examples/`, beside the `deps/` folder of this test.

#[path = "../examples/common/mod.rs"]
mod common;

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::events::read_events;
use common::rules::{process_events, validate_rule_slow};

/// The path of the built example `name`.
fn example(name: &str) -> PathBuf {
    let test_exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = test_exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built; run `cargo test` (which builds the examples) or `cargo build --examples`",
        path.display()
    );
    path
}

/// A directory of its own under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "memo-examples-{}-{unique}-{label}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).expect("the temp dir is writable");
        TempDir(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes `text` to the file `name` in this directory and returns its path.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.join(name);
        std::fs::write(&path, text).expect("the temp dir is writable");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs example `name` with `args` in `dir`.
fn run_in(dir: &Path, name: &str, args: &[&str]) -> Output {
    Command::new(example(name))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the example starts")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts a successful run and returns its stdout.
fn success(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

/// Asserts a clean failure (exit code 1, one line on stderr, no panic) and
/// returns that line.
fn failure(output: &Output) -> String {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{err}");
    assert!(!err.contains("panicked"), "a panic, not an error:\n{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line:\n{err}");
    err
}

/// The first word after `label` on the line that starts with it.
fn field<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|line| line.strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no `{label}` line in:\n{text}"))
}

/// Writes `count` events with `seed` into `dir` and returns their path.
fn generate(dir: &TempDir, count: usize, seed: u64) -> PathBuf {
    let path = dir.join("events.txt");
    let out = success(&run_in(
        &dir.0,
        "generate_events",
        &[
            &count.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
            path.to_str().expect("a UTF-8 temp path"),
        ],
    ));
    assert!(out.contains(&format!("wrote {count} events")), "{out}");
    assert!(out.contains(&path.display().to_string()), "{out}");
    path
}

/// The valid count of the events at `path`, computed here without any binary.
fn expected_valid(path: &Path) -> usize {
    let events = read_events(path).expect("generate_events writes a readable file");
    process_events(&events, validate_rule_slow)
}

#[test]
fn fib_slow_counts_every_call() {
    let dir = TempDir::new("fib-slow");
    let out = success(&run_in(&dir.0, "fib_slow", &["20"]));
    assert_eq!(field(&out, "fib(20) ="), "6765");
    assert_eq!(field(&out, "calls:"), "21891");
}

#[test]
fn fib_slow_refuses_a_result_that_overflows() {
    let dir = TempDir::new("fib-slow-overflow");
    let err = failure(&run_in(&dir.0, "fib_slow", &["94"]));
    assert!(err.contains("fib(94)") && err.contains("u64"), "{err}");
}

#[test]
fn fib_cached_runs_the_body_once_per_value() {
    let dir = TempDir::new("fib-cached");
    let out = success(&run_in(&dir.0, "fib_cached", &["35"]));
    assert_eq!(field(&out, "fib(35) ="), "9227465");
    assert_eq!(field(&out, "calls:"), "69");
    assert_eq!(field(&out, "hits:"), "33");
    assert_eq!(field(&out, "misses:"), "36");
}

#[test]
fn fib_cached_reaches_186_and_refuses_187() {
    let dir = TempDir::new("fib-cached-limit");
    let out = success(&run_in(&dir.0, "fib_cached", &["186"]));
    assert_eq!(
        field(&out, "fib(186) ="),
        "332825110087067562321196029789634457848"
    );
    let err = failure(&run_in(&dir.0, "fib_cached", &["187"]));
    assert!(err.contains("fib(187)") && err.contains("u128"), "{err}");
}

#[test]
fn generate_events_is_seeded_and_documented() {
    let dir = TempDir::new("generate");
    let path = generate(&dir, 500, 7);
    let first = std::fs::read_to_string(&path).expect("written");
    assert!(first.starts_with('#'), "a header comment first");
    assert_eq!(first.lines().count(), 501);
    let again = generate(&dir, 500, 7);
    assert_eq!(std::fs::read_to_string(again).expect("written"), first);
    let help = success(&run_in(&dir.0, "generate_events", &["--help"]));
    assert!(help.contains("--seed") && help.contains("--out"), "{help}");
}

#[test]
fn the_three_validators_agree() {
    let dir = TempDir::new("validators");
    let path = generate(&dir, 2000, 11);
    let expected = expected_valid(&path).to_string();
    let path = path.to_str().expect("a UTF-8 temp path");
    for (name, function) in [
        ("config_validator_naive", "validate_rule"),
        ("config_validator_memoized", "validate_rule_cached"),
        ("config_validator_precomputed", "validate_rule_table"),
    ] {
        let out = success(&run_in(&dir.0, name, &["--events", path]));
        assert_eq!(field(&out, "valid:"), expected, "{name}:\n{out}");
        assert!(out.contains("ns/event"), "{name}:\n{out}");
        assert!(out.contains(function), "{name}'s report:\n{out}");
    }
}

/// The `tottime` of the report row `function` in `out`, in nanoseconds.
/// Columns are separated by two spaces or more; a time reads `1.35 ms`.
fn tottime_ns(out: &str, function: &str) -> f64 {
    let header: Vec<&str> = out
        .lines()
        .find(|l| l.starts_with("function "))
        .expect("a report table")
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let column = header
        .iter()
        .position(|&c| c == "tottime")
        .expect("a tottime column");
    let row: Vec<&str> = out
        .lines()
        .find(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|n| n.ends_with(function))
        })
        .unwrap_or_else(|| panic!("no {function} row in\n{out}"))
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let (value, unit) = row[column].split_once(' ').expect("a time with a unit");
    let scale = match unit {
        "ns" => 1.0,
        "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        other => panic!("unit {other}"),
    };
    value.parse::<f64>().expect("a number") * scale
}

/// The seed's Step 4: the loop's own time, cache lookups included, is what
/// tells the memoized validator from the precomputed one. Each report is of
/// one run; the least of three is taken, since a run that lost its core to
/// other work reads slow.
#[test]
fn process_events_tottime_shows_the_cost_of_the_lookups() {
    let dir = TempDir::new("step-4");
    let path = generate(&dir, 20_000, 13);
    let path = path.to_str().expect("a UTF-8 temp path");
    let run = |name: &str| success(&run_in(&dir.0, name, &["--events", path, "--runs", "3"]));
    let least = |name: &str, function: &str| {
        (0..3)
            .map(|_| tottime_ns(&run(name), function))
            .fold(f64::INFINITY, f64::min)
    };
    let cache_loop = least("config_validator_memoized", "::process_events");
    let table_loop = least("config_validator_precomputed", "::process_events");
    assert!(
        cache_loop > 1.5 * table_loop,
        "process_events tottime: memoized {cache_loop} ns, precomputed {table_loop} ns"
    );
    let memoized = run("config_validator_memoized");
    assert!(memoized.contains("sorted by tottime"), "{memoized}");
    // The 400 body runs are the cache's own row, not the loop's.
    let body = tottime_ns(&memoized, "::validate_rule_cached");
    assert!(body > 0.0, "{memoized}");
    assert!(
        body < tottime_ns(&memoized, "::process_events"),
        "{memoized}"
    );
    // Naive: the validator's runs are timed. (Which row dominates depends on
    // the build, a debug build's loop being slow, and the loop's own time is
    // within the error of its callee's estimate.)
    let naive = run("config_validator_naive");
    assert!(tottime_ns(&naive, "::validate_rule") > 0.0, "{naive}");
}

#[test]
fn the_validators_read_events_txt_by_default() {
    let dir = TempDir::new("default-path");
    let path = generate(&dir, 300, 3);
    let out = success(&run_in(&dir.0, "config_validator_naive", &[]));
    assert_eq!(field(&out, "valid:"), expected_valid(&path).to_string());
}

#[test]
fn config_validator_json_has_every_strategy_agreeing() {
    let dir = TempDir::new("runner-json");
    let path = generate(&dir, 2000, 5);
    let expected = expected_valid(&path);
    let output = run_in(
        &dir.0,
        "config_validator",
        &[
            "--events",
            path.to_str().expect("a UTF-8 temp path"),
            "--runs",
            "1",
            "--threads",
            "2",
            "--json",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&success(&output)).expect("valid JSON");
    let rows = json.as_array().expect("a JSON array");
    for row in rows {
        for key in ["case", "strategy", "ns_per_event", "valid", "body_runs"] {
            assert!(row.get(key).is_some(), "no `{key}` in {row}");
        }
    }
    let strategies = |case: &str| -> BTreeSet<&str> {
        rows.iter()
            .filter(|row| row["case"] == case)
            .filter_map(|row| row["strategy"].as_str())
            .collect()
    };
    let dense = strategies("dense");
    for name in [
        "naive",
        "#[counted]",
        "#[memoize]",
        "#[memoize(thread_local)]",
        "#[precompute]",
        "hand FxHashMap (thread-local)",
        "hand flat [bool; 400]",
        "hand 2D [[bool; 20]; 20]",
    ] {
        assert!(dense.contains(name), "no dense `{name}` in {dense:?}");
    }
    assert!(
        strategies("sparse").len() >= 4,
        "{:?}",
        strategies("sparse")
    );
    assert!(
        rows.iter().any(|row| row["threads"] == 2),
        "no 2-thread rows"
    );
    for case in ["dense", "sparse"] {
        let counts: HashSet<u64> = rows
            .iter()
            .filter(|row| row["case"] == case)
            .filter_map(|row| row["valid"].as_u64())
            .collect();
        assert_eq!(
            counts.len(),
            1,
            "{case}: the strategies disagree: {counts:?}"
        );
    }
    let dense_valid = rows
        .iter()
        .find(|row| row["case"] == "dense")
        .and_then(|row| row["valid"].as_u64());
    assert_eq!(dense_valid, Some(expected as u64));
}

#[test]
fn config_validator_plots_every_strategy_as_svg() {
    let dir = TempDir::new("runner-plot");
    let path = generate(&dir, 2000, 5);
    let chart = dir.join("strategies.svg");
    let args = [
        "--events",
        path.to_str().expect("a UTF-8 temp path"),
        "--runs",
        "1",
        "--threads",
        "2",
        "--plot",
        chart.to_str().expect("a UTF-8 temp path"),
        "--json",
    ];
    let out = success(&run_in(&dir.0, "config_validator", &args));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).expect("the JSON still parses");
    let svg = std::fs::read_to_string(&chart).expect("the chart is written");
    let doc = roxmltree::Document::parse(&svg).expect("the chart is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect();
    // Every strategy of every case is a labelled bar.
    let names: BTreeSet<&str> = rows
        .iter()
        .map(|row| row["strategy"].as_str().expect("a name"))
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        assert!(
            texts
                .iter()
                .any(|t| t.ends_with(name.trim_start_matches("hand "))),
            "{name} is not labelled in the chart: {texts:?}"
        );
    }
    let bars = doc.descendants().filter(|n| n.has_tag_name("rect")).count();
    assert!(
        bars > rows.len(),
        "one bar per row (and the background): {bars}"
    );
    for panel in ["dense:", "sparse:", "2 threads"] {
        assert!(
            texts.iter().any(|t| t.starts_with(panel)),
            "{panel} {texts:?}"
        );
    }
}

#[test]
fn config_validator_generates_events_in_memory_when_none_exist() {
    let dir = TempDir::new("runner-table");
    let out = success(&run_in(&dir.0, "config_validator", &["--runs", "1"]));
    assert!(out.contains("generated in memory"), "{out}");
    assert!(out.contains("all 8 strategies agree"), "{out}");
    assert!(out.contains("sparse:"), "{out}");
    assert!(!dir.join("events.txt").exists(), "writes no file");
}

#[test]
fn a_missing_events_file_says_to_run_generate_events() {
    let dir = TempDir::new("missing");
    for name in ["config_validator_naive", "config_validator"] {
        let err = failure(&run_in(&dir.0, name, &["--events", "nope.txt"]));
        assert!(err.contains("nope.txt"), "{name}: {err}");
        assert!(err.contains("generate_events"), "{name}: {err}");
    }
    let err = failure(&run_in(&dir.0, "config_validator_memoized", &[]));
    assert!(
        err.contains("events.txt") && err.contains("generate_events"),
        "{err}"
    );
}

#[test]
fn a_malformed_line_is_named_by_file_and_line() {
    let dir = TempDir::new("malformed");
    dir.file("bad.txt", "# events\n1 2\n3 x\n4 5\n");
    for name in ["config_validator_memoized", "config_validator"] {
        let err = failure(&run_in(&dir.0, name, &["--events", "bad.txt"]));
        assert!(err.contains("bad.txt:3:"), "{name}: {err}");
    }
    dir.file("short.txt", "1 2\n7\n");
    let err = failure(&run_in(
        &dir.0,
        "config_validator_naive",
        &["--events", "short.txt"],
    ));
    assert!(err.contains("short.txt:2:"), "{err}");
}

#[test]
fn an_out_of_range_id_is_reported_not_skipped() {
    let dir = TempDir::new("range");
    dir.file("range.txt", "# events\n1 2\n\n5 20\n");
    let err = failure(&run_in(
        &dir.0,
        "config_validator_precomputed",
        &["--events", "range.txt"],
    ));
    assert!(err.contains("range.txt:4:"), "{err}");
    assert!(err.contains("event_type") && err.contains("20"), "{err}");
    dir.file("negative.txt", "-1 2\n");
    let err = failure(&run_in(
        &dir.0,
        "config_validator_naive",
        &["--events", "negative.txt"],
    ));
    assert!(
        err.contains("negative.txt:1:") && err.contains("rule_id"),
        "{err}"
    );
}

#[test]
fn a_file_without_events_is_an_error() {
    let dir = TempDir::new("empty");
    dir.file("empty.txt", "# no events here\n\n");
    let err = failure(&run_in(
        &dir.0,
        "config_validator_naive",
        &["--events", "empty.txt"],
    ));
    assert!(
        err.contains("empty.txt") && err.contains("no events"),
        "{err}"
    );
}

#[test]
fn every_binary_has_help() {
    let dir = TempDir::new("help");
    for name in [
        "fib_slow",
        "fib_cached",
        "generate_events",
        "config_validator_naive",
        "config_validator_memoized",
        "config_validator_precomputed",
        "config_validator",
    ] {
        let out = success(&run_in(&dir.0, name, &["--help"]));
        assert!(out.contains("Usage"), "{name}:\n{out}");
    }
}
