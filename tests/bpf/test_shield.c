/* SPDX-License-Identifier: MIT */
/* tests/bpf/test_shield.c - the XDP shield on crafted frames (BPF_PROG_TEST_RUN) and its loader on a real veth pair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "dataplane/shield/shield_loader.h"

#define PORT 30303
#define NS 1000000000ll
#define SHIELD_TIME_BASE (30ll * 24 * 3600 * NS) /* see setup() */

/* ---- crafted frames ---------------------------------------------------- */

struct spec {
	int fam;           /* 4 or 6; 0 = ARP */
	uint16_t vlan;     /* 0, 0x8100 or 0x88a8 */
	uint8_t l4;        /* IPPROTO_UDP (default), IPPROTO_TCP, IPPROTO_ICMP */
	const char *src;   /* source address */
	uint16_t dport;    /* default PORT */
	size_t plen;       /* UDP payload length; default 200 */
	uint8_t ptype;     /* payload[97]; default 1 */
	uint8_t v4_opt_words; /* IPv4 options in 32-bit words */
	bool v6_hbh;       /* one hop-by-hop options header */
	bool frag;         /* IPv4 MF bit / IPv6 fragment header */
	int ulen_delta;    /* added to the UDP length field */
};


/* mp() is a handle's maps (shield_maps_* take those). */
static struct shield_maps *mp(struct shield_loader *l)
{
	return shield_loader_maps(l);
}

static uint8_t frame[2048];

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* build() writes the frame described by s into frame[] and returns its
 * length. */
static size_t build(const struct spec *s)
{
	static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	uint8_t proto = s->l4 ? s->l4 : IPPROTO_UDP;
	size_t plen = s->plen ? s->plen : 200;
	uint16_t dport = s->dport ? s->dport : PORT;
	size_t off = 12, l4len;
	uint8_t *p;

	memset(frame, 0, sizeof(frame));
	memcpy(frame, mac, sizeof(mac));
	if (s->vlan) {
		put16(frame + off, s->vlan);
		put16(frame + off + 2, 100); /* TCI: VLAN 100 */
		off += 4;
	}
	if (s->fam == 0) { /* ARP request */
		put16(frame + off, 0x0806);
		p = frame + off + 2;
		put16(p, 1);
		put16(p + 2, 0x0800);
		p[4] = 6;
		p[5] = 4;
		put16(p + 6, 1);
		return off + 2 + 28;
	}
	put16(frame + off, s->fam == 4 ? 0x0800 : 0x86dd);
	off += 2;
	if (proto == IPPROTO_UDP)
		l4len = 8 + plen;
	else if (proto == IPPROTO_TCP)
		l4len = 20;
	else
		l4len = 8;
	p = frame + off;
	if (s->fam == 4) {
		size_t ihl = 20 + 4u * s->v4_opt_words;

		p[0] = (uint8_t)(0x40 | (ihl / 4));
		put16(p + 2, (uint16_t)(ihl + l4len));
		if (s->frag)
			put16(p + 6, 0x2000); /* MF */
		p[8] = 64;
		p[9] = proto;
		assert_int_equal(inet_pton(AF_INET, s->src, p + 12), 1);
		p[16] = 10;
		p[19] = 1;
		memset(p + 20, 1, ihl - 20); /* NOP options */
		off += ihl;
	} else {
		size_t ext = (s->v6_hbh ? 8 : 0) + (s->frag ? 8 : 0);
		uint8_t *e = p + 40;

		p[0] = 0x60;
		put16(p + 4, (uint16_t)(ext + l4len));
		p[7] = 64;
		assert_int_equal(inet_pton(AF_INET6, s->src, p + 8), 1);
		p[39] = 1;
		{
			uint8_t *nh = p + 6; /* next-header field to fill */

			if (s->v6_hbh) { /* hop-by-hop must come first */
				*nh = 0;
				nh = e;
				e[2] = 1; /* PadN, 4 bytes */
				e[3] = 4;
				e += 8;
			}
			if (s->frag) { /* first fragment, M=1 */
				*nh = 44;
				nh = e;
				put16(e + 2, 1);
				e += 8;
			}
			*nh = proto;
		}
		off += 40 + ext;
	}
	p = frame + off;
	put16(p, 30303);
	put16(p + 2, dport);
	if (proto == IPPROTO_UDP) {
		put16(p + 4, (uint16_t)(8 + (int)plen + s->ulen_delta));
		if (plen > 97)
			p[8 + 97] = s->ptype ? s->ptype : 1;
	} else if (proto == IPPROTO_TCP) {
		p[12] = 5 << 4;
		p[13] = 0x02; /* SYN */
	} else {
		p[0] = 8; /* echo request */
	}
	return off + l4len;
}

/* ---- running it --------------------------------------------------------- */

struct fix {
	struct shield_loader *l;
	struct shield_cfg cfg;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	shield_default_cfg(&f->cfg, PORT);
	/* Shield time starts a month in, whatever the uptime: a test that
	 * goes back an hour from "now" stays far from 0 (and from the
	 * wrap below it) on a machine that just booted. */
	f->cfg.now_offset_ns = SHIELD_TIME_BASE;
	assert_int_equal(shield_loader_new(&f->l, &f->cfg), 0);
	assert_true(shield_loader_prog_fd(f->l) >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	shield_loader_free(f->l);
	free(f);
	return 0;
}

static void set_cfg(struct fix *f)
{
	assert_int_equal(shield_loader_set_cfg(f->l, &f->cfg), 0);
}

static int run(struct fix *f, const struct spec *s)
{
	size_t len = build(s);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (__u32)len, .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(shield_loader_prog_fd(f->l), &o),
			 0);
	return (int)o.retval;
}

/* expect() runs one frame and checks its action and that exactly counter c
 * moved, by one. */
static void expect(struct fix *f, const struct spec *s, int action,
		   enum shield_counter c)
{
	uint64_t before[SHIELD_COUNTER_MAX], after[SHIELD_COUNTER_MAX];

	assert_int_equal(shield_maps_counters(mp(f->l), before), 0);
	assert_int_equal(run(f, s), action);
	assert_int_equal(shield_maps_counters(mp(f->l), after), 0);
	for (int i = 0; i < SHIELD_COUNTER_MAX; i++) {
		if (after[i] - before[i] != (i == (int)c ? 1u : 0u))
			fail_msg("counter %d moved by %llu (expected %d for %d)",
				 i, (unsigned long long)(after[i] - before[i]),
				 i == (int)c, (int)c);
	}
}

/* expect_n() runs one frame n + 1 times in one BPF_PROG_TEST_RUN (the
 * runs microseconds apart, with no system call between them): the first
 * n pass (SHIELD_PASS_NO_XSK) and the last is dropped for counter c. A
 * bucket's "n packets, then empty" then does not depend on how long the
 * test takes between two runs. */
static void expect_n(struct fix *f, const struct spec *s, unsigned n,
		     enum shield_counter c)
{
	uint64_t before[SHIELD_COUNTER_MAX], after[SHIELD_COUNTER_MAX];
	size_t len = build(s);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (__u32)len, .repeat = n + 1);

	assert_int_equal(shield_maps_counters(mp(f->l), before), 0);
	assert_int_equal(bpf_prog_test_run_opts(shield_loader_prog_fd(f->l),
						&o), 0);
	assert_int_equal(o.retval, XDP_DROP);
	assert_int_equal(shield_maps_counters(mp(f->l), after), 0);
	for (int i = 0; i < SHIELD_COUNTER_MAX; i++) {
		uint64_t want = i == SHIELD_PASS_NO_XSK ? n :
				i == (int)c ? 1 : 0;

		if (after[i] - before[i] != want)
			fail_msg("counter %d moved by %llu (expected %llu)", i,
				 (unsigned long long)(after[i] - before[i]),
				 (unsigned long long)want);
	}
}

#define PASS_OK(f, ...)                                                        \
	expect(f, &(struct spec){ __VA_ARGS__ }, XDP_PASS, SHIELD_PASS_NO_XSK)
#define PASS_OTHER(f, ...)                                                     \
	expect(f, &(struct spec){ __VA_ARGS__ }, XDP_PASS, SHIELD_PASS_OTHER)
#define DROP(f, c, ...) expect(f, &(struct spec){ __VA_ARGS__ }, XDP_DROP, c)

static const uint16_t vlans[] = { 0, 0x8100, 0x88a8 };

/* ---- verdicts ----------------------------------------------------------- */

static void test_shield_valid_discovery_passes_without_xsk(void **state)
{
	struct fix *f = *state;

	for (size_t v = 0; v < 3; v++) {
		PASS_OK(f, .fam = 4, .vlan = vlans[v], .src = "192.0.2.1");
		PASS_OK(f, .fam = 6, .vlan = vlans[v], .src = "2001:db8::1");
		/* IPv4 options (IHL 6 and 15) and an IPv6 hop-by-hop header */
		PASS_OK(f, .fam = 4, .vlan = vlans[v], .src = "192.0.2.1",
			.v4_opt_words = 1);
		PASS_OK(f, .fam = 4, .vlan = vlans[v], .src = "192.0.2.1",
			.v4_opt_words = 10);
		PASS_OK(f, .fam = 6, .vlan = vlans[v], .src = "2001:db8::1",
			.v6_hbh = true);
		/* Ethernet padding beyond the UDP length is fine. */
		PASS_OK(f, .fam = 4, .vlan = vlans[v], .src = "192.0.2.1",
			.ulen_delta = -1, .plen = 201);
	}
}

static void test_shield_other_traffic_passes_untouched(void **state)
{
	struct fix *f = *state;

	for (size_t v = 0; v < 3; v++) {
		/* TCP to the RLPx port (same number as discovery). */
		PASS_OTHER(f, .fam = 4, .vlan = vlans[v], .src = "192.0.2.1",
			   .l4 = IPPROTO_TCP);
		PASS_OTHER(f, .fam = 6, .vlan = vlans[v], .src = "2001:db8::1",
			   .l4 = IPPROTO_TCP);
		PASS_OTHER(f, .fam = 0, .vlan = vlans[v]); /* ARP */
		PASS_OTHER(f, .fam = 4, .vlan = vlans[v], .src = "192.0.2.1",
			   .l4 = IPPROTO_ICMP);
		/* UDP to another port, even if it is junk for discovery. */
		PASS_OTHER(f, .fam = 4, .vlan = vlans[v], .src = "192.0.2.1",
			   .dport = 53, .plen = 20);
		PASS_OTHER(f, .fam = 6, .vlan = vlans[v], .src = "2001:db8::1",
			   .dport = 53, .ptype = 99);
		/* Fragments go to the kernel's reassembly. */
		PASS_OTHER(f, .fam = 4, .vlan = vlans[v], .src = "192.0.2.1",
			   .frag = true, .plen = 10);
		PASS_OTHER(f, .fam = 6, .vlan = vlans[v], .src = "2001:db8::1",
			   .frag = true, .plen = 10);
	}
	/* A runt that ends inside the IPv4 header. */
	{
		uint64_t b[SHIELD_COUNTER_MAX], a[SHIELD_COUNTER_MAX];
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
			    .data_size_in = 14 + 10, .repeat = 1);

		build(&(struct spec){ .fam = 4, .src = "192.0.2.1" });
		assert_int_equal(shield_maps_counters(mp(f->l), b), 0);
		assert_int_equal(
			bpf_prog_test_run_opts(shield_loader_prog_fd(f->l), &o),
			0);
		assert_int_equal(o.retval, XDP_PASS);
		assert_int_equal(shield_maps_counters(mp(f->l), a), 0);
		assert_int_equal(a[SHIELD_PASS_OTHER] - b[SHIELD_PASS_OTHER], 1);
	}
}

