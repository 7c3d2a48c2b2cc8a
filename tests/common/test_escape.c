/* SPDX-License-Identifier: MIT */
/* tests/common/test_escape.c - escaping remote-controlled bytes for printing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/escape.h"

struct row {
	const char *in;
	size_t len;
	const char *want;
};

static void test_escape_table(void **state)
{
	static const struct row rows[] = {
		{ "", 0, "" },
		{ "Geth/v1.17.10-stable/linux-amd64/go1.26", 39,
		  "Geth/v1.17.10-stable/linux-amd64/go1.26" },
		{ " ~", 2, " ~" },                      /* printable edges */
		{ "a\\b", 3, "a\\\\b" },                /* backslash doubled */
		{ "\x1b[31mred", 8, "\\x1b[31mred" },   /* terminal escape */
		{ "line\nevent: added", 17, "line\\x0aevent: added" },
		{ "a\0b", 3, "a\\x00b" },               /* embedded NUL */
		{ "\x7f\x80\xff", 3, "\\x7f\\x80\\xff" },
		{ "\xc3\xa9", 2, "\\xc3\\xa9" },        /* UTF-8 is escaped too */
		{ "\r\t", 2, "\\x0d\\x09" },
	};
	char out[128];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = escape_bytes(out, sizeof(out), rows[i].in,
					rows[i].len);

		assert_string_equal(out, rows[i].want);
		assert_int_equal(n, strlen(rows[i].want));
	}
}

/* Every byte value: the output is printable ASCII only, and the bound
 * ESCAPE_BUF_LEN() is enough. */
static void test_escape_all_bytes_printable(void **state)
{
	uint8_t in[256];
	char out[ESCAPE_BUF_LEN(256)];
	size_t n;

	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	n = escape_bytes(out, sizeof(out), in, sizeof(in));
	assert_int_equal(n, strlen(out));
	assert_true(n < sizeof(out));
	for (size_t i = 0; i < n; i++)
		assert_true(out[i] >= 0x20 && out[i] < 0x7f);
	/* 95 printable bytes kept (the backslash doubled), 161 as \xNN. */
	assert_int_equal(n, 94 + 2 + 161 * 4);
}

/* Truncation: NUL-terminated, never half an escape, snprintf's return. */
static void test_escape_truncates_whole_escapes(void **state)
{
	char out[8];
	size_t n;

	(void)state;
	memset(out, 'X', sizeof(out));
	n = escape_bytes(out, 6, "ab\x01" "cd", 5);
	assert_int_equal(n, 8);                 /* "ab\x01cd" */
	assert_string_equal(out, "ab");         /* "\x01" needs 4 of 3 left */
	assert_int_equal(out[6], 'X');          /* no write past cap */

	n = escape_bytes(out, 7, "ab\x01" "cd", 5);
	assert_string_equal(out, "ab\\x01");
	assert_int_equal(n, 8);

	n = escape_bytes(out, 1, "abc", 3);
	assert_string_equal(out, "");
	assert_int_equal(n, 3);

	memset(out, 'X', sizeof(out));
	n = escape_bytes(out, 0, "abc", 3);     /* nothing written */
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 'X');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_table),
		cmocka_unit_test(test_escape_all_bytes_printable),
		cmocka_unit_test(test_escape_truncates_whole_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
