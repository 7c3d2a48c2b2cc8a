#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_flood_ramp.sh - `devplane-flood --ramp` at
# devplane bootnode's socket dataplane, without privileges, on loopback:
#  1. a short ramp (1000, 2000, 4000, 8000 junk pps, 1 s steps, 200
#     signed pings/s from 16 keys): one well-formed ramp_step line per
#     step, numbered in order, asked rates as scheduled, the pings of each
#     step about 200, answered <= sent and answered_pct their ratio, the
#     first step passing with latencies, then one ramp_end line whose
#     knee agrees with the steps; the dataplane read at least the junk
#     the lines claim (its rx counter plus the kernel's drops);
#  2. the same ramp with the bootnode's control process stopped: the
#     first step has 0 % answered and no latency, the ramp stops there
#     and the knee is "none";
#  3. the generator refuses a ramp with a fixed rate or without pings.
# usage: test_flood_ramp.sh DEVPLANE DEVPLANE_DP DEVPLANE_FLOOD
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE DEVPLANE_DP DEVPLANE_FLOOD}
DPBIN=${2:?usage: $0 DEVPLANE DEVPLANE_DP DEVPLANE_FLOOD}
FLOODBIN=${3:?usage: $0 DEVPLANE DEVPLANE_DP DEVPLANE_FLOOD}
FAIL_LOGS="*.txt *.err"
. "$(dirname "$0")/lib_loopback.sh" ramp
# Loopback addresses of this run's own (all of 127/8 is local): the node
# on 127.N.0.1, junk from 127.N.1.1-32, legitimate keys on 127.N.2.1-16,
# so that the dataplane's per-source budgets are this test's alone.
N=$((20 + ($$ + 97) % 200))
NODE_IP=127.$N.0.1
RAMP=(--ramp 1000:2:1 --ramp-max 8000 --threshold 0.95 --grace-ms 500
      --junk-src "127.$N.1.1+32" --keys 16 --legit-src "127.$N.2.1+16"
      --legit-rate 200)
RATES=(1000 2000 4000 8000)
PINGS=200

# sock_drops: the kernel's drops on the dataplane's socket bound to
# NODE_IP:PORT (the last column of /proc/net/udp).
sock_drops() {
	python3 - "$NODE_IP" "$PORT" <<'PY'
import socket, struct, sys
a = struct.unpack("=I", socket.inet_aton(sys.argv[1]))[0]
want = "%08X:%04X" % (a, int(sys.argv[2]))
n = 0
for line in open("/proc/net/udp").readlines()[1:]:
    f = line.split()
    if f[1] == want:
        n += int(f[-1])
print(n)
PY
}

dpstat() {      # dpstat NAME: a total counter of the spawned dataplane
	"$DPBIN" stats --pid "$DPPID" | awk -v k="total.$1" '$1 == k { print $2 }'
}

# ramp OUT: the ramp at the node, bounded in time.
ramp() {
	timeout 30 "$FLOODBIN" --target "$NODE_IP:$PORT" "${RAMP[@]}" \
		>"$1" 2>"$1.err" || fail "ramp exited $?: $(cat "$1.err")"
}

. "$(dirname "$0")/lib_ramp.sh"

"$DEVPLANE" key generate "$WORK/key" >/dev/null || fail "key generate"
# Port 0: the port it bound is read back from its enode, none guessed free.
"$DEVPLANE" bootnode --nodekey "$WORK/key" --addr "$NODE_IP:0" \
	>"$WORK/boot.out" 2>"$WORK/boot.err" &
BOOT=$!
PIDS+=("$BOOT")
wait_for grep -q '^enode://' "$WORK/boot.out" || fail "no enode printed"
wait_for grep -q 'dataplane pid' "$WORK/boot.err" || fail "no dp pid"
DPPID=$(sed -n 's/.*dataplane pid \([0-9]*\).*/\1/p' "$WORK/boot.err")
PIDS+=("$DPPID")
ENODE=$(head -1 "$WORK/boot.out")
PORT=$(enode_udp_port "$ENODE")