static void test_shield_drops_bad_size(void **state)
{
	struct fix *f = *state;

	for (size_t v = 0; v < 3; v++) {
		for (int fam = 4; fam <= 6; fam += 2) {
			const char *src = fam == 4 ? "192.0.2.1" : "2001:db8::1";

			DROP(f, SHIELD_DROP_SIZE, .fam = fam, .vlan = vlans[v],
			     .src = src, .plen = 97);
			DROP(f, SHIELD_DROP_SIZE, .fam = fam, .vlan = vlans[v],
			     .src = src, .plen = 1281);
			DROP(f, SHIELD_DROP_SIZE, .fam = fam, .vlan = vlans[v],
			     .src = src, .plen = 8);
			/* UDP length claims more than the frame holds */
			DROP(f, SHIELD_DROP_SIZE, .fam = fam, .vlan = vlans[v],
			     .src = src, .plen = 200, .ulen_delta = 1);
			/* UDP length below the header itself */
			DROP(f, SHIELD_DROP_SIZE, .fam = fam, .vlan = vlans[v],
			     .src = src, .plen = 200, .ulen_delta = -201);
			PASS_OK(f, .fam = fam, .vlan = vlans[v], .src = src,
				.plen = 98);
			PASS_OK(f, .fam = fam, .vlan = vlans[v], .src = src,
				.plen = 1280);
		}
	}
}

static void test_shield_drops_bad_type(void **state)
{
	struct fix *f = *state;
	static const uint8_t bad[] = { 7, 8, 0x80, 0xff };

	for (size_t v = 0; v < 3; v++) {
		for (size_t i = 0; i < sizeof(bad); i++) {
			DROP(f, SHIELD_DROP_TYPE, .fam = 4, .vlan = vlans[v],
			     .src = "192.0.2.1", .ptype = bad[i]);
			DROP(f, SHIELD_DROP_TYPE, .fam = 6, .vlan = vlans[v],
			     .src = "2001:db8::1", .ptype = bad[i]);
		}
		for (uint8_t t = 1; t <= 6; t++) {
			PASS_OK(f, .fam = 4, .vlan = vlans[v], .src = "192.0.2.1",
				.ptype = t);
			PASS_OK(f, .fam = 6, .vlan = vlans[v],
				.src = "2001:db8::1", .ptype = t);
		}
	}
	/* type 0: build() writes a default of 1 for 0, so patch it. */
	{
		uint64_t b[SHIELD_COUNTER_MAX], a[SHIELD_COUNTER_MAX];
		size_t len = build(&(struct spec){ .fam = 4, .src = "192.0.2.1" });
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
			    .data_size_in = (__u32)len, .repeat = 1);

		frame[14 + 20 + 8 + 97] = 0;
		assert_int_equal(shield_maps_counters(mp(f->l), b), 0);
		assert_int_equal(
			bpf_prog_test_run_opts(shield_loader_prog_fd(f->l), &o),
			0);
		assert_int_equal(o.retval, XDP_DROP);
		assert_int_equal(shield_maps_counters(mp(f->l), a), 0);
		assert_int_equal(a[SHIELD_DROP_TYPE] - b[SHIELD_DROP_TYPE], 1);
	}
}

/* SHIELD_F_DISCV5: discv5 shares the port, so payloads of 63..1280 pass
 * the size check, the type byte is not looked at, and the buckets apply
 * to discv5-sized packets as to discv4's. Off again: discv4's checks. */
static void test_shield_discv5(void **state)
{
	struct fix *f = *state;
	struct shield_cfg got, src;

	f->cfg.flags |= SHIELD_F_DISCV5;
	set_cfg(f);
	assert_int_equal(shield_loader_get_cfg(f->l, &got), 0);
	assert_true(got.flags & SHIELD_F_DISCV5);
	for (size_t v = 0; v < 3; v++) {
		for (int fam = 4; fam <= 6; fam += 2) {
			const char *src6 = fam == 4 ? "192.0.2.1" :
						      "2001:db8::1";

			PASS_OK(f, .fam = fam, .vlan = vlans[v], .src = src6,
				.plen = 63);
			PASS_OK(f, .fam = fam, .vlan = vlans[v], .src = src6,
				.plen = 97);
			PASS_OK(f, .fam = fam, .vlan = vlans[v], .src = src6,
				.plen = 1280);
			PASS_OK(f, .fam = fam, .vlan = vlans[v], .src = src6,
				.plen = 200, .ptype = 9);
			PASS_OK(f, .fam = fam, .vlan = vlans[v], .src = src6,
				.plen = 200, .ptype = 0xff);
			DROP(f, SHIELD_DROP_SIZE, .fam = fam, .vlan = vlans[v],
			     .src = src6, .plen = 62);
			DROP(f, SHIELD_DROP_SIZE, .fam = fam, .vlan = vlans[v],
			     .src = src6, .plen = 1281);
			DROP(f, SHIELD_DROP_SIZE, .fam = fam, .vlan = vlans[v],
			     .src = src6, .plen = 63, .ulen_delta = 1);
		}
	}
	/* The per-source and per-prefix buckets count discv5 packets. */
	f->cfg.src_rate = 1;
	f->cfg.src_burst = 3;
	f->cfg.pfx_rate = 0;
	set_cfg(f);
	for (int i = 0; i < 3; i++)
		PASS_OK(f, .fam = 4, .src = "198.51.100.7", .plen = 63,
			.ptype = 0x80);
	DROP(f, SHIELD_DROP_RATE_SOURCE, .fam = 4, .src = "198.51.100.7",
	     .plen = 63);
	DROP(f, SHIELD_DROP_RATE_SOURCE, .fam = 4, .src = "198.51.100.7",
	     .plen = 300, .ptype = 1);
	f->cfg.src_burst = 100;
	f->cfg.pfx_rate = 1;
	f->cfg.pfx_burst = 2;
	set_cfg(f);
	PASS_OK(f, .fam = 6, .src = "2001:db8:77:1::1", .plen = 63);
	PASS_OK(f, .fam = 6, .src = "2001:db8:77:2::1", .plen = 150,
		.ptype = 0x42);
	DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 6, .src = "2001:db8:77:3::1",
	     .plen = 63);
	/* Off: discv4's size and type checks again. */
	f->cfg.flags &= ~SHIELD_F_DISCV5;
	f->cfg.src_rate = f->cfg.pfx_rate = 0;
	set_cfg(f);
	DROP(f, SHIELD_DROP_SIZE, .fam = 4, .src = "192.0.2.1", .plen = 63);
	DROP(f, SHIELD_DROP_TYPE, .fam = 4, .src = "192.0.2.1", .plen = 200,
	     .ptype = 9);
	PASS_OK(f, .fam = 4, .src = "192.0.2.1", .plen = 98);
	/* shield_cfg_merge(): SHIELD_SET_DISCV5 moves the flag alone. */
	assert_int_equal(shield_loader_get_cfg(f->l, &got), 0);
	src = got;
	src.flags = SHIELD_F_DISCV5;
	src.src_rate = 12345;
	shield_cfg_merge(&got, &src, SHIELD_SET_DISCV5);
	assert_true(got.flags & SHIELD_F_DISCV5);
	assert_int_not_equal(got.src_rate, 12345);
	src.flags = 0;
	shield_cfg_merge(&got, &src, SHIELD_SET_DISCV5);
	assert_false(got.flags & SHIELD_F_DISCV5);
}

static void test_shield_source_bucket(void **state)
{
	struct fix *f = *state;

	f->cfg.src_rate = 1; /* slow: no refill during the test */
	f->cfg.src_burst = 5;
	f->cfg.pfx_rate = 0;
	set_cfg(f);
	for (int i = 0; i < 5; i++) {
		PASS_OK(f, .fam = 4, .src = "192.0.2.1");
		/* host bits below /64 share one bucket */
		PASS_OK(f, .fam = 6, .src = i & 1 ? "2001:db8:1:2::1" :
						    "2001:db8:1:2:ffff::9");
	}
	DROP(f, SHIELD_DROP_RATE_SOURCE, .fam = 4, .src = "192.0.2.1");
	DROP(f, SHIELD_DROP_RATE_SOURCE, .fam = 6, .src = "2001:db8:1:2::77");
	DROP(f, SHIELD_DROP_RATE_SOURCE, .fam = 4, .vlan = 0x8100,
	     .src = "192.0.2.1");
	/* Neighbours have their own buckets. */
	PASS_OK(f, .fam = 4, .src = "192.0.2.2");
	PASS_OK(f, .fam = 6, .src = "2001:db8:1:3::1");
	/* The stateless checks come first and do not spend tokens. */
	DROP(f, SHIELD_DROP_TYPE, .fam = 4, .src = "192.0.2.1", .ptype = 9);
	/* Other traffic from a rate-limited source still passes. */
	PASS_OTHER(f, .fam = 4, .src = "192.0.2.1", .l4 = IPPROTO_TCP);
	/* Rate 0 disables the bucket. */
	f->cfg.src_rate = 0;
	set_cfg(f);
	PASS_OK(f, .fam = 4, .src = "192.0.2.1");
}

static void test_shield_prefix_bucket(void **state)
{
	struct fix *f = *state;
	char a[64];

	f->cfg.src_rate = 1;
	f->cfg.src_burst = 100;
	f->cfg.pfx_rate = 1;
	f->cfg.pfx_burst = 3;
	set_cfg(f);
	for (int i = 1; i <= 3; i++) {
		snprintf(a, sizeof(a), "198.51.100.%d", i);
		PASS_OK(f, .fam = 4, .src = a);
		snprintf(a, sizeof(a), "2001:db8:5:%x::1", i); /* same /48 */
		PASS_OK(f, .fam = 6, .src = a);
	}
	DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 4, .src = "198.51.100.200");
	DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 6, .src = "2001:db8:5:ffff::1");
	PASS_OK(f, .fam = 4, .src = "198.51.101.1"); /* next /24 */
	PASS_OK(f, .fam = 6, .src = "2001:db8:6::1"); /* next /48 */
	/* A source dropped on its own bucket does not drain the prefix. */
	f->cfg.src_burst = 1;
	f->cfg.pfx_burst = 2;
	set_cfg(f);
	PASS_OK(f, .fam = 4, .src = "203.0.113.1");
	for (int i = 0; i < 10; i++)
		DROP(f, SHIELD_DROP_RATE_SOURCE, .fam = 4, .src = "203.0.113.1");
	PASS_OK(f, .fam = 4, .src = "203.0.113.2");
	DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 4, .src = "203.0.113.3");
}

static void advance(struct fix *f, int64_t ns)
{
	f->cfg.now_offset_ns += ns;
	set_cfg(f);
}

/* Refill through cfg.now_offset_ns: the program adds it to
 * bpf_ktime_get_ns(), so moving it forward is elapsed time to the bucket.
 * Real time also passes between runs: at 1/s the test has a second
 * between two groups of runs before that adds a token, and each "n pass,
 * then dropped" is one group (expect_n()). */
static void test_shield_refill_exact(void **state)
{
	struct fix *f = *state;
	const struct spec s = { .fam = 4, .src = "192.0.2.50" };
	const struct spec s6 = { .fam = 6, .src = "2001:db8:50::1" };

	f->cfg.src_rate = 1;
	f->cfg.src_burst = 5;
	f->cfg.pfx_rate = 0;
	set_cfg(f);
	expect_n(f, &s, 5, SHIELD_DROP_RATE_SOURCE);
	expect_n(f, &s6, 5, SHIELD_DROP_RATE_SOURCE);
	advance(f, NS); /* a second at 1/s: one token */
	expect_n(f, &s, 1, SHIELD_DROP_RATE_SOURCE);
	expect_n(f, &s6, 1, SHIELD_DROP_RATE_SOURCE);
	advance(f, 5 * NS / 2); /* 2.5 tokens: two packets, half kept */
	expect_n(f, &s, 2, SHIELD_DROP_RATE_SOURCE);
	advance(f, NS / 2); /* +0.5 token: the kept half makes one */
	expect_n(f, &s, 1, SHIELD_DROP_RATE_SOURCE);
	advance(f, 3600 * NS); /* an hour: capped at the burst, not 3600 */
	expect_n(f, &s, 5, SHIELD_DROP_RATE_SOURCE);
	/* Lowering the burst at run time caps a full bucket at once. */
	advance(f, 3600 * NS);
	f->cfg.src_burst = 2;
	set_cfg(f);
	expect_n(f, &s, 2, SHIELD_DROP_RATE_SOURCE);
	/* The prefix bucket refills the same way (1000/s, burst 1: the
	 * drop comes within the same group of runs). */
	f->cfg.src_rate = 0;
	f->cfg.pfx_rate = 1000;
	f->cfg.pfx_burst = 1;
	set_cfg(f);
	expect_n(f, &s, 1, SHIELD_DROP_RATE_PREFIX);
	advance(f, NS / 1000);
	expect(f, &s, XDP_PASS, SHIELD_PASS_NO_XSK);
}

