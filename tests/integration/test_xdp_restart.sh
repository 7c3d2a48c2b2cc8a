#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_xdp_restart.sh - kill devplane and devplane-dp
# (by pid) during a flood: the pinned shield keeps dropping (its counters
# keep rising with nobody in userspace), and a restarted bootnode re-opens
# the pinned maps (same map ids, an operator ban survives) and answers
# again. Usage: test_xdp_restart.sh BUILD_DIR
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
xdp_bootnode || { echo "FAIL bootnode did not start"; exit 1; }
ids0=$(map_ids)
in_a "$DP" shield ban --iface "$XV0" 10.99.0.0/16 >/dev/null ||
	{ echo "FAIL ban"; fail=1; }
# A flood of 20 s of size/type junk in the background.
in_b "$DP" flood --iface "$XV1" --target 10.77.0.1:30303 --rate 50000 \
	--duration 20 --mix size=1,type=1 --spoof 10.200.0.0/16 \
	>"$XTMP/flood.txt" 2>&1 &
FPID=$!
XPIDS="$XPIDS $FPID"
sleep 2
dpid=$(grep -o 'dataplane pid [0-9]*' "$XTMP/boot.log" | awk '{print $3}')
[ -n "$dpid" ] || { echo "FAIL no dataplane pid in boot.log"; exit 1; }
kill -9 "$dpid"; kill -9 "$BOOT_PID"
sleep 0.5
grep -qs "^State:.*[RSD]" "/proc/$dpid/status" &&
	{ echo "FAIL devplane-dp still alive"; fail=1; }
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
if in_b timeout 20 "$B/control/devplane" discv4 ping "$ENODE" \
	--timeout 2s >/dev/null; then echo "ok restarted node answers"
else echo "FAIL ping after restart"; fail=1; fi
d2=$(drops)
wait "$FPID"
d3=$(drops)
[ "$d3" -ge "$d2" ] && echo "ok drops $d2 -> $d3 while flood ended" ||
	{ echo "FAIL drops went back ($d2 -> $d3)"; fail=1; }
grep -E '^junk_(total|pps)' "$XTMP/flood.txt"
exit $fail
