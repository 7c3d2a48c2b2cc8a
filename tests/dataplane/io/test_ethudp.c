/* SPDX-License-Identifier: MIT */
/* tests/dataplane/io/test_ethudp.c - the frame codec of the xdp and dpdk backends (no NIC): build and parse, VLAN, IPv4/IPv6, checksums against an independent implementation; listen matching and source choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "dataplane/io/ethudp.h"

/* ---- an independent RFC 1071 checksum: 32-bit words, 64-bit sum ---- */

static uint64_t ref_sum(uint64_t acc, const uint8_t *p, size_t len)
{
	size_t i = 0;

	for (; i + 4 <= len; i += 4)
		acc += (uint64_t)p[i] << 24 | (uint64_t)p[i + 1] << 16 |
		       (uint64_t)p[i + 2] << 8 | p[i + 3];
	for (; i < len; i++)
		acc += (uint64_t)p[i] << (8 * (3 - (i & 3)));
	return acc;
}

static uint16_t ref_fold(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;                 /* one's complement sum */
}

/* ref_ok() is true when data (with its checksum field filled in) sums
 * to 0xffff, i.e. verifies as a receiver checks it. */
static int ref_ok(uint64_t acc)
{
	return ref_fold(acc) == 0xffff;
}

static uint64_t ref_udp_pseudo(const uint8_t *ip, int v6, size_t ulen)
{
	uint8_t ph[40];
	size_t n;

	if (v6) {
		memcpy(ph, ip + 8, 32);         /* src, dst */
		ph[32] = ph[33] = 0;
		ph[34] = (uint8_t)(ulen >> 8);
		ph[35] = (uint8_t)ulen;
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = 17;
		n = 40;
	} else {
		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = 17;
		ph[10] = (uint8_t)(ulen >> 8);
		ph[11] = (uint8_t)ulen;
		n = 12;
	}
	return ref_sum(0, ph, n);
}

#define htons_(x) ((uint16_t)((((x) & 0xff) << 8) | ((x) >> 8)))

static void hdrs4(struct ethudp_hdrs *h, const uint8_t s[4],
		  const uint8_t d[4])
{
	memset(h, 0, sizeof(*h));
	memcpy(h->dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(h->src_mac, "\x02\x00\x00\x00\x00\x01", 6);
	h->src_addr[10] = h->src_addr[11] = 0xff;
	h->dst_addr[10] = h->dst_addr[11] = 0xff;
	memcpy(h->src_addr + 12, s, 4);
	memcpy(h->dst_addr + 12, d, 4);
	h->src_port_be = htons_(30303);
	h->dst_port_be = htons_(30304);
}

static void hdrs6(struct ethudp_hdrs *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(h->src_mac, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(h->src_addr, "\x20\x01\x0d\xb8\x00\x00\x00\x00"
			    "\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	memcpy(h->dst_addr, "\x20\x01\x0d\xb8\x00\x00\x00\x00"
			    "\xff\xff\x00\x00\xab\xcd\x00\x02", 16);
	h->src_port_be = htons_(30303);
	h->dst_port_be = htons_(65535);
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 3));
}

/* The IPv4 header of the well-known RFC 1071 example (Wikipedia's
 * "IPv4 header checksum"): 4500 0073 0000 4000 4011 b861 c0a8 0001
 * c0a8 00c7 -> checksum 0xb861. build() writes exactly these fields for
 * an 87-byte payload, TTL 64, 192.168.0.1 -> 192.168.0.199. */
static void test_ipv4_known_checksum(void **st)
{
	static const uint8_t want[20] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};
	struct ethudp_hdrs h;
	uint8_t f[256], pl[87];
	ssize_t n;

	(void)st;
	hdrs4(&h, (const uint8_t *)"\xc0\xa8\x00\x01",
	      (const uint8_t *)"\xc0\xa8\x00\xc7");
	fill(pl, sizeof(pl), 1);
	n = ethudp_build(f, sizeof(f), &h, pl, sizeof(pl));
	assert_int_equal(n, 14 + 20 + 8 + 87);
	assert_memory_equal(f + 14, want, 20);
	assert_memory_equal(f, h.dst_mac, 6);
	assert_memory_equal(f + 6, h.src_mac, 6);
	assert_int_equal(f[12], 0x08);
	assert_int_equal(f[13], 0x00);
}

