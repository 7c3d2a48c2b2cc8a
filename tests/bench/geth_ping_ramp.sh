#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/bench/geth_ping_ramp.sh - discovery serving side by side (issue 11
# performance anchor): how many signed Pings/s geth's discv4 node answers
# versus a devplane bootnode on the socket backend. A benchmark, not a
# test: it prints figures and asserts none.
#
# Each node is flooded by the flood generator's ramp (`devplane-flood`
# when it sits next to devplane-dp, else `devplane-dp flood`) with valid
# signed Pings (--mix ping=1: 64 keys from 32 loopback sources) at a rate
# rising 1.25x every 2 s, while 16 more keys send 200 legitimate Pings/s
# and answer the node's ping-backs; a step passes when >= 95 % of the
# legitimate Pings got their Pong, and the knee is the highest rate
# before two failing steps in a row (--ramp-confirm). The nodes:
#   geth      `devp2p discv4 listen` (geth's p2p/discover UDPv4, the code
#             a geth node runs), v1.17.10 from tests/interop/geth/install.sh;
#   devplane  `devplane bootnode` attached to `devplane-dp --cache 0
#             --budget off`: the socket backend with neither the replay
#             guard nor the per-source budget, so that, like geth, it
#             verifies and answers every Ping it reads (the generator
#             replays its prebuilt Pings, which our default dataplane
#             drops as replays after the first copies);
#   devplane-defaults  the same bootnode with its default dataplane
#             (replay guard, 500:1000 budget per source), printed for
#             context: its knee measures the defences, not serving.
# The ratio printed is devplane's knee over geth's. ROUNDS=N repeats the
# pair N times (default 1). With taskset and >= 2 cores the generator runs
# on CPU 0 and the node under test (all its processes and threads) on
# CPU 1, so that each node gets the same one core and the generator never
# competes with it. Loopback only (127.N.0.0/16); the machine's
# cores and load are printed with the figures: on a shared machine they
# move both knees.
#
# usage: geth_ping_ramp.sh BUILD_DIR      (meson: ninja -C build bench-geth-ping)
set -u
BUILD=${1:?usage: $0 BUILD_DIR}
DEVPLANE=$BUILD/control/devplane
DPBIN=$BUILD/dataplane/devplane-dp
if [ -x "$BUILD/dataplane/devplane-flood" ]; then
	FLOOD=("$BUILD/dataplane/devplane-flood")
elif [ -x "$BUILD/dataplane/flood/devplane-flood" ]; then
	FLOOD=("$BUILD/dataplane/flood/devplane-flood")
else
	FLOOD=("$DPBIN" flood)
fi
ROUNDS=${ROUNDS:-1}
GEN_PIN=() NODE_PIN=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	GEN_PIN=(taskset -c 0) NODE_PIN=(taskset -c 1)
fi
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/devplane-geth-ramp.XXXXXX)
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.5
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "geth_ping_ramp: $*" >&2
	exit 1
}

wait_until() {         # wait_until SECS CMD...
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

stop() {                # stop PID: TERM, then KILL after 5 s
	kill -TERM "$1" 2>/dev/null
	wait_until 5 eval "! kill -0 $1 2>/dev/null" || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

key() {
	od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
}

[ -x "$DEVPLANE" ] && [ -x "$DPBIN" ] || die "no devplane build in $BUILD"
"$HERE/../interop/geth/install.sh" >"$WORK/install.out" 2>"$WORK/install.err" ||
	die "tests/interop/geth/install.sh: $(tail -3 "$WORK/install.err")"
GETH_BIN=$(sed -n 's/^GETH_BIN=//p' "$WORK/install.out" | tail -1)
DEVP2P=$GETH_BIN/devp2p

# This run's own loopback /16, so that no other test's traffic mixes in.
N=$((30 + $$ % 200))
COMMON=(--ramp-max 512000 --ramp-confirm --threshold 0.95 --grace-ms 500
        --mix ping=1 --junk-src "127.$N.1.1+32" --keys 16
        --legit-src "127.$N.2.1+16" --legit-rate 200)
RAMP=(--ramp 250:1.25:2 "${COMMON[@]}")

# ramp NAME PORT: the ramp at 127.0.0.1:PORT; prints its lines, sets KNEE.
# The defaults' run climbs faster (x2): it only shows where the sender
# gives out.
ramp() {
	local out=$WORK/$1.ramp end r=("${RAMP[@]}")
	[ "$1" = devplane-defaults ] && r=(--ramp 1000:2:2 "${COMMON[@]}")
	timeout 300 "${GEN_PIN[@]}" "${FLOOD[@]}" --target "127.0.0.1:$2" "${r[@]}" \
		>"$out" 2>"$out.err" || die "$1: the ramp failed: $(cat "$out.err")"
	sed "s/^/  $1: /" "$out"
	end=$(grep '^ramp_end' "$out")
	KNEE=$(echo "$end" | sed -n 's/.*knee_pps=\([^ ]*\).*/\1/p')
	case "$KNEE" in
	not-reached)    # no step failed: the generator's ceiling, a floor
		KNEE=">$(echo "$end" | sed -n 's/.*highest_ok_pps=\([0-9]*\).*/\1/p')" ;;
	none) KNEE=0 ;;
	esac
}

