//! `memo::report()`: exact counts, the profiler columns, orders, JSON and
//! `MEMO_REPORT`. The advice itself is tested in `tests/advice.rs`.

mod common;

use std::time::Duration;

use memo::{counted, memoize, SortBy};

#[memoize]
fn validate_cached(rule_id: u32, event_type: u32) -> bool {
    (rule_id * 31 + event_type) % 3 != 0
}

#[test]
fn counts_and_observed_inputs_are_exact() {
    for i in 0..10_000_u32 {
        validate_cached(i % 20, (i / 20) % 20);
    }
    let s = validate_cached::stats();
    assert_eq!(
        (s.calls, s.hits, s.misses, s.entries),
        (10_000, 9_600, 400, 400)
    );
    assert_eq!(s.observed, vec![(0, 19), (0, 19)]);
    let distinct = s.distinct.unwrap();
    assert!(
        (360..=440).contains(&distinct),
        "sketch estimate {distinct}"
    );
    assert_eq!(s.samples, 400, "every miss is sampled");
    // Timed: the first three misses, then one in 64.
    assert_eq!(s.timed_runs, 3 + 400 / 64);
    assert!(s.self_time.is_some() && s.total_time.is_some());
    assert_eq!(s.outer_runs, Some(400));
}

#[counted]
fn fib_slow(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_slow(n - 1) + fib_slow(n - 2)
    }
}

#[test]
fn counted_calls_are_sampled_one_in_64() {
    fib_slow::clear();
    fib_slow(20);
    let s = fib_slow::stats();
    assert_eq!(s.calls, 21_891);
    // This thread's first call, then one in 64.
    assert_eq!(s.samples, 21_891_u64.div_ceil(64));
    // Again after `clear()`: the first call after it is timed, not hashed.
    fib_slow::clear();
    fib_slow(20);
    let s = fib_slow::stats();
    assert_eq!((s.calls, s.samples), (21_891, 21_891 / 64));
    assert!(
        s.timed_runs > 21_891 / 64,
        "the first call after clear() is timed"
    );
    assert!(s.distinct.is_some_and(|d| (1..=21).contains(&d)));
}

#[counted]
fn heavy() -> u32 {
    common::spin(Duration::from_micros(50));
    light() + light()
}

#[counted]
fn light() -> u32 {
    common::spin(Duration::from_micros(100));
    1
}

#[counted]
fn chatty(n: u32) -> u32 {
    n
}

/// Three functions whose order differs by tottime, cumtime and calls: a
/// call of `heavy` takes 250 µs, 50 µs of it its own; `light`, called twice
/// by each, 100 µs; `chatty` has the most calls and almost no time.
fn sortable(report: memo::Report) -> Vec<&'static str> {
    report
        .iter()
        .map(|s| s.name)
        .filter(|n| ["report::heavy", "report::light", "report::chatty"].contains(n))
        .collect()
}

#[test]
fn rows_sort_by_tottime_cumtime_calls_and_name() {
    common::attempts(|| {
        heavy::clear();
        light::clear();
        chatty::clear();
        for _ in 0..4 {
            heavy();
        }
        for n in 0..1_000 {
            chatty(n);
        }
        let h = heavy::stats();
        let l = light::stats();
        let seen = format!(
            "heavy self {:?} total {:?}; light self {:?} total {:?}",
            h.self_time, h.total_time, l.self_time, l.total_time
        );
        let order = |key| sortable(memo::report().sorted_by(key));
        common::check(
            order(SortBy::TotTime) == ["report::light", "report::heavy", "report::chatty"],
            || format!("tottime: {:?}; {seen}", order(SortBy::TotTime)),
        )?;
        common::check(
            order(SortBy::CumTime) == ["report::heavy", "report::light", "report::chatty"],
            || format!("cumtime: {:?}; {seen}", order(SortBy::CumTime)),
        )?;
        assert_eq!(
            order(SortBy::Calls),
            ["report::chatty", "report::light", "report::heavy"]
        );
        assert_eq!(
            order(SortBy::Name),
            ["report::chatty", "report::heavy", "report::light"]
        );
        assert_eq!(
            sortable(memo::report()),
            order(SortBy::Name),
            "by name unless asked"
        );
        Ok(())
    });
}

