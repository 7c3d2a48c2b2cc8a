#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_crawl_testnet.sh - devplane crawl against a local
# devplane testnet: >= 95 % of the nodes found and ENR-verified, nodes.json
# in geth's form, the SQLite rows, and a crawl killed with SIGKILL midway
# leaves a parseable nodes.json and a database passing integrity_check.
# No outcome depends on speed: the testnet retries another port range when
# one is taken, and every wait is for a condition (healthy tables, the
# crawl's nodes.json holding 95 % verified nodes, a first nodes.json
# written), bounded for a loaded 2-core machine (ASan included).
# usage: test_crawl_testnet.sh DEVPLANE [N]
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE [N]}
N=${2:-200}
NEED=$(( (N * 95 + 99) / 100 ))
. "$(dirname "$0")/lib_loopback.sh" crawltn

fail() {
	echo "FAIL: $*" >&2
	tail -5 "$WORK/tn.err" >&2
	[ -f "$WORK/crawl.out" ] && tail -8 "$WORK/crawl.out" >&2
	exit 1
}

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
PIDS+=("$TN")
DPPID=$(sed -n 's/.*dataplane pid \([0-9]*\).*/\1/p' "$WORK/tn.err")
[ -n "$DPPID" ] || fail "testnet did not start"
PIDS+=("$DPPID")
BOOT=$(head -1 "$WORK/tn.out")
case "$BOOT" in enode://*) ;; *) fail "no enode: $BOOT" ;; esac

# Every table >= 16 (about 25 s for 200 nodes on 2 idle cores; 4 minutes
# at most).
for _ in $(seq 480); do
	grep -q 'testnet: healthy' "$WORK/tn.err" && break
	kill -0 "$TN" 2>/dev/null || fail "testnet exited"
	sleep 0.5
done
grep -q 'testnet: healthy' "$WORK/tn.err" || fail "testnet not healthy in 240 s"

# verified FILE: the ENR-verified live nodes in nodes.json FILE (a
# complete file at every moment: the crawler replaces it whole).
verified() {
	python3 - "$1" <<'EOF'
import json, sys
try:
    nodes = json.load(open(sys.argv[1]))
except FileNotFoundError:
    nodes = {}
print(sum(1 for v in nodes.values() if v["record"].startswith("enr:")
          and v["seq"] >= 1 and v["score"] >= 1))
EOF
}

# The crawl, until its nodes.json holds >= 95 % ENR-verified nodes (a
# gcc build gets there in about 23 s, tests/bench/crawl_bench.sh), then
# SIGTERM: it writes its output a last time and prints its summary. Its
# --timeout (it re-checks until then) bounds the wait. The whole testnet
# is one source address: no per-source budget (see demo.sh).
"$DEVPLANE" crawl --bootnodes "$BOOT" \
	--out "$WORK/nodes.json" --db "$WORK/crawl.sqlite" --timeout 240s \
	--parallel 64 --dataplane.budget off >"$WORK/crawl.out" 2>&1 &
CR=$!
PIDS+=("$CR")
for i in $(seq 300); do
	kill -0 "$CR" 2>/dev/null || break
	if [ "$(verified "$WORK/nodes.json")" -ge "$NEED" ]; then
		kill -TERM "$CR"
		break
	fi
	sleep 1
done
kill -0 "$CR" 2>/dev/null && [ "$i" -ge 300 ] && kill -KILL "$CR"
wait "$CR" || fail "crawl exit status $?"
grep -q '^crawl .*ENR verified' "$WORK/crawl.out" || fail "no crawl summary"

python3 - "$WORK/nodes.json" "$WORK/crawl.sqlite" "$N" <<'EOF' || fail "output checks"
import json, re, sqlite3, sys
path, db, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
raw = open(path).read()
nodes = json.loads(raw)
# geth devp2p form (json.MarshalIndent): 4-space indent, the map's keys
# (node ids) sorted, each entry's fields in geth's struct order.
assert raw.rstrip("\n") == json.dumps(nodes, indent=4), "not geth's layout"
assert list(nodes) == sorted(nodes), "node ids not sorted"
order = ["seq", "record", "score", "firstResponse", "lastResponse",
         "lastCheck"]
want = set(order)
for v in nodes.values():
    assert [f for f in v if f in want] == order, list(v)
ts = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
enr = 0
for k, v in nodes.items():
    assert re.fullmatch(r"[0-9a-f]{64}", k), k
    assert want <= set(v), (k, sorted(v))
    for f in ("firstResponse", "lastResponse", "lastCheck"):
        assert ts.match(v[f]), (k, f, v[f])
    if v["record"].startswith("enr:") and v["seq"] >= 1 and v["score"] >= 1:
        enr += 1
need = (n * 95 + 99) // 100
print(f"nodes.json: {len(nodes)} nodes, {enr} ENR-verified (need {need})")
assert len(nodes) >= need and enr >= need, "coverage below 95 %"
con = sqlite3.connect(db)
assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
rows = con.execute("SELECT count(*) FROM crawl_nodes").fetchone()[0]
print(f"crawl.sqlite: {rows} crawl rows")
assert rows >= need, "too few database rows"
EOF

# SIGKILL midway, once it wrote nodes.json at least once: what was
# written stays valid (atomic nodes.json replacement, transactional
# database).
"$DEVPLANE" crawl --bootnodes "$BOOT" --out "$WORK/k.json" \
	--db "$WORK/k.sqlite" --timeout 240s --parallel 64 \
	--dataplane.budget off >"$WORK/k.out" 2>&1 &
CR=$!
PIDS+=("$CR")
for _ in $(seq 600); do
	[ "$(verified "$WORK/k.json")" -ge 1 ] && break
	kill -0 "$CR" 2>/dev/null || break
	sleep 0.1
done
CRDP=$(pgrep -P "$CR" | head -1)
[ -n "$CRDP" ] && PIDS+=("$CRDP")
kill -KILL "$CR"
wait "$CR" 2>/dev/null
[ -n "$CRDP" ] && kill -KILL "$CRDP" 2>/dev/null
[ -f "$WORK/k.json" ] || fail "no nodes.json after a minute of crawling"
python3 - "$WORK/k.json" "$WORK/k.sqlite" <<'EOF' || fail "killed crawl left bad files"
import json, sqlite3, sys
nodes = json.load(open(sys.argv[1]))
con = sqlite3.connect(sys.argv[2])
ok = con.execute("PRAGMA integrity_check").fetchone()[0]
rows = con.execute("SELECT count(*) FROM crawl_nodes").fetchone()[0]
print(f"after SIGKILL: nodes.json {len(nodes)} nodes, db {ok}, {rows} rows")
assert ok == "ok" and len(nodes) > 0
EOF
ls "$WORK"/k.json.* >/dev/null 2>&1 && echo "note: temp file left: $(ls "$WORK"/k.json.*)"

kill -TERM "$TN"
for _ in $(seq 300); do
	kill -0 "$TN" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$TN" 2>/dev/null && fail "testnet ignored SIGTERM"
wait "$TN" || fail "testnet exit status $?"
echo "PASS: $(grep '^crawl .*ENR verified' "$WORK/crawl.out")"
