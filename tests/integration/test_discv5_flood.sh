#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_discv5_flood.sh - discv5 junk at a devplane
# bootnode (discv5 beside discv4 on one port, socket dataplane), on
# loopback, without privileges: devplane-flood sends every discv5 junk kind
# (random bytes of discv5's sizes, packets masked for another node, headers
# masked for the target with a wrong version, flag or authdata size,
# forged handshakes with random keys, message packets from random node ids)
# from 32 local sources while geth's `devp2p discv5 ping` asks the node
# again and again from a source of its own. Gates:
#   - the legitimate pings keep getting answers during the flood (90 % at
#     least) and right after it (every one);
#   - every datagram the dataplane read got exactly one verdict (the
#     verdict counters add up to rx_packets), and each junk kind is in the
#     counters it is named for: the header lies in devplane_dp_v5_drops_total
#     {version, flag, authdata} exactly (less what the kernel dropped), the
#     non-discv5 kinds in devplane_dp_v5_protocol_mismatch_total, the forged
#     handshakes in the engine's handshake_unexpected drops or the
#     dataplane's handshake budget, the message packets answered with
#     WHOAREYOUs that the dataplane limits per destination;
#   - the bootnode and its dataplane are alive at the end.
# usage: test_discv5_flood.sh DEVPLANE DEVPLANE_FLOOD. Exits 77 (skip)
# without geth's devp2p (tests/interop/geth/install.sh builds it).
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE DEVPLANE_FLOOD}
FLOODBIN=${2:?usage: $0 DEVPLANE DEVPLANE_FLOOD}
DEVP2P=${DEVP2P:-$HOME/.cache/devplane/geth-v1.17.10/bin/devp2p}
if [ ! -x "$DEVP2P" ]; then
	echo "SKIP: $DEVP2P missing (run tests/interop/geth/install.sh)"
	exit 77
fi
. "$(dirname "$0")/lib_loopback.sh" v5flood
# This run's own loopback addresses: the node on 127.N.0.1, junk from
# 127.N.1.1-32, the legitimate peer on 127.N.2.1.
N=$((20 + $$ % 200))
NODE_IP=127.$N.0.1
JUNK_SRC=127.$N.1.1+32
LEGIT_IP=127.$N.2.1
COUNT=50000
RATE=10000
KINDS="v5junk v5proto v5hdr v5hs v5msg"

scrape() {
	curl -s -m 5 "http://$NODE_IP:$MPORT/metrics" >"$WORK/m.txt.new" &&
		mv "$WORK/m.txt.new" "$WORK/m.txt"
}
msum() {        # msum REGEX: the sum of the samples whose name matches
	awk -v re="$1" '$1 ~ re { s += $2 } END { print s + 0 }' "$WORK/m.txt"
}
v() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
# verdicts: every per-datagram verdict counter (ring_full and no_slot are
# not verdicts: they come after one).
verdicts() {
	echo $(($(msum '^devplane_dp_accepted_total[{]') +
		$(msum '^devplane_dp_v5_accepted_total[{]') +
		$(msum '^devplane_dp_drops_total[{]reason="(size|hash|type|rlp|expired|budget|sig|replay)"') +
		$(msum '^devplane_dp_v5_drops_total[{]')))
}
sock_drops() {  # the kernel's drops on the node's socket
	python3 - "$NODE_IP" "$PORT" <<'PY'
import socket, struct, sys
a = struct.unpack("=I", socket.inet_aton(sys.argv[1]))[0]
want = "%08X:%04X" % (a, int(sys.argv[2]))
print(sum(int(l.split()[-1]) for l in open("/proc/net/udp").readlines()[1:]
          if l.split()[1] == want))
PY
}
# ping_loop OUT: geth pings the node every 200 ms until $WORK/stop
# exists; one line per ping in OUT ("<nil>" when answered).
ping_loop() {
	while [ ! -e "$WORK/stop" ]; do
		timeout 5 "$DEVP2P" discv5 ping --addr "$LEGIT_IP:0" \
			--nodekey "$LEGIT_KEY" "$ENR" 2>/dev/null | tail -1 >>"$1"
		sleep 0.2
	done
}

