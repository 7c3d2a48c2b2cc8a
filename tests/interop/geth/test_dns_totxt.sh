#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_dns_totxt.sh - EIP-1459 trees built by `devplane dns build` are
# byte-identical to geth's `devp2p dns sign` + `devp2p dns to-txt` for the
# same nodes.json, key, links and seq; geth's to-txt accepts the
# enrtree-info.json we write; NSD loads our zone file; `devplane dns
# verify` walks the trees geth built, served by NSD on 127.0.0.1, and
# finds every record.
#
# Usage: test_dns_totxt.sh DEVPLANE
# geth and devp2p come from install.sh beside this script (or $GETH_BIN).
# Records are made by geth's own `devp2p key to-enr`, the keystore by
# `geth account import`; the signing password goes to `devp2p dns sign` on
# standard input (it reads a line when stdin is not a terminal).
set -euo pipefail
export LC_ALL=C

DEVPLANE=$(realpath "${1:?usage: test_dns_totxt.sh DEVPLANE}")
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${GETH_BIN:-}" ]; then
	out=$("$here/install.sh") || { echo "FAIL: $here/install.sh could not build geth" >&2; exit 1; }
	GETH_BIN=$(printf '%s\n' "$out" | sed -n 's/^GETH_BIN=//p' | tail -n 1)
fi
geth=$GETH_BIN/geth
devp2p=$GETH_BIN/devp2p
for b in "$geth" "$devp2p"; do
	[ -x "$b" ] || { echo "FAIL: $b missing" >&2; exit 1; }
done
command -v nsd-checkzone >/dev/null 2>&1 ||
	{ echo "FAIL: nsd-checkzone missing (deploy/install-deps.sh installs nsd)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/dns_totxt.XXXXXX")
WORK=$work
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
cd "$work"
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }
. "$here/../../integration/lib_dns.sh"     # nsd_start, nsd_stop

# zone_from_txt DOMAIN TXT.JSON: a zone file of geth's to-txt output on
# standard output (TXT values in 255-byte character-strings).
zone_from_txt() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
dom, txt = sys.argv[1], json.load(open(sys.argv[2]))
print(f"$ORIGIN {dom}.\n$TTL 60")
print(f"@ IN SOA ns1.{dom}. hostmaster.{dom}. 1 3600 600 86400 60")
print(f"@ IN NS ns1.{dom}.")
for name, val in sorted(txt.items()):
    rel = "@" if name == dom else name[:-len(dom) - 1]
    parts = " ".join(f'"{val[i:i + 255]}"' for i in range(0, len(val), 255))
    print(f"{rel} IN TXT {parts}")
EOF
}

# A hex node key file (ours) and the geth keystore file made from it
# (geth's): import_key HEXFILE prints the keystore file's path.
import_key() {
	local d
	d=$(mktemp -d "$work/ks.XXXXXX")
	"$geth" account import --keystore "$d" --password "$work/password" \
		--lightkdf "$1" >/dev/null 2>&1 ||
		{ echo "FAIL: geth account import $1" >&2; exit 1; }
	ls "$d"/UTC--*
}
printf 'devplane-test\n' > password
"$devp2p" key generate signkey

# Record keys: made once, shared by the cases (devp2p key to-enr is ~30 ms).
mkdir -p keys
for i in $(seq 1 170); do
	"$devp2p" key generate "keys/$i"
done
for i in $(seq 1 170); do
	"$devp2p" key to-enr --ip "10.$((i / 250)).$((i % 250)).1" \
		--udp $((30000 + i)) --tcp $(( i % 5 ? 30303 : 0 )) "keys/$i"
done > records

# nodes.json of the records on standard input, in geth's node-set format;
# the id and seq of each come from geth's `devp2p enrdump`.
make_nodes() {
	local rec dump id seq sep=""
	printf '{'
	while read -r rec; do
		dump=$("$devp2p" enrdump "$rec")
		id=$(printf '%s\n' "$dump" | sed -n 's/^Node ID: //p')
		seq=$(printf '%s\n' "$dump" | sed -n 's/.*sequence number \([0-9]*\).*/\1/p')
		printf '%s\n    "%s": {\n        "seq": %s,\n        "record": "%s"\n    }' \
			"$sep" "$id" "$seq" "$rec"
		sep=","
	done
	[ -z "$sep" ] || printf '\n'
	printf '}'
}