static void check_v4(size_t plen, uint8_t seed)
{
	struct ethudp_hdrs h;
	struct ethudp_l4 l;
	uint8_t f[2048], pl[1500] = { 0 };
	const uint8_t *ip = f + 14, *udp = f + 34;
	ssize_t n;

	hdrs4(&h, (const uint8_t *)"\x0a\x4d\x00\x01",
	      (const uint8_t *)"\xcb\x00\x71\xfe");
	h.ttl = 7;
	fill(pl, plen, seed);
	n = ethudp_build(f, sizeof(f), &h, pl, plen);
	assert_int_equal(n, (ssize_t)(42 + plen));
	assert_int_equal(ip[8], 7);
	assert_true(ref_ok(ref_sum(0, ip, 20)));
	assert_int_equal((udp[4] << 8 | udp[5]), 8 + plen);
	assert_false(udp[6] == 0 && udp[7] == 0);
	assert_true(ref_ok(ref_udp_pseudo(ip, 0, 8 + plen) +
			   ref_sum(0, udp, 8 + plen)));
	/* One flipped payload bit breaks it (the check can fail). */
	if (plen) {
		f[42] ^= 0x10;
		assert_false(ref_ok(ref_udp_pseudo(ip, 0, 8 + plen) +
				    ref_sum(0, udp, 8 + plen)));
		f[42] ^= 0x10;
	}
	assert_int_equal(ethudp_parse(&l, f, (size_t)n), 42);
	assert_int_equal(l.payload_off, 42);
	assert_int_equal(l.payload_len, plen);
	assert_memory_equal(l.src_addr, h.src_addr, 16);
	assert_memory_equal(l.dst_addr, h.dst_addr, 16);
	assert_int_equal(l.src_port_be, h.src_port_be);
	assert_int_equal(l.dst_port_be, h.dst_port_be);
	assert_memory_equal(f + l.payload_off, pl, plen);
}

static void test_ipv4_build_parse(void **st)
{
	(void)st;
	/* Odd and even lengths, empty, discv4's minimum and maximum. */
	check_v4(0, 3);
	check_v4(1, 9);
	check_v4(98, 0x80);
	check_v4(99, 0xff);
	check_v4(1280, 0x42);
	check_v4(1457, 0x11);
}

static void check_v6(size_t plen, uint8_t seed)
{
	struct ethudp_hdrs h;
	struct ethudp_l4 l;
	uint8_t f[2048], pl[1500] = { 0 };
	const uint8_t *ip = f + 14, *udp = f + 54;
	ssize_t n;

	hdrs6(&h);
	fill(pl, plen, seed);
	n = ethudp_build(f, sizeof(f), &h, pl, plen);
	assert_int_equal(n, (ssize_t)(62 + plen));
	assert_int_equal(f[12], 0x86);
	assert_int_equal(f[13], 0xdd);
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal(ip[6], 17);
	assert_int_equal(ip[7], 64);
	assert_int_equal((ip[4] << 8 | ip[5]), 8 + plen);
	assert_false(udp[6] == 0 && udp[7] == 0);  /* mandatory in IPv6 */
	assert_true(ref_ok(ref_udp_pseudo(ip, 1, 8 + plen) +
			   ref_sum(0, udp, 8 + plen)));
	assert_int_equal(ethudp_parse(&l, f, (size_t)n), 62);
	assert_int_equal(l.payload_len, plen);
	assert_memory_equal(l.src_addr, h.src_addr, 16);
	assert_memory_equal(l.dst_addr, h.dst_addr, 16);
	assert_int_equal(l.dst_port_be, h.dst_port_be);
	assert_memory_equal(f + 62, pl, plen);
}

static void test_ipv6_build_parse(void **st)
{
	(void)st;
	check_v6(0, 1);
	check_v6(1, 2);
	check_v6(98, 3);
	check_v6(1280, 4);
	check_v6(1437, 5);
}

/* The payload may already sit where build() puts it (in place). */
static void test_build_in_place(void **st)
{
	struct ethudp_hdrs h;
	uint8_t f[512], pl[200];
	ssize_t n;

	(void)st;
	hdrs6(&h);
	fill(pl, sizeof(pl), 77);
	memcpy(f + 62, pl, sizeof(pl));
	n = ethudp_build(f, sizeof(f), &h, f + 62, sizeof(pl));
	assert_int_equal(n, 62 + 200);
	assert_memory_equal(f + 62, pl, sizeof(pl));
	assert_true(ref_ok(ref_udp_pseudo(f + 14, 1, 208) +
			   ref_sum(0, f + 54, 208)));
}

