/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_rlpx_frame.c - RLPx frame opening on arbitrary streams. */
#include <errno.h>
#include <stdbool.h>
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
 *   mode & 4:      batches, differentially: BSESS sessions, each twice.
 *                  Records (u8 session, u16 BE length, bytes) make each
 *                  session's stream: raw bytes (mode & 1 == 0), or
 *                  payloads its initiator seals (mode & 1), then a tamper
 *                  as above lands in one stream. Round by round, one frame
 *                  per session is opened by rlpx_frame_open_batch (or the
 *                  header and body batches when mode & 2) on one copy and
 *                  by the single calls on the other: results, bytes and
 *                  session states must be equal.
 */

#define FUZZ_CAP   (1u << 16)
#define STREAM_MAX (1u << 18)

/* Both ends of a session with fixed, arbitrary secrets (seed 0 is the
 * session the seeds in the corpus were sealed with). */
static void seeded_frames(struct rlpx_frame *a, struct rlpx_frame *b,
			  unsigned seed)
{
	static const uint8_t auth[] = "fuzz auth", ack[] = "fuzz ack";
	uint8_t shared[32], ni[32], nr[32];
	struct rlpx_secrets s;

	for (int i = 0; i < 32; i++) {
		shared[i] = (uint8_t)(i * 3 + 1 + 17 * seed);
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

static void fixed_frames(struct rlpx_frame *a, struct rlpx_frame *b)
{
	seeded_frames(a, b, 0);
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

#define BSESS   5
#define BSTREAM (STREAM_MAX / BSESS)

struct bsess {
	struct rlpx_frame tx, rx[2];    /* rx[0] single calls, rx[1] batches */
	uint8_t *s;                     /* its stream: stream + k * BSTREAM */
	size_t len, off;
	bool done;
};

static uint8_t bout[2][BSESS][FUZZ_CAP];

static void same_frame(const struct rlpx_frame *x, const struct rlpx_frame *y)
{
	if (memcmp(x->ingress.ctr, y->ingress.ctr, 16) ||
	    memcmp(x->ingress.mac.s, y->ingress.mac.s,
		   sizeof(x->ingress.mac.s)) ||
	    x->ingress.mac.pos != y->ingress.mac.pos ||
	    x->poisoned != y->poisoned || x->have_header != y->have_header ||
	    x->body_pending != y->body_pending)
		abort();
}

static void same_result(const struct rlpx_frame_op *op, ssize_t rc,
			size_t fs, const uint8_t *want, size_t want_len)
{
	if (op->rc != rc)
		abort();
	if (rc >= 0 && op->frame_size != fs)
		abort();
	if (want_len && memcmp(op->out, want, want_len))
		abort();
}

/* One round: the next frame of every live session, batched against
 * single. A session whose frame does not open (or is not all there)
 * is done. Returns how many sessions took part. */
static size_t batch_round(struct bsess *b, bool split)
{
	struct rlpx_frame_op op[BSESS];
	size_t who[BSESS], k = 0;

	for (size_t i = 0; i < BSESS; i++) {
		if (b[i].done || b[i].off >= b[i].len)
			continue;
		op[k] = (struct rlpx_frame_op){
			.f = &b[i].rx[1], .out = bout[1][i],
			.out_cap = FUZZ_CAP, .in = b[i].s + b[i].off,
			.in_len = b[i].len - b[i].off };
		who[k++] = i;
	}
	if (!split) {
		rlpx_frame_open_batch(op, k);
		for (size_t j = 0; j < k; j++) {
			struct bsess *x = &b[who[j]];
			size_t fs = 0;
			ssize_t rc = rlpx_frame_open(&x->rx[0], bout[0][who[j]],
						     FUZZ_CAP, &fs, op[j].in,
						     op[j].in_len);

			same_result(&op[j], rc, fs, bout[0][who[j]],
				    rc > 0 ? fs : 0);
			same_frame(&x->rx[0], &x->rx[1]);
			if (rc > 0)
				x->off += (size_t)rc;
			else
				x->done = true;
		}
		return k;
	}
	rlpx_frame_open_header_batch(op, k);
	for (size_t j = 0; j < k; j++) {
		struct bsess *x = &b[who[j]];
		size_t fs = 0, have = op[j].in_len;
		ssize_t rc = have < RLPX_FRAME_HEAD_LEN ?
			     (x->rx[0].poisoned || x->rx[0].have_header ?
			      -EPROTO : -EINVAL) :
			     rlpx_frame_open_header(&x->rx[0], &fs, op[j].in);

		same_result(&op[j], rc, fs, NULL, 0);
		same_frame(&x->rx[0], &x->rx[1]);
		if (rc < 0 || have - RLPX_FRAME_HEAD_LEN < (size_t)rc) {
			x->done = true;
			op[j].in_len = 0;       /* no body for it */
			continue;
		}
		op[j].in += RLPX_FRAME_HEAD_LEN;
		op[j].in_len = (size_t)rc;
	}
	{
		struct rlpx_frame_op bop[BSESS];
		size_t bwho[BSESS], kb = 0;

		for (size_t j = 0; j < k; j++)
			if (op[j].in_len) {
				bop[kb] = op[j];
				bwho[kb++] = who[j];
			}
		rlpx_frame_open_body_batch(bop, kb);
		for (size_t j = 0; j < kb; j++) {
			struct bsess *x = &b[bwho[j]];
			ssize_t rc = rlpx_frame_open_body(&x->rx[0],
							  bout[0][bwho[j]],
							  FUZZ_CAP, bop[j].in,
							  bop[j].in_len);

			/* bop[j].frame_size is the header's: the body
			 * returns that same frame-size */
			same_result(&bop[j], rc, rc >= 0 ? (size_t)rc : 0,
				    bout[0][bwho[j]], rc > 0 ? (size_t)rc : 0);
			same_frame(&x->rx[0], &x->rx[1]);
			if (rc < 0)
				x->done = true;
			else
				x->off += RLPX_FRAME_HEAD_LEN + bop[j].in_len;
		}
	}
	return k;
}

static void batches(const uint8_t *p, size_t n, uint8_t mode)
{
	struct bsess b[BSESS];
	size_t pos = 0;
	uint8_t x = 0;

	for (size_t i = 0; i < BSESS; i++) {
		seeded_frames(&b[i].tx, &b[i].rx[0], (unsigned)i + 1);
		memcpy(&b[i].rx[1], &b[i].rx[0], sizeof(b[i].rx[0]));
		b[i].s = stream + i * BSTREAM;
		b[i].len = b[i].off = 0;
		b[i].done = false;
	}
	if (mode & 1) {
		if (n < 3)
			goto out;
		pos = (size_t)p[0] << 8 | p[1];
		x = p[2];
		p += 3;
		n -= 3;
	}
	while (n >= 3) {
		struct bsess *t = &b[p[0] % BSESS];
		size_t len = (size_t)p[1] << 8 | p[2];

		p += 3;
		n -= 3;
		if (len > n)
			len = n;
		if (mode & 1) {
			ssize_t w = rlpx_frame_seal(&t->tx, t->s + t->len,
						    BSTREAM - t->len, p, len);

			if (w == -ENOBUFS)
				break;
			if (w < 0)
				abort();
			t->len += (size_t)w;
		} else {
			if (len > BSTREAM - t->len)
				break;
			memcpy(t->s + t->len, p, len);
			t->len += len;
		}
		p += len;
		n -= len;
	}
	if (x && b[pos % BSESS].len)
		b[pos % BSESS].s[pos / BSESS % b[pos % BSESS].len] ^= x;
	while (batch_round(b, mode & 2))
		;
out:
	for (size_t i = 0; i < BSESS; i++) {
		rlpx_frame_fini(&b[i].tx);
		rlpx_frame_fini(&b[i].rx[0]);
		rlpx_frame_fini(&b[i].rx[1]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rlpx_frame a, b;

	if (size < 1)
		return 0;
	if (data[0] & 4) {
		batches(data + 1, size - 1, data[0]);
		return 0;
	}
	fixed_frames(&a, &b);
	if (data[0] & 1)
		script(&a, &b, data + 1, size - 1);
	else
		open_raw(&b, data + 1, size - 1, data[0] & 2);
	rlpx_frame_fini(&a);
	rlpx_frame_fini(&b);
	return 0;
}