# The URL of a tree signed by a fresh key: link_url N DOMAIN. geth has no
# direct command for a key's base32 form, so sign an empty tree for it.
link_url() {
	local d
	d=$(mktemp -d "$work/lk.XXXXXX")
	"$devp2p" key generate "$d/key"
	printf '{}' > "$d/nodes.json"
	printf 'devplane-test\n' | "$devp2p" dns sign --domain "$2" "$d" \
		"$(import_key "$d/key")" >/dev/null
	# Its zone, served beside the trees that link to it.
	"$devp2p" dns to-txt "$d" "$d/txt.json" >/dev/null 2>&1 &&
		zone_from_txt "$2" "$d/txt.json" > "$work/link.$2.zone"
	sed -n 's/.*"url": "\(enrtree:[^"]*\)".*/\1/p' "$d/enrtree-info.json"
}

# run_case NAME RECORDS KEY DOMAIN SEQ [LINK...]: RECORDS is a file of
# "enr:" lines, KEY a hex key file.
run_case() {
	local name=$1 recs=$2 key=$3 domain=$4 seq=$5
	shift 5
	local links=("$@") args=() l n keystore
	local c=$work/$name
	mkdir -p "$c/geth" "$c/check"
	make_nodes < "$recs" > "$c/nodes.json"
	n=$(grep -c . "$recs" || true)
	keystore=$(import_key "$key")
	if [ ${#links[@]} -gt 0 ]; then
		args=(--links "$(IFS=,; echo "${links[*]}")")
	fi

	# devplane
	if ! "$DEVPLANE" dns build "$c/nodes.json" --domain "$domain" \
		--key "$key" --seq "$seq" --out "$c/ours" "${args[@]}" \
		> "$c/ours.url" 2> "$c/ours.log"; then
		fail "$name: devplane dns build: $(cat "$c/ours.log")"
		return
	fi

	# geth: links go in through enrtree-info.json, as `dns sign` reads them
	cp "$c/nodes.json" "$c/geth/nodes.json"
	if [ ${#links[@]} -gt 0 ]; then
		{
			printf '{"links": ['
			local sep=""
			for l in "${links[@]}"; do printf '%s"%s"' "$sep" "$l"; sep=","; done
			printf ']}'
		} > "$c/geth/enrtree-info.json"
	fi
	# (urfave/cli: flags before the arguments, or they are ignored)
	printf 'devplane-test\n' | "$devp2p" dns sign --domain "$domain" \
		--seq "$seq" "$c/geth" "$keystore" > "$c/geth.sign.log" 2>&1 ||
		{ fail "$name: devp2p dns sign: $(cat "$c/geth.sign.log")"; return; }

	# enrtree-info.json: identical but for lastModified (a wall-clock time)
	# and, with two links or more, the order of "links", which geth writes
	# in Go map order.
	if [ ${#links[@]} -le 1 ]; then
		diff -u <(grep -v lastModified "$c/geth/enrtree-info.json") \
			<(grep -v lastModified "$c/ours/enrtree-info.json") ||
			fail "$name: enrtree-info.json differs"
	else
		diff -u <(grep -E '"(url|seq|signature)"' "$c/geth/enrtree-info.json") \
			<(grep -E '"(url|seq|signature)"' "$c/ours/enrtree-info.json") ||
			fail "$name: enrtree-info.json url/seq/signature differ"
	fi

	# to-txt: geth's from its own signed directory (not with two links or
	# more: geth's to-txt then rebuilds the link subtree in the map order it
	# wrote and may refuse its own signature), and geth's from our
	# enrtree-info.json, which also proves geth accepts our signature.
	if [ ${#links[@]} -le 1 ]; then
		"$devp2p" dns to-txt "$c/geth" "$c/geth/txt.json" ||
			fail "$name: devp2p dns to-txt on geth's directory"
		cmp "$c/geth/txt.json" "$c/ours/txt.json" ||
			{ diff -u "$c/geth/txt.json" "$c/ours/txt.json" | head -40;
			  fail "$name: to-txt JSON differs from geth's"; }
	fi
	# Our client walks the tree geth signed, served by NSD with the
	# trees it links to that we have (not the spec's): every record,
	# nothing else.
	if [ -f "$c/geth/txt.json" ]; then
		local zones=("$domain" "$c/geth.zone") lz ld vrc
		zone_from_txt "$domain" "$c/geth/txt.json" > "$c/geth.zone"
		for lz in "$work"/link.*.zone; do
			[ -f "$lz" ] || continue
			ld=${lz#"$work/link."}
			ld=${ld%.zone}
			[ "$ld" = "$domain" ] || zones+=("$ld" "$lz")
		done
		nsd_start "${zones[@]}"
		vrc=0
		"$DEVPLANE" dns verify "$(cat "$c/ours.url")" \
			--dns.server "127.0.0.1:$NSD_PORT" --timeout 30s \
			--out "$c/synced.json" > "$c/verify.log" 2>&1 || vrc=$?
		nsd_stop
		if [ "$name" = spec ]; then
			# The spec's link names a tree nobody serves here.
			grep -q 'morenodes.example.org: no valid root$' "$c/verify.log" ||
				fail "$name: verify: $(cat "$c/verify.log")"
		elif [ $vrc -ne 0 ]; then
			fail "$name: devplane dns verify: $(cat "$c/verify.log")"
		fi
		python3 -c 'import json, sys
for r in sorted(v["record"] for v in json.load(open(sys.argv[1])).values()): print(r)' \
			"$c/synced.json" > "$c/synced" 2>/dev/null || true
		sort "$recs" | cmp -s - "$c/synced" ||
			fail "$name: our client found other records than the tree's: $(cat "$c/verify.log")"
	fi
	cp "$c/nodes.json" "$c/ours/enrtree-info.json" "$c/check/"
	"$devp2p" dns to-txt "$c/check" "$c/check/txt.json" ||
		fail "$name: devp2p dns to-txt refuses our enrtree-info.json"
	cmp "$c/check/txt.json" "$c/ours/txt.json" ||
		fail "$name: geth's to-txt of our tree differs from ours"

	# The zone file loads in NSD (deploy/install-deps.sh installs nsd).
	nsd-checkzone "$domain" "$c/ours/$domain.zone" > "$c/nsd.log" 2>&1 ||
		fail "$name: nsd-checkzone: $(cat "$c/nsd.log")"
	local entries
	entries=$(grep -c '^    "' "$c/ours/txt.json")
	local synced=""
	[ -f "$c/synced" ] &&
		synced="; devplane dns verify found the $n records of geth's tree through NSD"
	echo "ok: $name: $n records, ${#links[@]} links, seq $seq: $entries TXT records identical to geth's$synced"
}

# The spec's example tree (dnsdisc.md): its three records, its link, seq 1,
# signed with geth's TestClientSyncTree key for "n". Both builders must
# give the spec's root, signature included.
spec_link=enrtree://AM5FCQLWIZX2QFPNJAP7VUERCCRNGRHWZG3YYHIUV7BVDQ5FDPRT2@morenodes.example.org
printf 'dc599867fc513f8f5e2c2c9c489cde5e71362d1d9ec6e693e0de063236ed1240' > speckey
cat > spec.records <<'RECS'
enr:-HW4QOFzoVLaFJnNhbgMoDXPnOvcdVuj7pDpqRvh6BRDO68aVi5ZcjB3vzQRZH2IcLBGHzo8uUN3snqmgTiE56CH3AMBgmlkgnY0iXNlY3AyNTZrMaECC2_24YYkYHEgdzxlSNKQEnHhuNAbNlMlWJxrJxbAFvA
enr:-HW4QAggRauloj2SDLtIHN1XBkvhFZ1vtf1raYQp9TBW2RD5EEawDzbtSmlXUfnaHcvwOizhVYLtr7e6vw7NAf6mTuoCgmlkgnY0iXNlY3AyNTZrMaECjrXI8TLNXU0f8cthpAMxEshUyQlK-AM0PW2wfrnacNI
enr:-HW4QLAYqmrwllBEnzWWs7I5Ev2IAs7x_dZlbYdRdMUx5EyKHDXp7AV5CkuPGUPdvbv1_Ms1CPfhcGCvSElSosZmyoqAgmlkgnY0iXNlY3AyNTZrMaECriawHKWdDRk2xeZkrOXBQ0dfMFLHY4eENZwdufn1S1o
RECS
run_case spec spec.records speckey n 1 "$spec_link"
grep -qF '"n": "enrtree-root:v1 e=JWXYDBPXYWG6FX3GMDIBFA6CJ4 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=1 sig=o908WmNp7LibOfPsr4btQwatZJ5URBr2ZAuxvK4UWHlsB9sUOTJQaGAlLPVAhM__XJesCHxLISo94z5Z2a463gA"' \
	spec/ours/txt.json || fail "spec: our root is not the spec's"

link1=$(link_url 1 morenodes.example.org)
link2=$(link_url 2 other.example.net)
: > 0.records
for n in 1 14 40; do head -n "$n" records > "$n.records"; done
run_case one    1.records  signkey n                     3
run_case empty  0.records  signkey empty.example.org     1 "$link1"
run_case r40    40.records signkey nodes.example.org     7 "$link1"
run_case r170   records    signkey all.nodes.example.org 123456 "$link1"
run_case links2 14.records signkey two.example.org       2 "$link1" "$link2"

if [ "$failed" -ne 0 ]; then
	echo "FAIL: test_dns_totxt" >&2
	exit 1
fi
echo "PASS: test_dns_totxt"
