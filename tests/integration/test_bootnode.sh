#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_bootnode.sh - devplane bootnode end to end on
# loopback: enode printed, discv4 ping and resolve answered, /metrics
# scraped, SIGTERM stops it and its devplane-dp child, a restart against
# the same --db reloads the bonded seeds and bumps the local ENR seq;
# --dataplane.budget reaches the spawned dataplane.
# usage: test_bootnode.sh DEVPLANE
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE}
. "$(dirname "$0")/lib_loopback.sh" bootnode

# start_bootnode N [FLAGS]: runs bootnode instance N in the background.
start_bootnode() {
	local n=$1
	shift
	"$DEVPLANE" bootnode --nodekey "$WORK/key" --addr "127.0.0.1:$PORT" \
		--db "$WORK/nodes.db" --metrics.addr "127.0.0.1:$MPORT" "$@" \
		>"$WORK/boot$n.out" 2>"$WORK/boot$n.err" &
	BOOT=$!
	PIDS+=("$BOOT")
	wait_for grep -q '^enode://' "$WORK/boot$n.out" || fail "no enode printed"
	wait_for grep -q 'dataplane pid' "$WORK/boot$n.err" || fail "no dp pid"
	DPPID=$(sed -n 's/.*dataplane pid \([0-9]*\).*/\1/p' "$WORK/boot$n.err")
	PIDS+=("$DPPID")
	ENODE=$(head -1 "$WORK/boot$n.out")
}

# stop_bootnode: SIGTERM, then both processes must be gone within 5 s.
stop_bootnode() {
	kill -TERM "$BOOT"
	for _ in $(seq 50); do
		kill -0 "$BOOT" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$BOOT" 2>/dev/null && fail "bootnode ignored SIGTERM"
	wait "$BOOT"
	rc=$?
	[ "$rc" -eq 0 ] || fail "bootnode exit status $rc after SIGTERM"
	for _ in $(seq 50); do
		kill -0 "$DPPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$DPPID" 2>/dev/null && fail "devplane-dp $DPPID still alive"
	return 0
}

metric() {    # metric NAME: the value of an unlabelled sample
	curl -s -m 5 "http://127.0.0.1:$MPORT/metrics" |
		awk -v n="$1" '$1 == n { print $2 }'
}

"$DEVPLANE" key generate "$WORK/key" >/dev/null || fail "key generate"
"$DEVPLANE" key generate "$WORK/key" 2>/dev/null && fail "key generate overwrote"
PORT=$(free_port)
MPORT=$(free_port tcp)

# --writeaddress: the enode, without starting anything.
W=$("$DEVPLANE" bootnode --nodekey "$WORK/key" --addr "127.0.0.1:$PORT" --writeaddress) ||
	fail "--writeaddress"
PUB=$(head -c 64 "$WORK/key" >/dev/null; echo "$W" | sed -n 's|^enode://\([0-9a-f]\{128\}\)@.*|\1|p')
[ -n "$PUB" ] || fail "--writeaddress printed $W"

start_bootnode 1
echo "$ENODE" | grep -q "^enode://$PUB@127.0.0.1:0?discport=$PORT\$" ||
	fail "unexpected enode $ENODE (want key $PUB, port $PORT)"
kill -0 "$DPPID" || fail "no devplane-dp child"

# discv4 ping: bonds (the bootnode pings back and records the bond).
OUT=$(timeout 20 "$DEVPLANE" discv4 ping "$ENODE" --verbosity 0) ||
	fail "ping: $OUT"
echo "$OUT" | grep -q 'node responded to ping (RTT' || fail "ping printed $OUT"
OUT=$(timeout 20 "$DEVPLANE" discv4 resolve "$ENODE" --verbosity 0) ||
	fail "resolve: $OUT"
echo "$OUT" | sed -n 1p | grep -q '^enr:' || fail "resolve printed $OUT"
echo "$OUT" | sed -n 2p | grep -q "^enode://$PUB@127.0.0.1" || fail "resolve printed $OUT"
REC=$(echo "$OUT" | sed -n 1p)
"$DEVPLANE" enr dump "$REC" >"$WORK/dump.txt" || fail "enr dump"
grep -q "Record has sequence number 1 " "$WORK/dump.txt" || fail "seq: $(cat "$WORK/dump.txt")"
grep -q "udp *$PORT" "$WORK/dump.txt" || fail "udp: $(cat "$WORK/dump.txt")"
# A node that does not exist: a clear error, non-zero status.
GHOST=$(echo "$ENODE" | sed "s/discport=$PORT/discport=$(free_port)/")
timeout 20 "$DEVPLANE" discv4 ping "$GHOST" --timeout 1s --verbosity 0 \
	2>"$WORK/ghost.err" && fail "ping of a silent port succeeded"
