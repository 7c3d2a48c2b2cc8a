/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_keccak.c - Keccak-256 throughput against the bare permutation. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/keccak.h"
#include "common/keccak_impl.h"
#include "tests/bench/bench.h"

#define ROW_SECONDS 1.0

static volatile uint8_t sink;

/* Hashes len bytes for about ROW_SECONDS; returns hashes per second. */
static double keccak_rate(size_t len, const uint8_t *buf)
{
	uint8_t d[KECCAK256_LEN];
	double t0 = bench_now(), t;
	uint64_t n = 0, batch = 1;

	do {
		for (uint64_t i = 0; i < batch; i++) {
			keccak256(d, buf, len);
			sink ^= d[0];
		}
		n += batch;
		if (batch < (1u << 20))
			batch *= 2;
		t = bench_now() - t0;
	} while (t < ROW_SECONDS);
	return (double)n / t;
}

/* The raw ceiling: standalone keccak_f1600() calls per second (each loads
 * and stores the 200-byte state). */
static double permutation_rate(void)
{
	uint64_t s[25] = { 0 };
	double t0 = bench_now(), t;
	uint64_t n = 0, batch = 1;

	do {
		for (uint64_t i = 0; i < batch; i++)
			keccak_f1600(s);
		n += batch;
		if (batch < (1u << 20))
			batch *= 2;
		t = bench_now() - t0;
	} while (t < ROW_SECONDS);
	sink ^= (uint8_t)s[0];
	return (double)n / t;
}

/* Multi-buffer kernel calls per second (each permutes impl->width states
 * and absorbs a block into each). */
static double multi_kernel_rate(const struct keccak_multi_impl *impl)
{
	static uint8_t blk[KECCAK_MULTI_WIDTH_MAX][KECCAK256_RATE];
	_Alignas(64) uint64_t s[25 * KECCAK_MULTI_WIDTH_MAX] = { 0 };
	const uint8_t *in[KECCAK_MULTI_WIDTH_MAX];
	double t0 = bench_now(), t;
	uint64_t n = 0, batch = 1;

	for (unsigned j = 0; j < impl->width; j++)
		in[j] = blk[j];
	do {
		for (uint64_t i = 0; i < batch; i++)
			impl->permute(s, in);
		n += batch;
		if (batch < (1u << 20))
			batch *= 2;
		t = bench_now() - t0;
	} while (t < ROW_SECONDS);
	sink ^= (uint8_t)s[0];
	return (double)n / t;
}

#define MULTI_MAX 64

double bench_keccak_multi_mbs(size_t len, size_t n)
{
	static uint8_t buf[MULTI_MAX][16384];
	struct keccak_ctx ctx[MULTI_MAX], *p[MULTI_MAX];
	const struct keccak_ctx *cp[MULTI_MAX];
	const uint8_t *in[MULTI_MAX];
	uint8_t d[MULTI_MAX][KECCAK256_LEN], *dp[MULTI_MAX];
	size_t lens[MULTI_MAX];
	double t0, t;
	uint64_t rounds = 0;

	if (n > MULTI_MAX || len > sizeof(buf[0]))
		return 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < len; j++)
			buf[i][j] = (uint8_t)(i * 31 + j * 7);
		p[i] = &ctx[i];
		cp[i] = &ctx[i];
		in[i] = buf[i];
		lens[i] = len;
		dp[i] = d[i];
	}
	t0 = bench_now();
	do {
		for (int r = 0; r < 16; r++) {
			for (size_t i = 0; i < n; i++)
				keccak256_init(&ctx[i]);
			keccak256_multi_update(p, in, lens, n);
			keccak256_multi_peek(cp, dp, n);
			sink ^= d[0][0];
		}
		rounds += 16;
		t = bench_now() - t0;
	} while (t < ROW_SECONDS / 2);
	return (double)rounds * (double)n * (double)len / t / 1e6;
}

void bench_keccak(void)
{
	static const size_t lens[] = { 200, 1024, 16384 };
	static uint8_t buf[16384];
	char note[96];
	double perm, perm_mbs;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);

	bench_section("keccak");
	perm = permutation_rate();
	perm_mbs = perm * KECCAK256_RATE / 1e6;
	snprintf(note, sizeof(note), "ceiling: %.0f MB/s (%d B per permutation)",
		 perm_mbs, KECCAK256_RATE);
	bench_report("keccak-f[1600]", perm, KECCAK256_RATE, note);

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];
		size_t nperm = len / KECCAK256_RATE + 1;
		double rate = keccak_rate(len, buf);
		char op[32];

		/* Share of the time that the bare permutations alone would
		 * take; above 100% when the absorb loop, which keeps the state
		 * in registers across blocks, beats separate calls. */
		snprintf(op, sizeof(op), "keccak256 %zu B", len);
		snprintf(note, sizeof(note),
			 "%zu permutations, %.0f%% of the ceiling",
			 nperm, 100.0 * rate * (double)nperm / perm);
		bench_report(op, rate, (double)len, note);
	}

	/* Independent states side by side: the per-core ceiling of many
	 * sessions' MACs (one session's chain cannot use it). */
	{
		struct keccak_multi_impl impl[8];
		size_t n_impl = keccak_test_multi_impls(impl, 8);

		for (size_t k = 1; k < n_impl; k++) {
			double r = multi_kernel_rate(&impl[k]) * impl[k].width;
			char op[48];

			snprintf(op, sizeof(op), "keccak-f[1600] x%u %s",
				 impl[k].width, impl[k].name);
			snprintf(note, sizeof(note),
				 "%.0f MB/s, %.1fx the single-state ceiling",
				 r * KECCAK256_RATE / 1e6, r / perm);
			bench_report(op, r, KECCAK256_RATE, note);
		}
	}
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		double mbs = bench_keccak_multi_mbs(lens[i], 8);
		char op[48];

		snprintf(op, sizeof(op), "keccak256_multi 8 x %zu B", lens[i]);
		snprintf(note, sizeof(note), "8 independent states");
		bench_report(op, mbs * 1e6 / (double)lens[i], (double)lens[i],
			     note);
	}
}
