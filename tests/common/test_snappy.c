/* SPDX-License-Identifier: MIT */
/* tests/common/test_snappy.c - snappy wrapper: round trip, caps, bombs, garbage. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/snappy.h"

static void fill(uint8_t *p, size_t len, unsigned mode)
{
	uint32_t x = 0x12345678u + mode;

	for (size_t i = 0; i < len; i++) {
		if (mode == 0) {        /* compressible text-like */
			p[i] = "devp2p rlpx snappy "[i % 19];
		} else {                /* xorshift noise: incompressible */
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			p[i] = (uint8_t)x;
		}
	}
}

static void test_snappy_round_trip(void **state)
{
	static const size_t sizes[] = { 1, 2, 60, 4096, 65536, 1 << 20 };
	size_t max = 1 << 20;
	uint8_t *in = malloc(max), *out = malloc(max),
		*z = malloc(snappy_bound(max));

	(void)state;
	assert_non_null(in);
	assert_non_null(out);
	assert_non_null(z);
	for (unsigned mode = 0; mode < 2; mode++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t len = sizes[i];
			ssize_t zl, ol;

			fill(in, len, mode);
			zl = snappy_pack(z, snappy_bound(len), in, len);
			assert_true(zl > 0);
			if (mode == 0 && len >= 4096)
				assert_true((size_t)zl < len / 4);
			assert_int_equal(snappy_decoded_len(z, (size_t)zl),
					 (ssize_t)len);
			ol = snappy_unpack(out, len, z, (size_t)zl, 0);
			assert_int_equal(ol, (ssize_t)len);
			assert_memory_equal(out, in, len);
		}
	}
	free(in);
	free(out);
	free(z);
}

static void test_snappy_empty(void **state)
{
	uint8_t z[64], out[1];
	ssize_t zl;

	(void)state;
	zl = snappy_pack(z, sizeof(z), (const uint8_t *)"", 0);
	assert_int_equal(zl, 1);        /* varint 0 and nothing else */
	assert_int_equal(z[0], 0x00);
	assert_int_equal(snappy_unpack(out, 0, z, 1, 0), 0);
	/* no input at all is not a valid block */
	assert_int_equal(snappy_unpack(out, sizeof(out), z, 0, 0), -EBADMSG);
}

static void test_snappy_bomb_rejected_before_decompressing(void **state)
{
	/* varint 20 MiB (0x1400000) then a literal of 4 bytes: a real
	 * stream would need copies to reach 20 MiB; the header alone must
	 * be enough to refuse it. */
	static const uint8_t bomb[] = { 0x80, 0x80, 0x80, 0x0a, 0x0c,
					'a', 'b', 'c', 'd' };
	uint8_t out[16];

	(void)state;
	assert_int_equal(snappy_decoded_len(bomb, sizeof(bomb)), 20 << 20);
	/* out is tiny; the answer is -EMSGSIZE (cap), not -ENOBUFS or a
	 * decode error, which shows nothing was decompressed. */
	assert_int_equal(snappy_unpack(out, sizeof(out), bomb, sizeof(bomb), 0),
			 -EMSGSIZE);
	assert_int_equal(snappy_unpack(out, sizeof(out), bomb, sizeof(bomb),
				       (size_t)64 << 20), -EMSGSIZE);
}

static void test_snappy_caller_cap(void **state)
{
	uint8_t in[1000], z[1200], out[1000];
	ssize_t zl;

	(void)state;
	fill(in, sizeof(in), 0);
	zl = snappy_pack(z, sizeof(z), in, sizeof(in));
	assert_true(zl > 0);
	assert_int_equal(snappy_unpack(out, sizeof(out), z, (size_t)zl, 999),
			 -EMSGSIZE);
	assert_int_equal(snappy_unpack(out, 999, z, (size_t)zl, 0), -ENOBUFS);
	assert_int_equal(snappy_unpack(out, sizeof(out), z, (size_t)zl, 1000),
			 1000);
	assert_memory_equal(out, in, sizeof(in));
}

static void test_snappy_garbage_rejected(void **state)
{
	static const struct {
		uint8_t in[12];
		size_t len;
	} bad[] = {
		/* unterminated varint */
		{ { 0x80 }, 1 },
		{ { 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 6 },
		/* claims 5 bytes, literal of 5 declared but 2 present */
		{ { 0x05, 0x10, 'a', 'b' }, 4 },
		/* claims 4, copy with offset 1 before any output */
		{ { 0x04, 0x01, 0x01 }, 3 },
		/* claims 3, literal of 4 overruns the claimed size */
		{ { 0x03, 0x0c, 'a', 'b', 'c', 'd' }, 6 },
		/* claims 8, literal of 4: too short */
		{ { 0x08, 0x0c, 'a', 'b', 'c', 'd' }, 6 },
		/* claims 2, copy-2 offset 0 */
		{ { 0x02, 0x00, 'x', 0x06, 0x00, 0x00 }, 6 },
	};
	uint8_t out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(snappy_unpack(out, sizeof(out), bad[i].in,
					       bad[i].len, 0), -EBADMSG);
	assert_int_equal(snappy_decoded_len(bad[0].in, bad[0].len), -EBADMSG);
}

static void test_snappy_pack_errors(void **state)
{
	uint8_t in[100] = { 0 }, z[200];

	(void)state;
	assert_int_equal(snappy_pack(z, snappy_bound(100) - 1, in, 100),
			 -ENOBUFS);
	assert_int_equal(snappy_pack(z, sizeof(z), in,
				     (size_t)SNAPPY_DECODED_MAX + 1), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snappy_round_trip),
		cmocka_unit_test(test_snappy_empty),
		cmocka_unit_test(test_snappy_bomb_rejected_before_decompressing),
		cmocka_unit_test(test_snappy_caller_cap),
		cmocka_unit_test(test_snappy_garbage_rejected),
		cmocka_unit_test(test_snappy_pack_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
