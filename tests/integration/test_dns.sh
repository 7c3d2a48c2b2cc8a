#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_dns.sh - EIP-1459 end to end through a real DNS
# server (NSD on 127.0.0.1, a config and zones in a temp dir): trees built
# with `devplane dns build` are walked by `devplane dns verify` (every
# record, a link to a second tree followed), a tampered entry and a bad
# root signature are refused; `devplane crawl` seeded from a DNS tree alone
# finds a whole `devplane testnet`; `devplane node` dials the nodes a tree
# lists. Everything on loopback; NSD is stopped by pid.
# usage: test_dns.sh DEVPLANE
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE}
N=12
. "$(dirname "$0")/lib_loopback.sh" dns
. "$(dirname "$0")/lib_dns.sh"
FAIL_LOGS="*.err *.out nsd/nsd.log"

# ---- the trees --------------------------------------------------------------
dns_key "$WORK/sign.key"
dns_key "$WORK/sign2.key"
dns_records 20 10 31000 > "$WORK/a.recs"
dns_records 3 40 32000 > "$WORK/b.recs"
dns_nodes < "$WORK/a.recs" > "$WORK/a.json"
dns_nodes < "$WORK/b.recs" > "$WORK/b.json"
build() {       # build NAME NODES KEY DOMAIN [flags]: prints the URL
	local name=$1 nodes=$2 key=$3 domain=$4
	shift 4
	"$DEVPLANE" dns build "$nodes" --domain "$domain" --key "$key" \
		--out "$WORK/$name" "$@" 2>"$WORK/build.$name.err" ||
		fail "dns build $name"
}
URL_B=$(build b "$WORK/b.json" "$WORK/sign2.key" more.example.net --seq 4)
URL_A=$(build a "$WORK/a.json" "$WORK/sign.key" nodes.example.org \
	--links "$URL_B" --seq 7)
URL_T=$(build tamper "$WORK/a.json" "$WORK/sign.key" tamper.example.org)
URL_S=$(build badsig "$WORK/a.json" "$WORK/sign.key" badsig.example.org)
for z in a/nodes.example.org b/more.example.net tamper/tamper.example.org \
	badsig/badsig.example.org; do
	nsd-checkzone "${z#*/}" "$WORK/$z.zone" >"$WORK/checkzone.out" 2>&1 ||
		fail "nsd-checkzone $z: $(cat "$WORK/checkzone.out")"
done
# One record's text changed (its hash then names another entry), and one
# character of the root's signature.
python3 - "$WORK/tamper/tamper.example.org.zone" \
	"$WORK/badsig/badsig.example.org.zone" <<'EOF' || fail "tampering"
import re, sys
def edit(path, pat, fn):
    text = open(path).read()
    m = re.search(pat, text)
    assert m, pat
    open(path, "w").write(text[:m.start(1)] + fn(m.group(1)) + text[m.end(1):])
flip = lambda s: ("B" if s[0] != "B" else "C") + s[1:]
edit(sys.argv[1], r'"enr:-[A-Za-z0-9_-]{20}([A-Za-z0-9_-])', flip)
edit(sys.argv[2], r' sig=([A-Za-z0-9_-])', flip)
EOF

# ---- a testnet and its tree ---------------------------------------------------
for _ in $(seq 20); do
	BASE=$((20000 + RANDOM % 30000))
	python3 -c "import socket
socks = []
for p in range($BASE, $BASE + $N):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', p)); socks.append(s)" 2>/dev/null && break
done
"$DEVPLANE" testnet --nodes "$N" --base-port "$BASE" \
	>"$WORK/tn.out" 2>"$WORK/tn.err" &
PIDS+=($!)
wait_for grep -q 'dataplane pid' "$WORK/tn.err" || fail "testnet did not start"
PIDS+=("$(sed -n 's/.*dataplane pid \([0-9]*\).*/\1/p' "$WORK/tn.err")")
BOOT=$(head -1 "$WORK/tn.out")
# Every table holds every other node (the testnet's own "healthy" wants
# 16, more than 12 nodes have).
full() { grep -q "table min $((N - 1)) " "$WORK/tn.err"; }
for _ in $(seq 120); do
	full && break
	sleep 0.5
done
full || fail "testnet tables not full in 60 s"
# The testnet's records, from a crawl of it.
timeout -s KILL 60 "$DEVPLANE" crawl --bootnodes "$BOOT" --no-rlpx \
	--out "$WORK/tn.json" --dataplane.budget off --verbosity 2 \
	>"$WORK/crawl1.out" 2>&1 || fail "crawl of the testnet"
python3 - "$WORK/tn.json" "$N" <<'EOF' || fail "first crawl: not every testnet node"
import json, sys
nodes = json.load(open(sys.argv[1]))
enr = [v for v in nodes.values() if v["record"].startswith("enr:")]
print(f"testnet: {len(enr)} ENRs from a crawl")
assert len(enr) == int(sys.argv[2])
EOF
URL_N=$(build testnet "$WORK/tn.json" "$WORK/sign.key" testnet.example.org)

# ---- two nodes the next tree lists -------------------------------------------
for i in 1 2; do
	dns_key "$WORK/node$i.key"
	P[$i]=$(free_port tcp)
	"$DEVPLANE" key to-enr --ip 127.0.0.1 --tcp "${P[$i]}" --udp "${P[$i]}" \
		"$WORK/node$i.key" >> "$WORK/peers.recs" || fail "key to-enr"
done
dns_nodes < "$WORK/peers.recs" > "$WORK/peers.json"
URL_P=$(build peers "$WORK/peers.json" "$WORK/sign2.key" peers.example.org)

