/* SPDX-License-Identifier: MIT */
/* tests/control/crawl/test_crawl5.c - the discv5 crawler against an
 * in-process discv5 network on a fake clock (tests/control/discv5/v5net). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/secp.h"
#include "control/crawl/crawl5.h"
#include "tests/control/discv5/v5net.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)
#define N_NET 40

struct seen {
	unsigned emitted, checked, with_record, scored;
	int last_score[N_NET + 2];
	int last_fail[N_NET + 2];
	bool record[N_NET + 2];
	const struct v5net *net;
};

static int idx_of(const struct v5net *net, const uint8_t *id)
{
	for (unsigned i = 0; i < net->n; i++)
		if (!memcmp(net->nodes[i]->ln.id, id, DISCV5_NODE_ID_LEN))
			return (int)i;
	return -1;
}

static void on_out(void *user, const struct crawl5_out *o)
{
	struct seen *s = user;
	int i = idx_of(s->net, o->n->id);

	assert_true(i >= 0);
	s->emitted++;
	if (!o->checked)
		return;
	s->checked++;
	s->last_score[i] = o->score;
	s->last_fail[i] = o->fail;
	s->record[i] = o->n->enr_len > 0;
	if (o->fail < 0) {
		/* Answered: nodes.json times of this crawl, the record. */
		assert_true(o->first_response >= (int64_t)(T0 / SEC));
		assert_true(o->last_response >= o->first_response);
		assert_true(o->last_check >= o->last_response);
		assert_true(o->n->enr_len > 0);
	}
}

/* A network of N_NET engines on 10.0.0.x, bootstrapped from node 0 and
 * run for two minutes of fake time so their tables fill; then node N_NET
 * is the crawler's engine (no refresh). */
static void net_build(struct v5net *net)
{
	struct discv5_config nc = { .no_refresh = true };
	struct discv5_node boot;
	uint8_t ip[16];

	v5net_init(net, T0, 7);
	net->delay_ns = 2 * MS;
	for (unsigned i = 0; i < N_NET; i++) {
		v5net_ip4(ip, 10, 0, (uint8_t)(i / 200), (uint8_t)(1 + i % 200));
		assert_true(v5net_add(net, ip, 30303, NULL) >= 0);
	}
	boot = v5net_node(net, 0);
	for (unsigned i = 1; i < N_NET; i++)
		assert_int_equal(discv5_add_bootnode(net->nodes[i]->d, &boot),
				 0);
	v5net_run(net, 120 * SEC);
	v5net_ip4(ip, 10, 0, 9, 9);
	assert_int_equal(v5net_add(net, ip, 30303, &nc), N_NET);
}

/* run() drives the crawler as the host does: after every slice of engine
 * work, crawl5_on_timer(), then the engine's deadline again. */
static void run(struct v5net *net, struct crawl5 *c, uint64_t max_ns)
{
	uint64_t end = net->now + max_ns;

	crawl5_on_timer(c, net->now);
	v5net_touch(net, N_NET);
	while (!crawl5_done(c) && net->now < end) {
		v5net_run(net, 5 * MS);
		crawl5_on_timer(c, net->now);
		v5net_touch(net, N_NET);
	}
}

static void test_crawl5_finds_and_checks_every_node(void **state)
{
	struct crawl5_config cfg = { .seed = 1 };
	struct seen s = { 0 };
	struct crawl5_stats st;
	struct discv5_node seed;
	struct crawl5 *c;
	struct v5net net;

	(void)state;
	net_build(&net);
	s.net = &net;
	cfg.on_out = on_out;
	cfg.out_user = &s;
	assert_int_equal(crawl5_new(&c, net.nodes[N_NET]->d, &cfg, net.now), 0);
	seed = v5net_node(&net, 0);
	assert_int_equal(crawl5_add_seed(c, &seed), 0);
	assert_int_equal(crawl5_add_seed(c, &seed), -EEXIST);
	run(&net, c, 120 * SEC);
	crawl5_progress(c, &st);
	assert_true(st.done);
	assert_false(st.timed_out);
	/* Every node of the network, from one seed, each with its record
	 * and score 1; the crawler's own engine is never queued. */
	assert_int_equal(st.seen, N_NET);
	assert_int_equal(st.answered, N_NET);
	assert_int_equal(st.checked, N_NET);
	for (unsigned i = 0; i < N_NET; i++) {
		assert_int_equal(s.last_score[i], 1);
		assert_int_equal(s.last_fail[i], -1);
		assert_true(s.record[i]);
	}
	assert_int_equal(s.last_score[N_NET], 0);
	/* The sweep stopped early: at least 1 + CRAWL5_EMPTY_STOP - 1 and
	 * at most the 17 distances per node, all answered. */
	assert_true(st.findnode_sent >= N_NET * CRAWL5_EMPTY_STOP);
	assert_true(st.findnode_sent < N_NET * 17);
	assert_int_equal(st.findnode_ok, st.findnode_sent);
	v5net_fini(&net);              /* the engine first: crawl5.h */
	crawl5_free(c);
}

