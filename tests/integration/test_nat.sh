#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/integration/test_nat.sh - --nat upnp, pmp and any against a real
# gateway: Debian's miniupnpd (nftables backend) in a "router" network
# namespace between a "lan" namespace, where devplane runs, and a "wan"
# namespace standing for the Internet. For each protocol: the mapping
# appears in the router (its nftables DNAT rule and its port-mapping list,
# read with upnpc from the LAN side), the enode URL and the ENR that
# devplane prints and serves carry the router's external IP (and the
# external port when the router gave another one), a node in the wan
# namespace pings and resolves devplane through the mapping, the mapping
# outlives its short lease because devplane renews it (while a mapping
# with the same lease that nobody renews expires), and SIGTERM deletes it.
# An IGDv1 router refusing the port (UPnP error 718) gets random ports;
# `devplane node --nat any` maps UDP and TCP and is reached over RLPx;
# `devplane crawl --nat pmp` holds its UDP port until the crawl ends.
# Needs root (namespaces, nftables): exits 77 without it.
# Usage: test_nat.sh DEVPLANE
set -u
DEVPLANE=${1:?usage: $0 DEVPLANE}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
PATH=$PATH:/usr/sbin:/sbin
# Only a missing root is a skip: deploy/install-deps.sh installs these.
for t in miniupnpd upnpc natpmpc nft ip; do
	command -v "$t" >/dev/null || {
		echo "FAIL: $t not found (deploy/install-deps.sh installs it)"
		exit 1
	}
done

TAG=$$
NL=dpnl$TAG NR=dpnr$TAG NW=dpnw$TAG     # namespaces: lan, router, wan
LIF=dpl$TAG RLIF=dprl$TAG              # lan veth: devplane side, router side
WIF=dpw$TAG RWIF=dprw$TAG              # wan veth: Internet side, router side
GW=10.79.0.1 LAN=10.79.0.2 OTHER=10.79.0.9
# miniupnpd refuses a private or reserved external address (it would
# disable port forwarding), documentation ranges included; this one
# exists only inside the namespaces below, which have no route out.
EXT=1.2.3.4 PEER=1.2.3.5
TBL=devplane_nat
HTTP_PORT=48000
LEASE=10                               # seconds: --nat.lease and the control mapping
KEY=b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291
T=$(mktemp -d)
fail=0

# Only this shell's jobs still running (ip netns exec execs, so a job's
# pid is devplane's or miniupnpd's own): never a pid reaped and reused.
cleanup() {
	local left
	left=$(jobs -pr)
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$left" ] && kill $left 2>/dev/null && sleep 1
	left=$(jobs -pr)
	# shellcheck disable=SC2086
	[ -n "$left" ] && kill -9 $left 2>/dev/null
	ip netns del "$NL" 2>/dev/null
	ip netns del "$NR" 2>/dev/null
	ip netns del "$NW" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap "exit 1" INT TERM

bad() { echo "FAIL $*"; fail=1; }
die() { echo "FAIL $*"; exit 1; }

# wait_for SECONDS CMD...: runs CMD every 0.2 s until it succeeds, at most
# SECONDS.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.2
	done
}

not() { ! "$@"; }
in_lan() { ip netns exec "$NL" "$@"; }
in_router() { ip netns exec "$NR" "$@"; }
in_wan() { ip netns exec "$NW" "$@"; }

# ---- the network ------------------------------------------------------------
ip netns add "$NL" && ip netns add "$NR" && ip netns add "$NW" ||
	die "cannot create namespaces"
ip link add "$LIF" type veth peer name "$RLIF" &&
	ip link add "$WIF" type veth peer name "$RWIF" || die "cannot create veths"
ip link set "$LIF" netns "$NL"
ip link set "$RLIF" netns "$NR"
ip link set "$RWIF" netns "$NR"
ip link set "$WIF" netns "$NW"
in_lan ip addr add "$LAN/24" dev "$LIF"
in_router ip addr add "$GW/24" dev "$RLIF"
in_router ip addr add "$EXT/24" dev "$RWIF"
in_wan ip addr add "$PEER/24" dev "$WIF"
for ns in "$NL" "$NR" "$NW"; do ip -n "$ns" link set lo up; done
in_lan ip link set "$LIF" up
in_router ip link set "$RLIF" up
in_router ip link set "$RWIF" up
in_wan ip link set "$WIF" up
# SSDP multicast and NAT-PMP's default gateway both follow this route.
in_lan ip route add default via "$GW" || die "no default route"
in_router sysctl -qw net.ipv4.ip_forward=1

