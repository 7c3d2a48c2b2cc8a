#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/integration/test_conformance.sh - `devplane test discv4` against our
# own `devplane bootnode` (every case must pass) and against an
# @ethereumjs/devp2p DPT node, whose known deviations must be reported as
# exactly the failures listed below: that run shows the suite's negative
# cases catch a real node that breaks the rules.
#
# usage: test_conformance.sh DEVPLANE INTEROP_DIR
#
# Known ethereumjs (@ethereumjs/devp2p 10.0.0) results, recorded here and
# printed by the run:
#   Ping/WrongFrom, Ping/ExtraDataWrongFrom: no ping-back; ethereumjs pings
#     the Ping's 'from' endpoint (192.0.2.0:0), not the packet's source.
#   Ping/PastExpiration, Findnode/PastExpiration: answered; it never checks
#     expiration. (The *Wrapped variants pass only because it cannot decode
#     an expiration longer than 4 bytes.)
#   ENR/Request: no ENRResponse; it has no EIP-868 (type 5 is an error).
#   Findnode/WithoutEndpointProof, Amplification/InvalidPongHash,
#   Amplification/WrongIP: Neighbors to anyone; no endpoint proof at all.
set -u
DEVPLANE=$1
INTEROP=$2
. "$(dirname "$0")/lib_interop.sh"

echo "== devplane test discv4 against devplane bootnode"
start_bootnode "$DEVPLANE" boot
echo "bootnode $BOOT_ENODE"
timeout 120 "$DEVPLANE" test discv4 "$BOOT_ENODE" | tee "$WORK/ours.txt"
rc=$?
grep -q '^FAIL' "$WORK/ours.txt" && rc=1
grep -q ' passed, 0 failed$' "$WORK/ours.txt" || rc=1
OURS=$rc

echo "== devplane test discv4 against @ethereumjs/devp2p (known deviations)"
npm_setup "$INTEROP"
JSPORT=$(rand_port 40000 20000)
node "$INTEROP/dpt.mjs" single --port "$JSPORT" --duration 150 \
	>"$WORK/js.out" 2>"$WORK/js.err" &
JSPID=$!
PIDS="$PIDS $JSPID"
i=0
JSENODE=
while [ $i -lt 100 ] && [ -z "$JSENODE" ]; do
	JSENODE=$(awk '/^ENODE /{print $2}' "$WORK/js.out")
	kill -0 "$JSPID" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
[ -n "$JSENODE" ] || { cat "$WORK/js.err" >&2; die "DPT node did not start"; }
timeout 120 "$DEVPLANE" test discv4 "$JSENODE" >"$WORK/js.txt"
sed 's/^/ethereumjs: /' "$WORK/js.txt"
# The suite must still be able to talk to ethereumjs at all: these two
# only need a Pong and a Neighbors, which it does send.
for c in Ping/Basic Findnode/BasicFindnode; do
	grep -q "^PASS $c " "$WORK/js.txt" ||
		die "ethereumjs interop broken: $c did not pass"
done
echo "ethereumjs deviations from discv4:"
grep '^FAIL' "$WORK/js.txt" | sed 's/^FAIL /  /'
# Exactly the deviations recorded above: a case that stops failing here
# has stopped detecting what it tests (or ethereumjs changed: update the
# list with the version).
want="Amplification/InvalidPongHash Amplification/WrongIP ENR/Request
Findnode/PastExpiration Findnode/WithoutEndpointProof Ping/ExtraDataWrongFrom
Ping/PastExpiration Ping/WrongFrom"
got=$(awk '$1 == "FAIL" { sub(/:$/, "", $2); print $2 }' "$WORK/js.txt" | sort | tr '\n' ' ')
want=$(echo $want | tr ' ' '\n' | sort | tr '\n' ' ')
[ "$got" = "$want" ] ||
	die "ethereumjs failures changed: got [$got], want [$want]"
if [ "$OURS" -ne 0 ]; then
	echo "FAIL: conformance against devplane bootnode:"
	grep '^FAIL' "$WORK/ours.txt"
	exit 1
fi
echo "PASS: every case passed against devplane bootnode"