static void test_build_errors(void **st)
{
	struct ethudp_hdrs h;
	uint8_t f[256], pl[300] = { 0 };

	(void)st;
	hdrs4(&h, (const uint8_t *)"\x01\x02\x03\x04",
	      (const uint8_t *)"\x05\x06\x07\x08");
	/* Families differ. */
	memset(h.src_addr, 0x20, 12);
	assert_int_equal(ethudp_build(f, sizeof(f), &h, pl, 10),
			 -EINVAL);
	hdrs4(&h, (const uint8_t *)"\x01\x02\x03\x04",
	      (const uint8_t *)"\x05\x06\x07\x08");
	/* Does not fit cap: exactly fits, one over. */
	assert_int_equal(ethudp_build(f, 42 + 10, &h, pl, 10), 52);
	assert_int_equal(ethudp_build(f, 42 + 9, &h, pl, 10),
			 -EMSGSIZE);
	assert_int_equal(ethudp_build(f, sizeof(f), &h, pl, 300),
			 -EMSGSIZE);
	assert_int_equal(ethudp_hdr_len(h.dst_addr), 42);
	hdrs6(&h);
	assert_int_equal(ethudp_hdr_len(h.dst_addr), 62);
}

/* insert_vlan() turns an untagged frame into a tagged one (tpid). */
static size_t insert_vlan(uint8_t *f, size_t n, uint16_t tpid)
{
	memmove(f + 16, f + 12, n - 12);
	f[12] = (uint8_t)(tpid >> 8);
	f[13] = (uint8_t)tpid;
	f[14] = 0x20;                   /* PCP 1, VID 0x005 */
	f[15] = 0x05;
	return n + 4;
}

static void test_vlan(void **st)
{
	static const uint16_t tpids[2] = { 0x8100, 0x88a8 };
	struct ethudp_hdrs h;
	struct ethudp_l4 l;
	uint8_t f[512], pl[120];

	(void)st;
	fill(pl, sizeof(pl), 5);
	for (int t = 0; t < 2; t++) {
		ssize_t n;
		size_t m;

		hdrs4(&h, (const uint8_t *)"\x0a\x00\x00\x01",
		      (const uint8_t *)"\x0a\x00\x00\x02");
		n = ethudp_build(f, sizeof(f), &h, pl, sizeof(pl));
		assert_true(n > 0);
		m = insert_vlan(f, (size_t)n, tpids[t]);
		assert_int_equal(ethudp_parse(&l, f, m), 46);
		assert_int_equal(l.payload_len, sizeof(pl));
		assert_memory_equal(f + 46, pl, sizeof(pl));
		assert_memory_equal(l.src_addr + 12, "\x0a\x00\x00\x01", 4);
		/* Truncated inside the tag. */
		assert_int_equal(ethudp_parse(&l, f, 16), -EBADMSG);

		hdrs6(&h);
		n = ethudp_build(f, sizeof(f), &h, pl, sizeof(pl));
		m = insert_vlan(f, (size_t)n, tpids[t]);
		assert_int_equal(ethudp_parse(&l, f, m), 66);
		assert_memory_equal(l.dst_addr, h.dst_addr, 16);
	}
	/* Two tags (QinQ): the inner one is not IP, so not ours. */
	hdrs4(&h, (const uint8_t *)"\x0a\x00\x00\x01",
	      (const uint8_t *)"\x0a\x00\x00\x02");
	{
		ssize_t n = ethudp_build(f, sizeof(f), &h, pl, 20);
		size_t m = insert_vlan(f, (size_t)n, 0x8100);

		m = insert_vlan(f, m, 0x88a8);
		assert_int_equal(ethudp_parse(&l, f, m),
				 -EPROTONOSUPPORT);
	}
}

static ssize_t v4_frame(uint8_t *f, size_t cap, size_t plen)
{
	struct ethudp_hdrs h;
	uint8_t pl[256];

	hdrs4(&h, (const uint8_t *)"\x0a\x00\x00\x01",
	      (const uint8_t *)"\x0a\x00\x00\x02");
	fill(pl, plen, 1);
	return ethudp_build(f, cap, &h, pl, plen);
}

