#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_xdp_flood_ramp.sh - `devplane-flood --ramp`
# in AF_XDP mode (junk from spoofed sources through AF_XDP TX on a veth)
# at the xdp bootnode behind the shield, with the same accounting as
# socket mode:
#  1. a 20k, 40k, 80k, 160k junk pps ramp with 200 signed pings/s from 16
#     keys: the report checks of lib_ramp.sh, the first step passing, and
#     the shield saw at least the junk the step lines claim;
#  2. the same ramp with the bootnode's control process stopped: 0 %
#     answered at the first step, the knee "none".
# Root (veth, netns, AF_XDP); exits 77 without.
# Usage: test_xdp_flood_ramp.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
XLEGIT=16
. "$(dirname "$0")/xdp_common.sh"
xdp_skip_unless_root
xdp_setup

fail() {
	echo "FAIL: $*"
	for f in "$XTMP"/*.txt "$XTMP"/*.err "$XTMP/boot.log"; do
		[ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }
	done
	exit 1
}

RATES=(20000 40000 80000 160000)
PINGS=200
. "$(dirname "$0")/lib_ramp.sh"

# ramp OUT: the ramp over AF_XDP from XNS_B, bounded in time.
ramp() {
	in_b timeout 30 "$B/dataplane/devplane-flood" --iface "$XV1" \
		--target 10.77.0.1:30303 --ramp 20000:2:1 --ramp-max 160000 \
		--mix size=1,type=1,hash=1 --keys 16 $(xdp_legit_args) \
		--legit-rate 200 --grace-ms 500 >"$1" 2>"$1.err" ||
		fail "ramp exited $?: $(cat "$1.err")"
}

shield_total() {        # every verdict of the shield, summed
	local s=0 c
	for c in $XCOUNTERS; do s=$((s + $(xdp_counter "$c"))); done
	echo $s
}

xdp_bootnode || fail "bootnode did not start"
xdp_shield_cfg || fail "shield config"

# 1. A running node.
seen0=$(shield_total)
F="$XTMP/ramp.txt"
ramp "$F"
cat "$F"
check_lines "$F"
[ "$(kv "$STEP0" verdict)" = ok ] ||
	fail "the node failed at 20000 junk pps: $STEP0"
[ "$(kv "$STEP0" p50_ms)" != none ] || fail "no latency: $STEP0"
seen=$(( $(shield_total) - seen0 ))
[ "$seen" -ge "$JUNK" ] ||
	fail "the shield saw $seen packets, the steps claim $JUNK junk"
echo "ok AF_XDP ramp: $NSTEPS steps, $JUNK junk (the shield saw $seen" \
     "packets); $END"

# 2. Control stopped.
kill -STOP "$BOOT_PID"
# SIGSTOP takes effect asynchronously: wait for the state, bounded.
for _ in $(seq 100); do
	grep -q '^State:.*stopped' "/proc/$BOOT_PID/status" && break
	sleep 0.05
done
grep -q '^State:.*stopped' "/proc/$BOOT_PID/status" || fail "control not stopped"
F="$XTMP/ramp_stopped.txt"
ramp "$F"
cat "$F"
check_lines "$F"
kill -CONT "$BOOT_PID"
[ "$NSTEPS" = 1 ] && [ "$(kv "$STEP0" legit_answered)" = 0 ] &&
	[ "$(kv "$STEP0" verdict)" = below ] ||
	fail "stopped control: $STEP0"
[ "$(kv "$END" result)" = knee ] && [ "$(kv "$END" knee_pps)" = none ] ||
	fail "stopped control: $END"
echo "ok stopped control: 0 % answered at 20000 pps, knee none"
echo "PASS"
