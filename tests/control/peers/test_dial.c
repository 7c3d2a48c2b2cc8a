/* SPDX-License-Identifier: MIT */
/* tests/control/peers/test_dial.c - dial scheduler with a fake clock: static first, slots and dial ratio, redial history, dial timeout, candidate filtering. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/peers/dial.h"

#define SEC 1000000000ull

static uint8_t self_id[64];

static struct dial_target tgt(unsigned n)
{
	struct dial_target t = { 0 };

	t.id[0] = 0x11;
	t.id[63] = (uint8_t)n;
	t.id[62] = (uint8_t)(n >> 8);
	t.ip[10] = t.ip[11] = 0xff;
	t.ip[12] = 10;
	t.ip[15] = (uint8_t)n;
	t.tcp_port = 30303;
	return t;
}

static struct dial *mk(unsigned max_dialed, unsigned max_active)
{
	struct dial *d = malloc(sizeof(*d));

	assert_non_null(d);
	memset(self_id, 0xaa, sizeof(self_id));
	assert_int_equal(dial_init(d, self_id, max_dialed, max_active), 0);
	return d;
}

static void done(struct dial *d)
{
	dial_fini(d);
	free(d);
}

static void test_static_first(void **state)
{
	struct dial *d = mk(2, 16);
	struct dial_target out[8], t;

	(void)state;
	for (unsigned i = 1; i <= 5; i++) {
		t = tgt(i);
		assert_true(dial_add_candidate(d, &t, 0));
	}
	t = tgt(100);
	assert_int_equal(dial_add_static(d, &t), 0);
	assert_int_equal(dial_add_static(d, &t), -EEXIST);
	/* 2 * (2 - 0) = 4 slots: the static node, then candidates in order. */
	assert_int_equal(dial_free_slots(d), 4);
	assert_int_equal(dial_next(d, out, 8, SEC), 4);
	assert_true(out[0].is_static);
	assert_int_equal(out[0].id[63], 100);
	assert_false(out[1].is_static);
	assert_int_equal(out[1].id[63], 1);
	assert_int_equal(out[3].id[63], 3);
	assert_int_equal(dial_free_slots(d), 0);
	assert_int_equal(dial_next(d, out, 8, SEC), 0);
	assert_int_equal(d->st.started_static, 1);
	done(d);
}

static void test_ratio_slots(void **state)
{
	struct dial *d = mk(3, 4);
	struct dial_target out[8], t;

	(void)state;
	/* min(max_active 4, 2 * 3) */
	assert_int_equal(dial_free_slots(d), 4);
	t = tgt(1);
	assert_int_equal(dial_peer_added(d, t.id, true), 0);
	t = tgt(2);
	assert_int_equal(dial_peer_added(d, t.id, true), 0);
	assert_int_equal(dial_free_slots(d), 2);
	/* Inbound peers do not use the dial share. */
	t = tgt(3);
	assert_int_equal(dial_peer_added(d, t.id, false), 0);
	assert_int_equal(dial_free_slots(d), 2);
	t = tgt(4);
	assert_int_equal(dial_peer_added(d, t.id, true), 0);
	assert_int_equal(dial_free_slots(d), 0);
	t = tgt(9);
	assert_true(dial_add_candidate(d, &t, 0));
	assert_int_equal(dial_next(d, out, 8, 0), 0);
	t = tgt(4);
	assert_int_equal(dial_peer_removed(d, t.id), 0);
	assert_int_equal(dial_peer_removed(d, t.id), -ENOENT);
	assert_int_equal(dial_free_slots(d), 2);
	assert_int_equal(dial_next(d, out, 8, 0), 1);
	assert_int_equal(dial_free_slots(d), 1);
	done(d);
}