/* The same refill on the real clock: 1/s, burst 1, sleep 1.2 s (a token
 * and a fifth, capped at 1; the coarse clock lags by a tick, at most
 * 10 ms). A drop right after a pass needs the two runs within a second,
 * a margin a loaded machine keeps. */
static void test_shield_refill_real_clock(void **state)
{
	struct fix *f = *state;
	const struct spec s = { .fam = 6, .src = "2001:db8:77::1" };

	f->cfg.src_rate = 1;
	f->cfg.src_burst = 1;
	f->cfg.pfx_rate = 0;
	set_cfg(f);
	expect(f, &s, XDP_PASS, SHIELD_PASS_NO_XSK);
	expect(f, &s, XDP_DROP, SHIELD_DROP_RATE_SOURCE);
	usleep(1200000);
	expect(f, &s, XDP_PASS, SHIELD_PASS_NO_XSK);
	expect(f, &s, XDP_DROP, SHIELD_DROP_RATE_SOURCE);
}

static bool coarse_clock(struct fix *f)
{
	struct shield_cfg c;

	assert_int_equal(shield_loader_get_cfg(f->l, &c), 0);
	return c.flags & SHIELD_F_COARSE_CLOCK;
}

/* The buckets run on the coarse clock only while a tick's lag is at most
 * 1 % of each enabled bucket's depth (bpf/shield.h, Time); the loader
 * decides, whatever the caller's flags say. A fast, shallow bucket gets
 * the exact clock and refills within the tick. */
static void test_shield_bucket_clock(void **state)
{
	struct fix *f = *state;
	const struct spec s = { .fam = 4, .src = "192.0.2.60" };

	assert_true(coarse_clock(f)); /* the defaults, at HZ >= 100 */
	f->cfg.src_rate = 1000;
	f->cfg.src_burst = 1;
	set_cfg(f);
	assert_false(coarse_clock(f));
	f->cfg.src_rate = 0; /* off: no say */
	set_cfg(f);
	assert_true(coarse_clock(f));
	f->cfg.pfx_rate = 1000;
	f->cfg.pfx_burst = 1;
	f->cfg.flags |= SHIELD_F_COARSE_CLOCK; /* not the caller's to set */
	set_cfg(f);
	assert_false(coarse_clock(f));
	f->cfg.pfx_rate = 0;
	f->cfg.src_rate = 1000;
	f->cfg.src_burst = 1;
	set_cfg(f);
	expect_n(f, &s, 1, SHIELD_DROP_RATE_SOURCE);
	advance(f, NS / 1000); /* one token, less than a tick */
	expect_n(f, &s, 1, SHIELD_DROP_RATE_SOURCE);
	/* Back to a slow bucket (1/s: a tick is at most 1 % of a token at
	 * HZ >= 100): coarse, and it refills by the offset all the same. */
	f->cfg.src_rate = 1;
	f->cfg.src_burst = 1;
	set_cfg(f);
	assert_true(coarse_clock(f));
	/* Full again: two seconds, as the bucket's last refill was on the
	 * exact clock, up to a tick ahead of the coarse one. */
	advance(f, 2 * NS);
	expect_n(f, &s, 1, SHIELD_DROP_RATE_SOURCE);
	advance(f, NS);
	expect_n(f, &s, 1, SHIELD_DROP_RATE_SOURCE);
}

static struct shield_lpm_key cidr(const char *s)
{
	struct shield_lpm_key k;

	assert_int_equal(shield_cidr_parse(&k, s), 0);
	return k;
}

static int count_ban(void *arg, const struct shield_lpm_key *key,
		     const struct shield_block_val *val)
{
	(void)key;
	(void)val;
	++*(int *)arg;
	return 0;
}

static void test_shield_blocklist_and_expiry(void **state)
{
	struct fix *f = *state;
	struct shield_lpm_key k8 = cidr("10.0.0.0/8");
	struct shield_lpm_key k64 = cidr("2001:db8:9:9::/64");
	uint64_t now;
	int n = 0;

	PASS_OK(f, .fam = 4, .src = "10.1.2.3");
	assert_int_equal(shield_maps_ban(mp(f->l), &k8, 0, SHIELD_BAN_OPERATOR), 0);
	for (size_t v = 0; v < 3; v++) {
		DROP(f, SHIELD_DROP_BLOCKED, .fam = 4, .vlan = vlans[v],
		     .src = "10.1.2.3");
		DROP(f, SHIELD_DROP_BLOCKED, .fam = 4, .vlan = vlans[v],
		     .src = "10.255.0.1");
	}
	PASS_OK(f, .fam = 4, .src = "11.0.0.1");
	/* An IPv4 ban never matches IPv6 with the same leading bytes. */
	PASS_OK(f, .fam = 6, .src = "a00::1");
	/* Blocked sources' other traffic still reaches the kernel. */
	PASS_OTHER(f, .fam = 4, .src = "10.1.2.3", .l4 = IPPROTO_TCP);
	assert_int_equal(shield_maps_unban(mp(f->l), &k8), 0);
	assert_int_equal(shield_maps_unban(mp(f->l), &k8), -ENOENT);
	PASS_OK(f, .fam = 4, .src = "10.1.2.3");

	/* Expiring IPv6 ban (the clock is shield time). */
	now = shield_loader_now(f->l);
	assert_true(now > 0);
	assert_int_equal(shield_maps_ban(mp(f->l), &k64, now + 3600 * NS,
					   SHIELD_BAN_BAD_SIG),
			 0);
	DROP(f, SHIELD_DROP_BLOCKED, .fam = 6, .src = "2001:db8:9:9::1234");
	DROP(f, SHIELD_DROP_BLOCKED, .fam = 6, .vlan = 0x88a8,
	     .src = "2001:db8:9:9:ffff:ffff:ffff:ffff");
	PASS_OK(f, .fam = 6, .src = "2001:db8:9:a::1");
	assert_int_equal(shield_maps_gc(mp(f->l), shield_loader_now(f->l)), 0);
	assert_int_equal(shield_maps_bans(mp(f->l), count_ban, &n), 0);
	assert_int_equal(n, 1);
	advance(f, 7200 * NS);
	PASS_OK(f, .fam = 6, .src = "2001:db8:9:9::1234"); /* expired */
	assert_int_equal(shield_maps_gc(mp(f->l), shield_loader_now(f->l)), 1);
	n = 0;
	assert_int_equal(shield_maps_bans(mp(f->l), count_ban, &n), 0);
	assert_int_equal(n, 0);
	/* Blocklist is checked before the buckets: no tokens spent. */
	f->cfg.src_rate = 1;
	f->cfg.src_burst = 1;
	set_cfg(f);
	assert_int_equal(shield_maps_ban(mp(f->l), &k8, 0, SHIELD_BAN_OPERATOR), 0);
	DROP(f, SHIELD_DROP_BLOCKED, .fam = 4, .src = "10.9.9.9");
	assert_int_equal(shield_maps_unban(mp(f->l), &k8), 0);
	PASS_OK(f, .fam = 4, .src = "10.9.9.9");
}

static void test_shield_allowlist(void **state)
{
	struct fix *f = *state;
	struct shield_lpm_key a4 = cidr("192.0.2.0/24");
	struct shield_lpm_key a6 = cidr("2001:db8:aa::/48");
	struct shield_cfg c;

	PASS_OK(f, .fam = 4, .src = "198.51.100.1");
	assert_int_equal(shield_maps_allow(mp(f->l), &a4, SHIELD_ALLOW_OPERATOR), 0);
	assert_int_equal(shield_loader_get_cfg(f->l, &c), 0);
	assert_true(c.flags & SHIELD_F_ALLOWLIST);
	/* set_cfg leaves the flag alone */
	set_cfg(f);
	assert_int_equal(shield_loader_get_cfg(f->l, &c), 0);
	assert_true(c.flags & SHIELD_F_ALLOWLIST);
	for (size_t v = 0; v < 3; v++) {
		PASS_OK(f, .fam = 4, .vlan = vlans[v], .src = "192.0.2.9");
		DROP(f, SHIELD_DROP_NOT_ALLOWED, .fam = 4, .vlan = vlans[v],
		     .src = "198.51.100.1");
		DROP(f, SHIELD_DROP_NOT_ALLOWED, .fam = 6, .vlan = vlans[v],
		     .src = "2001:db8:aa::1");
	}
	PASS_OTHER(f, .fam = 4, .src = "198.51.100.1", .l4 = IPPROTO_TCP);
	assert_int_equal(shield_maps_allow(mp(f->l), &a6, SHIELD_ALLOW_OPERATOR), 0);
	PASS_OK(f, .fam = 6, .src = "2001:db8:aa:ffff::1");
	DROP(f, SHIELD_DROP_NOT_ALLOWED, .fam = 6, .src = "2001:db8:ab::1");
	/* The blocklist wins over the allow-list. */
	assert_int_equal(shield_maps_ban(mp(f->l), &(struct shield_lpm_key){
						       0 } /* invalid */,
					   0, 1),
			 -EINVAL);
	{
		struct shield_lpm_key b = cidr("192.0.2.9");

		assert_int_equal(shield_maps_ban(mp(f->l), &b, 0, 1), 0);
		DROP(f, SHIELD_DROP_BLOCKED, .fam = 4, .src = "192.0.2.9");
		PASS_OK(f, .fam = 4, .src = "192.0.2.10");
	}
	assert_int_equal(
		shield_maps_disallow(mp(f->l), &a4, SHIELD_ALLOW_OPERATOR), 0);
	assert_int_equal(shield_loader_get_cfg(f->l, &c), 0);
	assert_true(c.flags & SHIELD_F_ALLOWLIST); /* a6 is left */
	DROP(f, SHIELD_DROP_NOT_ALLOWED, .fam = 4, .src = "192.0.2.10");
	assert_int_equal(
		shield_maps_disallow(mp(f->l), &a6, SHIELD_ALLOW_OPERATOR), 0);
	assert_int_equal(
		shield_maps_disallow(mp(f->l), &a6, SHIELD_ALLOW_OPERATOR),
		-ENOENT);
	assert_int_equal(shield_loader_get_cfg(f->l, &c), 0);
	assert_false(c.flags & SHIELD_F_ALLOWLIST);
	PASS_OK(f, .fam = 4, .src = "198.51.100.1");
}

struct owned {
	char cidr[64];
	uint32_t owners;
};

struct owned_list {
	struct owned e[16];
	size_t n;
};

static int collect_allow(void *arg, const struct shield_lpm_key *key,
			 uint32_t owners)
{
	struct owned_list *o = arg;

	assert_true(o->n < 16);
	assert_int_equal(shield_cidr_format(o->e[o->n].cidr,
					    sizeof(o->e[o->n].cidr), key),
			 0);
	o->e[o->n++].owners = owners;
	return 0;
}

/* owners_of() is the owner bits of the entry cidr (0: no such entry). */
static uint32_t owners_of(struct fix *f, const char *cidr_text)
{
	struct owned_list o = { .n = 0 };

	assert_int_equal(shield_maps_allows(mp(f->l), collect_allow, &o), 0);
	for (size_t i = 0; i < o.n; i++)
		if (!strcmp(o.e[i].cidr, cidr_text))
			return o.e[i].owners;
	return 0;
}

static size_t n_allows(struct fix *f)
{
	struct owned_list o = { .n = 0 };

	assert_int_equal(shield_maps_allows(mp(f->l), collect_allow, &o), 0);
	return o.n;
}

