#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/integration/test_geth_rlpx.sh - RLPx, p2p and eth with geth
# v1.17.10 itself (issue 11), both ways, on loopback, bounded in time:
#  a. `devplane node --staticnodes <geth>` dials geth;
#  b. geth dials `devplane node` (admin.addPeer in geth's console).
# In both, on a private chain (tests/integration/lib_geth.sh; discovery off
# on both sides):
#   - both sides list the peer with the highest eth version both have
#     (geth 1.17.10 has eth/69..72, we have 68..72: eth/72): devplane
#     prints "eth: status ... version=72 ... ok", its admin_peers says
#     eth version 72, geth's admin.peers says protocols.eth.version 72;
#   - geth's admin.peers shows our client id (`devplane version`) and
#     caps (eth/68..72, ping/1), ours shows geth's, inbound/outbound right;
#   - the session survives at least 60 s of p2p keepalive both ways:
#     both send a Ping every 15 s; devplane's Pings are answered (its
#     "p2p: pong" lines at --verbosity 4, at least 4), geth's are answered
#     by our dataplane (devplane_dp_rlpx_pings_answered_total, at least
#     4), and afterwards both still list the peer, geth with the same
#     network (addresses) as at the start;
#   - a disconnect is clean, with the right reason: (a) SIGTERM to
#     devplane: it exits 0 and geth logs the Disconnect reason "client
#     quitting" (0x08) as the remote's (req=true); (b) geth's
#     admin.removePeer: devplane prints "closed: peer=<geth> reason=
#     disconnect requested (remote)" (0x00) and does not dial back.
# Then the Hello both ways: geth's `devp2p rlpx ping` at devplane prints
# our Hello (client id, caps, listen port, our public key), and `devplane
# rlpx ping` at geth prints geth's (client id as geth's admin_nodeInfo
# says, eth/69..72, geth's key).
#
# Waits are on conditions with generous bounds (2 shared cores, geth's
# start-up); the 60 s are a duration the test asks for, not a speed.
# Without Go or the Go module proxy (tests/interop/geth/install.sh) this
# test fails with install.sh's reason, it is not skipped.
#
# usage: test_geth_rlpx.sh DEVPLANE
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE}
. "$(dirname "$0")/lib_geth.sh"
geth_init geth-rlpx
geth_install
geth_genesis
STATUS=0
KEEPALIVE_S=60                  # the session must survive this long
KEEPALIVE_PINGS=4               # Pings each way in that time (15 s apart)
OUR_CAPS='["eth/68", "eth/69", "eth/70", "eth/71", "eth/72", "ping/1"]'

bad() {
	echo "FAIL: $*"
	STATUS=1
}

CLIENT_ID=$("$DEVPLANE" version | sed -n 's/^client id  *//p')
[ -n "$CLIENT_ID" ] || fail "devplane version printed no client id"

# geth logs each peer's removal with the reason at debug level (p2p/*).
geth_start g1 --nodiscover --log.vmodule 'p2p/*=4'
G1=$GETH_ENODE G1_PUB=$GETH_PUB G1_NAME=$GETH_NAME
G1_SHORT=${G1_PUB:0:16}         # devplane's events name peers so
echo "geth g1: $G1 ($G1_NAME)"
CHAIN=(--networkid "$GETH_NETWORKID" --genesis "$GETH_GENESIS")

# peer_of IPC PUB: the admin_peers entry (JSON) of PUB at IPC (ours or
# geth's: the same method), or nothing.
peer_of() {
	"$DEVPLANE" admin --ipcpath "$1" admin_peers 2>/dev/null |
		python3 -c 'import json, sys
for p in json.load(sys.stdin):
    if p["enode"].startswith("enode://" + sys.argv[1] + "@"):
        print(json.dumps(p, sort_keys=True))' "$2"
}

# geth_has NAME_PUB: geth lists PUB with an eth version.
geth_has() {
	peer_of "$WORK/g1/geth.ipc" "$1" | grep -q '"version"'
}

