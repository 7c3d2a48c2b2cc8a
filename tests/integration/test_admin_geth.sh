#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/integration/test_admin_geth.sh - the admin API with clients that are not ours: geth attach (v1.17.10) on a devplane node's IPC socket (rpc_modules, nodeInfo, addPeer, peers, add/removeTrustedPeer, removePeer) and on a bootnode (the peer methods refused, saying why); a Node.js client subscribed to peerEvents gets geth's add and drop notifications, then unsubscribes.
# usage: test_admin_geth.sh DEVPLANE
set -u
DP=$1
HERE=$(dirname "$0")
. "$HERE/lib_interop.sh"

command -v node >/dev/null || die "node is not installed"
"$HERE/../interop/geth/install.sh" >"$WORK/install.out" 2>"$WORK/install.err" ||
	die "tests/interop/geth/install.sh could not provide geth: $(tail -3 "$WORK/install.err")"
GETH=$(sed -n 's/^GETH_BIN=//p' "$WORK/install.out" | tail -1)/geth
[ -x "$GETH" ] || die "no geth in $(cat "$WORK/install.out")"
key() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

# attach SOCK JS: geth's console on our socket (flags before the
# endpoint: geth's CLI stops at the first argument).
attach() {
	timeout 60 "$GETH" attach --exec "$2" "ipc:$1" 2>&1
}

# wait_js SOCK JS WANT: until the console prints WANT (bounded).
wait_js() {
	for i in $(seq 100); do
		[ "$(attach "$1" "$2")" = "$3" ] && return 0
		sleep 0.2
	done
	die "$2 on $1 never gave $3 (last: $(attach "$1" "$2"))"
}

# start_node NAME: port 0 (the UDP port the dataplane picks, TCP on the
# same number, which another socket may hold: three tries).
start_node() {
	for try in 1 2 3; do
		timeout 300 "$DP" node --nodekeyhex "$(key)" \
			--addr 127.0.0.1:0 --nodiscover --chain sepolia \
			--ipcpath "$WORK/$1.ipc" >"$WORK/$1.out" \
			2>"$WORK/$1.err" &
		pid=$!
		PIDS="$PIDS $pid"
		for i in $(seq 100); do
			[ -s "$WORK/$1.out" ] && [ -S "$WORK/$1.ipc" ] && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		case "$(head -1 "$WORK/$1.out")" in
		enode://*) return 0;;
		esac
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	cat "$WORK/$1.err"
	die "node $1 printed no enode"
}

start_node a
start_node b
EA=$(head -1 "$WORK/a.out")
EB=$(head -1 "$WORK/b.out")
A="$WORK/a.ipc"

echo "== geth attach: rpc_modules, nodeInfo"
out=$(attach "$A" 'JSON.stringify(rpc.modules)')
case "$out" in *'\"admin\":\"1.0\"'*) ;; *) die "rpc.modules: $out";; esac
[ "$(attach "$A" 'admin.nodeInfo.enode')" = "\"$EA\"" ] ||
	die "nodeInfo.enode: $(attach "$A" 'admin.nodeInfo.enode')"
[ "$(attach "$A" 'admin.nodeInfo.protocols.eth.network')" = 11155111 ] ||
	die "nodeInfo eth network"

echo "== Node.js: admin_subscribe peerEvents"
node "$HERE/../interop/ipcsub.mjs" "$A" 2 --unsubscribe --timeout 120 \
	>"$WORK/sub.out" 2>"$WORK/sub.err" &
SUB=$!
PIDS="$PIDS $SUB"
for i in $(seq 100); do
	grep -q '^subscribed 0x' "$WORK/sub.out" && break
	sleep 0.1
done
grep -q '^subscribed 0x' "$WORK/sub.out" || die "no subscription: $(cat "$WORK/sub.err")"

echo "== geth attach: addPeer, peers, trusted peers, removePeer"
[ "$(attach "$A" "admin.addPeer(\"$EB\")")" = true ] || die "addPeer"
wait_js "$A" 'admin.peers.length' 1
IDB=$(attach "$A" 'admin.peers[0].id' | tr -d '"')
[ ${#IDB} = 64 ] || die "peer id $IDB"
[ "$(attach "$A" 'admin.peers[0].network.trusted')" = false ] || die "trusted before"
[ "$(attach "$A" "admin.addTrustedPeer(\"$EB\")")" = true ] || die "addTrustedPeer"
[ "$(attach "$A" 'admin.peers[0].network.trusted')" = true ] || die "not trusted"
[ "$(attach "$A" "admin.addTrustedPeer(\"$EB\")")" = true ] || die "addTrustedPeer twice"
[ "$(attach "$A" "admin.removeTrustedPeer(\"$EB\")")" = true ] || die "removeTrustedPeer"
[ "$(attach "$A" 'admin.peers[0].network.trusted')" = false ] || die "still trusted"
out=$(attach "$A" 'admin.addTrustedPeer("enode://nope")')
case "$out" in *"invalid enode"*) ;; *) die "bad url: $out";; esac
[ "$(attach "$A" "admin.removePeer(\"$EB\")")" = true ] || die "removePeer"
wait_js "$A" 'admin.peers.length' 0

echo "== the subscription saw add and drop"
for i in $(seq 200); do
	kill -0 "$SUB" 2>/dev/null || break
	sleep 0.1
done
wait "$SUB" || { cat "$WORK/sub.out" "$WORK/sub.err"; die "Node.js client failed"; }
sed -n 2p "$WORK/sub.out" | grep -Eq "^add $IDB - 127\.0\.0\.1:[0-9]+ 127\.0\.0\.1:[0-9]+$" ||
	{ cat "$WORK/sub.out"; die "add event"; }
sed -n 3p "$WORK/sub.out" | grep -Eq "^drop $IDB disconnect requested 127\.0\.0\.1:[0-9]+ 127\.0\.0\.1:[0-9]+$" ||
	{ cat "$WORK/sub.out"; die "drop event"; }
[ "$(sed -n 4p "$WORK/sub.out")" = "unsubscribed true" ] || { cat "$WORK/sub.out"; die "unsubscribe"; }

echo "== geth attach on a bootnode: no RLPx peers"
timeout 120 "$DP" bootnode --nodekeyhex "$(key)" --addr 127.0.0.1:0 \
	--ipcpath "$WORK/boot.ipc" >"$WORK/boot.out" 2>"$WORK/boot.err" &
PIDS="$PIDS $!"
for i in $(seq 100); do
	[ -S "$WORK/boot.ipc" ] && [ -s "$WORK/boot.out" ] && break
	sleep 0.1
done
EBOOT=$(head -1 "$WORK/boot.out")
[ "$(attach "$WORK/boot.ipc" 'admin.nodeInfo.enode')" = "\"$EBOOT\"" ] || die "bootnode nodeInfo"
for js in 'admin.peers' "admin.addTrustedPeer(\"$EA\")" "admin.removeTrustedPeer(\"$EA\")"; do
	out=$(attach "$WORK/boot.ipc" "$js")
	case "$out" in *"has no RLPx peers"*) ;; *) die "bootnode $js: $out";; esac
done
echo "ok: admin API with geth attach and Node.js"
exit 0
