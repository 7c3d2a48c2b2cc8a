#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_cli.sh - the command line as a user meets it:
#  1. `devplane`, `devplane --help` and every command's --help / -h: usage
#     on stdout, exit 0 (the bare `devplane`: usage on stderr, exit 2);
#  2. every command refuses an unknown flag, and a flag it does not take,
#     with its usage on stderr and exit 2;
#  3. `devplane version` and `devplane-dp version` print the version and
#     the commit;
#  5. `--chain NAME --dry-run` (node, crawl) prints the chain's bootnodes
#     and DNS tree, geth's, and exits 0 without starting anything;
#     --bootnodes and --discovery.dns replace them, "" leaves none;
#  4. `devplane node --nat extip:IP --metrics.addr IP:0 --db FILE
#     --dataplane.budget R:B` runs: its enode carries the external IP,
#     /metrics answers with the node's families, the database is written
#     (the budget's effect on the dataplane is test_bootnode.sh's: both
#     commands hand it over through control/cmd/cmdutil.c).
# usage: test_cli.sh DEVPLANE DEVPLANE_DP
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE DEVPLANE_DP}
DPBIN=${2:?usage: $0 DEVPLANE DEVPLANE_DP}
FAIL_LOGS="*.err *.out"
. "$(dirname "$0")/lib_loopback.sh" cli

COMMANDS=("bootnode" "node" "crawl" "report" "testnet" "discv4 ping" "discv4 resolve"
	  "rlpx ping" "test discv4" "key generate" "key to-enode" "enr dump"
	  "admin" "ban list" "ban add" "ban remove" "version" "key to-enr"
	  "dns build" "dns verify" "nodeset filter" "nodeset info"
	  "discv5 ping" "discv5 resolve" "discv5 talk" "test discv5")

# 1. help
"$DEVPLANE" >"$WORK/bare.out" 2>"$WORK/bare.err"
[ $? = 2 ] && grep -q '^usage: devplane COMMAND' "$WORK/bare.err" ||
	fail "bare devplane: want usage on stderr, exit 2"
for h in --help -h help; do
	"$DEVPLANE" $h >"$WORK/top.out" 2>"$WORK/top.err" ||
		fail "devplane $h exited $?"
	grep -q '^usage: devplane COMMAND' "$WORK/top.out" ||
		fail "devplane $h: no usage on stdout"
done
for c in "${COMMANDS[@]}"; do
	for h in --help -h; do
		# shellcheck disable=SC2086 # $c is the command path's words
		"$DEVPLANE" $c $h >"$WORK/help.out" 2>"$WORK/help.err" ||
			fail "devplane $c $h exited $?"
		grep -q "^usage: devplane $c" "$WORK/help.out" ||
			fail "devplane $c $h: no usage on stdout"
		[ -s "$WORK/help.err" ] && fail "devplane $c $h wrote to stderr"
	done
done
echo "ok --help: ${#COMMANDS[@]} commands, usage on stdout, exit 0"

# 2. unknown flags, and flags of other commands
for c in "${COMMANDS[@]}"; do
	# shellcheck disable=SC2086
	"$DEVPLANE" $c --no-such-flag >"$WORK/bad.out" 2>"$WORK/bad.err"
	rc=$?
	[ $rc = 2 ] || fail "devplane $c --no-such-flag exited $rc, want 2"
	grep -q 'unknown flag --no-such-flag' "$WORK/bad.err" &&
		grep -q "^usage: devplane $c" "$WORK/bad.err" ||
		fail "devplane $c --no-such-flag: no reason and usage on stderr"
	[ -s "$WORK/bad.out" ] && fail "devplane $c --no-such-flag wrote to stdout"
done
"$DEVPLANE" key generate "$WORK/k" --nodes 5 2>"$WORK/bad.err"
[ $? = 2 ] && grep -q 'does not take --nodes' "$WORK/bad.err" ||
	fail "key generate --nodes: want 'does not take', exit 2"
