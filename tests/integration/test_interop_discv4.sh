#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/integration/test_interop_discv4.sh - interop with an independent
# discv4 implementation: >= 30 @ethereumjs/devp2p DPT nodes on loopback,
# bootstrapped from each other and from our `devplane bootnode`.
#   - their tables must hold our node (they find and keep it); and a
#     second devplane node, seeded only with one ethereumjs node and
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
#     valid Pong. The crawl re-checks silent nodes in rounds until its
#     --timeout (geth does too): the single-threaded DPT process can miss
#     our 500 ms reply timeout while it is busy;
#   - ethereumjs has no EIP-868 (no enr-seq in its Ping and Pong): it does
#     not know ENRRequest (each one is an "Invalid type: 5" error there),
#     so none of our nodes may send it one, and no ethereumjs node may
#     appear with an "enr:" record;
#   - ethereumjs never checks expiration (test_conformance.sh records its
#     answers to Ping/PastExpiration and Findnode/PastExpiration) and
#     writes port 0 as 00 00 (a non-canonical RLP integer, which we and
#     geth reject); dpt.mjs hands it our bootnode's TCP port 0 as null to
#     avoid that.
# No outcome depends on speed: every wait is for a condition (their
# tables holding our nodes, the crawl having found them all), bounded
# generously for a loaded 2-core machine (about 11 minutes in all at
# worst; tests/meson.build gives it 12), and a port clash retries
# elsewhere.
#
# usage: test_interop_discv4.sh DEVPLANE INTEROP_DIR
set -u
DEVPLANE=$1
INTEROP=$2
COUNT=32
NEED=$(( (COUNT * 95 + 99) / 100 ))
# The second node joins later and is known only by gossip, and ethereumjs
# bans for a while a peer whose Pong it timed out: three quarters.
NEED2=$(( (COUNT * 3 + 3) / 4 ))
. "$(dirname "$0")/lib_interop.sh"

