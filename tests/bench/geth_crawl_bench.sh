#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/bench/geth_crawl_bench.sh - side-by-side discovery crawl benchmark
# (issue 11), not run in CI: geth's `devp2p discv4 crawl` (v1.17.10, from
# tests/interop/geth/install.sh) and `devplane crawl --no-rlpx` against the
# same loopback testnet (`devplane testnet --nodes N`, default 1000), one
# after the other, each on its own. For each crawler:
#   - the time from its start until 95 % and 100 % of the N nodes are in
#     its output;
#   - the CPU it used (utime + stime of its process tree: devplane crawl
#     and the devplane-dp it spawns; devp2p is one process) up to those
#     moments, and per node found.
# How "in its output" is seen:
#   - devplane writes nodes.json at most once a second while it crawls
#     (control/store/crawlstore.h); the file is polled every 0.2 s, so a
#     moment is late by up to about 1.2 s. Counted: the records that are
#     ENR-verified ("enr:..."), the same bar as geth's output, which holds
#     only nodes that answered an ENRRequest; nodes.json entries of any
#     kind are reported too.
#   - geth's crawler keeps its output in memory and writes nodes.json
#     only when it ends (cmd/devp2p/crawl.go run(), then discv4Crawl's
#     writeNodesJSON; the only periodic sign is an 8 s "Crawling in
#     progress added=..." line). So it runs with crawl.go's log at debug
#     level, where updateNode() logs "Updating node id=..." each time a
#     node enters or stays in the output: the first line of each id is
#     the moment it entered, stamped by geth's own log clock (ms). Ids
#     are geth's 8-byte terminal form. It runs until its --timeout (the
#     crawl never runs dry: it walks random lookups), then its nodes.json
#     is checked against the log's count.
# Both crawl discovery v4 only, with their default parallelism (16
# requests each), from node 0 of the testnet. The testnet's nodes all
# share 127.0.0.1, so devplane crawls with --dataplane.budget off (its
# dataplane's per-source packet budget would throttle them); geth's
# crawler has no such limit. The machine's load average is printed
# before and after each crawl: on a busy shared machine the figures are
# indicative only.
#
# usage: geth_crawl_bench.sh [BUILD_DIR] [N] [GETH_SECONDS]
#   GETH_SECONDS: geth's --timeout (default 180); devplane crawls until it
#   runs dry (bounded at 600 s).
# Environment: DP_PARALLEL="16 64" runs devplane once per --parallel value
# listed (default: one run with its default, 16), before geth; SETTLE
# (default 30) is how many seconds the testnet runs after it reports
# healthy before the first crawl (its tables keep filling and validating
# for a while), and each crawl is followed by a 10 s pause.
set -u
BUILD=${1:-build}
N=${2:-1000}
GETH_SECONDS=${3:-180}
DEVPLANE=$BUILD/control/devplane
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/devplane-gethcrawlbench.XXXXXX)
TN=

