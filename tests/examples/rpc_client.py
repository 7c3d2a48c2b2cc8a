#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/examples/rpc_client.py - a JSON-RPC 2.0 client on a Unix socket for
# the examples: sends each request in turn on one connection, printing
# every line the server sends (responses and notifications, one JSON value
# a line, as received), then waits for --notifications N more.
# usage: rpc_client.py SOCK [--notifications N] [--timeout S]
#                         [--stall FILE] REQUEST...
# A REQUEST is a JSON object; "id" is filled in when absent. With --stall
# (a slow subscriber), after the requests it reads nothing until FILE
# exists, then unsubscribes the first request's result and reads up to
# that answer, printing "notifications N" (how many it got in all) before
# it. Exit 0, or 2 when the server closed or the timeout passed first.
import json
import os
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    sock, want, timeout, reqs, stall = args[0], 0, 20.0, [], None
    i = 1
    while i < len(args):
        if args[i] == '--notifications':
            want, i = int(args[i + 1]), i + 2
        elif args[i] == '--timeout':
            timeout, i = float(args[i + 1]), i + 2
        elif args[i] == '--stall':
            stall, i = args[i + 1], i + 2
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

    got, first = 0, None
    for n, req in enumerate(reqs, 1):
        req.setdefault('jsonrpc', '2.0')
        req.setdefault('id', n)
        s.sendall(json.dumps(req).encode() + b'\n')
        while True:
            v = line()
            if isinstance(v, dict) and v.get('id') == req['id']:
                if first is None:
                    first = v.get('result')
                break
            if isinstance(v, dict) and 'method' in v:
                got += 1
    if stall:
        while not os.path.exists(stall):
            if time.time() > end:
                sys.exit(2)
            time.sleep(0.05)
        s.sendall(json.dumps({'jsonrpc': '2.0', 'id': 'unsub',
                              'method': 'admin_unsubscribe',
                              'params': [first]}).encode() + b'\n')
        while True:
            s.settimeout(max(0.01, end - time.time()))
            raw = f.readline()
            if not raw:
                sys.exit(2)
            v = json.loads(raw)
            if isinstance(v, dict) and v.get('id') == 'unsub':
                print('notifications %d' % got, flush=True)
                print(raw.decode().rstrip('\n'), flush=True)
                break
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