"$DEVPLANE" bootnode --nodekeyhex "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" \
	--addr "$NODE_IP:0" --metrics.addr "$NODE_IP:0" \
	--ipcpath "$WORK/boot.ipc" >"$WORK/boot.out" 2>"$WORK/boot.err" &
BOOT=$!
PIDS+=("$BOOT")
wait_for grep -q '^enode://' "$WORK/boot.out" || fail "no enode printed"
wait_for grep -q 'dataplane pid' "$WORK/boot.err" || fail "no dp pid"
DPPID=$(sed -n 's/.*dataplane pid \([0-9]*\).*/\1/p' "$WORK/boot.err")
PIDS+=("$DPPID")
PORT=$(enode_udp_port "$(head -1 "$WORK/boot.out")")
wait_for grep -q 'metrics on port' "$WORK/boot.err" || fail "no metrics port"
MPORT=$(bound_metrics_port "$WORK/boot.err")
wait_for "$DEVPLANE" admin --ipcpath "$WORK/boot.ipc" admin_nodeInfo \
	>"$WORK/info.json" 2>/dev/null || fail "no admin_nodeInfo"
field() { python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/info.json" "$1"; }
ENR=$(field enr)
ID=$(field id)
LEGIT_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')

# Before the flood: the legitimate peer is answered.
OUT=$(timeout 5 "$DEVP2P" discv5 ping --addr "$LEGIT_IP:0" \
	--nodekey "$LEGIT_KEY" "$ENR" 2>/dev/null | tail -1)
[ "$OUT" = "<nil>" ] || fail "geth's ping before the flood: $OUT"

# The masked kinds need the node id.
"$FLOODBIN" --target "$NODE_IP:$PORT" --mix v5hs=1 --count 1 \
	2>"$WORK/noid.txt" && fail "v5hs without --v5-id accepted"
grep -q -- '--v5-id' "$WORK/noid.txt" || fail "refusal: $(cat "$WORK/noid.txt")"

scrape || fail "scrape"
rx0=$(msum '^devplane_dp_rx_packets_total[{]') sd0=$(sock_drops)
mm0=$(msum '^devplane_dp_v5_protocol_mismatch_total[{]')
hdr0=$(msum '^devplane_dp_v5_drops_total[{]reason="(version|flag|authdata)"')
ping_loop "$WORK/pings.txt" &
LOOP=$!
timeout 60 "$FLOODBIN" --target "$NODE_IP:$PORT" --junk-src "$JUNK_SRC" \
	--mix v5junk=1,v5proto=1,v5hdr=1,v5hs=1,v5msg=1 --v5-id "$ID" \
	--count "$COUNT" --rate "$RATE" --duration 30 \
	>"$WORK/flood.txt" 2>"$WORK/flood.err" || fail "flood: $(cat "$WORK/flood.err")"
touch "$WORK/stop"
wait "$LOOP"
cat "$WORK/flood.txt" | grep -E '^junk_(v5|total|pps|tx_err)'
F="$WORK/flood.txt"
[ "$(v junk_total "$F")" = "$COUNT" ] && [ "$(v junk_tx_err "$F")" = 0 ] ||
	fail "the flood sent $(tr '\n' ' ' <"$F")"
for k in $KINDS; do
	[ "$(v "junk_$k" "$F")" -ge $((COUNT / 10)) ] ||
		fail "only $(v "junk_$k" "$F") $k packets"
done

# The legitimate peer during and right after the flood.
sent=$(wc -l <"$WORK/pings.txt")
ans=$(grep -cx '<nil>' "$WORK/pings.txt")
[ "$sent" -ge 5 ] && [ $((ans * 100)) -ge $((sent * 90)) ] ||
	fail "legitimate pings answered $ans/$sent during the flood"
for i in 1 2 3; do
	OUT=$(timeout 5 "$DEVP2P" discv5 ping --addr "$LEGIT_IP:0" \
		--nodekey "$LEGIT_KEY" "$ENR" 2>/dev/null | tail -1)
	[ "$OUT" = "<nil>" ] || fail "geth's ping $i after the flood: $OUT"
done
echo "ok legitimate pings answered: $ans/$sent during the flood, 3/3 after"

# Every datagram read has one verdict (wait for the dataplane to have read
# all that the kernel did not drop).
settled() {
	scrape || return 1
	[ $(($(msum '^devplane_dp_rx_packets_total[{]') - rx0 + $(sock_drops) - sd0)) -ge "$COUNT" ] &&
		[ "$(verdicts)" = "$(msum '^devplane_dp_rx_packets_total[{]')" ]
}
wait_for settled || fail "verdicts $(verdicts) for rx $(msum '^devplane_dp_rx_packets_total[{]')"
sd=$(($(sock_drops) - sd0))
mm=$(($(msum '^devplane_dp_v5_protocol_mismatch_total[{]') - mm0))
hdr=$(($(msum '^devplane_dp_v5_drops_total[{]reason="(version|flag|authdata)"') - hdr0))
nv5=$(($(v junk_v5junk "$F") + $(v junk_v5proto "$F")))
nhdr=$(v junk_v5hdr "$F")
[ "$mm" -le "$nv5" ] && [ "$mm" -ge $((nv5 - sd)) ] ||
	fail "protocol mismatches $mm for $nv5 non-discv5 packets ($sd dropped by the kernel)"
[ "$hdr" -le "$nhdr" ] && [ "$hdr" -ge $((nhdr - sd)) ] ||
	fail "header drops $hdr for $nhdr v5hdr packets ($sd dropped by the kernel)"
for r in version flag authdata; do
	[ "$(msum "^devplane_dp_v5_drops_total[{]reason=\"$r\"")" -gt 0 ] ||
		fail "no $r drops"
done
echo "ok one verdict per datagram: rx $(msum '^devplane_dp_rx_packets_total[{]')," \
     "protocol mismatch $mm of $nv5, header lies $hdr of $nhdr, kernel drops $sd"
grep -E '^devplane_dp_(v5_|whoareyou)' "$WORK/m.txt" | grep -v ' 0$'

# The engine's side: forged handshakes dropped (no challenge of ours),
# message packets answered with WHOAREYOUs, limited per destination.
hsu=$(msum '^devplane_discv5_drops_total[{]reason="handshake_unexpected"')
hsb=$(msum '^devplane_dp_v5_drops_total[{]reason="handshake_budget"')
way=$(msum '^devplane_discv5_packets_out_total[{]type="whoareyou"')
lim=$(msum '^devplane_dp_whoareyou_limited_total[{]')
[ "$hsu" -gt 0 ] && [ "$hsb" -gt 0 ] ||
	fail "forged handshakes: engine drops $hsu, dataplane budget $hsb"
[ "$way" -gt 0 ] && [ "$lim" -gt 0 ] ||
	fail "WHOAREYOUs: $way sent by the engine, $lim held back"
[ "$(msum '^devplane_discv5_handshakes_total[{]role="recipient"')" -ge 4 ] ||
	fail "geth's handshakes not accepted"
echo "ok engine: $hsu forged handshakes dropped ($hsb by the dataplane's" \
     "budget), $way WHOAREYOUs, $lim held back by the dataplane"
grep -E '^devplane_discv5_(drops|handshakes|packets_(in|out))' "$WORK/m.txt" | grep -v ' 0$'

kill -0 "$BOOT" && kill -0 "$DPPID" || fail "a process died in the flood"
echo "PASS"
