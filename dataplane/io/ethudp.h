/* SPDX-License-Identifier: MIT */
/* dataplane/io/ethudp.h - Ethernet / one VLAN tag / IPv4 or IPv6 / UDP
 * framing shared by the backends that see whole frames (xdp, dpdk):
 * parse, build with checksums, listen-table matching. NIC-free. */
#ifndef DATAPLANE_ETHUDP_H
#define DATAPLANE_ETHUDP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/dplink_proto.h"
#include "dataplane/io/neigh.h"

#define ETH_HDR_LEN   14
#define VLAN_HDR_LEN  4
#define IP4_HDR_LEN   20
#define IP6_HDR_LEN   40
#define UDP_HDR_LEN   8

/* A parsed UDP frame. Addresses are IPv6 or IPv4-mapped. */
struct ethudp_l4 {
	uint8_t src_addr[16];
	uint8_t dst_addr[16];
	uint16_t src_port_be;
	uint16_t dst_port_be;
	uint16_t payload_off;           /* UDP payload starts here */
	uint16_t payload_len;           /* from the UDP length field */
};

/* ethudp_parse() parses frame[0..len): Ethernet, at most one
 * 802.1Q/802.1ad tag, IPv4 (any IHL, not a fragment) or IPv6 (UDP as the
 * first next header), UDP whose length fits the IP payload. Returns bytes
 * of headers (== out->payload_off), -EPROTONOSUPPORT (not IP/UDP, a
 * fragment, an IPv6 extension header) or -EBADMSG (truncated, lengths
 * that lie, an IPv4-mapped address in an IPv6 header). Checksums are not
 * verified. */
ssize_t ethudp_parse(struct ethudp_l4 *out, const uint8_t *frame, size_t len);

/* What ethudp_build() puts in front of a payload. */
struct ethudp_hdrs {
	uint8_t dst_mac[6], src_mac[6];
	uint8_t src_addr[16], dst_addr[16];     /* both v4-mapped or both v6 */
	uint16_t src_port_be, dst_port_be;
	uint8_t ttl;                            /* 0: 64 */
};

/* ethudp_build() writes an Ethernet/IPv4-or-IPv6/UDP frame around
 * payload[0..payload_len) into out[0..cap) with the IPv4 header checksum
 * and the UDP checksum (both families) filled in. payload may already sit
 * at its final place in out (out + 42 for IPv4, out + 62 for IPv6).
 * Returns the frame length, -EINVAL (families differ), -EMSGSIZE (does
 * not fit cap or 65507 bytes). */
ssize_t ethudp_build(uint8_t *out, size_t cap, const struct ethudp_hdrs *h,
		     const uint8_t *payload, size_t payload_len);

/* ethudp_hdr_len() is the header length build() uses for dst. */
size_t ethudp_hdr_len(const uint8_t dst_addr[16]);

/* ethudp_is_v4() says whether a is IPv4-mapped; ethudp_is_any() whether
 * it is the wildcard of its family (:: or ::ffff:0.0.0.0). */
bool ethudp_is_v4(const uint8_t a[16]);
bool ethudp_is_any(const uint8_t a[16]);

/* ethudp_match() finds the listen entry of listen[0..n) a parsed frame is
 * for: the port, then the address (a wildcard entry takes any address of
 * its family). Returns the index or -1. */
int ethudp_match(const struct dplink_listen *listen, unsigned n,
		 const struct ethudp_l4 *l);

/* ethudp_src_addr() picks the source address of a datagram from listen
 * entry l to peer (IPv6 or IPv4-mapped): l's address, or itf's first one
 * of peer's family when l is a wildcard. Returns 0, -EAFNOSUPPORT (l is
 * of the other family, or itf has no such address). */
int ethudp_src_addr(uint8_t out[16], const struct dplink_listen *l,
		    const uint8_t peer[16], const struct neigh_if *itf);

#endif /* DATAPLANE_ETHUDP_H */