#[test]
fn the_table_has_profiler_columns_and_advice() {
    fib_slow(10);
    let text = memo::report().to_string();
    let header = text.lines().next().unwrap();
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        [
            "function",
            "kind",
            "ncalls",
            "hits",
            "misses",
            "hit",
            "rate",
            "entries",
            "evictions",
            "tottime",
            "percall",
            "cumtime",
            "percall",
            "lookup",
            "distinct"
        ]
    );
    assert!(text.contains("\nadvice:\n"), "{text}");
    assert!(text.contains("  report::fib_slow: "), "{text}");
}

/// The value of `key` in the JSON object text `object`, as text.
fn field<'a>(object: &'a str, key: &str) -> &'a str {
    let start = object
        .find(&format!("\"{key}\": "))
        .unwrap_or_else(|| panic!("no {key} in {object}"))
        + key.len()
        + 4;
    let rest = &object[start..];
    let end = match rest.strip_prefix('"') {
        Some(quoted) => quoted.find('"').unwrap() + 2,
        None => rest.find([',', '}']).unwrap(),
    };
    &rest[..end]
}

#[test]
fn json_has_every_column_in_a_stable_order() {
    fib_slow::clear();
    fib_slow(20);
    let json = memo::report().to_json();
    assert!(json.trim_start().starts_with('[') && json.trim_end().ends_with(']'));
    let object = json
        .lines()
        .find(|l| l.contains("\"name\": \"report::fib_slow\""))
        .expect("a row for fib_slow");
    const KEYS: [&str; 22] = [
        "name",
        "kind",
        "calls",
        "hits",
        "misses",
        "entries",
        "evictions",
        "hit_rate",
        "body_mean_ns",
        "lookup_ns",
        "distinct",
        "tottime_ns",
        "tottime_percall_ns",
        "cumtime_ns",
        "cumtime_percall_ns",
        "outer_runs",
        "timed_runs",
        "advice",
        "advice_text",
        "saving_per_call_ns",
        "saving_total_ns",
        "",
    ];
    let mut at = 0;
    for key in KEYS.iter().filter(|k| !k.is_empty()) {
        let found = object[at..]
            .find(&format!("\"{key}\": "))
            .unwrap_or_else(|| panic!("{key} missing or out of order in {object}"));
        at += found;
    }
    assert_eq!(field(object, "calls"), "21891");
    assert_eq!(field(object, "outer_runs"), "1");
    assert_eq!(field(object, "advice"), "\"memoize\"");
    let tottime: u64 = field(object, "tottime_ns").parse().unwrap();
    let cumtime: u64 = field(object, "cumtime_ns").parse().unwrap();
    assert_eq!(tottime, cumtime, "all of fib_slow's time is its own");
    let per_outer: u64 = field(object, "cumtime_percall_ns").parse().unwrap();
    assert_eq!(per_outer, cumtime, "one outer call");
    assert!(field(object, "saving_total_ns").parse::<u64>().unwrap() > 0);
    assert_eq!(field(object, "lookup_ns"), "null");
}

#[test]
fn memo_report_names_the_order_of_the_report_printed_at_exit() {
    if std::env::var_os("MEMO_REPORT_CHILD").is_some() {
        return;
    }
    let run = |order: &str| {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "print_report_at_exit",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("MEMO_REPORT", order)
            .env("MEMO_REPORT_CHILD", "1")
            .output()
            .expect("the test binary runs");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let position = |text: &str, name: &str| {
        text.find(&format!("\n{name} "))
            .unwrap_or_else(|| panic!("{name} not in {text}"))
    };
    let by_calls = run("calls");
    assert!(
        position(&by_calls, "report::chatty") < position(&by_calls, "report::light"),
        "{by_calls}"
    );
    let by_name = run("1");
    assert!(position(&by_name, "report::chatty") < position(&by_name, "report::heavy"));
    assert!(
        position(&by_name, "report::heavy") < position(&by_name, "report::light"),
        "{by_name}"
    );
    let unknown = run("fastest");
    assert!(
        unknown.contains("MEMO_REPORT: unknown order `fastest`"),
        "{unknown}"
    );
    assert!(!run("0").contains("advice:"));
}

/// Run by the test above in a child process, with `MEMO_REPORT` set.
#[test]
fn print_report_at_exit() {
    if std::env::var_os("MEMO_REPORT_CHILD").is_none() {
        return;
    }
    let _report = memo::report_on_exit();
    for n in 0..100 {
        chatty(n);
    }
    light();
    heavy();
}
