#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/integration/test_crawl_rlpx.sh - devplane crawl --rlpx over a loopback network of devplane nodes (sepolia and a custom chain) and @ethereumjs/devp2p DPT + RLPx eth/68 nodes: every node's Hello (client id) and eth Status recorded in the database and the summary; nodes.json keeps geth's fields.
# Nothing depends on speed or on a port being free: the nodes take ports
# the kernel picks (or retry elsewhere), the crawl starts once node A's
# table holds the six others (a bounded wait), and the probes' timeout is
# far above a handshake's time on a loaded machine.
# usage: test_crawl_rlpx.sh DEVPLANE INTEROP_DIR
set -u
DP=$1
IOP=$2
. "$(dirname "$0")/lib_interop.sh"

npm_setup "$IOP"
command -v python3 >/dev/null || die "python3 is not installed"
key() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
CUSTOM_GENESIS=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

# wait_enode FILE PID: the first enode:// line of FILE (30 s; fails at
# once when PID is gone).
wait_enode() {
	for i in $(seq 300); do
		e=$(grep -m1 -o 'enode://[^ ]*' "$1" 2>/dev/null)
		[ -n "$e" ] && { echo "$e"; return 0; }
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# start_node NAME FLAGS...: `devplane node` on 127.0.0.1 at a UDP port
# the kernel picks (RLPx listens on TCP at the same number, which may be
# taken: three tries); sets ENODE. Lives at most 10 minutes (leftovers).
start_node() {
	name=$1
	shift
	for try in 1 2 3; do
		timeout 600 "$DP" node --nodekeyhex "$(key)" \
			--addr 127.0.0.1:0 "$@" \
			>"$WORK/$name.out" 2>"$WORK/$name.err" &
		pid=$!
		if ENODE=$(wait_enode "$WORK/$name.out" "$pid"); then
			PIDS="$PIDS $pid"
			return 0
		fi
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	cat "$WORK/$name.err" >&2
	return 1
}

# tcp_closed PORT: nothing accepts TCP on 127.0.0.1:PORT.
tcp_closed() {
	python3 -c "import socket, sys
s = socket.socket()
try:
    s.connect(('127.0.0.1', $1))
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)"
}

# --chain sepolia with no bootnodes nor DNS tree of its own: no traffic
# off the machine.
start_node a --chain sepolia --bootnodes "" --discovery.dns "" \
	--verbosity 3 --metrics.addr 127.0.0.1:0 ||
	die "node A did not start"
EA=$ENODE
A_METRICS=$(sed -n 's/.*metrics on port \([0-9]*\).*/\1/p' "$WORK/a.err")
[ -n "$A_METRICS" ] || die "node A printed no metrics port"
start_node b --chain sepolia --bootnodes "$EA" --discovery.dns "" \
	--verbosity 2 ||
	die "node B did not start"
EB=$ENODE
start_node c --networkid 4242 --genesis "$CUSTOM_GENESIS" --forks 10,20 \
	--bootnodes "$EA" --verbosity 2 || die "node C did not start"
EC=$ENODE

# Three ethereumjs DPT + RLPx nodes on consecutive ports (another base
# when one is taken).
for try in 1 2 3 4 5; do
	PE=$(rand_port 40000 20000)
	timeout 600 node "$IOP/crawlnet.mjs" --count 3 --base-port "$PE" \
		--bootnode "$EA" --duration 590 --enodes "$WORK/ejs.txt" \
		>"$WORK/ejs.out" 2>&1 &
	EJS=$!
	for i in $(seq 300); do
		grep -q '^LISTENING' "$WORK/ejs.out" && break
		kill -0 "$EJS" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^LISTENING' "$WORK/ejs.out" && break
	kill "$EJS" 2>/dev/null
	wait "$EJS" 2>/dev/null
done
grep -q '^LISTENING' "$WORK/ejs.out" || { cat "$WORK/ejs.out"; die "ethereumjs nodes did not start"; }
PIDS="$PIDS $EJS"
# A discovery-only ethereumjs node: it advertises a TCP port nobody
# listens on (checked), so its probe is refused.
for try in 1 2 3 4 5; do
	PD=$(rand_port 40000 20000)
	tcp_closed "$PD" || continue
	timeout 600 node "$IOP/dpt.mjs" single --port "$PD" --bootnode "$EA" \
		--reping 5 --duration 590 >"$WORK/dpt.out" 2>&1 &
	DPT=$!
	if ED=$(wait_enode "$WORK/dpt.out" "$DPT"); then
		PIDS="$PIDS $DPT"
		break
	fi
	kill "$DPT" 2>/dev/null
	wait "$DPT" 2>/dev/null
	ED=
done
[ -n "$ED" ] || { cat "$WORK/dpt.out"; die "DPT node did not start"; }

# The crawl learns them all from A's Neighbors: wait (2 minutes at most)
# until A's table holds the six others (they bootstrapped from A and
# answered its ping-back; the DPT node pings A again every 5 s in case
# its answer came late).
for i in $(seq 120); do
	t=$(metric 'devplane_discv4_table_nodes ' "$A_METRICS")
	[ "$t" != "?" ] && [ "$t" -ge 6 ] && break
	sleep 1
done
echo "node A's table holds $t nodes"
# (Fewer: the crawl may still learn the rest from B's or C's Neighbors.)

{ echo "$EA"; echo "$EB"; echo "$EC"; cat "$WORK/ejs.txt"; } >"$WORK/all.txt"
echo "$ED" >"$WORK/dpt.txt"
# The DPT node is a bootnode of the crawl as well: it is here for its
# refused probe, and A may have dropped it from its table by the time the
# crawl asks (a revalidation Ping it answered late on a loaded machine), so
# the outcome does not hang on that timing. The six others are learnt from
# Neighbors.
timeout 300 "$DP" crawl --bootnodes "$EA,$ED" --rlpx --rlpx-timeout 60s \
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
# client, network, negotiated eth version (the highest both have: devplane
# nodes speak 68..72, the ethereumjs ones only 68).
want = {pubs[0]: ('devplane/', 11155111, 72),
        pubs[1]: ('devplane/', 11155111, 72), pubs[2]: ('devplane/', 4242, 72)}
for p in pubs[3:]:
    want[p] = ('ethereumjs-devp2p/', 1, 68)
c = sqlite3.connect(db)
# The visits' RLPx parts, keyed by the node's key (crawl_nodes).
rows = {r[0].hex(): r[1:] for r in c.execute(
    'SELECT n.pubkey, v.client_id, v.p2p_version, v.caps, v.listen_port, '
    'v.eth_version, v.network_id, v.genesis, v.fork_hash, v.rlpx_error '
    'FROM visits v JOIN crawl_nodes n ON n.id = v.node_id '
    'WHERE v.rlpx_tcp IS NOT NULL')}
bad = 0
for p, (client, net, ev) in want.items():
    r = rows.get(p)
    if r is None:
        print('missing rlpx row for', p[:16]); bad += 1; continue
    cid, ver, caps, lport, ethv, netid, gen, fork, err = r
    if not cid or not cid.startswith(client) or netid != net or \
       not gen or len(gen) != 64 or not fork or err is not None or \
       not caps or 'eth/68' not in caps or ver is None or ethv != ev:
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
            r'^rlpx eth versions: 68 x3, 72 x3$',
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
