/* SPDX-License-Identifier: MIT */
/* control/base/netutil.c - IP address classes, subnets and CIDR lists (geth's p2p/netutil). */
#include "control/base/netutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

#define V4(a, b, c, d, n)                                                     \
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d }, n, true }
#define V6(h0, h1, h2, h3, n)                                                 \
	{ { (h0) >> 8, (h0) & 0xff, (h1) >> 8, (h1) & 0xff,                    \
	    (h2) >> 8, (h2) & 0xff, (h3) >> 8, (h3) & 0xff,                    \
	    0, 0, 0, 0, 0, 0, 0, 0 }, n, false }

/* RFC 5735, RFC 5156 and the IANA IPv4 special-purpose registry, as geth's
 * special4 list. */
static const struct netutil_prefix special4[] = {
	V4(0, 0, 0, 0, 8),              /* "this" network */
	V4(192, 0, 0, 0, 29),           /* IPv4 service continuity */
	V4(192, 0, 0, 9, 32),           /* PCP anycast */
	V4(192, 0, 0, 170, 32),         /* NAT64/DNS64 discovery */
	V4(192, 0, 0, 171, 32),         /* NAT64/DNS64 discovery */
	V4(192, 0, 2, 0, 24),           /* TEST-NET-1 */
	V4(192, 31, 196, 0, 24),        /* AS112 */
	V4(192, 52, 193, 0, 24),        /* AMT */
	V4(192, 88, 99, 0, 24),         /* 6to4 relay anycast */
	V4(192, 175, 48, 0, 24),        /* AS112 */
	V4(198, 18, 0, 0, 15),          /* device benchmark testing */
	V4(198, 51, 100, 0, 24),        /* TEST-NET-2 */
	V4(203, 0, 113, 0, 24),         /* TEST-NET-3 */
	V4(255, 255, 255, 255, 32),     /* limited broadcast */
};

/* The IANA IPv6 special-purpose registry, as geth's special6 list. The
 * 2001:1::1/128 host entry has its low word set separately below. */
static const struct netutil_prefix special6[] = {
	V6(0x0100, 0, 0, 0, 64),
	V6(0x2001, 0, 0, 0, 32),
	V6(0x2001, 0x0002, 0, 0, 48),
	V6(0x2001, 0x0003, 0, 0, 32),
	V6(0x2001, 0x0004, 0x0112, 0, 48),
	V6(0x2001, 0x0005, 0, 0, 32),
	V6(0x2001, 0x0010, 0, 0, 28),
	V6(0x2001, 0x0020, 0, 0, 28),
	V6(0x2001, 0x0db8, 0, 0, 32),
	V6(0x2002, 0, 0, 0, 16),
};

/* 2001:1::1/128 (port control protocol anycast). */
static const uint8_t pcp_anycast6[16] = {
	0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
};

bool netutil_addr_is_v4(const uint8_t a[NETUTIL_ADDR_LEN])
{
	return memcmp(a, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

void netutil_addr_from_v4(uint8_t out[NETUTIL_ADDR_LEN], const uint8_t v4[4])
{
	memcpy(out, v4_mapped_prefix, sizeof(v4_mapped_prefix));
	memcpy(out + 12, v4, 4);
}

int netutil_addr_parse(uint8_t out[NETUTIL_ADDR_LEN], const char *s, size_t len)
{
	char buf[NETUTIL_ADDRSTRLEN];
	uint8_t v4[4];

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* glibc's inet_pton rejects leading zeros in IPv4 octets, as Go does. */
	if (inet_pton(AF_INET, buf, v4) == 1) {
		netutil_addr_from_v4(out, v4);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out) == 1)
		return 0;
	return -EINVAL;
}

char *netutil_addr_format(char out[NETUTIL_ADDRSTRLEN], const uint8_t a[NETUTIL_ADDR_LEN])
{
	if (netutil_addr_is_v4(a))
		inet_ntop(AF_INET, a + 12, out, NETUTIL_ADDRSTRLEN);
	else
		inet_ntop(AF_INET6, a, out, NETUTIL_ADDRSTRLEN);
	return out;
}

/* prefix_match() compares the first bits bits of a and b (bits <= 128). */
static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned nb = bits / 8, rem = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, nb) != 0)
		return false;
	if (rem == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rem));
	return ((a[nb] ^ b[nb]) & mask) == 0;
}

