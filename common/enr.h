/* SPDX-License-Identifier: MIT */
/* common/enr.h - Ethereum Node Records (EIP-778) with the "v4" scheme. */
#ifndef COMMON_ENR_H
#define COMMON_ENR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ENR_MAX_SIZE     300            /* enr.md: maximum encoded record */
#define ENR_TEXT_PREFIX  "enr:"
/* "enr:" + unpadded base64url of ENR_MAX_SIZE bytes + NUL */
#define ENR_TEXT_MAX     (4 + (ENR_MAX_SIZE * 4 + 2) / 3 + 1)
#define ENR_SIG_LEN      64             /* v4 scheme: r || s */
#define ENR_ID_LEN       32             /* keccak256(x || y) */
/* A 300-byte record has a list header (3), a 64-byte signature (66) and a
 * seq (>= 1), leaving 230 bytes for pairs of at least 2 bytes each: 115
 * pairs, so a record that fits ENR_MAX_SIZE always fits here. */
#define ENR_MAX_PAIRS    115

struct enr_pair {                       /* offsets into enr.kv[] */
	uint16_t key_off, key_len;      /* the key's bytes (string payload) */
	uint16_t val_off, val_len;      /* the value's whole RLP encoding */
};

/* A record held by value: no pointers into caller memory, no allocation.
 * kv[] holds the pairs' RLP encoding "k1 v1 k2 v2 ..." in key order. raw[]
 * holds the signed encoding; it is valid only while has_sig is set, and
 * every setter clears has_sig. Not thread-safe; one owner at a time. */
struct enr {
	uint64_t seq;
	bool has_sig;
	uint16_t sig_off, sig_len;      /* signature payload inside raw[] */
	uint16_t raw_len;
	uint16_t kv_len;
	uint16_t n;                     /* pairs in use */
	struct enr_pair pairs[ENR_MAX_PAIRS];
	uint8_t kv[ENR_MAX_SIZE];
	uint8_t raw[ENR_MAX_SIZE];
};

/* enr_init() makes an empty, unsigned record with seq 0. */
void enr_init(struct enr *r);

/* enr_decode() decodes the RLP record in buf[0..len) into *r: a list
 * [signature, seq, k, v, ...] of at most ENR_MAX_SIZE bytes, exactly len
 * bytes long, with canonical RLP, string keys that are strictly increasing
 * (sorted and unique) and any well-formed value. It does not check the
 * signature; call enr_verify(). Returns len, or -EMSGSIZE (over 300 bytes,
 * truncated), -EBADMSG (malformed, trailing bytes, unsorted or duplicate
 * keys, odd number of key/value items). On error *r holds no usable
 * record. */
ssize_t enr_decode(struct enr *r, const uint8_t *buf, size_t len);

/* enr_decode_text() decodes "enr:" + unpadded base64url (RFC 4648 §5) from
 * s[0..len) and then the RLP as enr_decode(). Base64 is strict: no padding,
 * no whitespace, no non-zero trailing bits. Returns len, or -EBADMSG (prefix
 * or base64 wrong, or as enr_decode()), -EMSGSIZE (too long). */
ssize_t enr_decode_text(struct enr *r, const char *s, size_t len);

/* enr_encode() writes the signed RLP record to out[0..cap). A record from
 * enr_decode() is written back byte for byte. Returns its length, or
 * -EINVAL (not signed), -EMSGSIZE (cap too small). */
ssize_t enr_encode(uint8_t *out, size_t cap, const struct enr *r);

/* enr_encode_text() writes "enr:" + base64url and a NUL to out[0..cap).
 * Returns the length without the NUL, or -EINVAL (not signed), -EMSGSIZE. */
ssize_t enr_encode_text(char *out, size_t cap, const struct enr *r);

/* enr_sign() sets "id" to "v4" and "secp256k1" to the compressed public key
 * of priv, then signs keccak256(rlp([seq, k, v, ...])) with priv (RFC 6979,
 * deterministic) and stores the encoding. seq is left alone: bump it with
 * enr_set_seq() when the content changes. Returns 0, or -EINVAL (bad key),
 * -EMSGSIZE (the record would exceed ENR_MAX_SIZE). On error the record is
 * left unsigned. */
int enr_sign(struct enr *r, const uint8_t priv[32]);

/* enr_verify() checks the signature under the record's identity scheme.
 * Returns 0, or -EINVAL (not signed), -EBADMSG (no "id", or a v4 record
 * without a valid 33-byte "secp256k1" key), -EPROTONOSUPPORT (an identity
 * scheme other than "v4": the record may be fine but cannot be checked
 * here), -EKEYREJECTED (the signature does not verify). */
int enr_verify(const struct enr *r);

/* enr_pubkey() writes the 64-byte public key from "secp256k1".
 * enr_node_id() writes keccak256 of it (the v4 node address).
 * Return 0, -ENOENT (no key), -EBADMSG (not a valid 33-byte point). */
int enr_pubkey(uint8_t pub[64], const struct enr *r);
int enr_node_id(uint8_t id[ENR_ID_LEN], const struct enr *r);

/* enr_get_raw() finds key (NUL-terminated) and points *val at its value's
 * whole RLP encoding inside r (valid while r is unchanged). Returns 0 or
 * -ENOENT. */
int enr_get_raw(const struct enr *r, const char *key, const uint8_t **val,
		size_t *val_len);

/* enr_set_raw() inserts or replaces key with an already RLP-encoded value
 * (exactly one well-formed item), keeping keys sorted, and clears has_sig.
 * Returns 0, -EINVAL (empty key or malformed value), -EMSGSIZE (the pairs
 * no longer fit ENR_MAX_SIZE). */
int enr_set_raw(struct enr *r, const char *key, const uint8_t *val,
		size_t val_len);

/* enr_set_seq() sets the sequence number and clears has_sig. */
void enr_set_seq(struct enr *r, uint64_t seq);

/* Typed getters return 0, -ENOENT (key absent) or -EBADMSG (the value has
 * the wrong type or size); enr_get_id() also -EMSGSIZE (cap too small).
 * Typed setters return as enr_set_raw(). */
int enr_get_id(const struct enr *r, char *out, size_t cap); /* NUL-terminated */
int enr_set_id(struct enr *r, const char *scheme);
int enr_get_secp256k1(const struct enr *r, uint8_t out[33]);
int enr_set_secp256k1(struct enr *r, const uint8_t in[33]);
int enr_get_ip(const struct enr *r, uint8_t out[4]);
int enr_set_ip(struct enr *r, const uint8_t in[4]);
int enr_get_ip6(const struct enr *r, uint8_t out[16]);
int enr_set_ip6(struct enr *r, const uint8_t in[16]);
int enr_get_tcp(const struct enr *r, uint16_t *out);
int enr_set_tcp(struct enr *r, uint16_t port);
int enr_get_tcp6(const struct enr *r, uint16_t *out);
int enr_set_tcp6(struct enr *r, uint16_t port);
int enr_get_udp(const struct enr *r, uint16_t *out);
int enr_set_udp(struct enr *r, uint16_t port);
int enr_get_udp6(const struct enr *r, uint16_t *out);
int enr_set_udp6(struct enr *r, uint16_t port);
/* "eth" (EIP-2124 fork id list) is passed as raw RLP; see enr_get_raw(). */
int enr_get_eth(const struct enr *r, const uint8_t **val, size_t *val_len);
int enr_set_eth(struct enr *r, const uint8_t *val, size_t val_len);

#endif /* COMMON_ENR_H */
