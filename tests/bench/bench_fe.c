/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_fe.c - frame engine throughput: seal + open of whole
 * messages through the dataplane codec (AES-256-CTR, keccak MACs, snappy). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/keccak.h"
#include "common/msg.h"
#include "common/rlpx_frame.h"
#include "dataplane/stage/rlpx_codec.h"
#include "tests/bench/bench.h"


/* codec_pair() makes both ends of a session; seed picks its secrets. */
static int codec_pair(struct rlpx_codec *a, struct rlpx_codec *b,
		      uint32_t flags, unsigned seed)
{
	static const uint8_t auth[] = "bench auth", ack[] = "bench ack";
	uint8_t sh[32], ni[32], nr[32];
	struct rlpx_secrets s;
	struct rlpx_frame f;
	struct msg_rlpx_keys k;
	int rc;

	for (int i = 0; i < 32; i++) {
		sh[i] = (uint8_t)(i + seed);
		ni[i] = (uint8_t)(i + 64);
		nr[i] = (uint8_t)(i + 128);
	}
	memset(&k, 0, sizeof(k));
	rlpx_secrets_from_shared(&s, sh, ni, nr, auth, sizeof(auth), ack,
				 sizeof(ack), RLPX_INITIATOR);
	rc = rlpx_frame_init(&f, &s, 0);
	rc = rc ? rc : rlpx_frame_export(&k, &f);
	rc = rc ? rc : rlpx_codec_init(a, &k, 0, flags, NULL);
	rlpx_frame_fini(&f);
	rlpx_secrets_from_shared(&s, sh, ni, nr, auth, sizeof(auth), ack,
				 sizeof(ack), RLPX_RECIPIENT);
	rc = rc ? rc : rlpx_frame_init(&f, &s, 0);
	rc = rc ? rc : rlpx_frame_export(&k, &f);
	rc = rc ? rc : rlpx_codec_init(b, &k, 0, flags, NULL);
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
 * like typical block/tx RLP, half repetitive and half noise, or (noise)
 * all noise, as geth's BenchmarkThroughput sends: that row is the one
 * tests/bench/geth_rlpx_bench.sh puts next to geth's. Returns MB/s. */
static double row(size_t len, uint32_t flags, double ceiling, bool noise)
{
	struct rlpx_codec a, b;
	size_t sc = rlpx_codec_scratch_len(len), oc = rlpx_codec_sealed_max(len);
	uint8_t *data = malloc(len), *scratch = malloc(sc), *wire = malloc(oc);
	uint32_t x = 2463534242u;
	double t0, t = 1, mbs = 0;
	unsigned long n = 0;
	char op[64], note[160];
	int bad = 0;

	if (!data || !scratch || !wire || codec_pair(&a, &b, flags, 0)) {
		printf("fe: setup failed\n");
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = noise || (i / 32) % 2 ? (uint8_t)x :
						    (uint8_t)(i / 64);
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
	snprintf(op, sizeof(op), "seal+open %zu B%s%s", len,
		 flags ? " snappy" : "", noise ? " random" : "");
	if (noise)
		snprintf(note, sizeof(note), "geth's BenchmarkThroughput data; "
			 "geth_rlpx_bench.sh: ratio");
	else
		snprintf(note, sizeof(note), "keccak-256 ceiling %.0f MB/s",
			 ceiling);
	if (bad)
		snprintf(note, sizeof(note), "ROUND TRIP FAILED");
	bench_report(op, (double)n / t, (double)len, note);
	mbs = bad ? 0 : (double)n * (double)len / t / 1e6;
	rlpx_codec_fini(&a);
	rlpx_codec_fini(&b);
out:
	free(data);
	free(scratch);
	free(wire);
	return mbs;
}

#define BATCH_SESS 8

/* One batched row: BATCH_SESS sessions on this core, each round one
 * message of len bytes per session, sealed by rlpx_codec_seal_batch() and
 * opened by rlpx_codec_rx_next_batch() (the keccak MACs of the sessions
 * side by side). Same data as row(); single is that row's MB/s in this
 * run, so the speed-up reads right on a busy machine too. */
static void row_batched(size_t len, uint32_t flags, double single,
			double k1, double k8)
{
	struct rlpx_codec a[BATCH_SESS], b[BATCH_SESS], *bp[BATCH_SESS];
	struct rlpx_codec_tx tx[BATCH_SESS];
	struct rlpx_msg m[BATCH_SESS];
	int rc[BATCH_SESS];
	size_t sc = rlpx_codec_scratch_len(len);
	size_t oc = rlpx_codec_sealed_max(len);
	uint8_t *data = malloc(len), *scratch = malloc(sc * BATCH_SESS),
		*wire = malloc(oc * BATCH_SESS);
	uint32_t x = 2463534242u;
	unsigned ready = 0;
	double t0, t, mbs;
	unsigned long n = 0;
	char op[64], note[160];
	int bad = 0;

	if (!data || !scratch || !wire)
		goto out;
	for (; ready < BATCH_SESS; ready++)
		if (codec_pair(&a[ready], &b[ready], flags, ready + 1))
			goto out;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (i / 32) % 2 ? (uint8_t)x : (uint8_t)(i / 64);
	}
	for (unsigned j = 0; j < BATCH_SESS; j++)
		bp[j] = &b[j];
	t0 = bench_now();
	do {
		for (int i = 0; i < 16; i++) {
			for (unsigned j = 0; j < BATCH_SESS; j++)
				tx[j] = (struct rlpx_codec_tx){
					.c = &a[j], .out = wire + j * oc,
					.out_cap = oc,
					.scratch = scratch + j * sc,
					.scratch_cap = sc, .code = 0x10,
					.data = data, .len = len };
			rlpx_codec_seal_batch(tx, BATCH_SESS);
			for (unsigned j = 0; j < BATCH_SESS; j++)
				if (tx[j].rc < 0 ||
				    rlpx_codec_rx_push(&b[j], wire + j * oc,
						       (size_t)tx[j].rc) !=
				    tx[j].rc)
					bad = 1;
			rlpx_codec_rx_next_batch(bp, m, rc, BATCH_SESS);
			for (unsigned j = 0; j < BATCH_SESS; j++)
				if (rc[j] || m[j].len != len)
					bad = 1;
			n += BATCH_SESS;
		}
		t = bench_now() - t0;
	} while (t < 1.0 && !bad);
	mbs = (double)n * (double)len / t / 1e6;
	snprintf(op, sizeof(op), "seal+open %zu B%s, %u sess batched", len,
		 flags ? " snappy" : "", BATCH_SESS);
	snprintf(note, sizeof(note), "%.2fx 1 sess; keccak %.0f, x%u %.0f",
		 single > 0 ? mbs / single : 0, k1, BATCH_SESS, k8);
	if (bad)
		snprintf(note, sizeof(note), "ROUND TRIP FAILED");
	bench_report(op, (double)n / t, (double)len, note);
out:
	for (unsigned j = 0; j < ready; j++) {
		rlpx_codec_fini(&a[j]);
		rlpx_codec_fini(&b[j]);
	}
	if (!ready || ready < BATCH_SESS)
		printf("fe: setup failed\n");
	free(data);
	free(scratch);
	free(wire);
}

void bench_fe(void)
{
	static const size_t lens[] = { 1024, 16384 };

	double single[2][2];

	bench_section("fe (RLPx frame engine)");
	for (unsigned i = 0; i < 2; i++) {
		double k = keccak_mbs(lens[i]);
		char op[64], note[64];

		snprintf(op, sizeof(op), "keccak-256 %zu B", lens[i]);
		snprintf(note, sizeof(note), "ceiling, same run");
		bench_report(op, k * 1e6 / (double)lens[i], (double)lens[i],
			     note);
		single[i][1] = row(lens[i], MSG_RLPX_KEYS_F_SNAPPY, k, false);
		single[i][0] = row(lens[i], 0, k, false);
		if (lens[i] == 1024)
			row(lens[i], MSG_RLPX_KEYS_F_SNAPPY, k, true);
	}
	/* Several sessions on one core, their MACs side by side: the
	 * ceilings are keccak-256 of one stream and of BATCH_SESS
	 * independent ones, measured here. */
	for (unsigned i = 0; i < 2; i++) {
		double k1 = keccak_mbs(lens[i]);
		double k8 = bench_keccak_multi_mbs(lens[i], BATCH_SESS);
		char op[64], note[64];

		snprintf(op, sizeof(op), "keccak-256 %zu B x%u multi",
			 lens[i], BATCH_SESS);
		snprintf(note, sizeof(note), "ceiling, same run");
		bench_report(op, k8 * 1e6 / (double)lens[i], (double)lens[i],
			     note);
		row_batched(lens[i], MSG_RLPX_KEYS_F_SNAPPY, single[i][1], k1,
			    k8);
		row_batched(lens[i], 0, single[i][0], k1, k8);
	}
	rlpx_frame_thread_fini();
}
