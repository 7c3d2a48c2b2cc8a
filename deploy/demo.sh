#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh - the main job on a fresh Debian machine: install what devplane
# needs, build it, start a local discv4 testnet (DEMO_NODES, default 1000,
# on 127.0.0.1), crawl it with `devplane crawl`, print the crawl summary,
# and write the crawl report (one HTML page: coverage over time, clients,
# networks, ENR keys, error classes, the neighbour graph) and print its
# path. Loopback only: no internet needed once the deps are in.
# Environment: DEMO_NODES, DEMO_CRAWL_TIMEOUT (default 90s), DEMO_OUT (a
# directory for nodes.json, crawl.sqlite and report.html; default a
# temporary one).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash deploy/install-deps.sh
if [ ! -f build/build.ninja ]; then
	meson setup build --buildtype=release -Dwerror=true
fi
ninja -C build

N=${DEMO_NODES:-1000}
CRAWL_TIMEOUT=${DEMO_CRAWL_TIMEOUT:-90s}
OUT=${DEMO_OUT:-$(mktemp -d /tmp/devplane-demo.XXXXXX)}
mkdir -p "$OUT"
DEVPLANE=./build/control/devplane
TN=
DP=

cleanup() {
	# The testnet stops its dataplane on SIGTERM; SIGKILL both if not.
	if [ -n "$TN" ] && kill -0 "$TN" 2>/dev/null; then
		kill -TERM "$TN" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$TN" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$TN" 2>/dev/null || true
	fi
	if [ -n "$DP" ]; then
		kill -KILL "$DP" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# N free UDP ports on loopback: try a few random bases.
BASE=
for _ in $(seq 20); do
	b=$((20000 + RANDOM % 30000))
	if python3 -c "import socket
socks = []
for p in range($b, $b + $N):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', p)); socks.append(s)" 2>/dev/null; then
		BASE=$b
		break
	fi
done
[ -n "$BASE" ] || { echo "demo: no run of $N free UDP ports" >&2; exit 1; }

echo "demo: starting a $N-node discv4 testnet on 127.0.0.1:$BASE.." \
	"(devplane testnet; progress every 5 s)"
"$DEVPLANE" testnet --nodes "$N" --base-port "$BASE" \
	>"$OUT/testnet.out" 2>"$OUT/testnet.err" &
TN=$!
for _ in $(seq 100); do
	grep -q 'dataplane pid' "$OUT/testnet.err" && break
	sleep 0.1
done
DP=$(sed -n 's/.*dataplane pid \([0-9]*\).*/\1/p' "$OUT/testnet.err")
BOOT=$(head -1 "$OUT/testnet.out")
case "$BOOT" in
enode://*) ;;
*) echo "demo: the testnet did not start:" >&2
   tail -5 "$OUT/testnet.err" >&2
   exit 1 ;;
esac

# Wait until every node's table holds >= 16 nodes (about 80 s for 1,000
# nodes on 2 cores), showing the testnet's progress lines.
shown=0
for _ in $(seq 600); do
	total=$(wc -l <"$OUT/testnet.err")
	if [ "$total" -gt "$shown" ]; then
		sed -n "$((shown + 1)),${total}p" "$OUT/testnet.err" |
			grep '^testnet:' || true
		shown=$total
	fi
	grep -q 'testnet: healthy' "$OUT/testnet.err" && break
	kill -0 "$TN" 2>/dev/null || { echo "demo: testnet exited" >&2; exit 1; }
	sleep 0.5
done
grep -q 'testnet: healthy' "$OUT/testnet.err" ||
	echo "demo: tables not all >= 16 after 300 s; crawling anyway" >&2

echo "demo: crawling it from $BOOT"
# Every node of the testnet is 127.0.0.1: the crawler's per-source budget
# (500 packets/s, meant for one node per address) would drop a fifth of
# their answers, so it is off here.
"$DEVPLANE" crawl --bootnodes "$BOOT" --out "$OUT/nodes.json" \
	--db "$OUT/crawl.sqlite" --timeout "$CRAWL_TIMEOUT" --parallel 64 \
	--dataplane.budget off --report "$OUT/report.html" 2>&1 |
	grep -v '^rlpx' | grep -v '^report: '
echo "demo: nodes.json and crawl.sqlite in $OUT"
# The crawl wrote its report at the end (the same page as
# `devplane report $OUT/crawl.sqlite --out FILE`).
[ -s "$OUT/report.html" ] || { echo "demo: no report written" >&2; exit 1; }
echo "demo: crawl report: $OUT/report.html"
