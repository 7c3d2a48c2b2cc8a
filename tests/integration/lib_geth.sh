# SPDX-License-Identifier: MIT
# tests/integration/lib_geth.sh - helpers shared by the geth v1.17.10
# interop scripts (sourced by test_geth_discv4.sh, test_geth_rlpx.sh,
# test_geth_crawl.sh; bash): a work folder and cleanup by pid, bounded
# waits, devplane and geth processes on loopback, geth's binaries from
# tests/interop/geth/install.sh, a private post-merge chain.
#
# The sourcing script sets DEVPLANE (the devplane binary) and calls
# geth_init NAME first. Everything listens on 127.0.0.1 at ports the
# kernel picks; geth runs with --netrestrict 127.0.0.0/8, no DNS
# discovery, and only the bootnodes a test gives it (or --nodiscover),
# so nothing leaves the machine.

# The private chain of every geth test: post-merge from genesis, every
# fork at block 0 or time 0, so its fork id is the genesis CRC32 with no
# next fork.
GETH_NETWORKID=31337031

# geth_init NAME: WORK (a fresh folder), PIDS, T_START and the traps that
# stop every process started through these helpers.
geth_init() {
	WORK=$(mktemp -d "/tmp/devplane-$1.XXXXXX")
	PIDS=()
	T_START=$SECONDS
	trap geth_cleanup EXIT
	trap 'exit 130' INT TERM
}

geth_cleanup() {
	local p i
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	# geth and devplane exit on SIGTERM (devplane stops its dataplane);
	# whatever is left after 5 s is killed.
	for i in $(seq 50); do
		for p in "${PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null && break
			p=
		done
		[ -z "${p:-}" ] && break
		sleep 0.1
	done
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}

# fail MSG: prints MSG and the tails of the processes' logs, exits 1.
fail() {
	local f
	echo "FAIL: $*" >&2
	for f in "$WORK"/*.err "$WORK"/*.out "$WORK"/*/*.log; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -15 "$f" >&2; }
	done
	exit 1
}

# wait_until SECS CMD...: retries CMD every 0.5 s for up to SECS.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.5
	done
}

key() {
	od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
}

# pub_of URL_OR_ENR: the 128-hex public key of an enode URL or enr: text.
pub_of() {
	case "$1" in
	enode://*)
		local p=${1#enode://}
		echo "${p%%@*}" ;;
	enr:*)
		"$DEVPLANE" enr dump "$1" |
			sed -n 's|^URLv4: *enode://\([0-9a-f]*\)@.*|\1|p' ;;
	esac
}

# table_pubs IPC: the public keys in a node's discv4 table (ours or
# geth's: the same debug_discoveryV4Table).
table_pubs() {
	local n
	"$DEVPLANE" admin --ipcpath "$1" debug_discoveryV4Table \
		2>/dev/null | sed -n 's/.*"node": "\([^"]*\)".*/\1/p' |
		while read -r n; do pub_of "$n"; done
}

# has_all FILE PUB...: FILE lists every PUB.
has_all() {
	local f=$1 p
	shift
	for p in "$@"; do
		grep -qx "$p" "$f" || return 1
	done
}

# start_devplane KIND NAME [flags]: `devplane KIND` on 127.0.0.1, a fresh
# key, port 0 (the dataplane picks the UDP port; RLPx listens on TCP at
# the same number, which may be taken: three tries), admin API at
# $WORK/NAME.ipc, output in $WORK/NAME.out and .err; sets ENODE, PUB and
# DPID (its pid).
start_devplane() {
	local kind=$1 name=$2 try end
	shift 2
	for try in 1 2 3; do
		"$DEVPLANE" "$kind" --nodekeyhex "$(key)" --addr 127.0.0.1:0 \
			--ipcpath "$WORK/$name.ipc" "$@" \
			>"$WORK/$name.out" 2>"$WORK/$name.err" &
		DPID=$!
		PIDS+=("$DPID")
		end=$((SECONDS + 20))
		while ! grep -qs '^enode://' "$WORK/$name.out" &&
		      kill -0 "$DPID" 2>/dev/null && [ $SECONDS -lt $end ]; do
			sleep 0.1
		done
		if grep -qs '^enode://' "$WORK/$name.out"; then
			wait_until 20 test -S "$WORK/$name.ipc" ||
				fail "devplane $kind $name: no admin socket"
			ENODE=$(grep -m1 '^enode://' "$WORK/$name.out")
			PUB=$(pub_of "$ENODE")
			return 0
		fi
		kill -TERM "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
		echo "devplane $kind $name did not start (try $try):" \
		     "$(tail -2 "$WORK/$name.err")" >&2
	done
	fail "devplane $kind $name printed no enode URL"
}

# json_get EXPR: evaluates the Python expression EXPR over the JSON
# document on stdin (bound to d) and prints the result (lists and dicts
# as JSON, strings bare).
json_get() {
	python3 -c 'import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1"
}

# stop_pid PID SECS: SIGTERM to PID, then waits up to SECS for it to end;
# returns its exit status (124 if it did not end; it is then killed).
stop_pid() {
	local pid=$1 end=$((SECONDS + $2))
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do
		if [ $SECONDS -ge $end ]; then
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 124
		fi
		sleep 0.1
	done
	wait "$pid" 2>/dev/null
}

