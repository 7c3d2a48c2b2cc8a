#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/integration/test_geth_crawl5.sh - `devplane crawl --v5` over a
# loopback network of geth v1.17.10 and devplane nodes that found each
# other over discovery v5 alone (issue 12), bounded in time:
#   - a devplane bootnode with discovery v4 off (--discovery.v4=false);
#     3 geth nodes on a private chain (tests/integration/lib_geth.sh)
#     with --discovery.v4=false --discovery.v5 and our bootnode's ENR as
#     their only bootnode (no DNS), and 2 `devplane node`s on the same
#     chain with --discovery.v4=false and the same bootnode: nothing but
#     discovery v5 through devplane lets them learn of each other;
#   - our bootnode's discv5 table (debug_discoveryV5Table, our admin API)
#     holds the 3 geth nodes and our 2; each of our nodes' discv5 table
#     holds the 3 geth nodes; each geth's admin_peers holds the other two
#     geth nodes (eth over RLPx, dialled from what discv5 found: geth's
#     v4 is off);
#   - `devplane crawl --v5 --bootnodes <our bootnode's ENR>` on the chain
#     runs until it runs dry, then:
#       nodes.json (geth's devp2p node-set format) holds every geth and
#       devplane node, with its current record (seq and every key as
#       the node's own admin_nodeInfo ENR says) and a score;
#       the database's visits (control/store/crawlschema.c) hold each of
#       them answered, enr_seq its seq, enr_keys its record's keys, and
#       for geth the RLPx part (geth's Hello client id);
#       the summary counts 6 records (the bootnode too), the 5 "eth"
#       entries under geth's fork id, and geth's client x3 in the RLPx
#       lines.
# Waits are on conditions with generous bounds (2 shared cores, geth's
# start-up), never fixed sleeps. Without Go or the Go module proxy
# (tests/interop/geth/install.sh) this test fails with install.sh's
# reason, it is not skipped.
#
# usage: test_geth_crawl5.sh DEVPLANE
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE}
. "$(dirname "$0")/lib_geth.sh"
geth_init geth-crawl5
geth_install
geth_genesis

# v5_pubs IPC: the public keys in a devplane node's discv5 table.
v5_pubs() {
	"$DEVPLANE" admin --ipcpath "$1" debug_discoveryV5Table \
		2>/dev/null | sed -n 's|.*"node": "enode://\([0-9a-f]*\)@.*|\1|p'
}
# enr_of IPC: the enr of a node's admin_nodeInfo (ours or geth's).
enr_of() {
	"$DEVPLANE" admin --ipcpath "$1" admin_nodeInfo | json_get 'd["enr"]'
}

start_devplane bootnode boot --discovery.v4=false
BENR=$(enr_of "$WORK/boot.ipc") || fail "our bootnode: no admin_nodeInfo"
echo "devplane bootnode: $BENR"

echo "== 3 geth nodes (discovery v5 only) bootstrapped from our bootnode"
for g in 1 2 3; do
	geth_launch "g$g" --bootnodes "$BENR" --discovery.v4=false \
		--discovery.v5
done
GETH_PUBS=()
for g in 1 2 3; do
	geth_ready "g$g"
	GETH_PUBS+=("$GETH_PUB")
	echo "$GETH_ENR" >"$WORK/g$g.enr"
	echo "geth g$g: $GETH_ENODE ($GETH_NAME)"
done
GENESIS=$GETH_GENESIS

echo "== 2 devplane nodes (discovery v5 only) on the same chain"
OUR_PUBS=()
for n in 1 2; do
	start_devplane node node$n --discovery.v4=false --bootnodes "$BENR" \
		--networkid "$GETH_NETWORKID" --genesis "$GENESIS" \
		--dataplane.budget off
	OUR_PUBS+=("$PUB")
	echo "devplane node$n: $ENODE"
done

