#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/integration/test_geth_crawl.sh - `devplane crawl` (discovery v4 +
# RLPx, the default) over a loopback network of 3 geth v1.17.10 nodes
# (issue 11), bounded in time:
#   - a devplane bootnode; 3 geth nodes on a private chain
#     (tests/integration/lib_geth.sh) with discovery v4 on and our
#     bootnode as their only bootnode, so they find each other through
#     devplane and nothing else;
#   - once our bootnode's table holds the 3 and each geth is peered with
#     another (whose admin.peers then tells us, in geth's own words, the
#     caps of that geth's Hello), `devplane crawl --bootnodes <ours>`
#     on the same chain runs until it runs dry;
#   - its database (--db, table visits: control/store/crawlschema.c) holds, for
#     every geth node, geth's Hello (client id as geth's admin_nodeInfo
#     says, p2p 5, the caps its peers saw), the eth version negotiated
#     (the highest both have: 72), and geth's Status: network id and
#     genesis as admin_nodeInfo says, fork id as geth's own ENR "eth"
#     entry says, the block range as geth's eth_blockNumber, "earliest"
#     block and head hash say; our check "ok", no error, our Disconnect
#     (requested) after the Status;
#   - the summary groups the 3 under geth's client and eth/72, and
#     nodes.json (geth's devp2p node-set format) holds the 3 node ids.
# Without Go or the Go module proxy (tests/interop/geth/install.sh) this
# test fails with install.sh's reason, it is not skipped.
#
# usage: test_geth_crawl.sh DEVPLANE
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE}
. "$(dirname "$0")/lib_geth.sh"
geth_init geth-crawl
geth_install
geth_genesis

start_devplane bootnode boot
BOOT=$ENODE
echo "devplane bootnode: $BOOT"

echo "== 3 geth nodes bootstrapped from our bootnode"
for g in 1 2 3; do
	geth_launch "g$g" --bootnodes "$BOOT" --discovery.v5=false
done
PUBS=()
: >"$WORK/geth.txt"
for g in 1 2 3; do
	geth_ready "g$g"
	PUBS+=("$GETH_PUB")
	# The facts geth states about itself: node info, head, earliest
	# block, the ENR's "eth" entry (fork id).
	info=$(geth_rpc "g$g" admin_nodeInfo) || fail "g$g: admin_nodeInfo"
	num=$(geth_rpc "g$g" eth_blockNumber) || fail "g$g: eth_blockNumber"
	early=$(geth_rpc "g$g" eth_getBlockByNumber '["earliest", false]' |
		json_get 'd["number"]') || fail "g$g: earliest block"
	eth=$("$DEVPLANE" enr dump "$GETH_ENR" |
		sed -n 's/^  eth  *(raw) \([0-9a-f]*\)$/\1/p')
	[ -n "$eth" ] || fail "g$g: no eth entry in geth's record"
	python3 -c 'import json, sys
i = json.loads(sys.argv[1])
print(json.dumps({"g": sys.argv[5], "pub": sys.argv[2], "id": i["id"],
                  "name": i["name"],
                  "network": i["protocols"]["eth"]["network"],
                  "genesis": i["protocols"]["eth"]["genesis"][2:],
                  "head": i["protocols"]["eth"]["head"][2:],
                  "latest": int(json.loads(sys.argv[3]), 16),
                  "earliest": int(sys.argv[4], 16), "eth": sys.argv[6]}))' \
		"$info" "$GETH_PUB" "$num" "$early" "g$g" "$eth" >>"$WORK/geth.txt" ||
		fail "g$g: node info"
	echo "geth g$g: $GETH_ENODE ($GETH_NAME)"
done
GENESIS=$GETH_GENESIS

boot_has_all() {
	table_pubs "$WORK/boot.ipc" >"$WORK/boot.table"
	has_all "$WORK/boot.table" "${PUBS[@]}"
}
wait_until 90 boot_has_all ||
	fail "our bootnode's table lacks geth nodes: $(cat "$WORK/boot.table")"
echo "our bootnode's table holds the 3 geth nodes"

