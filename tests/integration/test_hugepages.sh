#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_hugepages.sh - the shared-memory rings on 2 MiB
# huge pages (root: reserves pages through /proc/sys/vm/nr_hugepages and
# mounts a hugetlbfs of its own; both restored at exit):
#   - devplane-dp --shm PATH on a hugetlbfs mount (region, .stats and
#     control socket there), `devplane-dp stats`, a bootnode attached to
#     it answers a discv4 ping;
#   - devplane-dp --shm PATH --hugepages (anonymous hugetlb memfd);
#   - the spawned dataplane of a plain `devplane bootnode` (control's
#     memfd) takes huge pages when some are free;
#   - with none free, the same bootnode falls back to normal pages.
# usage: test_hugepages.sh DEVPLANE
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE}
DP=$(dirname "$DEVPLANE")/../dataplane/devplane-dp
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (nr_hugepages, mount)"; exit 77; }
[ -x "$DP" ] || { echo "FAIL: no devplane-dp beside $DEVPLANE"; exit 1; }
. "$(dirname "$0")/lib_hugepages.sh"
grep -q '^Hugepagesize: *2048 kB' /proc/meminfo ||
	{ echo "FAIL: default huge page size is not 2 MiB"; exit 1; }
. "$(dirname "$0")/lib_loopback.sh" huge
HT=$WORK/hugetlbfs

# Unlike the library's: SIGTERM and wait, so that every huge page is
# released before the reservation is restored.
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	mountpoint -q "$HT" && umount "$HT"
	hugepages_restore
	rm -rf "$WORK"
}
trap 'exit 130' INT TERM

free_pages() { awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo; }

rand_port() { echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000)); }

KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')

# bootnode NAME FLAGS...: starts a bootnode, sets BOOT (pid) and ENODE.
bootnode() {
	local name=$1
	shift
	"$DEVPLANE" bootnode --nodekeyhex "$KEY" --verbosity 3 "$@" \
		>"$WORK/$name.out" 2>"$WORK/$name.err" &
	BOOT=$!
	PIDS+=("$BOOT")
	wait_for grep -q '^enode://' "$WORK/$name.out" || fail "$name: no enode"
	ENODE=$(head -1 "$WORK/$name.out")
}

# ping_ok: our discv4 ping of $ENODE is answered.
ping_ok() {
	timeout 20 "$DEVPLANE" discv4 ping "$ENODE" --timeout 2s \
		--verbosity 0 >/dev/null 2>&1 || fail "$1: ping not answered"
}

stop() {    # stop PID: SIGTERM, reaped within 5 s
	kill "$1" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	fail "pid $1 ignored SIGTERM"
}

# Fallback first, while our pages are not reserved yet: with no free huge
# page the spawned dataplane's region takes normal pages and works.
hugepages_lock
if [ "$(free_pages)" = 0 ]; then
	PORT=$(rand_port)
	bootnode normal --addr "127.0.0.1:$PORT"
	grep -q 'rings on normal pages' "$WORK/normal.err" ||
		fail "no free huge pages, yet: $(grep rings "$WORK/normal.err")"
	ping_ok normal
	stop "$BOOT"
else
	echo "note: $(free_pages) huge pages already free; fallback case not run"
fi

# Reserve 24 pages of our own (3 regions of 10 MiB at most at once).
hugepages_reserve 24
[ "$(free_pages)" -ge 24 ] ||
	fail "only $(free_pages) huge pages after asking for $((HP_OLD + 24))"
mkdir -p "$HT"
mount -t hugetlbfs -o pagesize=2M none "$HT" || fail "mount hugetlbfs"

# 1. Attach mode, region and stats on hugetlbfs.
PORT=$(rand_port)
before=$(free_pages)
"$DP" --shm "$HT/dp.shm" --listen "127.0.0.1:$PORT" \
	>"$WORK/dp1.out" 2>"$WORK/dp1.err" &
DP1=$!
PIDS+=("$DP1")
wait_for test -S "$HT/dp.shm.sock" || fail "dp1: no control socket"
[ "$(stat -f -c %T "$HT/dp.shm")" = hugetlbfs ] || fail "dp1: region not on hugetlbfs"
[ "$(free_pages)" -lt "$before" ] || fail "dp1: no huge page taken"
"$DP" stats --shm "$HT/dp.shm" >"$WORK/stats1.txt" || fail "dp1: stats"
grep -q '^total.rx_pkts 0$' "$WORK/stats1.txt" || fail "dp1: stats $(head -3 "$WORK/stats1.txt")"
bootnode att1 --addr "127.0.0.1:$PORT" --dataplane "attach:$HT/dp.shm"
grep -q 'rings on huge pages' "$WORK/att1.err" ||
	fail "att1: $(grep rings "$WORK/att1.err")"
ping_ok att1
"$DP" stats --shm "$HT/dp.shm" >"$WORK/stats1.txt" || fail "dp1: stats"
awk '$1 == "total.accepted" && $2 >= 1 { ok = 1 } END { exit !ok }' \
	"$WORK/stats1.txt" || fail "dp1: $(grep total.accepted "$WORK/stats1.txt")"
stop "$BOOT"
stop "$DP1"
[ -e "$HT/dp.shm" ] && fail "dp1 left its region behind"

# 2. Attach mode, anonymous hugetlb memfd (--hugepages).
PORT=$(rand_port)
"$DP" --shm "$WORK/dp2.shm" --hugepages --listen "127.0.0.1:$PORT" \
	>"$WORK/dp2.out" 2>"$WORK/dp2.err" &
DP2=$!
PIDS+=("$DP2")
wait_for test -S "$WORK/dp2.shm.sock" || fail "dp2: no control socket"
grep -q 'normal pages' "$WORK/dp2.err" && fail "dp2: fell back to normal pages"
bootnode att2 --addr "127.0.0.1:$PORT" --dataplane "attach:$WORK/dp2.shm"
grep -q 'rings on huge pages' "$WORK/att2.err" ||
	fail "att2: $(grep rings "$WORK/att2.err")"
ping_ok att2
stop "$BOOT"
stop "$DP2"

# 3. The spawned dataplane (control's memfd).
PORT=$(rand_port)
bootnode spawned --addr "127.0.0.1:$PORT"
grep -q 'rings on huge pages' "$WORK/spawned.err" ||
	fail "spawned: $(grep rings "$WORK/spawned.err")"
ping_ok spawned
stop "$BOOT"
echo "PASS"