static void test_parse_ipv4_edges(void **st)
{
	struct ethudp_l4 l;
	uint8_t f[512], g[512];
	ssize_t n;

	(void)st;
	n = v4_frame(f, sizeof(f), 100);
	assert_int_equal(n, 142);
	/* Ethernet padding after the IP packet is fine. */
	memset(f + n, 0, 20);
	assert_int_equal(ethudp_parse(&l, f, (size_t)n + 20), 42);
	assert_int_equal(l.payload_len, 100);
	/* Every truncation is -EBADMSG. */
	for (size_t k = 0; k < (size_t)n; k++)
		assert_int_equal(ethudp_parse(&l, f, k), -EBADMSG);

	/* IHL 6 (one option word): payload moves by 4. */
	memcpy(g, f, 34);
	memset(g + 34, 1, 4);           /* NOP options */
	memcpy(g + 38, f + 34, (size_t)n - 34);
	g[14] = 0x46;
	g[16] = 0;
	g[17] = (uint8_t)(128 + 4);
	assert_int_equal(ethudp_parse(&l, g, (size_t)n + 4), 46);
	assert_int_equal(l.payload_len, 100);

	/* IHL under 5, version 6 in an IPv4 ethertype. */
	memcpy(g, f, (size_t)n);
	g[14] = 0x44;
	assert_int_equal(ethudp_parse(&l, g, (size_t)n), -EBADMSG);
	g[14] = 0x65;
	assert_int_equal(ethudp_parse(&l, g, (size_t)n), -EBADMSG);
	/* Total length beyond the frame. */
	memcpy(g, f, (size_t)n);
	g[17] += 1;
	assert_int_equal(ethudp_parse(&l, g, (size_t)n), -EBADMSG);
	/* UDP length beyond the IP payload, and under 8. */
	memcpy(g, f, (size_t)n);
	g[39] += 1;
	assert_int_equal(ethudp_parse(&l, g, (size_t)n), -EBADMSG);
	g[38] = 0;
	g[39] = 7;
	assert_int_equal(ethudp_parse(&l, g, (size_t)n), -EBADMSG);
	/* A shorter UDP length inside the IP payload is what it says. */
	memcpy(g, f, (size_t)n);
	g[39] -= 10;
	assert_int_equal(ethudp_parse(&l, g, (size_t)n), 42);
	assert_int_equal(l.payload_len, 90);
	/* Fragments (MF, or an offset) and other protocols are not ours. */
	memcpy(g, f, (size_t)n);
	g[20] |= 0x20;
	assert_int_equal(ethudp_parse(&l, g, (size_t)n),
			 -EPROTONOSUPPORT);
	memcpy(g, f, (size_t)n);
	g[21] = 1;
	assert_int_equal(ethudp_parse(&l, g, (size_t)n),
			 -EPROTONOSUPPORT);
	memcpy(g, f, (size_t)n);
	g[23] = 6;                      /* TCP */
	assert_int_equal(ethudp_parse(&l, g, (size_t)n),
			 -EPROTONOSUPPORT);
	memcpy(g, f, (size_t)n);
	g[12] = 0x08;
	g[13] = 0x06;                   /* ARP */
	assert_int_equal(ethudp_parse(&l, g, (size_t)n),
			 -EPROTONOSUPPORT);
}

static void test_parse_ipv6_edges(void **st)
{
	struct ethudp_hdrs h;
	struct ethudp_l4 l;
	uint8_t f[512], g[512], pl[64];
	ssize_t n;

	(void)st;
	hdrs6(&h);
	fill(pl, sizeof(pl), 9);
	n = ethudp_build(f, sizeof(f), &h, pl, sizeof(pl));
	assert_int_equal(n, 62 + 64);
	for (size_t k = 0; k < (size_t)n; k++)
		assert_int_equal(ethudp_parse(&l, f, k), -EBADMSG);
	/* Payload length beyond the frame. */
	memcpy(g, f, (size_t)n);
	g[19] += 1;
	assert_int_equal(ethudp_parse(&l, g, (size_t)n), -EBADMSG);
	/* An extension header first (hop-by-hop) is not parsed. */
	memcpy(g, f, (size_t)n);
	g[20] = 0;
	assert_int_equal(ethudp_parse(&l, g, (size_t)n),
			 -EPROTONOSUPPORT);
	/* Version 4 inside an IPv6 ethertype. */
	memcpy(g, f, (size_t)n);
	g[14] = 0x40;
	assert_int_equal(ethudp_parse(&l, g, (size_t)n), -EBADMSG);
	/* An IPv4-mapped source or destination (::ffff:a.b.c.d) in an IPv6
	 * header would pass for an IPv4 peer or listen address. */
	for (size_t at = 22; at <= 38; at += 16) {
		memcpy(g, f, (size_t)n);
		memset(g + at, 0, 10);
		g[at + 10] = g[at + 11] = 0xff;
		assert_int_equal(ethudp_parse(&l, g, (size_t)n), -EBADMSG);
	}
	assert_int_equal(ethudp_parse(&l, f, (size_t)n), 62);
}

