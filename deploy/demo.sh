#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh - the main job on a fresh Debian machine: install what devplane
# needs, build it, and run the benchmark of its codecs, crypto and rings.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash deploy/install-deps.sh
if [ ! -f build/build.ninja ]; then
	meson setup build --buildtype=release -Dwerror=true
fi
ninja -C build
./build/tests/bench/devplane-bench "$@"
