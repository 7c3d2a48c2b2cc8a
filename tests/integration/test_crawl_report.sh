#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_crawl_report.sh - the crawl report from a real crawl:
# a loopback `devplane testnet` plus three `devplane node`s (RLPx, eth
# Status: two on sepolia, one on a custom chain) crawled into SQLite with
# `devplane crawl --report`; `devplane report` of the same database makes
# the same page; headless Chromium (Debian's) loads it (--dump-dom) and
# takes a screenshot, kept in the build directory (crawl_report.png).
# Checked against the database itself (python3's sqlite3): every chart is
# in the DOM Chromium built, as an SVG with its id, a title and a
# description; each bar's and bin's numbers (data attributes and the text
# next to it) equal the counts of the same question asked in SQL; the
# totals and the coverage lines' final numbers too. No outcome depends on
# speed: waits are for conditions and bounded.
# usage: test_crawl_report.sh DEVPLANE BUILD_DIR [N]
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE BUILD_DIR [N]}
BUILD=${2:?usage: $0 DEVPLANE BUILD_DIR [N]}
N=${3:-30}
. "$(dirname "$0")/lib_loopback.sh" report
CHROMIUM=$(command -v chromium || command -v chromium-browser)
[ -n "$CHROMIUM" ] || fail "chromium not found (deploy/install-deps.sh installs it)"
CUSTOM_GENESIS=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
key() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

# The testnet on N consecutive UDP ports: another random base when it
# cannot bind them all (it exits).
TN=
for _ in $(seq 5); do
	BASE=$((20000 + RANDOM % 30000))
	"$DEVPLANE" testnet --nodes "$N" --base-port "$BASE" \
		>"$WORK/tn.out" 2>"$WORK/tn.err" &
	TN=$!
	for _ in $(seq 300); do
		grep -q 'dataplane pid' "$WORK/tn.err" && break
		kill -0 "$TN" 2>/dev/null || break
		sleep 0.1
	done
	grep -q 'dataplane pid' "$WORK/tn.err" && break
	kill -KILL "$TN" 2>/dev/null
	wait "$TN" 2>/dev/null
	TN=
done
[ -n "$TN" ] || fail "testnet did not start"
PIDS+=("$TN" "$(sed -n 's/.*dataplane pid \([0-9]*\).*/\1/p' "$WORK/tn.err")")
BOOT=$(head -1 "$WORK/tn.out")
for _ in $(seq 480); do
	grep -q 'testnet: healthy' "$WORK/tn.err" && break
	kill -0 "$TN" 2>/dev/null || fail "testnet exited"
	sleep 0.5
done
grep -q 'testnet: healthy' "$WORK/tn.err" || fail "testnet not healthy in 240 s"

# Three RLPx nodes bootstrapped from the testnet (the kernel picks their
# ports; RLPx listens on the same number over TCP, which may be taken:
# three tries each).
ENODES=
start_node() {
	local name=$1 e pid
	shift
	for _ in 1 2 3; do
		"$DEVPLANE" node --nodekeyhex "$(key)" --addr 127.0.0.1:0 \
			--bootnodes "$BOOT" --verbosity 3 "$@" \
			>"$WORK/$name.out" 2>"$WORK/$name.err" &
		pid=$!
		for _ in $(seq 300); do
			e=$(grep -m1 -o 'enode://[^ ]*' "$WORK/$name.out" 2>/dev/null)
			[ -n "$e" ] && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if [ -n "$e" ]; then
			PIDS+=("$pid")
			ENODES="$ENODES,$e"
			return 0
		fi
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	return 1
}
start_node a --chain sepolia || fail "node a did not start"
start_node b --chain sepolia || fail "node b did not start"
start_node c --networkid 4242 --genesis "$CUSTOM_GENESIS" --forks 10,20 ||
	fail "node c did not start"

# The crawl, until it runs dry, with its report at the end.
timeout 300 "$DEVPLANE" crawl --bootnodes "$BOOT$ENODES" --parallel 32 \
	--dataplane.budget off --rlpx-timeout 30s --db "$WORK/crawl.sqlite" \
	--out "$WORK/nodes.json" --report "$WORK/crawl.html" --verbosity 2 \
	>"$WORK/crawl.out" 2>"$WORK/crawl.err" || fail "crawl exit status $?"
grep -q "^report: $WORK/crawl.html" "$WORK/crawl.out" ||
	fail "crawl did not say where its report is"
