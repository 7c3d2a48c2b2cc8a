#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/interop/geth/test_discv5.sh - devplane's discv5 (beside discv4 on
# one UDP port, through the dataplane) against geth v1.17.10's devp2p, on
# loopback only:
#   1. geth's conformance suite (devp2p discv5 test) against `devplane
#      node`: every case passes;
#   2. a geth node (devp2p discv5 listen) bootstrapped from a `devplane
#      bootnode` answers `devplane discv5 ping`, `discv5 resolve` (its
#      FINDNODE [0]) and `discv5 talk` (an empty TALKRESP for a protocol
#      it does not speak), and a talk to a dead endpoint fails with a
#      timeout and a non-zero exit;
#   3. our conformance suite (`devplane test discv5`) against the geth
#      node;
#   4. our suite against a fresh `devplane bootnode`;
#   5. `devplane discv5 resolve` of bootnode B given with a stale endpoint
#      (node A's port, where B's packets cannot be unmasked) finds B's
#      record by a lookup through geth alone (--bootnodes).
# The nodes' ENRs come from their admin API (admin_nodeInfo).
# Usage: test_discv5.sh DEVPLANE. Exits 77 (skip) without the devp2p
# binary (tests/interop/geth/install.sh builds it).
set -eu
DP=$1
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
# udp_of ENR: the record's UDP port.
udp_of() { "$DP" enr dump "$1" | sed -n 's/^  udp  *//p'; }
# is_enode FILE PUB UDP: FILE has an enode URL of PUB at 127.0.0.1 with
# UDP port UDP (devplane prints TCP port 0 plus ?discport= without TCP).
is_enode() {
	grep -Eqx "enode://$2@127\.0\.0\.1:($3|[0-9]+\?discport=$3)" "$1"
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
echo "node A $ENR"

echo "== 1. devp2p discv5 test against devplane node"
"$DEVP2P" discv5 test --listen1 127.0.0.1 --listen2 127.0.0.2 "$ENR" \
	> "$tmp/gethsuite.out" 2>&1 || fail "geth's suite failed"
grep -E '^-- (OK|FAIL)' "$tmp/gethsuite.out"
n=$(grep -c '^-- OK' "$tmp/gethsuite.out" || true)
grep -Eq "^$n/$n tests passed" "$tmp/gethsuite.out" && [ "$n" -ge 10 ] ||
	fail "geth's suite did not pass every case"
tail -1 "$tmp/gethsuite.out"

echo "== 2. geth node from devplane bootnode: ping, resolve, talk"
"$DEVP2P" discv5 listen --addr 127.0.0.1:0 --bootnodes "$BENR" \
	> "$tmp/geth.out" 2> "$tmp/geth.err" &
pids="$pids $!"
GENR=$(first_line "$tmp/geth.out" enr:) || fail "geth printed no ENR"
GURL=$("$DP" enr dump "$GENR" | sed -n 's/^URLv4: *//p')
GPUB=$(echo "$GURL" | sed 's|^enode://\([0-9a-f]*\)@.*|\1|')
"$DP" discv5 ping "$GENR" > "$tmp/ping.out" 2>&1 || fail "ping"
grep -Eq '^node responded to ping \(RTT [0-9.]+ms, enr-seq [0-9]+, sees us at 127\.0\.0\.1:[0-9]+\)\.$' \
	"$tmp/ping.out" || fail "ping: no answer line"
"$DP" discv5 resolve "$GENR" > "$tmp/resolve.out" 2>&1 || fail "resolve"
grep -q '^enr:' "$tmp/resolve.out" &&
	is_enode "$tmp/resolve.out" "$GPUB" "$(udp_of "$GENR")" ||
	fail "resolve: not geth's record"
"$DP" discv5 talk "$GENR" devplane-test 0x68656c6c6f > "$tmp/talk.out" \
	2>&1 || fail "talk"
[ "$(cat "$tmp/talk.out")" = 0x ] || fail "TALKRESP not empty"
cat "$tmp/ping.out" "$tmp/resolve.out" "$tmp/talk.out"
# A dead endpoint: B's key at node A's port (A cannot unmask packets for
# B, so it drops them): no answer, a clear error, exit status 1.
APORT=$(udp_of "$ENR")
BPUB=$("$DP" enr dump "$BENR" |
	sed -n 's|^URLv4: *enode://\([0-9a-f]*\)@.*|\1|p')
STALE="enode://$BPUB@127.0.0.1:$APORT"
rc=0
"$DP" discv5 talk "$STALE" devplane-test 0x > "$tmp/deadtalk.out" \
	2> "$tmp/deadtalk.err" || rc=$?
[ $rc = 1 ] && grep -q 'talk: timeout' "$tmp/deadtalk.err" &&
	[ ! -s "$tmp/deadtalk.out" ] ||
	fail "talk to a dead endpoint: rc $rc, $(cat "$tmp/deadtalk.err")"
cat "$tmp/deadtalk.err"

echo "== 3. our suite against geth"
"$DP" test discv5 "$GENR" > "$tmp/oursuite.out" 2>&1 ||
	fail "our suite failed"
cat "$tmp/oursuite.out"

echo "== 4. our suite against devplane bootnode (fresh C)"
start c bootnode
CENR=$(info c enr) || fail "bootnode C: no admin_nodeInfo"
"$DP" test discv5 "$CENR" > "$tmp/selfsuite.out" 2>&1 ||
	fail "our suite failed against devplane bootnode"
tail -1 "$tmp/selfsuite.out"

echo "== 5. resolve of bootnode B at a stale endpoint, through geth"
# geth serves B once its revalidation found B live: retry (60 s at most).
found=0
i=0
while [ $i -lt 12 ]; do
	if "$DP" discv5 resolve --timeout 5s --bootnodes "$GURL" "$STALE" \
		> "$tmp/lookup.out" 2> "$tmp/lookup.err"; then
		found=1
		break
	fi
	i=$((i + 1))
done
[ $found = 1 ] || fail "lookup through geth did not find bootnode B"
is_enode "$tmp/lookup.out" "$BPUB" "$(udp_of "$BENR")" ||
	fail "resolve did not print B's endpoint: $(cat "$tmp/lookup.out")"
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