cleanup() {
	if [ -n "$TN" ]; then
		kill -TERM "$TN" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$TN" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$TN" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$DEVPLANE" ] || { echo "geth_crawl_bench: no $DEVPLANE" >&2; exit 1; }
"$HERE/../interop/geth/install.sh" >"$WORK/install.out" 2>"$WORK/install.err" ||
	{ tail -3 "$WORK/install.err" >&2; exit 1; }
DEVP2P=$(sed -n 's/^GETH_BIN=//p' "$WORK/install.out" | tail -1)/devp2p
[ -x "$DEVP2P" ] || { echo "geth_crawl_bench: no devp2p" >&2; exit 1; }

# N free UDP ports in a row for the testnet.
for _ in $(seq 20); do
	BASE=$((20000 + RANDOM % 30000))
	python3 -c "import socket
socks = []
for p in range($BASE, $BASE + $N):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', p)); socks.append(s)" 2>/dev/null && break
done
echo "testnet: $N nodes on 127.0.0.1:$BASE.. ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
"$DEVPLANE" testnet --nodes "$N" --base-port "$BASE" \
	>"$WORK/tn.out" 2>"$WORK/tn.err" &
TN=$!
for _ in $(seq 1200); do
	grep -q 'testnet: healthy' "$WORK/tn.err" && break
	kill -0 "$TN" 2>/dev/null || { echo "testnet exited" >&2; exit 1; }
	sleep 0.5
done
grep -q 'testnet: healthy' "$WORK/tn.err" ||
	{ echo "testnet not healthy in 600 s" >&2; exit 1; }
grep 'testnet: \(all\|healthy\)' "$WORK/tn.err"
BOOT=$(head -1 "$WORK/tn.out")
sleep "${SETTLE:-30}"

python3 - "$WORK" "$N" "$BASE" "$BOOT" "$DEVPLANE" "$DEVP2P" \
	"$GETH_SECONDS" "${DP_PARALLEL:-16}" <<'EOF'
import datetime, json, math, os, re, signal, subprocess, sys, time

work, n, base, boot, devplane, devp2p, geth_s, dpp = sys.argv[1:]
n, base, geth_s = int(n), int(base), int(geth_s)
tick = os.sysconf('SC_CLK_TCK')
goals = {95: math.ceil(n * 0.95), 100: n}

split = {}                              # process name -> CPU seconds

def tree_cpu(pid):
    """utime + stime of pid and its live descendants, plus the children
    it reaped (cutime + cstime), in seconds; split by process name."""
    total, stack, seen = 0, [pid], set()
    split.clear()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            st = open('/proc/%d/stat' % p).read()
            f = st[st.rindex(')') + 2:].split()
            name = st[st.index('(') + 1:st.rindex(')')]
            own = sum(int(x) for x in f[11:15])
            total += own
            split[name] = split.get(name, 0) + own / tick
            for t in os.listdir('/proc/%d/task' % p):
                with open('/proc/%d/task/%s/children' % (p, t)) as c:
                    stack += [int(x) for x in c.read().split()]
        except (OSError, ValueError):
            continue
    return total / tick

def load():
    return ' '.join(open('/proc/loadavg').read().split()[:3])

def run(name, cmd, count, limit):
    """Runs cmd; count() -> (nodes in output, time each goal was met or
    None). Returns the marks {goal: (seconds, cpu)}, final cpu, final count,
    wall time."""
    print('== %s (load %s)' % (name, load()), flush=True)
    print('   ' + ' '.join(cmd), flush=True)
    out = open(os.path.join(work, name + '.log'), 'w')
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    marks, cpu, got = {}, 0.0, 0
    while True:
        done = p.poll() is not None
        if not done:
            cpu = tree_cpu(p.pid)
        got, when = count(t0)
        for g, need in goals.items():
            if g not in marks and got >= need:
                # when(need): the moment the need-th node entered.
                marks[g] = (when(need), cpu)
        if done:
            break
        if time.time() - t0 > limit:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            break
        time.sleep(0.2)
    wall = time.time() - t0
    out.close()
    print('   ended after %.1f s with status %s (load %s); CPU by process '
          'at the last sample: %s' % (wall, p.returncode, load(), ', '.join(
              '%s %.2f s' % kv for kv in sorted(split.items()))), flush=True)
    return marks, cpu, got, wall

# ---- devplane: nodes.json polled ----
def devplane_run(par):
    dj = os.path.join(work, 'devplane-p%s-nodes.json' % par)
    seen_at = {'enr': [], 'any': []}

    def count(t0):
        try:
            d = json.load(open(dj))
        except (OSError, ValueError):
            d = {}
        now = time.time() - t0
        enr = sum(1 for v in d.values() if v['record'].startswith('enr:'))
        for k, c in (('enr', enr), ('any', len(d))):
            while len(seen_at[k]) < c:
                seen_at[k].append(now)
        return enr, lambda k: seen_at['enr'][k - 1]

    r = run('devplane-p' + par,
            [devplane, 'crawl', '--no-rlpx', '--bootnodes', boot,
             '--addr', '127.0.0.1:0', '--dataplane.budget', 'off',
             '--parallel', par, '--out', dj], count, 600)
    anyn = len(seen_at['any'])
    a95 = seen_at['any'][goals[95] - 1] if anyn >= goals[95] else None
    a100 = seen_at['any'][n - 1] if anyn >= n else None
    print('   nodes.json: %d entries, %d ENR-verified; any entry: 95 %% at '
          '%s, 100 %% at %s' % (anyn, r[2], '%.1f s' % a95 if a95 else
                                'never', '%.1f s' % a100 if a100 else 'never'))
    print('   ' + ''.join(l for l in open(os.path.join(
        work, 'devplane-p%s.log' % par)) if l.startswith(
            ('crawl finished', 'requests:'))).replace('\n', '\n   '),
          flush=True)
    time.sleep(10)                      # the network settles
    return r

dres = [('devplane-p' + par, devplane_run(par)) for par in dpp.split()]

# ---- geth: its crawl.go debug log ----
gj = os.path.join(work, 'geth-nodes.json')
glog = os.path.join(work, 'geth.log')
first = {}
year = datetime.date.today().year
line_re = re.compile(r'^DEBUG\[(\d\d)-(\d\d)\|(\d\d):(\d\d):(\d\d)\.(\d{3})\] '
                     r'Updating node +id=([0-9a-f]+)')
pos = [0]

def geth_count(t0):
    try:
        with open(glog) as f:
            f.seek(pos[0])
            for l in f:
                if not l.endswith('\n'):
                    break
                pos[0] += len(l.encode())
                m = line_re.match(l)
                if not m or m.group(7) in first:
                    continue
                mo, d, h, mi, s, ms = map(int, m.groups()[:6])
                t = time.mktime((year, mo, d, h, mi, s, 0, 0, -1)) + ms / 1000
                first[m.group(7)] = t - t0
    except OSError:
        pass
    ts = sorted(first.values())
    return len(ts), lambda k: ts[k - 1]

gmarks, gcpu, ggot, gwall = run(
    'geth', [devp2p, '--log.file', glog, '--log.format', 'terminal',
             '--log.vmodule', 'crawl.go=4', 'discv4', 'crawl',
             '--bootnodes', boot, '--addr', '127.0.0.1:0',
             '--timeout', '%ds' % geth_s, gj], geth_count, geth_s + 120)
try:
    gn = json.load(open(gj))
    print('   geth nodes.json at its end: %d nodes (its log: %d)' %
          (len(gn), ggot), flush=True)
except (OSError, ValueError) as e:
    print('   geth wrote no nodes.json: %s' % e, flush=True)

print()
print('%-12s %9s %9s %11s %11s %13s %13s' % (
    'crawler', 't95 (s)', 't100 (s)', 'CPU@95 (s)', 'CPU@100 (s)',
    'CPU/node@95', 'CPU/node@100'))
rows = dres + [('geth', (gmarks, gcpu, ggot, gwall))]
for name, (m, cpu, got, wall) in rows:
    def f(g, i, per=False):
        if g not in m:
            return 'never'
        v = m[g][i]
        return '%.2f ms' % (v / goals[g] * 1000) if per else '%.2f' % v
    print('%-12s %9s %9s %11s %11s %13s %13s' % (
        name, f(95, 0), f(100, 0), f(95, 1), f(100, 1), f(95, 1, True),
        f(100, 1, True)))
for name, (m, cpu, got, wall) in rows:
    print('%s: %d nodes in output at the end, %.2f s CPU over %.1f s' %
          (name, got, cpu, wall))
for name, (m, cpu, got, wall) in dres:
    for g in (95, 100):
        if g in m and g in gmarks:
            print('%s, %d %%: %.2fx geth\'s time, %.2fx its CPU (goal: '
                  '<= 0.20x both)' % (name, g, m[g][0] / gmarks[g][0],
                                      m[g][1] / gmarks[g][1]
                                      if gmarks[g][1] else 0))
EOF
