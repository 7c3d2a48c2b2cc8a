/* SPDX-License-Identifier: MIT */
/* bpf/xsksteer.bpf.c - XDP program of the dpdk backend on net_af_xdp:
 * discovery datagrams to AF_XDP, everything else to the kernel. */
/*
 * Ethernet [one 802.1Q / 802.1AD tag] -> IPv4 (options via IHL, not a
 * fragment) | IPv6 (UDP as the first next header) -> UDP whose
 * destination port is marked in xsksteer_ports -> bpf_redirect_map(
 * xsks_map, rx_queue_index, XDP_PASS). Anything else, or anything too
 * short to parse, is XDP_PASS: the kernel answers ARP/ND/ICMP, holds
 * TCP/RLPx and other UDP, and reassembles fragments, exactly as without
 * the program. No policy here: the flood shield is bpf/shield.bpf.c (the
 * xdp backend); this program only splits the traffic.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "frame.bpf.h"
#include "xsksteer.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XSKSTEER_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XSKSTEER_PORTS);
	__type(key, __u32);
	__type(value, __u8);
} xsksteer_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XSKSTEER_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} xsksteer_cnt SEC(".maps");

static __always_inline int verdict(__u32 c, int action)
{
	__u64 *v = bpf_map_lookup_elem(&xsksteer_cnt, &c);

	if (v)
		*v += 1;
	return action;
}

SEC("xdp")
int xsksteer_xdp(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct udphdr *udp;
	__u8 *mark;
	__u32 port;
	__u16 proto;
	void *l3;
	long rc;

	l3 = eth_l3(data, data_end, &proto);
	if (!l3)
		return verdict(XSKSTEER_PASS, XDP_PASS);
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > data_end || ip->version != 4 ||
		    ip->ihl < 5 || ip->protocol != IPPROTO_UDP ||
		    (ip->frag_off & bpf_htons(IP_MF_OFFSET)))
			return verdict(XSKSTEER_PASS, XDP_PASS);
		udp = l3 + ip->ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end || ip6->version != 6 ||
		    ip6->nexthdr != IPPROTO_UDP)
			return verdict(XSKSTEER_PASS, XDP_PASS);
		udp = (void *)(ip6 + 1);
	} else {
		return verdict(XSKSTEER_PASS, XDP_PASS);
	}
	if ((void *)(udp + 1) > data_end)
		return verdict(XSKSTEER_PASS, XDP_PASS);
	port = bpf_ntohs(udp->dest);
	mark = bpf_map_lookup_elem(&xsksteer_ports, &port);
	if (!mark || !*mark)
		return verdict(XSKSTEER_PASS, XDP_PASS);
	/* XDP_PASS when no socket is bound on this queue (the PMD runs fewer
	 * queues than the NIC has): the kernel's reserved socket drops it. */
	rc = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
	return verdict(rc == XDP_REDIRECT ? XSKSTEER_REDIRECT :
					    XSKSTEER_NO_XSK, (int)rc);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
