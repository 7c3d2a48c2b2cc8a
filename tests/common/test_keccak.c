/* SPDX-License-Identifier: MIT */
/* tests/common/test_keccak.c - Keccak-256 vectors, streaming and peek. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "common/keccak.h"
#include "common/keccak_impl.h"

/*
 * Expected digests were computed offline with two independent JavaScript
 * implementations that agreed on every value: js-sha3 (keccak256) and
 * @noble/hashes (keccak_256), installed with `npm i js-sha3 @noble/hashes`
 * and run under node. pattern(n) is the n bytes (i * 7 + 3) & 0xff.
 */
#define D_EMPTY  "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
#define D_ABC    "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
#define D_A3_200 "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a"
#define D_MILLION_A \
	"fadae6b49f129bbb812be8407b7b2894f34aecf6dbd1f9b0f0c7e9853098fc96"
/* keccak256(keccak256(pattern(0)) || ... || keccak256(pattern(300))) */
#define D_CHAIN_0_300 \
	"2c42f3ea255cc9e489b3111815c1014717c9fe06d269a2b51cbc4d99c5390a8b"
#define D_PAT_1MIB_17 \
	"67f012554d9c07512a59def5ac2116a3d0a622914561936b7565f4da53a2d1d2"

static const struct {
	size_t len;
	const char *digest;
} pattern_vectors[] = {
	{ 135, "00ef96af9cf4b24c7f269d922294444a197d0a33638c2e56634c57e892103a8f" },
	{ 136, "742061bcad767ed4c4f5883b1dcb1aad11afdcc140dc469d953759b127b9f9ed" },
	{ 137, "e3371f61e770abf254c34239c3b0099ad90594507415bc81dd0a10b9692bbf2a" },
	{ 272, "ac141fd7b0a0ffcd2e967254d508da3ec616596493c36fa304425647d90e6de5" },
};

static void pattern(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
}

static void assert_digest(const uint8_t got[KECCAK256_LEN], const char *want_hex)
{
	char got_hex[2 * KECCAK256_LEN + 1];

	hex_encode(got_hex, got, KECCAK256_LEN);
	assert_string_equal(got_hex, want_hex);
}

static void test_empty(void **state)
{
	uint8_t d[KECCAK256_LEN];
	struct keccak_ctx ctx;

	(void)state;
	keccak256(d, NULL, 0);
	assert_digest(d, D_EMPTY);
	keccak256_init(&ctx);
	keccak256_final(&ctx, d);
	assert_digest(d, D_EMPTY);
}

static void test_abc(void **state)
{
	uint8_t d[KECCAK256_LEN];

	(void)state;
	keccak256(d, (const uint8_t *)"abc", 3);
	assert_digest(d, D_ABC);
}

static void test_a3_200(void **state)
{
	uint8_t buf[200], d[KECCAK256_LEN];
	struct keccak_ctx ctx;

	(void)state;
	memset(buf, 0xa3, sizeof(buf));
	keccak256(d, buf, sizeof(buf));
	assert_digest(d, D_A3_200);
	/* Byte by byte through update. */
	keccak256_init(&ctx);
	for (size_t i = 0; i < sizeof(buf); i++)
		keccak256_update(&ctx, &buf[i], 1);
	keccak256_final(&ctx, d);
	assert_digest(d, D_A3_200);
}

static void test_pattern_boundaries(void **state)
{
	uint8_t buf[272], d[KECCAK256_LEN];

	(void)state;
	pattern(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(pattern_vectors) / sizeof(pattern_vectors[0]); i++) {
		keccak256(d, buf, pattern_vectors[i].len);
		assert_digest(d, pattern_vectors[i].digest);
	}
}

/* Every length 0..300 one-shot, checked through a digest of digests. */
static void test_chain_0_300(void **state)
{
	static uint8_t chain[301 * KECCAK256_LEN];
	uint8_t buf[300], d[KECCAK256_LEN];

	(void)state;
	pattern(buf, sizeof(buf));
	for (size_t n = 0; n <= 300; n++)
		keccak256(&chain[n * KECCAK256_LEN], buf, n);
	keccak256(d, chain, sizeof(chain));
	assert_digest(d, D_CHAIN_0_300);
}

