# SPDX-License-Identifier: MIT
# tests/integration/lib_dns.sh - EIP-1459 test helpers (sourced after
# lib_loopback.sh, which gives WORK, PIDS and fail):
#   dns_key FILE                 a fresh node key file (devplane key generate)
#   dns_records N IPBASE PORT0   N fresh records on 127.0.0.IPBASE+i with
#                                tcp/udp PORT0+i, one "enr:" line each
#   dns_nodes < RECORDS          geth's nodes.json of the records (ids and
#                                seqs from devplane enr dump)
#   nsd_start NAME ZONEFILE [NAME ZONEFILE ...]
#                                serves the zones from NSD on 127.0.0.1 on a
#                                random free port (ten tries): NSD_PORT, NSD_PID
#   nsd_stop                     stops it by pid
# DEVPLANE must be set. Safe under set -e.

dns_key() {
	"$DEVPLANE" key generate "$1" >/dev/null || fail "key generate $1"
}

dns_records() {
	local i
	for i in $(seq 0 $(($1 - 1))); do
		dns_key "$WORK/rec.$2.$i.key"
		"$DEVPLANE" key to-enr --ip "127.0.0.$(($2 + i))" \
			--tcp $(($3 + i)) --udp $(($3 + i)) \
			"$WORK/rec.$2.$i.key" || fail "key to-enr"
	done
}

dns_nodes() {
	local rec id sep=""
	printf '{'
	while read -r rec; do
		id=$("$DEVPLANE" enr dump "$rec" | sed -n 's/^Node ID: //p')
		[ -n "$id" ] || fail "enr dump $rec"
		printf '%s\n    "%s": {\n        "seq": 0,\n        "record": "%s"\n    }' \
			"$sep" "$id" "$rec"
		sep=","
	done
	[ -z "$sep" ] || printf '\n'
	printf '}'
}

nsd_start() {
	local dir=$WORK/nsd try
	command -v nsd >/dev/null ||
		fail "nsd missing (deploy/install-deps.sh installs it)"
	rm -rf "$dir"
	mkdir -p "$dir"
	# A random port, skipped while UDP or TCP on it is taken (a large
	# testnet of another test or benchmark may hold thousands); NSD's own
	# bind failure still moves on to the next try.
	for try in $(seq 10); do
		NSD_PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
		python3 -c 'import socket, sys
for t in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, t)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.close()' "$NSD_PORT" 2>/dev/null || continue
		{
			printf 'server:\n\tip-address: 127.0.0.1\n\tport: %s\n' "$NSD_PORT"
			printf '\tusername: ""\n\tchroot: ""\n\tzonesdir: "%s"\n' "$dir"
			printf '\tpidfile: "%s/nsd.pid"\n\tdatabase: ""\n' "$dir"
			printf '\txfrdfile: "%s/xfrd.state"\n' "$dir"
			printf '\tzonelistfile: "%s/zone.list"\n' "$dir"
			printf '\txfrdir: "%s"\n\tlogfile: "%s/nsd.log"\n' "$dir" "$dir"
			printf '\tserver-count: 1\n\tdo-ip6: no\n\tverbosity: 1\n'
			printf 'remote-control:\n\tcontrol-enable: no\n'
			local a=("$@") k
			for ((k = 0; k < ${#a[@]}; k += 2)); do
				cp "${a[k+1]}" "$dir/${a[k]}.zone"
				printf 'zone:\n\tname: "%s"\n\tzonefile: "%s.zone"\n' \
					"${a[k]}" "${a[k]}"
			done
		} > "$dir/nsd.conf"
		: > "$dir/nsd.log"
		nsd -d -c "$dir/nsd.conf" >"$dir/nsd.out" 2>&1 &
		NSD_PID=$!
		PIDS+=("$NSD_PID")
		for _ in $(seq 100); do
			grep -q 'nsd started' "$dir/nsd.log" 2>/dev/null && return 0
			kill -0 "$NSD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$NSD_PID" 2>/dev/null || true
		wait "$NSD_PID" 2>/dev/null || true
	done
	cat "$dir/nsd.log" "$dir/nsd.out" >&2
	fail "nsd did not start"
}

nsd_stop() {
	[ -n "${NSD_PID:-}" ] || return 0
	kill "$NSD_PID" 2>/dev/null || true
	wait "$NSD_PID" 2>/dev/null || true
	NSD_PID=""
}
