#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/dataplane/check_include_cycles.py - fails when the #include graph
# of the given folders has a cycle. A module is a file stem: x.c and x.h
# are one node, and `#include "dir/y.h"` in either is an edge x -> y (only
# for headers inside the tree; generated and system headers are leaves).
# A cycle is reported with its path, e.g. floodgen -> floodpay -> floodgen.
# usage: check_include_cycles.py REPO_ROOT FOLDER...
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules(root, folders):
    mods = {}
    for folder in folders:
        for d, _, files in os.walk(os.path.join(root, folder)):
            for f in files:
                if f.endswith(('.c', '.h')):
                    path = os.path.relpath(os.path.join(d, f), root)
                    mods.setdefault(path[:-2], []).append(path)
    return mods


def graph(root, mods):
    g = {m: set() for m in mods}
    for m, paths in mods.items():
        for p in paths:
            with open(os.path.join(root, p), encoding='utf-8') as fh:
                for inc in INCLUDE.findall(fh.read()):
                    t = inc[:-2] if inc.endswith('.h') else None
                    if t in mods and t != m:
                        g[m].add(t)
    return g


def cycles(g):
    """Every node on a cycle, found by depth-first search (one path each)."""
    white, grey, black = 0, 1, 2
    colour = {m: white for m in g}
    found = []

    def visit(m, stack):
        colour[m] = grey
        stack.append(m)
        for t in sorted(g[m]):
            if colour[t] == grey:
                found.append(stack[stack.index(t):] + [t])
            elif colour[t] == white:
                visit(t, stack)
        stack.pop()
        colour[m] = black

    for m in sorted(g):
        if colour[m] == white:
            visit(m, [])
    return found


def main():
    if len(sys.argv) < 3:
        print(__doc__ or 'usage: check_include_cycles.py ROOT FOLDER...')
        return 2
    root = sys.argv[1]
    mods = modules(root, sys.argv[2:])
    found = cycles(graph(root, mods))
    for c in found:
        print('include cycle: ' + ' -> '.join(os.path.basename(m) for m in c))
    if found:
        return 1
    print('ok: %d modules in %s, no include cycle' %
          (len(mods), ', '.join(sys.argv[2:])))
    return 0


if __name__ == '__main__':
    sys.exit(main())