static void test_million_a(void **state)
{
	uint8_t *buf = malloc(1000000), d[KECCAK256_LEN];
	struct keccak_ctx ctx;

	(void)state;
	assert_non_null(buf);
	memset(buf, 'a', 1000000);
	keccak256(d, buf, 1000000);
	assert_digest(d, D_MILLION_A);
	/* Uneven chunks that straddle block boundaries. */
	keccak256_init(&ctx);
	for (size_t off = 0, step = 1; off < 1000000; step = step * 3 % 1001 + 1) {
		size_t n = step < 1000000 - off ? step : 1000000 - off;

		keccak256_update(&ctx, buf + off, n);
		off += n;
	}
	keccak256_final(&ctx, d);
	assert_digest(d, D_MILLION_A);
	free(buf);
}

/* A long input from an unaligned start, so the absorb loads are unaligned. */
static void test_long_unaligned(void **state)
{
	size_t len = 1048576 + 17;
	uint8_t *mem = malloc(len + 8), d[KECCAK256_LEN];

	(void)state;
	assert_non_null(mem);
	for (size_t a = 0; a < 8; a++) {
		pattern(mem + a, len);
		keccak256(d, mem + a, len);
		assert_digest(d, D_PAT_1MIB_17);
	}
	free(mem);
}

/* Random split points through update must equal the one-shot digest. */
static void test_random_splits(void **state)
{
	uint8_t buf[300], want[KECCAK256_LEN], got[KECCAK256_LEN];
	struct keccak_ctx ctx;
	uint32_t rng = 0x9e3779b9;

	(void)state;
	pattern(buf, sizeof(buf));
	for (size_t n = 0; n <= 300; n++) {
		keccak256(want, buf, n);
		for (int trial = 0; trial < 8; trial++) {
			size_t off = 0;

			keccak256_init(&ctx);
			while (off < n) {
				size_t step;

				rng ^= rng << 13;
				rng ^= rng >> 17;
				rng ^= rng << 5;
				step = rng % (n - off + 1);     /* zero-length updates too */
				keccak256_update(&ctx, buf + off, step);
				off += step;
			}
			keccak256_final(&ctx, got);
			assert_memory_equal(got, want, KECCAK256_LEN);
		}
	}
}

/* peek() gives the digest so far, leaves ctx alone, and absorbing goes on. */
static void test_peek(void **state)
{
	uint8_t buf[300], want[KECCAK256_LEN], got[KECCAK256_LEN];
	struct keccak_ctx ctx, copy;

	(void)state;
	pattern(buf, sizeof(buf));
	for (size_t split = 0; split <= 300; split += 7) {
		keccak256_init(&ctx);
		keccak256_update(&ctx, buf, split);
		memcpy(&copy, &ctx, sizeof(ctx));
		keccak256_peek(&ctx, got);
		assert_memory_equal(&ctx, &copy, sizeof(ctx));
		keccak256(want, buf, split);
		assert_memory_equal(got, want, KECCAK256_LEN);
		keccak256_peek(&ctx, got);      /* twice in a row: same answer */
		assert_memory_equal(got, want, KECCAK256_LEN);

		keccak256_update(&ctx, buf + split, 300 - split);
		keccak256_final(&ctx, got);
		keccak256(want, buf, 300);
		assert_memory_equal(got, want, KECCAK256_LEN);
	}
	keccak256_init(&ctx);
	keccak256_update(&ctx, (const uint8_t *)"ab", 2);
	keccak256_peek(&ctx, got);
	keccak256_update(&ctx, (const uint8_t *)"c", 1);
	keccak256_peek(&ctx, got);
	assert_digest(got, D_ABC);
}

static void test_final_wipes(void **state)
{
	static const struct keccak_ctx zero;
	uint8_t d[KECCAK256_LEN];
	struct keccak_ctx ctx;

	(void)state;
	keccak256_init(&ctx);
	keccak256_update(&ctx, (const uint8_t *)"abc", 3);
	keccak256_final(&ctx, d);
	assert_digest(d, D_ABC);
	assert_memory_equal(&ctx, &zero, sizeof(ctx));
	/* A wiped ctx is the same as a fresh one. */
	keccak256_final(&ctx, d);
	assert_digest(d, D_EMPTY);
}