# metric NAME METRIC: the sum of METRIC's samples at devplane NAME's
# metrics port (printed on its stderr at start).
metric() {
	local port
	port=$(sed -n 's/^devplane: metrics on port \([0-9]*\)$/\1/p' \
		"$WORK/$1.err")
	[ -n "$port" ] || { echo 0; return; }
	curl -s -m 5 "http://127.0.0.1:$port/metrics" |
		awk -v m="$2" 'index($1, m "{") == 1 { s += $2 } END { print s + 0 }'
}

# pongs NAME: keepalive Pongs devplane NAME got from geth g1.
pongs() {
	grep -c "^p2p: pong peer=$G1_SHORT " "$WORK/$1.out"
}

# keepalive_done NAME T0: KEEPALIVE_S since T0 and KEEPALIVE_PINGS Pings
# answered each way.
keepalive_done() {
	[ $((SECONDS - $2)) -ge $KEEPALIVE_S ] &&
		[ "$(pongs "$1")" -ge $KEEPALIVE_PINGS ] &&
		[ "$(metric "$1" devplane_dp_rlpx_pings_answered_total)" -ge \
		  $KEEPALIVE_PINGS ]
}

# session NAME PUB ID GETH_INBOUND: the checks both directions share, up
# to and including the keepalive; devplane node NAME (key PUB, node id
# ID) and geth g1 are connecting.
session() {
	local name=$1 pub=$2 id=$3 inbound=$4 gp op t0 want net0 net1
	if ! wait_until 60 grep -q "^eth: status peer=$G1_SHORT " \
	     "$WORK/$name.out" || ! wait_until 30 geth_has "$pub"; then
		bad "$name: no eth session with geth"
		return 1
	fi
	t0=$SECONDS
	gp=$(peer_of "$WORK/g1/geth.ipc" "$pub")
	op=$(peer_of "$WORK/$name.ipc" "$G1_PUB")
	echo "  geth's admin.peers: $gp"
	echo "  our admin_peers:    $op"
	grep "^eth: status peer=$G1_SHORT " "$WORK/$name.out" | sed 's/^/  /'
	# The highest version both Hellos have: ours as geth parsed them,
	# geth's as we did.
	want=$(python3 -c 'import json, sys
g, o = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ver = lambda caps: {int(c[4:]) for c in caps if c.startswith("eth/")}
print(max(ver(g["caps"]) & ver(o["caps"])))' "$gp" "$op")
	echo "  highest shared eth version: $want"
	[ "$want" = 72 ] || bad "$name: geth v1.17.10 and devplane share eth/72, the Hellos say $want"
	grep -q "^eth: status peer=$G1_SHORT version=$want network=$GETH_NETWORKID genesis=$GETH_GENESIS .* ok$" \
		"$WORK/$name.out" || bad "$name: no eth/$want Status from geth that passed our check"
	echo "$gp" | python3 -c 'import json, sys
p = json.load(sys.stdin)
want, name, caps, inbound = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), sys.argv[4] == "1"
errs = []
if p["protocols"].get("eth", {}).get("version") != want: errs.append("eth version")
if p["name"] != name: errs.append("client id")
if p["caps"] != caps: errs.append("caps")
if p["network"]["inbound"] != inbound: errs.append("inbound")
sys.exit(", ".join(errs) or None)' "$want" "$CLIENT_ID" "$OUR_CAPS" "$inbound" ||
		bad "$name: geth's admin.peers entry of devplane"
	echo "$op" | python3 -c 'import json, sys
p = json.load(sys.stdin)
want, name, inbound = int(sys.argv[1]), sys.argv[2], sys.argv[3] != "1"
errs = []
if p["protocols"].get("eth", {}).get("version") != want: errs.append("eth version")
if p["name"] != name: errs.append("client id")
if p["network"]["inbound"] != inbound: errs.append("inbound")
sys.exit(", ".join(errs) or None)' "$want" "$G1_NAME" "$inbound" ||
		bad "$name: our admin_peers entry of geth"
	net0=$(echo "$gp" | json_get 'd["network"]')

	echo "  keepalive: at least $KEEPALIVE_S s and $KEEPALIVE_PINGS Pings each way"
	if ! wait_until $((KEEPALIVE_S + 90)) keepalive_done "$name" "$t0"; then
		bad "$name: keepalive: $(pongs "$name") Pongs from geth," \
		    "$(metric "$name" devplane_dp_rlpx_pings_answered_total) of geth's Pings answered after $((SECONDS - t0)) s"
		return 1
	fi
	echo "  after $((SECONDS - t0)) s: $(pongs "$name") of our Pings answered by geth (last: $(grep "^p2p: pong peer=$G1_SHORT " "$WORK/$name.out" | tail -1)), $(metric "$name" devplane_dp_rlpx_pings_answered_total) of geth's answered by our dataplane"
	net1=$(peer_of "$WORK/g1/geth.ipc" "$pub" | json_get 'd["network"]')
	[ "$net1" = "$net0" ] ||
		bad "$name: geth's peer changed: $net0 -> ${net1:-gone}"
	[ -n "$(peer_of "$WORK/$name.ipc" "$G1_PUB")" ] ||
		bad "$name: geth left our admin_peers"
	! grep -q "^closed: peer=$G1_SHORT" "$WORK/$name.out" ||
		bad "$name: the session closed: $(grep "^closed: peer=$G1_SHORT" "$WORK/$name.out")"
	# geth's log names peers by the first 8 bytes of their node id.
	! grep -q "Removing p2p peer .*id=${id:0:16} " "$WORK/g1/geth.log" ||
		bad "$name: geth dropped the peer: $(grep "Removing p2p peer .*id=${id:0:16} " "$WORK/g1/geth.log")"
}