static void test_candidate_filter(void **state)
{
	struct dial *d = mk(5, 0);
	struct dial_target t, out[4];

	(void)state;
	memcpy(t.id, self_id, 64);
	t = tgt(1);
	memcpy(t.id, self_id, 64);
	assert_false(dial_add_candidate(d, &t, 0));      /* ourselves */
	t = tgt(2);
	t.tcp_port = 0;
	assert_false(dial_add_candidate(d, &t, 0));      /* no TCP port */
	t = tgt(3);
	assert_int_equal(dial_peer_added(d, t.id, false), 0);
	assert_false(dial_add_candidate(d, &t, 0));      /* connected */
	t = tgt(4);
	assert_true(dial_add_candidate(d, &t, 0));
	assert_false(dial_add_candidate(d, &t, 0));      /* queued already */
	assert_int_equal(dial_next(d, out, 4, 0), 1);
	assert_false(dial_add_candidate(d, &t, 0));      /* dialing */
	assert_int_equal(dial_done(d, t.id, false), 0);
	assert_int_equal(dial_done(d, t.id, false), -ENOENT);
	assert_false(dial_add_candidate(d, &t, SEC));    /* history */
	/* The queue keeps the newest DIAL_MAX_CANDS. */
	for (unsigned i = 10; i < 10 + DIAL_MAX_CANDS + 5; i++) {
		t = tgt(i);
		assert_true(dial_add_candidate(d, &t, SEC));
	}
	assert_int_equal(d->n_cands, DIAL_MAX_CANDS);
	assert_int_equal(d->cands[0].id[63], 15);
	done(d);
}

static void test_history(void **state)
{
	struct dial *d = mk(5, 0);
	struct dial_target t = tgt(1), out[4];

	(void)state;
	assert_int_equal(dial_add_static(d, &t), 0);
	assert_int_equal(dial_next(d, out, 4, 10 * SEC), 1);
	assert_int_equal(dial_started(d, t.id, 77), 0);
	assert_true(dial_in_history(d, t.id, 10 * SEC));
	assert_int_equal(dial_done(d, t.id, false), 0);
	/* The static node fails: not redialed before 35 s. */
	assert_int_equal(dial_next(d, out, 4, 44 * SEC), 0);
	assert_int_equal(dial_next_deadline(d), 45 * SEC);
	assert_int_equal(dial_next(d, out, 4, 45 * SEC), 1);
	assert_int_equal(dial_done(d, t.id, true), 0);
	assert_int_equal(dial_peer_added(d, t.id, true), 0);
	/* Connected: not dialed even after the history expired. */
	assert_int_equal(dial_next(d, out, 4, 100 * SEC), 0);
	assert_int_equal(dial_peer_removed(d, t.id), 0);
	/* Dropped: redialed at once (the history expired long ago). */
	assert_int_equal(dial_next(d, out, 4, 100 * SEC), 1);
	assert_int_equal(d->st.succeeded, 1);
	assert_int_equal(d->st.failed, 1);
	done(d);
}

static void test_timeout(void **state)
{
	struct dial *d = mk(5, 0);
	struct dial_target t, out[4];
	uint64_t h[4];

	(void)state;
	t = tgt(1);
	assert_true(dial_add_candidate(d, &t, 0));
	t = tgt(2);
	assert_true(dial_add_candidate(d, &t, 0));
	assert_int_equal(dial_next(d, out, 1, 100 * SEC), 1);
	assert_int_equal(dial_started(d, out[0].id, 11), 0);
	assert_int_equal(dial_next(d, out, 1, 105 * SEC), 1);
	assert_int_equal(dial_started(d, out[0].id, 12), 0);
	t = tgt(9);
	assert_int_equal(dial_started(d, t.id, 1), -ENOENT);
	assert_int_equal(dial_next_deadline(d), 115 * SEC);
	assert_int_equal(dial_expired(d, h, 4, 115 * SEC - 1), 0);
	assert_int_equal(dial_expired(d, h, 4, 115 * SEC), 1);
	assert_int_equal(h[0], 11);
	assert_int_equal(d->n_dialing, 1);
	assert_int_equal(dial_expired(d, h, 4, 120 * SEC), 1);
	assert_int_equal(h[0], 12);
	assert_int_equal(d->st.timed_out, 2);
	assert_int_equal(dial_next_deadline(d), UINT64_MAX);
	done(d);
}

static void test_zero_share(void **state)
{
	struct dial *d = mk(0, 0);
	struct dial_target t = tgt(1), out[2];

	(void)state;
	assert_int_equal(dial_add_static(d, &t), 0);
	assert_int_equal(dial_free_slots(d), 0);
	assert_int_equal(dial_next(d, out, 2, 0), 0);
	t.tcp_port = 0;
	t.id[63] = 2;
	assert_int_equal(dial_add_static(d, &t), -EINVAL);
	done(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_first),
		cmocka_unit_test(test_ratio_slots),
		cmocka_unit_test(test_candidate_filter),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_zero_share),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