bool netutil_prefix_contains(const struct netutil_prefix *p,
			     const uint8_t a[NETUTIL_ADDR_LEN])
{
	bool v4 = netutil_addr_is_v4(a);

	if (v4 != p->v4)
		return false;
	if (v4)
		return prefix_match(p->addr + 12, a + 12, p->bits);
	return prefix_match(p->addr, a, p->bits);
}

bool netutil_is_unspecified(const uint8_t a[NETUTIL_ADDR_LEN])
{
	static const uint8_t zero[NETUTIL_ADDR_LEN];

	if (netutil_addr_is_v4(a))
		return memcmp(a + 12, zero, 4) == 0;
	return memcmp(a, zero, NETUTIL_ADDR_LEN) == 0;
}

bool netutil_is_loopback(const uint8_t a[NETUTIL_ADDR_LEN])
{
	static const uint8_t lo6[NETUTIL_ADDR_LEN] = { [15] = 1 };

	if (netutil_addr_is_v4(a))
		return a[12] == 127;
	return memcmp(a, lo6, NETUTIL_ADDR_LEN) == 0;
}

bool netutil_is_lan(const uint8_t a[NETUTIL_ADDR_LEN])
{
	if (netutil_is_loopback(a))
		return true;
	if (netutil_addr_is_v4(a)) {
		const uint8_t *v = a + 12;

		return v[0] == 10 ||                            /* 10/8 */
		       (v[0] == 172 && (v[1] & 0xf0) == 16) ||  /* 172.16/12 */
		       (v[0] == 192 && v[1] == 168) ||          /* 192.168/16 */
		       (v[0] == 169 && v[1] == 254);            /* link-local */
	}
	return (a[0] & 0xfe) == 0xfc ||                         /* fc00::/7 */
	       (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);         /* fe80::/10 */
}

bool netutil_is_special(const uint8_t a[NETUTIL_ADDR_LEN])
{
	size_t i;

	if (netutil_addr_is_v4(a)) {
		if ((a[12] & 0xf0) == 0xe0)                     /* 224/4 */
			return true;
		for (i = 0; i < sizeof(special4) / sizeof(special4[0]); i++)
			if (netutil_prefix_contains(&special4[i], a))
				return true;
		return false;
	}
	if (a[0] == 0xff)                                       /* ff00::/8 */
		return true;
	if (memcmp(a, pcp_anycast6, NETUTIL_ADDR_LEN) == 0)
		return true;
	for (i = 0; i < sizeof(special6) / sizeof(special6[0]); i++)
		if (netutil_prefix_contains(&special6[i], a))
			return true;
	return false;
}

enum netutil_relay netutil_check_relay(const uint8_t sender[NETUTIL_ADDR_LEN],
				       const uint8_t addr[NETUTIL_ADDR_LEN])
{
	if (netutil_is_unspecified(addr))
		return NETUTIL_RELAY_UNSPECIFIED;
	if (netutil_is_special(addr))
		return NETUTIL_RELAY_SPECIAL;
	if (netutil_is_loopback(addr) && !netutil_is_loopback(sender))
		return NETUTIL_RELAY_LOOPBACK;
	if (netutil_is_lan(addr) && !netutil_is_lan(sender))
		return NETUTIL_RELAY_LAN;
	return NETUTIL_RELAY_OK;
}

/* mask_bits() clears every bit of p[0..len) after the first bits. */
static void mask_bits(uint8_t *p, size_t len, unsigned bits)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		p[i] &= (uint8_t)(0xff << (8 - bits));
		bits = 0;
	}
}

