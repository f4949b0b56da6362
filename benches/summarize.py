#!/usr/bin/env python3
"""Prints the medians of the last `cargo bench --bench hit_path` run as
markdown tables (ns per event), and the speed goals with their ratios.

    cargo bench --bench hit_path && python3 benches/summarize.py
"""

import json
import pathlib
import sys

EVENTS = 4096
# Run from the workspace root (or pass criterion's output directory).
ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")

# (goal, numerator, denominator, how the ratio must compare, bound)
GOALS = [
    ("`#[memoize(thread_local)]` within 1.3x of a hand-written thread-local FxHashMap",
     "memo_thread_local", "hand_fx_thread_local", "<=", 1.3),
    ("`#[memoize]` (shared) >= 3x faster than `cached` default",
     "cached_default", "memo_shared", ">=", 3.0),
    ("`#[memoize(capacity = 1024)]` >= 2x faster than `cached(max_size = 1024)`",
     "cached_max_size_1024", "memo_capacity_1024", ">=", 2.0),
    ("`#[precompute]` (non-const fn) within 1.3x of a hand-written flat array",
     "memo_precompute", "hand_flat", "<=", 1.3),
    ("`#[precompute]` (const fn) within 1.3x of a hand-written flat array",
     "memo_precompute_const", "hand_flat", "<=", 1.3),
]


def load():
    medians = {}
    for group in sorted(ROOT.glob("[0-9]_*")):
        for bench in sorted(group.iterdir()):
            estimates = bench / "new" / "estimates.json"
            if not estimates.is_file():
                continue
            data = json.loads(estimates.read_text())
            median = data["median"]
            medians[bench.name] = (
                group.name,
                median["point_estimate"] / EVENTS,
                median["confidence_interval"]["lower_bound"] / EVENTS,
                median["confidence_interval"]["upper_bound"] / EVENTS,
            )
    return medians


def main():
    medians = load()
    if not medians:
        sys.exit(f"no criterion results under {ROOT}; run `cargo bench --bench hit_path` first")
    reference = medians.get("hand_flat", (None, 1.0))[1]
    print("| group | strategy | median ns/event | 95% CI of median | x hand_flat |")
    print("|---|---|---:|---:|---:|")
    for name, (group, ns, low, high) in sorted(medians.items(), key=lambda kv: (kv[1][0], kv[1][1])):
        print(f"| {group} | {name} | {ns:.2f} | {low:.2f}-{high:.2f} | {ns / reference:.1f} |")
    print()
    print("| goal | ratio | met? |")
    print("|---|---:|---|")
    for goal, num, den, op, bound in GOALS:
        if num not in medians or den not in medians:
            print(f"| {goal} | n/a | not measured |")
            continue
        ratio = medians[num][1] / medians[den][1]
        met = ratio <= bound if op == "<=" else ratio >= bound
        verdict = "yes" if met else f"**no** (needs {op} {bound})"
        print(f"| {goal} | {num} / {den} = {ratio:.2f} | {verdict} |")


if __name__ == "__main__":
    main()
