#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# install.sh - build the pinned geth and devp2p (go-ethereum v1.17.10) into a
# cache folder, idempotently, and print their versions. Used by .ci/run, the
# README's test command and every geth interop test; geth's code is fetched
# from the Go module proxy, never committed.
#
# Environment: GETH_CACHE (default ~/.cache/devplane/geth-v1.17.10): bin/,
# GOPATH and GOCACHE live there, so a second run rebuilds nothing.
# Prints "GETH_BIN=DIR" last. Exit 1 with the reason if Go or the proxy is
# missing (the geth tests then fail, they are not skipped).
set -euo pipefail

GETH_VERSION=v1.17.10
cache=${GETH_CACHE:-${HOME:-/root}/.cache/devplane/geth-$GETH_VERSION}
bin=$cache/bin

if ! command -v go >/dev/null 2>&1; then
	echo "install.sh: Go is not installed: the geth interop tests need Go >= 1.24 and the Go module proxy" >&2
	exit 1
fi

mkdir -p "$bin"
# One build at a time: test-all.sh starts one in the background, and any
# geth test that runs before it finished waits here for it.
exec 9>"$cache/.lock"
flock 9
export GOPATH=$cache/gopath GOCACHE=$cache/gocache GOBIN=$bin
export GOFLAGS=-modcacherw CGO_ENABLED=1 GOTOOLCHAIN=local
# Build both into a temporary GOBIN and move them in place, so a killed
# build never leaves a half-written binary that the next run would trust.
for tool in geth devp2p; do
	if [ -x "$bin/$tool" ] && "$bin/$tool" --version >/dev/null 2>&1; then
		continue
	fi
	tmp=$(mktemp -d "$cache/build.XXXXXX")
	echo "install.sh: building $tool $GETH_VERSION (cached in $cache)" >&2
	if ! GOBIN=$tmp go install "github.com/ethereum/go-ethereum/cmd/$tool@$GETH_VERSION" >&2; then
		rm -rf "$tmp"
		echo "install.sh: 'go install github.com/ethereum/go-ethereum/cmd/$tool@$GETH_VERSION' failed (is the Go module proxy $(go env GOPROXY) reachable?)" >&2
		exit 1
	fi
	mv "$tmp/$tool" "$bin/$tool"
	rm -rf "$tmp"
done
"$bin/geth" --version
"$bin/devp2p" --version 2>/dev/null || "$bin/devp2p" --help | head -3
echo "GETH_BIN=$bin"