npm_setup "$INTEROP"
# The second node's key, so the net's report can watch for its id.
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$WORK/peerkey"
PEER_ID=$("$DEVPLANE" key to-enode "$WORK/peerkey") || die "key to-enode"
PEER_ID=${PEER_ID#enode://}
PEER_ID=${PEER_ID%%@*}
start_bootnode "$DEVPLANE" boot
echo "our bootnode $BOOT_ENODE"

# field NAME FILE: NAME's value in the last PROGRESS/REPORT line of FILE.
field() {
	grep '^\(PROGRESS\|REPORT\) ' "$2" | tail -n 1 |
		sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

# The ethereumjs net: COUNT consecutive ports from a random base; dpt.mjs
# exits 1 when one is taken, and we try another base.
NETPID=
for try in 1 2 3 4 5; do
	BASE=$(rand_port 40000 20000)
	rm -f "$WORK/ids.txt" "$WORK/enodes.txt"
	node "$INTEROP/dpt.mjs" net --count $COUNT --base-port "$BASE" \
		--bootnode "$BOOT_ENODE" --watch "$BOOT_ID" --watch2 "$PEER_ID" \
		--duration 900 --every 1 \
		--enodes "$WORK/enodes.txt" --ids "$WORK/ids.txt" \
		>"$WORK/net.out" 2>"$WORK/net.err" &
	NETPID=$!
	i=0
	while [ $i -lt 300 ] && ! [ -s "$WORK/ids.txt" ]; do
		kill -0 "$NETPID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$WORK/ids.txt" ] && break
	kill "$NETPID" 2>/dev/null
	wait "$NETPID" 2>/dev/null
	NETPID=
done
[ -n "$NETPID" ] || { cat "$WORK/net.err" >&2; die "DPT net did not start"; }
PIDS="$PIDS $NETPID"
head -n 1 "$WORK/net.out"
JS0=$(head -n 1 "$WORK/enodes.txt")
BOOT=$BOOT_ENODE BOOT_M=$BOOT_METRICS BOOT_ID0=$BOOT_ID
# (start_bootnode's random key is overridden: the last --nodekeyhex wins.)
start_bootnode "$DEVPLANE" peer --bootnodes "$JS0" \
	--nodekeyhex "$(cat "$WORK/peerkey")"
[ "$BOOT_ID" = "$PEER_ID" ] || die "second node has id $BOOT_ID, not $PEER_ID"
PEER_METRICS=$BOOT_METRICS
echo "our second node $BOOT_ENODE (seeded with $JS0)"
BOOT_ENODE=$BOOT BOOT_METRICS=$BOOT_M BOOT_ID=$BOOT_ID0

# wait_net FIELD MIN SECONDS: until the net's FIELD >= MIN (0: in time).
wait_net() {
	i=0
	while [ $i -lt "$3" ]; do
		v=$(field "$1" "$WORK/net.out")
		[ -n "$v" ] && [ "$v" -ge "$2" ] && return 0
		kill -0 "$NETPID" 2>/dev/null || return 1
		sleep 1
		i=$((i + 1))
	done
	return 1
}

status=0
# Crawl once they all bootstrapped (our bootnode in their tables).
wait_net watchedIn "$NEED" 120 ||
	echo "note: our bootnode is in $(field watchedIn "$WORK/net.out") of" \
	     "$COUNT tables after 120 s; crawling anyway"
boots=$( (head -n 2 "$WORK/enodes.txt"; echo "$BOOT_ENODE") | paste -sd, -)
# found: their nodes in the crawl's current nodes.json (replaced whole
# once a second: always a complete file), all with score >= 1.
found() {
	[ -s "$WORK/nodes.json" ] || { echo 0; return; }
	grep -o -F -f "$WORK/ids.txt" "$WORK/nodes.json" | sort -u | wc -l
}
"$DEVPLANE" crawl --bootnodes "$boots" --out "$WORK/nodes.json" \
	--timeout 180s --db "$WORK/crawl.sqlite" >"$WORK/crawl.out" 2>&1 &
CRAWL=$!
PIDS="$PIDS $CRAWL"
# Until it found every one of them (then SIGTERM: it writes nodes.json a
# last time and prints its summary) or its --timeout ends it.
i=0
while kill -0 "$CRAWL" 2>/dev/null; do
	if [ "$(found)" -ge "$COUNT" ]; then
		kill -TERM "$CRAWL"
		break
	fi
	[ $i -ge 240 ] && { kill -KILL "$CRAWL"; break; }
	sleep 1
	i=$((i + 1))
done
wait "$CRAWL"
crawl_rc=$?
grep -v '^rlpx\|^crawl: seen' "$WORK/crawl.out" | tail -n 4
[ $crawl_rc -eq 0 ] || { echo "crawl exit status $crawl_rc"; status=1; }
[ -s "$WORK/nodes.json" ] || die "crawl wrote no nodes.json"
# Their entries: "<id>": { "seq", "record", "score", "firstResponse",
# "lastResponse", "lastCheck" } in geth's layout.
grep -A 6 -F -f "$WORK/ids.txt" "$WORK/nodes.json" >"$WORK/theirs"
n=$(found)
echo "crawl found $n of $COUNT ethereumjs nodes (need $NEED)"
[ "$n" -ge "$NEED" ] || status=1
urls=$(grep -c '"record": "enode://' "$WORK/theirs")
enrs=$(grep -c '"record": "enr:' "$WORK/theirs")
live=$(grep -c '"score": [1-9]' "$WORK/theirs")
skipped=$(sed -n 's/.*(\([0-9]*\) nodes without EIP-868 not asked).*/\1/p' \
	"$WORK/crawl.out")
echo "their records: $urls enode URLs, $enrs ENRs; $live with score >= 1;" \
     "${skipped:-0} nodes without EIP-868 were not sent an ENRRequest"
[ "$urls" -eq "$n" ] && [ "$enrs" -eq 0 ] && [ "$live" -eq "$n" ] ||
	status=1

# Their tables: until they hold our bootnode and our second node, and
# until one of them answered our bootnode's FindNode with an oversized
# Neighbors (what the size check below is about).
wait_net watchedIn "$NEED" 120
wait_net watched2In "$NEED2" 120
wait_net neighborsOver1280ToWatched 1 120
kill -USR2 "$NETPID"
wait "$NETPID"
grep '^REPORT ' "$WORK/net.out" >"$WORK/report" ||
	{ cat "$WORK/net.out" "$WORK/net.err" >&2; die "no report from DPT net"; }
cat "$WORK/report"
held=$(field watchedIn "$WORK/report")
echo "our bootnode is in $held of $COUNT ethereumjs tables (need $NEED)"
[ "$held" -ge "$NEED" ] || status=1
held2=$(field watched2In "$WORK/report")
echo "our second node is in $held2 of $COUNT ethereumjs tables (need $NEED2;" \
     "its own table holds $(metric 'devplane_discv4_table_nodes ' "$PEER_METRICS") nodes)"
[ "$held2" -ge "$NEED2" ] || status=1
# EIP-868: no ENRRequest reached them, from the crawler or our nodes.
type5=$(sed -n 's/.*"Invalid type: 5":\([0-9]*\).*/\1/p' "$WORK/report")
echo "ENRRequests ethereumjs got: ${type5:-0} (it has no EIP-868)"
[ "${type5:-0}" -eq 0 ] || status=1

# Every oversized Neighbors they sent our bootnode was dropped for size
# (the net has stopped: wait for our dataplane to have counted them).
big=$(field neighborsOver1280ToWatched "$WORK/report")
i=0
while :; do
	drops=$(metric 'devplane_dp_drops_total{reason="size"' "$BOOT_METRICS")
	[ "$drops" != "?" ] && [ "$drops" -ge "$big" ] && break
	[ $i -ge 30 ] && break
	sleep 1
	i=$((i + 1))
done
table=$(metric 'devplane_discv4_table_nodes ' "$BOOT_METRICS")
echo "ethereumjs sent $big Neighbors over 1280 B to our bootnode (largest" \
     "$(field maxNeighborsSize "$WORK/report") B); our dataplane dropped $drops for size"
echo "our bootnode's table holds $table nodes"
[ "$big" -ge 1 ] && [ "$drops" != "?" ] && [ "$drops" -ge "$big" ] ||
	status=1

[ $status -eq 0 ] && echo "PASS" || echo "FAIL"
exit $status
