# SPDX-License-Identifier: MIT
# tests/integration/lib_loopback.sh - what the loopback scripts that run
# their own devplane processes share (sourced after `set -u`):
#   WORK            a fresh directory, removed on exit;
#   PIDS            an array: every pid added is SIGCONT'd (a test may have
#                   stopped it) and SIGKILLed on exit, by pid;
#   FAIL_LOGS       globs under $WORK that fail() shows the tail of
#                   (default: *.err);
#   fail MSG        prints MSG and the logs, exits 1;
#   wait_for CMD    retries CMD for up to 10 s;
#   free_port [udp|tcp] [IP]   a port free on IP (default 127.0.0.1);
#                   racy: prefer binding port 0 and reading what the
#                   process bound (enode_udp_port, bound_metrics_port);
#   enode_udp_port ENODE        the UDP port of an enode URL (its discport,
#                   else its port);
#   bound_metrics_port FILE     the port a devplane printed "metrics on
#                   port N" for in FILE.
# usage: . lib_loopback.sh NAME   (WORK is /tmp/devplane-NAME.XXXXXX)

WORK=$(mktemp -d "/tmp/devplane-${1:?lib_loopback.sh NAME}.XXXXXX")
PIDS=()
FAIL_LOGS=${FAIL_LOGS:-"*.err"}

cleanup() {
	for p in "${PIDS[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	local globs
	echo "FAIL: $*" >&2
	read -ra globs <<<"$FAIL_LOGS"  # split only: the globs are for $WORK
	for g in "${globs[@]}"; do
		for f in "$WORK"/$g; do
			[ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }
		done
	done
	exit 1
}

wait_for() {
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

enode_udp_port() {
	case $1 in
	*discport=*) echo "${1##*discport=}" | sed 's/[^0-9].*//' ;;
	*) echo "${1##*:}" | sed 's/[^0-9].*//' ;;
	esac
}

bound_metrics_port() {
	sed -n 's/.*metrics on port \([0-9]*\).*/\1/p' "$1" | head -1
}

free_port() {
	python3 - "${1:-udp}" "${2:-127.0.0.1}" <<'PY'
import socket, sys
t = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, t)
s.bind((sys.argv[2], 0))
print(s.getsockname()[1])
PY
}
