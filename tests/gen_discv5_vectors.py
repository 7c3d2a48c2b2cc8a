#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/gen_discv5_vectors.py - discv5 wire test vectors -> tests/vectors/discv5_vectors.h
#
# Reads ../shared/specs/discv5/discv5-wire-test-vectors.md (relative to the
# repo root): the four packet encodings with their "# name = value" inputs,
# and the ECDH, key derivation, id-nonce signing and AES-GCM vectors, and
# writes them as C. Every input line the spec gives must map to a field
# here, and every field must be found, so a changed spec fails the script
# rather than silently dropping a check. Run from anywhere:
#   python3 tests/gen_discv5_vectors.py [--corpus DIR]
# --corpus also writes seeds for tests/fuzz/fuzz_discv5_packet.c into DIR:
# each packet behind a 0x00 mode byte (as sent), and behind 0x01 unmasked
# (that needs Python's cryptography package, for AES-CTR).
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SPEC_REL = "../shared/specs/discv5/discv5-wire-test-vectors.md"
# The repo is /work/main or a worktree /work/wt/NAME; the specs sit beside
# /work/main. $DEVPLANE_SPECS overrides (the directory holding discv5/).
if os.environ.get("DEVPLANE_SPECS"):
    SPEC = os.path.join(os.environ["DEVPLANE_SPECS"], "discv5",
                        "discv5-wire-test-vectors.md")
else:
    SPEC = next((p for p in (os.path.join(REPO, SPEC_REL),
                             os.path.join(REPO, "..", SPEC_REL))
                 if os.path.exists(p)), os.path.join(REPO, SPEC_REL))
OUT = os.path.join(HERE, "vectors", "discv5_vectors.h")

# The packets, in order, by the start of their caption.
PACKETS = [
    ("ping", "Ping message packet (flag 0)", 0),
    ("whoareyou", "WHOAREYOU packet (flag 1)", 1),
    ("handshake", "Ping handshake packet (flag 2)", 2),
    ("handshake_enr", "Ping handshake message packet (flag 2, with ENR)", 2),
]

# "# name = 0x..." in a packet block -> (C field, byte length or "u64").
PACKET_FIELDS = {
    "src-node-id": ("src_id", 32),
    "dest-node-id": ("dest_id", 32),
    "nonce": ("nonce", 12),
    "read-key": ("read_key", 16),
    "ping.req-id": ("ping_req_id", 4),
    "ping.enr-seq": ("ping_enr_seq", "u64"),
    "whoareyou.challenge-data": ("challenge", 63),
    "whoareyou.request-nonce": ("request_nonce", 12),
    "whoareyou.id-nonce": ("id_nonce", 16),
    "whoareyou.enr-seq": ("wy_enr_seq", "u64"),
    "ephemeral-key": ("eph_key", 32),
    "ephemeral-pubkey": ("eph_pub", 33),
}
# Which fields each kind of packet must list.
REQUIRED = {
    0: ["src_id", "dest_id", "nonce", "read_key", "ping_req_id",
        "ping_enr_seq"],
    1: ["src_id", "dest_id", "challenge", "request_nonce", "id_nonce",
        "wy_enr_seq"],
    2: ["src_id", "dest_id", "nonce", "read_key", "ping_req_id",
        "ping_enr_seq", "challenge", "request_nonce", "id_nonce",
        "wy_enr_seq", "eph_key", "eph_pub"],
}

# Crypto sections: heading -> [(spec name, C name, length or None)].
CRYPTO = [
    ("ECDH", [
        ("public-key", "ecdh_pub", 33),
        ("secret-key", "ecdh_priv", 32),
        ("shared-secret", "ecdh_shared", 33),
    ]),
    ("Key Derivation", [
        ("ephemeral-key", "kdf_eph_key", 32),
        ("dest-pubkey", "kdf_dest_pub", 33),
        ("node-id-a", "kdf_id_a", 32),
        ("node-id-b", "kdf_id_b", 32),
        ("challenge-data", "kdf_challenge", 63),
        ("initiator-key", "kdf_initiator_key", 16),
        ("recipient-key", "kdf_recipient_key", 16),
    ]),
    ("ID Nonce Signing", [
        ("static-key", "idsig_static_key", 32),
        ("challenge-data", "idsig_challenge", 63),
        ("ephemeral-pubkey", "idsig_eph_pub", 33),
        ("node-id-B", "idsig_id_b", 32),
        ("id-signature", "idsig_sig", 64),
    ]),
    ("Encryption/Decryption", [
        ("encryption-key", "gcm_key", 16),
        ("nonce", "gcm_nonce", 12),
        ("pt", "gcm_pt", None),
        ("ad", "gcm_ad", None),
        ("message-ciphertext", "gcm_ct", None),
    ]),
]


def die(msg):
    sys.exit("discv5-wire-test-vectors.md: " + msg)


