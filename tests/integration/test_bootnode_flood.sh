#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_bootnode_flood.sh - bad input at devplane
# bootnode's socket dataplane, without privileges, on loopback:
#  1. unpaced junk from `devplane-flood` in socket mode, one kind at a
#     time (6,000 each: truncated, oversized, wrong type, bad hash, garbage
#     RLP under a right hash, bad signature under a right hash, expired
#     Ping), then all seven mixed (49,000): the dataplane's drop counters
#     (/metrics, devplane_dp_drops_total{reason}) account for every packet
#     the kernel delivered, per reason, and the kernel's own drops on the
#     dataplane's socket (/proc/net/udp, cross-checked against RcvbufErrors
#     in /proc/net/snmp) account for the rest, exactly;
#     then the mixed junk again at a stopped dataplane, so that its socket
#     buffer overflows and the kernel's share is checked too;
#  2. a Ping right after the (first mixed) flood is answered within 1 s,
#     both processes alive;
#  3. control stopped (SIGSTOP) while 256 keys send signed Pings: the
#     dataplane keeps reading (its rx counter, read with `devplane-dp stats
#     --pid`, rises while control is stopped), fills the ring and counts
#     the rest as ring_full/no_slot drops; after SIGCONT control drains the
#     ring and a fresh Ping is answered within 1 s.
# usage: test_bootnode_flood.sh DEVPLANE DEVPLANE_DP DEVPLANE_FLOOD
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE DEVPLANE_DP DEVPLANE_FLOOD}
DPBIN=${2:?usage: $0 DEVPLANE DEVPLANE_DP DEVPLANE_FLOOD}
FLOODBIN=${3:?usage: $0 DEVPLANE DEVPLANE_DP DEVPLANE_FLOOD}
. "$(dirname "$0")/lib_loopback.sh" bflood
# Loopback addresses of this run's own (all of 127/8 is local): the node
# on 127.N.0.1, junk from 127.N.1.1-32, legitimate keys on 127.N.2.1-16.
# The dataplane's per-source budgets and its socket are this test's alone.
N=$((20 + $$ % 200))
NODE_IP=127.$N.0.1
JUNK_SRC=127.$N.1.1+32
LEGIT_SRC=127.$N.2.1+16
PER_KIND=6000
MIXED=49000
REASONS="size hash type rlp expired budget sig ring_full no_slot replay"

# scrape: the bootnode's /metrics into $WORK/m.txt.
scrape() {
	curl -s -m 5 "http://$NODE_IP:$MPORT/metrics" >"$WORK/m.txt.new" &&
		mv "$WORK/m.txt.new" "$WORK/m.txt"
}
msum() {        # msum REGEX: the sum of the samples whose name matches
	awk -v re="$1" '$1 ~ re { s += $2 } END { print s + 0 }' "$WORK/m.txt"
}
drops() { msum "^devplane_dp_drops_total[{]reason=\"$1\","; }
rx() { msum '^devplane_dp_rx_packets_total[{]'; }
accepted() { msum '^devplane_dp_accepted_total[{]'; }

# sock_drops: the kernel's drops on the dataplane's socket(s) bound to
# NODE_IP:PORT (the last column of /proc/net/udp: a full receive buffer).
sock_drops() {
	python3 - "$NODE_IP" "$PORT" <<'PY'
import socket, struct, sys
a = struct.unpack("=I", socket.inet_aton(sys.argv[1]))[0]
want = "%08X:%04X" % (a, int(sys.argv[2]))
n = 0
for line in open("/proc/net/udp").readlines()[1:]:
    f = line.split()
    if f[1] == want:
        n += int(f[-1])
print(n)
PY
}
rcvbuf_errors() {       # the namespace-wide UDP RcvbufErrors
	awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $6 }' /proc/net/snmp
}

# snap PREFIX: every drop reason, rx, accepted and the kernel's drops.
snap() {
	scrape || fail "scrape"
	for r in $REASONS; do eval "$1_$r=$(drops "$r")"; done
	eval "$1_rx=$(rx) $1_acc=$(accepted) $1_sd=$(sock_drops)"
	eval "$1_rcvbuf=$(rcvbuf_errors)"
}
d() { eval "echo \$((a_$1 - b_$1))"; }  # d NAME: after - before

# delivered SENT: true once the dataplane has read every packet of SENT
# that the kernel did not drop.
delivered() {
	scrape || return 1
	[ $(($(rx) - b_rx - $(accepted) + b_acc + $(sock_drops) - b_sd)) -ge "$1" ]
}

v() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

# flood OUT ARGS...: devplane-flood in socket mode at the node.
flood() {
	local out=$1
	shift
	timeout 60 "$FLOODBIN" --target "$NODE_IP:$PORT" --duration 30 \
		"$@" >"$out" 2>"$out.err" || fail "flood $*: $(cat "$out.err")"
}

# check_phase NAME SENT ACC_MAX WHAT...: after a junk phase of SENT
# packets, WHAT is "reason=count ..." (the junk of each reason); ACC_MAX
# packets may have been accepted besides (a Ping exchange during the
# phase). Exact: every packet the dataplane read got one verdict, so
# rx = junk read + accepted, and each reason's drops plus the kernel's
# share of that reason's junk equal its junk. The kernel's share is known
# per reason only when one reason was sent (or nothing was dropped); with
# several each count is bounded by its junk and the kernel's drops must
# make up the sum exactly.
check_phase() {
	local name=$1 sent=$2 acc_max=$3 sd r n want other=0 short=0
	shift 3
	wait_for delivered "$sent" ||
		fail "$name: the dataplane read $(($(rx) - b_rx)) of $sent" \
		     "(kernel dropped $(($(sock_drops) - b_sd)))"
	snap a
	sd=$(d sd)
	[ "$(d acc)" -le "$acc_max" ] ||
		fail "$name: $(d acc) packets accepted (at most $acc_max)"
	[ $(($(d rx) - $(d acc))) -eq $((sent - sd)) ] ||
		fail "$name: rx $(d rx) - accepted $(d acc) for $sent sent," \
		     "$sd dropped by the kernel"
	[ "$(d rcvbuf)" -ge "$sd" ] ||
		fail "$name: socket drops $sd > RcvbufErrors $(d rcvbuf)"
	for r in $REASONS; do
		want=0
		for w in "$@"; do
			[ "${w%%=*}" = "$r" ] && want=${w#*=}
		done
		n=$(d "$r")
		if [ "$want" = 0 ]; then
			other=$((other + n))
		elif [ $# = 1 ]; then
			[ "$n" -eq $((want - sd)) ] ||
				fail "$name: drops{$r} $n, want $want - $sd"
		else
			[ "$n" -le "$want" ] ||
				fail "$name: drops{$r} $n > $want sent"
			short=$((short + want - n))
		fi
	done
	[ "$other" -eq 0 ] || fail "$name: $other drops for other reasons"
	[ $# = 1 ] || [ "$short" -eq "$sd" ] ||
		fail "$name: $short junk packets not counted, kernel dropped $sd"
	echo "ok $name: $sent sent, $((sent - sd)) counted per reason," \
	     "$sd dropped by the kernel ($*)"
}

# junk_phase KIND REASON: PER_KIND unpaced packets of one kind.
junk_phase() {
	local f="$WORK/flood_$1.txt" sent
	snap b
	flood "$f" --count "$PER_KIND" --mix "$1=1" --junk-src "$JUNK_SRC"
	sent=$(v "junk_$1" "$f")
	[ "$sent" = "$PER_KIND" ] && [ "$(v junk_total "$f")" = "$PER_KIND" ] &&
		[ "$(v junk_tx_err "$f")" = 0 ] ||
		fail "$1: flood sent $(tr '\n' ' ' <"$f")"
	check_phase "$1 junk at $(v junk_pps "$f") pps" "$sent" 0 "$2=$sent"
}

# dpstat NAME: a counter of the dataplane's shared region, read directly
# (control may be stopped).
dpstat() {
	"$DPBIN" stats --pid "$DPPID" | awk -v k="total.$1" '$1 == k { print $2 }'
}

"$DEVPLANE" key generate "$WORK/key" >/dev/null || fail "key generate"
# Port 0 for both: the ports it bound are read back, none guessed free.
"$DEVPLANE" bootnode --nodekey "$WORK/key" --addr "$NODE_IP:0" \
	--metrics.addr "$NODE_IP:0" >"$WORK/boot.out" 2>"$WORK/boot.err" &
BOOT=$!
PIDS+=("$BOOT")
wait_for grep -q '^enode://' "$WORK/boot.out" || fail "no enode printed"
wait_for grep -q 'dataplane pid' "$WORK/boot.err" || fail "no dp pid"
DPPID=$(sed -n 's/.*dataplane pid \([0-9]*\).*/\1/p' "$WORK/boot.err")
PIDS+=("$DPPID")
ENODE=$(head -1 "$WORK/boot.out")
PORT=$(enode_udp_port "$ENODE")
wait_for grep -q 'metrics on port' "$WORK/boot.err" || fail "no metrics port"
MPORT=$(bound_metrics_port "$WORK/boot.err")
wait_for scrape || fail "no /metrics"

# The generator refuses what sockets cannot do.
"$FLOODBIN" --target "$NODE_IP:$PORT" --spoof 10.200.0.0/16 \
	2>"$WORK/spoof.txt" && fail "--spoof accepted in socket mode"
grep -q -- '--spoof needs --iface' "$WORK/spoof.txt" ||
	fail "--spoof refusal: $(cat "$WORK/spoof.txt")"

# 1. One kind at a time, then all of them.
junk_phase short size
junk_phase long size
junk_phase type type
junk_phase hash hash
junk_phase rlp rlp
junk_phase sig sig
junk_phase expired expired

snap b
F="$WORK/flood_mixed.txt"
flood "$F" --count "$MIXED" --junk-src "$JUNK_SRC" \
	--mix short=1,long=1,type=1,hash=1,rlp=1,sig=1,expired=1
# 2. A good Ping right after it.
OUT=$(timeout 10 "$DEVPLANE" discv4 ping "$ENODE" --timeout 1s --verbosity 0) ||
	fail "ping right after the flood: $OUT"
echo "$OUT" | grep -q 'node responded to ping' || fail "ping printed $OUT"
kill -0 "$BOOT" && kill -0 "$DPPID" || fail "a process died in the flood"
for k in short long type hash rlp sig expired; do
	[ "$(v "junk_$k" "$F")" -ge 5000 ] ||
		fail "mixed flood: only $(v "junk_$k" "$F") $k packets"
done
[ "$(v junk_total "$F")" = "$MIXED" ] && [ "$(v junk_tx_err "$F")" = 0 ] ||
	fail "mixed flood sent $(tr '\n' ' ' <"$F")"
# The Ping exchange: its Ping, the Pong to the node's ping-back.
check_phase "mixed junk at $(v junk_pps "$F") pps" "$MIXED" 4 \
	"size=$(($(v junk_short "$F") + $(v junk_long "$F")))" \
	"type=$(v junk_type "$F")" "hash=$(v junk_hash "$F")" \
	"rlp=$(v junk_rlp "$F")" "sig=$(v junk_sig "$F")" \
	"expired=$(v junk_expired "$F")"
echo "ok ping answered right after the flood; bootnode and dataplane alive"

# The same junk while the dataplane itself is stopped: its socket buffer
# overflows, the kernel drops (counted on the socket and in RcvbufErrors)
# and the dataplane counts the rest per reason once it runs again. Every
# datagram costs the buffer at least its length plus ~600 bytes of
# sk_buff, so a buffer (twice rmem_max at most) below MIXED * 600 bytes
# must have overflowed.
snap b
kill -STOP "$DPPID"
# SIGSTOP lands asynchronously: wait for it rather than race it.
wait_for grep -q '^State:.*stopped' "/proc/$DPPID/status" ||
	fail "dataplane not stopped"
F="$WORK/flood_stopped.txt"
flood "$F" --count "$MIXED" --junk-src "$JUNK_SRC" \
	--mix short=1,long=1,type=1,hash=1,rlp=1,sig=1,expired=1
kill -CONT "$DPPID"
[ "$(v junk_total "$F")" = "$MIXED" ] && [ "$(v junk_tx_err "$F")" = 0 ] ||
	fail "flood at a stopped dataplane sent $(tr '\n' ' ' <"$F")"
check_phase "mixed junk at a stopped dataplane" "$MIXED" 0 \
	"size=$(($(v junk_short "$F") + $(v junk_long "$F")))" \
	"type=$(v junk_type "$F")" "hash=$(v junk_hash "$F")" \
	"rlp=$(v junk_rlp "$F")" "sig=$(v junk_sig "$F")" \
	"expired=$(v junk_expired "$F")"
RMEM=$(cat /proc/sys/net/core/rmem_max)
if [ $((2 * RMEM)) -lt $((MIXED * 600)) ] && [ "$(d sd)" -eq 0 ]; then
	fail "no kernel drops for $MIXED datagrams at a stopped dataplane" \
	     "(rmem_max $RMEM)"
fi
kill -0 "$BOOT" && kill -0 "$DPPID" || fail "a process died"

# 3. A full ring: control stopped, the dataplane must not wait for it.
scrape || fail "scrape"
pings0=$(msum '^devplane_discv4_(packets_in_total|drops_total)[{]')
rx0=$(dpstat rx_pkts) acc0=$(dpstat accepted)
full0=$(( $(dpstat drop_ring_full) + $(dpstat drop_no_slot) ))
sd0=$(sock_drops)
kill -STOP "$BOOT"
wait_for grep -q '^State:.*stopped' "/proc/$BOOT/status" ||
	fail "control not stopped"
F="$WORK/flood_ring.txt"
"$FLOODBIN" --target "$NODE_IP:$PORT" --mix size=0 --keys 256 \
	--legit-src "$LEGIT_SRC" --legit-rate 4000 --duration 4 --grace-ms 0 \
	>"$F" 2>"$F.err" &
FLOOD=$!
PIDS+=("$FLOOD")
# Once the ring is full (the first ring_full/no_slot drop), the
# dataplane's rx counter must go on rising.
ring_full() {
	[ $(($(dpstat drop_ring_full) + $(dpstat drop_no_slot))) -gt "$full0" ]
}
wait_for ring_full ||
	fail "no ring_full/no_slot drops while control is stopped" \
	     "(rx $rx0 -> $(dpstat rx_pkts), accepted $acc0 -> $(dpstat accepted))"
rx1=$(dpstat rx_pkts)
sleep 0.5
rx2=$(dpstat rx_pkts)
kill -0 "$FLOOD" || fail "the ping flood ended too early to watch"
grep -q '^State:.*stopped' "/proc/$BOOT/status" || fail "control not stopped"
[ "$rx2" -gt "$rx1" ] ||
	fail "dataplane rx stuck at $rx1 while control is stopped"
wait "$FLOOD" || fail "ping flood failed: $(cat "$F.err")"
sent=$(v legit_sent "$F")
ring_read() {
	[ $(($(dpstat rx_pkts) - rx0 + $(sock_drops) - sd0)) -ge "$sent" ]
}
wait_for ring_read || fail "the dataplane read $(($(dpstat rx_pkts) - rx0)) of $sent"
[ "$(v legit_answered "$F")" = 0 ] ||
	fail "$(v legit_answered "$F") pings answered by a stopped control"
grep -q '^State:.*stopped' "/proc/$BOOT/status" || fail "control not stopped"
rx3=$(dpstat rx_pkts) acc3=$(dpstat accepted)
full3=$(( $(dpstat drop_ring_full) + $(dpstat drop_no_slot) ))
sd=$(( $(sock_drops) - sd0 ))
full=$((full3 - full0)) acc=$((acc3 - acc0))
[ $((rx3 - rx0)) -eq $((sent - sd)) ] ||
	fail "rx $((rx3 - rx0)) for $sent pings ($sd dropped by the kernel)"
[ "$acc" -eq $((sent - sd)) ] ||
	fail "accepted $acc of $((sent - sd)) signed pings"
# The ring holds 2047 descriptors (dplink's default of 2048 slots): all
# the rest must have been dropped, none waited for.
[ "$full" -gt 0 ] && [ $((acc - full)) -le 2047 ] ||
	fail "ring_full+no_slot $full for $acc accepted"
echo "ok control stopped: dataplane read $((rx3 - rx0)) pings (rx $rx0 ->" \
     "$rx1 -> $rx2 -> $rx3), $((acc - full)) queued, $full dropped as" \
     "ring_full/no_slot"
kill -CONT "$BOOT"
# Control drains what was queued, then answers a fresh Ping in time.
drained() {
	scrape || return 1
	[ $(($(msum '^devplane_discv4_(packets_in_total|drops_total)[{]') -
	     pings0)) -ge $((acc - full)) ]
}
wait_for drained || fail "control did not take the $((acc - full)) queued pings"
OUT=$(timeout 10 "$DEVPLANE" discv4 ping "$ENODE" --timeout 1s --verbosity 0) ||
	fail "ping after SIGCONT: $OUT"
echo "$OUT" | grep -q 'node responded to ping' || fail "ping printed $OUT"
kill -0 "$BOOT" && kill -0 "$DPPID" || fail "a process died"
echo "ok after SIGCONT: queue drained, fresh ping answered"

# SIGTERM stops both.
kill -TERM "$BOOT"
for _ in $(seq 50); do
	kill -0 "$BOOT" 2>/dev/null || kill -0 "$DPPID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$BOOT" 2>/dev/null && fail "bootnode ignored SIGTERM"
kill -0 "$DPPID" 2>/dev/null && fail "devplane-dp $DPPID still alive"
echo "PASS"
