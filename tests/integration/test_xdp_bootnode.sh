#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_xdp_bootnode.sh - devplane bootnode with the xdp
# backend on one side of a veth pair; from the other namespace: an
# @ethereumjs/devp2p DPT node bonds with it, discv4 ping through AF_XDP,
# TCP to the shielded interface's RLPx port still reaching the kernel, and
# the full discv4 conformance suite (testers on 10.77.0.2 and 10.77.1.11).
# Usage: test_xdp_bootnode.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
. "$(dirname "$0")/xdp_common.sh"
xdp_skip_unless_root
xdp_setup
fail=0
xdp_bootnode || { echo "FAIL bootnode did not start"; exit 1; }
ip -n "$XNS_A" link show "$XV0" | grep -q "prog/xdp" ||
	{ echo "FAIL no XDP program on $XV0"; fail=1; }
# An @ethereumjs/devp2p DPT node on 10.77.0.2 bootstraps from the xdp
# bootnode: it must hold our node in its table, and ours (empty so far:
# nothing else has spoken to it yet) must gain it.
IOP=$(cd "$(dirname "$0")/../interop" && pwd)
command -v node >/dev/null || { echo "FAIL node is not installed"; exit 1; }
(cd "$IOP" && npm ls --silent @ethereumjs/devp2p >/dev/null 2>&1) ||
	(cd "$IOP" && timeout 300 npm ci --no-audit --no-fund \
		--loglevel=error) || { echo "FAIL npm ci"; exit 1; }
t0=$(xdp_metrics '^devplane_discv4_table_nodes ' | awk '{print $2}')
in_b node "$IOP/dpt.mjs" single --addr 10.77.0.2 --port 30310 \
	--bootnode "$ENODE" --watch "${ENODE:8:128}" --duration 60 \
	>"$XTMP/dpt.log" 2>&1 &
XPIDS="$XPIDS $!"
dpt_ok=0
for _ in $(seq 30); do
	sleep 1
	grep -q '^TABLE [0-9]* true' "$XTMP/dpt.log" || continue
	t1=$(xdp_metrics '^devplane_discv4_table_nodes ' | awk '{print $2}')
	[ "${t1:-0}" -gt "${t0:-0}" ] && { dpt_ok=1; break; }
done
if [ $dpt_ok = 1 ]; then
	echo "ok DPT bonded: ours in its table, table ${t0:-0} -> $t1"
else
	tail -3 "$XTMP/dpt.log"
	echo "FAIL DPT bond (our table ${t0:-?} -> ${t1:-?})"; fail=1
fi
if in_b timeout 20 "$B/control/devplane" discv4 ping "$ENODE" \
	--timeout 2s; then echo "ok ping over AF_XDP"
else echo "FAIL ping"; fail=1; fi
r0=$(xdp_counter redirect)
[ "${r0:-0}" -gt 0 ] && echo "ok shield redirected $r0" ||
	{ echo "FAIL nothing redirected"; fail=1; }
# TCP on the discovery port number (RLPx) goes to the kernel untouched.
in_a python3 -c '
import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind(("10.77.0.1",30303)); s.listen(1); s.settimeout(10)
c,_=s.accept(); c.sendall(b"rlpx-ok"); c.close()' &
XPIDS="$XPIDS $!"
sleep 0.5
got=$(in_b python3 -c '
import socket; s=socket.create_connection(("10.77.0.1",30303),5)
print(s.recv(16).decode())')
[ "$got" = rlpx-ok ] && echo "ok TCP to the RLPx port" ||
	{ echo "FAIL TCP: '$got'"; fail=1; }
p0=$(xdp_counter pass_other)
[ "${p0:-0}" -gt 0 ] && echo "ok pass_other $p0" ||
	{ echo "FAIL pass_other 0"; fail=1; }
# The conformance suite from the other namespace, its two testers on two
# of that namespace's addresses: every case must pass through the shield
# and AF_XDP.
if in_b "$B/control/devplane" test discv4 \
	--tester-addr 10.77.0.2,10.77.1.11 "$ENODE" >"$XTMP/v4test.txt"; then
	echo "ok conformance: $(tail -1 "$XTMP/v4test.txt")"
else
	cat "$XTMP/v4test.txt"; echo "FAIL conformance"; fail=1
fi
# Ban policy: a flood of bad signatures (right hash, no key recovers) from
# one spoofed source gets it banned by devplane-dp (default: 16 within
# 10 s), after which the shield drops it (drop-blocked).
b0=$(xdp_counter drop_blocked)
in_b "$B/dataplane/devplane-dp" flood --iface "$XV1" \
	--target 10.77.0.1:30303 --count 20000 --rate 5000 --duration 20 \
	--mix sig=1 --spoof 10.200.1.1/32 >"$XTMP/sigflood.txt" ||
	{ cat "$XTMP/sigflood.txt"; echo "FAIL sig flood"; fail=1; }
sleep 1.5       # the bans gauge is refreshed once a second
b1=$(xdp_counter drop_blocked)
m() { xdp_metrics "^$1[ {]" | awk '{ s += $2 } END { print s + 0 }'; }
added=$(m devplane_dp_bans_added_total) active=$(m devplane_dp_bans)
"$B/control/devplane" ban list --iface "$XV0" >"$XTMP/bans.txt"
if grep -q '10.200.1.1/32' "$XTMP/bans.txt" && [ "$added" -ge 1 ] &&
	[ "$active" -ge 1 ] && [ $((b1 - b0)) -ge 10000 ]; then
	echo "ok bad-sig source banned (bans_added $added, bans $active," \
	     "drop_blocked +$((b1 - b0)))"
else
	cat "$XTMP/bans.txt"
	echo "FAIL ban: added $added active $active drop_blocked +$((b1 - b0))"
	fail=1
fi
# Operator bans: add a /16, its traffic is dropped in XDP; remove both.
"$B/control/devplane" ban add --iface "$XV0" 10.201.0.0/16 --for 60s &&
	"$B/control/devplane" ban list --iface "$XV0" >"$XTMP/bans.txt" &&
	grep -q '10.201.0.0/16' "$XTMP/bans.txt" ||
	{ echo "FAIL ban add"; fail=1; }
b0=$(xdp_counter drop_blocked)
in_b "$B/dataplane/devplane-dp" flood --iface "$XV1" \
	--target 10.77.0.1:30303 --count 5000 --duration 20 \
	--mix ping=1 --spoof 10.201.0.0/16 >/dev/null ||
	{ echo "FAIL ping flood"; fail=1; }
b1=$(xdp_counter drop_blocked)
[ $((b1 - b0)) -ge 5000 ] && echo "ok operator ban drops +$((b1 - b0))" ||
	{ echo "FAIL operator ban: drop_blocked +$((b1 - b0))"; fail=1; }
"$B/control/devplane" ban remove --iface "$XV0" 10.201.0.0/16 &&
	"$B/control/devplane" ban remove --iface "$XV0" 10.200.1.1/32 &&
	"$B/control/devplane" ban list --iface "$XV0" >"$XTMP/bans.txt" &&
	! grep -q '10.20[01]' "$XTMP/bans.txt" &&
	echo "ok ban remove" || { echo "FAIL ban remove"; fail=1; }
exit $fail
