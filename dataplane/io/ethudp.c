/* SPDX-License-Identifier: MIT */
/* dataplane/io/ethudp.c - Ethernet/VLAN/IPv4/IPv6/UDP framing of the
 * frame-level backends (moved out of pktio_afxdp.c for pktio_dpdk.c). */
#include "dataplane/io/ethudp.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <string.h>

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0xff, 0xff };

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

ssize_t ethudp_parse(struct ethudp_l4 *out, const uint8_t *frame, size_t len)
{
	size_t off = ETH_HDR_LEN, ip_end;
	uint16_t proto, ulen;

	if (len < ETH_HDR_LEN)
		return -EBADMSG;
	proto = rd16(frame + 12);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		if (len < off + VLAN_HDR_LEN)
			return -EBADMSG;
		proto = rd16(frame + off + 2);
		off += VLAN_HDR_LEN;
	}
	if (proto == ETH_P_IP) {
		const uint8_t *ip = frame + off;
		size_t ihl, tot;

		if (len < off + IP4_HDR_LEN)
			return -EBADMSG;
		if (ip[0] >> 4 != 4)
			return -EBADMSG;
		ihl = (size_t)(ip[0] & 15) * 4;
		tot = rd16(ip + 2);
		/* ihl under 20 or a total length beyond the frame lies. */
		if (ihl < IP4_HDR_LEN || tot < ihl || len < off + tot)
			return -EBADMSG;
		if (ip[9] != IPPROTO_UDP)
			return -EPROTONOSUPPORT;
		if (rd16(ip + 6) & 0x3fff)      /* MF or an offset */
			return -EPROTONOSUPPORT;
		memcpy(out->src_addr, v4mapped, 12);
		memcpy(out->src_addr + 12, ip + 12, 4);
		memcpy(out->dst_addr, v4mapped, 12);
		memcpy(out->dst_addr + 12, ip + 16, 4);
		ip_end = off + tot;
		off += ihl;
	} else if (proto == ETH_P_IPV6) {
		const uint8_t *ip = frame + off;

		if (len < off + IP6_HDR_LEN)
			return -EBADMSG;
		if (ip[0] >> 4 != 6)
			return -EBADMSG;
		if (ip[6] != IPPROTO_UDP)
			return -EPROTONOSUPPORT;
		ip_end = off + IP6_HDR_LEN + rd16(ip + 4);
		if (len < ip_end)
			return -EBADMSG;
		/* RFC 4291 2.5.5.2: IPv4-mapped addresses never travel in an
		 * IPv6 header; taken as they are, one would pass for an IPv4
		 * peer (and draw our replies over IPv4). */
		if (!memcmp(ip + 8, v4mapped, 12) ||
		    !memcmp(ip + 24, v4mapped, 12))
			return -EBADMSG;
		memcpy(out->src_addr, ip + 8, 16);
		memcpy(out->dst_addr, ip + 24, 16);
		off += IP6_HDR_LEN;
	} else {
		return -EPROTONOSUPPORT;
	}
	if (ip_end < off + UDP_HDR_LEN)
		return -EBADMSG;
	ulen = rd16(frame + off + 4);
	/* The UDP length must cover its header and stay inside the IP
	 * payload (Ethernet padding may follow it). */
	if (ulen < UDP_HDR_LEN || off + ulen > ip_end)
		return -EBADMSG;
	memcpy(&out->src_port_be, frame + off, 2);
	memcpy(&out->dst_port_be, frame + off + 2, 2);
	out->payload_off = (uint16_t)(off + UDP_HDR_LEN);
	out->payload_len = (uint16_t)(ulen - UDP_HDR_LEN);
	return (ssize_t)out->payload_off;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t ethudp_hdr_len(const uint8_t dst_addr[16])
{
	return ETH_HDR_LEN + UDP_HDR_LEN +
	       (memcmp(dst_addr, v4mapped, 12) ? IP6_HDR_LEN : IP4_HDR_LEN);
}

