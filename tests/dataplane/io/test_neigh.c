/* SPDX-License-Identifier: MIT */
/* tests/dataplane/io/test_neigh.c - interface addresses, routes and
 * neighbours from the kernel: loopback as any user, then (root) a private
 * network namespace with two veth pairs, static and unresolved neighbours,
 * and the per-worker cache on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dataplane/io/neigh.h"

/* addr() is text as a NEIGH_ADDR_LEN address (IPv4-mapped for IPv4). */
static void addr(uint8_t out[NEIGH_ADDR_LEN], const char *s)
{
	memset(out, 0, NEIGH_ADDR_LEN);
	if (inet_pton(AF_INET, s, out + 12) == 1) {
		out[10] = out[11] = 0xff;
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static void mac(uint8_t out[NEIGH_MAC_LEN], unsigned last)
{
	static const uint8_t base[NEIGH_MAC_LEN] = { 2, 0, 0, 0, 0, 0 };

	memcpy(out, base, sizeof(base));
	out[5] = (uint8_t)last;
}

__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int n, st;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- any user: loopback ------------------------------------------------- */

static void test_neigh_if_lo(void **state)
{
	struct neigh_if itf;
	static const uint8_t zero[NEIGH_MAC_LEN];
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };

	(void)state;
	assert_int_equal(neigh_if_get(&itf, "lo"), 0);
	assert_int_equal(itf.ifindex, (int)if_nametoindex("lo"));
	assert_string_equal(itf.name, "lo");
	assert_memory_equal(itf.mac, zero, NEIGH_MAC_LEN);
	assert_true(itf.has_ip4);
	assert_memory_equal(itf.ip4, lo4, 4);
	/* ::1 is not link-local, so it counts when the host has it */
	assert_true(itf.mtu > 0);
	assert_int_equal(neigh_if_get(&itf, "devplane-nx0"), -ENODEV);
	assert_int_equal(neigh_if_get(&itf, "a-name-longer-than-ifnamsiz"),
			 -ENODEV);
	assert_int_equal(neigh_if_get(&itf, NULL), -ENODEV);
}

static void test_neigh_route_lo(void **state)
{
	uint8_t dst[NEIGH_ADDR_LEN], nh[NEIGH_ADDR_LEN];
	int nl = neigh_nl_open(), oif = -1;

	(void)state;
	assert_true(nl >= 0);
	/* Local: RTN_LOCAL is a route too, reached on lo, no gateway. */
	addr(dst, "127.0.0.1");
	assert_int_equal(neigh_route(nl, nh, &oif, dst), 0);
	assert_memory_equal(nh, dst, NEIGH_ADDR_LEN);
	assert_int_equal(oif, (int)if_nametoindex("lo"));
	close(nl);
}

/* ---- root: a namespace of our own ---------------------------------------- */

/*
 * nv0 (ours: 02:..:01, 10.5.0.1/24, fd05::1/64) -- nv1 (no addresses:
 *   nothing answers ARP/ND for the unresolved cases)
 * nw0 (10.6.0.1/24) -- nw1: another interface, for routes not via nv0
 * Static neighbours on nv0: 10.5.0.2 (02:..:02, permanent), fd05::2
 * (02:..:03, permanent), 10.5.0.4 (02:..:04, stale), the gateways
 * 10.5.0.254 and fd05::fe (02:..:fe). Routes: 10.9.0.0/16 via
 * 10.5.0.254, fd09::/64 via fd05::fe; no default route.
 */
static int ns_setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	if (sh("set -e; ip link set lo up;"
	       "ip link add nv0 type veth peer name nv1;"
	       "ip link add nw0 type veth peer name nw1;"
	       "ip link set nv0 address 02:00:00:00:00:01;"
	       "for i in nv0 nv1 nw0 nw1; do ip link set $i up; done;"
	       "ip addr add 10.5.0.1/24 dev nv0;"
	       "ip -6 addr add fd05::1/64 dev nv0 nodad;"
	       "ip addr add 10.6.0.1/24 dev nw0;"
	       "ip neigh add 10.5.0.2 lladdr 02:00:00:00:00:02 dev nv0 nud permanent;"
	       "ip -6 neigh add fd05::2 lladdr 02:00:00:00:00:03 dev nv0 nud permanent;"
	       "ip neigh add 10.5.0.4 lladdr 02:00:00:00:00:04 dev nv0 nud stale;"
	       "ip neigh add 10.5.0.254 lladdr 02:00:00:00:00:fe dev nv0 nud permanent;"
	       "ip -6 neigh add fd05::fe lladdr 02:00:00:00:00:fe dev nv0 nud permanent;"
	       "ip route add 10.9.0.0/16 via 10.5.0.254;"
	       "ip -6 route add fd09::/64 via fd05::fe")) {
		fprintf(stderr, "namespace set-up failed\n");
		return -1;
	}
	return 0;
}