nsd_start nodes.example.org "$WORK/a/nodes.example.org.zone" \
	more.example.net "$WORK/b/more.example.net.zone" \
	tamper.example.org "$WORK/tamper/tamper.example.org.zone" \
	badsig.example.org "$WORK/badsig/badsig.example.org.zone" \
	testnet.example.org "$WORK/testnet/testnet.example.org.zone" \
	peers.example.org "$WORK/peers/peers.example.org.zone"
SRV=127.0.0.1:$NSD_PORT

# ---- dns verify -----------------------------------------------------------------
"$DEVPLANE" dns verify "$URL_A" --dns.server "$SRV" --timeout 20s \
	--out "$WORK/found.json" >"$WORK/verify.out" 2>&1 ||
	fail "dns verify of a good tree: $(cat "$WORK/verify.out")"
grep -qF "tree $URL_A: seq 7, " "$WORK/verify.out" &&
	grep -q "nodes.example.org: seq 7, [0-9]* entries, 20 records, 1 links$" "$WORK/verify.out" &&
	grep -q "more.example.net: seq 4, [0-9]* entries, 3 records, 0 links$" "$WORK/verify.out" &&
	grep -q '^ok: 23 records in 2 trees$' "$WORK/verify.out" ||
	fail "dns verify report: $(cat "$WORK/verify.out")"
python3 - "$WORK/found.json" "$WORK/a.json" "$WORK/b.json" <<'EOF' || fail "verify --out: not the trees' records"
import json, sys
found = json.load(open(sys.argv[1]))
want = {}
for p in sys.argv[2:]:
    want.update(json.load(open(p)))
assert {k: v["record"] for k, v in found.items()} == \
       {k: v["record"] for k, v in want.items()}, "records differ"
EOF
echo "ok: dns verify walked 2 trees (a link followed): 23 records, as built"

if "$DEVPLANE" dns verify "$URL_T" --dns.server "$SRV" --timeout 20s \
	>"$WORK/verify_t.out" 2>&1; then
	fail "a tampered tree passed: $(cat "$WORK/verify_t.out")"
fi
grep -Eq '^error: [0-9]+ entr(y|ies) whose text does not hash to its name$' "$WORK/verify_t.out" &&
	grep -q '^FAIL: ' "$WORK/verify_t.out" ||
	fail "tampered tree report: $(cat "$WORK/verify_t.out")"
echo "ok: a tampered entry is refused (hash mismatch, exit 1)"

if "$DEVPLANE" dns verify "$URL_S" --dns.server "$SRV" --timeout 20s \
	>"$WORK/verify_s.out" 2>&1; then
	fail "a bad root signature passed: $(cat "$WORK/verify_s.out")"
fi
grep -q '^error: .* bad root' "$WORK/verify_s.out" &&
	grep -q 'badsig.example.org: no valid root$' "$WORK/verify_s.out" ||
	fail "bad signature report: $(cat "$WORK/verify_s.out")"
echo "ok: a bad root signature is refused (exit 1)"

# A name the server does not have: a failed lookup, exit 1.
if "$DEVPLANE" dns verify "${URL_A%@*}@nowhere.example.org" --dns.server "$SRV" \
	--timeout 20s >"$WORK/verify_n.out" 2>&1; then
	fail "a missing tree passed"
fi
grep -q 'failed lookups' "$WORK/verify_n.out" || fail "missing tree report: $(cat "$WORK/verify_n.out")"

# ---- crawl seeded from DNS alone -------------------------------------------------
timeout -s KILL 90 "$DEVPLANE" crawl --discovery.dns "$URL_N" \
	--dns.server "$SRV" --no-rlpx --out "$WORK/crawl2.json" \
	--dataplane.budget off --verbosity 2 >"$WORK/crawl2.out" 2>&1 ||
	fail "crawl from DNS: exit $?"
grep -q '^dns: trees 1, nodes [1-9]' "$WORK/crawl2.out" ||
	fail "crawl from DNS: no DNS nodes: $(tail -3 "$WORK/crawl2.out")"
python3 - "$WORK/tn.json" "$WORK/crawl2.json" <<'EOF' || fail "crawl from DNS did not find every testnet node"
import json, sys
want, got = (set(json.load(open(p))) for p in sys.argv[1:])
print(f"crawl seeded from DNS alone: {len(want & got)} of {len(want)} testnet nodes")
assert want <= got
EOF

# ---- node: dial candidates from DNS ----------------------------------------------
for i in 1 2; do
	"$DEVPLANE" node --nodekey "$WORK/node$i.key" --addr "127.0.0.1:${P[$i]}" \
		--nodiscover --chain sepolia >"$WORK/node$i.out" 2>"$WORK/node$i.err" &
	PIDS+=($!)
	wait_for grep -q '^enode://' "$WORK/node$i.out" || fail "node $i did not start"
done
dns_key "$WORK/c.key"
"$DEVPLANE" node --nodekey "$WORK/c.key" --addr 127.0.0.1:0 --chain sepolia \
	--bootnodes "" --discovery.dns "$URL_P" --dns.server "$SRV" \
	>"$WORK/c.out" 2>"$WORK/c.err" &
PIDS+=($!)
for i in 1 2; do
	id=$(head -1 "$WORK/node$i.out" | sed 's|enode://\(.\{16\}\).*|\1|')
	for _ in $(seq 3); do
		wait_for grep -q "^event: added proto=ping peer=$id outbound" \
			"$WORK/c.out" && break
	done
	grep -q "^event: added proto=ping peer=$id outbound" "$WORK/c.out" ||
		fail "node C did not dial node $i from the DNS tree"
done
echo "ok: node dialed the 2 nodes its DNS tree lists"

nsd_stop
echo "PASS: test_dns"
