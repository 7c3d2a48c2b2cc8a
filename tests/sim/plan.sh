#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/sim/plan.sh - the seed-004 table: runs `devplane sim` for each case of
# the plan (tests/control/sim/test_simnet.c, same seeds and durations) and
# prints a markdown table; CSV rows, fill CSVs and SVG charts go to OUTDIR.
# Usage: tests/sim/plan.sh [BUILD_DIR] [OUTDIR]
set -eu
B=${1:-build}
OUT=${2:-sim-plan}
mkdir -p "$OUT"
DP="$B/control/devplane"
run() { # name nodes loss delay jitter churn duration lookups
	"$DP" sim --nodes "$2" --loss "$3" --delay "$4" --jitter "$5" \
		--churn "$6" --duration "$7" --lookups "$8" --broadcasts 5 \
		--seed 4 --out "$OUT/$1" >"$OUT/$1.txt"
}
run n10_clean 10 0 20ms 0 0 40s 20
run n10_loss5 10 5 20ms 10ms 0 40s 20
run n10_loss20 10 20 20ms 10ms 0 40s 20
run n10_churn 10 5 50ms 30ms 10 40s 20
run n100_clean 100 0 20ms 0 0 60s 50
run n100_loss5 100 5 20ms 10ms 0 60s 50
run n100_loss20 100 20 20ms 10ms 0 60s 50
run n100_churn 100 5 50ms 30ms 10 60s 50
run n1000_churn 1000 5 20ms 10ms 10 90s 50
echo '| nodes | loss % | delay+jitter ms | churn % | hops p50/p90/p99 | lookup ms p50/p90/p99 | converged % (known %) | healthy s | send-by-id ok % | bcast coverage min % | bcast ms p50/p90/p99 |'
echo '|---|---|---|---|---|---|---|---|---|---|---|'
for f in n10_clean n10_loss5 n10_loss20 n10_churn n100_clean n100_loss5 \
	 n100_loss20 n100_churn n1000_churn; do
	tail -n 1 "$OUT/$f.csv"
done | awk -F, '{ printf "| %s | %s | %s+%s | %s | %s/%s/%s | %s/%s/%s | %s (%s) | %s | %s | %s | %s/%s/%s |\n",
	$1, $3, $4, $5, $6, $10, $11, $12, $13, $14, $15, $16, $17, $21, $18,
	$24, $26, $27, $28 }'