boot_has_all() {
	v5_pubs "$WORK/boot.ipc" >"$WORK/boot.table"
	has_all "$WORK/boot.table" "${GETH_PUBS[@]}" "${OUR_PUBS[@]}"
}
wait_until 90 boot_has_all ||
	fail "our bootnode's discv5 table lacks nodes: $(cat "$WORK/boot.table")"
echo "our bootnode's discv5 table: the 3 geth nodes and our 2" \
     "($(wc -l <"$WORK/boot.table") entries)"

node_has_geth() {
	v5_pubs "$WORK/node$1.ipc" >"$WORK/node$1.table"
	has_all "$WORK/node$1.table" "${GETH_PUBS[@]}"
}
for n in 1 2; do
	wait_until 90 node_has_geth "$n" ||
		fail "node$n's discv5 table lacks geth nodes: $(cat "$WORK/node$n.table")"
	echo "devplane node$n's discv5 table: the 3 geth nodes" \
	     "($(wc -l <"$WORK/node$n.table") entries)"
done

geth_peers_ok() {
	local g=$1 i
	geth_rpc "g$g" admin_peers 2>/dev/null |
		sed -n 's|.*"enode": "enode://\([0-9a-f]*\)@.*|\1|p' \
		>"$WORK/g$g.peers"
	for i in 0 1 2; do
		[ $((i + 1)) = "$g" ] && continue
		grep -qx "${GETH_PUBS[$i]}" "$WORK/g$g.peers" || return 1
	done
}
for g in 1 2 3; do
	wait_until 120 geth_peers_ok "$g" ||
		fail "geth g$g is not peered with the other geth nodes"
	ours=0
	for p in "${OUR_PUBS[@]}"; do
		grep -qx "$p" "$WORK/g$g.peers" && ours=$((ours + 1))
	done
	echo "geth g$g's peers: the other geth nodes" \
	     "($(wc -l <"$WORK/g$g.peers") peers, $ours devplane)"
done

# Every node's record as it states it now (a node may have bumped its
# seq since it started: read after the network formed).
: >"$WORK/nodes.txt"
for g in 1 2 3; do
	echo "geth g$g $(enr_of "$WORK/g$g/geth.ipc")" >>"$WORK/nodes.txt" ||
		fail "g$g: admin_nodeInfo"
done
for n in 1 2; do
	echo "ours node$n $(enr_of "$WORK/node$n.ipc")" >>"$WORK/nodes.txt" ||
		fail "node$n: admin_nodeInfo"
done
echo "boot boot $BENR" >>"$WORK/nodes.txt"

echo "== devplane crawl --v5 from our bootnode"
timeout 180 "$DEVPLANE" crawl --v5 --bootnodes "$BENR" --addr 127.0.0.1:0 \
	--dataplane.budget off --networkid "$GETH_NETWORKID" \
	--genesis "$GENESIS" --db "$WORK/crawl.db" --out "$WORK/nodes.json" \
	>"$WORK/crawl.out" 2>"$WORK/crawl.err"
rc=$?
sed 's/^/  /' "$WORK/crawl.out"
[ $rc = 0 ] || fail "devplane crawl --v5 exited with status $rc"

python3 - "$WORK/nodes.txt" "$WORK/crawl.db" "$WORK/nodes.json" \
	"$WORK/crawl.out" "$WORK/g1.enr" <<'PYEOF' || fail "crawl results"
import base64, json, re, sqlite3, sys
nodes_txt, db, nodes_json, out, g1enr = sys.argv[1:]

def rlp(b, i=0):
    """One item at b[i:]: (value, next index); lists as Python lists."""
    p = b[i]
    if p < 0x80:
        return b[i:i + 1], i + 1
    if p < 0xb8:
        return b[i + 1:i + 1 + p - 0x80], i + 1 + p - 0x80
    if p < 0xc0:
        n = p - 0xb7
        l = int.from_bytes(b[i + 1:i + 1 + n], 'big')
        return b[i + 1 + n:i + 1 + n + l], i + 1 + n + l
    if p < 0xf8:
        l, s = p - 0xc0, i + 1
    else:
        n = p - 0xf7
        l, s = int.from_bytes(b[i + 1:i + 1 + n], 'big'), i + 1 + n
    items, j = [], s
    while j < s + l:
        v, j = rlp(b, j)
        items.append(v)
    return items, s + l

