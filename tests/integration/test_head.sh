#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/integration/test_head.sh - the node's head (issue 11: the eth ENR
# entry and the fork id follow it), with geth v1.17.10 on sepolia, on
# loopback, bounded in time. A devplane node A (--chain sepolia, discovery
# v4 and v5 with no bootnodes) starts at the genesis; geth g1 (sepolia, a
# fresh datadir: its head is the genesis) dials it. Then the admin method
# devplane_setHead moves A past MergeNetsplit and Shanghai:
#   (a) A's record carries the new fork id, with a higher seq: in
#       admin_nodeInfo, and as `devplane discv4 resolve` and `devplane
#       discv5 resolve` fetch it from outside;
#   (b) a new peer's Status carries it and the block range: a second
#       devplane node B (sepolia, at the genesis) prints A's Status
#       (forkid, range, latest hash) and accepts it, and a fresh geth g2
#       accepts A (geth's EIP-2124 filter at its genesis: our fork hash
#       is the checksum of a fork it knows but has not reached, rule 3,
#       "remote is ahead, we are syncing") and lists A's latest block;
#   (c) geth g1, connected before the move over eth/72, receives a
#       BlockRangeUpdate: its admin.peers shows A's new latest block and
#       hash (geth only takes those from a Status or a BlockRangeUpdate)
#       and it keeps the peer.
# The expected fork ids are geth's own vectors (core/forkid/forkid_test.go,
# sepolia): genesis 0xfe3366e7 next 1735371, Shanghai 0xf7f9bc08 next
# 1706655072; the ENR entry is RLP [[hash, next]] (enr-entries/eth.md),
# built here from those numbers. A zero hash above block 0 is refused
# over the API (invalid params) and leaves the record alone; `devplane node
# --head` starts a node at a head.
#
# Without Go or the Go module proxy (tests/interop/geth/install.sh) this
# test fails with install.sh's reason, it is not skipped.
#
# usage: test_head.sh DEVPLANE
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE}
. "$(dirname "$0")/lib_geth.sh"
geth_init head
geth_install
printf '[Node.P2P]\nListenAddr = "127.0.0.1:0"\n' >"$WORK/geth.toml"

SEPOLIA_GENESIS=25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9
HEAD_NUM=1735400                # past MergeNetsplit (block 1735371)
HEAD_TIME=1680000000            # past Shanghai (1677557088), before Cancun
HEAD_HASH=00000000000000000000000000000000000000000000000000000000c0ffee01
LOCAL=(--chain sepolia --bootnodes "" --discovery.dns "" --netrestrict 127.0.0.0/8)