# The router's firewall: what miniupnpd's nft_init.sh sets up (Debian does
# not ship its miniupnpd_functions.sh), plus a masquerading router's usual
# rules. miniupnpd adds its DNAT and accept rules to the *_miniupnpd chains.
cat >"$T/rules.nft" <<EOF
table inet $TBL {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		iifname "$RLIF" accept
		jump miniupnpd
	}
	chain miniupnpd { }
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		jump prerouting_miniupnpd
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		jump postrouting_miniupnpd
		oifname "$RWIF" masquerade
	}
	chain prerouting_miniupnpd { }
	chain postrouting_miniupnpd { }
}
EOF
in_router nft -f "$T/rules.nft" || die "nftables in the router namespace"

# miniupnpd.conf. secure_mode=no lets the test's stand-in for another LAN
# host ($OTHER) take a port first; devplane's requests name its own
# address either way.
write_conf() {
	cat >"$T/mu.conf" <<EOF
ext_ifname=$RWIF
listening_ip=$RLIF
http_port=$HTTP_PORT
enable_upnp=yes
enable_natpmp=yes
secure_mode=no
system_uptime=yes
ipv6_disable=yes
uuid=3d3cec3a-8cf0-11e0-98ee-$(printf %012x "$TAG")
upnp_table_name=$TBL
upnp_nat_table_name=$TBL
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd
allow 1024-65535 10.79.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF
	[ "${1:-}" = v1 ] && echo "force_igd_desc_v1=yes" >>"$T/mu.conf"
	true
}

MU=""
start_router() {
	write_conf "${1:-}"
	rm -f "$T/mu.pid"
	in_router nft flush chain inet "$TBL" prerouting_miniupnpd
	in_router nft flush chain inet "$TBL" miniupnpd
	# ip netns exec execs: $! is miniupnpd itself (a function run in
	# the background would be a subshell).
	ip netns exec "$NR" miniupnpd -f "$T/mu.conf" -d -P "$T/mu.pid" \
		>"$T/mu.log" 2>&1 &
	MU=$!
	wait_for 10 grep -aq "Listening for NAT-PMP" "$T/mu.log" ||
		die "miniupnpd did not start: $(tail -3 "$T/mu.log")"
}

stop_router() {
	kill "$MU" 2>/dev/null
	wait "$MU" 2>/dev/null
	MU=""
}

# The router's state. dnat_rule PROTO EXTPORT INTPORT [HOST]: its nftables
# DNAT rule exists. listed PROTO EXTPORT INTPORT [HOST]: its port-mapping
# list (UPnP GetGenericPortMappingEntry, which NAT-PMP mappings share)
# has the entry; lease_left prints that entry's remaining lease.
proto_num() { [ "$1" = TCP ] && echo 0x6 || echo 0x11; }
dnat_rule() {
	in_router nft list chain inet "$TBL" prerouting_miniupnpd |
		grep -q "$(proto_num "$1") th dport $2 dnat ip to ${4:-$LAN}:$3\$"
}
upnp_list() {
	in_lan upnpc -u "http://$GW:$HTTP_PORT/rootDesc.xml" -l 2>/dev/null |
		grep -E '^ *[0-9]+ (UDP|TCP) '
}
listed() { upnp_list | grep -qE "^ *[0-9]+ $1 +$2->${4:-$LAN}:$3 "; }
lease_left() {
	upnp_list | grep -E "^ *[0-9]+ $1 +$2->${4:-$LAN}:$3 " |
		awk '{print $NF}'
}

# start_devplane NAME CMD ARGS...: devplane in the lan namespace.
DP=""
start_devplane() {
	local name=$1
	shift
	ip netns exec "$NL" "$DEVPLANE" "$@" --nodekeyhex "$KEY" \
		--verbosity 4 --ipcpath "$T/$name.ipc" >"$T/$name.out" \
		2>"$T/$name.err" &
	DP=$!
}

# stop_devplane NAME: SIGTERM; it must exit 0 within 10 s (its mappings
# deleted on the way out).
stop_devplane() {
	local rc
	kill -TERM "$DP"
	wait_for 10 not kill -0 "$DP" 2>/dev/null ||
		{ bad "$1: devplane ignored SIGTERM"; return; }
	wait "$DP"
	rc=$?
	[ "$rc" = 0 ] || bad "$1: exit status $rc after SIGTERM"
	! grep -q "runtime error\|Sanitizer" "$T/$1.err" ||
		bad "$1: $(grep -m3 "runtime error\|Sanitizer" "$T/$1.err")"
}

