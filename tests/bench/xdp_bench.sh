#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/bench/xdp_bench.sh - the XDP shield's benchmarks, side by side in
# one run, in namespaces of its own (cleaned up on exit). Needs root,
# clang, bpftool, ip, python3. Usage: xdp_bench.sh BUILD_DIR [SECONDS]
# (or `ninja -C BUILD bench-xdp`).
#
# The sender is floodgen's AF_XDP TX on the far end of the veth
# (`devplane-flood`, copy mode), which outruns the kernel UDP path.
# Junk is the issue's mix: wrong size, wrong type, bad hash, from spoofed
# sources in 10.200.0.0/16.
#  1. junk absorbed per second: a bare XDP_DROP program (xdp_drop.bpf.c,
#     built here), the shield (bootnode with the xdp backend), and the
#     socket backend (bootnode, kernel UDP, no XDP). For XDP, frames the
#     program ran on per second (kernel.bpf_stats_enabled run_cnt) and its
#     cost per frame (run_time_ns / run_cnt, so capacity per core =
#     1e9 / cost); for the socket backend, datagrams the dataplane
#     received per second (the rest the kernel dropped at the socket).
#  2. legitimate pings answered per second during the junk flood (300
#     keys, 5000 pings/s offered), xdp vs socket backend.
#  3. AF_XDP RX: frames redirected into the ring per second with every
#     shield bucket off (hash junk only), and what the dataplane read,
#     vs the socket backend's datagrams read per second.
#  4. capacity per core, independent of the sender's speed (on veth the
#     receiving XDP program runs on the sender's CPU, so "absorbed pps"
#     above is the sender's speed): the programs' own run time per junk
#     frame with BPF_PROG_TEST_RUN (tests/bench/xdp_capacity.c: bare
#     XDP_DROP vs the shield per junk kind, repeat mode for one frame,
#     ring mode over 65536 spoofed sources in the flood's steady state)
#     => Mpps per core; and the socket backend's CPU per junk packet read
#     during row 1c (utime+stime of devplane-dp and devplane from
#     /proc/PID/stat; plus the softirq time of all CPUs from /proc/stat
#     over the offered packets, the kernel's receive path, an upper
#     bound as it includes anything else the box did) => pps per core.
B=$(cd "${1:-build}" && pwd)
SECS=${2:-4}
HERE=$(cd "$(dirname "$0")" && pwd)
XTAG=b$$
XLEGIT=200
. "$HERE/../integration/xdp_common.sh"
xdp_skip_unless_root
command -v clang >/dev/null || { echo "SKIP: no clang"; exit 77; }
STATS0=$(sysctl -n kernel.bpf_stats_enabled)
xdp_setup
trap 'sysctl -qw kernel.bpf_stats_enabled=$STATS0; xdp_cleanup' EXIT INT TERM
clang -O2 -g -target bpf -Wall -Werror \
	-idirafter "/usr/include/$(gcc -print-multiarch 2>/dev/null ||
		echo x86_64-linux-gnu)" \
	-c "$HERE/xdp_drop.bpf.c" -o "$XTMP/xdp_drop.o" ||
	{ echo "FAIL build xdp_drop"; exit 1; }
cc -O2 -Wall -D_GNU_SOURCE -I"$HERE/../.." -I"$B/bpf" "$HERE/xdp_capacity.c" \
	"$HERE/../../dataplane/shield/shield_loader.c" \
	"$HERE/../../dataplane/shield/shield_maps.c" \
	"$HERE/../../dataplane/shield/shield_cidr.c" -o "$XTMP/xdp-capacity" \
	-lbpf -lxdp || { echo "FAIL build xdp_capacity"; exit 1; }
