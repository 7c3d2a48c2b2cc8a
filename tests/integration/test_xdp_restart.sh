#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_xdp_restart.sh - kill devplane and devplane-dp
# (by pid) during a flood: the pinned shield keeps dropping (its counters
# keep rising with nobody in userspace), and a restarted bootnode re-opens
# the pinned maps (same map ids, an operator ban survives) and answers
# again. The operator's shield settings (`devplane-dp shield attach
# --rate ...`) survive the restarts too: of the spawned dataplane, and of
# an attach-mode `devplane-dp --backend xdp`, whose own --shield-* flags
# change only what they name. Usage: test_xdp_restart.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
. "$(dirname "$0")/xdp_common.sh"
xdp_skip_unless_root
xdp_setup
fail=0
DP="$B/dataplane/devplane-dp"
map_ids() {
	for m in counters blocklist; do
		bpftool map show pinned "/sys/fs/bpf/devplane/$XV0/$m" |
			awk -F: 'NR == 1 { print $1 }'
	done | tr '\n' ' '
}
drops() {
	echo $(($(xdp_counter drop_size) + $(xdp_counter drop_type) +
		$(xdp_counter drop_blocked)))
}
# shield_cfg: the running config as "port rate burst prefix-rate
# prefix-burst unknown-rate unknown-burst", from `shield stats`.
shield_cfg() {
	in_a "$DP" shield stats --iface "$XV0" | awk '
		{ v[$1] = $2 }
		END { print v["port"], v["rate"], v["burst"], v["prefix-rate"],
		      v["prefix-burst"], v["unknown-rate"], v["unknown-burst"] }'
}
# bpftool's view of the same map (BTF-formatted), as a cross-check.
bpftool_src_rate() {
	bpftool map dump pinned "/sys/fs/bpf/devplane/$XV0/cfg_map" -j |
		python3 -c '
import json, sys
print(json.load(sys.stdin)[0]["formatted"]["value"]["src_rate"])'
}
# expect_cfg WHAT WANT: the running config is WANT.
expect_cfg() {
	local got
	got=$(shield_cfg)
	[ "$got" = "$2" ] && echo "ok $1: $got" ||
		{ echo "FAIL $1: config '$got', want '$2'"; fail=1; }
}
xdp_bootnode || { echo "FAIL bootnode did not start"; exit 1; }
ids0=$(map_ids)
in_a "$DP" shield ban --iface "$XV0" 10.99.0.0/16 >/dev/null ||
	{ echo "FAIL ban"; fail=1; }
# The operator tunes the running shield; none of these is a default.
in_a "$DP" shield attach --iface "$XV0" --rate 77 --burst 155 \
	--prefix-rate 777 --prefix-burst 1555 --unknown-rate 7777 \
	--unknown-burst 333 | grep -q "re-opened" ||
	{ echo "FAIL shield attach on the running shield"; fail=1; }
TUNED="30303 77 155 777 1555 7777 333"
expect_cfg "operator's settings in" "$TUNED"
# A flood of 20 s of size/type junk in the background.
in_b "$B/dataplane/devplane-flood" --iface "$XV1" --target 10.77.0.1:30303 --rate 50000 \
	--duration 20 --mix size=1,type=1 --spoof 10.200.0.0/16 \
	>"$XTMP/flood.txt" 2>&1 &
FPID=$!
XPIDS="$XPIDS $FPID"
sleep 2
dpid=$(grep -o 'dataplane pid [0-9]*' "$XTMP/boot.log" | awk '{print $3}')
[ -n "$dpid" ] || { echo "FAIL no dataplane pid in boot.log"; exit 1; }
kill -9 "$dpid"; kill -9 "$BOOT_PID"
sleep 0.5
xdp_alive "$dpid" && { echo "FAIL devplane-dp still alive"; fail=1; }
d0=$(drops)
sleep 2
d1=$(drops)
ip -n "$XNS_A" link show "$XV0" | grep -q "prog/xdp" &&
	echo "ok program still attached with userspace gone" ||
	{ echo "FAIL program gone"; fail=1; }
[ "$d1" -gt "$d0" ] &&
	echo "ok shield kept dropping: $d0 -> $d1 with nobody running" ||
	{ echo "FAIL drops did not rise ($d0 -> $d1)"; fail=1; }
xdp_bootnode || { echo "FAIL restart"; exit 1; }
ids1=$(map_ids)
[ "$ids0" = "$ids1" ] && echo "ok same pinned map ids after restart: $ids1" ||
	{ echo "FAIL map ids $ids0 -> $ids1"; fail=1; }
