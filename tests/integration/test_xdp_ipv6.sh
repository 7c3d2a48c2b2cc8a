#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_xdp_ipv6.sh - the AF_XDP path over IPv6: a
# devplane bootnode with the xdp backend on [fd77::1]:30303 (veth pair,
# addresses without DAD); from the other namespace a discv4 ping from
# fd77::2 is answered through the shield's redirect and the AF_XDP
# socket. The peer knows our MAC from a static entry, so it never sends a
# neighbour solicitation and our kernel has no entry for fd77::2 when the
# first answer is built: the backend's TX has to find the route, miss
# the neighbour, make the kernel resolve it (ND) and send once it has.
# Then the discv4 conformance suite, its testers on fd77::2 and fd77::3.
# Usage: test_xdp_ipv6.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
. "$(dirname "$0")/xdp_common.sh"
xdp_skip_unless_root
XV6=1 XLEGIT=1 xdp_setup
fail=0
mac0=$(ip -n "$XNS_A" -j link show "$XV0" | python3 -c '
import json, sys; print(json.load(sys.stdin)[0]["address"])')
ip -n "$XNS_B" -6 neigh replace fd77::1 lladdr "$mac0" dev "$XV1" \
	nud permanent || { echo "FAIL static neighbour"; exit 1; }
ip -n "$XNS_A" -6 neigh flush dev "$XV0"
XDP_HOST="[fd77::1]"
xdp_bootnode || { echo "FAIL bootnode did not start"; exit 1; }
ip -n "$XNS_A" link show "$XV0" | grep -q "prog/xdp" ||
	{ echo "FAIL no XDP program on $XV0"; fail=1; }
msum() { xdp_metrics "^$1[ {]" | awk '{ s += $2 } END { print s + 0 }'; }
nb=$(ip -n "$XNS_A" -6 neigh show fd77::2 dev "$XV0" | grep -v FAILED)
[ -z "$nb" ] || echo "note: neighbour fd77::2 already known: $nb"
r0=$(xdp_counter redirect) rx0=$(msum devplane_dp_rx_packets_total)
tx0=$(msum devplane_dp_tx_packets_total)
if in_b timeout 20 "$B/control/devplane" discv4 ping "$ENODE" \
	--addr "[fd77::2]:0" --timeout 3s; then echo "ok IPv6 ping over AF_XDP"
else echo "FAIL IPv6 ping"; fail=1; fi
r1=$(xdp_counter redirect) rx1=$(msum devplane_dp_rx_packets_total)
tx1=$(msum devplane_dp_tx_packets_total)
[ $((r1 - r0)) -ge 1 ] && [ $((rx1 - rx0)) -ge 1 ] &&
	[ $((tx1 - tx0)) -ge 1 ] &&
	echo "ok shield redirect +$((r1 - r0)), dataplane rx +$((rx1 - rx0))" \
	     "tx +$((tx1 - tx0))" ||
	{ echo "FAIL counters: redirect $r0 -> $r1, rx $rx0 -> $rx1," \
	       "tx $tx0 -> $tx1"; fail=1; }
nb=$(ip -n "$XNS_A" -6 neigh show fd77::2 dev "$XV0")
echo "$nb" | grep -Eq 'lladdr .*(REACHABLE|STALE|DELAY|PROBE)' &&
	echo "ok the kernel resolved fd77::2 for our TX: $nb" ||
	{ echo "FAIL no neighbour entry for fd77::2: '$nb'"; fail=1; }
# No IPv4 on the way: the node listens on IPv6 only.
xdp_metrics 'devplane_dp_(rx|tx)_packets_total' | grep -v ' 0$'
if in_b "$B/control/devplane" test discv4 --tester-addr fd77::2,fd77::3 \
	"$ENODE" >"$XTMP/v4test.txt"; then
	echo "ok IPv6 conformance: $(tail -1 "$XTMP/v4test.txt")"
else
	cat "$XTMP/v4test.txt"; echo "FAIL IPv6 conformance"; fail=1
fi
exit $fail
