#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/sim/plan.sh - the seed-004 table: runs `devplane sim` for each case of
# the plan (tests/control/sim/test_simnet.c, same seeds and durations), discv4
# and discv5, and prints a markdown table; CSV rows, fill CSVs and SVG charts
# go to OUTDIR. Cases run two at a time (JOBS).
# Usage: tests/sim/plan.sh [BUILD_DIR] [OUTDIR]
set -eu
B=${1:-build}
OUT=${2:-sim-plan}
JOBS=${JOBS:-2}
mkdir -p "$OUT"
DP="$B/control/devplane"
[ -x "$DP" ] || { echo "plan.sh: no $DP (build first)" >&2; exit 1; }

# name proto nodes loss delay jitter churn duration lookups [--p2p]
CASES='n10_clean v4 10 0 20ms 0 0 40s 20
n10_loss5 v4 10 5 20ms 10ms 0 40s 20
n10_loss20 v4 10 20 20ms 10ms 0 40s 20
n10_churn v4 10 5 50ms 30ms 10 40s 20
n100_clean v4 100 0 20ms 0 0 60s 50
n100_loss5 v4 100 5 20ms 10ms 0 60s 50
n100_loss20 v4 100 20 20ms 10ms 0 60s 50
n100_churn v4 100 5 50ms 30ms 10 60s 50
n1000_churn v4 1000 5 20ms 10ms 10 90s 50
v5_n10_clean v5 10 0 20ms 0 0 40s 20
v5_n10_loss5 v5 10 5 20ms 10ms 0 40s 20
v5_n10_loss20 v5 10 20 20ms 10ms 0 40s 20
v5_n10_churn v5 10 5 50ms 30ms 10 40s 20
v5_n100_clean v5 100 0 20ms 0 0 60s 50
v5_n100_loss5 v5 100 5 20ms 10ms 0 60s 50
v5_n100_loss20 v5 100 20 20ms 10ms 0 60s 50
v5_n100_churn v5 100 5 50ms 30ms 10 60s 50
v5_n1000_churn v5 1000 5 20ms 10ms 10 90s 50
p2p_n10_loss5 v4 10 5 20ms 10ms 0 40s 20 --p2p
p2p_n100_churn v4 100 5 50ms 30ms 10 60s 50 --p2p
p2p_v5_n100_loss5 v5 100 5 20ms 10ms 0 60s 50 --p2p'

run() { # name proto nodes loss delay jitter churn duration lookups [--p2p]
	"$DP" sim "--$2" --nodes "$3" --loss "$4" --delay "$5" \
		--jitter "$6" --churn "$7" --duration "$8" --lookups "$9" \
		${10:-} --broadcasts 5 --seed 4 --out "$OUT/$1" >"$OUT/$1.txt" ||
		{ echo "plan.sh: case $1 failed" >&2; return 1; }
}

# every case in the background, at most JOBS at once; a failed case fails
# the script
pids=''
n=0
fail=0
echo "$CASES" | {
	while read -r name rest; do
		# shellcheck disable=SC2086
		run "$name" $rest &
		pids="$pids $!"
		n=$((n + 1))
		if [ "$n" -ge "$JOBS" ]; then
			for p in $pids; do wait "$p" || fail=1; done
			pids=''
			n=0
		fi
	done
	for p in $pids; do wait "$p" || fail=1; done
	exit $fail
}

echo '| proto | nodes | loss % | delay+jitter ms | churn % | hops p50/p90/p99 | lookup ms p50/p90/p99 | converged % (known / served %) | healthy s | send-by-id ok % | bcast coverage min % | bcast ms p50/p90/p99 |'
echo '|---|---|---|---|---|---|---|---|---|---|---|---|'
echo "$CASES" | while read -r name rest; do
	tail -n 1 "$OUT/$name.csv"
done | awk -F, '{ printf "| %s | %s | %s | %s+%s | %s | %s/%s/%s | %s/%s/%s | %s (%s / %s) | %s | %s | %s | %s/%s/%s |\n",
	$35, $1, $3, $4, $5, $6, $10, $11, $12, $13, $14, $15, $16, $17, $36,
	$21, $18, $24, $26, $27, $28 }'
