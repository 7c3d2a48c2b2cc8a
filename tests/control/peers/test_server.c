/* SPDX-License-Identifier: MIT */
/* tests/control/peers/test_server.c - RLPx server admission rules with a fake clock: pending cap, throttle, maxpeers and dial ratio, trusted, self/dup, netrestrict. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/rlpx/p2p.h"
#include "control/peers/server.h"

#define SEC 1000000000ull

static uint8_t self_id[64];

static void mkid(uint8_t id[64], unsigned n)
{
	memset(id, 0, 64);
	id[0] = 0x40;
	id[62] = (uint8_t)(n >> 8);
	id[63] = (uint8_t)n;
}

static void mkip(uint8_t ip[16], unsigned a, unsigned b, unsigned c,
		 unsigned d)
{
	memset(ip, 0, 16);
	ip[10] = ip[11] = 0xff;
	ip[12] = (uint8_t)a;
	ip[13] = (uint8_t)b;
	ip[14] = (uint8_t)c;
	ip[15] = (uint8_t)d;
}

static struct server *mk(unsigned max_peers, unsigned max_pending)
{
	struct server_cfg c = { .self_id = self_id, .max_peers = max_peers,
				.max_pending = max_pending };
	struct server *s = malloc(sizeof(*s));

	assert_non_null(s);
	mkid(self_id, 0xffff);
	assert_int_equal(server_init(s, &c), 0);
	return s;
}

static void done(struct server *s)
{
	server_fini(s);
	free(s);
}

static void test_pending_cap(void **state)
{
	struct server *s = mk(10, 0);
	uint8_t ip[16];

	(void)state;
	mkip(ip, 127, 0, 0, 1);
	for (unsigned i = 0; i < SERVER_DEFAULT_MAX_PENDING; i++)
		assert_int_equal(server_inbound_begin(s, ip, 0), SERVER_OK);
	assert_int_equal(server_inbound_begin(s, ip, 0), SERVER_REFUSE_PENDING);
	assert_int_equal(s->st.pending, 50);
	assert_int_equal(s->st.pending_max, 50);
	server_pending_end(s);
	assert_int_equal(server_inbound_begin(s, ip, 0), SERVER_OK);
	assert_int_equal(server_inbound_begin(s, ip, 0), SERVER_REFUSE_PENDING);
	assert_int_equal(s->st.refused[SERVER_REFUSE_PENDING], 2);
	for (unsigned i = 0; i < 60; i++)
		server_pending_end(s);
	assert_int_equal(s->st.pending, 0);     /* never below zero */
	assert_int_equal(s->st.pending_max, 50);
	done(s);
}

static void test_throttle(void **state)
{
	struct server *s = mk(10, 3);
	uint8_t pub[16], pub2[16], lan[16];

	(void)state;
	mkip(pub, 8, 8, 8, 8);
	mkip(pub2, 8, 8, 4, 4);
	mkip(lan, 192, 168, 1, 7);
	assert_int_equal(server_inbound_begin(s, pub, 100 * SEC), SERVER_OK);
	server_pending_end(s);
	/* Same public IP within 30 s: refused, even with free slots. */
	assert_int_equal(server_inbound_begin(s, pub, 129 * SEC),
			 SERVER_REFUSE_THROTTLE);
	assert_int_equal(server_inbound_begin(s, pub2, 129 * SEC), SERVER_OK);
	server_pending_end(s);
	/* At 30 s it has expired. */
	assert_int_equal(server_inbound_begin(s, pub, 130 * SEC), SERVER_OK);
	server_pending_end(s);
	/* LAN addresses (and loopback) are exempt. */
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(server_inbound_begin(s, lan, 200 * SEC),
				 SERVER_OK);
		server_pending_end(s);
	}
	/* Pending cap is checked before the throttle (geth's order). */
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(server_inbound_begin(s, lan, 300 * SEC),
				 SERVER_OK);
	assert_int_equal(server_inbound_begin(s, pub, 300 * SEC),
			 SERVER_REFUSE_PENDING);
	done(s);
}

