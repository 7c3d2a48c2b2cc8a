/* SPDX-License-Identifier: MIT */
/* tests/control/service/test_sendid.c - send to a node id on a fake clock: every path of the state machine (known endpoint, lookup found / not found, peer up with and without the protocol, connection lost, deadline, an inbound peer during the lookup), the cap, cancel. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/service/sendid.h"

#define SEC 1000000000ull
#define T0  (1700000000ull * SEC)

static const int proto_a = 1, proto_b = 2;     /* protocol keys */
static uint8_t id1[64], id2[64];
static const uint8_t ip[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 2 };

static int setup(void **state)
{
	(void)state;
	memset(id1, 1, sizeof(id1));
	memset(id2, 2, sizeof(id2));
	return 0;
}

/* The next action, which must be of kind k for req. */
static const struct sendid_action *next(struct sendid *s, enum sendid_kind k,
					uint64_t req)
{
	const struct sendid_action *a = sendid_next_action(s);

	assert_non_null(a);
	assert_int_equal(a->kind, k);
	assert_int_equal(a->req, req);
	return a;
}

static void test_sendid_known_endpoint(void **state)
{
	struct sendid_route r = { .has_ep = true, .tcp = 30303,
				  .can_lookup = true };
	const struct sendid_action *a;
	const void *protos[] = { &proto_b, &proto_a };
	struct sendid s;
	uint64_t h;
	int user;

	(void)state;
	memcpy(r.ip, ip, 16);
	sendid_init(&s, 0);
	assert_int_equal(sendid_start(&s, &h, id1, &proto_a, &user, &r, 0, T0),
			 0);
	a = next(&s, SENDID_A_DIAL, h);
	assert_memory_equal(a->id, id1, 64);
	assert_memory_equal(a->ip, ip, 16);
	assert_int_equal(a->tcp, 30303);
	assert_ptr_equal(a->user, &user);
	assert_null(sendid_next_action(&s));
	sendid_on_dial(&s, h, 0, T0);
	/* Another node comes up: nothing for us. */
	sendid_on_peer(&s, id2, protos, 2, T0 + 1);
	assert_null(sendid_next_action(&s));
	sendid_on_peer(&s, id1, protos, 2, T0 + 2);
	a = next(&s, SENDID_A_SEND, h);
	assert_ptr_equal(a->proto, &proto_a);
	assert_ptr_equal(a->user, &user);
	assert_int_equal(sendid_pending(&s), 0);
	assert_int_equal(sendid_next_deadline(&s), UINT64_MAX);
	assert_int_equal(s.st.sent, 1);
	sendid_fini(&s);
}

static void test_sendid_lookup(void **state)
{
	struct sendid_route r = { .can_lookup = true };
	const struct sendid_action *a;
	const void *protos[] = { &proto_a };
	struct sendid s;
	uint64_t h1, h2;

	(void)state;
	sendid_init(&s, 0);
	/* Found: dial, then the peer with the protocol. */
	assert_int_equal(sendid_start(&s, &h1, id1, &proto_a, NULL, &r, 0, T0),
			 0);
	next(&s, SENDID_A_LOOKUP, h1);
	/* Not found: unreachable. */
	assert_int_equal(sendid_start(&s, &h2, id2, &proto_a, NULL, &r, 0, T0),
			 0);
	next(&s, SENDID_A_LOOKUP, h2);
	sendid_on_lookup(&s, h2, false, NULL, 0, T0 + 1);
	a = next(&s, SENDID_A_DONE, h2);
	assert_int_equal(a->err, -EHOSTUNREACH);
	sendid_on_lookup(&s, h2, true, ip, 1, T0 + 1);       /* stale */
	/* A dial already under way counts as one. */
	sendid_on_lookup(&s, h1, true, ip, 30303, T0 + 2);
	a = next(&s, SENDID_A_DIAL, h1);
	assert_int_equal(a->tcp, 30303);
	sendid_on_dial(&s, h1, -EALREADY, T0 + 2);
	assert_null(sendid_next_action(&s));
	sendid_on_peer(&s, id1, protos, 1, T0 + 3);
	next(&s, SENDID_A_SEND, h1);
	assert_int_equal(s.st.lookups, 2);
	assert_int_equal(s.st.unreachable, 1);
	sendid_fini(&s);
}

