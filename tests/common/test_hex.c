/* SPDX-License-Identifier: MIT */
/* tests/common/test_hex.c - hex encoding and strict decoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"

static void test_encode(void **state)
{
	static const uint8_t in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff };
	char out[2 * sizeof(in) + 2];

	(void)state;
	memset(out, 'X', sizeof(out));
	assert_ptr_equal(hex_encode(out, in, sizeof(in)), out);
	assert_string_equal(out, "00017f80abcdefff");
	assert_int_equal(out[2 * sizeof(in) + 1], 'X');        /* no overrun */

	assert_ptr_equal(hex_encode(out, in, 0), out);
	assert_string_equal(out, "");
}

static void test_decode_plain_and_prefixed(void **state)
{
	static const uint8_t want[] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x09 };
	uint8_t out[8];

	(void)state;
	memset(out, 0x55, sizeof(out));
	assert_int_equal(hex_decode(out, sizeof(out), "deadbeef0009", 12), 6);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(out[6], 0x55);                         /* no overrun */

	memset(out, 0, sizeof(out));
	assert_int_equal(hex_decode(out, sizeof(out), "0xDeAdBeEf0009", 14), 6);
	assert_memory_equal(out, want, sizeof(want));

	memset(out, 0, sizeof(out));
	assert_int_equal(hex_decode(out, sizeof(out), "0XDEADBEEF0009", 14), 6);
	assert_memory_equal(out, want, sizeof(want));

	/* Empty, with and without prefix. */
	assert_int_equal(hex_decode(out, sizeof(out), "", 0), 0);
	assert_int_equal(hex_decode(out, sizeof(out), "0x", 2), 0);
	assert_int_equal(hex_decode(NULL, 0, "0x", 2), 0);

	/* str_len bounds the input: trailing bytes are not read. */
	assert_int_equal(hex_decode(out, sizeof(out), "abcdZZ", 4), 2);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(out[1], 0xcd);
}

static void test_decode_odd_length(void **state)
{
	uint8_t out[8];

	(void)state;
	assert_int_equal(hex_decode(out, sizeof(out), "abc", 3), -EBADMSG);
	assert_int_equal(hex_decode(out, sizeof(out), "0xabc", 5), -EBADMSG);
	assert_int_equal(hex_decode(out, sizeof(out), "a", 1), -EBADMSG);
	assert_int_equal(hex_decode(out, sizeof(out), "0", 1), -EBADMSG);
}

static void test_decode_bad_digit(void **state)
{
	static const char *const bad[] = {
		"0g", "g0", "zz", "0x0x", "12 4", "-1", "ab:d", "+0", "0x1G",
		"\x80\x30",
	};
	uint8_t out[8];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hex_decode(out, sizeof(out), bad[i], strlen(bad[i])),
				 -EBADMSG);
	/* A NUL inside the counted length is a bad digit, not a terminator. */
	assert_int_equal(hex_decode(out, sizeof(out), "ab\0d", 4), -EBADMSG);
}

static void test_decode_too_small(void **state)
{
	uint8_t out[4];

	(void)state;
	memset(out, 0x55, sizeof(out));
	assert_int_equal(hex_decode(out, 3, "0x01020304", 10), -EMSGSIZE);
	assert_int_equal(hex_decode(out, 0, "00", 2), -EMSGSIZE);
	assert_int_equal(out[3], 0x55);
	assert_int_equal(hex_decode(out, 4, "0x01020304", 10), 4);
}

static void test_round_trip(void **state)
{
	uint8_t in[256], back[256];
	char str[2 * sizeof(in) + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	hex_encode(str, in, sizeof(in));
	assert_int_equal(strlen(str), 2 * sizeof(in));
	assert_int_equal(hex_decode(back, sizeof(back), str, strlen(str)),
			 (ssize_t)sizeof(in));
	assert_memory_equal(back, in, sizeof(in));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_decode_plain_and_prefixed),
		cmocka_unit_test(test_decode_odd_length),
		cmocka_unit_test(test_decode_bad_digit),
		cmocka_unit_test(test_decode_too_small),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
