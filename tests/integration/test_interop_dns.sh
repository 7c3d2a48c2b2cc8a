#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_interop_dns.sh - @ethereumjs/devp2p's DNS client
# (tests/interop/dns.mjs) finds every node of a tree `devplane dns build`
# made (records with ip, tcp and udp, as that client needs), served by NSD
# on 127.0.0.1.
# usage: test_interop_dns.sh DEVPLANE INTEROP_DIR
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE INTEROP_DIR}
INTEROP=${2:?usage: $0 DEVPLANE INTEROP_DIR}
. "$(dirname "$0")/lib_loopback.sh" interop-dns
. "$(dirname "$0")/lib_dns.sh"
FAIL_LOGS="*.err *.out nsd/nsd.log"

command -v node >/dev/null || fail "node is not installed"
if ! (cd "$INTEROP" && npm ls --silent @ethereumjs/devp2p >/dev/null 2>&1); then
	(cd "$INTEROP" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) ||
		fail "npm ci in $INTEROP failed"
fi

# ethereumjs tells peers apart by address: one 127.0.0.x per record.
dns_records 16 20 33000 > "$WORK/recs"
dns_nodes < "$WORK/recs" > "$WORK/nodes.json"
dns_key "$WORK/sign.key"
URL=$("$DEVPLANE" dns build "$WORK/nodes.json" --domain nodes.example.org \
	--key "$WORK/sign.key" --out "$WORK/tree" 2>"$WORK/build.err") ||
	fail "dns build"
nsd_start nodes.example.org "$WORK/tree/nodes.example.org.zone"

timeout 120 node "$INTEROP/dns.mjs" --url "$URL" \
	--server "127.0.0.1:$NSD_PORT" --want 16 >"$WORK/ejs.out" 2>"$WORK/ejs.err" ||
	fail "dns.mjs exit $?"
for i in $(seq 0 15); do
	echo "PEER 127.0.0.$((20 + i)):$((33000 + i)):$((33000 + i))"
done | sort > "$WORK/want"
grep '^PEER ' "$WORK/ejs.out" | sort > "$WORK/got"
cmp -s "$WORK/want" "$WORK/got" ||
	fail "ethereumjs found other peers: $(diff "$WORK/want" "$WORK/got" | head)"
nsd_stop
echo "PASS: @ethereumjs/devp2p's DNS client found the 16 nodes of our tree"