def record(text):
    """(seq, sorted keys, {key: decoded value}) of an enr: text."""
    t = text[4:]
    raw = base64.urlsafe_b64decode(t + '=' * (-len(t) % 4))
    items, _ = rlp(raw)
    kv = {items[k].decode('latin-1'): items[k + 1]
          for k in range(2, len(items), 2)}
    return int.from_bytes(items[1], 'big'), sorted(kv), kv

def forkid(v):
    h, nxt = v[0][0], v[0][1]
    return '0x%s/%d' % (h.hex(), int.from_bytes(nxt, 'big'))

nodes = [l.split() for l in open(nodes_txt)]
ns = json.load(open(nodes_json))
c = sqlite3.connect(db)
c.row_factory = sqlite3.Row
bad = 0
ids = {}
for kind, name, enr in nodes:
    seq, keys, kv = record(enr)
    # Its nodes.json entry: the one whose record has its key (Python's
    # hashlib has no keccak256 for the node id).
    mine = [k for k, e in ns.items()
            if record(e['record'])[2].get('secp256k1') == kv['secp256k1']]
    if len(mine) != 1:
        print(name, 'not in nodes.json'); bad += 1; continue
    nid = mine[0]
    e = ns[nid]
    got_seq, got_keys, _ = record(e['record'])
    if e['seq'] != seq or got_seq != seq or got_keys != keys:
        print(name, 'nodes.json record: seq %d keys %s, the node says '
              'seq %d keys %s' % (got_seq, got_keys, seq, keys)); bad += 1
    if e.get('score', 0) < 1 or 'lastResponse' not in e:
        print(name, 'nodes.json: no score/lastResponse', e); bad += 1
    r = c.execute('SELECT * FROM visits WHERE node_id = ?',
                  (bytes.fromhex(nid),)).fetchone()
    if r is None:
        print(name, 'no visit row'); bad += 1; continue
    r = dict(r)
    print(name, nid[:16], 'seq', seq, ','.join(keys), '| visit:',
          {k: r[k] for k in ('answered', 'enr_verified', 'enr_seq',
                             'enr_keys', 'disc_error', 'client_id',
                             'eth_version', 'fork_hash')})
    want = {'answered': 1, 'enr_verified': 1, 'enr_seq': seq,
            'enr_keys': ','.join(keys)}
    if kind == 'geth':
        want['eth_version'] = 72
        want['fork_hash'] = forkid(kv['eth']).split('/')[0][2:]
    for k, v in want.items():
        if r[k] != v:
            print('  %s: %r, want %r' % (k, r[k], v)); bad += 1
    if kind == 'geth' and not (r['client_id'] or '').startswith('Geth/v1.17.10'):
        print('  client_id', r['client_id']); bad += 1
    ids[name] = nid
if len(ns) != len(nodes):
    print('nodes.json has %d nodes, the network %d' % (len(ns), len(nodes)))
    bad += 1
text = open(out).read()
_, _, g1kv = record(open(g1enr).read().strip())
fid = forkid(g1kv['eth'])
for pat in (r'^crawl v5 finished: 6 nodes seen, 6 answered FINDNODE \[0\], '
            r'6 in output;',
            r'^enr keys \(6 records\): id x6, ip x6, secp256k1 x6, udp x6, '
            r'eth x5, tcp x5\b',
            r'^enr eth fork ids: ' + re.escape(fid) + r' x5$',
            r'^enr eth2 fork digests: -$',
            r'^rlpx clients:.*\bGeth/v1\.17\.10-stable x3\b',
            r'^rlpx clients:.*\bdevplane/\S+ x2\b'):
    if not re.search(pat, text, re.M):
        print('summary lacks', pat); bad += 1
sys.exit(1 if bad else 0)
PYEOF

echo "(whole test: $((SECONDS - T_START)) s)"
echo "PASS"
