#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/interop/geth/test_discv5.sh - the discv5 engine against geth v1.17.10's
# devp2p, on loopback only:
#   1. geth's conformance suite (devp2p discv5 test) against our engine;
#   2. a geth node (devp2p discv5 listen) bootstrapped from another of ours
#      answers our PING, FINDNODE [0] and TALKREQ;
#   3. our conformance suite (control/tester/v5test) against the geth node;
#   4. our suite against our engine;
#   5. a third node, bootstrapped from geth alone, finds node B by lookup.
# Usage: test_discv5.sh V5NODE_TOOL. Exits 77 (skip) without the devp2p
# binary (tests/interop/geth/install.sh builds it).
set -eu
TOOL=$1
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
	for f in "$tmp"/*.out; do echo "--- $f"; tail -40 "$f"; done
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

# Node A faces geth's suite; node B, fresh, bootstraps the geth node (so
# that geth's table does not fill with the suite's dead tester nodes,
# which would slow its revalidation of our bystanders down).
"$TOOL" node 127.0.0.1 400 > "$tmp/a.out" 2>&1 &
pids="$pids $!"
"$TOOL" node 127.0.0.1 400 > "$tmp/b.out" 2>&1 &
pids="$pids $!"
ENR=$(first_line "$tmp/a.out" enr:) || fail "node A printed no ENR"
BENR=$(first_line "$tmp/b.out" enr:) || fail "node B printed no ENR"
BID=$(first_line "$tmp/b.out" "id " | cut -d' ' -f2)

echo "== 1. devp2p discv5 test against our engine"
"$DEVP2P" discv5 test --listen1 127.0.0.1 --listen2 127.0.0.2 "$ENR" \
	> "$tmp/gethsuite.out" 2>&1 || fail "geth's suite failed"
grep -E '^-- (OK|FAIL)' "$tmp/gethsuite.out"
grep -Eq '^[0-9]+/[0-9]+ tests passed' "$tmp/gethsuite.out" ||
	fail "geth's suite did not pass"
tail -1 "$tmp/gethsuite.out"

echo "== 2. geth node: PING, FINDNODE [0], TALKREQ"
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

echo "== 4. our suite against our engine (fresh node C)"
"$TOOL" node 127.0.0.1 400 > "$tmp/c.out" 2>&1 &
pids="$pids $!"
CENR=$(first_line "$tmp/c.out" enr:) || fail "node C printed no ENR"
"$TOOL" test "$CENR" > "$tmp/selfsuite.out" 2>&1 ||
	fail "our suite failed against our engine"
tail -1 "$tmp/selfsuite.out"

echo "== 5. lookup of our node B through geth"
"$TOOL" lookup "$GENR" "$BID" 60 > "$tmp/lookup.out" 2>&1 ||
	fail "lookup through geth did not find our node"
cat "$tmp/lookup.out"
# geth talked to loopback only.
if grep -oE '(addr|ip)=[0-9a-f.:]+' "$tmp/geth.err" |
	grep -vE '=127\.' | grep -q .; then
	fail "geth contacted a non-loopback address"
fi
echo "PASS"
