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
set -euo pipefail
cd "$(dirname "$0")/.."

reps=${REPS:-20}
exe=$(cargo bench --bench callgrind_probe --no-run --message-format=json 2>/dev/null |
    jq -r 'select(.reason == "compiler-artifact" and .target.name == "callgrind_probe") | .executable' |
    tail -n 1)
[ -x "$exe" ] || { echo "could not build the callgrind_probe bench" >&2; exit 1; }

if [ $# -eq 0 ]; then
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