run_geth() {
	local pid rec url
	rm -f "$WORK"/listen.*
	"${NODE_PIN[@]}" "$DEVP2P" discv4 listen --addr 127.0.0.1:0 --nodekey "$(key)" \
		>"$WORK/listen.out" 2>"$WORK/listen.err" &
	pid=$!
	PIDS+=("$pid")
	wait_until 20 grep -qs '^enr:' "$WORK/listen.out" || die "devp2p listen"
	rec=$(grep -m1 '^enr:' "$WORK/listen.out")
	url=$("$DEVPLANE" enr dump "$rec" | sed -n 's/^URLv4: *//p')
	ramp geth "${url##*discport=}"
	stop "$pid"
}

# run_devplane NAME [devplane-dp flags]: with flags, the bootnode attaches
# to a devplane-dp started with them; without, it spawns its default one.
run_devplane() {
	local name=$1 pid dp= url
	shift
	rm -f "$WORK"/boot.* "$WORK"/dp.*
	if [ $# -gt 0 ]; then
		"${NODE_PIN[@]}" "$DPBIN" --shm "$WORK/dp.shm" --listen 127.0.0.1:0 "$@" \
			>"$WORK/dp.out" 2>"$WORK/dp.err" &
		dp=$!
		PIDS+=("$dp")
		wait_until 20 test -S "$WORK/dp.shm.sock" || die "devplane-dp"
		"${NODE_PIN[@]}" "$DEVPLANE" bootnode --nodekeyhex "$(key)" \
			--verbosity 2 --dataplane "attach:$WORK/dp.shm" \
			>"$WORK/boot.out" 2>"$WORK/boot.err" &
	else
		"${NODE_PIN[@]}" "$DEVPLANE" bootnode --nodekeyhex "$(key)" \
			--verbosity 2 --addr 127.0.0.1:0 >"$WORK/boot.out" 2>"$WORK/boot.err" &
	fi
	pid=$!
	PIDS+=("$pid")
	wait_until 20 grep -qs '^enode://' "$WORK/boot.out" ||
		die "devplane bootnode: $(cat "$WORK/boot.err")"
	url=$(grep -m1 '^enode://' "$WORK/boot.out")
	ramp "$name" "${url##*discport=}"
	stop "$pid"
	[ -n "$dp" ] && stop "$dp"
}

echo "machine: $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "generator: ${GEN_PIN[*]} ${FLOOD[*]}; node: ${NODE_PIN[*]:-unpinned}"
echo "ramp: ${RAMP[*]}"
G=() D=()
for r in $(seq "$ROUNDS"); do
	echo "== round $r: geth (devp2p discv4 listen, $("$DEVP2P" --version 2>/dev/null | head -1))"
	run_geth
	G+=("$KNEE")
	echo "== round $r: devplane bootnode, socket backend, devplane-dp --cache 0 --budget off"
	run_devplane devplane --cache 0 --budget off
	D+=("$KNEE")
done
echo "== devplane bootnode, default dataplane (replay guard, budget 500:1000 per source)"
run_devplane devplane-defaults
DEF=$KNEE
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 0 $((ROUNDS - 1))); do
	g=${G[$r]} d=${D[$r]}
	ratio=$(awk -v g="${g#>}" -v d="${d#>}" \
		'BEGIN { if (g > 0) printf "%.2f", d / g; else print "n/a" }')
	echo "knee round $((r + 1)): geth $g pings/s, devplane $d pings/s," \
	     "ratio devplane/geth $ratio"
done
if [ "$ROUNDS" -gt 1 ]; then
	med() { printf '%s\n' "$@" | tr -d '>' | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
	mg=$(med "${G[@]}") md=$(med "${D[@]}")
	echo "median knee over $ROUNDS rounds: geth $mg pings/s, devplane $md" \
	     "pings/s, ratio $(awk -v g="$mg" -v d="$md" \
	     'BEGIN { if (g > 0) printf "%.2f", d / g; else print "n/a" }')"
fi
echo "knee devplane with its defences on: $DEF pings/s (replays and" \
     "over-budget sources dropped in the dataplane)"
