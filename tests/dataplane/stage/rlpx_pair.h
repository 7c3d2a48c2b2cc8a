/* SPDX-License-Identifier: MIT */
/* tests/dataplane/stage/rlpx_pair.h - what the RLPx codec and stage tests
 * share: matching frame states with fixed secrets, codecs made from them,
 * a sealed message and a snappy bomb. Include after cmocka.h. */
#ifndef TESTS_RLPX_PAIR_H
#define TESTS_RLPX_PAIR_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rlpx_frame.h"
#include "common/snappy.h"
#include "dataplane/stage/rlpx_codec.h"

/* ---- fixed secrets for both ends -------------------------------------- */

static inline void secrets(struct rlpx_secrets *s, enum rlpx_role role,
			   unsigned seed)
{
	uint8_t eph[32], in[32], rn[32], auth[200], ack[180];

	for (unsigned i = 0; i < 32; i++) {
		eph[i] = (uint8_t)(i * 7 + 1 + seed);
		in[i] = (uint8_t)(i * 13 + 5);
		rn[i] = (uint8_t)(i * 3 + 9);
	}
	for (unsigned i = 0; i < sizeof(auth); i++)
		auth[i] = (uint8_t)(i ^ 0x5a);
	for (unsigned i = 0; i < sizeof(ack); i++)
		ack[i] = (uint8_t)(i ^ 0xa5);
	rlpx_secrets_from_shared(s, eph, in, rn, auth, sizeof(auth), ack,
				 sizeof(ack), role);
}

/* A matching pair of frame states, one frame exchanged each way (the
 * Hellos), so the handed-over positions are not zero; seed picks the
 * secrets. */
static inline void frame_pair_seed(struct rlpx_frame *local,
				   struct rlpx_frame *peer, unsigned seed)
{
	struct rlpx_secrets a, b;
	uint8_t wire[256], out[64];
	size_t ol;
	ssize_t n;

	secrets(&a, RLPX_RECIPIENT, seed);
	secrets(&b, RLPX_INITIATOR, seed);
	assert_int_equal(rlpx_frame_init(local, &a, 0), 0);
	assert_int_equal(rlpx_frame_init(peer, &b, 0), 0);
	rlpx_secrets_wipe(&a);
	rlpx_secrets_wipe(&b);
	n = rlpx_frame_seal(local, wire, sizeof(wire),
			    (const uint8_t *)"\x80hello-local", 12);
	assert_true(n > 0);
	assert_int_equal(rlpx_frame_open(peer, out, sizeof(out), &ol, wire,
					 (size_t)n), n);
	n = rlpx_frame_seal(peer, wire, sizeof(wire),
			    (const uint8_t *)"\x80hello-peer", 11);
	assert_true(n > 0);
	assert_int_equal(rlpx_frame_open(local, out, sizeof(out), &ol, wire,
					 (size_t)n), n);
}

static inline void frame_pair(struct rlpx_frame *local, struct rlpx_frame *peer)
{
	frame_pair_seed(local, peer, 0);
}

/* codec_of() turns a frame state into a codec (through export/import). */
static inline void codec_of(struct rlpx_codec *c, struct rlpx_frame *f,
			    size_t cap, uint32_t flags)
{
	struct msg_rlpx_keys k;

	memset(&k, 0, sizeof(k));
	assert_int_equal(rlpx_frame_export(&k, f), 0);
	assert_int_equal(rlpx_codec_init(c, &k, cap, flags, NULL), 0);
	explicit_bzero(&k, sizeof(k));
}

static inline uint8_t *seal_alloc(struct rlpx_codec *c, uint64_t code,
				  const uint8_t *d, size_t len, size_t *out_len)
{
	size_t sc = rlpx_codec_scratch_len(len), oc = rlpx_codec_sealed_max(len);
	uint8_t *s = malloc(sc), *o = malloc(oc);
	ssize_t n;

	assert_non_null(s);
	assert_non_null(o);
	n = rlpx_codec_seal(c, o, oc, s, sc, code, d, len);
	assert_true(n > 0);
	free(s);
	*out_len = (size_t)n;
	return o;
}

/* bomb() writes code 0x10 || a valid snappy block of `len` zero bytes:
 * varint length, one literal zero, then 64-byte copies at offset 1. */
static inline size_t bomb(uint8_t *out, size_t len)
{
	size_t n = 0, left = len - 1;

	out[n++] = 0x10;
	for (size_t v = len; ; v >>= 7) {
		out[n++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
		if (v < 0x80)
			break;
	}
	out[n++] = 0x00;                /* literal, length 1 */
	out[n++] = 0x00;
	while (left) {
		size_t k = left > 64 ? 64 : left;

		out[n++] = (uint8_t)(((k - 1) << 2) | 2);     /* copy-2 */
		out[n++] = 1;
		out[n++] = 0;
		left -= k;
	}
	return n;
}

#endif /* TESTS_RLPX_PAIR_H */
