#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/gen_discv5_engine_corpus.py - seed inputs for tests/fuzz/fuzz_discv5_engine.c
#
# Each input is a list of chunks mode (1) || len (2, big-endian) || body
# (the modes are described at the top of fuzz_discv5_engine.c). The seeds
# reach every message handler on the session, a NODES answer with the spec's
# example record, a handshake with and without our record, a WHOAREYOU for
# the engine's last packet, a TALKRESP and the timers. Run from anywhere:
#   python3 tests/gen_discv5_engine_corpus.py
import base64
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fuzz", "corpus", "discv5_engine")

# enr.md's example record (127.0.0.1:30303, seq 1).
ENR_TEXT = ("-IS4QHCYrYZbAKWCBRlAy5zzaDZXJBGkcnh4MHcBFZntXNFrdvJjX04jRzjzCBOon"
            "rkTfj499SZuOh8R33Ls8RRcy5wBgmlkgnY0gmlwhH8AAAGJc2VjcDI1NmsxoQPKY0"
            "yuDUmstAHYpMa2_oxVtw0RW_QAdpzBQA8yWM0xOIN1ZHCCdl8")


def rlp(x):
    if isinstance(x, int):
        x = x.to_bytes((x.bit_length() + 7) // 8, "big") if x else b""
    if isinstance(x, bytes):
        if len(x) == 1 and x[0] < 0x80:
            return x
        return head(len(x), 0x80) + x
    body = b"".join(rlp(i) for i in x)
    return head(len(body), 0xc0) + body


def head(n, off):
    if n < 56:
        return bytes([off + n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([off + 55 + len(b)]) + b


def chunk(mode, body):
    return bytes([mode]) + len(body).to_bytes(2, "big") + body


def msg(t, fields):
    return bytes([t]) + rlp(fields)


def main():
    rec = base64.urlsafe_b64decode(ENR_TEXT + "=" * (-len(ENR_TEXT) % 4))
    ping = msg(1, [b"\x01", 5])
    seeds = {
        "ping": chunk(1, ping),
        "ping_seq_up": chunk(1, msg(1, [b"\x02", 9])),
        "findnode": chunk(1, msg(3, [b"\x03", [256, 255, 0]])),
        "findnode_many": chunk(1, msg(3, [b"\x04", list(range(250, 257))])),
        "talk_echo": chunk(1, msg(5, [b"\x05", b"echo", b"hi"])),
        "talk_async": chunk(1, msg(5, [b"\x06", b"echo", b"async"])),
        "talk_unknown": chunk(1, msg(5, [b"\x07", b"nope", b""])),
        "pong_unsolicited": chunk(1, msg(2, [b"\x08", 1, b"\x0b\x00\x00\x01",
                                            30303])),
        "topic": chunk(1, msg(7, [b"\x09", b"t", b"", 0])),
        "nodes_example": chunk(2, b"\x01" + rec),
        "nodes_total0": chunk(2, b"\x00" + rec),
        "nodes_split": chunk(2, b"\x02" + rec) + chunk(2, b"\x02"),
        "timeouts": chunk(3, b"\xff"),
        "handshake_record": chunk(4, b"\x01" + ping),
        "handshake_norecord": chunk(4, b"\x00" + ping),
        "whoareyou": chunk(5, (0).to_bytes(8, "big")),
        "whoareyou_seq": chunk(5, (1 << 40).to_bytes(8, "big")),
        "talkresp": chunk(2, b"\x01") + chunk(6, b"answer"),
        "nodes_own": chunk(7, b"\x01"),
        "nodes_own_more": chunk(7, b"\x03" + rec) + chunk(7, b"\x03"),
        "mixed": chunk(1, ping) + chunk(2, b"\x01" + rec) + chunk(3, b"\x50")
        + chunk(4, b"\x01" + ping) + chunk(1, msg(3, [b"\x0a", [0]])),
    }
    os.makedirs(OUT, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(OUT, "seed_" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