# geth_install: geth and devp2p from tests/interop/geth/install.sh (built
# once with Go from the module proxy, cached); sets GETH and DEVP2P.
# Without Go or the proxy the test fails with install.sh's reason: it is
# not skipped.
geth_install() {
	local here bin
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	echo "== geth and devp2p (tests/interop/geth/install.sh)"
	"$here/../interop/geth/install.sh" >"$WORK/install.out" \
		2>"$WORK/install.err" ||
		fail "tests/interop/geth/install.sh could not provide geth: $(tail -3 "$WORK/install.err")"
	bin=$(sed -n 's/^GETH_BIN=//p' "$WORK/install.out" | tail -1)
	GETH=$bin/geth
	DEVP2P=$bin/devp2p
	[ -x "$GETH" ] && [ -x "$DEVP2P" ] || fail "no geth/devp2p in '$bin'"
	head -2 "$WORK/install.out"
}

# geth_genesis: the private chain's genesis ($WORK/genesis.json) and the
# config that makes geth listen on loopback only, on ports the kernel
# picks ($WORK/geth.toml: TCP, then UDP on the same number, geth's
# default).
geth_genesis() {
	cat >"$WORK/genesis.json" <<EOF
{
  "config": {
    "chainId": $GETH_NETWORKID,
    "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
    "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0,
    "petersburgBlock": 0, "istanbulBlock": 0, "berlinBlock": 0,
    "londonBlock": 0, "mergeNetsplitBlock": 0, "shanghaiTime": 0,
    "cancunTime": 0, "terminalTotalDifficulty": 0,
    "blobSchedule": {
      "cancun": { "target": 3, "max": 6, "baseFeeUpdateFraction": 3338477 }
    }
  },
  "difficulty": "0x0", "gasLimit": "0x1c9c380",
  "baseFeePerGas": "0x3b9aca00", "alloc": {}
}
EOF
	printf '[Node.P2P]\nListenAddr = "127.0.0.1:0"\n' >"$WORK/geth.toml"
}

# geth_launch NAME [flags]: `geth init` of a fresh datadir $WORK/NAME with
# the private genesis, then geth on it in the background (log in
# $WORK/NAME/geth.log) with discovery limited to what flags say (add
# --nodiscover or --bootnodes). Sets GPID. Use geth_ready to wait.
geth_launch() {
	local name=$1
	shift
	mkdir -p "$WORK/$name"
	"$GETH" --datadir "$WORK/$name" init "$WORK/genesis.json" \
		>"$WORK/$name/init.log" 2>&1 || fail "geth init $name"
	"$GETH" --datadir "$WORK/$name" --config "$WORK/geth.toml" \
		--networkid "$GETH_NETWORKID" --nat extip:127.0.0.1 \
		--netrestrict 127.0.0.0/8 --discovery.dns "" \
		--authrpc.port 0 --cache 64 --verbosity 3 "$@" \
		>"$WORK/$name/geth.log" 2>&1 &
	GPID=$!
	PIDS+=("$GPID")
}

# geth_ready NAME: waits for geth NAME's IPC and P2P, then sets from its
# admin_nodeInfo GETH_ENODE (without geth's ?discport= suffix), GETH_PUB,
# GETH_ID (keccak256 of the key), GETH_ENR, GETH_NAME (its client id),
# GETH_GENESIS (64 hex) and GETH_TCP.
geth_ready() {
	local name=$1 info
	# A loaded machine (CI runs two builds side by side) can take
	# minutes to start three geths: generous, bounded.
	wait_until 240 test -S "$WORK/$name/geth.ipc" ||
		fail "geth $name did not start"
	wait_until 30 grep -qs 'Started P2P networking' "$WORK/$name/geth.log" ||
		fail "geth $name: no P2P"
	info=$("$DEVPLANE" admin --ipcpath "$WORK/$name/geth.ipc" admin_nodeInfo) ||
		fail "admin_nodeInfo of geth $name"
	GETH_ENODE=$(echo "$info" | json_get 'd["enode"].split("?")[0]')
	GETH_PUB=$(pub_of "$GETH_ENODE")
	GETH_ID=$(echo "$info" | json_get 'd["id"]')
	GETH_ENR=$(echo "$info" | json_get 'd["enr"]')
	GETH_NAME=$(echo "$info" | json_get 'd["name"]')
	GETH_GENESIS=$(echo "$info" |
		json_get 'd["protocols"]["eth"]["genesis"][2:]')
	GETH_TCP=${GETH_ENODE##*:}
	[ ${#GETH_PUB} = 128 ] && [ ${#GETH_ID} = 64 ] &&
		[ ${#GETH_GENESIS} = 64 ] && [ -n "$GETH_NAME" ] ||
		fail "geth $name: unexpected admin_nodeInfo: $info"
}

# geth_start NAME [flags]: geth_launch, then geth_ready.
geth_start() {
	geth_launch "$@"
	geth_ready "$1"
}

# geth_exec NAME JS: runs JS in geth NAME's own console (geth attach).
geth_exec() {
	timeout 60 "$GETH" attach --exec "$2" "$WORK/$1/geth.ipc"
}

# geth_rpc NAME METHOD [PARAMS]: one JSON-RPC call on geth NAME's IPC
# (through `devplane admin`, which prints the result as JSON).
geth_rpc() {
	local name=$1
	shift
	"$DEVPLANE" admin --ipcpath "$WORK/$name/geth.ipc" "$@"
}
