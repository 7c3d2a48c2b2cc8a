#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/integration/test_geth_discv4.sh - discovery v4 with geth v1.17.10
# itself (issue 11), all on loopback (127.0.0.0/8), bounded in time:
#  1. geth's conformance suite, `devp2p discv4 test` (its testers on
#     127.0.0.1 and 127.0.0.2), against `devplane bootnode` and against
#     `devplane node`: every case passes (geth's output is printed);
#  2. our suite, `devplane test discv4`, against geth's discv4 node
#     (`devp2p discv4 listen`) and against a running geth: every case
#     passes. No case needs a geth exception today: a case that fails
#     against geth fails this test until it is either fixed or listed
#     here, with the reason, as geth behaviour;
#  3. both directions of ping and resolve: `devplane discv4 ping` and
#     `devplane discv4 resolve` at `devp2p discv4 listen` (RTT, the
#     record's seq and id are geth's), and `devp2p discv4 ping`,
#     `resolve` and `requestenr` at `devplane bootnode` (the record geth
#     gets is our bootnode's, as admin_nodeInfo reports it);
#  4. a network: a devplane bootnode, 3 geth nodes (custom post-merge
#     genesis, discovery v4 only, --bootnodes = our bootnode) and 2
#     `devplane node`s on the same chain and bootnode:
#       - our bootnode's table holds the 3 geth nodes and our 2 nodes;
#       - each geth's discovery table (geth's debug_discoveryV4Table)
#         holds the other two geth nodes and both devplane nodes, which
#         it can only have learnt through devplane;
#       - each geth's admin_peers holds the other two geth nodes (eth over
#         RLPx; whether geth also peers with our nodes depends on eth
#         versions and is printed, not asserted);
#       - `devplane crawl --no-rlpx` from our bootnode finds every geth
#         node (nodes.json holds the 3 geth node ids).
#     geth's discovery v5 is off (--discovery.v5=false): this is a v4
#     test, and geth would otherwise also send v5 packets to our port.
# Waits are on conditions with generous bounds (2 shared cores, geth's
# start-up), never fixed sleeps that assert speed.
#
# tests/interop/geth/install.sh provides geth and devp2p (built once with
# Go from the module proxy, cached); without Go or the proxy this test
# fails with install.sh's reason, it is not skipped.
#
# usage: test_geth_discv4.sh DEVPLANE
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE}
. "$(dirname "$0")/lib_geth.sh"
geth_init geth-discv4
geth_install
STATUS=0

# ---- 1. geth's suite against our bootnode and node --------------------

# Both suites read each reply with a short deadline (geth 300 ms, ours
# 500 ms), which a loaded 2-core machine can miss once: a suite that
# fails is run again, and a case failing in both runs fails the test
# (both outputs are printed).

# geth_suite NAME ENODE: devp2p discv4 test; every case must pass.
geth_suite() {
	local out=$WORK/devp2p-$1.txt ok try
	for try in 1 2; do
		echo "== devp2p discv4 test against devplane $1 (run $try)"
		timeout 120 "$DEVP2P" discv4 test --remote "$2" \
			--listen1 127.0.0.1 --listen2 127.0.0.2 >"$out" 2>&1
		ok=$?
		sed 's/^/  geth: /' "$out"
		[ $ok -eq 0 ] && ! grep -q -- '^-- FAIL' "$out" &&
			grep -Eq '^([0-9]+)/\1 tests passed\.$' "$out" && return 0
	done
	echo "FAIL: geth's discv4 suite against devplane $1 (exit $ok)"
	STATUS=1
}

start_devplane bootnode boot
BOOT=$ENODE BOOT_PUB=$PUB
echo "bootnode $BOOT"
geth_suite bootnode "$BOOT"
start_devplane node node0
geth_suite node "$ENODE"

# ---- 2. our suite against geth's discv4 node --------------------------

