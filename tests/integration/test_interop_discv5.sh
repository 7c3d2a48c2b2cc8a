#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_interop_discv5.sh - devplane's discv5 against
# @chainsafe/discv5 11.0.0 (tests/interop/discv5_chainsafe.mjs), both ways,
# on 127.0.0.1 only:
#   chainsafe -> devplane node A (discv4, discv5 and RLPx on one port):
#     PING, FINDNODE [0] (A's own record), FINDNODE [256], TALKREQ for a
#     protocol A does not speak (an empty TALKRESP, discv5-wire.md);
#   chainsafe finds three devplane bootnodes, which know each other only
#     through devplane bootnode B over discv5 alone (--discovery.v4=false),
#     by lookups from B;
#   devplane -> chainsafe: `devplane discv5 ping`, `discv5 resolve` (its
#     FINDNODE [0]), `discv5 talk` (the "echo" protocol the script
#     registers, and an unknown one: empty), and `discv5 resolve` of a
#     bootnode given at a stale endpoint, which a lookup through chainsafe
#     alone (FINDNODE at the target's distances, chainsafe's NODES) finds.
#   `devplane crawl --v5` from B: chainsafe and the bootnodes in its
#     nodes.json, each with its record's keys.
# usage: test_interop_discv5.sh DEVPLANE INTEROP_DIR
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE INTEROP_DIR}
INTEROP=${2:?usage: $0 DEVPLANE INTEROP_DIR}
FAIL_LOGS="*.err *.out"
. "$(dirname "$0")/lib_loopback.sh" interop-discv5

command -v node >/dev/null || fail "node is not installed"
if ! (cd "$INTEROP" && npm ls --silent @chainsafe/discv5 >/dev/null 2>&1); then
	(cd "$INTEROP" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) ||
		fail "npm ci in $INTEROP failed"
fi

key() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
# start NAME CMD [FLAGS...]: a devplane process on 127.0.0.1, any port,
# with its admin socket $WORK/NAME.ipc.
start() {
	local n=$1
	shift
	"$DEVPLANE" "$@" --nodekeyhex "$(key)" --addr 127.0.0.1:0 \
		--ipcpath "$WORK/$n.ipc" >"$WORK/$n.out" 2>"$WORK/$n.err" &
	PIDS+=($!)
}
# info NAME FIELD: FIELD (enr, id, enode) of NAME's admin_nodeInfo.
info() {
	wait_for "$DEVPLANE" admin --ipcpath "$WORK/$1.ipc" admin_nodeInfo \
		>"$WORK/$1.info" 2>/dev/null || return 1
	python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/$1.info" "$2"
}
# pub_of ENR, udp_of ENR: the record's public key (128 hex), UDP port.
pub_of() {
	"$DEVPLANE" enr dump "$1" |
		sed -n 's|^URLv4: *enode://\([0-9a-f]*\)@.*|\1|p'
}
udp_of() { "$DEVPLANE" enr dump "$1" | sed -n 's/^  udp  *//p'; }

start a node
start b bootnode --discovery.v4=false
AENR=$(info a enr) || fail "node A: no admin_nodeInfo"
AID=$(info a id) || fail "node A: no id"
BENR=$(info b enr) || fail "bootnode B: no admin_nodeInfo"
IDS=""
for n in n1 n2 n3; do
	start $n bootnode --discovery.v4=false --bootnodes "$BENR"
	id=$(info $n id) || fail "$n: no admin_nodeInfo"
	IDS="$IDS${IDS:+,}$id"
done
N1ENR=$(info n1 enr) || fail "n1: no enr"

# The chainsafe side runs its steps, then serves until we are done.
node "$INTEROP/discv5_chainsafe.mjs" --target "$AENR" --boot "$BENR" \
	--find "$IDS" --duration 240 >"$WORK/cs.out" 2>"$WORK/cs.err" &
CSPID=$!
PIDS+=($CSPID)
for _ in $(seq 900); do         # the script's lookups stop at 60 s
	grep -q '^READY' "$WORK/cs.out" && break
	kill -0 $CSPID 2>/dev/null || break
	sleep 0.1
done
grep -q '^READY' "$WORK/cs.out" || fail "chainsafe did not finish its steps"
cat "$WORK/cs.out"
CENR=$(sed -n 's/^ENR //p' "$WORK/cs.out")
grep -q '^FAIL' "$WORK/cs.out" && fail "chainsafe side failed"

echo "== chainsafe -> devplane"
grep -Eq '^PONG [0-9]+ 127\.0\.0\.1 [0-9]+$' "$WORK/cs.out" ||
	fail "no PONG from node A"
grep -qx "FINDNODE0 $AID" "$WORK/cs.out" ||
	fail "FINDNODE [0]: not node A's record"
grep -Eqx 'FINDNODE256 [0-9]+' "$WORK/cs.out" || fail "FINDNODE [256]"
grep -qx 'TALKRESP ' "$WORK/cs.out" ||
	fail "TALKREQ for an unknown protocol: want an empty TALKRESP"
grep -qx 'LOOKUP 3/3' "$WORK/cs.out" ||
	fail "chainsafe's lookups did not find the three bootnodes"
echo "ok ping, findnode [0] and [256], talk, lookup (3/3)"

