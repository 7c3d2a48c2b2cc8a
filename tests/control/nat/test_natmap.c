/* SPDX-License-Identifier: MIT */
/* tests/control/nat/test_natmap.c - the NAT mapping engine on a fake clock:
 * discovery, renewal schedule, retries, publishing, stop. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/nat/natmap.h"

#define SEC   1000000000ull
#define T0    (1700000000ull * SEC)     /* the fake clock starts here */
#define LEASE (600 * SEC)

static void v4(uint8_t out[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	out[12] = a;
	out[13] = b;
	out[14] = c;
	out[15] = d;
}

static struct natmap_req take(struct natmap *m)
{
	struct natmap_req r;

	assert_true(natmap_next_req(m, &r));
	return r;
}

static void no_req(struct natmap *m)
{
	struct natmap_req r;

	assert_false(natmap_next_req(m, &r));
}

static struct natmap_event event(struct natmap *m)
{
	struct natmap_event e;

	assert_true(natmap_next_event(m, &e));
	return e;
}

static void no_event(struct natmap *m)
{
	struct natmap_event e;

	assert_false(natmap_next_event(m, &e));
}

static void answer(struct natmap *m, const struct natmap_req *r, int err,
		   uint64_t now)
{
	struct natmap_res res = { .id = r->id, .err = err };

	if (!err && r->op == NATMAP_OP_MAP) {
		res.ext_port = r->ext_port;
		res.lifetime_s = r->lifetime_s;
	}
	if (!err && r->op == NATMAP_OP_EXTIP)
		v4(res.ip, 1, 2, 3, 4);
	assert_int_equal(natmap_on_result(m, &res, now), 0);
}

static void answer_ip(struct natmap *m, const struct natmap_req *r,
		      const uint8_t ip[16], uint64_t now)
{
	struct natmap_res res = { .id = r->id };

	assert_int_equal(r->op, NATMAP_OP_EXTIP);
	memcpy(res.ip, ip, 16);
	assert_int_equal(natmap_on_result(m, &res, now), 0);
}

static void answer_port(struct natmap *m, const struct natmap_req *r,
			uint16_t port, uint32_t lifetime_s, uint64_t now)
{
	struct natmap_res res = { .id = r->id, .ext_port = port,
				  .lifetime_s = lifetime_s };

	assert_int_equal(r->op, NATMAP_OP_MAP);
	assert_int_equal(natmap_on_result(m, &res, now), 0);
}

/* A UPnP engine with UDP 30303 mapped at T0: found, IP 1.2.3.4 and the
 * port published; events drained. */
static void mapped_upnp(struct natmap *m, uint64_t lease)
{
	struct natmap_cfg cfg = { .mech = NATMAP_UPNP, .lease_ns = lease };
	struct natmap_req r, ip, map;

	assert_int_equal(natmap_init(m, &cfg, T0), 0);
	assert_int_equal(natmap_add(m, NATMAP_UDP, 30303, T0), 0);
	r = take(m);
	answer(m, &r, 0, T0);
	assert_int_equal(event(m).type, NATMAP_EV_FOUND);
	ip = take(m);
	map = take(m);
	answer(m, &ip, 0, T0);
	answer(m, &map, 0, T0);
	assert_int_equal(event(m).type, NATMAP_EV_EXTIP);
	assert_int_equal(event(m).type, NATMAP_EV_MAPPED);
	no_event(m);
	no_req(m);
}

static void test_natmap_upnp_discovers_then_maps_and_publishes(void **state)
{
	struct natmap_cfg cfg = { .mech = NATMAP_UPNP };
	struct natmap m;
	struct natmap_req r, ip, map;
	struct natmap_event e;
	uint8_t want[16];

	(void)state;
	assert_int_equal(natmap_init(&m, &cfg, T0), 0);
	assert_int_equal(natmap_add(&m, NATMAP_UDP, 30303, T0), 0);
	r = take(&m);
	assert_int_equal(r.op, NATMAP_OP_DISCOVER);
	assert_int_equal(r.mech, NATMAP_UPNP);
	no_req(&m);                     /* nothing mapped before a gateway */
	assert_int_equal(natmap_next_deadline(&m), UINT64_MAX);
	answer(&m, &r, 0, T0 + 2 * SEC);
	e = event(&m);
	assert_int_equal(e.type, NATMAP_EV_FOUND);
	assert_int_equal(e.mech, NATMAP_UPNP);
	ip = take(&m);
	assert_int_equal(ip.op, NATMAP_OP_EXTIP);
	map = take(&m);
	assert_int_equal(map.op, NATMAP_OP_MAP);
	assert_int_equal(map.mech, NATMAP_UPNP);
	assert_int_equal(map.proto, NATMAP_UDP);
	assert_int_equal(map.int_port, 30303);
	assert_int_equal(map.ext_port, 30303);
	assert_int_equal(map.lifetime_s, 600);  /* geth: 10 min */
	no_req(&m);
	answer(&m, &ip, 0, T0 + 2 * SEC);
	e = event(&m);
	assert_int_equal(e.type, NATMAP_EV_EXTIP);
	v4(want, 1, 2, 3, 4);
	assert_memory_equal(e.ip, want, 16);
	answer(&m, &map, 0, T0 + 3 * SEC);
	e = event(&m);
	assert_int_equal(e.type, NATMAP_EV_MAPPED);
	assert_int_equal(e.proto, NATMAP_UDP);
	assert_int_equal(e.ext_port, 30303);
	assert_int_equal(e.at_ns, T0 + 3 * SEC + 480 * SEC);
	no_event(&m);
	/* The external IP is read again after 2 min, the lease renewed
	 * after 8. */
	assert_int_equal(natmap_next_deadline(&m), T0 + 2 * SEC + 120 * SEC);
}

static void test_natmap_renews_before_expiry(void **state)
{
	struct natmap m;
	struct natmap_req r;
	struct natmap_event e;
	uint64_t t = T0;

	(void)state;
	mapped_upnp(&m, LEASE);
	for (int round = 0; round < 3; round++) {
		uint64_t due = t + 480 * SEC;

		/* External-IP reads in between, same IP: nothing published. */
		while (natmap_next_deadline(&m) < due) {
			uint64_t d = natmap_next_deadline(&m);

			natmap_on_timer(&m, d);
			r = take(&m);
			assert_int_equal(r.op, NATMAP_OP_EXTIP);
			answer(&m, &r, 0, d);
			no_event(&m);
		}
		assert_int_equal(natmap_next_deadline(&m), due);
		natmap_on_timer(&m, due - 1);
		no_req(&m);
		natmap_on_timer(&m, due);
		r = take(&m);
		if (r.op == NATMAP_OP_EXTIP) {  /* both due at 8 min */
			answer(&m, &r, 0, due);
			r = take(&m);
		}
		assert_int_equal(r.op, NATMAP_OP_MAP);
		assert_int_equal(r.ext_port, 30303);
		assert_int_equal(r.lifetime_s, 600);
		/* Renewed 8 min in, 2 min before the 10 min lease ends. */
		assert_true(due < t + LEASE);
		answer(&m, &r, 0, due);
		e = event(&m);
		assert_int_equal(e.type, NATMAP_EV_RENEWED);
		assert_int_equal(e.at_ns, due + 480 * SEC);
		no_event(&m);
		t = due;
	}
}

static void test_natmap_renews_at_granted_lifetime(void **state)
{
	struct natmap m;
	struct natmap_req r;

	(void)state;
	mapped_upnp(&m, LEASE);
	natmap_on_timer(&m, T0 + 480 * SEC);
	while ((r = take(&m)).op != NATMAP_OP_MAP)
		answer(&m, &r, 0, T0 + 480 * SEC);
	/* A gateway that grants 60 s (NAT-PMP may shorten the lease). */
	answer_port(&m, &r, 30303, 60, T0 + 480 * SEC);
	assert_int_equal(event(&m).at_ns, T0 + 480 * SEC + 48 * SEC);
	assert_int_equal(natmap_next_deadline(&m), T0 + 480 * SEC + 48 * SEC);
}

static void test_natmap_short_lease_scales_schedule(void **state)
{
	struct natmap m;
	struct natmap_req r;

	(void)state;
	mapped_upnp(&m, 10 * SEC);
	/* 10 s lease: external IP every 2 s, renewal at 8 s. */
	assert_int_equal(natmap_next_deadline(&m), T0 + 2 * SEC);
	natmap_on_timer(&m, T0 + 8 * SEC);
	r = take(&m);
	assert_int_equal(r.op, NATMAP_OP_EXTIP);
	r = take(&m);
	assert_int_equal(r.op, NATMAP_OP_MAP);
	assert_int_equal(r.lifetime_s, 10);
}

static void test_natmap_any_takes_first_answer(void **state)
{
	struct natmap_cfg cfg = { .mech = NATMAP_ANY };
	struct natmap m;
	struct natmap_req up, pmp, r;
	struct natmap_event e;

	(void)state;
	assert_int_equal(natmap_init(&m, &cfg, T0), 0);
	assert_int_equal(natmap_add(&m, NATMAP_UDP, 30303, T0), 0);
	assert_int_equal(natmap_add(&m, NATMAP_TCP, 30304, T0), 0);
	up = take(&m);
	pmp = take(&m);
	assert_int_equal(up.op, NATMAP_OP_DISCOVER);
	assert_int_equal(pmp.op, NATMAP_OP_DISCOVER);
	assert_int_equal(up.mech, NATMAP_UPNP);
	assert_int_equal(pmp.mech, NATMAP_PMP);
	no_req(&m);
	/* NAT-PMP answers first: it wins, every later request goes to it. */
	answer(&m, &pmp, 0, T0 + SEC / 10);
	e = event(&m);
	assert_int_equal(e.type, NATMAP_EV_FOUND);
	assert_int_equal(e.mech, NATMAP_PMP);
	for (int i = 0; i < 3; i++) {
		r = take(&m);
		assert_int_equal(r.mech, NATMAP_PMP);
	}
	no_req(&m);
	/* UPnP's later answer changes nothing. */
	answer(&m, &up, 0, T0 + 2 * SEC);
	no_event(&m);
	no_req(&m);
}

static void test_natmap_any_waits_for_second_after_failure(void **state)
{
	struct natmap_cfg cfg = { .mech = NATMAP_ANY };
	struct natmap m;
	struct natmap_req up, pmp;
	struct natmap_event e;

	(void)state;
	assert_int_equal(natmap_init(&m, &cfg, T0), 0);
	up = take(&m);
	pmp = take(&m);
	answer(&m, &pmp, -ETIMEDOUT, T0 + SEC);
	no_event(&m);                   /* UPnP may still answer */
	answer(&m, &up, 0, T0 + 2 * SEC);
	e = event(&m);
	assert_int_equal(e.type, NATMAP_EV_FOUND);
	assert_int_equal(e.mech, NATMAP_UPNP);
}

static void test_natmap_rediscovers_when_none_answers(void **state)
{
	struct natmap_cfg cfg = { .mech = NATMAP_ANY };
	struct natmap m;
	struct natmap_req up, pmp;
	struct natmap_event e;

	(void)state;
	assert_int_equal(natmap_init(&m, &cfg, T0), 0);
	assert_int_equal(natmap_add(&m, NATMAP_UDP, 30303, T0), 0);
	up = take(&m);
	pmp = take(&m);
	answer(&m, &up, -ETIMEDOUT, T0 + 2 * SEC);
	answer(&m, &pmp, -ETIMEDOUT, T0 + 2 * SEC);
	e = event(&m);
	assert_int_equal(e.type, NATMAP_EV_NOT_FOUND);
	assert_int_equal(e.mech, NATMAP_ANY);
	assert_int_equal(e.at_ns, T0 + 2 * SEC + 300 * SEC);
	no_req(&m);
	assert_int_equal(natmap_next_deadline(&m), T0 + 302 * SEC);
	natmap_on_timer(&m, T0 + 301 * SEC);
	no_req(&m);
	natmap_on_timer(&m, T0 + 302 * SEC);
	assert_int_equal(take(&m).mech, NATMAP_UPNP);
	assert_int_equal(take(&m).mech, NATMAP_PMP);
	no_req(&m);
}

static void test_natmap_publishes_only_changes(void **state)
{
	struct natmap m;
	struct natmap_req r;
	struct natmap_event e;
	uint8_t other[16], zero4[16];
	uint64_t t = T0 + 120 * SEC;

	(void)state;
	mapped_upnp(&m, LEASE);
	/* Same IP: nothing. */
	natmap_on_timer(&m, t);
	r = take(&m);
	answer(&m, &r, 0, t);
	no_event(&m);
	no_req(&m);
	/* A new IP: published, and every mapping renewed at once. */
	t += 120 * SEC;
	natmap_on_timer(&m, t);
	v4(other, 5, 6, 7, 8);
	r = take(&m);
	answer_ip(&m, &r, other, t);
	e = event(&m);
	assert_int_equal(e.type, NATMAP_EV_EXTIP);
	assert_memory_equal(e.ip, other, 16);
	r = take(&m);
	assert_int_equal(r.op, NATMAP_OP_MAP);
	assert_int_equal(r.ext_port, 30303);
	/* Same port: renewed, not re-published. A moved port is. */
	answer_port(&m, &r, 30303, 600, t);
	assert_int_equal(event(&m).type, NATMAP_EV_RENEWED);
	t += 480 * SEC;
	natmap_on_timer(&m, t);
	while ((r = take(&m)).op != NATMAP_OP_MAP)
		answer_ip(&m, &r, other, t);
	answer_port(&m, &r, 40001, 600, t);
	e = event(&m);
	assert_int_equal(e.type, NATMAP_EV_MAPPED);
	assert_int_equal(e.ext_port, 40001);
	no_event(&m);
	/* Failure keeps the published IP but forgets it: the same IP then
	 * counts as news. A gateway without an address (0.0.0.0) fails. */
	t = natmap_next_deadline(&m);
	natmap_on_timer(&m, t);
	v4(zero4, 0, 0, 0, 0);
	r = take(&m);
	answer_ip(&m, &r, zero4, t);
	e = event(&m);
	assert_int_equal(e.type, NATMAP_EV_EXTIP_FAILED);
	assert_int_equal(e.err, -EADDRNOTAVAIL);
	t = natmap_next_deadline(&m);
	natmap_on_timer(&m, t);
	r = take(&m);
	answer_ip(&m, &r, other, t);
	assert_int_equal(event(&m).type, NATMAP_EV_EXTIP);
	/* The renewal after the news asks for the port we hold. */
	assert_int_equal(take(&m).ext_port, 40001);
}

static void test_natmap_failed_renewals_then_remap(void **state)
{
	struct natmap m;
	struct natmap_req r;
	struct natmap_event e;
	uint64_t t = T0 + 480 * SEC;

	(void)state;
	mapped_upnp(&m, LEASE);
	for (unsigned k = 1; k <= NATMAP_MAX_RETRIES + 1; k++) {
		natmap_on_timer(&m, t);
		while ((r = take(&m)).op != NATMAP_OP_MAP)
			answer(&m, &r, 0, t);
		assert_int_equal(r.ext_port, 30303);
		answer(&m, &r, -ETIMEDOUT, t);
		e = event(&m);
		assert_int_equal(e.type, NATMAP_EV_MAP_FAILED);
		assert_int_equal(e.err, -ETIMEDOUT);
		/* Retried after L/2 = 5 min. */
		assert_int_equal(e.at_ns, t + 300 * SEC);
		if (k <= NATMAP_MAX_RETRIES) {
			assert_int_equal(e.retries, k);
			no_req(&m);
		}
		t += 300 * SEC;
	}
	/* After the sixth failure in a row: delete it and start over. */
	r = take(&m);
	assert_int_equal(r.op, NATMAP_OP_UNMAP);
	assert_int_equal(r.ext_port, 30303);
	answer(&m, &r, 0, t - 300 * SEC);
	assert_int_equal(event(&m).type, NATMAP_EV_UNMAPPED);
	natmap_on_timer(&m, t);
	while ((r = take(&m)).op != NATMAP_OP_MAP)
		answer(&m, &r, 0, t);
	answer(&m, &r, 0, t);
	assert_int_equal(event(&m).type, NATMAP_EV_MAPPED);
}

static void test_natmap_conflict_tries_random_ports(void **state)
{
	struct natmap_cfg cfg = { .mech = NATMAP_UPNP, .seed = 7 };
	struct natmap m;
	struct natmap_req r;
	struct natmap_event e;

	(void)state;
	assert_int_equal(natmap_init(&m, &cfg, T0), 0);
	assert_int_equal(natmap_add(&m, NATMAP_TCP, 30303, T0), 0);
	r = take(&m);
	answer(&m, &r, 0, T0);
	(void)event(&m);
	r = take(&m);
	answer(&m, &r, 0, T0);    /* external IP */
	(void)event(&m);
	r = take(&m);
	assert_int_equal(r.ext_port, 30303);
	for (int i = 0; i < NATMAP_RANDOM_TRIES; i++) {
		answer(&m, &r, -EADDRINUSE, T0);
		no_event(&m);
		r = take(&m);           /* at once, on a random port */
		assert_int_equal(r.op, NATMAP_OP_MAP);
		assert_true(r.ext_port >= NATMAP_RANDOM_MIN);
		assert_int_equal(r.int_port, 30303);
	}
	answer(&m, &r, -EADDRINUSE, T0);
	e = event(&m);
	assert_int_equal(e.type, NATMAP_EV_MAP_FAILED);
	assert_int_equal(e.at_ns, T0 + 300 * SEC);
	no_req(&m);
	/* The next round starts from our own port again. */
	natmap_on_timer(&m, T0 + 300 * SEC);
	while ((r = take(&m)).op != NATMAP_OP_MAP)
		answer(&m, &r, 0, T0 + 300 * SEC);
	assert_int_equal(r.ext_port, 30303);
	answer_port(&m, &r, 30303, 600, T0 + 300 * SEC);
	assert_int_equal(event(&m).type, NATMAP_EV_MAPPED);
}

static void test_natmap_stop_unmaps_everything(void **state)
{
	struct natmap m;
	struct natmap_req r, tcp, u1, u2;
	struct natmap_event e;

	(void)state;
	mapped_upnp(&m, LEASE);
	assert_int_equal(natmap_add(&m, NATMAP_TCP, 30304, T0), 0);
	tcp = take(&m);
	answer_port(&m, &tcp, 41000, 600, T0);
	assert_int_equal(event(&m).type, NATMAP_EV_MAPPED);
	assert_false(natmap_done(&m));
	natmap_stop(&m);
	u1 = take(&m);
	u2 = take(&m);
	no_req(&m);
	assert_int_equal(u1.op, NATMAP_OP_UNMAP);
	assert_int_equal(u2.op, NATMAP_OP_UNMAP);
	assert_int_equal(u1.proto, NATMAP_UDP);
	assert_int_equal(u1.ext_port, 30303);
	assert_int_equal(u2.proto, NATMAP_TCP);
	assert_int_equal(u2.ext_port, 41000);
	assert_int_equal(u2.int_port, 30304);
	assert_false(natmap_done(&m));
	answer(&m, &u1, 0, T0 + SEC);
	assert_false(natmap_done(&m));
	answer(&m, &u2, -ETIMEDOUT, T0 + SEC);
	assert_true(natmap_done(&m));
	e = event(&m);
	assert_int_equal(e.type, NATMAP_EV_UNMAPPED);
	e = event(&m);
	assert_int_equal(e.type, NATMAP_EV_UNMAPPED);
	assert_int_equal(e.err, -ETIMEDOUT);
	/* Nothing more after a stop, at any time. */
	natmap_on_timer(&m, T0 + 10 * LEASE);
	no_req(&m);
	assert_int_equal(natmap_next_deadline(&m), UINT64_MAX);
	assert_int_equal(natmap_add(&m, NATMAP_UDP, 1, T0), -EINVAL);
	natmap_stop(&m);
	no_req(&m);
	(void)r;
}

static void test_natmap_stop_gives_back_late_grant(void **state)
{
	struct natmap m;
	struct natmap_req r, u;

	(void)state;
	mapped_upnp(&m, LEASE);
	natmap_on_timer(&m, T0 + 480 * SEC);
	while ((r = take(&m)).op != NATMAP_OP_MAP)
		answer(&m, &r, 0, T0 + 480 * SEC);
	natmap_stop(&m);                /* the renewal is in flight */
	no_req(&m);
	assert_false(natmap_done(&m));
	answer_port(&m, &r, 30303, 600, T0 + 481 * SEC);
	u = take(&m);
	assert_int_equal(u.op, NATMAP_OP_UNMAP);
	assert_int_equal(u.ext_port, 30303);
	assert_false(natmap_done(&m));
	answer(&m, &u, 0, T0 + 482 * SEC);
	assert_true(natmap_done(&m));
}

static void test_natmap_stop_drops_untaken_requests(void **state)
{
	struct natmap_cfg cfg = { .mech = NATMAP_PMP };
	struct natmap m;
	struct natmap_req d;

	(void)state;
	assert_int_equal(natmap_init(&m, &cfg, T0), 0);
	assert_int_equal(natmap_add(&m, NATMAP_UDP, 30303, T0), 0);
	d = take(&m);
	answer(&m, &d, 0, T0);
	/* EXTIP and MAP queued, never taken: stopping drops them. */
	natmap_stop(&m);
	no_req(&m);
	assert_true(natmap_done(&m));
	/* The dropped ids answer nothing any more. */
	d.id++;
	assert_int_equal(natmap_on_result(&m, &(struct natmap_res){ .id = d.id },
					  T0), -ENOENT);
}

static void test_natmap_stop_during_discovery_is_done(void **state)
{
	struct natmap_cfg cfg = { .mech = NATMAP_UPNP };
	struct natmap m;
	struct natmap_req d;

	(void)state;
	assert_int_equal(natmap_init(&m, &cfg, T0), 0);
	assert_int_equal(natmap_add(&m, NATMAP_UDP, 30303, T0), 0);
	d = take(&m);
	natmap_stop(&m);
	/* A discovery in flight does not hold the stop up. */
	assert_true(natmap_done(&m));
	answer(&m, &d, 0, T0 + SEC);
	no_req(&m);
	assert_true(natmap_done(&m));
}

static void test_natmap_extip_and_none(void **state)
{
	struct natmap_cfg cfg = { .mech = NATMAP_EXTIP };
	struct natmap m;
	struct natmap_event e;

	(void)state;
	v4(cfg.extip, 203, 0, 113, 9);
	assert_int_equal(natmap_init(&m, &cfg, T0), 0);
	e = event(&m);
	assert_int_equal(e.type, NATMAP_EV_EXTIP);
	assert_memory_equal(e.ip, cfg.extip, 16);
	assert_int_equal(natmap_add(&m, NATMAP_UDP, 30303, T0), 0);
	no_req(&m);                     /* extip maps nothing */
	no_event(&m);
	assert_int_equal(natmap_next_deadline(&m), UINT64_MAX);
	natmap_stop(&m);
	assert_true(natmap_done(&m));

	cfg.mech = NATMAP_NONE;
	assert_int_equal(natmap_init(&m, &cfg, T0), 0);
	assert_int_equal(natmap_add(&m, NATMAP_UDP, 30303, T0), 0);
	no_req(&m);
	no_event(&m);
	assert_int_equal(natmap_next_deadline(&m), UINT64_MAX);
}

static void test_natmap_rejects_bad_input(void **state)
{
	struct natmap_cfg cfg = { .mech = NATMAP_UPNP, .lease_ns = 4 * SEC };
	struct natmap m;
	struct natmap_res res = { .id = 9999 };

	(void)state;
	assert_int_equal(natmap_init(&m, &cfg, T0), -EINVAL);
	cfg.lease_ns = 0;
	cfg.mech = (enum natmap_mech)99;
	assert_int_equal(natmap_init(&m, &cfg, T0), -EINVAL);
	cfg.mech = NATMAP_UPNP;
	assert_int_equal(natmap_init(&m, &cfg, T0), 0);
	assert_int_equal(natmap_add(&m, NATMAP_UDP, 0, T0), -EINVAL);
	assert_int_equal(natmap_add(&m, NATMAP_UDP, 30303, T0), 0);
	assert_int_equal(natmap_add(&m, NATMAP_UDP, 30304, T0), -EEXIST);
	assert_int_equal(natmap_add(&m, NATMAP_TCP, 30303, T0), 0);
	assert_int_equal(natmap_on_result(&m, &res, T0), -ENOENT);
	res.id = 0;
	assert_int_equal(natmap_on_result(&m, &res, T0), -ENOENT);
	assert_string_equal(natmap_mech_name(NATMAP_PMP), "pmp");
	assert_string_equal(natmap_mech_name(NATMAP_ANY), "any");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_natmap_upnp_discovers_then_maps_and_publishes),
		cmocka_unit_test(test_natmap_renews_before_expiry),
		cmocka_unit_test(test_natmap_renews_at_granted_lifetime),
		cmocka_unit_test(test_natmap_short_lease_scales_schedule),
		cmocka_unit_test(test_natmap_any_takes_first_answer),
		cmocka_unit_test(test_natmap_any_waits_for_second_after_failure),
		cmocka_unit_test(test_natmap_rediscovers_when_none_answers),
		cmocka_unit_test(test_natmap_publishes_only_changes),
		cmocka_unit_test(test_natmap_failed_renewals_then_remap),
		cmocka_unit_test(test_natmap_conflict_tries_random_ports),
		cmocka_unit_test(test_natmap_stop_unmaps_everything),
		cmocka_unit_test(test_natmap_stop_gives_back_late_grant),
		cmocka_unit_test(test_natmap_stop_drops_untaken_requests),
		cmocka_unit_test(test_natmap_stop_during_discovery_is_done),
		cmocka_unit_test(test_natmap_extip_and_none),
		cmocka_unit_test(test_natmap_rejects_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
