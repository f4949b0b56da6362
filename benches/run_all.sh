#!/usr/bin/env bash
# Every figure of benches/README.md in one go (about 8 minutes on 2 cores,
# plus the build): the criterion hit-path run and its table of medians and
# goals, the 1 vs 2 thread scaling table, the callgrind instruction counts,
# the cold fills (fib(90), edit distance from empty) and the bounded caches
# (Zipf traces, hot hits, 1 vs 2 threads).
#
#   bash benches/run_all.sh                      # the full set
#   MEMO_BENCH_QUICK=1 bash benches/run_all.sh   # quick mode, under 2 minutes once built
set -euo pipefail
cd "$(dirname "$0")/.."

echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (with local changes)')"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
[ -n "${MEMO_BENCH_QUICK:-}" ] && [ "${MEMO_BENCH_QUICK}" != 0 ] && echo "quick mode (MEMO_BENCH_QUICK=${MEMO_BENCH_QUICK})"
echo
# Build everything first, so that the timings below are not sharing the cores with rustc.
cargo bench --no-run >&2
rm -rf target/criterion/[0-9]_*
cargo bench --bench hit_path >&2
python3 benches/summarize.py
echo
cargo bench --bench scaling 2>/dev/null
cargo bench --bench memory 2>/dev/null
echo
bash benches/callgrind.sh
echo
# criterion's own report goes to stderr; the tables and goals to stdout.
cargo bench --bench cold_fill 2>/dev/null | sed -n '/^fib(90) from empty/,$p'
echo
cargo bench --bench bounded 2>/dev/null | grep -v '^\(Benchmarking\|bounded_hot_hit/\|  \|Found\|$\)' || true
