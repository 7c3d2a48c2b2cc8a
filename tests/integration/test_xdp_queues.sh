#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_xdp_queues.sh - --dataplane.queues 2 on a veth
# pair with two RX/TX queues a side: the bootnode's dataplane binds one
# AF_XDP socket per queue (worker q reads only the socket bound to queue
# q, so RX counted by both workers means both sockets took packets the
# shield redirected, and pass_no_xsk stays 0), answers every node, and
# proves the endpoint of every node whichever queue its Pong arrives on.
#
# How flows reach the queues: veth delivers a frame on the peer's RX
# queue numbered like the TX queue the sender's kernel picked, and with
# no XPS on veth that is chosen from the sending socket's random flow
# hash. Each `devplane discv4 resolve` below is a new process with its own
# socket, so the 20 of them spread over both queues; all landing on one
# queue has probability 2^-19, which is what the per-queue check risks.
# Our answers all leave through worker 0: control queues a discv4 packet
# on worker sock_idx % queues, and a bootnode has one socket.
# Usage: test_xdp_queues.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
. "$(dirname "$0")/xdp_common.sh"
xdp_skip_unless_root
N=20
XQUEUES=2 XLEGIT=$N xdp_setup
fail=0
n=$(ip netns exec "$XNS_A" ls "/sys/class/net/$XV0/queues" | grep -c '^rx-')
[ "$n" = 2 ] || { echo "FAIL $XV0 has $n RX queues, not 2"; exit 1; }
xdp_bootnode --dataplane.queues 2 ||
	{ echo "FAIL bootnode did not start"; exit 1; }
q() {   # q NAME QUEUE: a per-queue dataplane counter
	xdp_metrics "^$1\\{queue=\"$2\"\\}" | awk '{ print $2 + 0 }'
}
p0=$(xdp_counter pass_no_xsk)
# ENRRequest is only answered to a bonded node, so each resolve that
# succeeds went through the whole endpoint proof: our Ping, its Pong.
ok=0
for i in $(seq 1 $N); do
	in_b timeout 20 "$B/control/devplane" discv4 resolve "$ENODE" \
		--addr "10.77.$i.11:0" --timeout 5s >/dev/null 2>&1 &&
		ok=$((ok + 1))
done
[ "$ok" = $N ] && echo "ok $ok/$N nodes resolved our record" ||
	{ echo "FAIL only $ok/$N resolves answered"; fail=1; }
rx0=$(q devplane_dp_rx_packets_total 0) rx1=$(q devplane_dp_rx_packets_total 1)
tx0=$(q devplane_dp_tx_packets_total 0) tx1=$(q devplane_dp_tx_packets_total 1)
echo "measure rx q0 $rx0 q1 $rx1, tx q0 $tx0 q1 $tx1"
[ "${rx0:-0}" -gt 0 ] && [ "${rx1:-0}" -gt 0 ] &&
	echo "ok both queues' AF_XDP sockets received" ||
	{ echo "FAIL rx per queue: q0 ${rx0:-?} q1 ${rx1:-?}"; fail=1; }
p1=$(xdp_counter pass_no_xsk)
[ "$p1" = "$p0" ] && echo "ok pass_no_xsk +0: every queue has its socket" ||
	{ echo "FAIL pass_no_xsk $p0 -> $p1"; fail=1; }
v=$(in_a "$B/dataplane/devplane-dp" shield stats --iface "$XV0" |
	awk '$1 == "verified-sources" { print $2 }')
[ "$v" = $N ] && echo "ok $v sources verified (Pongs on both queues)" ||
	{ echo "FAIL verified-sources $v, want $N"; fail=1; }
# At exit each queue's socket reports its own statistics.
xdp_stop_bootnode || { echo "FAIL bootnode did not stop"; fail=1; }
grep -h '^xdp q' "$XTMP/boot.log"
for k in 0 1; do
	grep -q "^xdp q$k: .* verified [1-9]" "$XTMP/boot.log" ||
		{ echo "FAIL no socket on queue $k verified anything"; fail=1; }
done
exit $fail