def unhex(s, want=None, what=""):
    s = s.strip()
    if not s.startswith("0x"):
        die("%s: '%s' is not 0x-hex" % (what, s))
    b = bytes.fromhex(s[2:])
    if want is not None and len(b) != want:
        die("%s is %d bytes, expected %d" % (what, len(b), want))
    return b


def section(text, start, end):
    m = re.search(r"^%s\n(.*?)(?=^%s)" % (re.escape(start), end), text,
                  re.S | re.M)
    if not m:
        die("no section '%s'" % start)
    return m.group(1)


def packet_blocks(sec):
    """(caption, {name: value}, bytes) for each '... (flag N...):' caption."""
    out = []
    parts = re.split(r"^(\S[^\n]*\(flag [^\n]*\)):\n", sec, flags=re.M)
    # parts = [prose, caption, body, caption, body, ...]
    for i in range(1, len(parts), 2):
        caption, body = parts[i], parts[i + 1]
        fields, hexlines = {}, []
        for line in body.splitlines():
            line = line.strip()
            if not line or line == "#":
                continue
            if line.startswith("#"):
                m = re.match(r"#\s*([\w.-]+)\s*=\s*(\S+)$", line)
                if m:
                    if m.group(1) in fields:
                        die("%s: %s given twice" % (caption, m.group(1)))
                    fields[m.group(1)] = m.group(2)
                elif not re.match(r"#\s*handshake inputs:$", line):
                    die("%s: unexpected line '%s'" % (caption, line))
                continue
            if not re.match(r"^[0-9a-f]+$", line):
                break   # prose after the block
            hexlines.append(line)
        if not hexlines:
            die("%s: no packet bytes" % caption)
        out.append((caption, fields, bytes.fromhex("".join(hexlines))))
    return out


def kv_values(sec, what):
    """{name: hex} from indented 'name = 0x..' or 'name: 0x..' lines."""
    vals = {}
    for m in re.finditer(r"^ {4}([\w-]+)\s*[=:]\s*(0x[0-9a-f]*)\s*$", sec,
                         re.M):
        if m.group(1) in vals:
            die("%s: %s given twice" % (what, m.group(1)))
        vals[m.group(1)] = m.group(2)
    return vals


def c_bytes(b, indent="\t\t"):
    lines = []
    per = 12 if len(indent) == 1 else 8    # 80 columns at tab width 8
    for i in range(0, len(b), per):
        lines.append(indent + " ".join("0x%02x," % x for x in b[i:i + per]))
    return "\n".join(lines)


def c_array(name, b, comment=None):
    o = []
    if comment:
        o.append("/* %s */" % comment)
    o.append("static const uint8_t discv5_vec_%s[%d] = {" % (name, len(b)))
    o.append(c_bytes(b, "\t"))
    o.append("};")
    return o


