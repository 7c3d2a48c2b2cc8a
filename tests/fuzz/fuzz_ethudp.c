/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_ethudp.c - drives the frame parser of the xdp and dpdk
 * backends; what parses is rebuilt and must parse to the same view. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/io/ethudp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[ETH_HDR_LEN + IP6_HDR_LEN + UDP_HDR_LEN + 65536];
	struct ethudp_l4 l, l2;
	struct ethudp_hdrs h;
	ssize_t n = ethudp_parse(&l, data, size), m;

	if (n < 0) {
		if (n != -EBADMSG && n != -EPROTONOSUPPORT)
			abort();
		return 0;
	}
	/* The view lies inside the frame. */
	if ((size_t)n != l.payload_off ||
	    (size_t)l.payload_off + l.payload_len > size)
		abort();
	memset(&h, 0, sizeof(h));
	memcpy(h.dst_mac, data, 6);
	memcpy(h.src_mac, data + 6, 6);
	memcpy(h.src_addr, l.src_addr, 16);
	memcpy(h.dst_addr, l.dst_addr, 16);
	h.src_port_be = l.src_port_be;
	h.dst_port_be = l.dst_port_be;
	m = ethudp_build(out, sizeof(out), &h, data + l.payload_off,
			 l.payload_len);
	if (m < 0) {
		/* Only an IPv6 datagram too big for an IPv4-sized UDP. */
		if (m != -EMSGSIZE || l.payload_len <= 65507 - UDP_HDR_LEN)
			abort();
		return 0;
	}
	if (ethudp_parse(&l2, out, (size_t)m) != (ssize_t)l2.payload_off ||
	    memcmp(l2.src_addr, l.src_addr, 16) ||
	    memcmp(l2.dst_addr, l.dst_addr, 16) ||
	    l2.src_port_be != l.src_port_be ||
	    l2.dst_port_be != l.dst_port_be ||
	    l2.payload_len != l.payload_len ||
	    memcmp(out + l2.payload_off, data + l.payload_off, l.payload_len))
		abort();
	return 0;
}
