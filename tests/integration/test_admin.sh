#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/integration/test_admin.sh - admin API end to end: two devplane nodes with --ipcpath, a python3 JSON-RPC client on the Unix sockets (nodeInfo, addPeer -> peers on both sides, removePeer -> gone, errors, batch), devplane admin, bootnode nodeInfo.
# usage: test_admin.sh DEVPLANE
set -u
DP=$1
. "$(dirname "$0")/lib_interop.sh"

command -v python3 >/dev/null || { echo "no python3"; exit 77; }
key() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

# rpc.py SOCK CHECK: runs the named check against the socket(s) given.
cat >"$WORK/rpc.py" <<'EOF'
import json, socket, sys, time

def conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s, s.makefile("rb")

def call(path, method, params=None, rid=1):
    s, f = conn(path)
    req = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        req["params"] = params
    s.sendall(json.dumps(req).encode() + b"\n")
    r = json.loads(f.readline())
    s.close()
    assert r["jsonrpc"] == "2.0" and r["id"] == rid, r
    return r

def result(path, method, params=None):
    r = call(path, method, params)
    assert "error" not in r, r
    return r["result"]

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)

def peers_of(path):
    return {p["id"]: p for p in result(path, "admin_peers")}

def wait(pred, what, secs=15):
    end = time.time() + secs
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    fail("timed out: " + what)

cmd = sys.argv[1]
if cmd == "node":                       # SOCK ENODE PORT
    sock, enode, port = sys.argv[2], sys.argv[3], int(sys.argv[4])
    ni = result(sock, "admin_nodeInfo")
    want = {"id", "name", "enode", "enr", "ip", "ports", "listenAddr",
            "protocols"}
    if set(ni) != want:
        fail("nodeInfo keys %s" % sorted(ni))
    if ni["enode"] != enode:
        fail("enode %s != %s" % (ni["enode"], enode))
    if len(ni["id"]) != 64 or int(ni["id"], 16) < 0:
        fail("id " + ni["id"])
    if not ni["name"].startswith("devplane/") or not ni["enr"].startswith("enr:"):
        fail("name/enr %s %s" % (ni["name"], ni["enr"]))
    if ni["ip"] != "127.0.0.1" or ni["ports"]["listener"] != port:
        fail("ip/ports %s %s" % (ni["ip"], ni["ports"]))
    if ni["listenAddr"] != "127.0.0.1:%d" % port:
        fail("listenAddr " + ni["listenAddr"])
    eth = ni["protocols"]["eth"]
    if eth["network"] != 11155111 or eth["genesis"] != \
       "0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9":
        fail("eth %s" % eth)
    if result(sock, "admin_peers") != []:
        fail("peers not empty at start")
    print(ni["id"])
elif cmd == "connect":                  # SOCK_A SOCK_B ENODE_B ID_A ID_B
    sa, sb, eb, ida, idb = sys.argv[2:7]
    if result(sa, "admin_addPeer", [eb]) is not True:
        fail("addPeer result")
    pa = wait(lambda: peers_of(sa).get(idb), "A lists B")
    pb = wait(lambda: peers_of(sb).get(ida), "B lists A")
    for p, inbound, static in ((pa, False, True), (pb, True, False)):
        want = {"enode", "id", "name", "caps", "network", "protocols"}
        if set(p) != want:
            fail("peer keys %s" % sorted(p))
        n = p["network"]
        if set(n) != {"localAddress", "remoteAddress", "inbound",
                      "trusted", "static"}:
            fail("network keys %s" % sorted(n))
        if n["inbound"] is not inbound or n["static"] is not static or \
           n["trusted"] is not False:
            fail("flags %s" % n)
        if not n["localAddress"].startswith("127.0.0.1:") or \
           not n["remoteAddress"].startswith("127.0.0.1:"):
            fail("addresses %s" % n)
        if not p["name"].startswith("devplane/") or "eth/68" not in p["caps"]:
            fail("name/caps %s %s" % (p["name"], p["caps"]))
        if p["protocols"]["eth"]["version"] != 72:
            fail("protocols %s" % p["protocols"])
    # The two ends of one TCP connection.
    if pa["network"]["localAddress"] != pb["network"]["remoteAddress"] or \
       pa["network"]["remoteAddress"] != pb["network"]["localAddress"]:
        fail("address mismatch %s %s" % (pa["network"], pb["network"]))
    if pa["enode"] != eb:
        fail("A's enode of B %s != %s" % (pa["enode"], eb))
    # Adding it again is fine and changes nothing.
    if result(sa, "admin_addPeer", [eb]) is not True or len(peers_of(sa)) != 1:
        fail("second addPeer")
