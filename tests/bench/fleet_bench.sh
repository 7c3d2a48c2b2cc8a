#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/bench/fleet_bench.sh - the crawl fleet benchmark (not CI): one
# `devplane testnet` of N nodes (default 1000) on 127.0.0.1, crawled by one
# crawler, then by three sharing a round of one PostgreSQL (started here in
# a temporary directory, Unix socket only), each crawler with --parallel P
# (default 32). Prints, for each: the time from the crawlers' start until
# 95 % of the testnet was covered (visited and answered: the round's
# visits, polled every 0.2 s), the time until the round ended, each
# crawler's peak
# RSS, and the database's size per visited node. Then the same crawl by
# one crawler into SQLite, for its file size per visited node.
# Root or not: as root, PostgreSQL runs as the postgres user.
# usage: fleet_bench.sh [BUILD_DIR] [N] [P]
set -u
BUILD=${1:-build}
N=${2:-1000}
P=${3:-32}
DEVPLANE=$(realpath "$BUILD/control/devplane")
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
WORK=$(mktemp -d /tmp/devplane-fleetbench.XXXXXX)
chmod 755 "$WORK"
TN=
PG=
JOBS=()

as_pg() {
	if [ "$(id -u)" = 0 ]; then
		su postgres -s /bin/sh -c "$1"
	else
		sh -c "$1"
	fi
}

cleanup() {
	for p in "${JOBS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ -n "$TN" ]; then
		kill -TERM "$TN" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$TN" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$TN" 2>/dev/null
	fi
	[ -n "$PG" ] && as_pg "'$PGBIN/pg_ctl' -D '$WORK/pg' -m immediate -w stop" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$DEVPLANE" ] || { echo "fleet_bench: no $DEVPLANE" >&2; exit 1; }
[ -x "$PGBIN/initdb" ] || { echo "fleet_bench: no PostgreSQL server" >&2; exit 1; }
mkdir "$WORK/pg" "$WORK/sock" "$WORK/log"
[ "$(id -u)" = 0 ] && chown postgres "$WORK/pg" "$WORK/sock" "$WORK/log"
as_pg "'$PGBIN/initdb' -D '$WORK/pg' --auth=trust -U postgres" >/dev/null ||
	exit 1
as_pg "'$PGBIN/pg_ctl' -D '$WORK/pg' -l '$WORK/log/pg.log' -w -o \"-k $WORK/sock -c listen_addresses=''\" start" >/dev/null ||
	exit 1
PG=1
PSQL=(psql -X -q -At -h "$WORK/sock" -U postgres)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE bench" || exit 1
URL="postgresql:///bench?host=$WORK/sock&user=postgres"
q() { "${PSQL[@]}" -d bench -c "$1"; }

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
TN=$!
for _ in $(seq 1200); do
	grep -q 'testnet: healthy' "$WORK/tn.err" && break
	kill -0 "$TN" 2>/dev/null || { tail "$WORK/tn.err"; exit 1; }
	sleep 0.5
done
BOOT=$(head -1 "$WORK/tn.out")
NEED=$(( (N * 95 + 99) / 100 ))
echo "fleet_bench: $N-node testnet $(grep -o 'healthy after [0-9.]*s' "$WORK/tn.err"); 95 % = $NEED nodes; --parallel $P per crawler"

# run ROUND K: K crawlers in round ROUND; prints the times, peak RSS and
# database growth.
run() {
	local round=$1 k=$2 t0 t95= tend cid v size0 size1 pids=()

	size0=$(q "SELECT pg_database_size('bench')")
	t0=$(date +%s%N)
	for i in $(seq "$k"); do
		/usr/bin/time -f '%M' -o "$WORK/$round.$i.rss" \
			"$DEVPLANE" crawl --bootnodes "$BOOT" --store "$URL" \
			--crawl-round "$round" --parallel "$P" \
			--dataplane.budget off --timeout 900s --verbosity 2 \
			>"$WORK/$round.$i.out" 2>"$WORK/$round.$i.err" &
		pids+=($!)
		JOBS+=($!)
	done
	cid=
	while :; do
		[ -z "$cid" ] && cid=$(q "SELECT id FROM crawls WHERE name = '$round'" 2>/dev/null)
		if [ -n "$cid" ] && [ -z "$t95" ]; then
			v=$(q "SELECT count(*) FROM visits WHERE crawl_id = $cid AND answered = 1")
			[ "$v" -ge "$NEED" ] && t95=$(date +%s%N)
		fi
		local alive=0
		for p in "${pids[@]}"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ "$alive" = 0 ] && break
		sleep 0.2
	done
	tend=$(date +%s%N)
	wait "${pids[@]}"
	size1=$(q "SELECT pg_database_size('bench')")
	v=$(q "SELECT count(*) FROM visits WHERE crawl_id = $cid")
	printf 'fleet_bench: %d crawler(s): 95 %% after %s s, round over after %.1f s (%d visits, %s answered, %s ENR-verified)\n' \
		"$k" "$( [ -n "$t95" ] && awk "BEGIN{printf \"%.1f\", ($t95 - $t0) / 1e9}" || echo never)" \
		"$(awk "BEGIN{print ($tend - $t0) / 1e9}")" "$v" \
		"$(q "SELECT count(*) FROM visits WHERE crawl_id = $cid AND answered = 1")" \
		"$(q "SELECT count(*) FROM visits WHERE crawl_id = $cid AND enr_verified = 1")"
	for i in $(seq "$k"); do
		printf '  crawler %d: peak RSS %s kB; %s\n' "$i" \
			"$(cat "$WORK/$round.$i.rss")" \
			"$(grep '^store:' "$WORK/$round.$i.out" | sed 's/^store: //')"
	done
	printf '  testnet: %s\n' "$(grep '^testnet: [0-9]' "$WORK/tn.err" | tail -1 | cut -c10-)"
	printf '  PostgreSQL: database grew %d kB, %.0f bytes per visit\n' \
		$(( (size1 - size0) / 1024 )) \
		"$(awk "BEGIN{print ($size1 - $size0) / ($v > 0 ? $v : 1)}")"
}

