#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_crawl_fleet.sh - a crawl fleet on PostgreSQL: three
# `devplane crawl` processes, each in its own network namespace with its own
# address, share one round of one database (Debian's PostgreSQL, started
# here in a temporary directory on a Unix socket) and crawl a `devplane
# testnet` in a fourth namespace; the namespaces hang off a bridge in a
# fifth. One crawler is killed with SIGKILL midway. Checked in the
# database: every node learnt was visited, once (the visits' sum over the
# crawlers is the row count, each crawler's committed count is what it
# said), the testnet's nodes answered, each crawler did a share, the
# killed crawler's leases went to the others after it died (and its
# committed visits are all there), the round ended. First, the crawl
# database's unit cases run against this PostgreSQL too (concurrent leases
# on several connections included). Needs root (namespaces, and initdb as
# the postgres user, since PostgreSQL refuses root): exits 77 without it.
# Everything it makes (namespaces, veths, bridge, the database cluster, its
# processes) it removes, by name and pid.
# usage: test_crawl_fleet.sh DEVPLANE TEST_CRAWLDB [N]
set -u
DEVPLANE=$(realpath "${1:?usage: $0 DEVPLANE TEST_CRAWLDB [N]}")
TEST_CRAWLDB=$(realpath "${2:?usage: $0 DEVPLANE TEST_CRAWLDB [N]}")
N=${3:-200}
LEASE=3s
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
PATH=$PATH:/usr/sbin:/sbin
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
# Only a missing root is a skip: deploy/install-deps.sh installs these.
for t in ip su python3 psql "$PGBIN/initdb" "$PGBIN/pg_ctl"; do
	command -v "$t" >/dev/null || {
		echo "FAIL: $t not found (deploy/install-deps.sh installs it)"
		exit 1
	}
done

TAG=$$
NS_SW=dpfs$TAG NS_TN=dpft$TAG
NS_C=(dpf1$TAG dpf2$TAG dpf3$TAG)
TN_IP=10.81.0.1
C_IP=(10.81.0.11 10.81.0.12 10.81.0.13)
T=$(mktemp -d /tmp/devplane-fleet.XXXXXX)
chmod 755 "$T"
PG_STARTED=
TN=
CR=()