elif cmd == "remove":                   # SOCK_A SOCK_B ENODE_B
    sa, sb, eb = sys.argv[2:5]
    if result(sa, "admin_removePeer", [eb]) is not True:
        fail("removePeer result")
    wait(lambda: peers_of(sa) == {}, "A drops B")
    wait(lambda: peers_of(sb) == {}, "B drops A")
    time.sleep(2)                       # not redialed: no longer static
    if peers_of(sa) != {} or peers_of(sb) != {}:
        fail("peer came back")
elif cmd == "errors":                   # SOCK
    sock = sys.argv[2]
    def code(r):
        return r["error"]["code"]
    if code(call(sock, "admin_nope")) != -32601:
        fail("unknown method")
    if code(call(sock, "admin_addPeer", ["enode://xyz@1.2.3.4:1"])) != -32602:
        fail("bad enode")
    if code(call(sock, "admin_addPeer", [])) != -32602:
        fail("missing param")
    # Concatenated requests, a notification and a batch on one connection.
    s, f = conn(sock)
    s.sendall(b'{"jsonrpc":"2.0","id":"a","method":"admin_peers"}'
              b'{"jsonrpc":"2.0","method":"admin_peers"}\n'
              b'[{"jsonrpc":"2.0","id":1,"method":"admin_nodeInfo"},'
              b'{"jsonrpc":"2.0","id":2,"method":"x"}]\n')
    r1 = json.loads(f.readline())
    r2 = json.loads(f.readline())
    if r1 != {"jsonrpc": "2.0", "id": "a", "result": []}:
        fail("first %s" % r1)
    if [x["id"] for x in r2] != [1, 2] or "result" not in r2[0] or \
       r2[1]["error"]["code"] != -32601:
        fail("batch %s" % r2)
    # Garbage: a parse error, then the server closes.
    s.sendall(b"garbage\n")
    r3 = json.loads(f.readline())
    if r3["error"]["code"] != -32700 or r3["id"] is not None:
        fail("parse error %s" % r3)
    if f.readline() != b"":
        fail("not closed after a parse error")
    s.close()
elif cmd == "bootnode":                 # SOCK ENODE
    sock, enode = sys.argv[2], sys.argv[3]
    ni = result(sock, "admin_nodeInfo")
    if ni["enode"] != enode or not ni["enr"].startswith("enr:") or \
       ni["protocols"] != {} or ni["ports"]["discovery"] == 0:
        fail("bootnode nodeInfo %s" % ni)
    if call(sock, "admin_peers")["error"]["code"] != -32601:
        fail("bootnode admin_peers")
else:
    fail("unknown check " + cmd)
EOF

start_node() {          # NAME PORT
	timeout 120 "$DP" node --nodekeyhex "$(key)" --addr 127.0.0.1:$2 \
		--nodiscover --chain sepolia --ipcpath "$WORK/$1.ipc" \
		>"$WORK/$1.out" 2>"$WORK/$1.err" &
	PIDS="$PIDS $!"
	for i in $(seq 50); do
		[ -s "$WORK/$1.out" ] && break
		sleep 0.1
	done
	case "$(head -1 "$WORK/$1.out")" in
	enode://*) ;;
	*) cat "$WORK/$1.err"; die "node $1 printed no enode";;
	esac
}