static void test_crawl5_full_sweep_asks_every_distance(void **state)
{
	struct crawl5_config cfg = { .full_sweep = true, .min_dist = 250,
				     .seed = 2 };
	struct crawl5_stats st;
	struct discv5_node seed;
	struct crawl5 *c;
	struct v5net net;

	(void)state;
	net_build(&net);
	assert_int_equal(crawl5_new(&c, net.nodes[N_NET]->d, &cfg, net.now), 0);
	seed = v5net_node(&net, 0);
	assert_int_equal(crawl5_add_seed(c, &seed), 0);
	run(&net, c, 120 * SEC);
	crawl5_progress(c, &st);
	assert_true(st.done);
	assert_int_equal(st.answered, st.seen);
	/* 256 down to 250: seven FINDNODEs per answering node. */
	assert_int_equal(st.findnode_sent, 7 * st.answered);
	v5net_fini(&net);              /* the engine first: crawl5.h */
	crawl5_free(c);
}

static void test_crawl5_dead_node_halves_prior_score(void **state)
{
	struct crawl5_config cfg = { .seed = 3, .min_dist = 256 };
	struct seen s = { 0 };
	struct crawl5_stats st;
	struct discv5_node n;
	struct crawl5 *c;
	struct v5net net;

	(void)state;
	net_build(&net);
	s.net = &net;
	cfg.on_out = on_out;
	cfg.out_user = &s;
	net.nodes[5]->down = true;
	assert_int_equal(crawl5_new(&c, net.nodes[N_NET]->d, &cfg, net.now), 0);
	n = v5net_node(&net, 5);
	assert_int_equal(crawl5_add_prior(c, &n, 4, CRAWL5_ZERO_TIME,
					  CRAWL5_ZERO_TIME), 0);
	n = v5net_node(&net, 6);
	assert_int_equal(crawl5_add_prior(c, &n, 4, CRAWL5_ZERO_TIME,
					  CRAWL5_ZERO_TIME), 0);
	run(&net, c, 120 * SEC);
	crawl5_progress(c, &st);
	assert_true(st.done);
	assert_int_equal(s.last_score[5], 2);
	assert_int_equal(s.last_fail[5], CRAWL5_FAIL_TIMEOUT);
	assert_int_equal(s.last_score[6], 5);
	assert_int_equal(st.fail[CRAWL5_FAIL_TIMEOUT], 1);
	v5net_fini(&net);              /* the engine first: crawl5.h */
	crawl5_free(c);
}

static void test_crawl5_node_cap_refuses(void **state)
{
	struct crawl5_config cfg = { .seed = 4, .max_nodes = 5 };
	struct crawl5_stats st;
	struct discv5_node seed;
	struct crawl5 *c;
	struct v5net net;

	(void)state;
	net_build(&net);
	assert_int_equal(crawl5_new(&c, net.nodes[N_NET]->d, &cfg, net.now), 0);
	seed = v5net_node(&net, 0);
	assert_int_equal(crawl5_add_seed(c, &seed), 0);
	run(&net, c, 120 * SEC);
	crawl5_progress(c, &st);
	assert_true(st.done);
	assert_int_equal(st.seen, 5);
	assert_true(st.refused > 0);
	v5net_fini(&net);              /* the engine first: crawl5.h */
	crawl5_free(c);
}

static void test_crawl5_timeout_stops(void **state)
{
	struct crawl5_config cfg = { .seed = 5, .timeout_ns = 30 * MS };
	struct crawl5_stats st;
	struct discv5_node seed;
	struct crawl5 *c;
	struct v5net net;

	(void)state;
	net_build(&net);
	assert_int_equal(crawl5_new(&c, net.nodes[N_NET]->d, &cfg, net.now), 0);
	seed = v5net_node(&net, 0);
	assert_int_equal(crawl5_add_seed(c, &seed), 0);
	run(&net, c, 120 * SEC);
	crawl5_progress(c, &st);
	assert_true(st.done);
	assert_true(st.timed_out);
	assert_true(st.checked < N_NET);
	/* Our own node and a record-less node without key are refused. */
	seed = v5net_node(&net, N_NET);
	assert_int_equal(crawl5_add_seed(c, &seed), -EINVAL);
	v5net_fini(&net);              /* the engine first: crawl5.h */
	crawl5_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crawl5_finds_and_checks_every_node),
		cmocka_unit_test(test_crawl5_full_sweep_asks_every_distance),
		cmocka_unit_test(test_crawl5_dead_node_halves_prior_score),
		cmocka_unit_test(test_crawl5_node_cap_refuses),
		cmocka_unit_test(test_crawl5_timeout_stops),
	};

	if (secp_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
