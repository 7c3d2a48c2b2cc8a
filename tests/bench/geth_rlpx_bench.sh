#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/bench/geth_rlpx_bench.sh - RLPx frames and handshakes, geth v1.17.10
# and devplane side by side, in one run on this machine (a benchmark, not a
# test: figures and ratios, no verdict).
#  - frames: geth's own p2p/rlpx BenchmarkThroughput (1 KiB random messages,
#    snappy on, over loopback TCP, a writer and a reader goroutine) next to
#    devplane-bench fe's "1024 B snappy random" row (seal + open of the same
#    kind of message on one core);
#  - handshakes: a complete EIP-8 handshake, both sides in one process
#    (tests/interop/geth/bench/rlpx_bench_test.go on geth's p2p/rlpx) next to
#    devplane-bench handshake's "pair" row.
# geth's figures are per core: the benchmark's throughput times its wall
# time over the CPU time its process used (both goroutines count).
# usage: geth_rlpx_bench.sh BUILD_DIR [BENCHTIME (default 5s)]
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
BENCHTIME=${2:-5s}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$("$top/tests/interop/geth/install.sh") ||
	{ echo "geth_rlpx_bench: tests/interop/geth/install.sh failed" >&2; exit 1; }
cache=$(printf '%s\n' "$out" | sed -n 's/^GETH_BIN=//p' | tail -1)
cache=${cache%/bin}
export GOPATH=$cache/gopath GOCACHE=$cache/gocache GOFLAGS=-modcacherw \
	GOTOOLCHAIN=local
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$top/tests/interop/geth/bench" &&
	go test -c -o "$work/hs.test" . &&
	go test -c -o "$work/rlpx.test" github.com/ethereum/go-ethereum/p2p/rlpx) >&2

cpu_of() {       # cpu_of CMD...: runs CMD, prints its user+sys seconds
	/usr/bin/time -f '%U %S %e' -o "$work/time" "$@" >"$work/cmd.out" 2>&1 ||
		{ cat "$work/cmd.out" >&2; exit 1; }
	awk '{ printf "%.3f %.3f\n", $1 + $2, $3 }' "$work/time"
}

echo "== geth v1.17.10: BenchmarkThroughput (p2p/rlpx), BenchmarkHandshakePair"
read -r g_cpu g_wall < <(cpu_of "$work/rlpx.test" -test.run '^$' \
	-test.bench '^BenchmarkThroughput$' -test.benchtime "$BENCHTIME")
g_line=$(grep -E '^BenchmarkThroughput' "$work/cmd.out")
echo "$g_line"
g_mbs=$(echo "$g_line" | awk '{ for (i = 1; i < NF; i++) if ($(i+1) == "MB/s") print $i }')
g_mbs_core=$(awk -v m="$g_mbs" -v w="$g_wall" -v c="$g_cpu" 'BEGIN { printf "%.1f", m * w / c }')
read -r h_cpu h_wall < <(cpu_of "$work/hs.test" -test.run '^$' \
	-test.bench '^BenchmarkHandshakePair$' -test.benchtime "$BENCHTIME")
h_line=$(grep -E '^BenchmarkHandshakePair' "$work/cmd.out")
echo "$h_line"
h_ns=$(echo "$h_line" | awk '{ for (i = 1; i < NF; i++) if ($(i+1) == "ns/op") print $i }')
h_core=$(awk -v ns="$h_ns" -v w="$h_wall" -v c="$h_cpu" 'BEGIN { printf "%.0f", 1e9 / ns * w / c }')

echo "== devplane (devplane-bench fe, handshake)"
# The same per-core scaling as geth's: a row's rate times the section's
# wall time over its CPU time (1.0 on an idle core; on a busy machine
# both sides are corrected alike). Rows are "%-40s ops/s MB/s note"
# (tests/bench/bench_main.c).
read -r f_cpu f_wall < <(cpu_of "$B/tests/bench/devplane-bench" fe)
cat "$work/cmd.out"
d_mbs=$(grep -E '^seal\+open 1024 B snappy random' "$work/cmd.out" | cut -c41- |
	awk -v w="$f_wall" -v c="$f_cpu" '{ printf "%.1f", $2 * w / c }')
read -r k_cpu k_wall < <(cpu_of "$B/tests/bench/devplane-bench" handshake)
cat "$work/cmd.out"
d_hs=$(grep -E '^handshake: both sides' "$work/cmd.out" | cut -c41- |
	awk -v w="$k_wall" -v c="$k_cpu" '{ printf "%.0f", $1 * w / c }')

echo
echo "== side by side (per core, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
printf '%-34s %14s %14s %8s\n' "" "geth/core" "devplane/core" "ratio"
printf '%-34s %14s %14s %8s\n' "frames: 1 KiB snappy, MB/s" "$g_mbs_core" "$d_mbs" \
	"$(awk -v a="$d_mbs" -v b="$g_mbs_core" 'BEGIN { printf "%.2fx", a / b }')"
printf '%-34s %14s %14s %8s\n' "handshakes (both sides) /s" "$h_core" "$d_hs" \
	"$(awk -v a="$d_hs" -v b="$h_core" 'BEGIN { printf "%.2fx", a / b }')"
echo "(geth: MB/s $g_mbs over ${g_wall}s wall with ${g_cpu}s CPU; handshake ${h_ns} ns/op over ${h_wall}s wall with ${h_cpu}s CPU)"
