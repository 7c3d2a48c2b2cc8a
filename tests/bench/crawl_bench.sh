#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/bench/crawl_bench.sh - crawl benchmark against a real local network:
# a devplane testnet of N nodes (default 200) on 127.0.0.1, crawled by
# `devplane crawl`; prints nodes/s discovered and ENR-verified until 95 %
# of the network is (nodes.json is flushed every second and polled every
# 0.25 s), and the crawler's own summary.
# Also the crawler's CPU per node (its process tree: devplane crawl and the
# devplane-dp it spawns, from /usr/bin/time) and peak RSS.
# Environment: WAIT_S (seconds to wait for a healthy testnet, default
# 300), CRAWL_TIMEOUT (default 60s).
# usage: crawl_bench.sh [BUILD_DIR] [N]
set -u
BUILD=${1:-build}
N=${2:-200}
DEVPLANE=$BUILD/control/devplane
WORK=$(mktemp -d /tmp/devplane-crawlbench.XXXXXX)
TN=
CR=

cleanup() {
	[ -n "$CR" ] && kill -KILL "$CR" 2>/dev/null
	if [ -n "$TN" ]; then
		kill -TERM "$TN" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$TN" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$TN" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

[ -x "$DEVPLANE" ] || { echo "crawl_bench: no $DEVPLANE" >&2; exit 1; }
for _ in $(seq 20); do
	BASE=$((20000 + RANDOM % 30000))
	python3 -c "import socket
socks = []
for p in range($BASE, $BASE + $N):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', p)); socks.append(s)" 2>/dev/null && break
done
"$DEVPLANE" testnet --nodes "$N" --base-port "$BASE" \
	>"$WORK/tn.out" 2>"$WORK/tn.err" &
TN=$!
WAIT_S=${WAIT_S:-300}
for _ in $(seq $((WAIT_S * 2))); do
	grep -q 'testnet: healthy' "$WORK/tn.err" && break
	kill -0 "$TN" 2>/dev/null || { echo "testnet exited" >&2; exit 1; }
	sleep 0.5
done
grep 'testnet: \(all\|healthy\)' "$WORK/tn.err" ||
	{ echo "crawl_bench: testnet not healthy after $WAIT_S s:" >&2
	  tail -3 "$WORK/tn.err" >&2; exit 1; }
BOOT=$(head -1 "$WORK/tn.out")

t0=$(date +%s.%N)
/usr/bin/time -f '%U %S %M' -o "$WORK/crawl.time" \
	"$DEVPLANE" crawl --bootnodes "$BOOT" --out "$WORK/nodes.json" \
	--timeout "${CRAWL_TIMEOUT:-60s}" --parallel 64 --dataplane.budget off \
	>"$WORK/crawl.out" 2>&1 &
CR=$!
need=$(( (N * 95 + 99) / 100 ))
res=
while kill -0 "$CR" 2>/dev/null; do
	sleep 0.25
	[ -f "$WORK/nodes.json" ] || continue
	got=$(python3 -c "import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    print('0 0'); sys.exit()
print(len(d), sum(1 for v in d.values() if v['record'].startswith('enr:')))" \
		"$WORK/nodes.json")
	set -- $got
	if [ "$2" -ge "$need" ]; then
		t=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" \
			"$t0" "$(date +%s.%N)")
		res="$1 $2 $t"
		break
	fi
done
if [ -z "$res" ]; then
	wait "$CR"
	CR=
	echo "crawl_bench: 95 % not reached" >&2
	grep '^crawl .*ENR verified' "$WORK/crawl.out" >&2
	exit 1
fi
set -- $res
python3 -c "import sys
n, found, enr, t = map(float, sys.argv[1:])
print(f'crawl bench: {int(found)} of {int(n)} nodes found, {int(enr)} '
      f'ENR-verified after {t:.1f} s: {found / t:.1f} nodes/s discovered, '
      f'{enr / t:.1f} nodes/s ENR-verified (real {int(n)}-node testnet on '
      f'loopback, --parallel 64)')" "$N" "$1" "$2" "$3"
wait "$CR"
CR=
grep '^crawl .*ENR verified' "$WORK/crawl.out"
read -r u sy rss <"$WORK/crawl.time"
python3 -c "import sys
u, s, rss, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f'crawler CPU {u + s:.2f} s for the whole crawl ({(u + s) / n * 1e3:.2f} ms per '
      f'testnet node), peak RSS {rss} kB')" "$u" "$sy" "$rss" "$N"
