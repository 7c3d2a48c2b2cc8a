/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_frame.c - RLPx frame seal/open throughput against keccak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/keccak.h"
#include "common/rlpx_frame.h"
#include "tests/bench/bench.h"

#define ROW_SECONDS 1.0
#define BATCH_BYTES (1u << 20)          /* sealed frames per open batch */

static volatile uint8_t sink;

static void session(struct rlpx_frame *a, struct rlpx_frame *b)
{
	static const uint8_t auth[] = "bench auth", ack[] = "bench ack";
	uint8_t shared[32], ni[32], nr[32];
	struct rlpx_secrets s;

	for (int i = 0; i < 32; i++) {
		shared[i] = (uint8_t)(i + 1);
		ni[i] = (uint8_t)(i * 5);
		nr[i] = (uint8_t)(i * 11);
	}
	rlpx_secrets_from_shared(&s, shared, ni, nr, auth, sizeof(auth), ack,
				 sizeof(ack), RLPX_INITIATOR);
	if (rlpx_frame_init(a, &s, 0))
		abort();
	rlpx_secrets_from_shared(&s, shared, ni, nr, auth, sizeof(auth), ack,
				 sizeof(ack), RLPX_RECIPIENT);
	if (rlpx_frame_init(b, &s, 0))
		abort();
	rlpx_secrets_wipe(&s);
}

/* keccak256 of len bytes, calls per second: what the MAC alone could do
 * (each frame absorbs pad16(len) + 64 bytes and takes four digests). */
static double keccak_ceiling(const uint8_t *buf, size_t len)
{
	uint8_t d[KECCAK256_LEN];
	double t0 = bench_now(), t;
	uint64_t n = 0, batch = 16;

	do {
		for (uint64_t i = 0; i < batch; i++) {
			keccak256(d, buf, len);
			sink ^= d[0];
		}
		n += batch;
		batch *= 2;
		t = bench_now() - t0;
	} while (t < ROW_SECONDS / 2);
	return (double)n / t;
}

static double seal_rate(struct rlpx_frame *a, uint8_t *wire, size_t cap,
			const uint8_t *payload, size_t len)
{
	double t0 = bench_now(), t;
	uint64_t n = 0, batch = 16;

	do {
		for (uint64_t i = 0; i < batch; i++)
			if (rlpx_frame_seal(a, wire, cap, payload, len) < 0)
				abort();
		sink ^= wire[0];
		n += batch;
		batch *= 2;
		t = bench_now() - t0;
	} while (t < ROW_SECONDS);
	return (double)n / t;
}

/* Opening consumes the ingress stream, so frames are sealed in batches
 * outside the clock and only the opening is timed. */
static double open_rate(struct rlpx_frame *a, struct rlpx_frame *b,
			uint8_t *wire, uint8_t *out, const uint8_t *payload,
			size_t len)
{
	size_t flen = rlpx_frame_sealed_len(len);
	size_t per = BATCH_BYTES / flen ? BATCH_BYTES / flen : 1;
	double spent = 0;
	uint64_t n = 0;

	while (spent < ROW_SECONDS) {
		double t0;

		for (size_t i = 0; i < per; i++)
			if (rlpx_frame_seal(a, wire + i * flen, flen, payload,
					    len) < 0)
				abort();
		t0 = bench_now();
		for (size_t i = 0; i < per; i++) {
			size_t got;

			if (rlpx_frame_open(b, out, len, &got, wire + i * flen,
					    flen) != (ssize_t)flen)
				abort();
		}
		spent += bench_now() - t0;
		sink ^= out[0];
		n += per;
	}
	return (double)n / spent;
}

void bench_frame(void)
{
	static const size_t lens[] = { 64, 1024, 16384 };
	size_t max_flen = rlpx_frame_sealed_len(16384);
	size_t wire_len = BATCH_BYTES + max_flen;
	uint8_t *wire = malloc(wire_len), *out = malloc(16384),
		*payload = malloc(16384);
	struct rlpx_frame a, b;

	if (!wire || !out || !payload)
		abort();
	for (size_t i = 0; i < 16384; i++)
		payload[i] = (uint8_t)(i * 13 + 1);
	bench_section("frame (AES-256-CTR IPsec-MB + keccak MAC)");
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];
		size_t absorbed = (len + 15) / 16 * 16;
		double k = keccak_ceiling(payload, absorbed);
		double r;
		char op[48], note[96];

		snprintf(note, sizeof(note),
			 "keccak256 of %zu B alone: %.0f MB/s", absorbed,
			 k * (double)absorbed / 1e6);
		session(&a, &b);
		snprintf(op, sizeof(op), "rlpx_frame_seal %zu B", len);
		r = seal_rate(&a, wire, wire_len, payload, len);
		bench_report(op, r, (double)len, note);
		rlpx_frame_fini(&a);
		rlpx_frame_fini(&b);

		session(&a, &b);
		snprintf(op, sizeof(op), "rlpx_frame_open %zu B", len);
		r = open_rate(&a, &b, wire, out, payload, len);
		bench_report(op, r, (double)len, note);
		rlpx_frame_fini(&a);
		rlpx_frame_fini(&b);
	}
	rlpx_frame_thread_fini();
	free(wire);
	free(out);
	free(payload);
}
