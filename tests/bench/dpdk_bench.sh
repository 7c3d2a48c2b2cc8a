#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/bench/dpdk_bench.sh - RX datagrams per second read by the
# dataplane: the socket backend vs the dpdk backend on net_af_packet and
# on net_af_xdp (with bpf/xsksteer), one bootnode at a time on one veth
# end, in namespaces of its own (cleaned up on exit; huge pages reserved
# and restored). Needs root, ip, python3 and an xdp build (the sender).
# Usage: dpdk_bench.sh BUILD_DIR [SECONDS] (or `ninja -C BUILD bench-dpdk`).
#
# The sender is floodgen's AF_XDP TX on the far end of the veth
# (`devplane-flood`, copy mode) sending hash junk: right size, right
# type, wrong hash, from spoofed sources in 10.200.0.0/16, so every
# datagram crosses the backend's RX path and the discv4 stage's first
# checks and is counted in rx_pkts (then dropped as drop_hash, which
# keeps control out of the measurement). Per row: what the sender
# offered, what the dataplane read (devplane_dp_rx_packets_total over
# the flood's duration), and the devplane-dp CPU seconds per second
# (utime + stime of all its threads; a DPDK worker polls, so this is
# near 1 per worker under load).
B=$(cd "${1:-build}" && pwd)
SECS=${2:-4}
HERE=$(cd "$(dirname "$0")" && pwd)
XTAG=d$$
XLEGIT=1
. "$HERE/../integration/xdp_common.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$B/dataplane/devplane-dp" ] || { echo "FAIL: no devplane-dp"; exit 1; }
. "$HERE/../integration/lib_hugepages.sh"
xdp_setup
trap 'xdp_cleanup; hugepages_restore' EXIT INT TERM
hugepages_reserve 40
mac=$(ip -n "$XNS_A" -br link show "$XV0" | awk '{ print $3 }')
ip -n "$XNS_B" neigh replace 10.77.0.1 lladdr "$mac" dev "$XV1" nud permanent
HZ=$(getconf CLK_TCK)

val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
msum() { xdp_metrics "^$1[ {]" | awk '{ s += $2 } END { print s + 0 }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# row NAME DATAPLANE [EAL]: one bootnode, one flood, one line.
row() {
	local name=$1 dp=$2 eal=${3:-} id="" dpid d0 d1 u0 u1 s
	local args=(--dataplane "$dp")
	[ -n "$eal" ] && args+=(--dataplane.eal "$eal")
	setsid nsenter --net="/var/run/netns/$XNS_A" "$B/control/devplane" \
		bootnode --nodekeyhex "$(head -c32 /dev/urandom | od -An -tx1 |
		tr -d ' \n')" --addr 10.77.0.1:30303 "${args[@]}" \
		--metrics.addr 127.0.0.1:9477 </dev/null \
		>"$XTMP/$name.log" 2>&1 &
	BOOT_PID=$!
	XPIDS="$XPIDS $BOOT_PID"
	for _ in $(seq 100); do
		grep -qs "dataplane pid" "$XTMP/$name.log" && break
		sleep 0.1
	done
	dpid=$(grep -o 'dataplane pid [0-9]*' "$XTMP/$name.log" |
		awk '{ print $3 }')
	[ -n "$dpid" ] || { cat "$XTMP/$name.log"; echo "FAIL $name"; return 1; }
	sleep 0.5
	d0=$(msum devplane_dp_rx_packets_total) u0=$(cpu_ticks "$dpid")
	in_b "$B/dataplane/devplane-flood" --iface "$XV1" \
		--target 10.77.0.1:30303 --duration "$SECS" --mix hash=1 \
		--spoof 10.200.0.0/16 >"$XTMP/$name.flood" 2>&1
	d1=$(msum devplane_dp_rx_packets_total) u1=$(cpu_ticks "$dpid")
	s=$(val junk_seconds "$XTMP/$name.flood")
	printf '%-28s %10s %10s %6s\n' "$name" \
		"$(val junk_pps "$XTMP/$name.flood")" "$(rate $((d1 - d0)) "$s")" \
		"$(awk -v t=$((u1 - u0)) -v h="$HZ" -v s="$s" \
			'BEGIN { printf "%.2f", (s > 0 ? t / h / s : 0) }')"
	kill "$BOOT_PID"
	for _ in $(seq 50); do
		kill -0 "$BOOT_PID" "$dpid" 2>/dev/null || break
		sleep 0.1
	done
	XPIDS=""
}

echo "dpdk bench: ${SECS}s of hash junk per row, 1 queue, veth"
printf '%-28s %10s %10s %6s\n' "backend" "offered/s" "read/s" "cpu/s"
row socket socket
row "dpdk net_af_packet" dpdk "--no-huge -m 192 --vdev net_af_packet0,iface=$XV0"
row "dpdk net_af_packet (huge)" dpdk "--vdev net_af_packet0,iface=$XV0"
row "dpdk net_af_xdp" dpdk "--vdev net_af_xdp0,iface=$XV0"
