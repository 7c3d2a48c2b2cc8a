#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/examples/rpc_client.py - a JSON-RPC 2.0 client on a Unix socket for
# the examples: sends each request in turn on one connection, printing
# every line the server sends (responses and notifications, one JSON value
# a line, as received), then waits for --notifications N more.
# usage: rpc_client.py SOCK [--notifications N] [--timeout S] REQUEST...
# A REQUEST is a JSON object; "id" is filled in when absent. Exit 0, or 2
# when the server closed or the timeout passed first.
import json
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    sock, want, timeout, reqs = args[0], 0, 20.0, []
    i = 1
    while i < len(args):
        if args[i] == '--notifications':
            want, i = int(args[i + 1]), i + 2
        elif args[i] == '--timeout':
            timeout, i = float(args[i + 1]), i + 2
        else:
            reqs.append(json.loads(args[i]))
            i += 1
    end = time.time() + timeout
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock)
    f = s.makefile('rb')

    def line():
        s.settimeout(max(0.01, end - time.time()))
        raw = f.readline()
        if not raw:
            sys.exit(2)
        print(raw.decode().rstrip('\n'), flush=True)
        return json.loads(raw)

    got = 0
    for n, req in enumerate(reqs, 1):
        req.setdefault('jsonrpc', '2.0')
        req.setdefault('id', n)
        s.sendall(json.dumps(req).encode() + b'\n')
        while True:
            v = line()
            if isinstance(v, dict) and v.get('id') == req['id']:
                break
            if isinstance(v, dict) and 'method' in v:
                got += 1
    while got < want:
        v = line()
        if isinstance(v, dict) and 'method' in v:
            got += 1
    s.close()


try:
    main()
except (socket.timeout, OSError) as e:
    print('rpc_client: %s' % e, file=sys.stderr)
    sys.exit(2)
