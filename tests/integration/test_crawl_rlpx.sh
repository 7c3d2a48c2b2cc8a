#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/integration/test_crawl_rlpx.sh - devplane crawl --rlpx over a loopback network of devplane nodes (sepolia and a custom chain) and @ethereumjs/devp2p DPT + RLPx eth/68 nodes: every node's Hello (client id) and eth Status recorded in the database and the summary; nodes.json keeps geth's fields.
# usage: test_crawl_rlpx.sh DEVPLANE INTEROP_DIR
set -u
DP=$1
IOP=$2
. "$(dirname "$0")/lib_interop.sh"

npm_setup "$IOP"
command -v python3 >/dev/null || die "python3 is not installed"
key() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
CUSTOM_GENESIS=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

# wait_enode FILE: the first enode:// line of FILE (5 s).
wait_enode() {
	for i in $(seq 50); do
		e=$(grep -m1 -o 'enode://[^ ]*' "$1" 2>/dev/null)
		[ -n "$e" ] && { echo "$e"; return 0; }
		sleep 0.1
	done
	return 1
}

PA=$(rand_port 30000 10000)
timeout 90 "$DP" node --nodekeyhex "$(key)" --addr 127.0.0.1:$PA \
	--chain sepolia --bootnodes "" --discovery.dns "" --verbosity 2 \
	>"$WORK/a.out" 2>"$WORK/a.err" &
PIDS="$PIDS $!"
EA=$(wait_enode "$WORK/a.out") || { cat "$WORK/a.err"; die "node A printed no enode"; }
timeout 90 "$DP" node --nodekeyhex "$(key)" --addr 127.0.0.1:$((PA + 1)) \
	--chain sepolia --bootnodes "$EA" --discovery.dns "" --verbosity 2 \
	>"$WORK/b.out" 2>"$WORK/b.err" &
PIDS="$PIDS $!"
timeout 90 "$DP" node --nodekeyhex "$(key)" --addr 127.0.0.1:$((PA + 2)) \
	--networkid 4242 --genesis "$CUSTOM_GENESIS" --forks 10,20 \
	--bootnodes "$EA" --verbosity 2 >"$WORK/c.out" 2>"$WORK/c.err" &
PIDS="$PIDS $!"
EB=$(wait_enode "$WORK/b.out") || die "node B printed no enode"
EC=$(wait_enode "$WORK/c.out") || die "node C printed no enode"

PE=$(rand_port 40000 10000)
timeout 90 node "$IOP/crawlnet.mjs" --count 3 --base-port "$PE" \
	--bootnode "$EA" --duration 80 --enodes "$WORK/ejs.txt" \
	>"$WORK/ejs.out" 2>&1 &
PIDS="$PIDS $!"
for i in $(seq 100); do
	grep -q '^LISTENING' "$WORK/ejs.out" && break
	sleep 0.1
done
grep -q '^LISTENING' "$WORK/ejs.out" || { cat "$WORK/ejs.out"; die "ethereumjs nodes did not start"; }
# A discovery-only ethereumjs node: it advertises a TCP port nobody
# listens on, so its probe is refused.
PD=$((PE + 10))
timeout 90 node "$IOP/dpt.mjs" single --port "$PD" --bootnode "$EA" \
	--duration 80 >"$WORK/dpt.out" 2>&1 &
PIDS="$PIDS $!"
ED=$(wait_enode "$WORK/dpt.out") || { cat "$WORK/dpt.out"; die "DPT node did not start"; }
sleep 3         # let the tables fill (ethereumjs bonds with A, B, C bond)

{ echo "$EA"; echo "$EB"; echo "$EC"; cat "$WORK/ejs.txt"; } >"$WORK/all.txt"
echo "$ED" >"$WORK/dpt.txt"
timeout 120 "$DP" crawl --bootnodes "$EA" --rlpx --rlpx-timeout 5s \
	--db "$WORK/crawl.db" --out "$WORK/nodes.json" --verbosity 2 \
	>"$WORK/crawl.out" 2>"$WORK/crawl.err" ||
	{ cat "$WORK/crawl.out" "$WORK/crawl.err"; die "crawl failed"; }
cat "$WORK/crawl.out"

python3 - "$WORK/crawl.db" "$WORK/all.txt" "$WORK/nodes.json" \
	"$WORK/crawl.out" "$WORK/dpt.txt" <<'EOF' || die "crawl results"
import json, re, sqlite3, sys
db, allf, nodes_json, out, dptf = sys.argv[1:]
dpt = re.match(r'enode://([0-9a-f]{128})@', open(dptf).read()).group(1)
enodes = [l.strip() for l in open(allf) if l.strip()]
pubs = [re.match(r'enode://([0-9a-f]{128})@', e).group(1) for e in enodes]
want = {pubs[0]: ('devplane/', 11155111), pubs[1]: ('devplane/', 11155111),
        pubs[2]: ('devplane/', 4242)}
for p in pubs[3:]:
    want[p] = ('ethereumjs-devp2p/', 1)
c = sqlite3.connect(db)
rows = {r[0].hex(): r[1:] for r in c.execute(
    'SELECT pub, client_id, p2p_version, caps, listen_port, eth_version, '
    'network_id, genesis, fork_hash, error FROM rlpx')}
bad = 0
for p, (client, net) in want.items():
    r = rows.get(p)
    if r is None:
        print('missing rlpx row for', p[:16]); bad += 1; continue
    cid, ver, caps, lport, ethv, netid, gen, fork, err = r
    if not cid or not cid.startswith(client) or netid != net or \
       not gen or len(gen) != 64 or not fork or err is not None or \
       not caps or 'eth/68' not in caps or ver is None:
        print('bad row', p[:16], r); bad += 1
r = rows.pop(dpt, None)
if r is None or r[0] is not None or r[5] is not None or r[8] != 'refused':
    print('discovery-only node: want a refused probe, got', r); bad += 1
for p, r in rows.items():
    if p not in want:
        print('unexpected node', p[:16], r); bad += 1
text = open(out).read()
for pat in (r'rlpx: 7 probed, 6 hello, 6 status \(3 compatible\), 1 failed', r'rlpx clients:.*devplane/v[0-9.]+ x3',
            r'rlpx clients:.*ethereumjs-devp2p/[^ ,]+ x3',
            r'rlpx networks:.*\b1/d4e56740 x3', r'rlpx networks:.*11155111/25a5cc10 x2',
            r'rlpx networks:.*4242/00112233 x1', r'rlpx fork ids: .*x3',
            r'rlpx errors: refused x1$'):
    if not re.search(pat, text, re.M):
        print('summary lacks', pat); bad += 1
# nodes.json: geth's node-set fields only.
ns = json.load(open(nodes_json))
geth = {'seq', 'record', 'score', 'firstResponse', 'lastResponse',
        'lastCheck'}
for k, v in ns.items():
    if not set(v) <= geth:
        print('nodes.json has extra fields', set(v) - geth); bad += 1
        break
sys.exit(1 if bad else 0)
EOF
echo "PASS: crawl --rlpx recorded Hello and Status of 3 devplane and 3 ethereumjs nodes, and a refused probe"