static bool allowlist_on(struct fix *f)
{
	struct shield_cfg c;

	assert_int_equal(shield_loader_get_cfg(f->l, &c), 0);
	return c.flags & SHIELD_F_ALLOWLIST;
}

/* The allow-list is the union of the operator's and --netrestrict's
 * entries; replacing or dropping the netrestrict ones (a devplane
 * restarting or leaving) never takes an operator entry with it. */
static void test_shield_allowlist_owners(void **state)
{
	struct fix *f = *state;
	const uint32_t OP = SHIELD_ALLOW_OPERATOR, NR = SHIELD_ALLOW_NETRESTRICT;
	struct shield_lpm_key nr1[3] = { cidr("192.0.2.0/24"),
					 cidr("198.51.100.0/24"),
					 cidr("2001:db8:aa::/48") };
	struct shield_lpm_key nr2[1] = { cidr("198.51.100.0/24") };
	struct shield_lpm_key op = cidr("192.0.2.0/24");
	struct shield_lpm_key op8 = cidr("10.0.0.0/8");
	struct shield_lpm_key nr16 = cidr("10.1.0.0/16");
	struct shield_lpm_key bad = { 0 };

	assert_int_equal(shield_maps_allow(mp(f->l), &op, 0), -EINVAL);
	assert_int_equal(shield_maps_allow(mp(f->l), &op, OP | NR), -EINVAL);
	assert_int_equal(shield_maps_allow_replace(mp(f->l), OP | NR, nr1, 1),
			 -EINVAL);
	assert_int_equal(shield_maps_allow_replace(mp(f->l), NR, &bad, 1),
			 -EINVAL);
	assert_false(allowlist_on(f));
	assert_int_equal(shield_maps_allow(mp(f->l), &op, OP), 0);
	assert_int_equal(shield_maps_allow_replace(mp(f->l), NR, nr1, 3), 0);
	assert_true(allowlist_on(f));
	assert_int_equal(n_allows(f), 3);
	assert_int_equal(owners_of(f, "192.0.2.0/24"), OP | NR);
	assert_int_equal(owners_of(f, "198.51.100.0/24"), NR);
	assert_int_equal(owners_of(f, "2001:db8:aa::/48"), NR);
	PASS_OK(f, .fam = 4, .src = "198.51.100.7");
	PASS_OK(f, .fam = 6, .src = "2001:db8:aa:1::1");
	DROP(f, SHIELD_DROP_NOT_ALLOWED, .fam = 4, .src = "203.0.113.1");
	/* A new list: entries no longer in it lose the netrestrict owner,
	 * the shared one stays for the operator. */
	assert_int_equal(shield_maps_allow_replace(mp(f->l), NR, nr2, 1), 0);
	assert_int_equal(n_allows(f), 2);
	assert_int_equal(owners_of(f, "192.0.2.0/24"), OP);
	assert_int_equal(owners_of(f, "198.51.100.0/24"), NR);
	DROP(f, SHIELD_DROP_NOT_ALLOWED, .fam = 6, .src = "2001:db8:aa:1::1");
	PASS_OK(f, .fam = 4, .src = "192.0.2.1");
	/* Idempotent. */
	assert_int_equal(shield_maps_allow_replace(mp(f->l), NR, nr2, 1), 0);
	assert_int_equal(n_allows(f), 2);
	/* Owners are per exact prefix, not per covering one: a /16 inside
	 * the operator's /8 is an entry of its own. */
	assert_int_equal(shield_maps_allow(mp(f->l), &op8, OP), 0);
	assert_int_equal(shield_maps_allow(mp(f->l), &nr16, NR), 0);
	assert_int_equal(owners_of(f, "10.0.0.0/8"), OP);
	assert_int_equal(owners_of(f, "10.1.0.0/16"), NR);
	assert_int_equal(shield_maps_disallow(mp(f->l), &nr16, OP), -ENOENT);
	{
		struct shield_lpm_key k = cidr("10.2.0.0/16");

		assert_int_equal(shield_maps_disallow(mp(f->l), &k,
							SHIELD_ALLOW_OWNERS),
				 -ENOENT);
	}
	/* The devplane leaves: only the operator's entries remain, and the
	 * allow-list with them. */
	assert_int_equal(shield_maps_allow_replace(mp(f->l), NR, NULL, 0), 0);
	assert_int_equal(n_allows(f), 2);
	assert_int_equal(owners_of(f, "192.0.2.0/24"), OP);
	assert_int_equal(owners_of(f, "10.0.0.0/8"), OP);
	assert_true(allowlist_on(f));
	DROP(f, SHIELD_DROP_NOT_ALLOWED, .fam = 4, .src = "198.51.100.7");
	PASS_OK(f, .fam = 4, .src = "10.1.2.3");
	/* The operator empties it: off, everything passes again. */
	assert_int_equal(shield_maps_disallow(mp(f->l), &op, OP), 0);
	assert_int_equal(shield_maps_disallow(mp(f->l), &op8, OP), 0);
	assert_int_equal(n_allows(f), 0);
	assert_false(allowlist_on(f));
	PASS_OK(f, .fam = 4, .src = "198.51.100.7");
	/* Only netrestrict entries: they alone switch it on and off. */
	assert_int_equal(shield_maps_allow_replace(mp(f->l), NR, nr2, 1), 0);
	assert_true(allowlist_on(f));
	assert_int_equal(shield_maps_allow_replace(mp(f->l), NR, NULL, 0), 0);
	assert_false(allowlist_on(f));
}

static void test_shield_config_validation(void **state)
{
	struct fix *f = *state;
	struct shield_cfg c = f->cfg;

	c.discv4_port_be = 0;
	assert_int_equal(shield_loader_set_cfg(f->l, &c), -EINVAL);
	c = f->cfg;
	c.src_burst = 0;
	assert_int_equal(shield_loader_set_cfg(f->l, &c), -EINVAL);
	c = f->cfg;
	c.pfx_rate = SHIELD_MAX_RATE + 1;
	assert_int_equal(shield_loader_set_cfg(f->l, &c), -EINVAL);
	c = f->cfg;
	c.pfx_burst = SHIELD_MAX_BURST + 1;
	assert_int_equal(shield_loader_set_cfg(f->l, &c), -EINVAL);
	c = f->cfg;
	c.src_rate = 0;
	c.src_burst = 0; /* disabled bucket: burst irrelevant */
	assert_int_equal(shield_loader_set_cfg(f->l, &c), 0);
	/* The port is run-time config too. */
	c.discv4_port_be = htons(30304);
	assert_int_equal(shield_loader_set_cfg(f->l, &c), 0);
	PASS_OTHER(f, .fam = 4, .src = "192.0.2.1", .ptype = 9);
	DROP(f, SHIELD_DROP_TYPE, .fam = 4, .src = "192.0.2.1", .ptype = 9,
	     .dport = 30304);
	assert_int_equal(shield_loader_set_xsk(f->l, SHIELD_MAX_QUEUES, 3),
			 -EINVAL);
	assert_int_equal(shield_loader_set_xsk(f->l, 0, -1), 0);
}

static void test_shield_cidr_parse(void **state)
{
	static const struct {
		const char *in;
		const char *out; /* NULL: rejected */
	} rows[] = {
		{ "10.1.2.3/8", "10.0.0.0/8" },
		{ "10.1.2.3", "10.1.2.3/32" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "192.0.2.255/25", "192.0.2.128/25" },
		{ "2001:db8::1/32", "2001:db8::/32" },
		{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6/128" },
		{ "2001:db8:ffff::/47", "2001:db8:fffe::/47" },
		{ "10.0.0.0/33", NULL },
		{ "2001:db8::/129", NULL },
		{ "10.0.0.0/", NULL },
		{ "10.0.0.0/-1", NULL },
		{ "10.0.0.0/8x", NULL },
		{ "/8", NULL },
		{ "hello", NULL },
		{ "", NULL },
	};
	struct shield_lpm_key k;
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = shield_cidr_parse(&k, rows[i].in);

		if (!rows[i].out) {
			assert_int_equal(rc, -EINVAL);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(shield_cidr_format(buf, sizeof(buf), &k), 0);
		assert_string_equal(buf, rows[i].out);
	}
	assert_int_equal(shield_cidr_parse(&k, "10.0.0.0/8"), 0);
	assert_int_equal(shield_cidr_format(buf, 5, &k), -ENOSPC);
}

/* ---- verified sources and the global budget ------------------------------ */

/* prog_map_fd() opens the map called name of program prog_fd (found
 * through the program's map ids: shield_loader_new pins nothing). */
static int prog_map_fd(int prog_fd, const char *name)
{
	__u32 ids[16], n, len;
	struct bpf_prog_info pi;

	memset(&pi, 0, sizeof(pi));
	pi.nr_map_ids = 16;
	pi.map_ids = (__u64)(uintptr_t)ids;
	len = sizeof(pi);
	assert_int_equal(bpf_obj_get_info_by_fd(prog_fd, &pi, &len), 0);
	n = pi.nr_map_ids < 16 ? pi.nr_map_ids : 16;
	for (__u32 i = 0; i < n; i++) {
		struct bpf_map_info mi;
		int fd = bpf_map_get_fd_by_id(ids[i]);

		assert_true(fd >= 0);
		memset(&mi, 0, sizeof(mi));
		len = sizeof(mi);
		assert_int_equal(bpf_obj_get_info_by_fd(fd, &mi, &len), 0);
		if (!strcmp(mi.name, name))
			return fd;
		close(fd);
	}
	fail_msg("the program has no map %s", name);
	return -1;
}

/* map_entries() counts the entries of the program's map called name. */
static long map_entries(struct fix *f, const char *name)
{
	int fd = prog_map_fd(shield_loader_prog_fd(f->l), name);
	uint8_t key[64], next[64];
	struct bpf_map_info mi;
	__u32 len = sizeof(mi);
	void *prev = NULL;
	long count = 0;

	memset(&mi, 0, sizeof(mi));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &mi, &len), 0);
	assert_true(mi.key_size <= sizeof(key));
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, mi.key_size);
		prev = key;
		count++;
	}
	close(fd);
	return count;
}

static struct shield_bucket_key src_key(const char *s)
{
	struct shield_bucket_key k = { 0 };
	uint8_t a[16];

	if (inet_pton(AF_INET, s, a) == 1) {
		k.family = SHIELD_FAM_V4;
		k.plen = SHIELD_SRC_V4_PLEN;
		memcpy(k.addr, a, 4);
	} else {
		assert_int_equal(inet_pton(AF_INET6, s, a), 1);
		k.family = SHIELD_FAM_V6;
		k.plen = SHIELD_SRC_V6_PLEN;
		memcpy(k.addr, a, 8);
	}
	return k;
}

static void verify(struct fix *f, const char *src, int64_t for_ns)
{
	struct shield_bucket_key k = src_key(src);

	assert_int_equal(shield_maps_verify(mp(f->l), &k,
				 (uint64_t)((int64_t)shield_loader_now(f->l) +
					    for_ns)),
			 0);
}

/* Verified sources skip the prefix bucket and the budget, not their own
 * bucket nor the blocklist; expired entries count as unverified. */
