#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/integration/test_interop_discv4.sh - interop with an independent
# discv4 implementation: >= 30 @ethereumjs/devp2p DPT nodes on loopback,
# bootstrapped from each other and from our `devplane bootnode`.
#   - their tables must hold our node at the end (they find and keep it);
#     and a second devplane node, seeded only with one ethereumjs node and
#     bootnode to none of them, must end up in >= 75 % of their tables too:
#     they find it through that node's Neighbors and its Pongs;
#   - `devplane crawl`, seeded as an operator would with every bootnode
#     known (two of their enodes and ours), must find >= 95 % of them, each
#     in nodes.json as a live node (score >= 1) whose record is its
#     enode:// URL (no ENR: see below);
#   - ethereumjs sends Neighbors of up to 16 nodes, 1373 bytes with IPv4,
#     over discv4's 1280-byte limit: our dataplane must drop them at the
#     size stage (the spec forbids them, we do not accept them). The run
#     prints how many ethereumjs sent to our bootnode and how many our
#     dataplane dropped for size. So the crawler cannot learn anything
#     through an ethereumjs node's Neighbors: it finds them through our
#     bootnode's Neighbors and through their own Pings to the crawler
#     (each node we ping adds us and pings us; so do the nodes it tells
#     about us), and counts a node live when it answers our Ping with a
#     valid Pong. With --timeout the crawl runs until it (geth does too),
#     re-checking silent nodes and re-sweeping our bootnode: under load the
#     single-threaded DPT process can miss our 500 ms reply timeout;
#   - ethereumjs has no EIP-868: it never answers an ENRRequest (it logs
#     "Invalid type: 5"); the crawler's ENR timeouts are printed, and no
#     ethereumjs node may appear with an "enr:" record;
#   - ethereumjs never checks expiration (test_conformance.sh records its
#     answers to Ping/PastExpiration and Findnode/PastExpiration) and
#     writes port 0 as 00 00 (a
#     non-canonical RLP integer, which we and geth reject); dpt.mjs hands it
#     our bootnode's TCP port 0 as null to avoid that.
#
# usage: test_interop_discv4.sh DEVPLANE INTEROP_DIR
set -u
DEVPLANE=$1
INTEROP=$2
COUNT=32
NET_S=50
. "$(dirname "$0")/lib_interop.sh"

