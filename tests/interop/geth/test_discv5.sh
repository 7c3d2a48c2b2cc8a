#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/interop/geth/test_discv5.sh - devplane's discv5 (beside discv4 on
# one UDP port, through the dataplane) against geth v1.17.10's devp2p, on
# loopback only:
#   1. geth's conformance suite (devp2p discv5 test) against `devplane
#      node`: every case passes;
#   2. a geth node (devp2p discv5 listen) bootstrapped from a `devplane
#      bootnode` answers our PING, FINDNODE [0] and TALKREQ;
#   3. our conformance suite (control/tester/v5test) against the geth node;
#   4. our suite against a fresh `devplane bootnode`;
#   5. a third node, bootstrapped from geth alone, finds the bootnode of 2
#      by lookup.
# The nodes' ENRs come from their admin API (admin_nodeInfo). The client
# side of 2-5 is v5node_tool (the engine on a plain socket).
# Usage: test_discv5.sh DEVPLANE V5NODE_TOOL. Exits 77 (skip) without the
# devp2p binary (tests/interop/geth/install.sh builds it).
set -eu
DP=$1
TOOL=$2
DEVP2P=${DEVP2P:-$HOME/.cache/devplane/geth-v1.17.10/bin/devp2p}
if [ ! -x "$DEVP2P" ]; then
	echo "SKIP: $DEVP2P missing (run tests/interop/geth/install.sh)"
	exit 77
fi
tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.out "$tmp"/*.err; do
		[ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }
	done
	exit 1
}
# first_line FILE PREFIX: waits (10 s at most) for a line starting with
# PREFIX and prints it.
first_line() {
	i=0
	while [ $i -lt 100 ]; do
		l=$(grep -m1 "^$2" "$1" 2>/dev/null || true)
		if [ -n "$l" ]; then echo "$l"; return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
key() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
# info NAME FIELD: FIELD ("enr" or "id") of admin_nodeInfo of the node
# whose admin socket is $tmp/NAME.ipc (waits 10 s at most for it).
info() {
	i=0
	while [ $i -lt 100 ]; do
		if "$DP" admin --ipcpath "$tmp/$1.ipc" admin_nodeInfo \
			>"$tmp/$1.info" 2>/dev/null; then
			python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$tmp/$1.info" "$2"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# start NAME node|bootnode [FLAGS...]: a devplane process on 127.0.0.1,
# any port, with its admin socket.
start() {
	n=$1
	shift
	"$DP" "$@" --nodekeyhex "$(key)" --addr 127.0.0.1:0 \
		--ipcpath "$tmp/$n.ipc" --verbosity 3 \
		>"$tmp/$n.out" 2>"$tmp/$n.err" &
	pids="$pids $!"
}

# Node A (devplane node: RLPx, discv4 and discv5) faces geth's suite;
# bootnode B, fresh, bootstraps the geth node (so that geth's table does
# not fill with the suite's dead tester nodes, which would slow its
# revalidation of our bystanders down).
start a node
start b bootnode
ENR=$(info a enr) || fail "node A: no admin_nodeInfo"
BENR=$(info b enr) || fail "bootnode B: no admin_nodeInfo"
BID=$(info b id) || fail "bootnode B: no id"
echo "node A $ENR"

echo "== 1. devp2p discv5 test against devplane node"
"$DEVP2P" discv5 test --listen1 127.0.0.1 --listen2 127.0.0.2 "$ENR" \
	> "$tmp/gethsuite.out" 2>&1 || fail "geth's suite failed"
grep -E '^-- (OK|FAIL)' "$tmp/gethsuite.out"
n=$(grep -c '^-- OK' "$tmp/gethsuite.out" || true)
grep -Eq "^$n/$n tests passed" "$tmp/gethsuite.out" && [ "$n" -ge 10 ] ||
	fail "geth's suite did not pass every case"
tail -1 "$tmp/gethsuite.out"

echo "== 2. geth node from devplane bootnode: PING, FINDNODE [0], TALKREQ"
"$DEVP2P" discv5 listen --addr 127.0.0.1:0 --bootnodes "$BENR" \
	> "$tmp/geth.out" 2> "$tmp/geth.err" &
pids="$pids $!"
GENR=$(first_line "$tmp/geth.out" enr:) || fail "geth printed no ENR"
"$TOOL" ping "$GENR" > "$tmp/ping.out" 2>&1 || fail "ping"
grep -q '^pong seq=' "$tmp/ping.out" || fail "no pong"
"$TOOL" findnode "$GENR" 0 > "$tmp/findnode.out" 2>&1 || fail "findnode"
[ "$(grep -c '^node ' "$tmp/findnode.out")" = 1 ] || fail "findnode [0]"
"$TOOL" talk "$GENR" devplane-test hello > "$tmp/talk.out" 2>&1 ||
	fail "talk"
grep -qx 'talkresp ' "$tmp/talk.out" || fail "TALKRESP not empty"
cat "$tmp/ping.out" "$tmp/findnode.out" "$tmp/talk.out"

echo "== 3. our suite against geth"
"$TOOL" test "$GENR" > "$tmp/oursuite.out" 2>&1 || fail "our suite failed"
cat "$tmp/oursuite.out"

echo "== 4. our suite against devplane bootnode (fresh C)"
start c bootnode
CENR=$(info c enr) || fail "bootnode C: no admin_nodeInfo"
"$TOOL" test "$CENR" > "$tmp/selfsuite.out" 2>&1 ||
	fail "our suite failed against devplane bootnode"
tail -1 "$tmp/selfsuite.out"

echo "== 5. lookup of bootnode B through geth"
"$TOOL" lookup "$GENR" "$BID" 60 > "$tmp/lookup.out" 2>&1 ||
	fail "lookup through geth did not find bootnode B"
cat "$tmp/lookup.out"
# geth talked to loopback only.
if grep -oE '(addr|ip)=[0-9a-f.:]+' "$tmp/geth.err" |
	grep -vE '=127\.' | grep -q .; then
	fail "geth contacted a non-loopback address"
fi
# Our processes are all alive: nothing crashed.
for p in $pids; do
	kill -0 "$p" 2>/dev/null || fail "a process exited early"
done
echo "PASS"
