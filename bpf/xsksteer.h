/* SPDX-License-Identifier: MIT */
/* bpf/xsksteer.h - the XDP program that DPDK's net_af_xdp loads for the
 * dpdk backend: maps and counters shared with dataplane/io/pktio_dpdk.c. */
#ifndef BPF_XSKSTEER_H
#define BPF_XSKSTEER_H
/*
 * Only <linux/types.h> types, so clang -target bpf and the host compiler
 * see the same layouts. Include it before "xsksteer.skel.h".
 *
 * DPDK's net_af_xdp PMD (xdp_prog=PATH) loads the object, attaches it to
 * the interface and puts queue q's AF_XDP socket at key q of the map named
 * "xsks_map" (the name is the PMD's). The program redirects UDP datagrams
 * whose destination port is marked in "xsksteer_ports" to the socket of
 * the RX queue they came in on, and passes everything else (ARP, ND,
 * ICMP, TCP/RLPx, other UDP, fragments) to the kernel: the exception path
 * without a copy through userspace. pktio_dpdk.c finds the maps through
 * the program attached to the interface and marks the listen ports.
 */
#include <linux/types.h>

#define XSKSTEER_MAX_QUEUES 64          /* "xsks_map" entries */
#define XSKSTEER_PORTS      65536       /* "xsksteer_ports": one byte per
					 * UDP port (host order index) */
#define XSKSTEER_PORTS_MAP  "xsksteer_ports"
#define XSKSTEER_CNT_MAP    "xsksteer_cnt"

enum xsksteer_counter {
	XSKSTEER_REDIRECT = 0,          /* to the queue's AF_XDP socket */
	XSKSTEER_NO_XSK,                /* a listen port, no socket on that
					 * queue: passed to the kernel */
	XSKSTEER_PASS,                  /* not for a listen port */
	XSKSTEER_CNT_MAX
};

#endif /* BPF_XSKSTEER_H */
