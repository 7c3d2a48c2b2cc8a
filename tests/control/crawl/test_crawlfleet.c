/* SPDX-License-Identifier: MIT */
/* tests/control/crawl/test_crawlfleet.c - a crawler's side of a leased round: when it asks for work, visits finishing after both parts, duplicates, the bound on visits in flight, and when the round ran dry. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/crawl/crawlfleet.h"
#include "control/discv4/kad.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* The host's side: what the fleet asked for, started and finished. */
struct host {
	unsigned asks, last_ask;
	unsigned started;
	unsigned parts;                 /* what start() returns */
	uint8_t (*fin)[CRAWLFLEET_ID_LEN];
	size_t n_fin;
};

static unsigned h_start(void *user, const struct discv4_node *n, uint64_t now)
{
	struct host *h = user;

	(void)n;
	(void)now;
	h->started++;
	return h->parts;
}

static void h_lease(void *user, unsigned n)
{
	struct host *h = user;

	h->asks++;
	h->last_ask = n;
}

static void h_finish(void *user, const uint8_t id[CRAWLFLEET_ID_LEN])
{
	struct host *h = user;

	memcpy(h->fin[h->n_fin++], id, CRAWLFLEET_ID_LEN);
}

static struct crawlfleet *make(struct host *h, unsigned max_visits)
{
	struct crawlfleet_config cfg = {
		.max_visits = max_visits, .poll_ns = 500 * MS,
		.linger_ns = 5 * SEC, .start = h_start, .lease = h_lease,
		.finish = h_finish, .user = h,
	};
	struct crawlfleet *f;

	memset(h, 0, sizeof(*h));
	h->parts = CRAWLFLEET_DISC | CRAWLFLEET_RLPX;
	h->fin = calloc(4096, CRAWLFLEET_ID_LEN);
	assert_non_null(h->fin);
	assert_int_equal(crawlfleet_new(&f, &cfg), 0);
	return f;
}

static void node_of(struct discv4_node *n, unsigned i)
{
	memset(n, 0, sizeof(*n));
	for (unsigned k = 0; k < 64; k++)
		n->id[k] = (uint8_t)(i * 37 + k);
	memcpy(n->id + 60, &i, sizeof(i));
	n->ep.ip_len = 4;
	n->ep.udp = 30303;
}

static void id_of(uint8_t id[32], unsigned i)
{
	struct discv4_node n;

	node_of(&n, i);
	kad_node_id(id, n.id);
}

static void test_crawlfleet_rejects_missing_callbacks(void **st)
{
	struct crawlfleet_config cfg = { .start = h_start, .lease = h_lease };
	struct crawlfleet *f;

	(void)st;
	assert_int_equal(crawlfleet_new(&f, &cfg), -EINVAL);
}

/* One request at a time, only with room; again at once after work came,
 * after the poll interval after an empty answer. */
static void test_crawlfleet_asks_when_it_should(void **st)
{
	struct host h;
	struct crawlfleet *f = make(&h, 64);
	struct discv4_node n[3];
	uint64_t t = 1000 * SEC;

	(void)st;
	crawlfleet_on_timer(f, 0, t);
	assert_int_equal(h.asks, 0);            /* no room */
	crawlfleet_on_timer(f, 16, t);
	assert_int_equal(h.asks, 1);
	assert_int_equal(h.last_ask, 16);
	crawlfleet_on_timer(f, 16, t);
	assert_int_equal(h.asks, 1);            /* one outstanding */
	for (unsigned i = 0; i < 3; i++)
		node_of(&n[i], i);
	assert_int_equal(crawlfleet_on_leased(f, n, 3, true, true, t), 3);
	assert_int_equal(h.started, 3);
	crawlfleet_on_timer(f, 13, t);
	assert_int_equal(h.asks, 2);            /* at once */
	assert_int_equal(h.last_ask, 13);
	assert_int_equal(crawlfleet_on_leased(f, NULL, 0, true, true, t), 0);
	assert_int_equal(crawlfleet_next_deadline(f), t + 500 * MS);
	crawlfleet_on_timer(f, 13, t + 499 * MS);
	assert_int_equal(h.asks, 2);
	crawlfleet_on_timer(f, 13, t + 500 * MS);
	assert_int_equal(h.asks, 3);
	crawlfleet_free(f);
	free(h.fin);
}