grep -q 'did not respond' "$WORK/ghost.err" || fail "ghost: $(cat "$WORK/ghost.err")"

# /metrics: Prometheus text with the dataplane's drop counters and the
# engine's packet counts.
curl -s -m 5 "http://127.0.0.1:$MPORT/metrics" >"$WORK/metrics.txt" || fail "scrape"
grep -q '^# TYPE devplane_dp_drops_total counter$' "$WORK/metrics.txt" || fail "no drops family"
grep -q '^devplane_dp_drops_total{reason="hash",queue="0"} [0-9]*$' "$WORK/metrics.txt" ||
	fail "no hash drop counter"
PINGS=$(awk '$1 == "devplane_discv4_packets_in_total{type=\"ping\"}" { print $2 }' "$WORK/metrics.txt")
[ "${PINGS:-0}" -ge 2 ] || fail "pings in: ${PINGS:-none}"
BONDS=$(metric devplane_discv4_bonds_total)
[ "${BONDS:-0}" -ge 1 ] || fail "bonds: ${BONDS:-none}"
curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/nope" | grep -q 404 ||
	fail "unknown path not 404"
# Junk is counted by the dataplane, per reason.
python3 -c "import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20): s.sendto(bytes(200), ('127.0.0.1', $PORT))"
wait_for sh -c "curl -s -m 5 http://127.0.0.1:$MPORT/metrics | grep -q '^devplane_dp_drops_total{reason=\"hash\",queue=\"0\"} 20$'" ||
	fail "junk not counted as hash drops"

sleep 1.5      # one database commit interval
stop_bootnode

# Restart on the same database: the seeds come back, the seq is bumped.
start_bootnode 2
grep -q 'devplane: [1-9][0-9]* seeds from' "$WORK/boot2.err" ||
	fail "no seeds reloaded: $(grep seeds "$WORK/boot2.err")"
OUT=$(timeout 20 "$DEVPLANE" discv4 resolve "$ENODE" --verbosity 0) || fail "resolve 2: $OUT"
"$DEVPLANE" enr dump "$(echo "$OUT" | sed -n 1p)" | grep -q "sequence number 2 " ||
	fail "local seq not bumped across restart"
stop_bootnode

# --dataplane.budget 2:4: 40 packets from one source that pass every check
# before the budget (right hash, type, RLP, expiration; a signature that
# recovers nothing) are 4 to 6 signature drops and the rest budget drops.
start_bootnode 3 --dataplane.budget 2:4
"$(dirname "$DEVPLANE")/../dataplane/devplane-flood" \
	--target "127.0.0.1:$PORT" --count 40 --mix sig=1 --junk-src 127.0.0.1 \
	--duration 10 >"$WORK/flood.out" 2>"$WORK/flood.err" ||
	fail "flood: $(cat "$WORK/flood.err")"
drops() {
	curl -s -m 5 "http://127.0.0.1:$MPORT/metrics" |
		awk -v r="$1" 'index($1, "reason=\"" r "\"") { s += $2 } END { print s + 0 }'
}
wait_for sh -c "[ \$(curl -s -m 5 http://127.0.0.1:$MPORT/metrics |
	awk 'index(\$1, \"devplane_dp_drops_total{reason=\\\"budget\\\"\") ||
	     index(\$1, \"devplane_dp_drops_total{reason=\\\"sig\\\"\") { s += \$2 }
	     END { print s + 0 }') -ge 40 ]" || fail "flood not counted"
BUDGET=$(drops budget) SIG=$(drops sig)
[ "$SIG" -ge 4 ] && [ "$SIG" -le 6 ] && [ $((BUDGET + SIG)) -eq 40 ] ||
	fail "--dataplane.budget 2:4: budget $BUDGET sig $SIG of 40"
stop_bootnode
echo "PASS"