sysctl -qw kernel.bpf_stats_enabled=1
# The sender's next hop, fixed: the bare drop program eats ARP too.
mac=$(ip -n "$XNS_A" -j link show "$XV0" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
ip -n "$XNS_B" neigh replace 10.77.0.1 lladdr "$mac" dev "$XV1" nud permanent

# flood OUT MIX [legit flags...]: SECS seconds of junk at full speed.
flood() {
	local out=$1 mix=$2
	shift 2
	in_b "$B/dataplane/devplane-flood" --iface "$XV1" \
		--target 10.77.0.1:30303 --duration "$SECS" --mix "$mix" \
		--spoof 10.200.0.0/16 "$@" >"$out" 2>&1
}
val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
prog_stats() {  # prog_stats: "run_cnt run_time_ns" of XV0's XDP program
	local id
	id=$(ip -n "$XNS_A" -j link show "$XV0" | python3 -c '
import json,sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])')
	bpftool prog show id "$id" -j | python3 -c '
import json,sys; d=json.load(sys.stdin); print(d.get("run_cnt",0), d.get("run_time_ns",0))'
}
msum() { xdp_metrics "^$1[ {]" | awk '{ s += $2 } END { print s + 0 }'; }
stop_boot() {
	local dp
	dp=$(pgrep -P "$BOOT_PID")
	kill $BOOT_PID $dp 2>/dev/null
	for _ in $(seq 50); do
		kill -0 $BOOT_PID $dp 2>/dev/null || break; sleep 0.1
	done
	in_a "$B/dataplane/devplane-dp" shield detach --iface "$XV0" \
		>/dev/null 2>&1
	XPIDS=""
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
# cpu_ticks PID...: utime + stime of the processes (all their threads).
cpu_ticks() {
	local t=0 p
	for p in "$@"; do
		t=$((t + $(awk '{ sub(/.*\) /, ""); print $12 + $13 }' \
			"/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo $t
}
# softirq_ticks: softirq time of all CPUs (/proc/stat, field 8).
softirq_ticks() { awk '$1 == "cpu" { print $8 }' /proc/stat; }
HZ=$(getconf CLK_TCK)
JUNK=size=1,type=1,hash=1
LEGIT="--keys 300 $(xdp_legit_args) --legit-rate 5000 --grace-ms 1000"

# 1a. bare XDP_DROP
ip -n "$XNS_A" link set dev "$XV0" xdpdrv obj "$XTMP/xdp_drop.o" sec xdp ||
	{ echo "FAIL attach xdp_drop"; exit 1; }
read -r c0 t0 <<<"$(prog_stats)"
flood "$XTMP/drop.txt" $JUNK
read -r c1 t1 <<<"$(prog_stats)"
ip -n "$XNS_A" link set dev "$XV0" xdpdrv off
s=$(val junk_seconds "$XTMP/drop.txt")
drop_pps=$(rate $((c1 - c0)) "$s")
drop_ns=$(awk -v n=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", (n ? t / n : 0) }')
send_pps=$(val junk_pps "$XTMP/drop.txt")

# 1b + 2. the shield: bootnode with the xdp backend, the flood config.
xdp_bootnode || { echo "FAIL bootnode"; exit 1; }
xdp_shield_cfg
read -r c0 t0 <<<"$(prog_stats)"
flood "$XTMP/shield0.txt" $JUNK
read -r c1 t1 <<<"$(prog_stats)"
s=$(val junk_seconds "$XTMP/shield0.txt")
shield_pps=$(rate $((c1 - c0)) "$s")
shield_ns=$(awk -v n=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", (n ? t / n : 0) }')
shield_send=$(val junk_pps "$XTMP/shield0.txt")
flood "$XTMP/shield.txt" $JUNK $LEGIT
s=$(val junk_seconds "$XTMP/shield.txt")
xdp_legit=$(rate "$(val legit_answered "$XTMP/shield.txt")" "$s")
xdp_legit_sent=$(val legit_sent "$XTMP/shield.txt")
xdp_legit_ans=$(val legit_answered "$XTMP/shield.txt")

# 3a. AF_XDP RX: every bucket off, hash junk only, all to the ring.
in_a "$B/dataplane/devplane-dp" shield attach --iface "$XV0" --port 30303 \
	--rate 0 --prefix-rate 0 --unknown-rate 0 >/dev/null
r0=$(xdp_counter redirect) d0=$(msum devplane_dp_rx_packets_total)
flood "$XTMP/rx.txt" hash=1
r1=$(xdp_counter redirect) d1=$(msum devplane_dp_rx_packets_total)
s=$(val junk_seconds "$XTMP/rx.txt")
ring_pps=$(rate $((r1 - r0)) "$s")
xdp_rx_pps=$(rate $((d1 - d0)) "$s")
stop_boot

# 1c + 2 + 3b. the socket backend (no XDP program on the interface).
XDP_DATAPLANE=socket xdp_bootnode || { echo "FAIL socket bootnode"; exit 1; }
d0=$(msum devplane_dp_rx_packets_total)
dp_pid=$(pgrep -P "$BOOT_PID" | head -1)
u0=$(cpu_ticks "$BOOT_PID" $dp_pid) q0=$(softirq_ticks)
flood "$XTMP/sock0.txt" $JUNK
u1=$(cpu_ticks "$BOOT_PID" $dp_pid) q1=$(softirq_ticks)
d1=$(msum devplane_dp_rx_packets_total)
s=$(val junk_seconds "$XTMP/sock0.txt")
sock_pps=$(rate $((d1 - d0)) "$s")
sock_read=$((d1 - d0))
sock_offered=$(val junk_total "$XTMP/sock0.txt")
sock_cpu_ns=$(awk -v t=$((u1 - u0)) -v n="$sock_read" -v hz="$HZ" \
	'BEGIN { printf "%.0f", (n ? t * 1e9 / hz / n : 0) }')
sock_sirq_ns=$(awk -v t=$((q1 - q0)) -v n="$sock_offered" -v hz="$HZ" \
	'BEGIN { printf "%.0f", (n ? t * 1e9 / hz / n : 0) }')
sock_send=$(val junk_pps "$XTMP/sock0.txt")
flood "$XTMP/sock.txt" $JUNK $LEGIT
s=$(val junk_seconds "$XTMP/sock.txt")
sock_legit=$(rate "$(val legit_answered "$XTMP/sock.txt")" "$s")
sock_legit_sent=$(val legit_sent "$XTMP/sock.txt")
sock_legit_ans=$(val legit_answered "$XTMP/sock.txt")
d0=$(msum devplane_dp_rx_packets_total)
flood "$XTMP/sockrx.txt" hash=1
d1=$(msum devplane_dp_rx_packets_total)
s=$(val junk_seconds "$XTMP/sockrx.txt")
sock_rx_pps=$(rate $((d1 - d0)) "$s")
stop_boot

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }'; }
x() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
printf '%-44s %14s %14s %14s\n' "xdp bench ($SECS s per row, veth, AF_XDP copy TX)" \
	"XDP_DROP" "shield" "socket"
printf '%-44s %14s %14s %14s\n' "junk offered (sender pps)" \
	"$send_pps" "$shield_send" "$sock_send"
printf '%-44s %14s %14s %14s\n' "junk absorbed (pps)" \
	"$drop_pps" "$shield_pps" "$sock_pps"
printf '%-44s %14s %14s %14s\n' "XDP program cost (ns/frame)" \
	"$drop_ns" "$shield_ns" "-"
printf '%-44s %14s %14s %14s\n' "legit pings answered/s under flood" \
	"-" "$xdp_legit ($xdp_legit_ans/$xdp_legit_sent)" \
	"$sock_legit ($sock_legit_ans/$sock_legit_sent)"
printf '%-44s %14s %14s %14s\n' "RX pps into AF_XDP ring / socket read" \
	"-" "$ring_pps" "$sock_rx_pps"
printf '%-44s %14s %14s %14s\n' "  (xdp: read by the dataplane)" \
	"-" "$xdp_rx_pps" "-"
echo "ratios: shield/XDP_DROP absorbed $(pct "$shield_pps" "$drop_pps") %" \
     "(goal >= 80), shield/socket absorbed $(x "$shield_pps" "$sock_pps")x" \
     "(goal >= 15); legit answered/s xdp/socket" \
     "$(x "$xdp_legit" "$sock_legit")x; AF_XDP ring/socket RX" \
     "$(x "$ring_pps" "$sock_rx_pps")x"

# 4. capacity per core (see the header): BPF_PROG_TEST_RUN run times.
echo
echo "capacity per core: program run time per junk frame (BPF_PROG_TEST_RUN," \
     "kernel-timed; ring mode carries one timer read per frame for both;" \
     "net = shield - XDP_DROP, the shield's own work)"
# bpf_stats off: with it on every run pays two clock reads (~60 ns here).
sysctl -qw kernel.bpf_stats_enabled=0
"$XTMP/xdp-capacity" "$XTMP/xdp_drop.o" 3 >"$XTMP/cap.txt" ||
	{ echo "FAIL xdp-capacity"; exit 1; }
printf '%-26s %11s %9s %9s %9s %11s %7s\n' "junk kind (mode)" \
	"XDP_DROP ns" "shield ns" "net ns" "DROP Mpps" "shield Mpps" "ratio"
awk '$3 == "xdp_drop_ns" || $4 == "xdp_drop_ns" {
	o = ($1 == "stage") ? 1 : 0
	k = (o ? "stage " $2 : $1) " (" $(2 + o) ")"
	d = $(4 + o); s = $(6 + o)
	printf "%-26s %11.1f %9.1f %9.1f %9.2f %11.2f %6.1f%%\n", k, d, s,
		s - d, (d > 0 ? 1e3 / d : 0), (s > 0 ? 1e3 / s : 0),
		(s > 0 ? 100 * d / s : 0)
}' "$XTMP/cap.txt"
# The issue's mix, thirds of size / type / hash junk, ring mode.
mix() { awk -v col="$1" '$2 == "ring" && ($1 == "size" || $1 == "type" ||
	$1 == "hash-spoof") { s += $col; n++ } END { printf "%.1f", s / n }' \
	"$XTMP/cap.txt"; }
mix_drop=$(mix 4) mix_shield=$(mix 6)
sock_ns=$((sock_cpu_ns + sock_sirq_ns))
printf '%-44s %s\n' "mix (1/3 each, ring) ns/frame XDP_DROP, shield" \
	"$mix_drop, $mix_shield => $(awk -v s="$mix_shield" \
		'BEGIN { printf "%.2f", 1e3 / s }') Mpps per core for the shield"
printf '%-44s %s\n' "socket backend CPU per junk packet read" \
	"${sock_cpu_ns} ns (devplane-dp + devplane, $sock_read read of $sock_offered offered)"
printf '%-44s %s\n' "  + kernel softirq per offered packet" \
	"${sock_sirq_ns} ns (all CPUs; upper bound)"
printf '%-44s %s\n' "socket capacity per core" \
	"$(awk -v a="$sock_cpu_ns" 'BEGIN { printf "%.0f", (a ? 1e9 / a : 0) }') pps (process only), $(awk -v a="$sock_ns" 'BEGIN { printf "%.0f", (a ? 1e9 / a : 0) }') pps (with softirq)"
echo "capacity ratios: shield/XDP_DROP $(pct "$mix_drop" "$mix_shield") %" \
     "(goal >= 80; ns XDP_DROP / ns shield, mix), shield/socket" \
     "$(x "$sock_cpu_ns" "$mix_shield")x process only," \
     "$(x "$sock_ns" "$mix_shield")x with softirq (goal >= 15)"
