#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run-long.sh - the long libFuzzer run (not in CI): every target in a
# libFuzzer build for SECONDS each over its corpus, one line per target with
# its executions and whether it crashed. Crash inputs go to OUT.
# Usage: tests/fuzz/run-long.sh FUZZ_BUILD_DIR [SECONDS (300)] [OUT (/tmp)]
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: run-long.sh FUZZ_BUILD_DIR [SECONDS] [OUT]}
secs=${2:-300}
out=${3:-/tmp/devplane-fuzz-long}
mkdir -p "$out"
crashed=0
for exe in "$build"/tests/fuzz/fuzz_*; do
	[ -f "$exe" ] && [ -x "$exe" ] || continue
	t=${exe##*/fuzz_}
	scratch=$(mktemp -d)
	"$exe" "$scratch" "$top/tests/fuzz/corpus/$t" -max_total_time="$secs" \
		-artifact_prefix="$out/$t-" -print_final_stats=1 \
		>"$out/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
	if [ $rc -eq 0 ]; then
		echo "fuzz/$t: ${secs}s, ${execs:-?} executions, no crash"
	else
		echo "fuzz/$t: CRASH after ${execs:-?} executions (see $out/$t.log)"
		crashed=$((crashed + 1))
	fi
	rm -rf "$scratch"
done
echo "$crashed targets crashed"
[ $crashed -eq 0 ]