static void test_netrestrict(void **state)
{
	struct netutil_prefix nr[2];
	size_t n;
	struct server_cfg c = { .self_id = self_id, .max_peers = 5 };
	struct server s;
	uint8_t in[16], out[16];

	(void)state;
	mkid(self_id, 0xffff);
	assert_int_equal(netutil_netlist_parse(nr, 2, &n, "10.0.0.0/8", 10),
			 0);
	c.netrestrict = nr;
	c.n_netrestrict = n;
	assert_int_equal(server_init(&s, &c), 0);
	mkip(in, 10, 1, 2, 3);
	mkip(out, 11, 1, 2, 3);
	assert_int_equal(server_inbound_begin(&s, out, 0),
			 SERVER_REFUSE_NETRESTRICT);
	assert_int_equal(s.st.pending, 0);
	assert_int_equal(server_inbound_begin(&s, in, 0), SERVER_OK);
	assert_true(server_dial_allowed(&s, in));
	assert_false(server_dial_allowed(&s, out));
	server_fini(&s);
}

static void test_dial_ratio(void **state)
{
	struct server *s;

	(void)state;
	s = mk(50, 0);
	assert_int_equal(server_max_dialed(s), 16);
	assert_int_equal(server_max_inbound(s), 34);
	done(s);
	s = mk(2, 0);
	assert_int_equal(server_max_dialed(s), 1);      /* at least one */
	assert_int_equal(server_max_inbound(s), 1);
	done(s);
	s = mk(0, 0);
	assert_int_equal(server_max_dialed(s), 0);
	done(s);
}

static void test_maxpeers(void **state)
{
	struct server *s = mk(6, 0);   /* 2 dialed, 4 inbound */
	uint8_t id[64];
	unsigned n = 1;

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		mkid(id, n);
		assert_int_equal(server_add_peer(s, id, n, true), 0);
		n++;
	}
	/* The inbound share is full; a fifth inbound is refused. */
	mkid(id, n);
	assert_int_equal(server_add_peer(s, id, n, true),
			 P2P_DISC_TOO_MANY_PEERS);
	/* Dialed ones still fit up to max_peers. */
	assert_int_equal(server_add_peer(s, id, n, false), 0);
	n++;
	mkid(id, n);
	assert_int_equal(server_add_peer(s, id, n, false), 0);
	n++;
	mkid(id, n);
	assert_int_equal(server_add_peer(s, id, n, false),
			 P2P_DISC_TOO_MANY_PEERS);
	assert_int_equal(server_n_peers(s), 6);
	assert_int_equal(server_n_inbound(s), 4);
	/* Trusted nodes bypass both limits. */
	assert_int_equal(server_add_trusted(s, id), 0);
	assert_int_equal(server_add_trusted(s, id), -EEXIST);
	assert_int_equal(server_add_peer(s, id, n, true), 0);
	assert_int_equal(server_n_peers(s), 7);
	/* Removing an inbound peer frees an inbound slot. */
	assert_int_equal(server_remove_peer(s, 1), 0);
	assert_int_equal(server_remove_peer(s, 1), -ENOENT);
	mkid(id, 100);
	assert_int_equal(server_add_peer(s, id, 100, true),
			 P2P_DISC_TOO_MANY_PEERS);  /* the trusted peer counts in the total */
	done(s);
}

static void test_inbound_slot_after_remove(void **state)
{
	struct server *s = mk(3, 0);   /* 1 dialed, 2 inbound */
	uint8_t id[64];

	(void)state;
	mkid(id, 1);
	assert_int_equal(server_add_peer(s, id, 1, true), 0);
	mkid(id, 2);
	assert_int_equal(server_add_peer(s, id, 2, true), 0);
	mkid(id, 3);
	assert_int_equal(server_add_peer(s, id, 3, true),
			 P2P_DISC_TOO_MANY_PEERS);
	assert_int_equal(server_remove_peer(s, 2), 0);
	assert_int_equal(server_add_peer(s, id, 3, true), 0);
	assert_int_equal(s->st.refused_peer[P2P_DISC_TOO_MANY_PEERS], 1);
	done(s);
}