/* A visit finishes after its last part, in either order, once; a part of
 * a node not in flight, or a part already done, is ignored; a node leased
 * again while in flight is not started twice; start() returning 0
 * finishes at once. */
static void test_crawlfleet_finishes_after_both_parts(void **st)
{
	struct host h;
	struct crawlfleet *f = make(&h, 64);
	struct crawlfleet_stats fs;
	struct discv4_node n[3];
	uint8_t id[3][32], other[32];
	uint64_t t = 5 * SEC;

	(void)st;
	for (unsigned i = 0; i < 3; i++) {
		node_of(&n[i], i);
		id_of(id[i], i);
	}
	id_of(other, 99);
	crawlfleet_on_timer(f, 8, t);
	crawlfleet_on_leased(f, n, 2, true, true, t);
	assert_true(crawlfleet_part_done(f, id[0], CRAWLFLEET_DISC));
	assert_false(crawlfleet_part_done(f, id[0], CRAWLFLEET_DISC));
	assert_int_equal(h.n_fin, 0);
	assert_true(crawlfleet_part_done(f, id[1], CRAWLFLEET_RLPX));
	assert_true(crawlfleet_part_done(f, id[0], CRAWLFLEET_RLPX));
	assert_int_equal(h.n_fin, 1);
	assert_memory_equal(h.fin[0], id[0], 32);
	assert_false(crawlfleet_part_done(f, other, CRAWLFLEET_DISC));
	assert_false(crawlfleet_part_done(f, id[0], CRAWLFLEET_RLPX));
	/* Node 1 leased again while in flight. */
	crawlfleet_on_timer(f, 8, t);
	crawlfleet_on_leased(f, &n[1], 1, true, true, t);
	crawlfleet_stats(f, &fs);
	assert_int_equal(fs.duplicates, 1);
	assert_int_equal(h.started, 2);
	assert_true(crawlfleet_part_done(f, id[1], CRAWLFLEET_DISC));
	assert_int_equal(h.n_fin, 2);
	/* Nothing to wait for (ourselves, say). */
	h.parts = 0;
	crawlfleet_on_timer(f, 8, t);
	crawlfleet_on_leased(f, &n[2], 1, true, true, t);
	assert_int_equal(h.n_fin, 3);
	assert_memory_equal(h.fin[2], id[2], 32);
	crawlfleet_stats(f, &fs);
	assert_int_equal(fs.in_flight, 0);
	assert_int_equal(fs.finished, 3);
	crawlfleet_free(f);
	free(h.fin);
}

/* Requests never exceed the room left under max_visits. */
static void test_crawlfleet_bounds_visits_in_flight(void **st)
{
	struct host h;
	struct crawlfleet *f = make(&h, 10);
	struct discv4_node n[10];
	uint8_t id[32];
	uint64_t t = 7 * SEC;

	(void)st;
	for (unsigned i = 0; i < 10; i++)
		node_of(&n[i], i);
	crawlfleet_on_timer(f, 64, t);
	assert_int_equal(h.last_ask, 10);
	crawlfleet_on_leased(f, n, 7, true, true, t);
	crawlfleet_on_timer(f, 64, t);
	assert_int_equal(h.last_ask, 3);
	crawlfleet_on_leased(f, &n[7], 3, true, true, t);
	crawlfleet_on_timer(f, 64, t);
	assert_int_equal(h.asks, 2);            /* full: no request */
	id_of(id, 4);
	crawlfleet_part_done(f, id, CRAWLFLEET_DISC | CRAWLFLEET_RLPX);
	crawlfleet_on_timer(f, 64, t);
	assert_int_equal(h.asks, 3);
	assert_int_equal(h.last_ask, 1);
	crawlfleet_free(f);
	free(h.fin);
}

/* Dry only when an answer says nothing is pending or leased, nothing of
 * ours is in flight, and that lasted the linger. */
