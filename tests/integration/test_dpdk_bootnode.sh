#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_dpdk_bootnode.sh - devplane bootnode on the dpdk
# backend, in network namespaces made here (root; exit 77 otherwise). Two
# veth pairs between namespace A (the bootnodes) and B (the peers), both
# DPDK processes up at once (EAL --no-shconf / --in-memory: no clash):
#   1. net_af_packet on XV0 (10.77.0.1), attach mode: `devplane-dp --shm
#      PATH --backend dpdk --queues 2 --eal "--no-huge ..."` (normal
#      pages; two workers on PACKET_FANOUT_HASH) and a bootnode attached;
#   2. net_af_xdp on XW0 (10.78.0.1), spawned: `devplane bootnode
#      --dataplane dpdk --dataplane.eal "--vdev net_af_xdp0,iface=XW0"`
#      (--in-memory on 2 MiB pages reserved here through
#      /proc/sys/vm/nr_hugepages, restored at exit; no hugetlbfs mount).
#      One queue: veth reports separate RX/TX channels, no combined ones,
#      and DPDK 22.11's net_af_xdp then allows a single queue.
# For each, from B: `devplane discv4 ping` and the discv4 conformance
# suite pass; TCP to port 30304 and UDP to port 30305 of A's address reach
# the kernel; A's kernel never answers a discovery datagram with a port
# unreachable (Udp NoPorts unchanged); malformed frames and junk datagrams
# are counted and dropped. Counters: `devplane-dp stats` says backend dpdk
# and how many datagrams came in; each port's exit line gives DPDK's own
# counts (and, on net_af_xdp, bpf/xsksteer's redirect/pass split). Last,
# a net_af_xdp dataplane killed with SIGKILL leaves its XDP program
# behind, and the next one removes it and starts.
# Usage: test_dpdk_bootnode.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
XLEGIT=1        # 10.77.1.11: the conformance suite's second tester
. "$(dirname "$0")/xdp_common.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
DP="$B/dataplane/devplane-dp"
DEVPLANE="$B/control/devplane"
XW0=dpy0$XTAG XW1=dpy1$XTAG
. "$(dirname "$0")/lib_hugepages.sh"
HUGE=40         # EAL and one queue's mbuf pool: about 16 pages used

cleanup() {
	xdp_cleanup
	hugepages_restore
}
xdp_setup
trap cleanup EXIT INT TERM
# The second pair, same namespaces, its own subnet.
ip link add "$XW0" numtxqueues 1 numrxqueues 1 type veth peer name "$XW1" \
	numtxqueues 1 numrxqueues 1 || exit 1
ip link set "$XW0" netns "$XNS_A"
ip link set "$XW1" netns "$XNS_B"
ip -n "$XNS_A" addr add 10.78.0.1/16 dev "$XW0"
ip -n "$XNS_B" addr add 10.78.0.2/16 dev "$XW1"
ip -n "$XNS_B" addr add 10.78.1.11/16 dev "$XW1"
ip -n "$XNS_A" link set "$XW0" up
ip -n "$XNS_B" link set "$XW1" up
hugepages_reserve $HUGE
fail=0

# udp_a FIELD: A's Udp counter FIELD (NoPorts, InErrors) from /proc.
udp_a() {
	in_a awk -v f="$1" '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++)
		c[$i] = i; h = 1 } else print $c[f] }' /proc/net/snmp
}

# wait_enode LOG: the bootnode's enode id once it is up.
wait_enode() {
	local id=""
	for _ in $(seq 100); do
		id=$(grep -o '[0-9a-f]\{128\}' "$1" | head -1)
		[ -n "$id" ] && grep -q "dataplane pid" "$1" && break
		sleep 0.1
	done
	echo "$id"
}

# bootnode LOG ADDR FLAGS...: starts a bootnode in A; sets BPID, ENODE.
bootnode() {
	local log=$1 addr=$2 id
	shift 2
	setsid nsenter --net="/var/run/netns/$XNS_A" "$DEVPLANE" bootnode \
		--nodekeyhex "$(head -c32 /dev/urandom | od -An -tx1 |
		tr -d ' \n')" --addr "$addr" "$@" </dev/null >"$log" 2>&1 &
	BPID=$!
	XPIDS="$XPIDS $BPID"
	id=$(wait_enode "$log")
	[ -n "$id" ] || { cat "$log"; return 1; }
	ENODE="enode://$id@$addr"
}

# stop PID: SIGTERM, reaped within 5 s.
stop() {
	kill "$1" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	wait "$1" 2>/dev/null
}

# kernel_path IP: TCP to IP:30304 and UDP to IP:30305 reach listeners of
# A's kernel (the frames go through the DPDK port's interface).
kernel_path() {
	in_a python3 -c '
import socket, sys
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((sys.argv[1], 30304)); t.listen(1); t.settimeout(10)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((sys.argv[1], 30305)); u.settimeout(10)
c, _ = t.accept(); c.sendall(b"tcp-ok"); c.close()
d, a = u.recvfrom(64); u.sendto(d, a)' "$1" &
	local lp=$!
	XPIDS="$XPIDS $lp"
	sleep 0.5
	got=$(in_b python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 30304), 5)
