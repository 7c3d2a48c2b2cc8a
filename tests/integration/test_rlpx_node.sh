#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/integration/test_rlpx_node.sh - two devplane nodes on loopback: static dial, handshake, Hello, handover, the ping protocol, eth Status, peer added/dropped events; devplane rlpx ping.
# usage: test_rlpx_node.sh DEVPLANE
set -u
DP=$1
. "$(dirname "$0")/lib_interop.sh"

key() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
PA=$(rand_port 30000 10000)
PB=$((PA + 1))
timeout 40 "$DP" node --nodekeyhex "$(key)" --addr 127.0.0.1:$PA \
	--nodiscover --chain sepolia >"$WORK/a.out" 2>"$WORK/a.err" &
A=$!
PIDS="$PIDS $A"
for i in $(seq 50); do
	[ -s "$WORK/a.out" ] && break
	sleep 0.1
done
EA=$(head -1 "$WORK/a.out")
case "$EA" in enode://*) ;; *) cat "$WORK/a.err"; die "node A printed no enode";; esac

timeout 40 "$DP" node --nodekeyhex "$(key)" --addr 127.0.0.1:$PB \
	--nodiscover --chain sepolia --staticnodes "$EA" \
	>"$WORK/b.out" 2>"$WORK/b.err" &
B=$!
PIDS="$PIDS $B"

ok=0
for i in $(seq 100); do
	if grep -q '^ping: pong' "$WORK/a.out" && grep -q '^ping: pong' "$WORK/b.out"; then
		ok=1
		break
	fi
	sleep 0.1
done
[ $ok = 1 ] || { cat "$WORK"/a.* "$WORK"/b.*; die "ping not exchanged"; }
for f in a b; do
	grep -q '^event: added proto=ping' "$WORK/$f.out" || die "$f: no ping added event"
	grep -q '^eth: status .*network=11155111 .* ok$' "$WORK/$f.out" || die "$f: no eth status"
	grep -Eq '^hello: .*caps=eth/72,eth/71,eth/70,eth/69,eth/68,ping/1( |$)' "$WORK/$f.out" || die "$f: hello caps"
done
grep -q 'event: added proto=ping .* outbound' "$WORK/b.out" || die "B did not dial"
grep -q 'event: added proto=ping .* inbound' "$WORK/a.out" || die "A did not accept"

# rlpx ping against A: prints its Hello.
"$DP" rlpx ping "$EA" --timeout 5s >"$WORK/ping.out" 2>&1 || { cat "$WORK/ping.out"; die "rlpx ping failed"; }
grep -q '^client  devplane/' "$WORK/ping.out" || die "rlpx ping: no client id"
grep -Eq '^caps    eth/72 eth/71 eth/70 eth/69 eth/68 ping/1$' "$WORK/ping.out" || die "rlpx ping: caps"

# Stop B: A sees the peer dropped (remote Disconnect or socket close).
kill "$B"
wait "$B" 2>/dev/null
for i in $(seq 50); do
	grep -q '^closed: peer=' "$WORK/a.out" && break
	sleep 0.1
done
grep -q '^closed: peer=' "$WORK/a.out" || { cat "$WORK/a.out"; die "A: no dropped event"; }
echo "PASS: two nodes, ping + eth Status, events, rlpx ping"
