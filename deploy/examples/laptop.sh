#!/bin/sh
# SPDX-License-Identifier: MIT
# laptop.sh - a devplane node on a laptop: no root, no units, the socket backend spawned as a child.
# devplane starts devplane-dp itself (--dataplane socket is the default),
# talks to it over a memfd region, and stops it on exit.
set -eu
state="${XDG_STATE_HOME:-$HOME/.local/state}/devplane"
mkdir -p "$state"
[ -s "$state/nodekey" ] || devplane key generate "$state/nodekey"
exec devplane bootnode --nodekey "$state/nodekey" --addr :30301 \
	--db "$state/nodes.db" --metrics.addr 127.0.0.1:6060 \
	--bootnodes "${BOOTNODES:-enode://d860a01f9722d78051619d1e2351aba3f43f943f6f00718d1b9baa4101932a1f5011f16bb2b1bb35db20d6fe28fa0bf09636d26a87d31de9ec6203eeedb1f666@18.138.108.67:30303}" "$@"