# eth_entry HASH NEXT: the ENR "eth" value RLP([[HASH, NEXT]]) in hex
# (NEXT below 2^32 here, so at most 4 bytes; RLP: the integer's big-endian
# bytes without leading zeros, "80" for 0).
eth_entry() {
	local next=$2 n nh
	if [ "$next" = 0 ]; then
		n=80
	else
		nh=$(printf '%x' "$next")
		[ $((${#nh} % 2)) = 1 ] && nh=0$nh
		if [ ${#nh} = 2 ] && [ "$next" -lt 128 ]; then
			n=$nh
		else
			n=$(printf '%02x' $((0x80 + ${#nh} / 2)))$nh
		fi
	fi
	local inner=84$1$n
	local il=$(printf '%02x' $((0xc0 + ${#inner} / 2)))
	inner=$il$inner
	printf '%02x%s\n' $((0xc0 + ${#inner} / 2)) "$inner"
}

# enr_eth ENR: the raw "eth" value `devplane enr dump` prints.
enr_eth() {
	"$DEVPLANE" enr dump "$1" | sed -n 's/^ *eth *(raw) *\([0-9a-f]*\)$/\1/p'
}

# enr_seq ENR: its seq.
enr_seq() {
	"$DEVPLANE" enr dump "$1" |
		sed -n 's/^Record has sequence number \([0-9]*\) .*/\1/p'
}

# sepolia_geth NAME: geth --sepolia on a fresh datadir (its head: the
# genesis), loopback only, no discovery; waits for it (geth_ready).
sepolia_geth() {
	local name=$1
	mkdir -p "$WORK/$name"
	"$GETH" --sepolia --datadir "$WORK/$name" --config "$WORK/geth.toml" \
		--nat extip:127.0.0.1 --netrestrict 127.0.0.0/8 \
		--discovery.dns "" --nodiscover --authrpc.port 0 --cache 64 \
		--verbosity 3 --log.vmodule 'p2p/*=4' \
		>"$WORK/$name/geth.log" 2>&1 &
	PIDS+=("$!")
	geth_ready "$name"
	[ "$GETH_GENESIS" = "$SEPOLIA_GENESIS" ] ||
		fail "geth $name: genesis $GETH_GENESIS is not sepolia's"
}

# geth_peer NAME PUB: geth NAME's admin.peers entry of PUB (JSON) or
# nothing.
geth_peer() {
	geth_rpc "$1" admin_peers 2>/dev/null | python3 -c 'import json, sys
for p in json.load(sys.stdin):
    if p["enode"].startswith("enode://" + sys.argv[1] + "@"):
        print(json.dumps(p["protocols"].get("eth", {}), sort_keys=True))' "$2"
}

# geth_latest NAME PUB WANT: geth NAME lists PUB over eth with latestBlock
# WANT.
geth_latest() {
	geth_peer "$1" "$2" | grep -q "\"latestBlock\": $3[,}]"
}

GENESIS_ENTRY=$(eth_entry fe3366e7 1735371)
SHANGHAI_ENTRY=$(eth_entry f7f9bc08 1706655072)

echo "== devplane node a (sepolia, at the genesis) and geth g1"
start_devplane node a "${LOCAL[@]}" --verbosity 3
A=$ENODE A_PUB=$PUB
A_ENR=$("$DEVPLANE" admin --ipcpath "$WORK/a.ipc" admin_nodeInfo | json_get 'd["enr"]')
SEQ0=$(enr_seq "$A_ENR")
[ "$(enr_eth "$A_ENR")" = "$GENESIS_ENTRY" ] ||
	fail "a at the genesis: ENR eth $(enr_eth "$A_ENR"), want $GENESIS_ENTRY"
echo "  a: $A, record seq $SEQ0, eth $GENESIS_ENTRY"
sepolia_geth g1
G1_PUB=$GETH_PUB
# geth's own record at the genesis has the same entry (our helper and
# fork id agree with geth's).
[ "$(enr_eth "$GETH_ENR")" = "$GENESIS_ENTRY" ] ||
	fail "geth g1's ENR eth $(enr_eth "$GETH_ENR"), want $GENESIS_ENTRY"
[ "$(geth_exec g1 "admin.addPeer(\"$A\")")" = true ] || fail "g1 addPeer"
wait_until 60 geth_latest g1 "$A_PUB" 0 ||
	fail "g1 did not peer with a at block 0: $(geth_peer g1 "$A_PUB")"
echo "  g1 lists a: $(geth_peer g1 "$A_PUB")"
geth_peer g1 "$A_PUB" | grep -q '"version": 72' || fail "g1: not eth/72"
geth_peer g1 "$A_PUB" | grep -q "\"latestBlockHash\": \"0x$SEPOLIA_GENESIS\"" ||
	fail "g1: a's latest hash is not the genesis"
grep -q "^eth: status peer=${G1_PUB:0:16} version=72 network=11155111 genesis=$SEPOLIA_GENESIS forkid=fe3366e7/1735371 .* ok$" \
	"$WORK/a.out" || fail "a: no Status from g1 at the genesis"

echo "== devplane_setHead: a zero hash above block 0 is refused"
if out=$("$DEVPLANE" admin --ipcpath "$WORK/a.ipc" devplane_setHead \
	 "[$HEAD_NUM, $HEAD_TIME, \"0x$(printf '0%.0s' $(seq 64))\"]" 2>&1); then
	fail "zero hash accepted: $out"
fi
echo "  $out"
case "$out" in *"needs its hash"*) ;; *) fail "zero hash: $out";; esac
A_ENR=$("$DEVPLANE" admin --ipcpath "$WORK/a.ipc" admin_nodeInfo | json_get 'd["enr"]')
[ "$(enr_seq "$A_ENR")" = "$SEQ0" ] || fail "the refused head changed the record"

echo "== devplane_setHead $HEAD_NUM $HEAD_TIME 0x$HEAD_HASH"
res=$("$DEVPLANE" admin --ipcpath "$WORK/a.ipc" devplane_setHead \
	"[\"$(printf '0x%x' $HEAD_NUM)\", \"$(printf '0x%x' $HEAD_TIME)\", \"0x$HEAD_HASH\"]") ||
	fail "devplane_setHead: $res"
echo "  $res"
[ "$(echo "$res" | json_get 'd["forkId"]["hash"]')" = 0xf7f9bc08 ] &&
	[ "$(echo "$res" | json_get 'd["forkId"]["next"]')" = 1706655072 ] ||
	fail "setHead's fork id"
[ "$(echo "$res" | json_get 'd["blockRangeUpdates"]')" = 1 ] ||
	fail "setHead: a BlockRangeUpdate should have gone to g1 (eth/72)"

echo "== (a) the record: admin_nodeInfo, discv4 resolve, discv5 resolve"
A_ENR=$("$DEVPLANE" admin --ipcpath "$WORK/a.ipc" admin_nodeInfo | json_get 'd["enr"]')
SEQ1=$(enr_seq "$A_ENR")
[ "$SEQ1" = $((SEQ0 + 1)) ] || fail "record seq $SEQ0 -> $SEQ1, want +1"
[ "$(enr_eth "$A_ENR")" = "$SHANGHAI_ENTRY" ] ||
	fail "admin_nodeInfo ENR eth $(enr_eth "$A_ENR"), want $SHANGHAI_ENTRY"
[ "$(echo "$res" | json_get 'd["enrSeq"]')" = "$SEQ1" ] || fail "enrSeq"
"$DEVPLANE" admin --ipcpath "$WORK/a.ipc" admin_nodeInfo |
	json_get 'd["protocols"]["eth"]["head"]' | grep -qx "0x$HEAD_HASH" ||
	fail "admin_nodeInfo protocols.eth.head"
echo "  admin_nodeInfo: seq $SEQ1, eth $(enr_eth "$A_ENR")"
for v in discv4 discv5; do
	[ $v = discv4 ] && target=$A || target=$A_ENR
	out=$(timeout 30 "$DEVPLANE" $v resolve "$target" --addr 127.0.0.1:0 \
		--netrestrict 127.0.0.0/8 --verbosity 0 2>"$WORK/$v.err") ||
		fail "$v resolve: $out $(cat "$WORK/$v.err")"
	rec=$(echo "$out" | sed -n 1p)
	[ "$(enr_seq "$rec")" = "$SEQ1" ] && [ "$(enr_eth "$rec")" = "$SHANGHAI_ENTRY" ] ||
		fail "$v resolve: seq $(enr_seq "$rec") eth $(enr_eth "$rec")"
	echo "  $v resolve: seq $SEQ1, eth $SHANGHAI_ENTRY"
done

echo "== (c) g1, connected over eth/72, got a BlockRangeUpdate"
wait_until 30 geth_latest g1 "$A_PUB" $HEAD_NUM ||
	fail "g1's view of a: $(geth_peer g1 "$A_PUB")"
geth_peer g1 "$A_PUB" | grep -q "\"latestBlockHash\": \"0x$HEAD_HASH\"" ||
	fail "g1: latest hash $(geth_peer g1 "$A_PUB")"
echo "  g1 lists a: $(geth_peer g1 "$A_PUB")"

echo "== (b) new peers get the new Status"
start_devplane node b "${LOCAL[@]}" --nodiscover --staticnodes "$A"
wait_until 60 grep -q "^eth: status peer=${A_PUB:0:16} " "$WORK/b.out" ||
	fail "b: no Status from a"
line=$(grep "^eth: status peer=${A_PUB:0:16} " "$WORK/b.out")
echo "  b: $line"
echo "$line" | grep -q " version=72 network=11155111 genesis=$SEPOLIA_GENESIS forkid=f7f9bc08/1706655072 range=0-$HEAD_NUM latest=$HEAD_HASH ok$" ||
	fail "b: a's Status"
sepolia_geth g2
[ "$(geth_exec g2 "admin.addPeer(\"$A\")")" = true ] || fail "g2 addPeer"
wait_until 60 geth_latest g2 "$A_PUB" $HEAD_NUM ||
	fail "g2 did not accept a: $(geth_peer g2 "$A_PUB"); $(grep -i "fork\|${A_PUB:0:16}" "$WORK/g2/geth.log" | tail -3)"
# geth lists a peer's eth info only after its eth handshake passed, the
# fork id filter included: a rejected Status never shows up here.
echo "  g2 lists a: $(geth_peer g2 "$A_PUB")"
! grep -q "Removing p2p peer .*id=$(geth_rpc g2 admin_peers |
	json_get '[p["id"] for p in d if p["enode"].startswith("enode://'"$A_PUB"'@")][0][:16]') " \
	"$WORK/g2/geth.log" || fail "g2 dropped a"
geth_latest g1 "$A_PUB" $HEAD_NUM || fail "g1 dropped a"

echo "== devplane node --head"
start_devplane node c "${LOCAL[@]}" --nodiscover \
	--head "$HEAD_NUM:$HEAD_TIME:$HEAD_HASH"
C_ENR=$("$DEVPLANE" admin --ipcpath "$WORK/c.ipc" admin_nodeInfo | json_get 'd["enr"]')
[ "$(enr_eth "$C_ENR")" = "$SHANGHAI_ENTRY" ] ||
	fail "c --head: ENR eth $(enr_eth "$C_ENR")"
if out=$("$DEVPLANE" node "${LOCAL[@]}" --head "5:0" 2>&1); then
	fail "--head 5:0 accepted"
fi
case "$out" in *"needs its hash"*) ;; *) fail "--head 5:0: $out";; esac
echo "ok: the head moves the fork id (Status, ENR) and the block range"