static void test_shield_verified_bypass(void **state)
{
	struct fix *f = *state;
	uint64_t n;

	f->cfg.src_rate = 1;
	f->cfg.src_burst = 3;
	f->cfg.pfx_rate = 1;
	f->cfg.pfx_burst = 2;
	f->cfg.unk_rate = 0;
	set_cfg(f);
	verify(f, "192.0.2.7", 3600 * NS);
	verify(f, "2001:db8:7:7::1", 3600 * NS); /* the /64 */
	verify(f, "192.0.2.8", -1);              /* already expired */
	assert_int_equal(shield_maps_verified(mp(f->l), shield_loader_now(f->l),
						&n),
			 0);
	assert_int_equal(n, 2);
	/* Drain both prefixes with unverified neighbours. */
	PASS_OK(f, .fam = 4, .src = "192.0.2.1");
	PASS_OK(f, .fam = 4, .src = "192.0.2.2");
	DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 4, .src = "192.0.2.3");
	PASS_OK(f, .fam = 6, .src = "2001:db8:7:1::1");
	PASS_OK(f, .fam = 6, .src = "2001:db8:7:2::1");
	DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 6, .src = "2001:db8:7:3::1");
	/* The verified ones still get through, up to their own bucket. */
	for (int i = 0; i < 3; i++) {
		PASS_OK(f, .fam = 4, .src = "192.0.2.7");
		PASS_OK(f, .fam = 6, .src = "2001:db8:7:7::abcd");
	}
	DROP(f, SHIELD_DROP_RATE_SOURCE, .fam = 4, .src = "192.0.2.7");
	DROP(f, SHIELD_DROP_RATE_SOURCE, .fam = 6, .src = "2001:db8:7:7::1");
	/* Expired: an ordinary source of a drained prefix. */
	DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 4, .src = "192.0.2.8");
	/* The global budget: empty for the unverified, not for the verified. */
	f->cfg.src_rate = 0;
	f->cfg.pfx_rate = 0;
	f->cfg.unk_rate = 1;
	f->cfg.unk_burst = 1; /* and a reserve of 1 */
	set_cfg(f);
	PASS_OK(f, .fam = 4, .src = "198.51.100.1"); /* main bucket */
	PASS_OK(f, .fam = 4, .src = "198.51.100.2"); /* reserve */
	DROP(f, SHIELD_DROP_BUDGET, .fam = 4, .src = "198.51.100.3");
	DROP(f, SHIELD_DROP_BUDGET, .fam = 6, .src = "2001:db8:99::1");
	for (int i = 0; i < 5; i++) {
		PASS_OK(f, .fam = 4, .src = "192.0.2.7");
		PASS_OK(f, .fam = 6, .src = "2001:db8:7:7::1");
	}
	/* Banned verified sources are dropped all the same. */
	{
		struct shield_lpm_key b = cidr("192.0.2.7");

		assert_int_equal(shield_maps_ban(mp(f->l), &b, 0, 1), 0);
		DROP(f, SHIELD_DROP_BLOCKED, .fam = 4, .src = "192.0.2.7");
	}
}

/* The redirect verdicts need an AF_XDP socket in the XSKMAP slot that
 * BPF_PROG_TEST_RUN looks up (rx queue 0 of the loopback device): one
 * bound to lo in copy mode. Nothing is redirected into it for real. */
struct lo_xsk {
	void *area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
};

#define LO_XSK_FRAMES 64

static void lo_xsk_open(struct lo_xsk *x)
{
	struct xsk_socket_config c = {
		.rx_size = 64,
		.tx_size = 64,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	size_t size = LO_XSK_FRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE;

	memset(x, 0, sizeof(*x));
	x->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(x->area != MAP_FAILED);
	assert_int_equal(xsk_umem__create(&x->umem, x->area, size, &x->fill,
					  &x->comp, NULL),
			 0);
	assert_int_equal(xsk_socket__create(&x->xsk, "lo", 0, x->umem, &x->rx,
					    &x->tx, &c),
			 0);
}

static void lo_xsk_close(struct lo_xsk *x)
{
	xsk_socket__delete(x->xsk);
	xsk_umem__delete(x->umem);
	munmap(x->area, LO_XSK_FRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE);
}

#define REDIRECT(f, c, ...) \
	expect(f, &(struct spec){ __VA_ARGS__ }, XDP_REDIRECT, c)

/* A verified source is redirected past an empty budget and counted as
 * redirect-verified; unverified ones get redirect while the budget
 * lasts, then drop-budget; an expired verification counts for nothing. */
static void test_shield_redirect_verified(void **state)
{
	struct fix *f = *state;
	struct lo_xsk x;

	lo_xsk_open(&x);
	assert_int_equal(shield_loader_set_xsk(f->l, 0, xsk_socket__fd(x.xsk)),
			 0);
	f->cfg.src_rate = 0;
	f->cfg.pfx_rate = 0;
	f->cfg.unk_rate = 1;
	f->cfg.unk_burst = 1; /* and a reserve of 1 */
	set_cfg(f);
	verify(f, "192.0.2.7", 3600 * NS);
	verify(f, "2001:db8:7:7::1", 3600 * NS);
	verify(f, "192.0.2.8", -1); /* expired */
	REDIRECT(f, SHIELD_REDIRECT, .fam = 4, .src = "198.51.100.1");
	REDIRECT(f, SHIELD_REDIRECT, .fam = 6, .src = "2001:db8:99::1");
	DROP(f, SHIELD_DROP_BUDGET, .fam = 4, .src = "198.51.100.2");
	DROP(f, SHIELD_DROP_BUDGET, .fam = 4, .src = "192.0.2.8");
	for (size_t v = 0; v < 3; v++) {
		REDIRECT(f, SHIELD_REDIRECT_VERIFIED, .fam = 4,
			 .vlan = vlans[v], .src = "192.0.2.7");
		REDIRECT(f, SHIELD_REDIRECT_VERIFIED, .fam = 6,
			 .vlan = vlans[v], .src = "2001:db8:7:7::abcd");
	}
	/* Its own bucket still applies to a verified source. */
	f->cfg.src_rate = 1;
	f->cfg.src_burst = 1;
	set_cfg(f);
	REDIRECT(f, SHIELD_REDIRECT_VERIFIED, .fam = 4, .src = "192.0.2.7");
	DROP(f, SHIELD_DROP_RATE_SOURCE, .fam = 4, .src = "192.0.2.7");
	/* Without a socket in the slot: pass-no-xsk, verified or not. */
	assert_int_equal(shield_loader_set_xsk(f->l, 0, -1), 0);
	PASS_OK(f, .fam = 6, .src = "2001:db8:7:7::1");
	lo_xsk_close(&x);
}

/* The budget's reserve goes to quiet prefixes only; drops leave no
 * per-source state behind. */
static void test_shield_budget_reserve(void **state)
{
	struct fix *f = *state;
	char a[64];

	f->cfg.src_rate = 1;
	f->cfg.src_burst = 100;
	f->cfg.pfx_rate = 1;
	f->cfg.pfx_burst = 10;
	f->cfg.unk_rate = 1;
	f->cfg.unk_burst = 8; /* reserve: 2 tokens, 1/s */
	set_cfg(f);
	/* A loud prefix takes the main bucket... */
	for (int i = 1; i <= 8; i++) {
		snprintf(a, sizeof(a), "10.1.1.%d", i);
		PASS_OK(f, .fam = 4, .src = a);
	}
	/* ...but, 8 tokens short of full, not the reserve (its prefix still
	 * pays: 1 token left). */
	DROP(f, SHIELD_DROP_BUDGET, .fam = 4, .src = "10.1.1.9");
	/* Quiet prefixes share the reserve. */
	PASS_OK(f, .fam = 4, .src = "10.2.2.1");
	PASS_OK(f, .fam = 6, .src = "2001:db8:22::1");
	DROP(f, SHIELD_DROP_BUDGET, .fam = 4, .src = "10.3.3.1");
	/* One second: one token in each bucket, one in the loud prefix. */
	advance(f, NS);
	PASS_OK(f, .fam = 4, .src = "10.1.1.10"); /* main bucket */
	DROP(f, SHIELD_DROP_BUDGET, .fam = 4, .src = "10.1.1.11");
	DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 4, .src = "10.1.1.12");
	PASS_OK(f, .fam = 4, .src = "10.4.4.1"); /* reserve */
	DROP(f, SHIELD_DROP_BUDGET, .fam = 4, .src = "10.5.5.1");
	/* Per-source entries exist only for what was admitted: 8 + 2 + 1 + 1
	 * sources; none for the 3 budget drops and the prefix drop. */
	assert_int_equal(map_entries(f, "src_buckets"), 12);
	/* A spoofed flood over a drained prefix adds none either. */
	for (int i = 20; i < 120; i++) {
		snprintf(a, sizeof(a), "10.1.1.%d", i);
		DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 4, .src = a);
	}
	assert_int_equal(map_entries(f, "src_buckets"), 12);
	/* A budget drop did not charge the source: 10.3.3.1's first admitted
	 * packet finds its bucket full (burst 1 here: it passes once). */
	f->cfg.src_burst = 1;
	set_cfg(f);
	advance(f, 10 * NS);
	PASS_OK(f, .fam = 4, .src = "10.3.3.1");
	DROP(f, SHIELD_DROP_RATE_SOURCE, .fam = 4, .src = "10.3.3.1");
}

/* ---- hints: skipping lookups that cannot match ------------------------- */

/* hints_of() maps the program's hints (bpf/shield.h); munmap with
 * shield_maps_hints_munmap(). */
static struct shield_hints *hints_of(int prog_fd)
{
	int fd = prog_map_fd(prog_fd, "hints");
	struct shield_hints *h = shield_maps_hints_mmap(fd);

	close(fd);
	assert_non_null(h);
	return h;
}

static uint64_t blocks(struct fix *f)
{
	struct shield_hints *h = hints_of(shield_loader_prog_fd(f->l));
	uint64_t n = __atomic_load_n(&h->blocks, __ATOMIC_SEQ_CST);

	assert_int_equal(h->ready, 1);
	shield_maps_hints_munmap(h);
	return n;
}

/* The blocklist count follows every kind of write (add, replace, delete,
 * expiry), so the program looks into the trie exactly while it has
 * entries; an entry written around shield_maps_block_put() is not seen until
 * the next gc counts it. */
static void test_shield_hints_blocklist_count(void **state)
{
	struct fix *f = *state;
	struct shield_lpm_key k8 = cidr("10.0.0.0/8");
	struct shield_lpm_key k64 = cidr("2001:db8:9:9::/64");
	struct shield_block_val raw = { .reason = SHIELD_BAN_OPERATOR };
	int fd;

	assert_int_equal(blocks(f), 0);
	PASS_OK(f, .fam = 4, .src = "10.1.2.3");
	assert_int_equal(shield_maps_ban(mp(f->l), &k8, 0, SHIELD_BAN_OPERATOR), 0);
	assert_int_equal(blocks(f), 1);
	DROP(f, SHIELD_DROP_BLOCKED, .fam = 4, .src = "10.1.2.3");
	/* A replace (new expiry) is not a second entry. */
	assert_int_equal(shield_maps_ban(mp(f->l), &k8,
					   shield_loader_now(f->l) + 3600 * NS,
					   SHIELD_BAN_BAD_SIG),
			 0);
	assert_int_equal(blocks(f), 1);
	DROP(f, SHIELD_DROP_BLOCKED, .fam = 4, .src = "10.1.2.3");
	assert_int_equal(shield_maps_ban(mp(f->l), &k64,
					   shield_loader_now(f->l) + 3600 * NS,
					   SHIELD_BAN_BAD_SIG),
			 0);
	assert_int_equal(blocks(f), 2);
	DROP(f, SHIELD_DROP_BLOCKED, .fam = 6, .src = "2001:db8:9:9::1");
	assert_int_equal(shield_maps_unban(mp(f->l), &k8), 0);
	assert_int_equal(shield_maps_unban(mp(f->l), &k8), -ENOENT);
	assert_int_equal(blocks(f), 1);
	PASS_OK(f, .fam = 4, .src = "10.1.2.3");
	advance(f, 7200 * NS); /* k64 expires; gc deletes it */
	PASS_OK(f, .fam = 6, .src = "2001:db8:9:9::1");
	assert_int_equal(shield_maps_gc(mp(f->l), shield_loader_now(f->l)), 1);
	assert_int_equal(blocks(f), 0);
	PASS_OK(f, .fam = 6, .src = "2001:db8:9:9::1");
	/* Written around the count: skipped (that is why every writer goes
	 * through shield_maps_block_put()); gc finds it and counts it. */
	fd = prog_map_fd(shield_loader_prog_fd(f->l), "blocklist");
	assert_int_equal(bpf_map_update_elem(fd, &k8, &raw, BPF_ANY), 0);
	PASS_OK(f, .fam = 4, .src = "10.1.2.3");
	assert_int_equal(shield_maps_gc(mp(f->l), shield_loader_now(f->l)), 0);
	assert_int_equal(blocks(f), 1);
	DROP(f, SHIELD_DROP_BLOCKED, .fam = 4, .src = "10.1.2.3");
	/* Deleted around the count: it stays an upper bound (lookups, no
	 * match), and never wraps below 0 on the next delete. */
	assert_int_equal(bpf_map_delete_elem(fd, &k8), 0);
	PASS_OK(f, .fam = 4, .src = "10.1.2.3");
	assert_int_equal(blocks(f), 1);
	assert_int_equal(bpf_map_update_elem(fd, &k8, &raw, BPF_ANY), 0);
	assert_int_equal(shield_maps_unban(mp(f->l), &k8), 0);
	assert_int_equal(blocks(f), 0);
	assert_int_equal(bpf_map_update_elem(fd, &k8, &raw, BPF_ANY), 0);
	assert_int_equal(shield_maps_unban(mp(f->l), &k8), 0);
	assert_int_equal(blocks(f), 0);
	close(fd);
}