def main():
    corpus = None
    if len(sys.argv) == 3 and sys.argv[1] == "--corpus":
        corpus = sys.argv[2]
    elif len(sys.argv) != 1:
        sys.exit("usage: gen_discv5_vectors.py [--corpus DIR]")
    with open(SPEC) as f:
        text = f.read()

    pk = section(text, "## Packet Encodings", "## ")
    keys = kv_values(pk, "Packet Encodings")
    if set(keys) != {"node-a-key", "node-b-key"}:
        die("expected node-a-key and node-b-key, found %s" % sorted(keys))
    node_a = unhex(keys["node-a-key"], 32, "node-a-key")
    node_b = unhex(keys["node-b-key"], 32, "node-b-key")

    blocks = packet_blocks(pk)
    if len(blocks) != len(PACKETS):
        die("expected %d packets, found %d" % (len(PACKETS), len(blocks)))
    packets = []
    for (name, caption, flag), (cap, fields, raw) in zip(PACKETS, blocks):
        if cap != caption:
            die("expected '%s', found '%s'" % (caption, cap))
        got = {}
        for k, v in fields.items():
            if k not in PACKET_FIELDS:
                die("%s: unknown input '%s'" % (caption, k))
            cname, ln = PACKET_FIELDS[k]
            if ln == "u64":
                if not re.match(r"^\d+$", v):
                    die("%s: %s is not a decimal integer" % (caption, k))
                got[cname] = int(v)
            else:
                got[cname] = unhex(v, ln, "%s: %s" % (caption, k))
        if sorted(got) != sorted(REQUIRED[flag]):
            die("%s: inputs %s, expected %s" % (caption, sorted(got),
                                               sorted(REQUIRED[flag])))
        packets.append((name, caption, flag, got, raw))

    crypto = []
    for heading, spec_fields in CRYPTO:
        sec = section(text, "### " + heading, r"(### |## |\Z)")
        vals = kv_values(sec, heading)
        want = [s for s, _, _ in spec_fields]
        if sorted(vals) != sorted(want):
            die("%s: values %s, expected %s" % (heading, sorted(vals),
                                               sorted(want)))
        for sname, cname, ln in spec_fields:
            crypto.append((heading, sname, cname,
                           unhex(vals[sname], ln, heading + ": " + sname)))

    o = []
    o.append("/* SPDX-License-Identifier: MIT */")
    o.append("/* tests/vectors/discv5_vectors.h - discv5 wire test vectors. */")
    o.append("/* generated by tests/gen_discv5_vectors.py from "
             "%s; do not edit */" % SPEC_REL)
    o.append("#ifndef TESTS_VECTORS_DISCV5_VECTORS_H")
    o.append("#define TESTS_VECTORS_DISCV5_VECTORS_H")
    o.append("#include <stdbool.h>")
    o.append("#include <stddef.h>")
    o.append("#include <stdint.h>")
    o.append("")
    o += c_array("node_a_key", node_a, "node-a-key")
    o.append("")
    o += c_array("node_b_key", node_b, "node-b-key")
    for name, caption, flag, got, raw in packets:
        o.append("")
        o += c_array("pkt_" + name, raw, caption)
    o.append("")
    o.append("/* One packet vector: its inputs as the spec lists them. Fields a")
    o.append(" * packet kind does not list are zero. */")
    o.append("struct discv5_vec_packet {")
    o.append("\tconst char *name;")
    o.append("\tuint8_t flag;")
    o.append("\tuint8_t src_id[32];")
    o.append("\tuint8_t dest_id[32];")
    o.append("\tuint8_t nonce[12];                  /* flags 0, 2 */")
    o.append("\tuint8_t read_key[16];               /* flags 0, 2 */")
    o.append("\tuint8_t ping_req_id[4];             /* flags 0, 2 */")
    o.append("\tuint64_t ping_enr_seq;              /* flags 0, 2 */")
    o.append("\tuint8_t challenge[63];              /* flags 1, 2 */")
    o.append("\tuint8_t request_nonce[12];          /* flags 1, 2 */")
    o.append("\tuint8_t id_nonce[16];               /* flags 1, 2 */")
    o.append("\tuint64_t wy_enr_seq;                /* flags 1, 2 */")
    o.append("\tuint8_t eph_key[32];                /* flag 2 */")
    o.append("\tuint8_t eph_pub[33];                /* flag 2 */")
    o.append("\tconst uint8_t *packet;")
    o.append("\tsize_t packet_len;")
    o.append("};")
    o.append("")
    o.append("enum {")
    for name, _, _, _, _ in packets:
        o.append("\tDISCV5_VEC_%s," % name.upper())
    o.append("\tDISCV5_VEC_COUNT")
    o.append("};")
    o.append("")
    o.append("static const struct discv5_vec_packet "
             "discv5_vec_packets[DISCV5_VEC_COUNT] = {")
    for name, caption, flag, got, raw in packets:
        o.append("\t{ /* %s */" % caption)
        o.append("\t\t.name = \"%s\"," % name)
        o.append("\t\t.flag = %d," % flag)
        for cname in REQUIRED[flag]:
            v = got[cname]
            if isinstance(v, int):
                o.append("\t\t.%s = %du," % (cname, v))
            else:
                o.append("\t\t.%s = {" % cname)
                o.append(c_bytes(v, "\t\t\t"))
                o.append("\t\t},")
        o.append("\t\t.packet = discv5_vec_pkt_%s," % name)
        o.append("\t\t.packet_len = sizeof(discv5_vec_pkt_%s)," % name)
        o.append("\t},")
    o.append("};")
    for h, sname, cname, b in crypto:
        o.append("")
        o += c_array(cname, b, "%s: %s" % (h, sname))
    o.append("")
    o.append("#endif /* TESTS_VECTORS_DISCV5_VECTORS_H */")
    with open(OUT, "w") as f:
        f.write("\n".join(o) + "\n")
    if corpus:
        from cryptography.hazmat.primitives.ciphers import (Cipher,
                                                            algorithms,
                                                            modes)
        os.makedirs(corpus, exist_ok=True)
        for name, _, _, got, raw in packets:
            # The header is unmasked with dest-id[:16]; the iv is the
            # packet's first 16 bytes. Unmasking the message too is
            # harmless: the fuzzer masks the whole input back.
            ctr = Cipher(algorithms.AES(got["dest_id"][:16]),
                         modes.CTR(raw[:16])).decryptor()
            plain = raw[:16] + ctr.update(raw[16:]) + ctr.finalize()
            with open(os.path.join(corpus, "vec_" + name), "wb") as f:
                f.write(b"\x00" + raw)
            with open(os.path.join(corpus, "vec_" + name + "_unmasked"),
                      "wb") as f:
                f.write(b"\x01" + plain)


if __name__ == "__main__":
    main()
