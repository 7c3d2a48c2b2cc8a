/* SPDX-License-Identifier: MIT */
/* tests/dataplane/stage/test_rlpx_budget.c - memory budgets: charges go
 * through every parent or not at all; buffers grow and shrink against
 * them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "dataplane/stage/rlpx_budget.h"

static void test_budget_take_through_parents(void **st)
{
	struct rlpx_budget w = { .max = 100 };
	struct rlpx_budget a = { .max = 60, .parent = &w };
	struct rlpx_budget b = { .max = 60, .parent = &w };

	(void)st;
	assert_true(rlpx_budget_take(&a, 60));
	assert_false(rlpx_budget_take(&a, 1));          /* a's own cap */
	assert_true(rlpx_budget_take(&b, 40));
	assert_false(rlpx_budget_take(&b, 1));          /* the worker's */
	assert_int_equal(b.used, 40);                   /* refused: nothing */
	assert_int_equal(w.used, 100);
	rlpx_budget_give(&a, 30);
	assert_int_equal(w.used, 70);
	assert_true(rlpx_budget_take(&b, 20));
	assert_int_equal(w.peak, 100);
	assert_int_equal(b.peak, 60);
	assert_true(rlpx_budget_take(NULL, SIZE_MAX));  /* no budget */
	rlpx_budget_give(&a, 1000);                     /* never below 0 */
	assert_int_equal(a.used, 0);
}

static void test_budget_grow_and_shrink(void **st)
{
	struct rlpx_budget w = { .max = 100000 };
	struct rlpx_budget s = { .max = 40000, .parent = &w };
	uint8_t *buf = NULL;
	size_t cap = 0;

	(void)st;
	assert_int_equal(rlpx_budget_grow(&s, &buf, &cap, 5000, 1 << 20), 0);
	assert_int_equal(cap, 8192);                    /* doubled from 4K */
	assert_int_equal(s.used, 8192);
	/* 32K is what doubling gives; 40000 is the cap: then exactly. */
	assert_int_equal(rlpx_budget_grow(&s, &buf, &cap, 20000, 1 << 20), 0);
	assert_int_equal(cap, 32768);
	assert_int_equal(rlpx_budget_grow(&s, &buf, &cap, 39000, 1 << 20), 0);
	assert_int_equal(cap, 39000);
	assert_int_equal(rlpx_budget_grow(&s, &buf, &cap, 40001, 1 << 20),
			 -EDQUOT);
	assert_int_equal(cap, 39000);
	assert_int_equal(rlpx_budget_grow(&s, &buf, &cap, 2 << 20, 1 << 20),
			 -EMSGSIZE);
	buf[38999] = 1;
	rlpx_budget_shrink(&s, &buf, &cap, 4096);
	assert_int_equal(cap, 4096);
	assert_int_equal(s.used, 4096);
	assert_int_equal(w.used, 4096);
	rlpx_budget_shrink(&s, &buf, &cap, 8192);       /* not a grow */
	assert_int_equal(cap, 4096);
	rlpx_budget_shrink(&s, &buf, &cap, 0);
	assert_null(buf);
	assert_int_equal(w.used, 0);
	assert_int_equal(w.peak, 39000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_take_through_parents),
		cmocka_unit_test(test_budget_grow_and_shrink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