print(s.recv(16).decode(), end=" ")
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(5)
u.sendto(b"udp-ok", (sys.argv[1], 30305)); print(u.recv(64).decode())' "$1")
	wait "$lp" 2>/dev/null
	[ "$got" = "tcp-ok udp-ok" ]
}

# junk IF DSTMAC DSTIP: from B's IF, 5 frames whose IPv4 total length
# claims more than was sent (malformed) and 5 datagrams of 200 junk
# bytes to DSTIP:30303 (no discv4 hash matches), raw, past B's stack.
junk() {
	in_b python3 -c '
import socket, struct, sys
ifn, dmac, dst = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), sys.argv[3]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifn, 0))
smac = s.getsockname()[4]
src = socket.inet_aton(dst[:-1] + "2")
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
def frame(payload, lie):
    udp = struct.pack("!HHHH", 40000, 30303, 8 + len(payload), 0) + payload
    tot = 20 + len(udp) + lie
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, 0, 0x4000, 64, 17, 0,
                     src, socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dmac + smac + b"\x08\x00" + ip + udp
for i in range(5):
    s.send(frame(bytes(200), 300))
    s.send(frame(bytes([i]) * 200, 0))' "$1" "$2" "$3"
}

mac_of() { ip -n "$XNS_A" -br link show "$1" | awk '{ print $3 }'; }

# exit_count LOG PORTNAME FIELD: FIELD of the port's exit line in LOG.
exit_count() {
	grep "^dpdk port .*($2)" "$1" | tail -1 |
		grep -o "$3 [0-9]*" | awk '{ print $2 }'
}

# ---- 1. net_af_packet, attach mode, --no-huge ----
nsenter --net="/var/run/netns/$XNS_A" "$DP" --shm "$XTMP/dp1.shm" \
	--listen 10.77.0.1:30303 --backend dpdk --queues 2 \
	--eal "--no-huge -m 256 --vdev net_af_packet0,iface=$XV0" \
	>"$XTMP/dp1.log" 2>&1 &
DP1=$!
XPIDS="$XPIDS $DP1"
for _ in $(seq 100); do
	[ -S "$XTMP/dp1.shm.sock" ] && break
	sleep 0.1
done
[ -S "$XTMP/dp1.shm.sock" ] || { cat "$XTMP/dp1.log"; echo "FAIL dp1"; exit 1; }
bootnode "$XTMP/boot1.log" 10.77.0.1:30303 \
	--dataplane "attach:$XTMP/dp1.shm" || { echo "FAIL boot1"; exit 1; }
ENODE1=$ENODE BOOT1=$BPID

# ---- 2. net_af_xdp, spawned, huge pages ----
free0=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
bootnode "$XTMP/boot2.log" 10.78.0.1:30303 --dataplane dpdk \
	--dataplane.eal "--vdev net_af_xdp0,iface=$XW0" ||
	{ echo "FAIL boot2 (net_af_xdp on veth)"; exit 1; }
ENODE2=$ENODE BOOT2=$BPID
free1=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
ip -n "$XNS_A" link show "$XW0" | grep -q "prog/xdp.*name xsksteer_xdp" &&
	echo "ok xsksteer attached to $XW0; huge pages free $free0 -> $free1" ||
	{ ip -n "$XNS_A" link show "$XW0"; echo "FAIL no xsksteer"; fail=1; }

nop0=$(udp_a NoPorts) ine0=$(udp_a InErrors)
for e in "$ENODE1" "$ENODE2"; do
	if in_b timeout 20 "$DEVPLANE" discv4 ping "$e" --timeout 2s \
		>/dev/null; then echo "ok ping ${e#*@}"
	else echo "FAIL ping ${e#*@}"; fail=1; fi
done
# Both conformance runs at once (about 5 s each).
in_b "$DEVPLANE" test discv4 --tester-addr 10.77.0.2,10.77.1.11 \
	"$ENODE1" >"$XTMP/v4test1.txt" 2>&1 &
T1=$!
in_b "$DEVPLANE" test discv4 --tester-addr 10.78.0.2,10.78.1.11 \
	"$ENODE2" >"$XTMP/v4test2.txt" 2>&1 &
T2=$!
XPIDS="$XPIDS $T1 $T2"
t=0
for p in $T1 $T2; do
	t=$((t + 1))
	if wait "$p"; then
		echo "ok conformance $t: $(tail -1 "$XTMP/v4test$t.txt")"
	else
		cat "$XTMP/v4test$t.txt"; echo "FAIL conformance $t"; fail=1
	fi
done
for ip in 10.77.0.1 10.78.0.1; do
	kernel_path $ip && echo "ok TCP :30304 and UDP :30305 of $ip in the kernel" ||
		{ echo "FAIL kernel path $ip: '$got'"; fail=1; }