void netutil_subnet(uint8_t out[NETUTIL_ADDR_LEN], const uint8_t a[NETUTIL_ADDR_LEN],
		    unsigned bits)
{
	memcpy(out, a, NETUTIL_ADDR_LEN);
	if (netutil_addr_is_v4(a))
		mask_bits(out + 12, 4, bits > 32 ? 32 : bits);
	else
		mask_bits(out, NETUTIL_ADDR_LEN, bits > 128 ? 128 : bits);
}

bool netutil_same_net(unsigned bits, const uint8_t a[NETUTIL_ADDR_LEN],
		      const uint8_t b[NETUTIL_ADDR_LEN])
{
	bool v4 = netutil_addr_is_v4(a);

	if (v4 != netutil_addr_is_v4(b))
		return false;
	if (v4)
		return bits <= 32 && prefix_match(a + 12, b + 12, bits);
	return bits <= 128 && prefix_match(a, b, bits);
}

uint32_t netutil_subnet24_key(const uint8_t a[NETUTIL_ADDR_LEN])
{
	const uint8_t *p = netutil_addr_is_v4(a) ? a + 12 : a;
	uint32_t key = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];

	return netutil_addr_is_v4(a) ? key : key | 1u << 24;
}

int netutil_prefix_parse(struct netutil_prefix *out, const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	size_t alen, i, blen;
	unsigned bits = 0, max;
	uint8_t addr[NETUTIL_ADDR_LEN];

	if (!slash)
		return -EINVAL;
	alen = (size_t)(slash - s);
	blen = len - alen - 1;
	/* Go accepts "0" but no sign, no leading zero and nothing else. */
	if (blen == 0 || blen > 3 || (blen > 1 && slash[1] == '0'))
		return -EINVAL;
	for (i = 0; i < blen; i++) {
		if (slash[1 + i] < '0' || slash[1 + i] > '9')
			return -EINVAL;
		bits = bits * 10 + (unsigned)(slash[1 + i] - '0');
	}
	/* A v4-mapped text address ("::ffff:1.2.3.4") is an IPv6 prefix to Go;
	 * netutil_addr_parse() maps it to the IPv4 form, so tell it apart by
	 * its text: an IPv4 address has no colon. */
	if (netutil_addr_parse(addr, s, alen) < 0)
		return -EINVAL;
	out->v4 = memchr(s, ':', alen) == NULL;
	max = out->v4 ? 32 : 128;
	if (bits > max)
		return -EINVAL;
	/* "::ffff:a.b.c.d/n" stays an IPv6 prefix: as in Go it never contains
	 * an IPv4 address, only IPv6 ones sharing its first n bits. */
	memcpy(out->addr, addr, NETUTIL_ADDR_LEN);
	if (out->v4)
		mask_bits(out->addr + 12, 4, bits);
	else
		mask_bits(out->addr, NETUTIL_ADDR_LEN, bits);
	out->bits = (uint8_t)bits;
	return 0;
}

static bool is_list_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

int netutil_netlist_parse(struct netutil_prefix *out, size_t out_len, size_t *n_out,
			  const char *s, size_t len)
{
	char item[NETUTIL_ADDRSTRLEN + 5];      /* address + "/128" */
	size_t n = 0, ilen = 0, i;
	int rc;

	if (memchr(s, '\0', len))
		return -EINVAL;
	for (i = 0; i <= len; i++) {
		if (i < len && is_list_space(s[i]))
			continue;
		if (i < len && s[i] != ',') {
			if (ilen == sizeof(item))
				return -EINVAL;
			item[ilen++] = s[i];
			continue;
		}
		if (ilen == 0)
			continue;
		if (n == out_len)
			return -ENOBUFS;
		rc = netutil_prefix_parse(&out[n], item, ilen);
		if (rc < 0)
			return rc;
		n++;
		ilen = 0;
	}
	*n_out = n;
	return 0;
}

bool netutil_netlist_contains(const struct netutil_prefix *list, size_t n,
			      const uint8_t a[NETUTIL_ADDR_LEN])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (netutil_prefix_contains(&list[i], a))
			return true;
	return false;
}