"$DEVPLANE" report "$WORK/crawl.sqlite" --out "$WORK/report.html" \
	>"$WORK/report.out" 2>"$WORK/report.err" || fail "report exit status $?"
cmp -s "$WORK/crawl.html" "$WORK/report.html" ||
	fail "crawl --report and devplane report differ"

# Chromium: the DOM it built, and a screenshot for people.
chrome() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d "$WORK/chrome.XXXXXX")" "$@" \
		"file://$WORK/report.html" 2>>"$WORK/chromium.err"
}
chrome --dump-dom >"$WORK/dom.html" || fail "chromium --dump-dom"
chrome --screenshot="$BUILD/crawl_report.png" --window-size=1280,2000 \
	>/dev/null || fail "chromium --screenshot"
[ -s "$BUILD/crawl_report.png" ] || fail "no screenshot"

python3 - "$WORK/dom.html" "$WORK/crawl.sqlite" "$BUILD/crawl_report.png" <<'EOF' || fail "report checks"
import sqlite3, sys
from html.parser import HTMLParser
dom, db, png = sys.argv[1:]
assert open(png, 'rb').read(8) == b'\x89PNG\r\n\x1a\n', 'screenshot not a PNG'

class Dom(HTMLParser):
    """Charts (svg id -> marks), totals, and each mark's count text."""
    def __init__(self):
        super().__init__()
        self.svg = {}          # id -> {'bars': [], 'bins': [], 'series': {}}
        self.cur = None
        self.meta = {}         # id -> set of 'title', 'desc', 'role'
        self.totals = {}
        self.dd = None
        self.mark = None       # the bar/bin being read
        self.in_count = False
        self.scripts = 0
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == 'script':
            self.scripts += 1
        if tag == 'svg':
            self.cur = a['id']
            self.svg[self.cur] = {'bars': [], 'bins': [], 'series': {}}
            self.meta[self.cur] = {'role'} if a.get('role') == 'img' else set()
        elif tag in ('title', 'desc') and self.cur and \
                a.get('id', '').startswith(self.cur):
            self.meta[self.cur].add(tag)
        elif tag == 'g' and a.get('class') == 'bar':
            self.mark = {'label': a['data-label'], 'n': int(a['data-count'])}
            self.svg[self.cur]['bars'].append(self.mark)
        elif tag == 'g' and a.get('class') == 'bin':
            self.mark = {'lo': int(a['data-lo']), 'hi': int(a['data-hi']),
                         'n': int(a['data-count'])}
            self.svg[self.cur]['bins'].append(self.mark)
        elif tag == 'polyline':
            self.svg[self.cur]['series'][a['data-key']] = int(a['data-final'])
        elif tag == 'text' and a.get('class') == 'count':
            self.in_count = True
        elif tag == 'dd':
            self.dd = a['data-key']
    def handle_endtag(self, tag):
        if tag == 'svg':
            self.cur = None
        if tag == 'text':
            self.in_count = False
        if tag == 'g':
            self.mark = None
    def handle_data(self, d):
        if self.in_count and self.mark is not None:
            self.mark['text'] = int(d)
        if self.dd:
            self.totals[self.dd] = int(d)
            self.dd = None

p = Dom()
p.feed(open(dom).read())
assert p.scripts == 0, 'the page has a script'
want = ['coverage', 'clients', 'versions', 'caps', 'eth', 'networks',
        'forkids', 'enr-keys', 'disc-errors', 'rlpx-errors', 'degree-out',
        'degree-in']
for w in want:
    assert 'chart-' + w in p.svg, 'missing chart ' + w
    assert p.meta['chart-' + w] == {'role', 'title', 'desc'}, (w, p.meta)
c = sqlite3.connect(db)
cid = c.execute('SELECT max(id) FROM crawls').fetchone()[0]
one = lambda q: c.execute(q, (cid,)).fetchone()[0]
V = 'FROM visits WHERE crawl_id = ?'
# Totals.
tot = {'seen': one('SELECT count(*) FROM crawl_queue WHERE crawl_id = ?'),
       'visited': one('SELECT count(*) ' + V + ' AND started_at IS NOT NULL'),
       'answered': one('SELECT count(*) ' + V + ' AND answered = 1'),
       'verified': one('SELECT count(*) ' + V + ' AND enr_verified = 1'),
       'hello': one('SELECT count(*) ' + V + ' AND client_id IS NOT NULL'),
       'status': one('SELECT count(*) ' + V + ' AND eth_version IS NOT NULL'),
       'crawlers': one('SELECT count(*) FROM crawlers WHERE crawl_id = ?')}
