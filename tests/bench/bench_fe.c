/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_fe.c - frame engine throughput: seal + open of whole
 * messages through the dataplane codec (AES-256-CTR, keccak MACs, snappy). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/keccak.h"
#include "common/msg.h"
#include "common/rlpx_frame.h"
#include "dataplane/rlpx_stage.h"
#include "tests/bench/bench.h"

#define GETH_MBS 155.0  /* geth's published 1 KiB + snappy figure */

static int codec_pair(struct rlpx_codec *a, struct rlpx_codec *b,
		      uint32_t flags)
{
	static const uint8_t auth[] = "bench auth", ack[] = "bench ack";
	uint8_t sh[32], ni[32], nr[32];
	struct rlpx_secrets s;
	struct rlpx_frame f;
	struct msg_rlpx_keys k;
	int rc;

	for (int i = 0; i < 32; i++) {
		sh[i] = (uint8_t)i;
		ni[i] = (uint8_t)(i + 64);
		nr[i] = (uint8_t)(i + 128);
	}
	memset(&k, 0, sizeof(k));
	rlpx_secrets_from_shared(&s, sh, ni, nr, auth, sizeof(auth), ack,
				 sizeof(ack), RLPX_INITIATOR);
	rc = rlpx_frame_init(&f, &s, 0);
	rc = rc ? rc : rlpx_frame_export(&k, &f);
	rc = rc ? rc : rlpx_codec_init(a, &k, 0, flags);
	rlpx_frame_fini(&f);
	rlpx_secrets_from_shared(&s, sh, ni, nr, auth, sizeof(auth), ack,
				 sizeof(ack), RLPX_RECIPIENT);
	rc = rc ? rc : rlpx_frame_init(&f, &s, 0);
	rc = rc ? rc : rlpx_frame_export(&k, &f);
	rc = rc ? rc : rlpx_codec_init(b, &k, 0, flags);
	rlpx_frame_fini(&f);
	rlpx_secrets_wipe(&s);
	return rc;
}

/* keccak_mbs() is keccak-256 MB/s over len-byte inputs. */
static double keccak_mbs(size_t len)
{
	uint8_t *buf = calloc(1, len), out[32];
	double t0 = bench_now(), t;
	unsigned long n = 0;

	do {
		for (int i = 0; i < 64; i++) {
			buf[0] = (uint8_t)n;
			keccak256(out, buf, len);
			n++;
		}
		t = bench_now() - t0;
	} while (t < 0.5);
	free(buf);
	return (double)n * (double)len / t / 1e6;
}

/* One row: messages of len bytes sealed by a and opened by b. Data is
 * like typical block/tx RLP: half repetitive, half noise. */
static void row(size_t len, uint32_t flags, double ceiling)
{
	struct rlpx_codec a, b;
	size_t sc = rlpx_codec_scratch_len(len), oc = rlpx_codec_sealed_max(len);
	uint8_t *data = malloc(len), *scratch = malloc(sc), *wire = malloc(oc);
	uint32_t x = 2463534242u;
	double t0, t;
	unsigned long n = 0;
	char op[64], note[160];
	int bad = 0;

	if (!data || !scratch || !wire || codec_pair(&a, &b, flags)) {
		printf("fe: setup failed\n");
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (i / 32) % 2 ? (uint8_t)x : (uint8_t)(i / 64);
	}
	t0 = bench_now();
	do {
		for (int i = 0; i < 16; i++) {
			struct rlpx_msg m;
			ssize_t w = rlpx_codec_seal(&a, wire, oc, scratch, sc,
						    0x10, data, len);

			if (w < 0 ||
			    rlpx_codec_rx_push(&b, wire, (size_t)w) != w ||
			    rlpx_codec_rx_next(&b, &m) || m.len != len)
				bad = 1;
			n++;
		}
		t = bench_now() - t0;
	} while (t < 1.0 && !bad);
	snprintf(op, sizeof(op), "seal+open %zu B%s", len,
		 flags ? " snappy" : "");
	if (len == 1024 && flags)
		snprintf(note, sizeof(note),
			 "%.2fx geth's %.0f MB/s (goal 2x); keccak %.0f MB/s",
			 (double)n * (double)len / t / 1e6 / GETH_MBS,
			 GETH_MBS, ceiling);
	else
		snprintf(note, sizeof(note), "keccak-256 ceiling %.0f MB/s",
			 ceiling);
	if (bad)
		snprintf(note, sizeof(note), "ROUND TRIP FAILED");
	bench_report(op, (double)n / t, (double)len, note);
	rlpx_codec_fini(&a);
	rlpx_codec_fini(&b);
out:
	free(data);
	free(scratch);
	free(wire);
}

void bench_fe(void)
{
	static const size_t lens[] = { 1024, 16384 };

	bench_section("fe (RLPx frame engine)");
	for (unsigned i = 0; i < 2; i++) {
		double k = keccak_mbs(lens[i]);
		char op[64], note[64];

		snprintf(op, sizeof(op), "keccak-256 %zu B", lens[i]);
		snprintf(note, sizeof(note), "ceiling, same run");
		bench_report(op, k * 1e6 / (double)lens[i], (double)lens[i],
			     note);
		row(lens[i], MSG_RLPX_KEYS_F_SNAPPY, k);
		row(lens[i], 0, k);
	}
	rlpx_frame_thread_fini();
}
