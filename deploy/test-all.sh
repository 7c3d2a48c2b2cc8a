#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-all.sh - set up a fresh Debian machine and run devplane's whole test
# suite: gcc -Werror, clang ASan+UBSan, the no-DPDK/no-XDP build, the
# release build the main job uses, and the libFuzzer build (corpus replay
# plus a short bounded run per target).
# Ends with one line "N passed, M failed"; exits non-zero on any failure.
#
# Environment: FUZZ_SECONDS (per target, default 15), BUILD_ROOT (default
# ./build-ci), SKIP_DEPS=1 to skip the package install.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build_root=${BUILD_ROOT:-$top/build-ci}
fuzz_seconds=${FUZZ_SECONDS:-15}
passed=0
failed=0
skipped=0

if [ "${SKIP_DEPS:-0}" != 1 ]; then
	bash deploy/install-deps.sh || { echo "install-deps failed"; echo "0 passed, 1 failed"; exit 1; }
fi

# Counts one build's meson results from its JSON test log.
count_results() {
	local log=$1/meson-logs/testlog.json
	local p f s
	if [ ! -s "$log" ]; then
		echo "  no test log in $1"
		failed=$((failed + 1))
		return
	fi
	read -r p f s < <(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line)['result']
    if r in ('OK', 'EXPECTEDFAIL'):
        p += 1
    elif r == 'SKIP':
        s += 1
    else:
        f += 1
print(p, f, s)
PY
)
	echo "  $1: $p passed, $f failed, $s skipped"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

# run_build NAME CC [meson args...]: configure, build, run the suites named
# in $suites (meson test arguments; empty means every suite).
run_build() {
	local name=$1 compiler=$2
	shift 2
	local dir=$build_root/$name
	echo "== build $name ($compiler $*)"
	rm -rf "$dir"
	if ! CC=$compiler meson setup "$dir" "$@" >"$build_root/$name.setup.log" 2>&1; then
		tail -30 "$build_root/$name.setup.log"
		echo "  $name: meson setup failed"
		failed=$((failed + 1))
		return 1
	fi
	if ! ninja -C "$dir" >"$build_root/$name.build.log" 2>&1; then
		grep -E 'error|warning' "$build_root/$name.build.log" | head -40
		echo "  $name: build failed"
		failed=$((failed + 1))
		return 1
	fi
	# shellcheck disable=SC2086 # $suites is a list of meson arguments
	meson test -C "$dir" $suites --print-errorlogs --num-processes 2 \
		>"$build_root/$name.test.log" 2>&1
	# meson prints each result twice (progress and summary): show it once.
	grep -E '^ *[0-9]+/[0-9]+ ' "$build_root/$name.test.log" | grep -vE ' (OK|SKIP) ' | sort -u | head -40
	grep -E '^ *[0-9]+/[0-9]+ .* SKIP ' "$build_root/$name.test.log" | sort -u
	count_results "$dir"
}

mkdir -p "$build_root"
# geth and devp2p v1.17.10 (the interop peers) build from the Go module
# proxy in the background while devplane builds; install.sh holds a lock,
# so a geth test that starts before it is done waits for it. Without Go or
# the proxy the geth tests fail (they say why); they are never skipped.
bash tests/interop/geth/install.sh >"$build_root/geth-install.log" 2>&1 &
geth_install=$!
# The XDP tests pin maps on bpffs; a fresh machine may not have it mounted
# (deploy/host-setup.sh does this on a real host). Without root those
# tests skip themselves.
if [ "$(id -u)" -eq 0 ] && ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf || echo "warning: could not mount bpffs"
fi
san_args=(-Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Integration tests (processes, namespaces, ethereumjs) run in the two main
# builds; the no-DPDK/no-XDP build runs the unit suites and corpus replay,
# the libFuzzer build its targets over the corpora. The simulator's plan
# (suite sim: minutes of signing and recovering) runs in the two main
# builds only: it is the same logic in the others.
suites=""
run_build gcc gcc
run_build clang-asan clang "${san_args[@]}"
suites="--no-suite integration --no-suite sim"
run_build minimal gcc -Ddpdk=disabled -Dxdp=disabled
# The README's main job builds with --buildtype=release (-O3), whose
# warnings -O2 does not show: build it too, and run the unit suites on it.
suites="--suite unit --no-suite sim"
run_build release gcc --buildtype=release
suites="--suite fuzz"
if run_build fuzz clang -Dfuzz=true "${san_args[@]}"; then
	# A short bounded run per target on top of the corpus replay; new inputs
	# go to a scratch directory, never into the checked-in corpus.
	for exe in "$build_root"/fuzz/tests/fuzz/fuzz_*; do
		[ -f "$exe" ] && [ -x "$exe" ] || continue
		t=${exe##*/fuzz_}
		scratch=$(mktemp -d)
		if "$exe" "$scratch" "tests/fuzz/corpus/$t" -max_total_time="$fuzz_seconds" \
			-artifact_prefix="$build_root/fuzz-$t-" \
			>"$build_root/fuzz-$t.log" 2>&1; then
			echo "  fuzz/$t: ${fuzz_seconds}s, $(grep -c . <(ls "$scratch")) new inputs, no crash"
			passed=$((passed + 1))
		else
			tail -30 "$build_root/fuzz-$t.log"
			echo "  fuzz/$t: crashed (see $build_root/fuzz-$t.log)"
			failed=$((failed + 1))
		fi
		rm -rf "$scratch"
	done
fi

if ! wait "$geth_install"; then
	tail -20 "$build_root/geth-install.log"
	echo "  geth install: failed (see $build_root/geth-install.log)"
	failed=$((failed + 1))
fi

# Skips are reported, never counted as passes; the last line stays plain.
[ "$skipped" -eq 0 ] || echo "$skipped skipped (not counted as passed)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
