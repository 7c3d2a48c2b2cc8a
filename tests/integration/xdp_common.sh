# SPDX-License-Identifier: MIT
# tests/integration/xdp_common.sh - netns + veth set-up shared by the
# test_xdp_*.sh tests and tests/bench/xdp_bench.sh (sourced, not run).
# Needs root, ip, bpftool, python3; B = the build directory.
# XNS_A holds the node on XV0 (10.77.0.1), XNS_B the peers on XV1
# (10.77.0.2 plus 10.77.N.11, N = 1..XLEGIT, for legitimate sources).
# XQUEUES (default 1): RX/TX queues of each veth end. XV6=1 adds
# fd77::1/64 on XV0 and fd77::2/64, fd77::3/64 on XV1 (nodad).
XTAG=${XTAG:-$$}
XNS_A=dpxa$XTAG XNS_B=dpxb$XTAG XV0=dpx0$XTAG XV1=dpx1$XTAG
XPIDS=""
XCOUNTERS="pass_other drop_size drop_type drop_rate_src drop_rate_pfx
	drop_blocked drop_not_allowed redirect pass_no_xsk drop_budget
	redirect_verified"

# Only a missing root is a skip: bpftool comes with deploy/install-deps.sh
# and root can always mount bpffs, so their absence is a broken host.
xdp_skip_unless_root() {
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	command -v bpftool >/dev/null || {
		echo "FAIL: bpftool not found (deploy/install-deps.sh installs it)"
		exit 1
	}
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || {
		echo "FAIL: /sys/fs/bpf is not bpffs and mounting it failed"
		exit 1
	}
}

xdp_cleanup() {
	for p in $XPIDS; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $XPIDS; do kill -9 "$p" 2>/dev/null; done
	[ -n "$B" ] && [ -x "$B/dataplane/devplane-dp" ] &&
		"$B/dataplane/devplane-dp" shield detach --iface "$XV0" \
			>/dev/null 2>&1
	rm -rf "/sys/fs/bpf/devplane/$XV0"
	ip netns del "$XNS_A" 2>/dev/null
	ip netns del "$XNS_B" 2>/dev/null
	rm -rf "$XTMP"
}

xdp_setup() {
	XTMP=$(mktemp -d)
	trap xdp_cleanup EXIT INT TERM
	ip netns add "$XNS_A" && ip netns add "$XNS_B" || exit 1
	ip link add "$XV0" numtxqueues "${XQUEUES:-1}" \
		numrxqueues "${XQUEUES:-1}" type veth peer name "$XV1" \
		numtxqueues "${XQUEUES:-1}" numrxqueues "${XQUEUES:-1}" ||
		exit 1
	ip link set "$XV0" netns "$XNS_A"
	ip link set "$XV1" netns "$XNS_B"
	ip -n "$XNS_A" addr add 10.77.0.1/16 dev "$XV0"
	ip -n "$XNS_B" addr add 10.77.0.2/16 dev "$XV1"
	# Legitimate sources, one per /24 as real nodes are spread:
	# 10.77.N.11 for N = 1..XLEGIT (xdp_legit_args passes them).
	for i in $(seq 1 "${XLEGIT:-200}"); do
		echo "addr add 10.77.$i.11/16 dev $XV1"
	done | ip -n "$XNS_B" -batch - 2>/dev/null
	if [ "${XV6:-0}" = 1 ]; then
		ip -n "$XNS_A" -6 addr add fd77::1/64 dev "$XV0" nodad
		ip -n "$XNS_B" -6 addr add fd77::2/64 dev "$XV1" nodad
		ip -n "$XNS_B" -6 addr add fd77::3/64 dev "$XV1" nodad
	fi
	for n in "$XNS_A" "$XNS_B"; do ip -n "$n" link set lo up; done
	ip -n "$XNS_A" link set "$XV0" up
	ip -n "$XNS_B" link set "$XV1" up
}

# xdp_legit_args: --legit-src flags for the addresses xdp_setup added.
xdp_legit_args() {
	for i in $(seq 1 "${XLEGIT:-200}"); do
		printf -- '--legit-src 10.77.%d.11 ' "$i"
	done
}

