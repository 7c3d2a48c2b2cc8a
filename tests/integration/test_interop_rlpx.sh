#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/integration/test_interop_rlpx.sh - RLPx interop with @ethereumjs/devp2p (eth/68) both ways: their client dials our node, our node dials their server; Hello, Ping/Pong and eth Status each time.
# usage: test_interop_rlpx.sh DEVPLANE INTEROP_DIR
set -u
DP=$1
IOP=$2
. "$(dirname "$0")/lib_interop.sh"

[ -d "$IOP/node_modules/@ethereumjs/devp2p" ] || (cd "$IOP" && npm ci --silent) ||
	die "npm ci failed"
key() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

# 1. Our node serving, their client dials.
PA=$(rand_port 30000 10000)
timeout 40 "$DP" node --nodekeyhex "$(key)" --addr 127.0.0.1:$PA \
	--nodiscover --chain mainnet >"$WORK/a.out" 2>"$WORK/a.err" &
A=$!
PIDS="$PIDS $A"
for i in $(seq 50); do
	[ -s "$WORK/a.out" ] && break
	sleep 0.1
done
EA=$(head -1 "$WORK/a.out")
timeout 20 node "$IOP/rlpx.mjs" client --enode "$EA" --duration 15 >"$WORK/c.out" 2>&1 ||
	{ cat "$WORK/c.out" "$WORK/a.out"; die "ethereumjs client -> devplane"; }
grep -q '^HELLO devplane/' "$WORK/c.out" || die "client: no devplane Hello"
grep -q '^STATUS network=1 genesis=d4e56740' "$WORK/c.out" || die "client: no Status"
grep -q '^PONG' "$WORK/c.out" || die "client: no Pong"
grep -q '^eth: status .*client\|^eth: status .*network=1 .* ok$' "$WORK/a.out" || { cat "$WORK/a.out"; die "node: their Status not accepted"; }
grep -q '^hello: .*client=ethereumjs' "$WORK/a.out" || die "node: no ethereumjs Hello"

# 2. Their server, our node dials it as a static node.
PS=$(rand_port 40000 10000)
timeout 40 node "$IOP/rlpx.mjs" server --port "$PS" --duration 30 >"$WORK/s.out" 2>&1 &
S=$!
PIDS="$PIDS $S"
for i in $(seq 50); do
	grep -q '^ENODE ' "$WORK/s.out" && break
	sleep 0.1
done
ES=$(sed -n 's/^ENODE //p' "$WORK/s.out")
[ -n "$ES" ] || die "ethereumjs server did not start"
PB=$((PA + 1))
timeout 40 "$DP" node --nodekeyhex "$(key)" --addr 127.0.0.1:$PB \
	--nodiscover --chain mainnet --staticnodes "$ES" \
	>"$WORK/b.out" 2>"$WORK/b.err" &
B=$!
PIDS="$PIDS $B"
wait "$S"
rc=$?
[ $rc = 0 ] || { cat "$WORK/s.out" "$WORK/b.out" "$WORK/b.err"; die "devplane -> ethereumjs server"; }
grep -q '^hello: .*client=ethereumjs.* caps=eth/68' "$WORK/b.out" || die "node: no Hello from their server"
grep -q '^eth: status .*version=68 network=1 .* ok$' "$WORK/b.out" || die "node: their Status"
echo "PASS: ethereumjs RLPx interop both directions (Hello, Ping/Pong, eth/68 Status)"
