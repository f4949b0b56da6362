//! Caches from empty, the work memoization mostly exists for: fib(90) and
//! the edit distance of two 300-byte strings, every strategy filling its cache
//! from nothing in each iteration (`clear(); fill()` timed together; the
//! clear alone is measured too, on a full cache).
//!
//! `cargo bench --bench cold_fill [-- FILTER]`; `MEMO_BENCH_QUICK=1` for a
//! short run. Prints a markdown table of criterion medians and the goals.
//! Runs on a thread with a 256 MiB stack (the edit distance recurses 600 deep).

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::Criterion;

use common::cold::{self, Cold};

const FIB_GROUP: &str = "cold_fib90";
const ED_GROUP: &str = "cold_edit300";
const CLEAR_GROUP: &str = "cold_clear_full";

fn bench_fills(c: &mut Criterion, group: &str, list: &[Cold], slow: bool) {
    let mut g = c.benchmark_group(group);
    if slow {
        // A fill is milliseconds: fewer samples, the same iteration count in each.
        g.sampling_mode(criterion::SamplingMode::Flat);
        g.sample_size(if common::quick() { 10 } else { 20 });
        g.measurement_time(if common::quick() {
            Duration::from_millis(500)
        } else {
            Duration::from_secs(4)
        });
    }
    for s in list {
        g.bench_function(s.name, |b| {
            b.iter(|| {
                (s.clear)();
                black_box((s.fill)())
            });
        });
        (s.clear)();
    }
    g.finish();
}

/// The cost of `clear()` on a full cache: each iteration fills (untimed), then
/// times the clear alone.
fn bench_clears(c: &mut Criterion, list: &[(&str, &Cold)]) {
    let mut g = c.benchmark_group(CLEAR_GROUP);
    g.sample_size(if common::quick() { 10 } else { 30 });
    for (id, s) in list {
        g.bench_function(*id, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    black_box((s.fill)());
                    let start = Instant::now();
                    (s.clear)();
                    total += start.elapsed();
                }
                total
            });
        });
        (s.clear)();
    }
    g.finish();
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 100_000.0 {
        format!("{:.0} µs", ns / 1e3)
    } else if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn table(group: &str, names: &[&str], reference: &str, since: SystemTime) {
    let Some((base, _, _)) = common::criterion_median(group, reference, since) else {
        return;
    };
    println!("| {group} | median | 95% CI of median | x {reference} |");
    println!("|---|---:|---:|---:|");
    for name in names {
        if let Some((m, lo, hi)) = common::criterion_median(group, name, since) {
            println!(
                "| {} | {} | {}–{} | {:.2} |",
                name,
                fmt_ns(m),
                fmt_ns(lo),
                fmt_ns(hi),
                m / base
            );
        }
    }
    println!();
}

fn goals(group: &str, prefix: &str, since: SystemTime) {
    let get = |name: &str| common::criterion_median(group, &format!("{prefix}{name}"), since);
    let Some((hand, _, _)) = get("hand_fx") else {
        return;
    };
    if let Some((tl, _, _)) = get("memo_thread_local") {
        let r = tl / hand;
        let verdict = if r <= 1.5 { "met" } else { "missed" };
        println!("{group} {prefix}: memo thread_local / hand FxHashMap = {r:.2}x (goal <= 1.5x: {verdict})");
    }
    if let (Some((reused, _, _)), Some((tl, _, _)), Some((shared, _, _))) = (
        get("hand_fx_reused"),
        get("memo_thread_local"),
        get("memo_shared"),
    ) {
        println!(
            "{group} {prefix}: against a reused (cleared) hand FxHashMap: memo thread_local {:.2}x, memo shared {:.2}x",
            tl / reused,
            shared / reused
        );
    }
    if let Some((shared, _, _)) = get("memo_shared") {
        let r = shared / hand;
        let peers: Vec<(String, f64)> = [
            "memoize_crate_default",
            "memoize_crate_fx",
            "cached_default",
        ]
        .iter()
        .filter_map(|p| Some((p.to_string(), get(p)?.0)))
        .collect();
        let fastest_peer = peers.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let verdict = if r <= 2.5 && shared < fastest_peer {
            "met"
        } else {
            "missed"
        };
        let vs: Vec<String> = peers
            .iter()
            .map(|(p, ns)| format!("{p} {:.2}x", ns / shared))
            .collect();
        println!(
            "{group} {prefix}: memo shared / hand FxHashMap = {r:.2}x (goal <= 2.5x and faster than memoize and cached: {verdict}); peers / memo shared: {}",
            vs.join(", ")
        );
    }
}

fn run() {
    cold::check_all();
    let since = SystemTime::now();
    let mut c = common::criterion_config().configure_from_args();
    bench_fills(&mut c, FIB_GROUP, cold::FIB, false);
    bench_fills(&mut c, ED_GROUP, cold::EDIT, true);
    let clears: Vec<(&str, &Cold)> = cold::FIB
        .iter()
        .filter(|s| !s.name.starts_with("hand") || s.name == "hand_fx_reused")
        .map(|s| (s.name, s))
        .collect();
    bench_clears(&mut c, &clears);
    c.final_summary();

    println!();
    println!("fib(90) from empty (clear + fill):");
    println!();
    let names = |list: &[Cold], prefix: &str| -> Vec<&'static str> {
        list.iter()
            .map(|s| s.name)
            .filter(|n| n.starts_with(prefix))
            .collect()
    };
    table(FIB_GROUP, &names(cold::FIB, ""), "hand_fx", since);
    println!(
        "edit distance of two {}-byte strings from empty (distance {}):",
        cold::ED_LEN,
        cold::ed_reference()
    );
    println!();
    table(ED_GROUP, &names(cold::EDIT, "ij_"), "ij_hand_fx", since);
    table(ED_GROUP, &names(cold::EDIT, "str_"), "str_hand_fx", since);
    println!("clear() of a full fib(90) cache (91 entries), alone:");
    println!();
    let clear_names: Vec<&str> = clears.iter().map(|(n, _)| *n).collect();
    table(CLEAR_GROUP, &clear_names, "memo_thread_local", since);
    goals(FIB_GROUP, "", since);
    goals(ED_GROUP, "ij_", since);
    goals(ED_GROUP, "str_", since);
}

fn main() {
    std::thread::Builder::new()
        .name("cold_fill".into())
        .stack_size(256 << 20)
        .spawn(run)
        .expect("spawn the bench thread")
        .join()
        .expect("the bench thread panicked");
}