static void test_crawlfleet_dry_after_linger(void **st)
{
	struct host h;
	struct crawlfleet *f = make(&h, 64);
	struct discv4_node n;
	uint8_t id[32];
	uint64_t t = 10 * SEC;

	(void)st;
	node_of(&n, 1);
	id_of(id, 1);
	crawlfleet_on_timer(f, 16, t);
	crawlfleet_on_leased(f, &n, 1, true, true, t);
	/* In flight: an empty queue is not dry. */
	crawlfleet_on_timer(f, 16, t);
	crawlfleet_on_leased(f, NULL, 0, false, false, t);
	assert_false(crawlfleet_dry(f, t + 60 * SEC));
	crawlfleet_part_done(f, id, CRAWLFLEET_DISC | CRAWLFLEET_RLPX);
	/* Another crawler's leases: not dry either. */
	crawlfleet_on_timer(f, 16, t + SEC);
	crawlfleet_on_leased(f, NULL, 0, false, true, t + SEC);
	assert_false(crawlfleet_dry(f, t + 60 * SEC));
	/* Empty from here on. */
	crawlfleet_on_timer(f, 16, t + 2 * SEC);
	crawlfleet_on_leased(f, NULL, 0, false, false, t + 2 * SEC);
	assert_false(crawlfleet_dry(f, t + 2 * SEC));
	assert_int_equal(crawlfleet_next_deadline(f), t + 2 * SEC + 500 * MS);
	crawlfleet_on_timer(f, 16, t + 3 * SEC);
	crawlfleet_on_leased(f, NULL, 0, false, false, t + 3 * SEC);
	assert_false(crawlfleet_dry(f, t + 7 * SEC - 1));
	/* Work again (a node that pinged someone): the linger restarts. */
	crawlfleet_on_timer(f, 16, t + 4 * SEC);
	crawlfleet_on_leased(f, NULL, 0, true, false, t + 4 * SEC);
	assert_false(crawlfleet_dry(f, t + 8 * SEC));
	crawlfleet_on_timer(f, 16, t + 5 * SEC);
	crawlfleet_on_leased(f, NULL, 0, false, false, t + 5 * SEC);
	assert_false(crawlfleet_dry(f, t + 10 * SEC - 1));
	assert_true(crawlfleet_dry(f, t + 10 * SEC));
	crawlfleet_free(f);
	free(h.fin);
}

/* Many visits in flight, finished in another order than started: each
 * finishes exactly once (the table's removal keeps every probe run
 * reachable). */
static void test_crawlfleet_many_visits(void **st)
{
	enum { N = 3000 };
	struct host h;
	struct crawlfleet *f = make(&h, N);
	struct discv4_node *n = calloc(N, sizeof(*n));
	struct crawlfleet_stats fs;
	uint8_t id[32];

	(void)st;
	assert_non_null(n);
	free(h.fin);
	h.fin = calloc(N, CRAWLFLEET_ID_LEN);
	assert_non_null(h.fin);
	for (unsigned i = 0; i < N; i++)
		node_of(&n[i], i);
	crawlfleet_on_timer(f, N, 0);
	assert_int_equal(h.last_ask, N);
	crawlfleet_on_leased(f, n, N, true, true, 0);
	for (unsigned k = 0; k < N; k++) {
		unsigned i = (k * 1237u) % N;   /* 1237 is prime to N */

		id_of(id, i);
		assert_true(crawlfleet_part_done(f, id, CRAWLFLEET_DISC));
		assert_true(crawlfleet_part_done(f, id, CRAWLFLEET_RLPX));
		assert_memory_equal(h.fin[h.n_fin - 1], id, 32);
	}
	crawlfleet_stats(f, &fs);
	assert_int_equal(fs.finished, N);
	assert_int_equal(fs.in_flight, 0);
	free(n);
	crawlfleet_free(f);
	free(h.fin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crawlfleet_rejects_missing_callbacks),
		cmocka_unit_test(test_crawlfleet_asks_when_it_should),
		cmocka_unit_test(test_crawlfleet_finishes_after_both_parts),
		cmocka_unit_test(test_crawlfleet_bounds_visits_in_flight),
		cmocka_unit_test(test_crawlfleet_dry_after_linger),
		cmocka_unit_test(test_crawlfleet_many_visits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