run one 1
run three 3
q "SELECT relname, pg_size_pretty(pg_total_relation_size(c.oid)) FROM pg_class c
	JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
	AND c.relkind = 'r' ORDER BY pg_total_relation_size(c.oid) DESC" |
	sed 's/^/  table /'

# The same crawl into SQLite: its file per visited node.
t0=$(date +%s%N)
/usr/bin/time -f '%M' -o "$WORK/sqlite.rss" "$DEVPLANE" crawl \
	--bootnodes "$BOOT" --db "$WORK/crawl.sqlite" --parallel "$P" \
	--dataplane.budget off --verbosity 2 >"$WORK/sqlite.out" 2>&1
V=$(sqlite3 "$WORK/crawl.sqlite" "SELECT count(*) FROM visits")
sqlite3 "$WORK/crawl.sqlite" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
S=$(stat -c %s "$WORK/crawl.sqlite")
printf 'fleet_bench: SQLite, 1 crawler: %.1f s, %d visits, file %d kB, %.0f bytes per visit, peak RSS %s kB\n' \
	"$(awk "BEGIN{print ($(date +%s%N) - $t0) / 1e9}")" "$V" $((S / 1024)) \
	"$(awk "BEGIN{print $S / ($V > 0 ? $V : 1)}")" "$(cat "$WORK/sqlite.rss")"

# The crawler's memory per node it knows: the slope of its peak RSS
# between this crawl and one capped at 30 % of the nodes (--max-nodes),
# same rate, same buffers: what a crawl of more nodes adds per node.
CAP=$((N * 3 / 10))
/usr/bin/time -f '%M' -o "$WORK/cap.rss" "$DEVPLANE" crawl \
	--bootnodes "$BOOT" --db "$WORK/cap.sqlite" --parallel "$P" \
	--max-nodes "$CAP" --dataplane.budget off --verbosity 2 \
	>"$WORK/cap.out" 2>&1
SEEN=$(sed -n 's/.*: \([0-9]*\) nodes seen.*/\1/p' "$WORK/sqlite.out")
CSEEN=$(sed -n 's/.*: \([0-9]*\) nodes seen.*/\1/p' "$WORK/cap.out")
printf 'fleet_bench: crawler memory: peak RSS %s kB knowing %s nodes, %s kB knowing %s: %.0f bytes per known node\n' \
	"$(cat "$WORK/sqlite.rss")" "$SEEN" "$(cat "$WORK/cap.rss")" "$CSEEN" \
	"$(awk "BEGIN{print ($(cat "$WORK/sqlite.rss") - $(cat "$WORK/cap.rss")) * 1024 / ($SEEN - $CSEEN > 0 ? $SEEN - $CSEEN : 1)}")"