done
junk "$XV1" "$(mac_of "$XV0")" 10.77.0.1
junk "$XW1" "$(mac_of "$XW0")" 10.78.0.1
sleep 0.5
nop1=$(udp_a NoPorts) ine1=$(udp_a InErrors)
# net_af_packet: A's kernel saw every discovery datagram too, and the
# reserved port's filter dropped them (InErrors) instead of an ICMP reply.
[ "$nop1" = "$nop0" ] && [ $((ine1 - ine0)) -gt 10 ] &&
	echo "ok no port unreachable (Udp NoPorts $nop0 -> $nop1, InErrors +$((ine1 - ine0)))" ||
	{ echo "FAIL Udp NoPorts $nop0 -> $nop1, InErrors +$((ine1 - ine0))"; fail=1; }
"$DP" stats --shm "$XTMP/dp1.shm" >"$XTMP/stats1.txt"
st() { awk -v k="$1" '$1 == k { print $2 }' "$XTMP/stats1.txt"; }
if grep -qx "backend dpdk" "$XTMP/stats1.txt" &&
	[ "$(st total.accepted)" -ge 10 ] && [ "$(st total.drop_hash)" -ge 5 ]; then
	echo "ok devplane-dp stats: backend dpdk, rx_pkts $(st total.rx_pkts)" \
	     "(workers $(st worker0.rx_pkts) + $(st worker1.rx_pkts))," \
	     "accepted $(st total.accepted), drop_hash $(st total.drop_hash)"
else
	cat "$XTMP/stats1.txt"; echo "FAIL stats"; fail=1
fi

# ---- the exit lines ----
stop "$BOOT1"
"$DP" stats --shm "$XTMP/dp1.shm" >"$XTMP/stats1.txt"
rx1=$(st total.rx_pkts)
stop "$DP1"
stop "$BOOT2"
L1="$XTMP/dp1.log" L2="$XTMP/boot2.log"
f1=$(exit_count "$L1" net_af_packet0 rx_frames)
n1=$(exit_count "$L1" net_af_packet0 rx_not_ours)
m1=$(exit_count "$L1" net_af_packet0 rx_malformed)
i1=$(exit_count "$L1" net_af_packet0 ipackets)
if [ -n "$f1" ] && [ "$m1" -ge 5 ] && [ "$i1" -ge "$f1" ] &&
	[ $((f1 - n1 - m1)) -ge "$rx1" ] && [ "$rx1" -gt 0 ]; then
	echo "ok net_af_packet0: $f1 frames, $((f1 - n1 - m1)) datagrams to" \
	     "the ring (stats: $rx1), $n1 for the kernel, $m1 malformed"
else
	grep "^dpdk port" "$L1"; echo "FAIL net_af_packet0 exit counters"; fail=1
fi
f2=$(exit_count "$L2" net_af_xdp0 rx_frames)
m2=$(exit_count "$L2" net_af_xdp0 rx_malformed)
r2=$(exit_count "$L2" net_af_xdp0 steer_redirect)
p2=$(exit_count "$L2" net_af_xdp0 steer_pass)
if [ -n "$f2" ] && [ "$f2" -gt 10 ] && [ "$r2" -ge "$f2" ] &&
	[ "$m2" -ge 5 ] && [ "$p2" -gt 0 ]; then
	echo "ok net_af_xdp0: xsksteer redirected $r2 ($f2 frames, $m2" \
	     "malformed), passed $p2 to the kernel"
else
	grep "^dpdk port" "$L2"; echo "FAIL net_af_xdp0 exit counters"; fail=1
fi
ip -n "$XNS_A" link show "$XW0" | grep -q "prog/xdp" &&
	{ echo "FAIL XDP program left on $XW0"; fail=1; }
[ -e "$XTMP/dp1.shm" ] && { echo "FAIL dp1 left its region"; fail=1; }

# ---- a dataplane killed with SIGKILL, then a new one ----
run_xdp_dp() {
	nsenter --net="/var/run/netns/$XNS_A" "$DP" --shm "$XTMP/dp$1.shm" \
		--listen 10.78.0.1:30303 --backend dpdk \
		--eal "--vdev net_af_xdp0,iface=$XW0" >"$XTMP/dp$1.log" 2>&1 &
	DPID=$!
	XPIDS="$XPIDS $DPID"
	for _ in $(seq 100); do
		[ -S "$XTMP/dp$1.shm.sock" ] && return 0
		kill -0 $DPID 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
run_xdp_dp 3 || { cat "$XTMP/dp3.log"; echo "FAIL dp3"; exit 1; }
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
ip -n "$XNS_A" link show "$XW0" | grep -q "prog/xdp.*xsksteer" ||
	{ echo "FAIL SIGKILL left no program (test is void)"; fail=1; }
if run_xdp_dp 4 && grep -q "removed a stale xsksteer_xdp" "$XTMP/dp4.log"; then
	bootnode "$XTMP/boot4.log" 10.78.0.1:30303 \
		--dataplane "attach:$XTMP/dp4.shm" &&
		in_b timeout 20 "$DEVPLANE" discv4 ping "$ENODE" --timeout 2s \
			>/dev/null &&
		echo "ok restart after SIGKILL: stale program removed, ping" ||
		{ echo "FAIL restart ping"; fail=1; }
	stop "$BPID"
else
	cat "$XTMP/dp4.log"; echo "FAIL restart after SIGKILL"; fail=1
fi
stop "$DPID"
exit $fail
