#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_testnet.sh - devplane testnet: N nodes in one
# control process over one dataplane fill their tables (every table holds
# at least a quarter of the others, or 16 nodes for N >= 64: the README's
# healthy network); SIGTERM stops both processes.
# usage: test_testnet.sh DEVPLANE [N]
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE [N]}
N=${2:-50}
. "$(dirname "$0")/lib_loopback.sh" testnet

fail() {
	echo "FAIL: $*" >&2
	tail -20 "$WORK/tn.err" >&2
	exit 1
}

MPORT=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# A free run of N UDP ports: try a few random bases.
for _ in $(seq 20); do
	BASE=$((20000 + RANDOM % 30000))
	python3 -c "import socket, sys
socks = []
for p in range($BASE, $BASE + $N):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', p)); socks.append(s)" 2>/dev/null && break
done

"$DEVPLANE" testnet --nodes "$N" --base-port "$BASE" --stats \
	--metrics.addr "127.0.0.1:$MPORT" >"$WORK/tn.out" 2>"$WORK/tn.err" &
TN=$!
PIDS+=("$TN")
for _ in $(seq 100); do
	grep -q 'dataplane pid' "$WORK/tn.err" && break
	sleep 0.1
done
DPPID=$(sed -n 's/.*dataplane pid \([0-9]*\).*/\1/p' "$WORK/tn.err")
[ -n "$DPPID" ] || fail "testnet did not start"
PIDS+=("$DPPID")
head -1 "$WORK/tn.out" | grep -q "^enode://[0-9a-f]\{128\}@127.0.0.1:0?discport=$BASE\$" ||
	fail "first enode: $(head -1 "$WORK/tn.out")"

# Tables fill within 60 s plus 0.2 s a node (a few seconds for 50 nodes,
# about 80 s for 1,000 on an idle 2-core machine).
WANT=$((N / 4 < 16 ? N / 4 : 16))
T0=$(date +%s)
ok=
for _ in $(seq $((2 * (60 + N / 5)))); do
	M=$(curl -s -m 5 "http://127.0.0.1:$MPORT/metrics")
	MIN=$(echo "$M" | awk '$1 == "devplane_discv4_table_nodes_min" { print $2 }')
	ENG=$(echo "$M" | awk '$1 == "devplane_discv4_engines" { print $2 }')
	if [ "${ENG:-0}" -eq "$N" ] && [ "${MIN:-0}" -ge "$WANT" ]; then
		ok=1
		break
	fi
	sleep 0.5
done
[ -n "$ok" ] || fail "tables did not fill: engines ${ENG:-?} min ${MIN:-?} (want $WANT)"
echo "every table >= $WANT nodes after $(($(date +%s) - T0)) s"

kill -TERM "$TN"
for _ in $(seq 100); do
	kill -0 "$TN" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$TN" 2>/dev/null && fail "testnet ignored SIGTERM"
wait "$TN" || fail "testnet exit status $?"
sleep 0.5
kill -0 "$DPPID" 2>/dev/null && fail "devplane-dp $DPPID still alive"
grep -q "^testnet: $N nodes, table min" "$WORK/tn.out" || fail "no --stats line"
echo "PASS: $(grep '^testnet:' "$WORK/tn.out")"