static void test_sendid_failures(void **state)
{
	struct sendid_route r = { .has_ep = true, .tcp = 30303 };
	struct sendid_route none = { 0 };
	const struct sendid_action *a;
	const void *protos[] = { &proto_b };
	struct sendid s;
	uint64_t h;

	(void)state;
	memcpy(r.ip, ip, 16);
	sendid_init(&s, 0);
	/* No endpoint and no discovery. */
	assert_int_equal(sendid_start(&s, &h, id1, &proto_a, NULL, &none, 0,
				      T0), 0);
	assert_int_equal(next(&s, SENDID_A_DONE, h)->err, -EHOSTUNREACH);
	/* A lookup that found the node without a TCP port. */
	none.can_lookup = true;
	assert_int_equal(sendid_start(&s, &h, id1, &proto_a, NULL, &none, 0,
				      T0), 0);
	next(&s, SENDID_A_LOOKUP, h);
	sendid_on_lookup(&s, h, true, ip, 0, T0);
	assert_int_equal(next(&s, SENDID_A_DONE, h)->err, -EHOSTUNREACH);
	/* The dial cannot start (netrestrict). */
	assert_int_equal(sendid_start(&s, &h, id1, &proto_a, NULL, &r, 0, T0),
			 0);
	next(&s, SENDID_A_DIAL, h);
	sendid_on_dial(&s, h, -EPERM, T0);
	assert_int_equal(next(&s, SENDID_A_DONE, h)->err, -EHOSTUNREACH);
	/* Connected, refused, or the connect failed. */
	assert_int_equal(sendid_start(&s, &h, id1, &proto_a, NULL, &r, 0, T0),
			 0);
	next(&s, SENDID_A_DIAL, h);
	sendid_on_dial(&s, h, 0, T0);
	sendid_on_gone(&s, id2, T0);
	assert_null(sendid_next_action(&s));
	sendid_on_gone(&s, id1, T0);
	assert_int_equal(next(&s, SENDID_A_DONE, h)->err, -EHOSTUNREACH);
	/* Up, without the protocol. */
	assert_int_equal(sendid_start(&s, &h, id1, &proto_a, NULL, &r, 0, T0),
			 0);
	next(&s, SENDID_A_DIAL, h);
	sendid_on_dial(&s, h, 0, T0);
	sendid_on_peer(&s, id1, protos, 1, T0);
	a = next(&s, SENDID_A_DONE, h);
	assert_int_equal(a->err, -EPROTONOSUPPORT);
	assert_int_equal(s.st.no_proto, 1);
	assert_int_equal(sendid_pending(&s), 0);
	sendid_fini(&s);
}

/* The deadline ends any state; an inbound peer ends a lookup early. */
static void test_sendid_deadline_and_inbound(void **state)
{
	struct sendid_route r = { .can_lookup = true };
	const void *protos[] = { &proto_a };
	struct sendid s;
	uint64_t h1, h2;

	(void)state;
	sendid_init(&s, 0);
	assert_int_equal(sendid_start(&s, &h1, id1, &proto_a, NULL, &r,
				      2 * SEC, T0), 0);
	assert_int_equal(sendid_start(&s, &h2, id2, &proto_a, NULL, &r, 0,
				      T0), 0);
	next(&s, SENDID_A_LOOKUP, h1);
	next(&s, SENDID_A_LOOKUP, h2);
	assert_int_equal(sendid_next_deadline(&s), T0 + 2 * SEC);
	sendid_tick(&s, T0 + 2 * SEC - 1);
	assert_null(sendid_next_action(&s));
	sendid_tick(&s, T0 + 2 * SEC);
	assert_int_equal(next(&s, SENDID_A_DONE, h1)->err, -ETIMEDOUT);
	assert_int_equal(sendid_next_deadline(&s), T0 + SENDID_TIMEOUT_NS);
	/* id2 dials us while we look it up: sent over that connection;
	 * the lookup's late answer is ignored. */
	sendid_on_peer(&s, id2, protos, 1, T0 + 3 * SEC);
	next(&s, SENDID_A_SEND, h2);
	sendid_on_lookup(&s, h2, true, ip, 30303, T0 + 4 * SEC);
	assert_null(sendid_next_action(&s));
	assert_int_equal(s.st.timed_out, 1);
	sendid_fini(&s);
}

static void test_sendid_cap_and_cancel(void **state)
{
	struct sendid_route r = { .can_lookup = true };
	struct sendid s;
	uint64_t h[3];
	unsigned done = 0;
	const struct sendid_action *a;

	(void)state;
	sendid_init(&s, 2);
	assert_int_equal(sendid_start(&s, &h[0], id1, &proto_a, NULL, &r, 0,
				      T0), 0);
	assert_int_equal(sendid_start(&s, &h[1], id2, &proto_a, NULL, &r, 0,
				      T0), 0);
	assert_int_equal(sendid_start(&s, &h[2], id2, &proto_a, NULL, &r, 0,
				      T0), -ENOSPC);
	assert_int_equal(s.st.refused, 1);
	sendid_cancel_all(&s, -ECANCELED);
	while ((a = sendid_next_action(&s)))
		if (a->kind == SENDID_A_DONE) {
			assert_int_equal(a->err, -ECANCELED);
			done++;
		}
	assert_int_equal(done, 2);
	assert_int_equal(sendid_pending(&s), 0);
	/* Room again. */
	assert_int_equal(sendid_start(&s, &h[2], id2, &proto_a, NULL, &r, 0,
				      T0), 0);
	sendid_fini(&s);        /* drops it unreported */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sendid_known_endpoint, setup),
		cmocka_unit_test_setup(test_sendid_lookup, setup),
		cmocka_unit_test_setup(test_sendid_failures, setup),
		cmocka_unit_test_setup(test_sendid_deadline_and_inbound, setup),
		cmocka_unit_test_setup(test_sendid_cap_and_cancel, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