# 1. A short ramp at a running node.
rx0=$(dpstat rx_pkts) sd0=$(sock_drops)
F="$WORK/ramp.txt"
ramp "$F"
cat "$F"
check_lines "$F"
[ "$(kv "$STEP0" verdict)" = ok ] ||
	fail "the node failed at 1000 junk pps: $STEP0"
p50=$(kv "$STEP0" p50_ms) p99=$(kv "$STEP0" p99_ms)
[ "$p50" != none ] && [ "$p99" != none ] &&
	awk -v a="$p50" -v b="$p99" 'BEGIN { exit !(a > 0 && a <= b) }' ||
	fail "step 0 latencies p50 $p50 p99 $p99"
# Every junk packet a step line claims reached the dataplane or was
# dropped by the kernel in front of it.
read_all() {
	[ $(($(dpstat rx_pkts) - rx0 + $(sock_drops) - sd0)) -ge "$JUNK" ]
}
wait_for read_all ||
	fail "the dataplane read $(($(dpstat rx_pkts) - rx0)) packets" \
	     "(kernel dropped $(($(sock_drops) - sd0))), the steps claim $JUNK junk"
echo "ok ramp: $NSTEPS steps, $JUNK junk packets read by the dataplane;" \
     "$END"

# 2. Control stopped: nothing is answered, the knee is none.
kill -STOP "$BOOT"
# SIGSTOP lands asynchronously: wait for it rather than race it.
wait_for grep -q '^State:.*stopped' "/proc/$BOOT/status" ||
	fail "control not stopped"
F="$WORK/ramp_stopped.txt"
ramp "$F"
cat "$F"
check_lines "$F"
[ "$NSTEPS" = 1 ] || fail "$NSTEPS steps at a stopped control"
[ "$(kv "$STEP0" legit_answered)" = 0 ] &&
	[ "$(kv "$STEP0" answered_pct)" = 0.00 ] &&
	[ "$(kv "$STEP0" verdict)" = below ] ||
	fail "stopped control answered: $STEP0"
[ "$(kv "$END" result)" = knee ] && [ "$(kv "$END" knee_pps)" = none ] &&
	[ "$(kv "$END" below_pps)" = 1000 ] ||
	fail "stopped control: $END"
kill -CONT "$BOOT"
echo "ok stopped control: 0 % answered at 1000 pps, knee none"

# The node recovers.
OUT=$(timeout 10 "$DEVPLANE" discv4 ping "$ENODE" --timeout 2s --verbosity 0) ||
	fail "ping after SIGCONT: $OUT"
echo "$OUT" | grep -q 'node responded to ping' || fail "ping printed $OUT"

# 3. What a ramp refuses.
refused() {     # refused WANT ARGS...: exit 2 and WANT on stderr
	local want=$1
	shift
	timeout 10 "$FLOODBIN" --target "$NODE_IP:$PORT" "$@" \
		>/dev/null 2>"$WORK/refuse.err"
	[ $? = 2 ] && grep -q -- "$want" "$WORK/refuse.err" ||
		fail "not refused ($want): $* -> $(cat "$WORK/refuse.err")"
}
refused 'leave out --rate' --ramp 1000:2 --rate 5000 --keys 4 --legit-rate 100
refused 'it needs --keys' --ramp 1000:2
refused 'go with --ramp' --ramp-max 5000 --keys 4 --legit-rate 100
refused 'fewer than 10' --ramp 1000:2:1 --keys 4 --legit-rate 5
refused 'below the ramp' --ramp 1000:2 --ramp-max 500 --keys 4 --legit-rate 100
refused 'usage' --ramp 1000:1 --keys 4 --legit-rate 100
echo "ok refusals"

kill -TERM "$BOOT"
for _ in $(seq 50); do
	kill -0 "$BOOT" 2>/dev/null || kill -0 "$DPPID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$BOOT" 2>/dev/null && fail "bootnode ignored SIGTERM"
echo "PASS"