# caps_seen G: the caps of geth G's Hello as another geth lists them in
# its admin.peers (nothing until one of the others is peered with G).
caps_seen() {
	local g=$1 o
	for o in 1 2 3; do
		[ "$o" = "$g" ] && continue
		geth_rpc "g$o" admin_peers 2>/dev/null | python3 -c 'import json, sys
for p in json.load(sys.stdin):
    if p["enode"].startswith("enode://" + sys.argv[1] + "@"):
        print("g%s %s" % (sys.argv[2], ",".join(p["caps"])))
        sys.exit(0)
sys.exit(1)' "${PUBS[$((g - 1))]}" "$o" && return 0
	done
	return 1
}
: >"$WORK/caps.txt"
for g in 1 2 3; do
	wait_until 120 caps_seen "$g" >/dev/null ||
		fail "no other geth node peered with geth g$g"
	seen=$(caps_seen "$g") || fail "geth g$g's peers left"
	echo "g$g ${seen#* }" >>"$WORK/caps.txt"
	echo "geth ${seen%% *} sees geth g$g's caps: ${seen#* }"
done

echo "== devplane crawl from our bootnode"
timeout 180 "$DEVPLANE" crawl --bootnodes "$BOOT" --addr 127.0.0.1:0 \
	--dataplane.budget off --networkid "$GETH_NETWORKID" \
	--genesis "$GENESIS" --db "$WORK/crawl.db" --out "$WORK/nodes.json" \
	>"$WORK/crawl.out" 2>"$WORK/crawl.err"
rc=$?
sed 's/^/  /' "$WORK/crawl.out"
[ $rc = 0 ] || fail "devplane crawl exited with status $rc"

python3 - "$WORK/geth.txt" "$WORK/caps.txt" "$WORK/crawl.db" \
	"$WORK/nodes.json" "$WORK/crawl.out" <<'EOF' || fail "crawl results"
import json, re, sqlite3, sys
gethf, capsf, db, nodes_json, out = sys.argv[1:]
geth = [json.loads(l) for l in open(gethf)]
caps = dict(l.split() for l in open(capsf))

def forkid(raw):
    # The ENR "eth" entry: [[forkhash (4 bytes), forknext]].
    b = bytes.fromhex(raw)
    assert b[0] >= 0xc0 and b[1] >= 0xc0 and b[2] == 0x84, raw
    h, rest = b[3:7].hex(), b[7:]
    if rest[0] < 0x80:
        return h, rest[0]
    return h, int.from_bytes(rest[1:1 + rest[0] - 0x80], 'big')

c = sqlite3.connect(db)
c.row_factory = sqlite3.Row
bad = 0
for g in geth:
    r = c.execute('SELECT * FROM visits WHERE node_id = ?',
                  (bytes.fromhex(g['id']),)).fetchone()
    if r is None:
        print(g['g'], 'no visit row'); bad += 1; continue
    r = dict(r)
    print(g['g'], {k: v for k, v in r.items() if k not in ('node_id',)})
    ours = set(range(68, 73))
    theirs = {int(c[4:]) for c in caps[g['g']].split(',') if c.startswith('eth/')}
    fh, fn = forkid(g['eth'])
    want = {'client_id': g['name'], 'p2p_version': 5,
            'caps': caps[g['g']], 'eth_version': max(ours & theirs),
            'network_id': g['network'], 'genesis': g['genesis'],
            'fork_hash': fh, 'fork_next': fn, 'status_check': 'ok',
            'block_latest_hash': g['head'], 'block_latest': g['latest'],
            'block_earliest': g['earliest'], 'rlpx_error': None,
            'disc_reason': 0, 'disc_remote': 0}
    for k, v in want.items():
        if r[k] != v:
            print('  %s: %r, geth says %r' % (k, r[k], v)); bad += 1
    if r['eth_version'] != 72:
        print('  geth v1.17.10 and devplane share eth/72'); bad += 1
text = open(out).read()
for pat in (r'^rlpx clients:.*\bGeth/v1\.17\.10-stable x3\b',
            r'^rlpx eth versions: 72 x3$'):
    if not re.search(pat, text, re.M):
        print('summary lacks', pat); bad += 1
ns = json.load(open(nodes_json))
for g in geth:
    if g['id'] not in ns:
        print(g['g'], 'not in nodes.json'); bad += 1
sys.exit(1 if bad else 0)
EOF

echo "(whole test: $((SECONDS - T_START)) s)"
echo "PASS"
