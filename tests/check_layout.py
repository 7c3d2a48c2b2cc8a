#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/check_layout.py - the layout's rules, checked on every build (CI):
#  1. no include cycle, between headers or between modules (a module is a
#     stem: x.c + x.h; A -> B when A's .c or .h includes B's header);
#  2. includes point one way: control/cmd -> control/{host,tester,sim} ->
#     control/{api,store} -> the engines (control/{base,discv4,discv5,rlpx,
#     peers,crawl,dns,nat,service}) -> common; dataplane/ and control/ never
#     include each other, with one exception: control/sim, the network
#     simulator, includes dataplane/stage/ (the pure ingress checks, so that
#     simulated datagrams pass the code real ones pass), and only
#     control/cmd includes control/sim (control/sim/simnet.h, Layering);
#  3. engines are sans-I/O: no socket, epoll, timer, clock or file call in
#     an engine's .c file, and no stdio beyond formatting into memory
#     (open_memstream);
#  4. every file stem is unique across the tree;
#  5. no .c file in control/ or dataplane/ over MAX_LINES lines unless its
#     opening comment (first 30 lines) says why ("Why one file of ...").
# Usage: check_layout.py SOURCE_ROOT. Prints every violation; exit 1 if any.
import os
import re
import sys

MAX_LINES = 1000
ROOTS = ('common', 'control', 'dataplane', 'bpf')
ENGINES = ('base', 'discv4', 'discv5', 'rlpx', 'peers', 'crawl', 'dns', 'nat',
           'service', 'sim')
# Layer of each control/ folder: a file may include its own layer or lower.
CONTROL_LAYER = dict({e: 1 for e in ENGINES}, store=2, api=2, host=3, tester=3,
                     sim=3, cmd=4)
# Calls that touch the kernel or a clock; an engine takes time and bytes as
# arguments instead (DESIGN.md, "Sans-I/O protocol cores").
IO_CALLS = re.compile(
    r'\b(socket|bind|connect|accept4?|listen|send(to|msg|mmsg)?|'
    r'recv(from|msg|mmsg)?|epoll_\w+|timerfd_\w+|signalfd|eventfd|poll|'
    r'select|clock_gettime|gettimeofday|time|nanosleep|usleep|sleep|'
    r'open|openat|fopen|fdopen|read|write|close|unlink|rename|fsync|'
    r'mmap|getrandom|getenv|printf|fprintf|puts|fputs|perror|'
    r'sqlite3_\w+|PQ\w+)\s*\(')
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'),
                  text, flags=re.S)
    text = re.sub(r'//[^\n]*', '', text)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', text)


def files(top):
    for root in ROOTS:
        for dirpath, _, names in os.walk(os.path.join(top, root)):
            for n in sorted(names):
                if n.endswith(('.c', '.h')):
                    yield os.path.relpath(os.path.join(dirpath, n), top)


def area(path):
    parts = path.split('/')
    if parts[0] == 'control' and len(parts) > 2:
        return 'control', parts[1]
    if parts[0] == 'dataplane' and len(parts) > 2:
        return 'dataplane', parts[1]
    return parts[0], None


def cycles(graph):
    """Every elementary cycle's first occurrence (Tarjan SCCs > 1 node)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else '.'
    errors = []
    paths = list(files(top))
    texts = {p: open(os.path.join(top, p), encoding='utf-8').read()
             for p in paths}
    header_graph, module_graph, stems = {}, {}, {}
    for p, text in texts.items():
        stem = os.path.splitext(p)[0]
        name = os.path.basename(stem)
        if p.endswith('.c') or stem + '.c' not in texts:
            prev = stems.setdefault(name, p)
            if prev != p and not (name == 'main' and
                                  p.startswith(('control/', 'dataplane/'))):
                errors.append(f'{p}: stem "{name}" also used by {prev}')
        a, sub = area(p)
        for inc in INCLUDE.findall(strip_comments_keep_includes(text)):
            if not inc.startswith(ROOTS) or inc not in texts:
                continue
            ia, isub = area(inc)
            istem = os.path.splitext(inc)[0]
            if istem != stem:
                module_graph.setdefault(stem, set()).add(istem)
            if p.endswith('.h'):
                header_graph.setdefault(p, set()).add(inc)
            if (a, sub, ia, isub) == ('control', 'sim', 'dataplane',
                                      'stage'):
                pass        # the simulator's one exception (rule 2)
            elif {a, ia} == {'control', 'dataplane'}:
                errors.append(f'{p}: includes {inc} (dataplane/ and '
                              'control/ talk only through common/)')
            if a == 'common' and ia != 'common':
                errors.append(f'{p}: common/ includes {inc}')
            if (a == 'control' and isub == 'sim' and sub not in ('sim', 'cmd')
                    and ia == 'control'):
                errors.append(f'{p}: includes {inc} (only control/cmd '
                              'includes the simulator)')
            if a == 'control' and ia == 'control' and sub and isub:
                if CONTROL_LAYER.get(isub, 9) > CONTROL_LAYER.get(sub, 9):
                    errors.append(f'{p}: control/{sub} includes {inc} '
                                  f'(control/{isub} is a higher layer)')
            if a == 'dataplane' and sub != 'flood' and isub == 'flood':
                errors.append(f'{p}: includes the flood generator {inc}')
    for comp in cycles(header_graph):
        errors.append('header include cycle: ' + ' -> '.join(comp))
    for comp in cycles(module_graph):
        errors.append('module include cycle: ' + ' -> '.join(comp))
    for p, text in texts.items():
        a, sub = area(p)
        if a == 'control' and sub in ENGINES and p.endswith('.c'):
            code = strip_comments(text)
            # stdio that only formats into memory (open_memstream) is not
            # I/O; stdout, stderr or fopen in the same file are.
            memstream = ('open_memstream' in code and
                         not re.search(r'\b(stdout|stderr|fopen)\b', code))
            for n, line in enumerate(code.split('\n'), 1):
                m = IO_CALLS.search(line)
                if m and memstream and m.group(1) in ('fprintf', 'fputs'):
                    continue
                if m and not re.search(r'(\.|->)\s*' + re.escape(m.group(1)),
                                       line):
                    errors.append(f'{p}:{n}: engine calls {m.group(1)}() '
                                  '(engines are sans-I/O)')
        if a in ('control', 'dataplane') and p.endswith('.c'):
            lines = text.count('\n')
            head = '\n'.join(text.split('\n')[:30])
            if lines > MAX_LINES and 'Why one file' not in head:
                errors.append(f'{p}: {lines} lines (> {MAX_LINES}) and no '
                              'reason in its opening comment')
    for e in errors:
        print(e)
    print(f'check_layout: {len(paths)} files, {len(errors)} problems')
    return 1 if errors else 0


def strip_comments_keep_includes(text):
    return re.sub(r'/\*.*?\*/', '', text, flags=re.S)


if __name__ == '__main__':
    sys.exit(main())