# xdp_shield_cfg: the shield's buckets for the flood tests. Run it before
# xdp_bootnode: it attaches the shield (or changes the settings given on
# a running one), and the bootnode's dataplane re-opens it keeping them
# (test_xdp_restart.sh checks that a restart does too). Per source
# (/32) XSRC_RATE/s, burst 2x; per /24 XPFX_RATE/s, burst 2x. A
# legitimate node sends a bootnode a few packets a second; a /24 of them
# a few hundred at most. Unverified sources share a global budget of
# XUNK_RATE/s (burst XUNK_BURST): what the dataplane worker checks per
# second on this loaded machine; verified ones (endpoint proof) skip it.
xdp_shield_cfg() {
	in_a "$B/dataplane/devplane-dp" shield attach --iface "$XV0" \
		--port 30303 --rate "${XSRC_RATE:-50}" \
		--burst $((2 * ${XSRC_RATE:-50})) \
		--prefix-rate "${XPFX_RATE:-200}" \
		--prefix-burst $((2 * ${XPFX_RATE:-200})) \
		--unknown-rate "${XUNK_RATE:-30000}" \
		--unknown-burst "${XUNK_BURST:-1024}" >/dev/null
}

# xdp_sanitized: true when $B is a sanitizer build (meson's b_sanitize).
xdp_sanitized() {
	python3 -c 'import json, sys
o = json.load(open(sys.argv[1]))
sys.exit(0 if any(x["name"] == "b_sanitize" and x["value"] not in ("none", "")
		  for x in o) else 1)' "$B/meson-info/intro-buildoptions.json"
}

# in_a / in_b run a command in a namespace without touching the mount
# namespace (bpffs pins stay visible, unlike `ip netns exec`).
in_a() { nsenter --net="/var/run/netns/$XNS_A" "$@"; }
in_b() { nsenter --net="/var/run/netns/$XNS_B" "$@"; }

# xdp_counter NAME: the shield's verdict counter summed over CPUs.
xdp_counter() {
	python3 - "/sys/fs/bpf/devplane/$XV0/counters" "$1" <<'PY'
import json, subprocess, sys
names = ["pass_other", "drop_size", "drop_type", "drop_rate_src",
         "drop_rate_pfx", "drop_blocked", "drop_not_allowed", "redirect",
         "pass_no_xsk", "drop_budget", "redirect_verified"]
d = json.loads(subprocess.check_output(["bpftool", "map", "dump",
                                        "pinned", sys.argv[1], "-j"]))
for e in d:
    f = e["formatted"]
    if names[f["key"]] == sys.argv[2]:
        print(sum(v["value"] for v in f["values"]))
PY
}

# xdp_metrics [REGEX]: the bootnode's metrics lines matching REGEX.
xdp_metrics() {
	in_a python3 -c '
import urllib.request
print(urllib.request.urlopen("http://127.0.0.1:9477/metrics", timeout=5)
      .read().decode(), end="")' | grep -v '^#' | grep -E "${1:-.}"
}

# xdp_bootnode [ARGS...]: starts devplane bootnode on XV0 with the xdp
# backend (extra bootnode flags in ARGS), listening on XDP_HOST (default
# 10.77.0.1; [fd77::1] for IPv6) port 30303; sets ENODE and BOOT_PID.
xdp_bootnode() {
	hex=$(head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	setsid nsenter --net="/var/run/netns/$XNS_A" "$B/control/devplane" \
		bootnode --nodekeyhex "$hex" \
		--addr "${XDP_HOST:-10.77.0.1}:30303" \
		--dataplane "${XDP_DATAPLANE:-xdp:$XV0}" \
		--metrics.addr 127.0.0.1:9477 "$@" </dev/null \
		>"$XTMP/boot.log" 2>&1 &
	BOOT_PID=$!
	XPIDS="$XPIDS $BOOT_PID"
	for _ in $(seq 50); do
		id=$(grep -o '[0-9a-f]\{128\}' "$XTMP/boot.log" | head -1)
		[ -n "$id" ] && grep -q "dataplane pid" "$XTMP/boot.log" && break
		sleep 0.1
	done
	[ -n "$id" ] || { cat "$XTMP/boot.log"; return 1; }
	ENODE="enode://$id@${XDP_HOST:-10.77.0.1}:30303"
	sleep 0.3
}

# xdp_alive PID: the process runs (a zombie, exited but not yet reaped,
# does not count).
xdp_alive() { grep -qs '^State:.*[RSDT]' "/proc/$1/status"; }

# xdp_stop_bootnode: SIGTERM to the bootnode, then waits (5 s at most)
# until it and its dataplane child have exited; 1 if they did not.
xdp_stop_bootnode() {
	local dp
	dp=$(grep -o 'dataplane pid [0-9]*' "$XTMP/boot.log" | awk '{print $3}')
	kill "$BOOT_PID" 2>/dev/null
	for _ in $(seq 50); do
		xdp_alive "$BOOT_PID" || { [ -n "$dp" ] && xdp_alive "$dp"; } ||
			return 0
		sleep 0.1
	done
	return 1
}
