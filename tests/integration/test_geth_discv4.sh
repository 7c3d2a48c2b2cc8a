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
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "/tmp/devplane-geth-discv4.XXXXXX")
PIDS=()
T_START=$SECONDS

cleanup() {
	local p i
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	# geth and devplane exit on SIGTERM (devplane stops its dataplane);
	# whatever is left after 5 s is killed.
	for i in $(seq 50); do
		for p in "${PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null && break
			p=
		done
		[ -z "${p:-}" ] && break
		sleep 0.1
	done
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	local f
	echo "FAIL: $*" >&2
	for f in "$WORK"/*.err "$WORK"/*/*.log; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -15 "$f" >&2; }
	done
	exit 1
}

# wait_until SECS CMD...: retries CMD every 0.5 s for up to SECS.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.5
	done
}

key() {
	od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
}

# pub_of URL_OR_ENR: the 128-hex public key of an enode URL or enr: text.
pub_of() {
	case "$1" in
	enode://*)
		local p=${1#enode://}
		echo "${p%%@*}" ;;
	enr:*)
		"$DEVPLANE" enr dump "$1" |
			sed -n 's|^URLv4: *enode://\([0-9a-f]*\)@.*|\1|p' ;;
	esac
}

# table_pubs IPC: the public keys in a node's discv4 table (ours or
# geth's: the same debug_discoveryV4Table).
table_pubs() {
	local n
	"$DEVPLANE" admin --ipcpath "$1" debug_discoveryV4Table \
		2>/dev/null | sed -n 's/.*"node": "\([^"]*\)".*/\1/p' |
		while read -r n; do pub_of "$n"; done
}

# has_all FILE PUB...: FILE lists every PUB.
has_all() {
	local f=$1 p
	shift
	for p in "$@"; do
		grep -qx "$p" "$f" || return 1
	done
}

# start_devplane KIND NAME [flags]: `devplane KIND` on 127.0.0.1, a fresh
# key, port 0 (the dataplane picks one), admin API at $WORK/NAME.ipc;
# sets ENODE and PUB.
start_devplane() {
	local kind=$1 name=$2
	shift 2
	"$DEVPLANE" "$kind" --nodekeyhex "$(key)" --addr 127.0.0.1:0 \
		--ipcpath "$WORK/$name.ipc" "$@" \
		>"$WORK/$name.out" 2>"$WORK/$name.err" &
	PIDS+=("$!")
	wait_until 20 grep -qs '^enode://' "$WORK/$name.out" ||
		fail "devplane $kind $name printed no enode URL"
	wait_until 20 test -S "$WORK/$name.ipc" ||
		fail "devplane $kind $name: no admin socket"
	ENODE=$(grep -m1 '^enode://' "$WORK/$name.out")
	PUB=$(pub_of "$ENODE")
}

echo "== geth and devp2p (tests/interop/geth/install.sh)"
"$HERE/../interop/geth/install.sh" >"$WORK/install.out" 2>"$WORK/install.err" ||
	fail "tests/interop/geth/install.sh could not provide geth: $(tail -3 "$WORK/install.err")"
GETH_BIN=$(sed -n 's/^GETH_BIN=//p' "$WORK/install.out" | tail -1)
GETH=$GETH_BIN/geth
DEVP2P=$GETH_BIN/devp2p
[ -x "$GETH" ] && [ -x "$DEVP2P" ] || fail "no geth/devp2p in '$GETH_BIN'"
head -2 "$WORK/install.out"
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
cat >"$WORK/genesis.json" <<'EOF'
{
  "config": {
    "chainId": 31337031,
    "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
    "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0,
    "petersburgBlock": 0, "istanbulBlock": 0, "berlinBlock": 0,
    "londonBlock": 0, "mergeNetsplitBlock": 0, "shanghaiTime": 0,
    "cancunTime": 0, "terminalTotalDifficulty": 0,
    "blobSchedule": {
      "cancun": { "target": 3, "max": 6, "baseFeeUpdateFraction": 3338477 }
    }
  },
  "difficulty": "0x0", "gasLimit": "0x1c9c380",
  "baseFeePerGas": "0x3b9aca00", "alloc": {}
}
EOF
# Listen on loopback only, on ports the kernel picks (TCP, then UDP on
# the same number: geth's default).
printf '[Node.P2P]\nListenAddr = "127.0.0.1:0"\n' >"$WORK/geth.toml"
GETH_PUBS=() GETH_IDS=()
for g in 1 2 3; do
	mkdir -p "$WORK/g$g"
	"$GETH" --datadir "$WORK/g$g" init "$WORK/genesis.json" \
		>"$WORK/g$g/init.log" 2>&1 || fail "geth init g$g"
	"$GETH" --datadir "$WORK/g$g" --config "$WORK/geth.toml" \
		--networkid 31337031 --nat extip:127.0.0.1 \
		--netrestrict 127.0.0.0/8 --bootnodes "$BOOT" \
		--discovery.dns "" --discovery.v5=false --authrpc.port 0 \
		--cache 64 --verbosity 3 >"$WORK/g$g/geth.log" 2>&1 &
	PIDS+=("$!")
done
for g in 1 2 3; do
	wait_until 90 test -S "$WORK/g$g/geth.ipc" ||
		fail "geth g$g did not start"
	wait_until 30 grep -qs 'Started P2P networking' "$WORK/g$g/geth.log" ||
		fail "geth g$g: no P2P"
	info=$("$DEVPLANE" admin --ipcpath "$WORK/g$g/geth.ipc" admin_nodeInfo) ||
		fail "admin_nodeInfo of geth g$g"
	url=$(echo "$info" | sed -n 's/.*"enode": "\([^"]*\)".*/\1/p')
	GETH_PUBS+=("$(pub_of "$url")")
	GETH_IDS+=("$(echo "$info" | sed -n 's/^  "id": "\([0-9a-f]*\)".*/\1/p')")
	echo "geth g$g: $url"
	[ "$g" = 1 ] && { G1=$url; GENESIS=$(echo "$info" |
		sed -n 's/.*"genesis": "0x\([0-9a-f]*\)".*/\1/p'); }
done
[ ${#GENESIS} = 64 ] || fail "no genesis hash from geth"

# Our suite against a running geth too (while the network forms).
our_suite "geth g1" "$G1"

OUR_PUBS=()
for n in 1 2; do
	start_devplane node node$n --bootnodes "$BOOT" \
		--networkid 31337031 --genesis "$GENESIS"
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