PA=$(rand_port 30000 10000)
PB=$((PA + 1))
start_node a $PA
start_node b $PB
EA=$(head -1 "$WORK/a.out")
EB=$(head -1 "$WORK/b.out")

[ "$(stat -c %a "$WORK/a.ipc")" = 600 ] || die "socket mode $(stat -c %a "$WORK/a.ipc")"

PY="python3 $WORK/rpc.py"
IDA=$($PY node "$WORK/a.ipc" "$EA" $PA) || die "A nodeInfo: $IDA"
IDB=$($PY node "$WORK/b.ipc" "$EB" $PB) || die "B nodeInfo: $IDB"
# nodeInfo's ENR is our signed record, TCP port included.
ENRA=$("$DP" admin --ipcpath "$WORK/a.ipc" admin_nodeInfo |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["enr"])') ||
	die "devplane admin admin_nodeInfo"
"$DP" enr dump "$ENRA" >"$WORK/enr.out" || die "enr dump $ENRA"
grep -q '^Signature: valid' "$WORK/enr.out" || die "ENR signature"
grep -Eq "^ +tcp +$PA\$" "$WORK/enr.out" || { cat "$WORK/enr.out"; die "ENR without tcp"; }
# enr-entries/eth.md: "eth" = [[forkHash, forkNext]]; sepolia at genesis is
# fe3366e7 / 1735371 (geth's forkid tests).
grep -Eq '^ +eth +\(raw\) cac984fe3366e7831a7acb$' "$WORK/enr.out" ||
	{ cat "$WORK/enr.out"; die "ENR without the sepolia eth entry"; }
$PY connect "$WORK/a.ipc" "$WORK/b.ipc" "$EB" "$IDA" "$IDB" ||
	{ cat "$WORK"/a.* "$WORK"/b.*; die "addPeer"; }

# The operator's client sees the same peer.
"$DP" admin --ipcpath "$WORK/a.ipc" admin_peers >"$WORK/cli.out" ||
	die "devplane admin admin_peers"
grep -q "\"id\": \"$IDB\"" "$WORK/cli.out" || { cat "$WORK/cli.out"; die "devplane admin: no peer"; }
if "$DP" admin --ipcpath "$WORK/a.ipc" admin_addPeer enode://bad 2>"$WORK/cli.err"; then
	die "devplane admin: bad enode accepted"
fi
grep -q 'error -32602' "$WORK/cli.err" || die "devplane admin: $(cat "$WORK/cli.err")"

$PY remove "$WORK/a.ipc" "$WORK/b.ipc" "$EB" ||
	{ cat "$WORK"/a.* "$WORK"/b.*; die "removePeer"; }
$PY errors "$WORK/a.ipc" || die "error cases"
# The node still serves after all that.
"$DP" admin --ipcpath "$WORK/a.ipc" admin_nodeInfo >/dev/null || die "A gone"

# The bootnode: admin_nodeInfo only; the socket goes away at exit.
PBOOT=$((PA + 2))
timeout 60 "$DP" bootnode --nodekeyhex "$(key)" --addr 127.0.0.1:$PBOOT \
	--ipcpath "$WORK/boot.ipc" >"$WORK/boot.out" 2>"$WORK/boot.err" &
BOOT=$!
PIDS="$PIDS $BOOT"
for i in $(seq 50); do
	[ -s "$WORK/boot.out" ] && break
	sleep 0.1
done
EBOOT=$(head -1 "$WORK/boot.out")
$PY bootnode "$WORK/boot.ipc" "$EBOOT" || die "bootnode nodeInfo"
kill "$BOOT"
wait "$BOOT" 2>/dev/null
[ ! -e "$WORK/boot.ipc" ] || die "bootnode left its socket behind"
echo "ok: admin API"
exit 0