[ -e "$WORK/k" ] && fail "key generate ran despite a bad flag"
"$DEVPLANE" discv4 frobnicate 2>"$WORK/bad.err"
[ $? = 2 ] && grep -q 'unknown command: discv4 frobnicate' "$WORK/bad.err" ||
	fail "unknown subcommand: want exit 2"
# --nat: geth's mechanisms parse; a one-shot query maps nothing.
"$DEVPLANE" bootnode --nat stun:1.2.3.4:3478 2>"$WORK/bad.err"
[ $? = 2 ] && grep -q 'stun is not supported' "$WORK/bad.err" ||
	fail "--nat stun: want 'not supported', exit 2"
"$DEVPLANE" discv4 ping --nat upnp enode://0@127.0.0.1:1 2>"$WORK/bad.err"
[ $? = 2 ] && grep -q 'maps ports for node, bootnode and crawl only' \
	"$WORK/bad.err" || fail "discv4 ping --nat upnp: want exit 2"
# discv5: a bad node, a bad payload, and a silent endpoint.
for c in "discv5 ping" "discv5 resolve" "test discv5"; do
	# shellcheck disable=SC2086
	"$DEVPLANE" $c enode://00@127.0.0.1:1 2>"$WORK/bad.err"
	[ $? = 2 ] && grep -q 'invalid node enode://00@' "$WORK/bad.err" ||
		fail "$c with a bad node: want exit 2"
done
"$DEVPLANE" key generate "$WORK/t.key" >/dev/null || fail "key generate"
SILENT=$("$DEVPLANE" key to-enode "$WORK/t.key" --ip 127.0.0.1 --tcp 0 \
	--udp 9) || fail "key to-enode"
"$DEVPLANE" discv5 talk "$SILENT" proto 0xzz 2>"$WORK/bad.err"
[ $? = 2 ] && grep -q 'HEX is not hex' "$WORK/bad.err" ||
	fail "discv5 talk with bad hex: want exit 2"
"$DEVPLANE" discv5 talk "$SILENT" proto 0x01 >"$WORK/talk.out" \
	2>"$WORK/talk.err"
[ $? = 1 ] && grep -q 'talk: timeout (no answer)' "$WORK/talk.err" &&
	[ ! -s "$WORK/talk.out" ] ||
	fail "discv5 talk to a silent port: want a timeout, exit 1"
"$DEVPLANE" bootnode --nat.lease 1m 2>"$WORK/bad.err"
[ $? = 2 ] && grep -q 'nat.lease needs --nat upnp' "$WORK/bad.err" ||
	fail "--nat.lease without a mapping --nat: want exit 2"
echo "ok unknown flags: exit 2 with the command's usage"

# 3. versions
"$DEVPLANE" version >"$WORK/v.out" || fail "devplane version exited $?"
grep -Eq '^devplane [0-9]+\.[0-9]+\.[0-9]+' "$WORK/v.out" &&
	grep -Eq '^commit +([0-9a-f]{7,}|unknown)' "$WORK/v.out" ||
	fail "devplane version: $(cat "$WORK/v.out")"
"$DPBIN" version >"$WORK/dpv.out" || fail "devplane-dp version exited $?"
grep -Eq '[0-9]+\.[0-9]+\.[0-9]+' "$WORK/dpv.out" &&
	grep -Eq '([0-9a-f]{7,}|unknown)' "$WORK/dpv.out" ||
	fail "devplane-dp version: $(cat "$WORK/dpv.out")"
echo "ok version: $(head -1 "$WORK/v.out"), $(grep commit "$WORK/v.out")"

# 4. node with the flags it shares with bootnode and crawl
"$DEVPLANE" key generate "$WORK/node.key" >/dev/null || fail "key generate"
"$DEVPLANE" node --nodekey "$WORK/node.key" --addr 127.0.0.1:0 \
	--nat extip:203.0.113.9 --metrics.addr 127.0.0.1:0 --db "$WORK/node.db" \
	--dataplane.budget 100:200 --nodiscover=false --chain sepolia \
	--bootnodes "" --discovery.dns "" \
	>"$WORK/node.out" 2>"$WORK/node.err" &