echo "== devplane -> chainsafe"
"$DEVPLANE" discv5 ping "$CENR" >"$WORK/ping.out" 2>&1 || fail "ping"
grep -Eq '^node responded to ping \(RTT [0-9.]+ms, enr-seq [0-9]+, sees us at 127\.0\.0\.1:[0-9]+\)\.$' \
	"$WORK/ping.out" || fail "ping: no answer line"
"$DEVPLANE" discv5 resolve "$CENR" >"$WORK/resolve.out" 2>&1 ||
	fail "resolve"
CPUB=$(pub_of "$CENR")
CUDP=$(udp_of "$CENR")
[ -n "$CPUB" ] && [ -n "$CUDP" ] || fail "cannot read chainsafe's ENR"
R=$(sed -n 1p "$WORK/resolve.out")
[ "$(pub_of "$R")" = "$CPUB" ] && [ "$(udp_of "$R")" = "$CUDP" ] ||
	fail "resolve: not chainsafe's record"
"$DEVPLANE" discv5 talk "$CENR" echo 0x6869 >"$WORK/talk.out" 2>&1 ||
	fail "talk echo"
# "echo:hi"
[ "$(cat "$WORK/talk.out")" = 0x6563686f3a6869 ] ||
	fail "talk echo: $(cat "$WORK/talk.out")"
grep -qx 'TALKREQ echo 6869' "$WORK/cs.out" ||
	fail "chainsafe did not see our TALKREQ"
"$DEVPLANE" discv5 talk "$CENR" no-such-proto 0x01 >"$WORK/talk2.out" \
	2>&1 || fail "talk no-such-proto"
[ "$(cat "$WORK/talk2.out")" = 0x ] ||
	fail "talk no-such-proto: $(cat "$WORK/talk2.out")"
cat "$WORK/ping.out" "$WORK/resolve.out" "$WORK/talk.out" "$WORK/talk2.out"

# n1's key at node A's port (A drops packets masked for n1): n1 does not
# answer there, so resolve looks it up from chainsafe alone.
N1PUB=$(pub_of "$N1ENR")
STALE="enode://$N1PUB@127.0.0.1:$(udp_of "$AENR")"
"$DEVPLANE" discv5 resolve --timeout 10s --bootnodes "$CENR" "$STALE" \
	>"$WORK/lookup.out" 2>"$WORK/lookup.err" ||
	fail "resolve through chainsafe did not find n1"
grep -Eqx "enode://$N1PUB@127\.0\.0\.1:[0-9]+\?discport=$(udp_of "$N1ENR")" \
	"$WORK/lookup.out" || fail "resolve: not n1's endpoint"
cat "$WORK/lookup.out"
echo "ok ping, resolve, talk (echo and unknown), lookup through chainsafe"

# devplane crawl --v5 from bootnode B: chainsafe (which looked up
# through B) and the three bootnodes, each with its record's keys.
echo "== devplane crawl --v5 from bootnode B"
timeout 120 "$DEVPLANE" crawl --v5 --no-rlpx --bootnodes "$BENR" \
	--addr 127.0.0.1:0 --dataplane.budget off --out "$WORK/nodes5.json" \
	>"$WORK/crawl5.out" 2>"$WORK/crawl5.err" || fail "crawl --v5"
cat "$WORK/crawl5.out"
# keys_seq ENR: the record's sorted keys, then its seq.
keys_seq() {
	"$DEVPLANE" enr dump "$1" | sed -n 's/^  \([^ ]*\) .*/\1/p' |
		sort | tr '\n' ,
	"$DEVPLANE" enr dump "$1" |
		sed -n 's/^Record has sequence number \([0-9]*\) .*/ \1/p'
}
CID=$("$DEVPLANE" enr dump "$CENR" | sed -n 's/^Node ID: *//p')
for want in "cs $CID $CENR" "n1 $(info n1 id) $N1ENR"; do
	set -- $want
	rec=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))[sys.argv[2]]["record"])' \
		"$WORK/nodes5.json" "$2" 2>/dev/null) ||
		fail "crawl --v5: $1 not in nodes.json"
	got=$(keys_seq "$rec")
	exp=$(keys_seq "$3")
	# chainsafe may sign a newer record (its address votes): same keys,
	# a seq at least the one it printed.
	[ "${got% *}" = "${exp% *}" ] && [ "${got##* }" -ge "${exp##* }" ] ||
		fail "crawl --v5: $1's record has keys/seq $got, want $exp"
	echo "ok $1 in nodes.json: keys/seq $got"
done
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
ids = sys.argv[2].split(",") + [sys.argv[3]]
miss = [i for i in ids if i not in d]
sys.exit("missing %s" % miss if miss else 0)' "$WORK/nodes5.json" "$IDS" \
	"$(info b id)" || fail "crawl --v5: bootnodes not in nodes.json"
echo "ok crawl --v5: chainsafe and the four bootnodes"

# Every process is still up: nothing crashed; chainsafe's exit status
# counts its failures (TALKRESP errors while serving included).
for p in "${PIDS[@]}"; do
	kill -0 "$p" 2>/dev/null || fail "a process exited early"
done
kill -TERM $CSPID
wait $CSPID || fail "chainsafe side exited $?"
echo PASS