static void test_neigh_if_veth(void **state)
{
	struct neigh_if itf;
	uint8_t m[NEIGH_MAC_LEN], a[NEIGH_ADDR_LEN];

	(void)state;
	assert_int_equal(neigh_if_get(&itf, "nv0"), 0);
	assert_int_equal(itf.ifindex, (int)if_nametoindex("nv0"));
	mac(m, 1);
	assert_memory_equal(itf.mac, m, NEIGH_MAC_LEN);
	assert_true(itf.has_ip4);
	addr(a, "10.5.0.1");
	assert_memory_equal(itf.ip4, a + 12, 4);
	/* the global address, not the fe80:: one the veth also has */
	assert_true(itf.has_ip6);
	addr(a, "fd05::1");
	assert_memory_equal(itf.ip6, a, 16);
	assert_int_equal(itf.mtu, 1500);
	/* no addresses at all */
	assert_int_equal(neigh_if_get(&itf, "nv1"), 0);
	assert_false(itf.has_ip4);
	assert_false(itf.has_ip6);
}

static void route_is(int nl, const char *dst_s, const char *nh_s,
		     const char *oif_name)
{
	uint8_t dst[NEIGH_ADDR_LEN], nh[NEIGH_ADDR_LEN], want[NEIGH_ADDR_LEN];
	int oif = -1;

	addr(dst, dst_s);
	addr(want, nh_s);
	assert_int_equal(neigh_route(nl, nh, &oif, dst), 0);
	assert_memory_equal(nh, want, NEIGH_ADDR_LEN);
	assert_int_equal(oif, (int)if_nametoindex(oif_name));
}

static void test_neigh_route(void **state)
{
	uint8_t dst[NEIGH_ADDR_LEN], nh[NEIGH_ADDR_LEN];
	int nl = neigh_nl_open(), oif;

	(void)state;
	assert_true(nl >= 0);
	/* on-link: the next hop is the destination */
	route_is(nl, "10.5.0.2", "10.5.0.2", "nv0");
	route_is(nl, "10.5.0.77", "10.5.0.77", "nv0");
	route_is(nl, "fd05::2", "fd05::2", "nv0");
	route_is(nl, "10.6.0.9", "10.6.0.9", "nw0");
	/* via a gateway */
	route_is(nl, "10.9.1.1", "10.5.0.254", "nv0");
	route_is(nl, "fd09::1234", "fd05::fe", "nv0");
	/* no route (and no default): unreachable */
	addr(dst, "192.0.2.1");
	assert_int_equal(neigh_route(nl, nh, &oif, dst), -ENETUNREACH);
	addr(dst, "2001:db8::1");
	assert_int_equal(neigh_route(nl, nh, &oif, dst), -ENETUNREACH);
	close(nl);
}

static void lookup_is(int nl, const char *ip_s, unsigned mac_last)
{
	uint8_t ip[NEIGH_ADDR_LEN], m[NEIGH_MAC_LEN], want[NEIGH_MAC_LEN];

	addr(ip, ip_s);
	mac(want, mac_last);
	assert_int_equal(neigh_lookup(nl, m, (int)if_nametoindex("nv0"), ip),
			 0);
	assert_memory_equal(m, want, NEIGH_MAC_LEN);
}

