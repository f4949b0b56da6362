#!/usr/bin/env bash
# Every figure of benches/README.md in one go (about 5 minutes on 2 cores):
# the criterion hit-path run and its table of medians and goals, the 1 vs 2
# thread scaling table, and the callgrind instruction counts.
#
#   bash benches/run_all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (with local changes)')"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo
rm -rf target/criterion/[0-9]_*
cargo bench --bench hit_path >&2
python3 benches/summarize.py
echo
cargo bench --bench scaling 2>/dev/null
echo
bash benches/callgrind.sh