npm_setup "$INTEROP"
BASE=$(rand_port 40000 20000)
# ethereumjs node 0's key, so the second node can be seeded with it, and
# the second node's, so their report can watch for it; it starts once
# node 0 listens (a seed that is not up yet is not retried at once).
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$WORK/key0"
JS0=$("$DEVPLANE" key to-enode "$WORK/key0" --ip 127.0.0.1 --tcp "$BASE" \
	--udp "$BASE") || die "key to-enode"
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$WORK/peerkey"
PEER_ID=$("$DEVPLANE" key to-enode "$WORK/peerkey") || die "key to-enode"
PEER_ID=${PEER_ID#enode://}
PEER_ID=${PEER_ID%%@*}
start_bootnode "$DEVPLANE" boot
echo "our bootnode $BOOT_ENODE"

node "$INTEROP/dpt.mjs" net --count $COUNT --base-port "$BASE" \
	--bootnode "$BOOT_ENODE" --watch "$BOOT_ID" --watch2 "$PEER_ID" \
	--key0 "$(cat "$WORK/key0")" --duration $NET_S \
	--enodes "$WORK/enodes.txt" --ids "$WORK/ids.txt" \
	>"$WORK/net.out" 2>"$WORK/net.err" &
NETPID=$!
PIDS="$PIDS $NETPID"
i=0
while [ $i -lt 100 ] && ! [ -s "$WORK/ids.txt" ]; do
	kill -0 "$NETPID" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
[ -s "$WORK/ids.txt" ] || { cat "$WORK/net.err" >&2; die "DPT net did not start"; }
cat "$WORK/net.out"
BOOT=$BOOT_ENODE BOOT_M=$BOOT_METRICS
# (start_bootnode's random key is overridden: the last --nodekeyhex wins.)
start_bootnode "$DEVPLANE" peer --bootnodes "$JS0" \
	--nodekeyhex "$(cat "$WORK/peerkey")"
[ "$BOOT_ID" = "$PEER_ID" ] || die "second node has id $BOOT_ID, not $PEER_ID"
PEER_METRICS=$BOOT_METRICS
echo "our second node $BOOT_ENODE (seeded with $JS0)"
BOOT_ENODE=$BOOT BOOT_METRICS=$BOOT_M

status=0
# Crawl once their tables have formed.
sleep 10
if "$DEVPLANE" help 2>&1 | grep -q '^  crawl '; then
	boots=$( (head -n 2 "$WORK/enodes.txt"; echo "$BOOT_ENODE") |
		paste -sd, -)
	timeout 120 "$DEVPLANE" crawl --bootnodes "$boots" \
		--out "$WORK/nodes.json" --timeout 30s \
		--db "$WORK/crawl.sqlite" >"$WORK/crawl.out" 2>&1
	tail -n 5 "$WORK/crawl.out"
	[ -s "$WORK/nodes.json" ] || die "crawl wrote no nodes.json"
	# Their entries: "<id>": { "firstResponse", "lastCheck",
	# "lastResponse", "record", "score", "seq" } in geth's layout.
	grep -A 6 -F -f "$WORK/ids.txt" "$WORK/nodes.json" >"$WORK/theirs"
	found=$(grep -o -F -f "$WORK/ids.txt" "$WORK/theirs" | sort -u |
		wc -l)
	need=$(( (COUNT * 95 + 99) / 100 ))
	echo "crawl found $found of $COUNT ethereumjs nodes (need $need)"
	[ "$found" -ge "$need" ] || status=1
	urls=$(grep -c '"record": "enode://' "$WORK/theirs")
	enrs=$(grep -c '"record": "enr:' "$WORK/theirs")
	live=$(grep -c '"score": [1-9]' "$WORK/theirs")
	enrto=$(sed -n 's/.*, \([0-9]*\) ENR timeout.*/\1/p' "$WORK/crawl.out")
	echo "their records: $urls enode URLs, $enrs ENRs (no EIP-868:" \
	     "${enrto:-?} ENR requests timed out); $live with score >= 1"
	[ "$urls" -eq "$found" ] && [ "$enrs" -eq 0 ] &&
		[ "$live" -eq "$found" ] || status=1
else
	echo "FAIL: devplane has no crawl command yet (needed: devplane" \
	     "crawl --bootnodes ENODES --out nodes.json --timeout 30s)"
	status=1
fi

wait "$NETPID"
grep '^REPORT ' "$WORK/net.out" >"$WORK/report" ||
	{ cat "$WORK/net.out" "$WORK/net.err" >&2; die "no report from DPT net"; }
cat "$WORK/report"
field() {
	sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$WORK/report"
}
held=$(field watchedIn)
need=$(( (COUNT * 95 + 99) / 100 ))
echo "our bootnode is in $held of $COUNT ethereumjs tables after ${NET_S}s (need $need)"
[ "$held" -ge "$need" ] || status=1
# The second node joins later and is known only by gossip, and ethereumjs
# bans for a while a peer whose Pong it timed out (a slow sanitizer build
# loses a few that way): three quarters of their tables, not 95 %.
held2=$(field watched2In)
need2=$(( (COUNT * 3 + 3) / 4 ))
echo "our second node is in $held2 of $COUNT ethereumjs tables (need $need2;" \
     "its own table holds $(metric 'devplane_discv4_table_nodes ' "$PEER_METRICS") nodes)"
[ "$held2" -ge "$need2" ] || status=1

big=$(field neighborsOver1280ToWatched)
drops=$(metric 'devplane_dp_drops_total{reason="size"' "$BOOT_METRICS")
table=$(metric 'devplane_discv4_table_nodes ' "$BOOT_METRICS")
echo "ethereumjs sent $big Neighbors over 1280 B to our bootnode (largest" \
     "$(field maxNeighborsSize) B); our dataplane dropped $drops for size"
echo "our bootnode's table holds $table nodes"
[ "$drops" != "?" ] && [ "$drops" -ge "$big" ] || status=1

[ $status -eq 0 ] && echo "PASS" || echo "FAIL"
exit $status
