/* SPDX-License-Identifier: MIT */
/* dataplane/stage/disc_rx.c - the discovery demux (discv4, then discv5). */
#include "dataplane/stage/disc_rx.h"

#include "common/dplink_proto.h"

struct disc_rx_result disc_rx_process(struct discv4_rx *v4,
				      struct discv5_rx *v5,
				      const uint8_t *buf, size_t len,
				      const uint8_t src_addr[MSG_ADDR_LEN],
				      uint16_t src_port_be, uint16_t sock,
				      uint64_t mono_ns, uint64_t unix_ns,
				      void *out, size_t out_cap)
{
	struct disc_rx_result r = { .v5 = DISCV5_RX_OFF };

	r.v4 = discv4_rx_process_to(v4, buf, len, src_addr, src_port_be,
				    sock, mono_ns, unix_ns, out, out_cap);
	if (v5 && (r.v4 == DISCV4_RX_DROP_SIZE ||
		   r.v4 == DISCV4_RX_DROP_HASH))
		r.v5 = discv5_rx_process(v5, buf, len, src_addr, src_port_be,
					 sock, mono_ns, out, out_cap);
	switch (r.v5) {
	case DISCV5_RX_OFF:
		break;
	case DISCV5_RX_NOT_V5:
		/* Neither protocol's: discv4's verdict below, and the
		 * breakdown of how much of it discv5's check looked at (its
		 * size bounds alone do not count). */
		if (len >= DISCV5_PACKET_MIN && len <= DISCV5_PACKET_MAX)
			r.cnt[r.n_cnt++] = DP_CNT_V5_DROP_PROTO;
		break;
	case DISCV5_RX_ACCEPT:
		r.kind = MSG_DISCV5_RX;
		/* fall through */
	default:
		r.cnt[r.n_cnt++] = (uint16_t)discv5_rx_verdict_cnt(r.v5);
		return r;
	}
	r.cnt[r.n_cnt++] = (uint16_t)discv4_rx_verdict_cnt(r.v4);
	if (r.v4 == DISCV4_RX_ACCEPT_CACHED)
		r.cnt[r.n_cnt++] = DP_CNT_CACHE_HIT;
	if (r.v4 == DISCV4_RX_ACCEPT || r.v4 == DISCV4_RX_ACCEPT_CACHED)
		r.kind = MSG_DISCV4_RX;
	return r;
}