static void v4addr(uint8_t a[16], uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = x;
	a[13] = y;
	a[14] = z;
	a[15] = w;
}

/* Listen matching: the exact address wins where it comes first, a
 * wildcard takes its own family only, the port must match. */
static void test_match(void **st)
{
	struct dplink_listen ls[4];
	struct ethudp_l4 l;
	static const struct {
		uint8_t dst[16];
		uint16_t port;
		int want;
	} rows[] = {
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1 },
		  30303, 0 },
		/* another v4 address on 30303: no entry has it */
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 9 },
		  30303, -1 },
		/* any v4 address on 30304: the v4 wildcard */
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 9 },
		  30304, 1 },
		/* v6 on 30304: the v6 wildcard, not the v4 one */
		{ { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 }, 30304, 2 },
		{ { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 }, 30303, -1 },
		{ { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 }, 30305, 3 },
		{ { 0x20, 0x01, 0x0d, 0xb8, [15] = 6 }, 30305, -1 },
	};

	(void)st;
	memset(ls, 0, sizeof(ls));
	v4addr(ls[0].addr, 10, 0, 0, 1);
	ls[0].port_be = htons_(30303);
	v4addr(ls[1].addr, 0, 0, 0, 0);
	ls[1].port_be = htons_(30304);
	ls[2].port_be = htons_(30304);                  /* :: */
	memcpy(ls[3].addr, rows[5].dst, 16);
	ls[3].port_be = htons_(30305);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&l, 0, sizeof(l));
		memcpy(l.dst_addr, rows[i].dst, 16);
		l.dst_port_be = htons_(rows[i].port);
		assert_int_equal(ethudp_match(ls, 4, &l), rows[i].want);
	}
	assert_true(ethudp_is_any(ls[1].addr));
	assert_true(ethudp_is_any(ls[2].addr));
	assert_false(ethudp_is_any(ls[0].addr));
	assert_true(ethudp_is_v4(ls[1].addr));
	assert_false(ethudp_is_v4(ls[2].addr));
}

/* Source choice: a bound address as is, a wildcard takes the interface's
 * address of the peer's family, a family mismatch is refused. */
static void test_src_addr(void **st)
{
	struct neigh_if itf;
	struct dplink_listen l;
	uint8_t peer4[16], peer6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
	uint8_t out[16], want[16];

	(void)st;
	memset(&itf, 0, sizeof(itf));
	memset(&l, 0, sizeof(l));
	v4addr(peer4, 192, 0, 2, 7);
	v4addr(l.addr, 10, 0, 0, 1);
	assert_int_equal(ethudp_src_addr(out, &l, peer4, &itf), 0);
	assert_memory_equal(out, l.addr, 16);
	assert_int_equal(ethudp_src_addr(out, &l, peer6, &itf), -EAFNOSUPPORT);
	v4addr(l.addr, 0, 0, 0, 0);
	assert_int_equal(ethudp_src_addr(out, &l, peer4, &itf), -EAFNOSUPPORT);
	itf.has_ip4 = true;
	memcpy(itf.ip4, "\x0a\x4d\x00\x01", 4);
	assert_int_equal(ethudp_src_addr(out, &l, peer4, &itf), 0);
	v4addr(want, 10, 77, 0, 1);
	assert_memory_equal(out, want, 16);
	memset(l.addr, 0, 16);                          /* :: */
	assert_int_equal(ethudp_src_addr(out, &l, peer6, &itf), -EAFNOSUPPORT);
	itf.has_ip6 = true;
	memcpy(itf.ip6, peer6, 16);
	itf.ip6[15] = 1;
	assert_int_equal(ethudp_src_addr(out, &l, peer6, &itf), 0);
	assert_memory_equal(out, itf.ip6, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_known_checksum),
		cmocka_unit_test(test_ipv4_build_parse),
		cmocka_unit_test(test_ipv6_build_parse),
		cmocka_unit_test(test_build_in_place),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_parse_ipv4_edges),
		cmocka_unit_test(test_parse_ipv6_edges),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_src_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
