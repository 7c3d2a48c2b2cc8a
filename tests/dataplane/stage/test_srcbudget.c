/* SPDX-License-Identifier: MIT */
/* tests/dataplane/stage/test_srcbudget.c - per-source GCRA buckets: burst,
 * rate, keys (/32, /64), eviction, arguments. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/stage/srcbudget.h"

#define SEC 1000000000ull
#define T0  (7 * SEC)

static void v4(uint8_t a[16], uint32_t host)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = 10;
	a[13] = (uint8_t)(host >> 16);
	a[14] = (uint8_t)(host >> 8);
	a[15] = (uint8_t)host;
}

static void test_srcbudget_burst_then_rate(void **st)
{
	struct srcbudget *b;
	uint8_t a[16];
	unsigned ok = 0;

	(void)st;
	v4(a, 1);
	assert_int_equal(srcbudget_new(&b, 100, 10, 0), 0);
	for (int i = 0; i < 50; i++)
		ok += srcbudget_take(b, a, T0);
	assert_int_equal(ok, 10);
	/* 100/s over 2 s, asked 10,000 times a second: 200 more. */
	ok = 0;
	for (uint64_t t = T0 + SEC / 10000; t <= T0 + 2 * SEC;
	     t += SEC / 10000)
		ok += srcbudget_take(b, a, t);
	assert_int_equal(ok, 200);
	/* A quiet source gets its whole burst back, no more. */
	ok = 0;
	for (int i = 0; i < 50; i++)
		ok += srcbudget_take(b, a, T0 + 100 * SEC);
	assert_int_equal(ok, 10);
	srcbudget_free(b);
}

static void test_srcbudget_keys(void **st)
{
	static const uint8_t s6a[16] = { 0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4,
					 [15] = 1 };
	static const uint8_t s6b[16] = { 0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4,
					 0xff, [15] = 9 };
	static const uint8_t s6c[16] = { 0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 5,
					 [15] = 1 };
	struct srcbudget *b;
	uint8_t a[16], c[16];

	(void)st;
	assert_int_equal(srcbudget_new(&b, 1, 1, 0), 0);
	v4(a, 1);
	v4(c, 2);
	assert_true(srcbudget_take(b, a, T0));
	assert_false(srcbudget_take(b, a, T0));
	assert_true(srcbudget_take(b, c, T0));          /* a /32 each */
	assert_true(srcbudget_take(b, s6a, T0));
	assert_false(srcbudget_take(b, s6b, T0));       /* the same /64 */
	assert_true(srcbudget_take(b, s6c, T0));
	srcbudget_free(b);
}

/* A full table evicts the source with the most credit: a flood of new
 * sources does not reset a drained one. */
static void test_srcbudget_eviction(void **st)
{
	struct srcbudget *b;
	uint8_t a[16], x[16];

	(void)st;
	assert_int_equal(srcbudget_new(&b, 1, 2, 4), 0);
	v4(a, 7);
	assert_true(srcbudget_take(b, a, T0));
	assert_true(srcbudget_take(b, a, T0));
	assert_false(srcbudget_take(b, a, T0));
	for (uint32_t i = 100; i < 10100; i++) {
		v4(x, i);
		(void)srcbudget_take(b, x, T0 + SEC / 2);
		/* The drained source stays drained (or, once evicted, was
		 * the one with the oldest time: never here, the flood's
		 * entries are newer). */
	}
	assert_false(srcbudget_take(b, a, T0 + SEC / 2));
	srcbudget_free(b);
}

static void test_srcbudget_new_rejects(void **st)
{
	struct srcbudget *b = NULL;

	(void)st;
	assert_int_equal(srcbudget_new(&b, 0, 1, 0), -EINVAL);
	assert_int_equal(srcbudget_new(&b, 1, 0, 0), -EINVAL);
	assert_int_equal(srcbudget_new(&b, 1, 1, SRCBUDGET_SLOTS_MAX + 1),
			 -EINVAL);
	assert_int_equal(srcbudget_new(NULL, 1, 1, 0), -EINVAL);
	srcbudget_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srcbudget_burst_then_rate),
		cmocka_unit_test(test_srcbudget_keys),
		cmocka_unit_test(test_srcbudget_eviction),
		cmocka_unit_test(test_srcbudget_new_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