static uint64_t xorshift64(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* The portable single-state permutation, as the reference. */
static void permute_ref(uint64_t st[25], const uint8_t *in)
{
	struct keccak_impl impl[1];

	assert_int_equal(keccak_test_impls(impl, 1), 1);
	impl[0].permute(st, in, 1);
}

/*
 * Every permutation variant this CPU runs (keccak_impl.h) against the
 * portable one: random states, with and without absorbed blocks (from an
 * odd address), and the published keccak-f[1600] of the all-zero state
 * (lanes 0 and 1 from the Keccak team's KeccakF-1600 intermediate values).
 */
static void test_impls_agree(void **state)
{
	struct keccak_impl impl[8];
	size_t n = keccak_test_impls(impl, 8);
	uint8_t in[4 * KECCAK256_RATE + 1];
	uint64_t rng = 0x243f6a8885a308d3ULL;

	(void)state;
	assert_true(n >= 1);
	assert_string_equal(impl[0].name, "portable");
#if defined(__x86_64__) && defined(__GNUC__)
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512vl"))
		assert_string_equal(impl[n - 1].name, "avx512vl");
#endif
	for (size_t i = 0; i < n; i++) {
		uint64_t z[25] = { 0 };

		impl[i].permute(z, NULL, 1);
		assert_true(z[0] == 0xf1258f7940e1dde7ULL);
		assert_true(z[1] == 0x84d5ccf933c0478aULL);
	}
	for (size_t i = 1; i < n; i++) {
		print_message("keccak-f[1600] %s vs portable\n", impl[i].name);
		for (int trial = 0; trial < 500; trial++) {
			uint64_t want[25], got[25];
			size_t nblocks = 1 + (size_t)trial % 4;
			const uint8_t *src = trial % 3 ? in + 1 : NULL;

			for (size_t j = 0; j < 25; j++)
				want[j] = xorshift64(&rng);
			for (size_t j = 0; j < sizeof(in); j++)
				in[j] = (uint8_t)xorshift64(&rng);
			memcpy(got, want, sizeof(got));
			impl[0].permute(want, src, nblocks);
			impl[i].permute(got, src, nblocks);
			assert_memory_equal(got, want, sizeof(got));
		}
	}
}

#define MULTI_N_MAX 24

/* A random length: mostly short (the RLPx MAC's 16-byte updates), some
 * around one and several blocks, some exactly on a block boundary. */
static size_t random_len(uint64_t *rng)
{
	uint64_t r = xorshift64(rng);

	switch (r % 6) {
	case 0:
		return 16;
	case 1:
		return (size_t)(r >> 8) % 40;
	case 2:
		return KECCAK256_RATE * (1 + (size_t)(r >> 8) % 3) -
		       (size_t)(r >> 16) % 2;
	case 3:
		return (size_t)(r >> 8) % (2 * KECCAK256_RATE);
	default:
		return (size_t)(r >> 8) % 1100;
	}
}

/*
 * One multi variant (or the public dispatch when impl is NULL) against the
 * single-state calls: n states with random absorbed prefixes (so every
 * buffered offset occurs), then several rounds of random-length updates
 * from random (odd) addresses, some states sharing one input, each round
 * followed by a multi peek. States and digests must match exactly.
 */
static void multi_vs_single(const struct keccak_multi_impl *impl, size_t n,
			    uint64_t *rng)
{
	static uint8_t pool[4096 + 1];
	struct keccak_ctx want[MULTI_N_MAX], got[MULTI_N_MAX];
	struct keccak_ctx *gp[MULTI_N_MAX];
	const struct keccak_ctx *cgp[MULTI_N_MAX];
	const uint8_t *in[MULTI_N_MAX];
	size_t len[MULTI_N_MAX];
	uint8_t dw[MULTI_N_MAX][KECCAK256_LEN], dg[MULTI_N_MAX][KECCAK256_LEN];
	uint8_t *dgp[MULTI_N_MAX];

	for (size_t j = 0; j < sizeof(pool); j++)
		pool[j] = (uint8_t)xorshift64(rng);
	for (size_t i = 0; i < n; i++) {
		size_t pre = (size_t)xorshift64(rng) % 400;

		keccak256_init(&want[i]);
		keccak256_update(&want[i], pool + 1 + i, pre);
		got[i] = want[i];
		gp[i] = &got[i];
		cgp[i] = &got[i];
		dgp[i] = dg[i];
	}
	for (int round = 0; round < 6; round++) {
		for (size_t i = 0; i < n; i++) {
			len[i] = random_len(rng);
			/* every third state reads the same bytes as state 0 */
			if (i % 3 == 2)
				in[i] = in[0];
			else
				in[i] = pool + 1 + (size_t)xorshift64(rng) %
					(sizeof(pool) - 1 - 2 * 1100);
			if (i % 3 == 2 && len[i] > len[0])
				len[i] = len[0];
			keccak256_update(&want[i], in[i], len[i]);
			keccak256_peek(&want[i], dw[i]);
		}
		if (impl) {
			keccak_test_multi_update(impl, gp, in, len, n);
			keccak_test_multi_peek(impl, cgp, dgp, n);
		} else {
			keccak256_multi_update(gp, in, len, n);
			keccak256_multi_peek(cgp, dgp, n);
		}
		for (size_t i = 0; i < n; i++) {
			assert_memory_equal(got[i].s, want[i].s,
					    sizeof(want[i].s));
			assert_int_equal(got[i].pos, want[i].pos);
			assert_memory_equal(dg[i], dw[i], KECCAK256_LEN);
		}
	}
}

static const size_t multi_ns[] = { 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17,
				   23, 24 };

/* Every multi-buffer variant this CPU runs, and the dispatching API, equal
 * the single-state code for n below, at and above the lane counts. */
static void test_multi_matches_single(void **state)
{
	struct keccak_multi_impl impl[8];
	size_t n_impl = keccak_test_multi_impls(impl, 8);
	uint64_t rng = 0x452821e638d01377ULL;

	(void)state;
	assert_true(n_impl >= 1);
	assert_string_equal(impl[0].name, "portable");
#if defined(__x86_64__) && defined(__GNUC__)
	if (__builtin_cpu_supports("avx2"))
		assert_true(n_impl >= 2);
	if (__builtin_cpu_supports("avx512f"))
		assert_string_equal(impl[n_impl - 1].name, "avx512");
#endif
	for (size_t k = 0; k <= n_impl; k++) {
		const struct keccak_multi_impl *p;

		p = k < n_impl ? &impl[k] : NULL;

		assert_true(!p || (p->width >= 1 &&
				   p->width <= KECCAK_MULTI_WIDTH_MAX));
		print_message("keccak multi %s vs single state\n",
			      p ? p->name : "(dispatch)");
		for (size_t t = 0; t < sizeof(multi_ns) / sizeof(multi_ns[0]);
		     t++)
			for (int trial = 0; trial < 4; trial++)
				multi_vs_single(p, multi_ns[t], &rng);
	}
}

/* The kernels on their own: every lane with and without input (a NULL
 * block leaves that state's memory alone) against the portable
 * permutation, and the published keccak-f[1600] of the zero state. */
static void test_multi_kernels(void **state)
{
	struct keccak_multi_impl impl[8];
	size_t n_impl = keccak_test_multi_impls(impl, 8);
	_Alignas(64) uint64_t s[25 * KECCAK_MULTI_WIDTH_MAX];
	uint64_t want[KECCAK_MULTI_WIDTH_MAX][25];
	uint8_t blocks[KECCAK_MULTI_WIDTH_MAX][KECCAK256_RATE + 1];
	const uint8_t *in[KECCAK_MULTI_WIDTH_MAX];
	uint64_t rng = 0x13198a2e03707344ULL;

	(void)state;
	for (size_t k = 0; k < n_impl; k++) {
		unsigned w = impl[k].width;

		memset(s, 0, sizeof(s));
		for (unsigned j = 0; j < w; j++)
			in[j] = NULL;
		impl[k].permute(s, in);
		for (unsigned j = 0; j < w; j++) {
			assert_true(s[0 * w + j] == 0xf1258f7940e1dde7ULL);
			assert_true(s[1 * w + j] == 0x84d5ccf933c0478aULL);
		}
		for (int trial = 0; trial < 200; trial++) {
			for (unsigned j = 0; j < w; j++) {
				for (unsigned i = 0; i < 25; i++) {
					want[j][i] = xorshift64(&rng);
					s[i * w + j] = want[j][i];
				}
				for (unsigned b = 0; b <= KECCAK256_RATE; b++)
					blocks[j][b] =
						(uint8_t)xorshift64(&rng);
				/* random subset of lanes absorbs, misaligned */
				in[j] = xorshift64(&rng) % 3 ? blocks[j] + 1
							     : NULL;
				permute_ref(want[j], in[j]);
			}
			impl[k].permute(s, in);
			for (unsigned j = 0; j < w; j++)
				for (unsigned i = 0; i < 25; i++)
					assert_true(s[i * w + j] ==
						    want[j][i]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_abc),
		cmocka_unit_test(test_a3_200),
		cmocka_unit_test(test_pattern_boundaries),
		cmocka_unit_test(test_chain_0_300),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_long_unaligned),
		cmocka_unit_test(test_random_splits),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_final_wipes),
		cmocka_unit_test(test_impls_agree),
		cmocka_unit_test(test_multi_kernels),
		cmocka_unit_test(test_multi_matches_single),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