in_a "$DP" shield bans --iface "$XV0" | grep -q '^10.99.0.0/16' &&
	echo "ok ban survived the restart" ||
	{ echo "FAIL ban lost"; fail=1; }
expect_cfg "settings survived kill -9 and restart" "$TUNED"
r=$(bpftool_src_rate)
[ "$r" = 77 ] && echo "ok bpftool reads src_rate $r from the pinned cfg_map" ||
	{ echo "FAIL bpftool src_rate '$r'"; fail=1; }
if in_b timeout 20 "$B/control/devplane" discv4 ping "$ENODE" \
	--timeout 2s >/dev/null; then echo "ok restarted node answers"
else echo "FAIL ping after restart"; fail=1; fi
d2=$(drops)
wait "$FPID"
d3=$(drops)
[ "$d3" -ge "$d2" ] && echo "ok drops $d2 -> $d3 while flood ended" ||
	{ echo "FAIL drops went back ($d2 -> $d3)"; fail=1; }
grep -E '^junk_(total|pps)' "$XTMP/flood.txt"

# Explicit flags still change what they name, and only that.
in_a "$DP" shield attach --iface "$XV0" --rate 88 >/dev/null ||
	{ echo "FAIL shield attach --rate"; fail=1; }
TUNED="30303 88 155 777 1555 7777 333"
expect_cfg "shield attach --rate 88 changed the rate only" "$TUNED"

# The attach-mode dataplane: without --shield-* flags it keeps all of
# it; after a kill -9, a restart with one flag changes that one.
xdp_stop_bootnode || { echo "FAIL bootnode did not stop"; fail=1; }
attach_dp() {
	setsid nsenter --net="/var/run/netns/$XNS_A" "$DP" \
		--shm "$XTMP/dp.shm" --listen 10.77.0.1:30303 \
		--backend xdp --iface "$XV0" "$@" </dev/null \
		>>"$XTMP/dp.log" 2>&1 &
	ADP=$!
	XPIDS="$XPIDS $ADP"
	for _ in $(seq 50); do
		[ -S "$XTMP/dp.shm.sock" ] && return 0
		xdp_alive "$ADP" || break
		sleep 0.1
	done
	cat "$XTMP/dp.log"
	return 1
}
rm -f "$XTMP/dp.shm.sock"
attach_dp || { echo "FAIL attach-mode dataplane did not start"; exit 1; }
expect_cfg "attach-mode devplane-dp kept the settings" "$TUNED"
kill -9 "$ADP"
for _ in $(seq 50); do xdp_alive "$ADP" || break; sleep 0.1; done
rm -f "$XTMP/dp.shm.sock"
attach_dp --shield-prefix-rate 999 --shield-unknown-burst 444 ||
	{ echo "FAIL attach-mode restart"; exit 1; }
TUNED="30303 88 155 999 1555 7777 444"
expect_cfg "devplane-dp --shield-prefix-rate/--shield-unknown-burst" "$TUNED"
# Settings the shield cannot take stop the dataplane with a reason.
kill "$ADP"
for _ in $(seq 50); do xdp_alive "$ADP" || break; sleep 0.1; done
rm -f "$XTMP/dp.shm.sock"
if in_a "$DP" --shm "$XTMP/bad.shm" --listen 10.77.0.1:30303 \
	--backend xdp --iface "$XV0" --shield-rate 5 --shield-burst 0 \
	>"$XTMP/bad.log" 2>&1; then
	echo "FAIL devplane-dp took --shield-rate 5 --shield-burst 0"; fail=1
else
	grep -q "shield-" "$XTMP/bad.log" &&
		echo "ok invalid --shield-* refused: $(head -1 "$XTMP/bad.log")" ||
		{ cat "$XTMP/bad.log"; echo "FAIL no reason given"; fail=1; }
fi
expect_cfg "a refused start changed nothing" "$TUNED"
# A bootnode attached to the restarted dataplane answers through the
# shield, whose settings are still the operator's.
rm -f "$XTMP/dp.shm.sock"
attach_dp || { echo "FAIL attach-mode dataplane restart"; exit 1; }
XDP_DATAPLANE="attach:$XTMP/dp.shm" xdp_bootnode ||
	{ echo "FAIL bootnode on the attach-mode dataplane"; exit 1; }
r0=$(xdp_counter redirect)
if in_b timeout 20 "$B/control/devplane" discv4 ping "$ENODE" \
	--timeout 2s >/dev/null; then
	echo "ok node on the attach-mode dataplane answers" \
	     "(redirect +$(($(xdp_counter redirect) - r0)))"
else echo "FAIL ping via the attach-mode dataplane"; fail=1; fi
expect_cfg "settings unchanged at the end" "$TUNED"
exit $fail