PIDS+=($!)
wait_for grep -q '^enode://' "$WORK/node.out" || fail "node printed no enode"
grep -q '^enode://[0-9a-f]*@203\.0\.113\.9:' "$WORK/node.out" ||
	fail "node enode without the --nat address: $(head -1 "$WORK/node.out")"
wait_for grep -q 'metrics on port' "$WORK/node.err" || fail "no metrics port"
MPORT=$(sed -n 's/.*metrics on port \([0-9]*\).*/\1/p' "$WORK/node.err" | head -1)
curl -sf "http://127.0.0.1:$MPORT/metrics" >"$WORK/metrics.out" ||
	fail "GET /metrics on $MPORT failed"
grep -q '^devplane_discv4_table_nodes ' "$WORK/metrics.out" &&
	grep -q '^devplane_dp_rx_packets_total' "$WORK/metrics.out" ||
	fail "node /metrics lacks the discovery or dataplane families"
kill -TERM "${PIDS[-1]}"
wait "${PIDS[-1]}" 2>/dev/null
[ -s "$WORK/node.db" ] || fail "node --db wrote nothing"
echo "ok node --nat --metrics.addr --db --dataplane.budget"

# 5. --chain presets, shown by --dry-run (nothing is started: no network)
"$DEVPLANE" crawl --chain mainnet --dry-run >"$WORK/dry.out" 2>"$WORK/dry.err" ||
	fail "crawl --chain mainnet --dry-run exited $?"
[ "$(grep -c '^bootnode enr:-\|^bootnode enode://' "$WORK/dry.out")" = 9 ] &&
	grep -qx 'bootnode enode://d860a01f9722d78051619d1e2351aba3f43f943f6f00718d1b9baa4101932a1f5011f16bb2b1bb35db20d6fe28fa0bf09636d26a87d31de9ec6203eeedb1f666@18.138.108.67:30303' "$WORK/dry.out" &&
	grep -qx 'dns enrtree://AKA3AM6LPBYEUDMVNU3BSVQJ5AD45Y7YPOHJLEF6W26QOE4VTUDPE@all.mainnet.ethdisco.net' "$WORK/dry.out" &&
	grep -q '^chain mainnet: network 1, genesis 0xd4e56740' "$WORK/dry.out" ||
	fail "crawl --chain mainnet --dry-run: $(cat "$WORK/dry.out")"
[ -s "$WORK/dry.err" ] && fail "--dry-run wrote to stderr: $(cat "$WORK/dry.err")"
"$DEVPLANE" node --chain hoodi --bootnodes "" --dry-run >"$WORK/dry2.out" ||
	fail "node --dry-run exited $?"
grep -q '^bootnode' "$WORK/dry2.out" && fail "--bootnodes \"\" left bootnodes"
grep -qx 'dns enrtree://AKA3AM6LPBYEUDMVNU3BSVQJ5AD45Y7YPOHJLEF6W26QOE4VTUDPE@all.hoodi.ethdisco.net' \
	"$WORK/dry2.out" || fail "node --chain hoodi: no DNS tree"
"$DEVPLANE" node --chain sepolia --discovery.dns "" --dns.server 127.0.0.1:5353 \
	--dry-run >"$WORK/dry3.out" || fail "node --dry-run exited $?"
grep -q '^dns ' "$WORK/dry3.out" && fail "--discovery.dns \"\" left a tree"
[ "$(grep -c '^bootnode enr:-\|^bootnode enode://' "$WORK/dry3.out")" = 10 ] ||
	fail "sepolia: want geth's 10 bootnodes"
"$DEVPLANE" crawl --dry-run >"$WORK/dry4.out" || fail "crawl --dry-run exited $?"
grep -q '^bootnode\|^dns ' "$WORK/dry4.out" && fail "no --chain: presets used"
echo "ok --chain presets: geth's bootnodes and DNS trees, overrides, none without --chain"
echo PASS