# The URL lines carrying the external address, and the ENR fields.
ext_url() { grep -q "@$EXT:" "$T/$1.out"; }
url_has_udp() { # NAME UDP: bootnode form (tcp 0) or udp == tcp
	grep -q -e "@$EXT:0?discport=$2\$" -e "@$EXT:$2\$" "$T/$1.out"
}
renewed_twice() { # NAME PROTO INT
	[ "$(grep -c "nat: renewed $2 $3 ->" "$T/$1.err")" -ge 2 ]
}
enr_field() { # ENR KEY: the value `devplane enr dump` prints
	"$DEVPLANE" enr dump "$1" | awk -v k="$2" '$1 == k {print $2}'
}
enr_seq() {
	"$DEVPLANE" enr dump "$1" | sed -n 's/.*sequence number \([0-9]*\).*/\1/p'
}
node_info_enr() {
	"$DEVPLANE" admin --ipcpath "$T/$1.ipc" admin_nodeInfo |
		grep -o '"enr": *"enr:[^"]*"' | grep -o 'enr:[^"]*'
}

# check_published NAME UDP: the URL, the local ENR (admin_nodeInfo) and
# the ENR a wan node resolves through the mapping all name EXT and UDP,
# with a sequence number above the first record's.
check_published() {
	local name=$1 udp=$2 url enr seq rec
	wait_for 20 ext_url "$name" ||
		{ bad "$name: no enode URL with $EXT: $(cat "$T/$name.out")"; return; }
	wait_for 10 url_has_udp "$name" "$udp" ||
		{ bad "$name: URL without UDP port $udp: $(cat "$T/$name.out")"; return; }
	url=$(grep "@$EXT:" "$T/$name.out" | tail -1)
	echo "ok $name: enode URL $url"
	enr=$(node_info_enr "$name")
	[ "$(enr_field "$enr" ip)" = "$EXT" ] &&
		[ "$(enr_field "$enr" udp)" = "$udp" ] ||
		{ bad "$name: admin_nodeInfo ENR: $("$DEVPLANE" enr dump "$enr")"; return; }
	seq=$(enr_seq "$enr")
	[ "${seq:-0}" -ge 2 ] || bad "$name: ENR seq $seq after the NAT update"
	rec=$(in_wan "$DEVPLANE" discv4 resolve "$url" --timeout 5s |
		grep '^enr:')
	if [ "$(enr_field "$rec" ip)" = "$EXT" ] &&
		[ "$(enr_field "$rec" udp)" = "$udp" ] &&
		[ "$(enr_seq "$rec")" = "$seq" ]; then
		echo "ok $name: ENR seq $seq (ip $EXT, udp $udp), also resolved from the wan through the mapping"
	else
		bad "$name: resolve from the wan: ${rec:-nothing}"
	fi
	in_wan "$DEVPLANE" discv4 ping "$url" --timeout 5s >"$T/ping.out" 2>&1 &&
		echo "ok $name: $(cat "$T/ping.out")" ||
		bad "$name: ping from the wan: $(cat "$T/ping.out")"
}

# check_renewal NAME PROTO EXT INT: a mapping with the same lease that
# nobody renews must expire (the router enforces leases), while ours stays
# in the router all along, through two renewals and past two leases: the
# router's DNAT rule is looked at every 0.2 s and must never be missing.
check_renewal() {
	local name=$1 p=$2 ext=$3 int=$4 left gaps=0 ctl_gone=0
	local end=$((SECONDS + 4 * LEASE))
	while [ "$SECONDS" -lt "$end" ]; do
		dnat_rule "$p" "$ext" "$int" || gaps=$((gaps + 1))
		[ $ctl_gone = 1 ] || dnat_rule UDP 30410 30410 || ctl_gone=1
		[ $ctl_gone = 1 ] && renewed_twice "$name" "$p" "$int" &&
			[ $((SECONDS - MAPPED_AT)) -gt $((2 * LEASE)) ] && break
		sleep 0.2
	done
	[ $ctl_gone = 1 ] ||
		{ bad "$name: the unrenewed control mapping never expired"; return; }
	renewed_twice "$name" "$p" "$int" ||
		{ bad "$name: not renewed twice: $(grep 'nat:' "$T/$name.err")"; return; }
	[ $gaps = 0 ] ||
		{ bad "$name: the mapping lapsed ($gaps looks without it)"; return; }
	left=$(lease_left "$p" "$ext" "$int")
	if [ -n "$left" ] && [ "$left" -gt 0 ]; then
		echo "ok $name: held $((SECONDS - MAPPED_AT)) s on a ${LEASE} s lease, never missing, $(grep -c "nat: renewed $p $int ->" "$T/$name.err") renewals, lease left ${left} s; the unrenewed control mapping expired"
	else
		bad "$name: mapping after renewals: left '${left}': $(upnp_list)"
	fi
}

