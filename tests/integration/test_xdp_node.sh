#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_xdp_node.sh - devplane node with --dataplane
# xdp:IF on one side of a veth pair (its own namespace pair, made and
# removed here): discv4 ping through the shield and AF_XDP, and a node in
# the other namespace (socket dataplane) dialing it over TCP, which the
# shield passes to the kernel; the session is then handed to the xdp
# dataplane's RLPx stage: Hello, ping, eth Status both ways.
# Usage: test_xdp_node.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
XLEGIT=1
. "$(dirname "$0")/xdp_common.sh"
xdp_skip_unless_root
xdp_setup
fail=0
key() { head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
setsid nsenter --net="/var/run/netns/$XNS_A" "$B/control/devplane" node \
	--nodekeyhex "$(key)" --addr 10.77.0.1:30303 --chain sepolia \
	--bootnodes "" --discovery.dns "" \
	--dataplane "xdp:$XV0" --dataplane.queues 1 </dev/null \
	>"$XTMP/a.out" 2>"$XTMP/a.err" &
XPIDS="$XPIDS $!"
for _ in $(seq 100); do
	EA=$(grep -o 'enode://[0-9a-f]\{128\}@10.77.0.1:30303' "$XTMP/a.out" | head -1)
	[ -n "$EA" ] && break
	sleep 0.1
done
[ -n "$EA" ] || { cat "$XTMP/a.out" "$XTMP/a.err"; echo "FAIL node A did not start"; exit 1; }
ip -n "$XNS_A" link show "$XV0" | grep -q "prog/xdp" &&
	echo "ok XDP program on $XV0" || { echo "FAIL no XDP program on $XV0"; fail=1; }
if in_b timeout 20 "$B/control/devplane" discv4 ping "$EA" --timeout 2s \
	>/dev/null; then echo "ok discv4 ping over AF_XDP"
else echo "FAIL discv4 ping"; fail=1; fi
r0=$(xdp_counter redirect)
[ "${r0:-0}" -gt 0 ] && echo "ok shield redirected $r0" ||
	{ echo "FAIL nothing redirected"; fail=1; }

setsid nsenter --net="/var/run/netns/$XNS_B" "$B/control/devplane" node \
	--nodekeyhex "$(key)" --addr 10.77.0.2:30304 --nodiscover \
	--chain sepolia --staticnodes "$EA" </dev/null \
	>"$XTMP/b.out" 2>"$XTMP/b.err" &
XPIDS="$XPIDS $!"
ok=0
for _ in $(seq 150); do
	if grep -q '^ping: pong' "$XTMP/a.out" && grep -q '^ping: pong' "$XTMP/b.out"; then
		ok=1
		break
	fi
	sleep 0.1
done
if [ $ok = 1 ]; then
	echo "ok RLPx session handed to the xdp dataplane: ping both ways"
else
	cat "$XTMP"/a.* "$XTMP"/b.*
	echo "FAIL ping not exchanged"; fail=1
fi
for f in a b; do
	grep -q '^eth: status .*network=11155111 .* ok$' "$XTMP/$f.out" &&
		grep -Eq '^hello: .*caps=eth/72,eth/71,eth/70,eth/69,eth/68,ping/1( |$)' "$XTMP/$f.out" ||
		{ echo "FAIL $f: Hello or eth Status"; fail=1; }
done
grep -q 'event: added proto=ping .* inbound' "$XTMP/a.out" ||
	{ echo "FAIL A did not accept"; fail=1; }
p0=$(xdp_counter pass_other)
[ "${p0:-0}" -gt 0 ] && echo "ok TCP passed to the kernel: pass_other $p0" ||
	{ echo "FAIL pass_other 0"; fail=1; }
[ $fail = 0 ] && echo "PASS: node on the xdp dataplane"
exit $fail