# node_id NAME: the node id (keccak256 of the key) of devplane NAME.
node_id() {
	"$DEVPLANE" admin --ipcpath "$WORK/$1.ipc" admin_nodeInfo |
		json_get 'd["id"]'
}

# ---- a. devplane dials geth ------------------------------------------

echo "== a. devplane node --staticnodes geth"
start_devplane node a --nodiscover "${CHAIN[@]}" --staticnodes "$G1" \
	--verbosity 4 --metrics.addr 127.0.0.1:0
A_PID=$DPID A_PUB=$PUB A_ID=$(node_id a)
echo "devplane a: $ENODE"
if session a "$A_PUB" "$A_ID" 1; then
	echo "  SIGTERM to devplane"
	stop_pid "$A_PID" 20
	rc=$?
	[ $rc = 0 ] || bad "a: devplane exited with status $rc"
	if wait_until 20 grep -q "Removing p2p peer .*id=${A_ID:0:16} " \
	   "$WORK/g1/geth.log"; then
		line=$(grep "Removing p2p peer .*id=${A_ID:0:16} " "$WORK/g1/geth.log")
		echo "  geth: $line"
		echo "$line" | grep -Eq 'req=true +err="client quitting"' ||
			bad "a: geth did not see our Disconnect (client quitting)"
	else
		bad "a: geth did not drop the peer"
	fi
	[ -z "$(peer_of "$WORK/g1/geth.ipc" "$A_PUB")" ] ||
		bad "a: geth still lists devplane"
fi

# ---- b. geth dials devplane ------------------------------------------

echo "== b. geth admin.addPeer(devplane node)"
start_devplane node b --nodiscover "${CHAIN[@]}" --verbosity 4 \
	--metrics.addr 127.0.0.1:0
