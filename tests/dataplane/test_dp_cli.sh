#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/dataplane/test_dp_cli.sh - devplane-dp's command line, as the issue
# asks it: --help / -h and every command's --help print the usage on
# stdout and exit 0; an unknown flag prints it on stderr and exits 2;
# `devplane-dp version` prints the version, the commit and the build
# options; `devplane-dp flood` says to use devplane-flood and exits 2.
# Nothing is started: no privileges, no sockets.
# usage: test_dp_cli.sh DEVPLANE_DP DEVPLANE_FLOOD
set -u
DP=${1:?usage: $0 DEVPLANE_DP DEVPLANE_FLOOD}
FLOOD=${2:?usage: $0 DEVPLANE_DP DEVPLANE_FLOOD}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

# expect RC STREAM PATTERN -- CMD...: CMD exits RC and PATTERN is on STREAM
# (out or err); the other stream is empty for help and usage errors.
expect() {
	local want=$1 stream=$2 pat=$3 rc
	shift 4
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -eq "$want" ] || { fail "$*: exit $rc, want $want"; return; }
	grep -qE -- "$pat" "$T/$stream" ||
		fail "$*: no /$pat/ on std$stream: $(head -3 "$T/$stream")"
	local other=out
	[ "$stream" = out ] && other=err
	[ ! -s "$T/$other" ] ||
		fail "$*: std$other not empty: $(head -3 "$T/$other")"
}

expect 0 out '^usage: devplane-dp' -- "$DP" --help
expect 0 out '^usage: devplane-dp' -- "$DP" -h
expect 2 err '^usage: devplane-dp' -- "$DP" --no-such-flag
expect 2 err '^usage: devplane-dp' -- "$DP" -x
expect 2 err '^usage: devplane-dp' -- "$DP" no-such-command
expect 2 err '^usage: devplane-dp' -- "$DP"
expect 2 err 'rlpx-mem-session must be' -- \
	"$DP" --shm "$T/x" --listen 127.0.0.1:0 --rlpx-mem-session 100K
expect 2 err 'rlpx-mem-session must be' -- "$DP" --shm "$T/x" \
	--listen 127.0.0.1:0 --rlpx-mem-session 64M --rlpx-mem-worker 32M
expect 2 err 'rlpx-mem-session must be' -- \
	"$DP" --shm "$T/x" --listen 127.0.0.1:0 --rlpx-mem-worker 1M
expect 2 err '^usage: devplane-dp' -- \
	"$DP" --shm "$T/x" --listen 127.0.0.1:0 --rlpx-mem-worker 12X
expect 2 err '^usage: devplane-dp' -- \
	"$DP" --shm "$T/x" --listen 127.0.0.1:0 --rlpx-mem-worker 0
for bad in 5 0:1 1:0 x:2 off:2; do
	expect 2 err '^usage: devplane-dp' -- \
		"$DP" --shm "$T/x" --listen 127.0.0.1:0 --whoareyou "$bad"
	expect 2 err '^usage: devplane-dp' -- \
		"$DP" --shm "$T/x" --listen 127.0.0.1:0 --v5-handshakes "$bad"
done
expect 0 out '^usage: devplane-dp stats' -- "$DP" stats --help
expect 2 err '^usage: devplane-dp stats' -- "$DP" stats --bogus
expect 2 err '^usage: devplane-dp stats' -- "$DP" stats --pid 0
expect 0 out '^usage: devplane-dp version' -- "$DP" version --help
expect 2 err '^usage: devplane-dp version' -- "$DP" version --bogus
expect 2 err 'devplane-flood' -- "$DP" flood --target 127.0.0.1:1
expect 2 err 'devplane-flood' -- "$DP" flood --help
expect 0 out '^usage: devplane-flood' -- "$FLOOD" --help
expect 2 err '^usage: devplane-flood' -- "$FLOOD" --bogus
expect 2 err '^usage: devplane-flood' -- "$FLOOD"

# The shield's commands (an XDP build) or a clear refusal (without).
"$DP" version >"$T/version" 2>&1 || fail "version: exit $?"
if grep -qx 'xdp on' "$T/version"; then
	expect 0 out '^usage: devplane-dp shield' -- "$DP" shield --help
	expect 0 out '^usage: devplane-dp shield' -- "$DP" shield ban --help
	expect 2 err '^usage: devplane-dp shield' -- "$DP" shield ban --bogus
	expect 2 err '^usage: devplane-dp shield' -- "$DP" shield stats
	expect 2 err '^usage: devplane-dp shield' -- \
		"$DP" shield attach --iface lo --discv5 maybe
	expect 2 err '^usage: devplane-dp shield' -- \
		"$DP" shield ban --iface lo 10.0.0.0/8 10.1.0.0/16
else
	expect 2 err 'no xdp backend' -- "$DP" shield --help
fi

# version: one line per fact, in this order.
for k in 'devplane-dp [0-9]+\.[0-9]+\.[0-9]+' 'commit [^ ]+' \
	 'xdp (on|off)' 'dpdk (on|off)' 'buildtype [a-z]+' \
	 'optimization [0-3gs]+' 'sanitizers [a-z,]+' 'fuzz (on|off)' \
	 'compiler [a-z]+ [0-9.]+'; do
	grep -qxE "$k" "$T/version" || fail "version: no line /$k/"
done
expect 0 out '^devplane-dp [0-9]' -- "$DP" --version

[ "$fails" -eq 0 ] || { cat "$T/version"; exit 1; }
echo "ok devplane-dp command line ($(sed -n 2p "$T/version"))"