cleanup() {
	local left
	# This shell's jobs (ip netns exec execs: each is devplane itself)
	# and the dataplanes they spawned, by pid.
	for p in "${CR[@]}" $TN; do
		for c in $(pgrep -P "$p" 2>/dev/null); do
			kill -KILL "$c" 2>/dev/null
		done
	done
	left=$(jobs -pr)
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$left" ] && kill -KILL $left 2>/dev/null
	wait 2>/dev/null
	if [ -n "$PG_STARTED" ]; then
		su postgres -s /bin/sh -c "'$PGBIN/pg_ctl' -D '$T/pg' -m immediate -w stop" \
			>/dev/null 2>&1
	fi
	for ns in "${NS_C[@]}" "$NS_TN" "$NS_SW"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap "exit 1" INT TERM

fail() {
	echo "FAIL: $*" >&2
	for f in "$T"/*.err "$T/pglog/pg.log"; do
		[ -f "$f" ] && { echo "--- $f" >&2; tail -8 "$f" >&2; }
	done
	exit 1
}

# ---- PostgreSQL in $T, on a Unix socket only ---------------------------------
mkdir "$T/pg" "$T/sock" "$T/pglog"
chown postgres "$T/pg" "$T/sock" "$T/pglog"
su postgres -s /bin/sh -c "'$PGBIN/initdb' -D '$T/pg' --auth=trust -U postgres" \
	>"$T/initdb.log" 2>&1 || { cat "$T/initdb.log"; fail "initdb"; }
su postgres -s /bin/sh -c "'$PGBIN/pg_ctl' -D '$T/pg' -l '$T/pglog/pg.log' -w \
	-o \"-k $T/sock -c listen_addresses='' -c max_connections=40\" start" \
	>/dev/null || fail "pg_ctl start"
PG_STARTED=1
PSQL=(psql -X -q -At -h "$T/sock" -U postgres)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE fleet" || fail "createdb"
URL="postgresql:///fleet?host=$T/sock&user=postgres"
q() { "${PSQL[@]}" -d fleet -c "$1"; }

# The crawl database's cases on PostgreSQL (SKIP LOCKED leases over four
# connections at once among them).
DEVPLANE_TEST_PG=$URL "$TEST_CRAWLDB" >"$T/unit.out" 2>&1 || {
	cat "$T/unit.out"
	fail "crawldb unit cases on PostgreSQL"
}
grep -q 'PASSED.*7 test' "$T/unit.out" || fail "crawldb cases did not all run"
echo "crawldb unit cases on PostgreSQL: $(grep -c '^\[       OK' "$T/unit.out") passed"

# ---- the network: a switch namespace with a bridge, a veth per host ----------
ip netns add "$NS_SW" || fail "ip netns add"
ip -n "$NS_SW" link add br0 type bridge
ip -n "$NS_SW" link set br0 up
ip -n "$NS_SW" link set lo up
hosts=("$NS_TN" "${NS_C[@]}")
addrs=("$TN_IP" "${C_IP[@]}")
for i in 0 1 2 3; do
	ns=${hosts[$i]}
	ip netns add "$ns" || fail "ip netns add $ns"
	ip link add "dpfv$i$TAG" type veth peer name "dpfb$i$TAG" ||
		fail "veth"
	ip link set "dpfv$i$TAG" netns "$ns"
	ip link set "dpfb$i$TAG" netns "$NS_SW"
	ip -n "$NS_SW" link set "dpfb$i$TAG" master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "dpfv$i$TAG" name eth0
	ip -n "$ns" addr add "${addrs[$i]}/24" dev eth0
	ip -n "$ns" link set eth0 up
done

# ---- the testnet, on its namespace's address ----------------------------------
ip netns exec "$NS_TN" "$DEVPLANE" testnet --nodes "$N" --ip "$TN_IP" \
	--base-port 30000 >"$T/tn.out" 2>"$T/tn.err" &
TN=$!
for _ in $(seq 480); do
	grep -q 'testnet: healthy' "$T/tn.err" && break
	kill -0 "$TN" 2>/dev/null || fail "testnet exited"
	sleep 0.5
done
grep -q 'testnet: healthy' "$T/tn.err" || fail "testnet not healthy in 240 s"
BOOT=$(head -1 "$T/tn.out")
case "$BOOT" in enode://*@$TN_IP:*) ;; *) fail "no enode on $TN_IP: $BOOT" ;; esac

# ---- three crawlers, one round ----------------------------------------------
for k in 0 1 2; do
	ip netns exec "${NS_C[$k]}" "$DEVPLANE" crawl --bootnodes "$BOOT" \
		--store "$URL" --crawl-round fleet --lease-time "$LEASE" \
		--addr "${C_IP[$k]}:0" --parallel 16 --dataplane.budget off \
		--timeout 300s --verbosity 4 --out "$T/c$k.json" \
		>"$T/c$k.out" 2>"$T/c$k.err" &
	CR+=($!)
done

# committed FILE: the last "committed N visits" a crawler logged (0 if
# none): it logs after each commit, so the database has at least that.
committed() {
	sed -n 's/.*committed \([0-9]*\) visits.*/\1/p' "$1" | tail -1 |
		grep . || echo 0
}

# Crawler 3 dies (SIGKILL, and its dataplane) once it committed a few
# visits: midway, leases in hand.
for _ in $(seq 600); do
	[ "$(committed "$T/c2.err")" -ge 5 ] && break
	kill -0 "${CR[2]}" 2>/dev/null || fail "crawler 3 exited early"
	sleep 0.1
done
[ "$(committed "$T/c2.err")" -ge 5 ] || fail "crawler 3 committed nothing in 60 s"
KILLED_DP=$(pgrep -P "${CR[2]}")
KILL_MS=$(date +%s%3N)
kill -KILL "${CR[2]}"
# shellcheck disable=SC2086
[ -n "$KILLED_DP" ] && kill -KILL $KILLED_DP
wait "${CR[2]}" 2>/dev/null
KILLED_SAID=$(committed "$T/c2.err")
KILLED_ID=$(sed -n 's/.*crawler id \([0-9]*\).*/\1/p' "$T/c2.err" | head -1)
echo "crawler 3 (id $KILLED_ID) killed after committing $KILLED_SAID visits"

# The two others finish the round (it ends when its queue ran dry).
for k in 0 1; do
	for _ in $(seq 3000); do
		kill -0 "${CR[$k]}" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "${CR[$k]}" 2>/dev/null && fail "crawler $((k + 1)) still running after 300 s"
	wait "${CR[$k]}" || fail "crawler $((k + 1)) exit status $?"
	grep -q '^store: crawl' "$T/c$k.out" || fail "crawler $((k + 1)): no store line"
done

# ---- the round in the database ----------------------------------------------
CID=$(q "SELECT id FROM crawls WHERE name = 'fleet'")
[ -n "$CID" ] || fail "no crawl 'fleet'"
Q=$(q "SELECT count(*) FROM crawl_queue WHERE crawl_id = $CID")
NOT_DONE=$(q "SELECT count(*) FROM crawl_queue WHERE crawl_id = $CID AND state <> 2")
VISITS=$(q "SELECT count(*) FROM visits WHERE crawl_id = $CID")
echo "round $CID: $Q nodes learnt, $VISITS visits, $NOT_DONE not done"
[ "$NOT_DONE" = 0 ] || fail "$NOT_DONE nodes left undone"
[ "$VISITS" = "$Q" ] || fail "visits $VISITS != nodes $Q"

# The whole testnet answered (nodes on its address); the rest are the
# crawlers themselves, which the testnet's tables learnt.
TN_ANSWERED=$(q "SELECT count(*) FROM visits v JOIN crawl_queue q ON
	q.crawl_id = v.crawl_id AND q.node_id = v.node_id
	WHERE v.crawl_id = $CID AND v.answered = 1 AND v.enr_verified = 1
	AND q.ip = decode('00000000000000000000ffff0a510001', 'hex')")
echo "testnet nodes answered and ENR-verified: $TN_ANSWERED of $N"
[ "$TN_ANSWERED" -ge $(( (N * 95 + 99) / 100 )) ] || fail "coverage below 95 %"

# Each visit once: what the crawlers committed adds up to the rows, each
# survivor's rows are what it said, the killed one's rows are at least
# what it logged before dying.
SUM=0
for k in 0 1; do
	id=$(sed -n 's/.*crawler id \([0-9]*\).*/\1/p' "$T/c$k.err" | head -1)
	said=$(sed -n 's/.*crawler [0-9]*: \([0-9]*\) visits committed.*/\1/p' "$T/c$k.out")
	rows=$(q "SELECT count(*) FROM visits WHERE crawl_id = $CID AND crawler_id = $id")
	row=$(q "SELECT visits, leases_lost, ended_at IS NOT NULL FROM crawlers WHERE id = $id")
	echo "crawler $((k + 1)) (id $id): said $said, $rows rows, crawlers row $row"
	[ "$said" = "$rows" ] || fail "crawler $((k + 1)) said $said, has $rows rows"
	[ "$row" = "$said|0|t" ] || fail "crawler $((k + 1)) row $row"
	[ "$rows" -ge $((VISITS / 10)) ] || fail "crawler $((k + 1)) did too little: $rows"
	SUM=$((SUM + rows))
done
KROWS=$(q "SELECT count(*) FROM visits WHERE crawl_id = $CID AND crawler_id = $KILLED_ID")
echo "killed crawler: logged $KILLED_SAID, $KROWS rows"
[ "$KROWS" -ge "$KILLED_SAID" ] || fail "killed crawler's committed visits lost"
[ "$KROWS" -ge 1 ] || fail "killed crawler did nothing"
SUM=$((SUM + KROWS))
[ "$SUM" = "$VISITS" ] || fail "crawlers' visits add up to $SUM, rows $VISITS"
[ "$(q "SELECT ended_at IS NULL FROM crawlers WHERE id = $KILLED_ID")" = t ] ||
	fail "the killed crawler's row says it ended"

# Its leases: taken again (attempts 2) by the others, after it died.
RELEASED=$(q "SELECT count(*) FROM crawl_queue WHERE crawl_id = $CID AND attempts > 1")
BAD=$(q "SELECT count(*) FROM crawl_queue q JOIN visits v ON
	q.crawl_id = v.crawl_id AND q.node_id = v.node_id
	WHERE q.crawl_id = $CID AND q.attempts > 1 AND
	(v.crawler_id = $KILLED_ID OR v.started_at < $KILL_MS)")
FIRST=$(q "SELECT min(v.started_at) - $KILL_MS FROM crawl_queue q JOIN visits v ON
	q.crawl_id = v.crawl_id AND q.node_id = v.node_id
	WHERE q.crawl_id = $CID AND q.attempts > 1")
echo "killed crawler's leases visited again: $RELEASED (first ${FIRST} ms after the kill, lease $LEASE)"
[ "$RELEASED" -ge 1 ] || fail "no lease of the killed crawler was taken over"
[ "$BAD" = 0 ] || fail "$BAD leases taken over before the kill"
[ "$(q "SELECT max(attempts) FROM crawl_queue WHERE crawl_id = $CID")" -le 2 ] ||
	fail "a node leased three times"
[ "$(q "SELECT ended_at IS NOT NULL FROM crawls WHERE id = $CID")" = t ] ||
	fail "the round did not end"

# The report of the round, from PostgreSQL.
"$DEVPLANE" report "$URL" --crawl-round fleet --out "$T/fleet.html" \
	>"$T/report.out" 2>"$T/report.err" || fail "report"
grep -q "<dd data-key=\"seen\">$Q</dd>" "$T/fleet.html" || fail "report: seen != $Q"
grep -q "<dd data-key=\"crawlers\">3</dd>" "$T/fleet.html" || fail "report: crawlers"

echo "PASS: $VISITS visits by 3 crawlers (one killed) in one round; database $(q "SELECT pg_size_pretty(pg_database_size('fleet'))")"
