#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/integration/test_rlpx_node_attach.sh - `devplane node --dataplane attach:PATH` on a separately started `devplane-dp --shm PATH --listen ...` (attach mode), dialed by a second node on a spawned dataplane with --dataplane.queues 2: Hello, ping, eth Status; the attached dataplane's own counters show it carried the session; it outlives its control process and takes a new one.
# usage: test_rlpx_node_attach.sh DEVPLANE DEVPLANE_DP
set -u
DP=$1
DPD=$2
. "$(dirname "$0")/lib_interop.sh"

key() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
SHM=$WORK/dp.shm

# Flag errors first: nothing is started.
"$DP" node --nodekeyhex "$(key)" --dataplane bogus >/dev/null 2>"$WORK/e.err"
[ $? = 2 ] && grep -q -- '--dataplane' "$WORK/e.err" || die "--dataplane bogus accepted"
"$DP" node --nodekeyhex "$(key)" --dataplane.queues 0 >/dev/null 2>&1
[ $? = 2 ] || die "--dataplane.queues 0 accepted"
"$DP" node --nodekeyhex "$(key)" --nodiscover \
	--dataplane "attach:$WORK/none.shm" >/dev/null 2>"$WORK/e.err"
[ $? = 1 ] && grep -q 'dataplane' "$WORK/e.err" ||
	die "attach to a missing dataplane did not fail cleanly"

# The long-lived dataplane, on a random port (three tries).
for try in 1 2 3; do
	PA=$(rand_port 30000 10000)
	# Budgets set (below the defaults): the session still fits.
	"$DPD" --shm "$SHM" --listen 127.0.0.1:$PA --rlpx-mem-session 32M \
		--rlpx-mem-worker 128M >"$WORK/dp.out" 2>&1 &
	DPID=$!
	for i in $(seq 50); do
		[ -S "$SHM.sock" ] && break
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	[ -S "$SHM.sock" ] && break
	wait "$DPID" 2>/dev/null
done
[ -S "$SHM.sock" ] || { cat "$WORK/dp.out"; die "devplane-dp --shm did not start"; }
PIDS="$PIDS $DPID"

# Node A on it: no --addr, so TCP listens where the dataplane does.
start_a() {
	timeout 40 "$DP" node --nodekeyhex "$(key)" --nodiscover \
		--chain sepolia --dataplane "attach:$SHM" \
		>"$WORK/$1.out" 2>"$WORK/$1.err" &
	A=$!
	PIDS="$PIDS $A"
	for i in $(seq 50); do
		[ -s "$WORK/$1.out" ] && break
		kill -0 "$A" 2>/dev/null || break
		sleep 0.1
	done
	EA=$(head -1 "$WORK/$1.out")
	case "$EA" in
	enode://*@127.0.0.1:$PA) ;;
	*) cat "$WORK/$1.out" "$WORK/$1.err"; die "$1: enode '$EA' is not on the dataplane's 127.0.0.1:$PA";;
	esac
}
start_a a

# Node B on its own spawned dataplane with two workers dials A.
PB=$(rand_port 40000 10000)
timeout 40 "$DP" node --nodekeyhex "$(key)" --addr 127.0.0.1:$PB \
	--nodiscover --chain sepolia --staticnodes "$EA" \
	--dataplane socket --dataplane.queues 2 \
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
[ $ok = 1 ] || { cat "$WORK"/a.* "$WORK"/b.* "$WORK/dp.out"; die "ping not exchanged"; }
for f in a b; do
	grep -q '^eth: status .*network=11155111 .* ok$' "$WORK/$f.out" || die "$f: no eth status"
	grep -Eq '^hello: .*caps=eth/72,eth/71,eth/70,eth/69,eth/68,ping/1( |$)' "$WORK/$f.out" || die "$f: hello caps"
done
grep -q 'event: added proto=ping .* inbound' "$WORK/a.out" || die "A did not accept"

# The attached dataplane framed A's session: its counters, read with
# `devplane-dp stats`, not A's word.
stat() { "$DPD" stats --shm "$SHM" | sed -n "s/^total\.$1 //p"; }
[ "$(stat rlpx_sessions)" -ge 1 ] || { "$DPD" stats --shm "$SHM"; die "attached dataplane adopted no session"; }
[ "$(stat rlpx_frames_rx)" -ge 3 ] && [ "$(stat rlpx_frames_tx)" -ge 3 ] ||
	{ "$DPD" stats --shm "$SHM"; die "attached dataplane framed nothing"; }

# A leaves; the dataplane stays, closes A's session (B sees it go) and
# takes the next control process.
kill "$A"
wait "$A" 2>/dev/null
for i in $(seq 50); do
	grep -q '^closed: peer=' "$WORK/b.out" && break
	sleep 0.1
done
grep -q '^closed: peer=' "$WORK/b.out" || { cat "$WORK/b.out"; die "B: A's session did not end"; }
kill -0 "$DPID" 2>/dev/null || die "devplane-dp exited with its control process"
start_a a2
"$DP" rlpx ping "$EA" --timeout 5s >"$WORK/ping.out" 2>&1 ||
	{ cat "$WORK/ping.out" "$WORK/a2.err"; die "rlpx ping to the re-attached node failed"; }
grep -q '^client  devplane/' "$WORK/ping.out" || die "rlpx ping: no client id"
kill "$A"
wait "$A" 2>/dev/null
# rlpx ping left with a Disconnect that the dataplane could open: snappy-
# compressed, as a p2p/5 Hello asks (a plain one is a bad frame there).
[ "$(stat rlpx_bad_frame)" = 0 ] || { "$DPD" stats --shm "$SHM"; die "a frame the attached dataplane could not open"; }
[ "$(stat rlpx_mem_close)" = 0 ] || { "$DPD" stats --shm "$SHM"; die "a session closed over its memory budget"; }
kill "$DPID"
wait "$DPID" || die "devplane-dp exit status $?"
[ -e "$SHM.sock" ] && die "devplane-dp left its control socket"
echo "PASS: node attached to devplane-dp --shm: Hello, ping, eth Status, dataplane counters, re-attach"