static void test_neigh_lookup(void **state)
{
	uint8_t ip[NEIGH_ADDR_LEN], m[NEIGH_MAC_LEN];
	int nl = neigh_nl_open(), nv0 = (int)if_nametoindex("nv0");

	(void)state;
	assert_true(nl >= 0);
	lookup_is(nl, "10.5.0.2", 2);           /* permanent */
	lookup_is(nl, "fd05::2", 3);
	lookup_is(nl, "10.5.0.4", 4);           /* stale is usable */
	lookup_is(nl, "10.5.0.254", 0xfe);
	/* absent */
	addr(ip, "10.5.0.3");
	assert_int_equal(neigh_lookup(nl, m, nv0, ip), -ENOENT);
	addr(ip, "fd05::3");
	assert_int_equal(neigh_lookup(nl, m, nv0, ip), -ENOENT);
	/* an entry on another interface is not nv0's */
	addr(ip, "10.5.0.2");
	assert_int_equal(neigh_lookup(nl, m, (int)if_nametoindex("nw0"), ip),
			 -ENOENT);
	/* Unresolved: the trigger makes the kernel ask (nothing answers on
	 * nv1), which leaves an incomplete entry that is not usable. */
	addr(ip, "10.5.0.7");
	assert_int_equal(neigh_trigger(nv0, ip), 0);
	assert_int_equal(sh("ip neigh show 10.5.0.7 dev nv0 | "
			    "grep -Eq 'INCOMPLETE|FAILED'"),
			 0);
	assert_int_equal(neigh_lookup(nl, m, nv0, ip), -ENOENT);
	addr(ip, "fd05::7");
	assert_int_equal(neigh_trigger(nv0, ip), 0);
	assert_int_equal(sh("ip -6 neigh show fd05::7 dev nv0 | "
			    "grep -Eq 'INCOMPLETE|FAILED'"),
			 0);
	assert_int_equal(neigh_lookup(nl, m, nv0, ip), -ENOENT);
	close(nl);
}

#define MS 1000000ull

