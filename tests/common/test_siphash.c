/* SPDX-License-Identifier: MIT */
/* tests/common/test_siphash.c - SipHash-2-4 against the reference implementation's vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/siphash.h"

/* The reference code's vectors.h (vectors_sip64): key 00 01 .. 0f, message
 * 00 01 .. (len-1); the 64-bit output read little-endian. Lengths 0 and 15
 * are also the paper's appendix A example. */
static const struct {
	size_t len;
	uint64_t out;
} vectors[] = {
	{ 0, 0x726fdb47dd0e0e31ull },
	{ 8, 0x93f5f5799a932462ull },
	{ 15, 0xa129ca6149be45e5ull },
	{ 63, 0x958a324ceb064572ull },
};

static void test_siphash_reference_vectors(void **st)
{
	uint8_t key[SIPHASH_KEY_LEN], msg[64];

	(void)st;
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		assert_int_equal(siphash24(key, msg, vectors[i].len),
				 vectors[i].out);
}

/* Each key bit and each message bit changes the output: the key is what
 * keeps hash-flooding out, so a key that is ignored must fail here. */
static void test_siphash_depends_on_key_and_message(void **st)
{
	uint8_t key[SIPHASH_KEY_LEN] = { 0 }, msg[33] = { 0 };
	uint64_t base;

	(void)st;
	base = siphash24(key, msg, sizeof(msg));
	for (unsigned b = 0; b < 8 * sizeof(key); b++) {
		key[b / 8] ^= (uint8_t)(1u << (b % 8));
		assert_int_not_equal(siphash24(key, msg, sizeof(msg)), base);
		key[b / 8] ^= (uint8_t)(1u << (b % 8));
	}
	for (unsigned b = 0; b < 8 * sizeof(msg); b++) {
		msg[b / 8] ^= (uint8_t)(1u << (b % 8));
		assert_int_not_equal(siphash24(key, msg, sizeof(msg)), base);
		msg[b / 8] ^= (uint8_t)(1u << (b % 8));
	}
	/* Length is hashed: trailing zeros are not padding. */
	assert_int_not_equal(siphash24(key, msg, 32), base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_reference_vectors),
		cmocka_unit_test(test_siphash_depends_on_key_and_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