ssize_t ethudp_build(uint8_t *out, size_t cap, const struct ethudp_hdrs *h,
		     const uint8_t *payload, size_t payload_len)
{
	bool v4 = !memcmp(h->dst_addr, v4mapped, 12);
	size_t hl = ethudp_hdr_len(h->dst_addr);
	size_t ulen = UDP_HDR_LEN + payload_len, l3 = ETH_HDR_LEN;
	uint8_t *udp = out + hl - UDP_HDR_LEN;
	uint32_t sum = 0;
	uint16_t c;

	if (v4 != !memcmp(h->src_addr, v4mapped, 12))
		return -EINVAL;
	if (hl + payload_len > cap || ulen > 65535 - IP4_HDR_LEN)
		return -EMSGSIZE;
	if (payload != out + hl)
		memmove(out + hl, payload, payload_len);
	memcpy(out, h->dst_mac, 6);
	memcpy(out + 6, h->src_mac, 6);
	wr16(out + 12, v4 ? ETH_P_IP : ETH_P_IPV6);
	if (v4) {
		uint8_t *ip = out + l3;

		ip[0] = 0x45;
		ip[1] = 0;
		wr16(ip + 2, (uint16_t)(IP4_HDR_LEN + ulen));
		wr16(ip + 4, 0);                /* id: DF set, unfragmented */
		wr16(ip + 6, 0x4000);
		ip[8] = h->ttl ? h->ttl : 64;
		ip[9] = IPPROTO_UDP;
		wr16(ip + 10, 0);
		memcpy(ip + 12, h->src_addr + 12, 4);
		memcpy(ip + 16, h->dst_addr + 12, 4);
		wr16(ip + 10, csum_fold(csum_add(0, ip, IP4_HDR_LEN)));
		sum = csum_add(sum, ip + 12, 8);
	} else {
		uint8_t *ip = out + l3;

		ip[0] = 0x60;
		ip[1] = ip[2] = ip[3] = 0;
		wr16(ip + 4, (uint16_t)ulen);
		ip[6] = IPPROTO_UDP;
		ip[7] = h->ttl ? h->ttl : 64;
		memcpy(ip + 8, h->src_addr, 16);
		memcpy(ip + 24, h->dst_addr, 16);
		sum = csum_add(sum, ip + 8, 32);
	}
	memcpy(udp, &h->src_port_be, 2);
	memcpy(udp + 2, &h->dst_port_be, 2);
	wr16(udp + 4, (uint16_t)ulen);
	wr16(udp + 6, 0);
	/* Pseudo-header: addresses (added above), protocol, UDP length. */
	sum += IPPROTO_UDP + (uint32_t)ulen;
	sum = csum_add(sum, udp, ulen);
	c = csum_fold(sum);
	wr16(udp + 6, c ? c : 0xffff);  /* 0 means "none" (and IPv6 bans it) */
	return (ssize_t)(hl + payload_len);
}

bool ethudp_is_v4(const uint8_t a[16])
{
	return !memcmp(a, v4mapped, 12);
}

bool ethudp_is_any(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, 16) ||
	       (ethudp_is_v4(a) && !memcmp(a + 12, zero, 4));
}

int ethudp_match(const struct dplink_listen *listen, unsigned n,
		 const struct ethudp_l4 *l)
{
	bool v4 = ethudp_is_v4(l->dst_addr);

	for (unsigned i = 0; i < n; i++) {
		const struct dplink_listen *e = &listen[i];

		if (e->port_be != l->dst_port_be)
			continue;
		if (!memcmp(e->addr, l->dst_addr, 16))
			return (int)i;
		if (ethudp_is_any(e->addr) && v4 == ethudp_is_v4(e->addr))
			return (int)i;
	}
	return -1;
}

int ethudp_src_addr(uint8_t out[16], const struct dplink_listen *l,
		    const uint8_t peer[16], const struct neigh_if *itf)
{
	bool v4 = ethudp_is_v4(peer);

	if (!ethudp_is_any(l->addr)) {
		if (v4 != ethudp_is_v4(l->addr))
			return -EAFNOSUPPORT;
		memcpy(out, l->addr, 16);
	} else if (v4 && itf->has_ip4) {
		memcpy(out, v4mapped, 12);
		memcpy(out + 12, itf->ip4, 4);
	} else if (!v4 && itf->has_ip6) {
		memcpy(out, itf->ip6, 16);
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}