static void test_self_dup(void **state)
{
	struct server *s = mk(10, 0);
	uint8_t id[64];

	(void)state;
	assert_int_equal(server_add_peer(s, self_id, 1, true), P2P_DISC_SELF);
	assert_int_equal(server_add_peer(s, self_id, 1, false), P2P_DISC_SELF);
	mkid(id, 7);
	assert_int_equal(server_add_peer(s, id, 2, false), 0);
	assert_true(server_has_peer(s, id));
	assert_int_equal(server_add_peer(s, id, 3, true),
			 P2P_DISC_ALREADY_CONNECTED);
	assert_int_equal(server_add_peer(s, id, 4, false),
			 P2P_DISC_ALREADY_CONNECTED);
	/* Trusted does not bypass the duplicate check. */
	assert_int_equal(server_add_trusted(s, id), 0);
	assert_int_equal(server_add_peer(s, id, 5, true),
			 P2P_DISC_ALREADY_CONNECTED);
	assert_int_equal(server_remove_peer(s, 2), 0);
	assert_false(server_has_peer(s, id));
	assert_int_equal(server_add_peer(s, id, 6, true), 0);
	done(s);
}

static void test_remove_trusted(void **state)
{
	struct server *s = mk(2, 0);    /* 1 dialed, 1 inbound */
	uint8_t a[64], b[64], c[64];

	(void)state;
	mkid(a, 1);
	mkid(b, 2);
	mkid(c, 3);
	assert_int_equal(server_remove_trusted(s, a), -ENOENT);
	assert_int_equal(server_add_trusted(s, a), 0);
	assert_int_equal(server_add_trusted(s, b), 0);
	assert_int_equal(server_add_peer(s, c, 3, true), 0);
	assert_int_equal(server_add_peer(s, a, 1, true), 0);   /* trusted */
	assert_true(s->peers[1].trusted);
	/* Out of the set: the peer stays, no longer trusted; b is kept. */
	assert_int_equal(server_remove_trusted(s, a), 0);
	assert_int_equal(server_remove_trusted(s, a), -ENOENT);
	assert_false(server_is_trusted(s, a));
	assert_true(server_is_trusted(s, b));
	assert_true(server_has_peer(s, a));
	assert_false(s->peers[1].trusted);
	/* A former trusted node is held to the limits again. */
	assert_int_equal(server_remove_peer(s, 1), 0);
	assert_int_equal(server_add_peer(s, a, 4, true),
			 P2P_DISC_TOO_MANY_PEERS);
	assert_int_equal(server_add_peer(s, b, 5, true), 0);
	done(s);
}

static void test_many_ips_bounded(void **state)
{
	struct server *s = mk(10, 100000);
	uint8_t ip[16];

	(void)state;
	/* More distinct public IPs than throttle slots: all accepted, the
	 * table stays bounded, and the newest IP is throttled. */
	for (unsigned i = 0; i < 3 * SERVER_THROTTLE_SLOTS; i++) {
		mkip(ip, 8, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
		assert_int_equal(server_inbound_begin(s, ip, SEC + i), SERVER_OK);
		server_pending_end(s);
	}
	assert_int_equal(server_inbound_begin(s, ip, 2 * SEC),
			 SERVER_REFUSE_THROTTLE);
	done(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pending_cap),
		cmocka_unit_test(test_throttle),
		cmocka_unit_test(test_netrestrict),
		cmocka_unit_test(test_dial_ratio),
		cmocka_unit_test(test_maxpeers),
		cmocka_unit_test(test_inbound_slot_after_remove),
		cmocka_unit_test(test_self_dup),
		cmocka_unit_test(test_remove_trusted),
		cmocka_unit_test(test_many_ips_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