# ---- 1. bootnode --nat upnp (IGDv2), lease renewal ---------------------------
start_router
in_lan upnpc -u "http://$GW:$HTTP_PORT/rootDesc.xml" -e control \
	-a "$LAN" 30410 30410 UDP "$LEASE" >/dev/null ||
	bad "upnp: control mapping refused"
start_devplane upnp bootnode --addr :30301 --nat upnp --nat.lease "${LEASE}s"
if wait_for 20 dnat_rule UDP 30301 30301; then
	MAPPED_AT=$SECONDS
	listed UDP 30301 30301 && echo "ok upnp: UDP 30301 mapped: $(upnp_list | grep "$LAN:30301 ")" ||
		bad "upnp: DNAT rule but no list entry: $(upnp_list)"
	grep -q "nat: using UPnP urn:schemas-upnp-org:service:WANIPConnection:2" \
		"$T/upnp.err" || bad "upnp: not IGDv2: $(grep 'nat:' "$T/upnp.err")"
	check_published upnp 30301
	check_renewal upnp UDP 30301 30301
else
	bad "upnp: no mapping in the router: $(grep 'nat:' "$T/upnp.err")"
fi
stop_devplane upnp
if ! dnat_rule UDP 30301 30301 && ! listed UDP 30301 30301 &&
	grep -q "nat: deleted UDP external port 30301$" "$T/upnp.err"; then
	echo "ok upnp: mapping deleted on SIGTERM"
else
	bad "upnp: mapping left after exit: $(upnp_list)"
fi
stop_router

# ---- 2. bootnode --nat pmp, port taken: another external port ---------------
start_router
in_lan upnpc -u "http://$GW:$HTTP_PORT/rootDesc.xml" -e other \
	-a "$OTHER" 30301 30301 UDP 600 >/dev/null &&
	dnat_rule UDP 30301 30301 "$OTHER" ||
	bad "pmp: the other host's mapping was refused"
in_lan natpmpc -g "$GW" -a 30410 30410 udp "$LEASE" >/dev/null ||
	bad "pmp: control mapping refused"
start_devplane pmp bootnode --addr :30301 --nat pmp --nat.lease "${LEASE}s"
if wait_for 20 grep -q "nat: mapped UDP 30301 -> external port" "$T/pmp.err"; then
	MAPPED_AT=$SECONDS
	alt=$(sed -n 's/.*nat: mapped UDP 30301 -> external port \([0-9]*\)$/\1/p' \
		"$T/pmp.err" | head -1)
	if [ "$alt" != 30301 ] && dnat_rule UDP "$alt" 30301 &&
		listed UDP "$alt" 30301; then
		echo "ok pmp: 30301 taken by $OTHER, mapped UDP 30301 to external port $alt"
	else
		bad "pmp: mapping $alt: $(upnp_list)"
	fi
	grep -q "nat: using NAT-PMP at $GW" "$T/pmp.err" ||
		bad "pmp: $(grep 'nat:' "$T/pmp.err")"
	check_published pmp "$alt"
	check_renewal pmp UDP "$alt" 30301
else
	bad "pmp: no mapping: $(grep 'nat:' "$T/pmp.err")"
	alt=0
fi
stop_devplane pmp
if ! dnat_rule UDP "$alt" 30301 && ! listed UDP "$alt" 30301 &&
	dnat_rule UDP 30301 30301 "$OTHER"; then
	echo "ok pmp: mapping deleted on SIGTERM, the other host's kept"
else
	bad "pmp: after exit: $(upnp_list)"
fi
stop_router

# ---- 3. --nat upnp on an IGDv1 whose port is taken: random ports ------------
start_router v1
in_lan upnpc -u "http://$GW:$HTTP_PORT/rootDesc.xml" -e other \
	-a "$OTHER" 30301 30301 UDP 600 >/dev/null ||
	bad "igdv1: the other host's mapping was refused"
