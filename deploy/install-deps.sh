#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# install-deps.sh - every Debian package devplane needs to build, test and run.
# Idempotent and non-interactive: safe to run twice, as root or through sudo.
set -euo pipefail

packages=(
	# build
	build-essential meson ninja-build pkg-config python3
	clang llvm lld libclang-rt-14-dev
	# packet I/O and BPF
	libdpdk-dev libbpf-dev libxdp-dev xdp-tools bpftool linux-libc-dev ethtool
	libelf-dev zlib1g-dev libpcap-dev
	# crypto, compression, storage, JSON
	libsecp256k1-dev libipsec-mb-dev libsnappy-dev libsqlite3-dev
	libjansson-dev
	# EIP-1459 DNS discovery: asynchronous TXT lookups in the event loop
	libc-ares-dev
	# the crawl fleet's store (libpq), and the server its test starts
	libpq-dev postgresql sqlite3
	# NAT traversal (--nat upnp|pmp|any)
	libminiupnpc-dev libnatpmp-dev
	# tests
	libcmocka-dev iproute2 valgrind curl procps
	# NSD: serves the EIP-1459 test trees on 127.0.0.1 (tests/integration/
	# test_dns.sh, test_interop_dns.sh, tests/interop/geth), nsd-checkzone
	nsd
	# the NAT test's router (tests/integration/test_nat.sh)
	miniupnpd-nftables nftables miniupnpc natpmpc
	# the crawl report test's browser (tests/integration/test_crawl_report.sh)
	chromium
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

# Node.js (with npm) runs the ethereumjs interop oracle. Some images ship it
# from another repository that bundles npm; Debian's npm would conflict there.
if ! command -v node >/dev/null 2>&1; then
	missing+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
	missing+=(npm)
fi

if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages already installed"
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
