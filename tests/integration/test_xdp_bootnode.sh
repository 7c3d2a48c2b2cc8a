#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_xdp_bootnode.sh - devplane bootnode with the xdp
# backend on one side of a veth pair; from the other namespace: discv4
# ping/resolve through AF_XDP, TCP to the shielded interface's RLPx port
# still reaching the kernel. Usage: test_xdp_bootnode.sh BUILD_DIR
B=$(cd "${1:-build}" && pwd)
. "$(dirname "$0")/xdp_common.sh"
xdp_skip_unless_root
xdp_setup
fail=0
xdp_bootnode || { echo "FAIL bootnode did not start"; exit 1; }
ip -n "$XNS_A" link show "$XV0" | grep -q "prog/xdp" ||
	{ echo "FAIL no XDP program on $XV0"; fail=1; }
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
# The conformance suite binds its testers to 127.0.0.1/2 only (no flag to
# move them onto the veth yet), so it cannot reach across namespaces.
if "$B/control/devplane" test discv4 --help 2>&1 | grep -q -- --laddr; then
	in_b "$B/control/devplane" test discv4 "$ENODE" --laddr 10.77.0.2 \
		--laddr2 10.77.1.11 || fail=1
else
	echo "note: devplane test discv4 has no tester-address flag;" \
	     "conformance across netns not run"
fi
exit $fail
