/* SPDX-License-Identifier: MIT */
/* control/base/netutil.h - IP address classes, subnets and CIDR lists (geth's p2p/netutil). */
#ifndef CONTROL_NETUTIL_H
#define CONTROL_NETUTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Addresses are always 16 bytes in network order. An IPv4 address is stored
 * IPv4-mapped (::ffff:a.b.c.d, as in common/msg.h) and is treated as IPv4
 * everywhere: classification, subnet bits and CIDR matching all work in the
 * 32-bit IPv4 space for it, the way geth unmaps 4-in-6 addresses before
 * classifying them. Every function here is pure and may be called from any
 * thread.
 */
#define NETUTIL_ADDR_LEN   16
#define NETUTIL_ADDRSTRLEN 46           /* INET6_ADDRSTRLEN */

/* netutil_addr_is_v4() returns true when a is IPv4-mapped (::ffff:0:0/96). */
bool netutil_addr_is_v4(const uint8_t a[NETUTIL_ADDR_LEN]);

/* netutil_addr_from_v4() writes the IPv4-mapped form of v4 (network order). */
void netutil_addr_from_v4(uint8_t out[NETUTIL_ADDR_LEN], const uint8_t v4[4]);

/* netutil_addr_parse() parses a dotted-quad IPv4 or an RFC 4291 IPv6 text
 * address (no zone, no brackets) from s[0..len). Returns 0 or -EINVAL. */
int netutil_addr_parse(uint8_t out[NETUTIL_ADDR_LEN], const char *s, size_t len);

/* netutil_addr_format() writes a's text form (dotted quad for IPv4) and a
 * NUL into out, which must hold NETUTIL_ADDRSTRLEN bytes. Returns out. */
char *netutil_addr_format(char out[NETUTIL_ADDRSTRLEN], const uint8_t a[NETUTIL_ADDR_LEN]);

/* netutil_is_unspecified() is true for 0.0.0.0 and ::. */
bool netutil_is_unspecified(const uint8_t a[NETUTIL_ADDR_LEN]);

/* netutil_is_loopback() is true for 127.0.0.0/8 and ::1. */
bool netutil_is_loopback(const uint8_t a[NETUTIL_ADDR_LEN]);

/* netutil_is_lan() is geth's AddrIsLAN: loopback, private (10/8,
 * 172.16/12, 192.168/16, fc00::/7) or link-local unicast (169.254/16,
 * fe80::/10). */
bool netutil_is_lan(const uint8_t a[NETUTIL_ADDR_LEN]);

/* netutil_is_special() is geth's AddrIsSpecialNetwork: multicast
 * (224/4, ff00::/8) or one of the IANA special-purpose ranges (0/8,
 * TEST-NETs, benchmarking, 6to4 relay, broadcast, 2001::/32, 2001:db8::/32,
 * 2002::/16, ...). */
bool netutil_is_special(const uint8_t a[NETUTIL_ADDR_LEN]);

/* Why netutil_check_relay() refuses an address (geth's CheckRelayAddr). */
enum netutil_relay {
	NETUTIL_RELAY_OK = 0,
	NETUTIL_RELAY_UNSPECIFIED,      /* 0.0.0.0 or :: */
	NETUTIL_RELAY_SPECIAL,          /* netutil_is_special() */
	NETUTIL_RELAY_LOOPBACK,         /* loopback relayed by a non-loopback host */
	NETUTIL_RELAY_LAN,              /* LAN address relayed by a WAN host */
};

/* netutil_check_relay() says whether addr, announced by a node at sender
 * (for example in a discv4 Neighbors packet), is a valid dial target:
 * special networks never are, loopback only from a loopback sender, LAN
 * only from a LAN sender. */
enum netutil_relay netutil_check_relay(const uint8_t sender[NETUTIL_ADDR_LEN],
				       const uint8_t addr[NETUTIL_ADDR_LEN]);

/* netutil_subnet() writes a masked to its first bits bits (counted in the
 * address's own family: 0..32 for IPv4, 0..128 for IPv6); the mapped prefix
 * of an IPv4 address is kept. bits beyond the family width are clamped. */
void netutil_subnet(uint8_t out[NETUTIL_ADDR_LEN], const uint8_t a[NETUTIL_ADDR_LEN],
		    unsigned bits);

/* netutil_same_net() is geth's SameNet: true when a and b are of the same
 * family and share their first bits bits; false when bits exceeds the
 * family width. */
bool netutil_same_net(unsigned bits, const uint8_t a[NETUTIL_ADDR_LEN],
		      const uint8_t b[NETUTIL_ADDR_LEN]);

/* netutil_subnet24_key() packs a's /24 (the first 24 bits of its own
 * family, as geth's DistinctNetSet with Subnet 24 computes for both IPv4
 * and IPv6) into 25 bits: bit 24 set for IPv6. Equal keys mean the same
 * /24 of the same family. */
uint32_t netutil_subnet24_key(const uint8_t a[NETUTIL_ADDR_LEN]);

/* A CIDR prefix. addr is already masked to bits; v4 prefixes match only
 * IPv4(-mapped) addresses and v6 prefixes only the other ones, as Go's
 * netip.Prefix.Contains does for geth's unmapped node addresses. */
struct netutil_prefix {
	uint8_t addr[NETUTIL_ADDR_LEN];
	uint8_t bits;                   /* 0..32 (v4) or 0..128 (v6) */
	bool v4;
};

/* netutil_prefix_parse() parses "addr/bits" from s[0..len) as Go's
 * netip.ParsePrefix does: bits is decimal without sign or leading zeros
 * and at most the family width; no zone. Host bits may be set (they are
 * masked off). Returns 0 or -EINVAL. */
int netutil_prefix_parse(struct netutil_prefix *out, const char *s, size_t len);

/* netutil_prefix_contains() returns true when a lies inside p. */
bool netutil_prefix_contains(const struct netutil_prefix *p,
			     const uint8_t a[NETUTIL_ADDR_LEN]);

/* netutil_netlist_parse() parses a comma-separated list of CIDR prefixes
 * (the --netrestrict value) into out[0..out_len) and sets *n_out. As in
 * geth's ParseNetlist, spaces, tabs and newlines anywhere are ignored and
 * empty items are skipped, so "" is an empty list. Returns 0, -EINVAL (an
 * item is not a valid prefix, or s holds a NUL) or -ENOBUFS (more than
 * out_len items). *n_out is only written on success. */
int netutil_netlist_parse(struct netutil_prefix *out, size_t out_len, size_t *n_out,
			  const char *s, size_t len);

/* netutil_netlist_contains() returns true when a lies in any of list[0..n). */
bool netutil_netlist_contains(const struct netutil_prefix *list, size_t n,
			      const uint8_t a[NETUTIL_ADDR_LEN]);

#endif /* CONTROL_NETUTIL_H */