B=$ENODE B_PID=$DPID B_PUB=$PUB B_ID=$(node_id b)
B_TCP=${B##*:}
echo "devplane b: $B"
out=$(geth_exec g1 "admin.addPeer('$B')")
[ "$out" = true ] || bad "b: admin.addPeer said '$out'"
if session b "$B_PUB" "$B_ID" 0; then
	echo "  geth: admin.removePeer"
	out=$(geth_exec g1 "admin.removePeer('$B')")
	[ "$out" = true ] || bad "b: admin.removePeer said '$out'"
	if wait_until 20 grep -q "^closed: peer=$G1_SHORT " "$WORK/b.out"; then
		line=$(grep "^closed: peer=$G1_SHORT " "$WORK/b.out")
		echo "  devplane: $line"
		[ "$line" = "closed: peer=$G1_SHORT reason=disconnect requested (remote)" ] ||
			bad "b: want geth's Disconnect (disconnect requested)"
	else
		bad "b: devplane saw no close"
	fi
	grep "Removing p2p peer .*id=${B_ID:0:16} " "$WORK/g1/geth.log" |
		sed 's/^/  geth: /'
	[ -z "$(peer_of "$WORK/b.ipc" "$G1_PUB")" ] ||
		bad "b: devplane still lists geth"
fi

# ---- the Hello both ways ----------------------------------------------

echo "== devp2p rlpx ping -> devplane node b"
timeout 60 "$DEVP2P" rlpx ping "$B" >"$WORK/devp2p-ping.out" 2>&1 ||
	bad "devp2p rlpx ping failed (exit $?)"
sed 's/^/  /' "$WORK/devp2p-ping.out"
# {Version:5 Name:... Caps:[eth/72 ...] ListenPort:N ID:[b0 b1 ...] Rest:[]}
python3 - "$WORK/devp2p-ping.out" "$CLIENT_ID" "$B_TCP" "$B_PUB" <<'EOF' ||
import re, sys
text, cid, port, pub = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3], sys.argv[4]
m = re.search(r'\{Version:(\d+) Name:(\S+) Caps:\[([^\]]*)\] ListenPort:(\d+) ID:\[([0-9 ]*)\]', text)
if not m:
    sys.exit('no Hello in the output')
errs = []
if m.group(1) != '5': errs.append('p2p version ' + m.group(1))
if m.group(2) != cid: errs.append('client id ' + m.group(2))
if m.group(3) != 'eth/72 eth/71 eth/70 eth/69 eth/68 ping/1': errs.append('caps ' + m.group(3))
if m.group(4) != port: errs.append('listen port ' + m.group(4))
if bytes(int(b) for b in m.group(5).split()).hex() != pub: errs.append('id')
sys.exit(", ".join(errs) or None)
EOF
	bad "devp2p rlpx ping did not print our Hello"

echo "== devplane rlpx ping -> geth g1"
timeout 60 "$DEVPLANE" rlpx ping --timeout 30s "$G1" >"$WORK/ping.out" 2>&1 ||
	bad "devplane rlpx ping failed"
sed 's/^/  /' "$WORK/ping.out"
[ "$(sed -n 's/^client  *//p' "$WORK/ping.out")" = "$G1_NAME" ] ||
	bad "devplane rlpx ping: not geth's client id ($G1_NAME)"
[ "$(sed -n 's/^id  *//p' "$WORK/ping.out")" = "$G1_PUB" ] ||
	bad "devplane rlpx ping: not geth's key"
caps=" $(sed -n 's/^caps  *//p' "$WORK/ping.out") "
for c in eth/69 eth/70 eth/71 eth/72; do
	case "$caps" in *" $c "*) ;; *) bad "devplane rlpx ping: geth's caps lack $c" ;; esac
done

# b stays up without geth (geth is not one of its static nodes) and
# stops cleanly.
[ -z "$(peer_of "$WORK/g1/geth.ipc" "$B_PUB")" ] ||
	bad "b: geth dialed devplane again after admin.removePeer"
stop_pid "$B_PID" 20
rc=$?
[ $rc = 0 ] || bad "b: devplane exited with status $rc"

echo "(whole test: $((SECONDS - T_START)) s)"
[ $STATUS -eq 0 ] && echo "PASS" || echo "FAIL"
exit $STATUS