start_devplane v1 bootnode --addr :30301 --nat upnp
if wait_for 20 grep -q "nat: mapped UDP 30301 -> external port" "$T/v1.err"; then
	alt=$(sed -n 's/.*nat: mapped UDP 30301 -> external port \([0-9]*\)$/\1/p' \
		"$T/v1.err" | head -1)
	if grep -aq "Returning UPnPError 718" "$T/mu.log" &&
		[ "$alt" -ge 10000 ] && dnat_rule UDP "$alt" 30301; then
		echo "ok igdv1: 718 ConflictInMappingEntry, then random external port $alt"
	else
		bad "igdv1: port $alt: $(upnp_list)"
	fi
	grep -q "WANIPConnection:1" "$T/v1.err" || bad "igdv1: not IGDv1"
	check_published v1 "$alt"
else
	bad "igdv1: no mapping: $(grep 'nat:' "$T/v1.err")"
	alt=0
fi
stop_devplane v1
dnat_rule UDP "$alt" 30301 && bad "igdv1: mapping left after exit"
stop_router

# ---- 4. node --nat any: UDP and TCP, reached over RLPx ------------------------
start_router
start_devplane node node --addr :30303 --nat any
both_mapped() { dnat_rule UDP 30303 30303 && dnat_rule TCP 30303 30303; }
if wait_for 20 both_mapped; then
	echo "ok any: $(grep -o 'nat: using [A-Z-]*' "$T/node.err"): UDP and TCP 30303 mapped"
	[ "$(upnp_list | grep -c "$LAN:30303 ")" = 2 ] ||
		bad "any: mappings: $(upnp_list)"
	check_published node 30303
	url=$(grep "@$EXT:" "$T/node.out" | tail -1)
	enr=$(node_info_enr node)
	[ "$(enr_field "$enr" tcp)" = 30303 ] || bad "any: ENR tcp: $enr"
	if in_wan "$DEVPLANE" rlpx ping "$url" --timeout 5s >"$T/rlpx.out" 2>&1; then
		echo "ok any: RLPx Hello from the wan through the TCP mapping: $(grep "^client" "$T/rlpx.out")"
	else
		bad "any: rlpx ping from the wan: $(cat "$T/rlpx.out")"
	fi
else
	bad "any: no UDP+TCP mapping: $(grep 'nat:' "$T/node.err")"
fi
stop_devplane node
if ! dnat_rule UDP 30303 30303 && ! dnat_rule TCP 30303 30303; then
	echo "ok any: both mappings deleted on SIGTERM"
else
	bad "any: mappings left after exit: $(upnp_list)"
fi
stop_router

# ---- 5. crawl --nat pmp: the crawler's UDP port, deleted when it ends -------
start_router
ip netns exec "$NL" "$DEVPLANE" bootnode --addr :30305 --nodekeyhex \
	e6f3246c972a2b04c58da4c4bb38adcaca58980f4f7e1f337f3267549c40353f \
	>"$T/seed.out" 2>"$T/seed.err" &
SEED=$!
wait_for 10 grep -q '^enode://' "$T/seed.out" || bad "crawl: no seed bootnode"
ip netns exec "$NL" "$DEVPLANE" crawl --bootnodes "$(head -1 "$T/seed.out")" \
	--addr :30306 --nat pmp --no-rlpx --timeout 8s --verbosity 4 \
	>"$T/crawl.out" 2>"$T/crawl.err" &
CRAWL=$!
wait_for 10 dnat_rule UDP 30306 30306 &&
	echo "ok crawl: UDP 30306 mapped: $(grep -o 'nat: using.*' "$T/crawl.err")" ||
	bad "crawl: no mapping: $(grep 'nat:' "$T/crawl.err")"
if wait_for 30 not kill -0 "$CRAWL" 2>/dev/null; then
	wait "$CRAWL" || bad "crawl: exit status $?"
	if ! dnat_rule UDP 30306 30306 &&
		grep -q "nat: deleted UDP external port 30306$" "$T/crawl.err"; then
		echo "ok crawl: mapping deleted when the crawl ended"
	else
		bad "crawl: mapping left: $(upnp_list)"
	fi
else
	bad "crawl: did not end after --timeout"
fi
kill "$SEED"
stop_router

[ $fail = 0 ] && echo "nat: all checks passed"
exit $fail