/* both() runs one frame through two shields and expects the same verdict
 * from each. */
static void both(struct fix *a, struct fix *b, const struct spec *s,
		 int action, enum shield_counter c)
{
	expect(a, s, action, c);
	expect(b, s, action, c);
}

#define BOTH_PASS(a, b, ...)                                                   \
	both(a, b, &(struct spec){ __VA_ARGS__ }, XDP_PASS, SHIELD_PASS_NO_XSK)
#define BOTH_DROP(a, b, c, ...)                                                \
	both(a, b, &(struct spec){ __VA_ARGS__ }, XDP_DROP, c)

/* other_pfx_same_slot() is a source in another /24 than src whose /24
 * has the same hints slot. */
static void other_pfx_same_slot(char *out, size_t len, const char *src)
{
	struct shield_bucket_key k = src_key(src), pk, o = k, opk;
	uint32_t slot;

	shield_maps_pfx_key(&pk, &k);
	slot = shield_vpfx_slot(&pk);
	for (uint32_t n = 1; n < (1u << 24); n++) {
		o.addr[0] = (uint8_t)(100 + (n >> 16));
		o.addr[1] = (uint8_t)(n >> 8);
		o.addr[2] = (uint8_t)n;
		shield_maps_pfx_key(&opk, &o);
		if (memcmp(opk.addr, pk.addr, 3) &&
		    shield_vpfx_slot(&opk) == slot) {
			snprintf(out, len, "%u.%u.%u.9", o.addr[0], o.addr[1],
				 o.addr[2]);
			return;
		}
	}
	fail_msg("no colliding /24 found");
}

/* The same verdicts with the hints as without them: one shield uses them,
 * the other has them switched off (not ready: every lookup is made), and
 * both see the same frames and the same writes. Covers an empty and a
 * non-empty blocklist (bans elsewhere), expired bans, the allow-list,
 * verified sources (expired, and an unverified source whose prefix
 * shares a verified one's hints slot), both families and VLAN tags. */
static void test_shield_hints_same_verdicts(void **state)
{
	struct fix *a = *state, bfix = { 0 }, *b = &bfix;
	struct shield_lpm_key far = cidr("172.16.0.0/12");
	struct shield_lpm_key far6 = cidr("2001:db8:ffff::/48");
	struct shield_lpm_key ban4 = cidr("198.51.100.0/24");
	struct shield_lpm_key ban6 = cidr("2001:db8:5::/48");
	struct shield_lpm_key allow4 = cidr("0.0.0.0/1");
	struct shield_hints *hb;
	char col[64];
	struct fix *fs[2] = { a, b };

	b->cfg = a->cfg;
	assert_int_equal(shield_loader_new(&b->l, &b->cfg), 0);
	hb = hints_of(shield_loader_prog_fd(b->l));
	__atomic_store_n(&hb->ready, 0, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 2; i++) {
		fs[i]->cfg.src_rate = 1;
		fs[i]->cfg.src_burst = 1000;
		fs[i]->cfg.pfx_rate = 1;
		fs[i]->cfg.pfx_burst = 2;
		fs[i]->cfg.unk_rate = 0;
		set_cfg(fs[i]);
	}
	/* Empty blocklist, then bans elsewhere: nothing changes. */
	for (int round = 0; round < 2; round++) {
		for (size_t v = 0; v < 3; v++) {
			BOTH_PASS(a, b, .fam = 4, .vlan = vlans[v],
				  .src = "198.51.100.1");
			BOTH_PASS(a, b, .fam = 4, .vlan = vlans[v],
				  .src = "198.51.100.2");
			BOTH_PASS(a, b, .fam = 6, .vlan = vlans[v],
				  .src = "2001:db8:5::1");
			/* the /24 (burst 2) is drained by now */
			BOTH_DROP(a, b, SHIELD_DROP_RATE_PREFIX, .fam = 4,
				  .vlan = vlans[v], .src = "198.51.100.3");
			advance(a, 10 * NS);
			advance(b, 10 * NS);
		}
		for (int i = 0; i < 2 && round == 0; i++) {
			assert_int_equal(shield_maps_ban(mp(fs[i]->l), &far, 0, 1),
					 0);
			assert_int_equal(shield_maps_ban(mp(fs[i]->l), &far6, 0,
							   1),
					 0);
		}
	}
	assert_int_equal(blocks(a), 2);
	/* Bans that match, one expired (a second ago: ban expiry is read
	 * on the coarse clock, bpf/shield.h). */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(shield_maps_ban(mp(fs[i]->l), &ban4, 0, 1), 0);
		assert_int_equal(shield_maps_ban(mp(fs[i]->l), &ban6,
					 shield_loader_now(fs[i]->l) - NS, 1),
				 0);
	}
	BOTH_DROP(a, b, SHIELD_DROP_BLOCKED, .fam = 4, .vlan = 0x8100,
		  .src = "198.51.100.1");
	BOTH_PASS(a, b, .fam = 6, .vlan = 0x88a8, .src = "2001:db8:5::1");
	BOTH_PASS(a, b, .fam = 4, .src = "172.32.0.1");
	/* The allow-list on: v4 0/1 only. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(shield_maps_allow(mp(fs[i]->l), &allow4,
						     SHIELD_ALLOW_OPERATOR),
				 0);
	BOTH_PASS(a, b, .fam = 4, .src = "100.64.0.1");
	BOTH_DROP(a, b, SHIELD_DROP_NOT_ALLOWED, .fam = 4, .src = "192.0.2.1");
	BOTH_DROP(a, b, SHIELD_DROP_NOT_ALLOWED, .fam = 6, .src = "2001:db8::1");
	BOTH_DROP(a, b, SHIELD_DROP_BLOCKED, .fam = 4, .src = "198.51.100.1");
	for (int i = 0; i < 2; i++)
		assert_int_equal(shield_maps_disallow(mp(fs[i]->l), &allow4,
							SHIELD_ALLOW_OPERATOR),
				 0);
	/* Verified: valid, expired, and a neighbour sharing the slot. */
	other_pfx_same_slot(col, sizeof(col), "192.0.2.7");
	for (int i = 0; i < 2; i++) {
		verify(fs[i], "192.0.2.7", 3600 * NS);
		verify(fs[i], "2001:db8:7:7::1", 3600 * NS);
		verify(fs[i], "203.0.113.8", -1); /* expired */
	}
	print_message("%s shares 192.0.2.0/24's hints slot\n", col);
	for (int i = 0; i < 2; i++) { /* drain the three /24s and the /48 */
		const char *drain[] = { "192.0.2.1", "203.0.113.1", col };

		for (int j = 0; j < 3; j++) {
			PASS_OK(fs[i], .fam = 4, .src = drain[j]);
			PASS_OK(fs[i], .fam = 4, .src = drain[j]);
		}
		PASS_OK(fs[i], .fam = 6, .src = "2001:db8:7:1::1");
		PASS_OK(fs[i], .fam = 6, .src = "2001:db8:7:2::1");
	}
	for (size_t v = 0; v < 3; v++) {
		BOTH_PASS(a, b, .fam = 4, .vlan = vlans[v], .src = "192.0.2.7");
		BOTH_PASS(a, b, .fam = 6, .vlan = vlans[v],
			  .src = "2001:db8:7:7::abcd");
		BOTH_DROP(a, b, SHIELD_DROP_RATE_PREFIX, .fam = 4,
			  .vlan = vlans[v], .src = "192.0.2.3");
		BOTH_DROP(a, b, SHIELD_DROP_RATE_PREFIX, .fam = 4,
			  .vlan = vlans[v], .src = "203.0.113.8");
		BOTH_DROP(a, b, SHIELD_DROP_RATE_PREFIX, .fam = 4,
			  .vlan = vlans[v], .src = col);
		BOTH_DROP(a, b, SHIELD_DROP_RATE_PREFIX, .fam = 6,
			  .vlan = vlans[v], .src = "2001:db8:7:3::1");
	}
	/* A verified source's ban still wins. */
	for (int i = 0; i < 2; i++) {
		struct shield_lpm_key k = cidr("192.0.2.7");

		assert_int_equal(shield_maps_ban(mp(fs[i]->l), &k, 0, 1), 0);
	}
	BOTH_DROP(a, b, SHIELD_DROP_BLOCKED, .fam = 4, .src = "192.0.2.7");
	assert_int_equal(hb->ready, 0); /* b never used its hints */
	shield_maps_hints_munmap(hb);
	shield_loader_free(b->l);
}

/* The verified-prefix slots: raised to cover each verified source, and
 * while a prefix's slot is at or below the current time the program does
 * not look the source up (an entry written around shield_maps_verified_put()
 * is not seen: that is the lookup saved). */
static void test_shield_hints_verified_slots(void **state)
{
	struct fix *f = *state;
	struct shield_bucket_key k = src_key("192.0.2.7"), pk;
	struct shield_bucket_key raw = src_key("198.51.100.7");
	struct shield_verified_val rv;
	struct shield_hints *h = hints_of(shield_loader_prog_fd(f->l));
	uint64_t exp, slot;
	int fd;

	f->cfg.src_rate = 0;
	f->cfg.pfx_rate = 1;
	f->cfg.pfx_burst = 1;
	f->cfg.unk_rate = 0;
	set_cfg(f);
	exp = shield_loader_now(f->l) + 3600 * NS;
	slot = (exp + (1ull << SHIELD_VPFX_SHIFT) - 1) >> SHIELD_VPFX_SHIFT;
	assert_int_equal(shield_maps_verify(mp(f->l), &k, exp), 0);
	shield_maps_pfx_key(&pk, &k);
	assert_int_equal(pk.plen, 24);
	assert_int_equal(h->vpfx[shield_vpfx_slot(&pk)], slot);
	/* An earlier expiry never lowers the slot: a later future one, ... */
	assert_int_equal(shield_maps_verify(mp(f->l), &k, exp - 1800 * NS), 0);
	assert_int_equal(h->vpfx[shield_vpfx_slot(&pk)], slot);
	/* ... a past one (the entry is then expired: not verified), ... */
	assert_int_equal(shield_maps_verify(mp(f->l), &k,
					    shield_loader_now(f->l) -
						    3600 * NS),
			 0);
	assert_int_equal(h->vpfx[shield_vpfx_slot(&pk)], slot);
	/* ... and a past time that an unsigned subtraction wrapped (now -
	 * d with d > now: what `now + 1 h - 2 h` was on a machine up for
	 * less than an hour) is refused, not taken for one centuries
	 * ahead: neither the slot nor the entry moves. */
	rv.expires_ns = 0;
	fd = prog_map_fd(shield_loader_prog_fd(f->l), "verified");
	assert_int_equal(bpf_map_update_elem(fd, &k, &rv, BPF_ANY), 0);
	assert_int_equal(shield_maps_verify(mp(f->l), &k, 0 - 3600 * NS),
			 -EINVAL);
	assert_int_equal(shield_maps_verify(mp(f->l), &k, UINT64_MAX), -EINVAL);
	assert_int_equal(h->vpfx[shield_vpfx_slot(&pk)], slot);
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &rv), 0);
	assert_int_equal(rv.expires_ns, 0);
	close(fd);
	/* A ban until a wrapped past time is refused the same way. */
	{
		struct shield_lpm_key bk = cidr("192.0.2.200");

		assert_int_equal(shield_maps_ban(mp(f->l), &bk, 0 - NS, 1),
				 -EINVAL);
		assert_int_equal(blocks(f), 0);
	}
	assert_int_equal(shield_maps_verify(mp(f->l), &k, exp), 0);
	PASS_OK(f, .fam = 4, .src = "192.0.2.1"); /* drains the /24 */
	PASS_OK(f, .fam = 4, .src = "192.0.2.7");
	DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 4, .src = "192.0.2.1");
	/* Written around the slots: not looked up, an ordinary source. */
	rv.expires_ns = exp;
	fd = prog_map_fd(shield_loader_prog_fd(f->l), "verified");
	assert_int_equal(bpf_map_update_elem(fd, &raw, &rv, BPF_ANY), 0);
	close(fd);
	PASS_OK(f, .fam = 4, .src = "198.51.100.1");
	DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 4, .src = "198.51.100.7");
	assert_int_equal(shield_maps_verify(mp(f->l), &raw, exp), 0);
	PASS_OK(f, .fam = 4, .src = "198.51.100.7");
	/* IPv6: the /48 is the prefix. */
	k = src_key("2001:db8:7:7::1");
	shield_maps_pfx_key(&pk, &k);
	assert_int_equal(pk.plen, 48);
	assert_int_equal(h->vpfx[shield_vpfx_slot(&pk)], 0);
	assert_int_equal(shield_maps_verify(mp(f->l), &k, exp), 0);
	assert_true(h->vpfx[shield_vpfx_slot(&pk)] > 0);
	PASS_OK(f, .fam = 6, .src = "2001:db8:7:1::1");
	PASS_OK(f, .fam = 6, .src = "2001:db8:7:7::2");
	DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 6, .src = "2001:db8:7:1::1");
	/* The slots expire with the entries: two hours on, the verified
	 * sources are ordinary ones (the drained prefixes refilled one
	 * token each). */
	advance(f, 7200 * NS);
	PASS_OK(f, .fam = 4, .src = "192.0.2.7");
	DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 4, .src = "192.0.2.7");
	shield_maps_hints_munmap(h);
}

