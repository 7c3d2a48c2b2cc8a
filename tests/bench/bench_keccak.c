/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_keccak.c - Keccak-256 throughput against the bare permutation. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/keccak.h"
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
}
