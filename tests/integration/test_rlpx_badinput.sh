#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/integration/test_rlpx_badinput.sh - a slowloris that never finishes the handshake is closed at 5 s and its pending slot freed; 1,000 half-open connections never push pending above --maxpendpeers; a good peer is served afterwards.
# usage: test_rlpx_badinput.sh DEVPLANE
set -u
DP=$1
. "$(dirname "$0")/lib_interop.sh"

ulimit -n 4096 2>/dev/null
key() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
PA=$(rand_port 30000 10000)
timeout 90 "$DP" node --nodekeyhex "$(key)" --addr 127.0.0.1:$PA \
	--nodiscover --maxpendpeers 50 >"$WORK/a.out" 2>"$WORK/a.err" &
A=$!
PIDS="$PIDS $A"
for i in $(seq 50); do
	[ -s "$WORK/a.out" ] && break
	sleep 0.1
done
EA=$(head -1 "$WORK/a.out")
case "$EA" in enode://*) ;; *) cat "$WORK/a.err"; die "no enode";; esac

# Slowloris: a valid-looking EIP-8 size prefix (300 bytes), then one byte
# every 0.4 s. The server must close at its 5 s handshake deadline.
timeout 20 python3 - "$PA" <<'PY' || die "slowloris"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.monotonic()
s.sendall(b"\x01\x2c")
s.settimeout(0.4)
closed = None
while time.monotonic() - t0 < 12:
    try:
        s.send(b"\x00")
        d = s.recv(1)
        if d == b"":
            closed = time.monotonic() - t0
            break
    except socket.timeout:
        continue
    except OSError:
        closed = time.monotonic() - t0
        break
print("slowloris closed after %.2f s" % (closed or -1))
sys.exit(0 if closed is not None and 4.5 <= closed <= 7.0 else 1)
PY
sleep 1.5
last=$(grep '^rlpx stats:' "$WORK/a.err" | tail -1)
case "$last" in *" pending=0 "*hs_timeout=1*) ;; *) echo "$last"; die "slowloris slot not freed";; esac

# 1,000 half-open connections: connect and say nothing.
timeout 60 python3 - "$PA" <<'PY' || die "half-open"
import socket, sys, time
socks = []
for i in range(1000):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", int(sys.argv[1])))
    except BlockingIOError:
        pass
    socks.append(s)
time.sleep(3)
for s in socks:
    s.close()
print("opened and closed 1000 half-open connections")
PY
sleep 7
max=$(sed -n 's/^rlpx stats: .*pending_max=\([0-9]*\) .*/\1/p' "$WORK/a.err" | sort -n | tail -1)
peak=$(sed -n 's/^rlpx stats: pending=\([0-9]*\) .*/\1/p' "$WORK/a.err" | sort -n | tail -1)
echo "pending_max=$max peak pending seen=$peak"
[ -n "$max" ] && [ "$max" -le 50 ] || die "pending above the cap ($max)"
[ "$max" -eq 50 ] || die "the cap was never reached ($max): test too weak"
[ "$peak" -le 50 ] || die "pending line above the cap ($peak)"
grep '^rlpx stats:' "$WORK/a.err" | tail -1 | grep -q ' refused_pending=[1-9]' || die "nothing refused"

# A good peer is still served.
"$DP" rlpx ping "$EA" --timeout 5s >"$WORK/ping.out" 2>&1 || { cat "$WORK/ping.out"; die "good peer not served"; }
grep -q '^client  devplane/' "$WORK/ping.out" || die "no Hello"
echo "PASS: slowloris closed at 5 s, pending capped at 50 under 1000 half-open, good peer served"