# our_suite NAME ENODE: devplane test discv4; every case must pass.
our_suite() {
	local out=$WORK/ours.txt ok try
	for try in 1 2; do
		echo "== devplane test discv4 against $1 (run $try)"
		timeout 120 "$DEVPLANE" test discv4 "$2" >"$out" 2>&1
		ok=$?
		sed 's/^/  devplane: /' "$out"
		[ $ok -eq 0 ] && ! grep -q '^FAIL' "$out" &&
			grep -Eq '^([0-9]+)/\1 passed, 0 failed$' "$out" && return 0
	done
	echo "FAIL: our discv4 suite against $1 (exit $ok)"
	STATUS=1
}

LKEY=$(key)
"$DEVP2P" discv4 listen --addr 127.0.0.1:0 --nodekey "$LKEY" \
	>"$WORK/listen.out" 2>"$WORK/listen.err" &
PIDS+=("$!")
wait_until 20 grep -qs '^enr:' "$WORK/listen.out" ||
	fail "devp2p discv4 listen printed no record"
LREC=$(grep -m1 '^enr:' "$WORK/listen.out")
"$DEVPLANE" enr dump "$LREC" >"$WORK/listen.enr" || fail "geth's record does not verify"
LISTEN=$(sed -n 's/^URLv4: *//p' "$WORK/listen.enr")
LPUB=$(pub_of "$LISTEN")
LSEQ=$(sed -n 's/^Record has sequence number \([0-9]*\) .*/\1/p' "$WORK/listen.enr")
echo "devp2p discv4 listen: $LISTEN (seq $LSEQ)"
our_suite "devp2p discv4 listen" "$LISTEN"

# ---- 3. ping and resolve, both ways -----------------------------------

echo "== devplane discv4 ping / resolve -> devp2p discv4 listen"
out=$(timeout 30 "$DEVPLANE" discv4 ping --addr 127.0.0.1:0 --timeout 10s \
	"$LISTEN" 2>"$WORK/ping.err")
echo "  $out"
case "$out" in
*"responded to ping"*"enr-seq $LSEQ)"*) ;;
*) echo "FAIL: devplane discv4 ping at geth"; STATUS=1 ;;
esac
timeout 30 "$DEVPLANE" discv4 resolve --addr 127.0.0.1:0 --timeout 10s \
	"$LISTEN" >"$WORK/resolve.out" 2>"$WORK/resolve.err"
sed 's/^/  /' "$WORK/resolve.out"
rec=$(grep -m1 '^enr:' "$WORK/resolve.out")
if [ "$rec" != "$LREC" ] || [ "$(pub_of "$rec")" != "$LPUB" ]; then
	echo "FAIL: devplane discv4 resolve did not return geth's record"
	STATUS=1
fi

echo "== devp2p discv4 ping / resolve / requestenr -> devplane bootnode"
BOOT_ENR=$("$DEVPLANE" admin --ipcpath "$WORK/boot.ipc" admin_nodeInfo |
	sed -n 's/.*"enr": "\([^"]*\)".*/\1/p')
[ -n "$BOOT_ENR" ] || fail "admin_nodeInfo of our bootnode has no enr"
out=$(timeout 30 "$DEVP2P" discv4 ping --addr 127.0.0.1:0 "$BOOT" 2>&1)
echo "$out" | grep -v '^INFO' | sed 's/^/  /'
case "$out" in
*"node responded to ping"*) ;;
*) echo "FAIL: devp2p discv4 ping at our bootnode"; STATUS=1 ;;
esac
for cmd in resolve requestenr; do
	rec=$(timeout 60 "$DEVP2P" discv4 $cmd --addr 127.0.0.1:0 "$BOOT" \
		2>"$WORK/devp2p-$cmd.err" | grep -m1 '^enr:')
	echo "  $cmd: $rec"
	if [ "$rec" != "$BOOT_ENR" ]; then
		echo "FAIL: devp2p discv4 $cmd got '$rec', our record is $BOOT_ENR"
		STATUS=1
	fi
done

# ---- 4. a network of geth and devplane nodes ---------------------------

echo "== 3 geth nodes + 2 devplane nodes, bootstrapped from devplane"
geth_genesis
GETH_PUBS=() GETH_IDS=()
for g in 1 2 3; do
	geth_launch "g$g" --bootnodes "$BOOT" --discovery.v5=false
