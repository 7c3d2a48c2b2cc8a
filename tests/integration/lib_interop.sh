# SPDX-License-Identifier: MIT
# tests/integration/lib_interop.sh - helpers shared by the integration
# scripts (sourced): process cleanup by pid, random ports, our bootnode,
# the npm-installed @ethereumjs/devp2p.

PIDS=""
WORK=$(mktemp -d "${TMPDIR:-/tmp}/devplane-it.XXXXXX")

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "FAIL: $*" >&2
	exit 1
}

# rand_port LO SPAN: a port in [LO, LO+SPAN).
rand_port() {
	echo $(( $1 + $(od -An -N2 -tu2 /dev/urandom) % $2 ))
}

# start_bootnode DEVPLANE NAME [extra flags]: starts `devplane bootnode` on
# 127.0.0.1 with a fresh key and a random port (three tries), sets
# BOOT_ENODE, BOOT_ID (128 hex), BOOT_PORT, BOOT_METRICS, BOOT_PID.
start_bootnode() {
	dp=$1 name=$2
	shift 2
	for try in 1 2 3; do
		BOOT_PORT=$(rand_port 20000 20000)
		BOOT_METRICS=$((BOOT_PORT + 1))
		key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
		"$dp" bootnode --nodekeyhex "$key" \
			--addr "127.0.0.1:$BOOT_PORT" \
			--metrics.addr "127.0.0.1:$BOOT_METRICS" "$@" \
			>"$WORK/$name.out" 2>"$WORK/$name.err" &
		BOOT_PID=$!
		PIDS="$PIDS $BOOT_PID"
		i=0
		while [ $i -lt 50 ]; do
			BOOT_ENODE=$(grep -o 'enode://[^ ]*' "$WORK/$name.out" \
				     2>/dev/null | head -n 1)
			[ -n "$BOOT_ENODE" ] && break
			kill -0 "$BOOT_PID" 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		if [ -n "$BOOT_ENODE" ]; then
			BOOT_ID=${BOOT_ENODE#enode://}
			BOOT_ID=${BOOT_ID%%@*}
			return 0
		fi
		kill "$BOOT_PID" 2>/dev/null
		wait "$BOOT_PID" 2>/dev/null
		cat "$WORK/$name.err" >&2
	done
	die "devplane bootnode did not start"
}

# metric NAME_REGEX PORT: sum of the matching Prometheus samples.
metric() {
	node -e "fetch('http://127.0.0.1:$2/metrics').then(r => r.text())
		.then(t => console.log(t.split('\n')
		.filter(l => /^$1/.test(l))
		.reduce((a, l) => a + Number(l.split(' ').pop()), 0)))
		.catch(() => console.log('?'))"
}

# npm_setup INTEROP_DIR: installs the locked packages (@ethereumjs/devp2p,
# @chainsafe/discv5) with npm ci unless node_modules already has them.
npm_setup() {
	command -v node >/dev/null || die "node is not installed"
	command -v npm >/dev/null || die "npm is not installed"
	if ! (cd "$1" && npm ls --silent @ethereumjs/devp2p \
		@chainsafe/discv5 >/dev/null 2>&1)
	then
		(cd "$1" && timeout 300 npm ci --no-audit --no-fund \
			--loglevel=error) || die "npm ci in $1 failed"
	fi
}