/* ---- the loader on a real veth pair ------------------------------------- */

struct veth {
	char ns_a[32], ns_b[32]; /* shielded side, peer side */
	char if_a[IF_NAMESIZE], if_b[IF_NAMESIZE];
	int home_fd;             /* our original netns */
	bool made_a, made_b;
};

static struct veth vt = { .home_fd = -1 };

__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void enter_ns(const char *ns)
{
	char path[128];
	int fd;

	if (!ns) {
		assert_int_equal(setns(vt.home_fd, CLONE_NEWNET), 0);
		return;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(setns(fd, CLONE_NEWNET), 0);
	close(fd);
}

static int veth_teardown(void **state)
{
	(void)state;
	if (vt.home_fd >= 0) {
		if (vt.made_a && setns(vt.home_fd, CLONE_NEWNET) == 0) {
			char path[128];
			int fd;

			/* detach from inside the namespace, then drop it */
			snprintf(path, sizeof(path), "/run/netns/%s", vt.ns_a);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0 && setns(fd, CLONE_NEWNET) == 0)
				shield_loader_detach(vt.if_a, NULL);
			if (fd >= 0)
				close(fd);
		}
		setns(vt.home_fd, CLONE_NEWNET);
		close(vt.home_fd);
		vt.home_fd = -1;
	}
	if (vt.made_a)
		sh("ip netns del %s 2>/dev/null", vt.ns_a);
	if (vt.made_b)
		sh("ip netns del %s 2>/dev/null", vt.ns_b);
	vt.made_a = vt.made_b = false;
	return 0;
}

static int veth_setup(void **state)
{
	unsigned id = (unsigned)getpid() % 100000;

	(void)state;
	snprintf(vt.ns_a, sizeof(vt.ns_a), "dpshield-a-%u", id);
	snprintf(vt.ns_b, sizeof(vt.ns_b), "dpshield-b-%u", id);
	snprintf(vt.if_a, sizeof(vt.if_a), "dpsh%ua", id);
	snprintf(vt.if_b, sizeof(vt.if_b), "dpsh%ub", id);
	vt.home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (vt.home_fd < 0)
		return -1;
	if (sh("ip netns add %s", vt.ns_a))
		goto fail;
	vt.made_a = true;
	if (sh("ip netns add %s", vt.ns_b))
		goto fail;
	vt.made_b = true;
	if (sh("ip -n %s link add %s type veth peer name %s netns %s",
	       vt.ns_a, vt.if_a, vt.if_b, vt.ns_b) ||
	    sh("ip -n %s addr add 10.99.0.1/24 dev %s", vt.ns_a, vt.if_a) ||
	    sh("ip -n %s addr add 10.99.0.2/24 dev %s", vt.ns_b, vt.if_b) ||
	    sh("ip -n %s link set %s up && ip -n %s link set lo up", vt.ns_a,
	       vt.if_a, vt.ns_a) ||
	    sh("ip -n %s link set %s up && ip -n %s link set lo up", vt.ns_b,
	       vt.if_b, vt.ns_b))
		goto fail;
	return 0;
fail:
	veth_teardown(state);
	return -1;
}

static bool pin_exists(const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/%s", SHIELD_PIN_ROOT, vt.if_a, name);
	return stat(path, &st) == 0;
}

static const char *const pins[] = { "cfg_map",   "counters",  "src_buckets",
				    "pfx_buckets", "blocklist", "allowlist",
				    "xsks",      "verified",  "budget",
				    "hints",     "prog" };

static uint64_t counter(const char *ifname, enum shield_counter c)
{
	struct shield_loader *l;
	uint64_t v[SHIELD_COUNTER_MAX];

	assert_int_equal(shield_loader_open(&l, ifname, NULL), 0);
	assert_int_equal(shield_maps_counters(mp(l), v), 0);
	shield_loader_free(l);
	return v[c];
}

/* Send one UDP datagram of len bytes with byte 97 = ptype from the peer
 * namespace socket fd to 10.99.0.1:PORT. */
static void send_udp(int fd, size_t len, uint8_t ptype)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(PORT) };
	uint8_t buf[1500];

	memset(buf, 0xab, sizeof(buf));
	buf[97] = ptype;
	inet_pton(AF_INET, "10.99.0.1", &to.sin_addr);
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&to,
				sizeof(to)),
			 (ssize_t)len);
}

static bool recv_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t buf[2048];

	if (poll(&p, 1, ms) != 1)
		return false;
	return recv(fd, buf, sizeof(buf), 0) > 0;
}

/* Wait until counter c on the shield reaches at least want. */
static bool counter_reaches(enum shield_counter c, uint64_t want)
{
	for (int i = 0; i < 200; i++) {
		if (counter(vt.if_a, c) >= want)
			return true;
		usleep(5000);
	}
	return false;
}

#define UMEM_FRAMES 64

