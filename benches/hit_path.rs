//! Cache-hit cost per event of every strategy, side by side in one run.
//!
//! `cargo bench --bench hit_path`; see `benches/README.md` for the figures and
//! `benches/summarize.py` for the table of medians and ratios.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use common::{Section, EVENTS, STRATEGIES};

fn hit_path(c: &mut Criterion) {
    let events = common::events(EVENTS);
    let valid = common::check_all_agree(&events);
    eprintln!(
        "{} of {} events valid; every strategy agrees",
        valid,
        events.len()
    );
    for section in Section::ALL {
        let mut group = c.benchmark_group(section.group());
        group.throughput(Throughput::Elements(events.len() as u64));
        for strategy in STRATEGIES.iter().filter(|s| s.section == section) {
            (strategy.warm)();
            group.bench_function(strategy.name, |b| {
                b.iter(|| (strategy.run)(black_box(&events)));
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // 50 samples of 2 s; `MEMO_BENCH_QUICK=1`: 10 of 0.5 s.
    config = common::criterion_config();
    targets = hit_path
}
criterion_main!(benches);
