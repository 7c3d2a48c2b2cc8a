#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_xdp_flood.sh - a bounded flood (>= 1M junk
# frames: wrong size, wrong type, bad hash, replayed pings, spoofed
# sources in 10.200.0.0/16) at the xdp bootnode, mixed with signed pings
# from 300 keys on 200 addresses (one per /24): >= 99 % of them answered,
# and the shield's counters account for every junk frame. The shield runs
# with the buckets of xdp_shield_cfg. Usage: test_xdp_flood.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
. "$(dirname "$0")/xdp_common.sh"
xdp_skip_unless_root
xdp_setup
xdp_bootnode || { echo "FAIL bootnode did not start"; exit 1; }
xdp_shield_cfg || { echo "FAIL shield config"; exit 1; }
before=0
for c in $XCOUNTERS; do
	before=$((before + $(xdp_counter $c)))
done
in_b "$B/dataplane/devplane-dp" flood --iface "$XV1" \
	--target 10.77.0.1:30303 --count 1000000 --duration 60 \
	--mix ${XMIX:-size=1,type=1,hash=1,ping=1} --spoof 10.200.0.0/16 \
	--keys 300 $(xdp_legit_args) --legit-rate 1000 \
	--grace-ms 2000 >"$XTMP/flood.txt" || { echo "FAIL flood"; exit 1; }
cat "$XTMP/flood.txt"
v() { awk -v k="$1" '$1 == k { print $2 }' "$XTMP/flood.txt"; }
after=0
for c in $XCOUNTERS; do
	n=$(xdp_counter $c); echo "shield.$c $n"; after=$((after + n))
done
xdp_metrics 'devplane_dp_(drops|rx_packets|accepted|cache|tx)|devplane_discv4_(packets|drops|encode)' |
	grep -v ' 0$'
fail=0
junk=$(v junk_total) sent=$(v legit_sent) ans=$(v legit_answered)
[ "$junk" -ge 1000000 ] && echo "ok junk $junk" ||
	{ echo "FAIL only $junk junk frames"; fail=1; }
# Every frame the sender completed is one verdict (plus the legit pings,
# their ARP and the bootnode's own pings back, which are few).
seen=$((after - before))
[ "$seen" -ge "$junk" ] && [ "$seen" -le $((junk + sent * 3 + 2000)) ] &&
	echo "ok shield saw $seen for $junk junk + $sent legit" ||
	{ echo "FAIL shield saw $seen for $junk junk + $sent legit"; fail=1; }
[ "$sent" -gt 0 ] && [ $((ans * 100)) -ge $((sent * 99)) ] &&
	echo "ok legit answered $ans/$sent" ||
	{ echo "FAIL legit answered $ans/$sent"; fail=1; }
exit $fail
