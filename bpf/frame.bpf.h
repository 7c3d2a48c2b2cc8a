/* SPDX-License-Identifier: MIT */
/* bpf/frame.bpf.h - the Ethernet step both XDP programs parse the same
 * way (included by *.bpf.c only, after linux/if_ether.h and
 * bpf/bpf_endian.h). */
#ifndef BPF_FRAME_BPF_H
#define BPF_FRAME_BPF_H

#define ETH_P_8021Q_  0x8100
#define ETH_P_8021AD_ 0x88A8
#define IP_MF_OFFSET  0x3fff /* more-fragments bit and fragment offset */

/* eth_l3() skips the Ethernet header and one 802.1Q / 802.1AD tag:
 * returns the L3 header and its EtherType (network order) in *proto, or
 * NULL when the frame is too short for them. */
static __always_inline void *eth_l3(void *data, void *data_end, __u16 *proto)
{
	struct ethhdr *eth = data;
	void *l3 = eth + 1;

	if (l3 > data_end)
		return NULL;
	*proto = eth->h_proto;
	if (*proto == bpf_htons(ETH_P_8021Q_) ||
	    *proto == bpf_htons(ETH_P_8021AD_)) {
		__be16 *vlan = l3;      /* TCI, then the encapsulated type */

		if ((void *)(vlan + 2) > data_end)
			return NULL;
		*proto = vlan[1];
		l3 = vlan + 2;
	}
	return l3;
}

#endif /* BPF_FRAME_BPF_H */