done
for g in 1 2 3; do
	geth_ready "g$g"
	GETH_PUBS+=("$GETH_PUB")
	GETH_IDS+=("$GETH_ID")
	echo "geth g$g: $GETH_ENODE"
	[ "$g" = 1 ] && { G1=$GETH_ENODE; GENESIS=$GETH_GENESIS; }
done

# Our suite against a running geth too (while the network forms).
our_suite "geth g1" "$G1"

OUR_PUBS=()
for n in 1 2; do
	start_devplane node node$n --bootnodes "$BOOT" \
		--networkid "$GETH_NETWORKID" --genesis "$GENESIS"
	OUR_PUBS+=("$PUB")
	echo "devplane node$n: $ENODE"
done

# Our bootnode's table: all 3 geth nodes and our 2 nodes.
boot_has_all() {
	table_pubs "$WORK/boot.ipc" >"$WORK/boot.table"
	has_all "$WORK/boot.table" "${GETH_PUBS[@]}" "${OUR_PUBS[@]}"
}
if wait_until 90 boot_has_all; then
	echo "our bootnode's table: all 3 geth nodes and both devplane nodes" \
	     "($(wc -l <"$WORK/boot.table") entries)"
else
	echo "FAIL: our bootnode's table lacks nodes:"
	sed 's/^/  /' "$WORK/boot.table"
	STATUS=1
fi

# Each geth's discovery table: the other geth nodes and ours.
geth_table_ok() {
	local g=$1 others=() i
	for i in 0 1 2; do
		[ $((i + 1)) = "$g" ] || others+=("${GETH_PUBS[$i]}")
	done
	table_pubs "$WORK/g$g/geth.ipc" >"$WORK/g$g.table"
	has_all "$WORK/g$g.table" "${others[@]}" "${OUR_PUBS[@]}"
}
# Each geth's peers (eth over RLPx): the other geth nodes.
geth_peers_ok() {
	local g=$1 i
	"$DEVPLANE" admin --ipcpath "$WORK/g$g/geth.ipc" admin_peers \
		2>/dev/null | sed -n 's|.*"enode": "enode://\([0-9a-f]*\)@.*|\1|p' \
		>"$WORK/g$g.peers"
	for i in 0 1 2; do
		[ $((i + 1)) = "$g" ] && continue
		grep -qx "${GETH_PUBS[$i]}" "$WORK/g$g.peers" || return 1
	done
}
for g in 1 2 3; do
	if wait_until 90 geth_table_ok "$g"; then
		echo "geth g$g's discovery table: the other geth nodes and" \
		     "both devplane nodes ($(wc -l <"$WORK/g$g.table") entries)"
	else
		echo "FAIL: geth g$g's discovery table lacks nodes:"
		sed 's/^/  /' "$WORK/g$g.table"
		STATUS=1
	fi
	if wait_until 60 geth_peers_ok "$g"; then
		ours=0
		for p in "${OUR_PUBS[@]}"; do
			grep -qx "$p" "$WORK/g$g.peers" && ours=$((ours + 1))
		done
		echo "geth g$g's peers: the other geth nodes" \
		     "($(wc -l <"$WORK/g$g.peers") peers, $ours devplane)"
	else
		echo "FAIL: geth g$g is not peered with the other geth nodes"
		STATUS=1
	fi
done

# devplane crawl --no-rlpx from our bootnode, until it runs dry: every
# geth node.
echo "== devplane crawl --no-rlpx from our bootnode"
timeout 90 "$DEVPLANE" crawl --no-rlpx --bootnodes "$BOOT" \
	--addr 127.0.0.1:0 --dataplane.budget off \
	--out "$WORK/nodes.json" >"$WORK/crawl.out" 2>"$WORK/crawl.err"
tail -n 3 "$WORK/crawl.out" | sed 's/^/  /'
found=0
for id in "${GETH_IDS[@]}"; do
	grep -q "\"$id\"" "$WORK/nodes.json" 2>/dev/null && found=$((found + 1))
done
echo "nodes.json holds $found of the 3 geth node ids"
[ "$found" = 3 ] || STATUS=1

echo "(whole test: $((SECONDS - T_START)) s)"
[ $STATUS -eq 0 ] && echo "PASS" || echo "FAIL"
exit $STATUS
