#!/usr/bin/env bash
# Instructions per event of each strategy, counted by callgrind (stable on a
# noisy machine, unlike time). For each strategy the probe runs REPS and
# 2*REPS batches of 4096 events; (Ir(2*REPS) - Ir(REPS)) / (REPS * 4096) is
# the cost of one event: the loop, the call and the lookup, with start-up,
# event generation, warming and table builds cancelling out.
#
#   bash benches/callgrind.sh                   # every strategy
#   bash benches/callgrind.sh hand_flat memo_precompute
#   REPS=50 bash benches/callgrind.sh
#   MEMO_BENCH_QUICK=1 bash benches/callgrind.sh  # five strategies, REPS=5
#
# Then, for the cold strategies the probe lists (fib(90) filled from empty:
# `clear(); fill()`), instructions per fill from COLD_REPS and 2*COLD_REPS
# fills (skipped when strategies are named).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=${MEMO_BENCH_QUICK:-}
[ "$quick" = 0 ] && quick=
if [ -n "$quick" ]; then reps=${REPS:-5}; else reps=${REPS:-20}; fi
cold_reps=${COLD_REPS:-100}
exe=$(cargo bench --bench callgrind_probe --no-run --message-format=json 2>/dev/null |
    jq -r 'select(.reason == "compiler-artifact" and .target.name == "callgrind_probe") | .executable' |
    tail -n 1)
[ -x "$exe" ] || { echo "could not build the callgrind_probe bench" >&2; exit 1; }

if [ $# -eq 0 ] && [ -n "$quick" ]; then
    strategies=(hand_fx_thread_local memo_thread_local memo_shared hand_flat memo_precompute)
elif [ $# -eq 0 ]; then
    # The probe prints its strategies when given none.
    read -r -a strategies <<<"$("$exe" | sed -n 's/^strategies: //p')"
else
    strategies=("$@")
fi

instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$exe" "$1" "$2" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

echo "| strategy | instructions per event |"
echo "|---|---:|"
for s in "${strategies[@]}"; do
    once=$(instructions "$s" "$reps")
    twice=$(instructions "$s" $((2 * reps)))
    awk -v s="$s" -v a="$once" -v b="$twice" -v n=$((reps * 4096)) \
        'BEGIN { printf "| %s | %.1f |\n", s, (b - a) / n }'
done

[ $# -eq 0 ] || exit 0
read -r -a cold <<<"$("$exe" | sed -n 's/^cold: //p')"
echo
echo "| fib(90) from empty | instructions per fill |"
echo "|---|---:|"
for s in "${cold[@]}"; do
    once=$(instructions "$s" "$cold_reps")
    twice=$(instructions "$s" $((2 * cold_reps)))
    awk -v s="$s" -v a="$once" -v b="$twice" -v n="$cold_reps" \
        'BEGIN { printf "| %s | %.0f |\n", s, (b - a) / n }'
done
