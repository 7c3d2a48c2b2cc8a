#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/soak/soak.sh - the soak test (not in CI; about 30 minutes):
#  - a devplane node on 127.0.0.1 with 200 RLPx peers (tests/soak/churn.mjs:
#    @ethereumjs/devp2p) that connect, send Status and Pings, and drop,
#    continuously;
#  - a devplane bootnode on 127.0.0.2 under 20,000 packets/s of mixed junk
#    and signed pings (devplane-flood);
#  - every 10 s: RSS and open fds of both control processes and both
#    dataplanes, and the rings' occupancy (devplane-dp stats), one CSV row.
# Fails when RSS or fds of any process grew by more than 2 % between minute
# 5 and minute 30 (the first five minutes are warm-up: tables, pools and
# caches fill), and prints the start and end of every curve.
# usage: soak.sh BUILD_DIR [MINUTES (default 30)] [OUT.csv]
set -u
B=$(cd "${1:-build}" && pwd)
MINUTES=${2:-30}
CSV=${3:-soak-$(date +%Y%m%d-%H%M%S).csv}
WARMUP_S=${WARMUP_S:-300}
DEVPLANE=$B/control/devplane
DPBIN=$B/dataplane/devplane-dp
FLOOD=$B/dataplane/devplane-flood
[ -x "$FLOOD" ] || FLOOD="$DPBIN flood"
here=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/devplane-soak.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 1
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "soak: $*" >&2; exit 1; }

(cd "$here/../interop" && [ -d node_modules ] || npm ci --silent) ||
	die "npm ci in tests/interop failed"
key() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

"$DEVPLANE" node --nodekeyhex "$(key)" --addr 127.0.0.1:0 --nodiscover \
	--maxpeers 250 --maxpendpeers 100 --verbosity 2 \
	>"$WORK/node.out" 2>"$WORK/node.err" &
NODE=$!
PIDS+=("$NODE")
"$DEVPLANE" bootnode --nodekeyhex "$(key)" --addr 127.0.0.2:0 --verbosity 3 \
	>"$WORK/boot.out" 2>"$WORK/boot.err" &
BOOT=$!
PIDS+=("$BOOT")
for _ in $(seq 100); do
	grep -qs '^enode://' "$WORK/node.out" && grep -qs '^enode://' "$WORK/boot.out" && break
	sleep 0.1
done
ENODE=$(grep -m1 '^enode://' "$WORK/node.out") || die "node printed no enode"
BOOT_ENODE=$(grep -m1 '^enode://' "$WORK/boot.out") || die "bootnode printed no enode"
BOOT_PORT=${BOOT_ENODE##*:}
BOOT_PORT=${BOOT_PORT%%\?*}
dp_of() {       # the dataplane child of control process $1
	pgrep -P "$1" -f devplane-dp | head -1
}
NODE_DP=$(dp_of "$NODE")
BOOT_DP=$(dp_of "$BOOT")
[ -n "$NODE_DP" ] && [ -n "$BOOT_DP" ] || die "no dataplane children"

SECS=$((MINUTES * 60))
# The load outlasts the sampling (which runs late by the time each sample
# takes), so the last sample is still under load.
LOAD_SECS=$((SECS + 120))
node "$here/churn.mjs" --enode "$ENODE" --peers 200 --duration "$LOAD_SECS" \
	>"$WORK/churn.out" 2>&1 &
PIDS+=($!)
# shellcheck disable=SC2086 # $FLOOD may be "devplane-dp flood"
$FLOOD --target "127.0.0.2:$BOOT_PORT" --socket --rate 20000 \
	--duration "$LOAD_SECS" --mix size=1,type=1,hash=1,rlp=1,sig=1,expired=1,short=1 \
	--junk-src 127.0.0.3+64 --keys 64 --legit-src 127.0.1.1+16 --legit-rate 200 \
	>"$WORK/flood.out" 2>&1 &
PIDS+=($!)

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
ring() {        # ring occupancy counters of dataplane $1, summed
	"$DPBIN" stats --pid "$1" 2>/dev/null |
		awk '/^total\.(ring_depth|slots_used) / { s += $2 } END { print s + 0 }'
}
echo "t_s,node_rss_kb,node_fds,node_dp_rss_kb,node_dp_fds,node_ring,boot_rss_kb,boot_fds,boot_dp_rss_kb,boot_dp_fds,boot_ring,churn" >"$CSV"
t=0
while [ "$t" -le "$SECS" ]; do
	for p in "$NODE" "$BOOT" "$NODE_DP" "$BOOT_DP"; do
		kill -0 "$p" 2>/dev/null || die "process $p died at ${t}s"
	done
	echo "$t,$(rss_kb "$NODE"),$(fds "$NODE"),$(rss_kb "$NODE_DP"),$(fds "$NODE_DP"),$(ring "$NODE_DP"),$(rss_kb "$BOOT"),$(fds "$BOOT"),$(rss_kb "$BOOT_DP"),$(fds "$BOOT_DP"),$(ring "$BOOT_DP"),$(tail -1 "$WORK/churn.out" | tr ',' ';')" >>"$CSV"
	sleep 10
	t=$((t + 10))
done

python3 - "$CSV" "$WARMUP_S" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
warm = int(sys.argv[2])
start = next(r for r in rows if int(r["t_s"]) >= warm)
end = rows[-1]
bad = []
for k in rows[0]:
    if not (k.endswith("_rss_kb") or k.endswith("_fds")):
        continue
    a, b = int(start[k]), int(end[k])
    g = (b - a) / a * 100 if a else 0
    print(f"{k:16} t={start['t_s']}s {a:>8}  t={end['t_s']}s {b:>8}  {g:+.1f} %")
    if g > 2.0:
        bad.append(k)
for k in ("node_ring", "boot_ring"):
    print(f"{k:16} t={start['t_s']}s {start[k]:>8}  t={end['t_s']}s {end[k]:>8}")
print("churn:", end["churn"])
if bad:
    print("FAIL: grew more than 2 %:", ", ".join(bad))
    sys.exit(1)
print("PASS: nothing grew more than 2 % between minute", warm // 60, "and the end")
PY