static void test_neigh_cache(void **state)
{
	struct neigh_cache *c;
	struct neigh_if itf;
	uint8_t dst[NEIGH_ADDR_LEN], m[NEIGH_MAC_LEN], want[NEIGH_MAC_LEN];
	uint64_t t = 1000000 * MS, u;

	(void)state;
	assert_int_equal(neigh_if_get(&itf, "nv0"), 0);
	assert_int_equal(neigh_cache_new(&c, &itf), 0);

	/* Resolved, on-link and through the gateway. */
	addr(dst, "fd05::2");
	mac(want, 3);
	assert_int_equal(neigh_cache_get(c, m, dst, t), 0);
	assert_memory_equal(m, want, NEIGH_MAC_LEN);
	addr(dst, "10.9.200.1");
	mac(want, 0xfe);
	assert_int_equal(neigh_cache_get(c, m, dst, t), 0);
	assert_memory_equal(m, want, NEIGH_MAC_LEN);
	assert_int_equal(neigh_cache_unresolved(c), 0);

	/* A hit stays for NEIGH_TTL_NS even when the kernel's entry changes,
	 * then is read again. */
	t += 10 * MS;
	addr(dst, "10.5.0.2");
	mac(want, 2);
	assert_int_equal(neigh_cache_get(c, m, dst, t), 0);
	assert_memory_equal(m, want, NEIGH_MAC_LEN);
	assert_int_equal(sh("ip neigh replace 10.5.0.2 lladdr "
			    "02:00:00:00:00:22 dev nv0 nud permanent"),
			 0);
	assert_int_equal(neigh_cache_get(c, m, dst, t + NEIGH_TTL_NS - 1), 0);
	assert_memory_equal(m, want, NEIGH_MAC_LEN);
	mac(want, 0x22);
	assert_int_equal(neigh_cache_get(c, m, dst, t + NEIGH_TTL_NS), 0);
	assert_memory_equal(m, want, NEIGH_MAC_LEN);

	/* Unresolved: -EAGAIN (and the kernel is asked); the miss is
	 * remembered for NEIGH_RETRY_NS, then asked again. */
	t += 2 * NEIGH_TTL_NS;
	addr(dst, "10.5.0.8");
	assert_int_equal(neigh_cache_get(c, m, dst, t), -EAGAIN);
	assert_int_equal(neigh_cache_unresolved(c), 1);
	assert_int_equal(sh("ip neigh show 10.5.0.8 dev nv0 | "
			    "grep -Eq 'INCOMPLETE|FAILED'"),
			 0);
	assert_int_equal(sh("ip neigh replace 10.5.0.8 lladdr "
			    "02:00:00:00:00:08 dev nv0 nud permanent"),
			 0);
	assert_int_equal(neigh_cache_get(c, m, dst, t + NEIGH_RETRY_NS - 1),
			 -EAGAIN);
	assert_int_equal(neigh_cache_unresolved(c), 2);
	mac(want, 8);
	assert_int_equal(neigh_cache_get(c, m, dst, t + NEIGH_RETRY_NS), 0);
	assert_memory_equal(m, want, NEIGH_MAC_LEN);
	assert_int_equal(neigh_cache_unresolved(c), 2);

	/* Not through our interface, and not routable at all. */
	t += 2 * NEIGH_TTL_NS;
	addr(dst, "10.6.0.2");
	assert_int_equal(neigh_cache_get(c, m, dst, t), -ENETUNREACH);
	addr(dst, "192.0.2.1");
	assert_int_equal(neigh_cache_get(c, m, dst, t), -ENETUNREACH);
	addr(dst, "2001:db8::9");
	assert_int_equal(neigh_cache_get(c, m, dst, t), -ENETUNREACH);
	assert_int_equal(neigh_cache_unresolved(c), 5);

	/* At most NEIGH_QUERIES_PER_MS netlink look-ups a millisecond: the
	 * next new destination is unresolved without asking, even one the
	 * kernel knows; a millisecond later it resolves. */
	t += 2 * NEIGH_TTL_NS;
	u = neigh_cache_unresolved(c);
	for (unsigned i = 0; i < NEIGH_QUERIES_PER_MS; i++) {
		char s[32];

		snprintf(s, sizeof(s), "10.5.0.%u", 100 + i);
		addr(dst, s);
		assert_int_equal(neigh_cache_get(c, m, dst, t), -EAGAIN);
	}
	addr(dst, "10.5.0.4");
	assert_int_equal(neigh_cache_get(c, m, dst, t + MS / 2), -EAGAIN);
	assert_int_equal(neigh_cache_unresolved(c), u + NEIGH_QUERIES_PER_MS + 1);
	mac(want, 4);
	assert_int_equal(neigh_cache_get(c, m, dst, t + MS), 0);
	assert_memory_equal(m, want, NEIGH_MAC_LEN);
	neigh_cache_free(c);
	neigh_cache_free(NULL);
}

/* What neigh_park_poll() decided, in order. */
struct park_log {
	uint64_t ready[8], drop[8];
	unsigned n_ready, n_drop;
};

static void log_ready(void *ctx, const struct neigh_parked *e)
{
	struct park_log *l = ctx;

	l->ready[l->n_ready++] = e->handle;
}

static void log_drop(void *ctx, const struct neigh_parked *e)
{
	struct park_log *l = ctx;

	l->drop[l->n_drop++] = e->handle;
}

static void park(struct neigh_park *p, uint64_t h, uint8_t *frame,
		 const char *dst, uint64_t t)
{
	struct neigh_parked e = { .handle = h, .frame = frame, .len = 60,
				  .since_ns = t }, old;

	addr(e.dst, dst);
	assert_int_equal(neigh_park_add(p, &e, &old), 0);
}

/* Frames parked on unresolved next hops: sent (MAC written) once the
 * kernel has the entry, in parking order; dropped when unreachable or
 * older than NEIGH_PARK_TTL_NS; a full queue evicts its oldest. */
