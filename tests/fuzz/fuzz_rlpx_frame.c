/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_rlpx_frame.c - RLPx frame opening on arbitrary streams. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rlpx_frame.h"

/*
 * Input: one mode byte, then
 *   mode & 1 == 0: a raw byte stream the recipient opens frame by frame with
 *                  fixed secrets (one-shot API, or open_header/open_body when
 *                  mode & 2); seeds are valid streams sealed by the initiator.
 *   mode & 1 == 1: a script: tamper (3 bytes: u16 BE position, xor byte),
 *                  then payloads as (u16 BE length, bytes). The initiator
 *                  seals them, the byte at position is xored, the recipient
 *                  opens; frames must round-trip exactly, and the first
 *                  frame touched by the tamper must fail with -EKEYREJECTED.
 */

#define FUZZ_CAP   (1u << 16)
#define STREAM_MAX (1u << 18)

/* Both ends of a session with fixed, arbitrary secrets. */
static void fixed_frames(struct rlpx_frame *a, struct rlpx_frame *b)
{
	static const uint8_t auth[] = "fuzz auth", ack[] = "fuzz ack";
	uint8_t shared[32], ni[32], nr[32];
	struct rlpx_secrets s;

	for (int i = 0; i < 32; i++) {
		shared[i] = (uint8_t)(i * 3 + 1);
		ni[i] = (uint8_t)(0xa0 + i);
		nr[i] = (uint8_t)(0x50 ^ i);
	}
	rlpx_secrets_from_shared(&s, shared, ni, nr, auth, sizeof(auth), ack,
				 sizeof(ack), RLPX_INITIATOR);
	if (rlpx_frame_init(a, &s, FUZZ_CAP))
		abort();
	rlpx_secrets_from_shared(&s, shared, ni, nr, auth, sizeof(auth), ack,
				 sizeof(ack), RLPX_RECIPIENT);
	if (rlpx_frame_init(b, &s, FUZZ_CAP))
		abort();
	rlpx_secrets_wipe(&s);
}

static uint8_t out[FUZZ_CAP];
static uint8_t stream[STREAM_MAX];

static void open_raw(struct rlpx_frame *b, const uint8_t *p, size_t n,
		     bool split)
{
	for (;;) {
		size_t got = 0, size = 0;
		ssize_t rc;

		if (!split) {
			rc = rlpx_frame_open(b, out, sizeof(out), &got, p, n);
			if (rc < 0)
				return;
			if ((size_t)rc > n || got > FUZZ_CAP ||
			    (size_t)rc != rlpx_frame_sealed_len(got))
				abort();
		} else {
			ssize_t body;

			if (n < RLPX_FRAME_HEAD_LEN)
				return;
			body = rlpx_frame_open_header(b, &size, p);
			if (body < 0)
				return;
			if (size > FUZZ_CAP ||
			    (size_t)body + RLPX_FRAME_HEAD_LEN !=
			    rlpx_frame_sealed_len(size))
				abort();
			if (n - RLPX_FRAME_HEAD_LEN < (size_t)body)
				return;
			rc = rlpx_frame_open_body(b, out, sizeof(out),
						  p + RLPX_FRAME_HEAD_LEN,
						  (size_t)body);
			if (rc < 0)
				return;
			if ((size_t)rc != size)
				abort();
			rc = (ssize_t)rlpx_frame_sealed_len(size);
		}
		p += rc;
		n -= (size_t)rc;
	}
}

static void script(struct rlpx_frame *a, struct rlpx_frame *b,
		   const uint8_t *p, size_t n)
{
	size_t ends[256], starts[256], lens[256], nframes = 0, total = 0;
	const uint8_t *payload[256];
	size_t pos;
	uint8_t x;

	if (n < 3)
		return;
	pos = (size_t)p[0] << 8 | p[1];
	x = p[2];
	p += 3;
	n -= 3;
	while (n >= 2 && nframes < 256) {
		size_t len = (size_t)p[0] << 8 | p[1];
		ssize_t w;

		p += 2;
		n -= 2;
		if (len > n)
			len = n;
		w = rlpx_frame_seal(a, stream + total, sizeof(stream) - total,
				    p, len);
		if (w == -ENOBUFS)
			break;
		if (w < 0)
			abort();
		payload[nframes] = p;
		lens[nframes] = len;
		starts[nframes] = total;
		total += (size_t)w;
		ends[nframes++] = total;
		p += len;
		n -= len;
	}
	if (pos < total)
		stream[pos] ^= x;
	else
		x = 0;
	for (size_t i = 0; i < nframes; i++) {
		bool hit = x && pos >= starts[i] && pos < ends[i];
		size_t got = 0;
		ssize_t rc = rlpx_frame_open(b, out, sizeof(out), &got,
					     stream + starts[i], total - starts[i]);

		if (hit) {
			if (rc != -EKEYREJECTED)
				abort();
			return;
		}
		if (rc != (ssize_t)(ends[i] - starts[i]) || got != lens[i] ||
		    (got && memcmp(out, payload[i], got)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rlpx_frame a, b;

	if (size < 1)
		return 0;
	fixed_frames(&a, &b);
	if (data[0] & 1)
		script(&a, &b, data + 1, size - 1);
	else
		open_raw(&b, data + 1, size - 1, data[0] & 2);
	rlpx_frame_fini(&a);
	rlpx_frame_fini(&b);
	return 0;
}