static void test_shield_loader_veth(void **state)
{
	struct shield_loader *l1, *l2, *l3;
	struct shield_cfg cfg;
	struct shield_lpm_key k = cidr("203.0.113.0/24");
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(PORT) };
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	struct xsk_umem *umem = NULL;
	struct xsk_socket *xsk = NULL;
	struct xsk_socket_config xcfg = {
		.rx_size = 64,
		.tx_size = 64,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	void *area;
	int peer_udp, peer_tcp, us_udp, us_tcp, n = 0;
	uint64_t base;
	uint32_t idx = 0;

	(void)state;
	shield_default_cfg(&cfg, PORT);

	/* Peer side sockets, made inside the peer namespace. */
	enter_ns(vt.ns_b);
	peer_udp = socket(AF_INET, SOCK_DGRAM, 0);
	peer_tcp = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(peer_udp >= 0 && peer_tcp >= 0);

	enter_ns(vt.ns_a);
	us_udp = socket(AF_INET, SOCK_DGRAM, 0);
	us_tcp = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "10.99.0.1", &a.sin_addr);
	assert_int_equal(bind(us_udp, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(bind(us_tcp, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(us_tcp, 4), 0);

	/* Fresh attach: dispatcher where the kernel allows it. */
	assert_int_equal(shield_loader_attach(&l1, vt.if_a, NULL,
					      SHIELD_MODE_AUTO, &cfg, 0),
			 0);
	assert_false(shield_loader_reattached(l1));
	{
		struct shield_cfg got;

		/* fresh: cfg goes in whole, whatever set says */
		assert_int_equal(shield_loader_get_cfg(l1, &got), 0);
		assert_int_equal(got.src_rate, SHIELD_DEFAULT_SRC_RATE);
		assert_int_equal(got.unk_burst, SHIELD_DEFAULT_UNK_BURST);
	}
	print_message("shield attached to %s in %s mode\n", vt.if_a,
		      shield_mode_name(shield_loader_mode(l1)));
	/* libxdp's dispatcher needs freplace (BPF_PROG_TYPE_EXT); without
	 * it the loader must have fallen back to one native program. */
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_EXT, NULL) == 1) {
		assert_int_equal(shield_loader_mode(l1), SHIELD_MODE_MULTI);
	} else {
		print_message("kernel lacks BPF_PROG_TYPE_EXT: no libxdp "
			      "dispatcher, single native program instead\n");
		assert_int_equal(shield_loader_mode(l1), SHIELD_MODE_NATIVE);
	}
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++)
		if (!pin_exists(pins[i]))
			fail_msg("pin %s missing", pins[i]);

	/* Real traffic through the veth: junk dropped, a good datagram and
	 * TCP to the RLPx port reach the kernel. */
	send_udp(peer_udp, 200, 9); /* bad type (also resolves ARP first) */
	assert_true(counter_reaches(SHIELD_DROP_TYPE, 1));
	assert_true(counter(vt.if_a, SHIELD_PASS_OTHER) >= 1); /* ARP */
	assert_false(recv_within(us_udp, 50));
	send_udp(peer_udp, 50, 1); /* too short */
	assert_true(counter_reaches(SHIELD_DROP_SIZE, 1));
	send_udp(peer_udp, 300, 1);
	assert_true(recv_within(us_udp, 1000));
	assert_int_equal(counter(vt.if_a, SHIELD_PASS_NO_XSK), 1);
	{
		struct sockaddr_in to = a;

		assert_int_equal(connect(peer_tcp, (struct sockaddr *)&to,
					 sizeof(to)),
				 0);
	}

	/* Restart: a second loader re-opens the same pinned maps. */
	assert_int_equal(shield_loader_attach(&l2, vt.if_a, NULL,
					      SHIELD_MODE_AUTO, NULL, 0),
			 0);
	assert_true(shield_loader_reattached(l2));
	assert_int_equal(shield_loader_mode(l2), shield_loader_mode(l1));
	assert_int_equal(shield_maps_ban(mp(l2), &k, 0, SHIELD_BAN_OPERATOR), 0);
	assert_int_equal(shield_maps_bans(mp(l1), count_ban, &n), 0);
	assert_int_equal(n, 1);
	/* The second instance's config reaches the running program. */
	cfg.src_rate = 1;
	cfg.src_burst = 1;
	assert_int_equal(shield_loader_set_cfg(l2, &cfg), 0);
	shield_loader_free(l1);
	shield_loader_free(l2);

	/* No process holds anything now: the pinned program still filters. */
	base = counter(vt.if_a, SHIELD_DROP_RATE_SOURCE);
	send_udp(peer_udp, 300, 2); /* the bucket's one token */
	assert_true(recv_within(us_udp, 1000));
	send_udp(peer_udp, 300, 2);
	assert_true(counter_reaches(SHIELD_DROP_RATE_SOURCE, base + 1));
	assert_false(recv_within(us_udp, 50));

	/* Re-attaching keeps the running config but for the fields the
	 * caller names: here the per-source rate only (0: off), not the
	 * port nor the prefix rate that this cfg also carries. */
	{
		struct shield_cfg want = cfg, got, c2;

		shield_default_cfg(&c2, PORT + 1);
		c2.src_rate = 0;
		c2.src_burst = 7;
		c2.pfx_rate = 123;
		assert_int_equal(shield_loader_attach(&l3, vt.if_a, NULL,
						      SHIELD_MODE_AUTO, &c2,
						      SHIELD_SET_SRC_RATE),
				 0);
		assert_true(shield_loader_reattached(l3));
		want.src_rate = 0;
		assert_int_equal(shield_loader_get_cfg(l3, &got), 0);
		assert_int_equal(got.discv4_port_be, htons(PORT));
		assert_int_equal(got.src_rate, 0);
		assert_int_equal(got.src_burst, want.src_burst);
		assert_int_equal(got.pfx_rate, want.pfx_rate);
		assert_int_equal(got.pfx_burst, want.pfx_burst);
		assert_int_equal(got.unk_rate, want.unk_rate);
		assert_int_equal(got.unk_burst, want.unk_burst);
		shield_loader_free(l3);
		/* A merge that leaves an invalid config is refused and
		 * changes nothing: a rate back on, over a burst of 0. */
		c2.src_rate = 5;
		c2.src_burst = 0;
		assert_int_equal(shield_loader_attach(&l3, vt.if_a, NULL,
						      SHIELD_MODE_AUTO, &c2,
						      SHIELD_SET_SRC_RATE |
							      SHIELD_SET_SRC_BURST),
				 -EINVAL);
		/* Nothing set: nothing changes. */
		assert_int_equal(shield_loader_attach(&l3, vt.if_a, NULL,
						      SHIELD_MODE_AUTO, &c2, 0),
				 0);
		assert_int_equal(shield_loader_get_cfg(l3, &got), 0);
		assert_int_equal(got.src_rate, 0);
		assert_int_equal(got.src_burst, want.src_burst);
		assert_int_equal(got.pfx_rate, want.pfx_rate);
		cfg = want;
	}

	/* An AF_XDP socket on queue 0 takes the surviving packets. */
	area = mmap(NULL, UMEM_FRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE,
		    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(area != MAP_FAILED);
	assert_int_equal(xsk_umem__create(&umem, area,
					  UMEM_FRAMES *
						  XSK_UMEM__DEFAULT_FRAME_SIZE,
					  &fill, &comp, NULL),
			 0);
	assert_int_equal(xsk_socket__create(&xsk, vt.if_a, 0, umem, &rx, &tx,
					    &xcfg),
			 0);
	assert_int_equal(xsk_ring_prod__reserve(&fill, 32, &idx), 32);
	for (uint32_t i = 0; i < 32; i++)
		*xsk_ring_prod__fill_addr(&fill, idx + i) =
			(uint64_t)i * XSK_UMEM__DEFAULT_FRAME_SIZE;
	xsk_ring_prod__submit(&fill, 32);
	assert_int_equal(shield_loader_set_xsk(l3, 0, xsk_socket__fd(xsk)), 0);
	base = counter(vt.if_a, SHIELD_REDIRECT);
	send_udp(peer_udp, 300, 3);
	assert_true(counter_reaches(SHIELD_REDIRECT, base + 1));
	{
		struct pollfd p = { .fd = xsk_socket__fd(xsk),
				    .events = POLLIN };
		const struct xdp_desc *d;

		assert_int_equal(poll(&p, 1, 1000), 1);
		assert_int_equal(xsk_ring_cons__peek(&rx, 1, &idx), 1);
		d = xsk_ring_cons__rx_desc(&rx, idx);
		/* Ethernet + IPv4 + UDP + 300 bytes, type byte intact */
		assert_int_equal(d->len, 14 + 20 + 8 + 300);
		assert_int_equal(((uint8_t *)xsk_umem__get_data(
					 area, d->addr))[14 + 20 + 8 + 97],
				 3);
		xsk_ring_cons__release(&rx, 1);
	}
	assert_false(recv_within(us_udp, 50)); /* went to AF_XDP, not UDP */
	xsk_socket__delete(xsk);
	xsk_umem__delete(umem);
	munmap(area, UMEM_FRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE);
	/* The socket closed: its slot empties and packets pass again. */
	send_udp(peer_udp, 300, 4);
	assert_true(recv_within(us_udp, 1000));
	shield_loader_free(l3);

	/* Clean detach: program gone from the interface, pins gone. */
	assert_int_equal(shield_loader_detach(vt.if_a, NULL), 0);
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++)
		if (pin_exists(pins[i]))
			fail_msg("pin %s left after detach", pins[i]);
	{
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		struct xdp_multiprog *mp;

		assert_int_equal(bpf_xdp_query((int)if_nametoindex(vt.if_a), 0,
					       &q),
				 0);
		assert_int_equal(q.prog_id, 0);
		mp = xdp_multiprog__get_from_ifindex(
			(int)if_nametoindex(vt.if_a));
		assert_true(libxdp_get_error(mp) != 0 || mp == NULL);
	}
	assert_int_equal(shield_loader_detach(vt.if_a, NULL), -ENOENT);
	assert_int_equal(shield_loader_open(&l1, vt.if_a, NULL), -ENOENT);
	send_udp(peer_udp, 200, 9); /* junk reaches the kernel socket now */
	assert_true(recv_within(us_udp, 1000));

	/* Forced single-program modes attach and detach too. */
	cfg.src_rate = SHIELD_DEFAULT_SRC_RATE;
	assert_int_equal(shield_loader_attach(&l1, vt.if_a, NULL,
					      SHIELD_MODE_GENERIC, &cfg, 0),
			 0);
	assert_int_equal(shield_loader_mode(l1), SHIELD_MODE_GENERIC);
	send_udp(peer_udp, 200, 9);
	assert_true(counter_reaches(SHIELD_DROP_TYPE, 1)); /* fresh maps */
	assert_false(recv_within(us_udp, 50));
	shield_loader_free(l1);
	assert_int_equal(shield_loader_detach(vt.if_a, NULL), 0);
	assert_int_equal(shield_loader_attach(&l1, vt.if_a, NULL,
					      SHIELD_MODE_NATIVE, &cfg, 0),
			 0);
	assert_int_equal(shield_loader_mode(l1), SHIELD_MODE_NATIVE);
	shield_loader_free(l1);
	assert_int_equal(shield_loader_detach(vt.if_a, NULL), 0);
	assert_false(pin_exists("prog"));

	close(peer_udp);
	close(peer_tcp);
	close(us_udp);
	close(us_tcp);
	enter_ns(NULL);
}

/* A fresh hints map next to reused pinned maps (pins left by a shield
 * older than the hints, whose program is gone) starts out covering what
 * they hold: the bans and verified sources written before still count.
 * A later restart re-opens the same hints as they are. */
static void test_shield_hints_reused_pins(void **state)
{
	struct shield_lpm_key ban = cidr("203.0.113.0/24");
	struct shield_bucket_key vk = src_key("192.0.2.7");
	struct fix fx = { 0 }, *f = &fx;
	struct shield_loader *l1, *l3;
	struct shield_hints *h;
	char path[256];

	(void)state;
	enter_ns(vt.ns_a);
	shield_default_cfg(&fx.cfg, PORT);
	fx.cfg.src_rate = 0;
	fx.cfg.pfx_rate = 1;
	fx.cfg.pfx_burst = 1;
	fx.cfg.unk_rate = 0;
	assert_int_equal(shield_loader_attach(&l1, vt.if_a, NULL,
					      SHIELD_MODE_GENERIC, &fx.cfg, 0),
			 0);
	assert_int_equal(shield_maps_ban(mp(l1), &ban, 0, SHIELD_BAN_OPERATOR), 0);
	assert_int_equal(shield_maps_verify(mp(l1), &vk,
					      shield_loader_now(l1) + 3600 * NS),
			 0);
	shield_loader_free(l1);
	/* The program goes, its pins stay; no hints among them. */
	assert_int_equal(bpf_xdp_detach((int)if_nametoindex(vt.if_a),
					XDP_FLAGS_SKB_MODE, NULL),
			 0);
	snprintf(path, sizeof(path), "%s/%s/hints", SHIELD_PIN_ROOT, vt.if_a);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/%s/prog", SHIELD_PIN_ROOT, vt.if_a);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(shield_loader_attach(&fx.l, vt.if_a, NULL,
					      SHIELD_MODE_GENERIC, &fx.cfg, 0),
			 0);
	assert_false(shield_loader_reattached(fx.l));
	assert_true(pin_exists("hints"));
	assert_int_equal(map_entries(f, "blocklist"), 1); /* reused */
	h = hints_of(shield_loader_prog_fd(fx.l));
	assert_int_equal(h->ready, 1);
	assert_int_equal(h->blocks, 1);
	DROP(f, SHIELD_DROP_BLOCKED, .fam = 4, .src = "203.0.113.5");
	PASS_OK(f, .fam = 4, .src = "192.0.2.1"); /* drains the /24 */
	PASS_OK(f, .fam = 4, .src = "192.0.2.7");  /* verified */
	DROP(f, SHIELD_DROP_RATE_PREFIX, .fam = 4, .src = "192.0.2.2");

	/* Restart: the same hints, counted once. */
	assert_int_equal(shield_loader_attach(&l3, vt.if_a, NULL,
					      SHIELD_MODE_AUTO, NULL, 0),
			 0);
	assert_true(shield_loader_reattached(l3));
	assert_int_equal(h->blocks, 1);
	{
		struct shield_lpm_key b2 = cidr("198.51.100.0/24");

		assert_int_equal(shield_maps_ban(mp(l3), &b2, 0,
						   SHIELD_BAN_OPERATOR),
				 0);
	}
	assert_int_equal(h->blocks, 2);
	DROP(f, SHIELD_DROP_BLOCKED, .fam = 4, .src = "198.51.100.5");
	shield_loader_free(l3);
	shield_maps_hints_munmap(h);
	shield_loader_free(fx.l);
	assert_int_equal(shield_loader_detach(vt.if_a, NULL), 0);
	assert_false(pin_exists("hints"));
	enter_ns(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shield_cidr_parse),
		cmocka_unit_test_setup_teardown(
			test_shield_valid_discovery_passes_without_xsk, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_shield_other_traffic_passes_untouched, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_shield_drops_bad_size,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_shield_drops_bad_type,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_shield_discv5, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shield_source_bucket,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_shield_prefix_bucket,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_shield_refill_exact, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shield_refill_real_clock,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_shield_bucket_clock,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_shield_blocklist_and_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shield_allowlist, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shield_config_validation,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_shield_verified_bypass,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_shield_budget_reserve,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_shield_redirect_verified,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_shield_allowlist_owners,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_shield_hints_blocklist_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shield_hints_same_verdicts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_shield_hints_verified_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shield_loader_veth,
						veth_setup, veth_teardown),
		cmocka_unit_test_setup_teardown(test_shield_hints_reused_pins,
						veth_setup, veth_teardown),
	};
	struct shield_loader *l;
	struct shield_cfg cfg;
	int rc;

	/* Skip only when BPF itself is out of reach (no CAP_BPF, or a
	 * kernel without BPF_PROG_TEST_RUN for XDP); everything else fails. */
	shield_default_cfg(&cfg, PORT);
	rc = shield_loader_new(&l, &cfg);
	if (rc == -EPERM || rc == -EACCES) {
		fprintf(stderr, "skip: cannot load BPF programs (%s); "
				"run as root or with CAP_BPF+CAP_NET_ADMIN\n",
			strerror(-rc));
		return 77;
	}
	if (rc < 0) {
		fprintf(stderr, "shield_loader_new: %s\n", strerror(-rc));
		return 1;
	}
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
			    .data_size_in = 64, .repeat = 1);

		if (bpf_prog_test_run_opts(shield_loader_prog_fd(l), &o) < 0 &&
		    (errno == 524 /* ENOTSUPP */ || errno == EOPNOTSUPP ||
		     errno == EINVAL)) {
			fprintf(stderr, "skip: kernel lacks BPF_PROG_TEST_RUN "
					"for XDP (%s)\n",
				strerror(errno));
			shield_loader_free(l);
			return 77;
		}
	}
	shield_loader_free(l);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