static void test_neigh_park(void **state)
{
	static struct neigh_park p;
	struct neigh_cache *c;
	struct neigh_if itf;
	struct neigh_parked e = { .len = 60 }, old;
	struct park_log log;
	uint8_t f[4][64], want[NEIGH_MAC_LEN];
	uint64_t t = 2000000 * MS;

	(void)state;
	assert_int_equal(neigh_if_get(&itf, "nv0"), 0);
	assert_int_equal(neigh_cache_new(&c, &itf), 0);
	memset(f, 0, sizeof(f));
	park(&p, 1, f[0], "10.5.0.31", t);
	park(&p, 2, f[1], "10.5.0.32", t);
	park(&p, 3, f[2], "10.6.0.2", t);       /* not through nv0 */
	park(&p, 4, f[3], "10.5.0.31", t);

	/* Nothing resolved yet: the unreachable one goes, the rest wait. */
	memset(&log, 0, sizeof(log));
	neigh_park_poll(&p, c, t, log_ready, log_drop, &log);
	assert_int_equal(log.n_ready, 0);
	assert_int_equal(log.n_drop, 1);
	assert_int_equal(log.drop[0], 3);
	assert_int_equal(p.n, 3);

	/* 10.5.0.31 resolves: both its frames leave, in order, MAC set. */
	assert_int_equal(sh("ip neigh replace 10.5.0.31 lladdr "
			    "02:00:00:00:00:31 dev nv0 nud permanent"), 0);
	memset(&log, 0, sizeof(log));
	neigh_park_poll(&p, c, t + NEIGH_RETRY_NS, log_ready, log_drop, &log);
	assert_int_equal(log.n_ready, 2);
	assert_int_equal(log.ready[0], 1);
	assert_int_equal(log.ready[1], 4);
	assert_int_equal(log.n_drop, 0);
	mac(want, 0x31);
	assert_memory_equal(f[0], want, NEIGH_MAC_LEN);
	assert_memory_equal(f[3], want, NEIGH_MAC_LEN);
	assert_int_equal(p.n, 1);

	/* 10.5.0.32 never resolves: dropped once NEIGH_PARK_TTL_NS old. */
	memset(&log, 0, sizeof(log));
	neigh_park_poll(&p, c, t + NEIGH_PARK_TTL_NS - 1, log_ready, log_drop,
			&log);
	assert_int_equal(log.n_drop, 0);
	neigh_park_poll(&p, c, t + NEIGH_PARK_TTL_NS, log_ready, log_drop,
			&log);
	assert_int_equal(log.n_drop, 1);
	assert_int_equal(log.drop[0], 2);
	assert_int_equal(p.n, 0);

	/* Full: the oldest makes room. */
	for (unsigned i = 0; i < NEIGH_PARK_MAX; i++) {
		e.handle = 100 + i;
		assert_int_equal(neigh_park_add(&p, &e, &old), 0);
	}
	e.handle = 999;
	assert_int_equal(neigh_park_add(&p, &e, &old), 1);
	assert_int_equal(old.handle, 100);
	assert_int_equal(p.n, NEIGH_PARK_MAX);
	assert_int_equal(p.q[0].handle, 101);
	assert_int_equal(p.q[NEIGH_PARK_MAX - 1].handle, 999);
	neigh_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest any[] = {
		cmocka_unit_test(test_neigh_if_lo),
		cmocka_unit_test(test_neigh_route_lo),
	};
	const struct CMUnitTest root[] = {
		cmocka_unit_test(test_neigh_if_veth),
		cmocka_unit_test(test_neigh_route),
		cmocka_unit_test(test_neigh_lookup),
		cmocka_unit_test(test_neigh_cache),
		cmocka_unit_test(test_neigh_park),
	};
	int rc = cmocka_run_group_tests_name("neigh_any", any, NULL, NULL);

	if (rc)
		return rc;
	if (geteuid() != 0) {
		fprintf(stderr, "skip: the namespace tests need root\n");
		return 77;
	}
	/* The process moves into its own network namespace for good here;
	 * it goes away with the process, and nothing is made outside it. */
	return cmocka_run_group_tests_name("neigh_root", root, ns_setup, NULL);
}