assert p.totals == tot, (p.totals, tot)
assert tot['seen'] >= 3 and tot['hello'] >= 3 and tot['status'] >= 3, tot
# Coverage: the lines end at the totals of what has a time.
s = p.svg['chart-coverage']['series']
assert s['seen'] == tot['seen'], s
assert s['answered'] == one('SELECT count(*) ' + V +
                            ' AND answered = 1 AND finished_at IS NOT NULL'), s
assert s['verified'] == one('SELECT count(*) ' + V +
                            ' AND enr_verified = 1 AND finished_at IS NOT NULL'), s

def bars(chart, rows):
    got = {b['label']: b['n'] for b in p.svg['chart-' + chart]['bars']}
    exp = {str(k): v for k, v in rows}
    assert got == exp, (chart, got, exp)
    for b in p.svg['chart-' + chart]['bars']:
        assert b.get('text') == b['n'], (chart, b)   # the number shown
    return got

def grouped(expr, where):
    return c.execute('SELECT %s, count(*) %s AND %s GROUP BY 1'
                     % (expr, V, where), (cid,)).fetchall()

def split(col):
    n = {}
    for (v,) in c.execute('SELECT %s %s AND %s IS NOT NULL' % (col, V, col),
                          (cid,)):
        for k in v.split(','):
            n[k] = n.get(k, 0) + 1
    return n.items()

cl = bars('clients', grouped('client_name', 'client_name IS NOT NULL'))
assert cl.get('devplane') == 3, cl
bars('versions', grouped("client_name || '/' || coalesce(client_version, '')",
                         'client_name IS NOT NULL'))
bars('caps', split('caps'))
bars('eth', grouped("'eth/' || eth_version", 'eth_version IS NOT NULL'))
nets = bars('networks', grouped("network_id || ' / ' || substr(genesis, 1, 16)",
                                'network_id IS NOT NULL'))
assert sum(v for k, v in nets.items() if k.startswith('11155111 / ')) == 2, nets
assert sum(v for k, v in nets.items() if k.startswith('4242 / 0011223344')) == 1, nets
bars('forkids', grouped("fork_hash || ' / ' || fork_next", 'fork_hash IS NOT NULL'))
keys = bars('enr-keys', split('enr_keys'))
assert keys.get('secp256k1') == tot['verified'], keys
bars('disc-errors', grouped("CASE WHEN disc_error IS NOT NULL THEN disc_error "
                            "WHEN answered = 1 THEN 'answered' ELSE 'no answer' END",
                            'started_at IS NOT NULL'))
bars('rlpx-errors', grouped("coalesce(rlpx_error, 'status received')",
                            'rlpx_tcp IS NOT NULL'))

def degrees(chart, q):
    rows = c.execute(q, (cid,)).fetchall()
    bins = p.svg['chart-' + chart]['bins']
    assert rows and bins, chart
    for b in bins:
        assert b.get('text') == b['n'], (chart, b)
        assert b['n'] == sum(n for d, n in rows if b['lo'] <= d <= b['hi']), (chart, b)
    assert sum(b['n'] for b in bins) == sum(n for _, n in rows), chart
    assert bins[0]['lo'] == rows[0][0] and bins[-1]['hi'] >= rows[-1][0], chart
    return sum(n for _, n in rows)

nodes_out = degrees('degree-out', 'SELECT d, count(*) FROM (SELECT count(*) AS d '
                    'FROM neighbors WHERE crawl_id = ? GROUP BY node_id) GROUP BY d ORDER BY d')
degrees('degree-in', 'SELECT d, count(*) FROM (SELECT count(*) AS d FROM neighbors '
        'WHERE crawl_id = ? GROUP BY neighbor_id) GROUP BY d ORDER BY d')
print('report: %d nodes seen, %d answered, %d verified, %d with Hello, '
      '%d with Status; %d nodes returned neighbours; 12 charts match the '
      'database' % (tot['seen'], tot['answered'], tot['verified'],
                    tot['hello'], tot['status'], nodes_out))
EOF
echo "PASS: report checked in Chromium against the database; screenshot $BUILD/crawl_report.png"
