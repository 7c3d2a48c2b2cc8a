/* SPDX-License-Identifier: MIT */
/* dataplane/stage/disc_rx.h - the discovery demux: discv4 and discv5 on
 * one UDP port. */
#ifndef DATAPLANE_DISC_RX_H
#define DATAPLANE_DISC_RX_H
#include <stddef.h>
#include <stdint.h>

#include "dataplane/stage/discv4_rx.h"
#include "dataplane/stage/discv5_rx.h"

/*
 * Every datagram of a discovery socket goes to discv4's stage first
 * (dataplane/stage/discv4_rx.h); one that fails its size check (discv4
 * packets are 98..1280 bytes, a WHOAREYOU is 63) or its hash check (a
 * discv5 packet starts with a random masking IV, not a keccak hash)
 * goes to discv5's (dataplane/stage/discv5_rx.h) when the socket has
 * discv5, as geth hands discv4's unhandled packets to discv5. Either may
 * accept it; a datagram discv5 does not recognise either keeps discv4's
 * verdict. Every datagram gets exactly one verdict counter (and
 * DP_CNT_CACHE_HIT / DP_CNT_V5_DROP_PROTO besides, as breakdowns).
 */

struct disc_rx_result {
	uint8_t kind;                   /* 0: dropped; MSG_DISCV4_RX or
					 * MSG_DISCV5_RX: that message is in
					 * out */
	uint8_t n_cnt;                  /* counters in cnt[] to add 1 to */
	uint16_t cnt[2];                /* enum dp_cnt */
	enum discv4_rx_verdict v4;
	enum discv5_rx_verdict v5;      /* DISCV5_RX_OFF: not asked */
};

/* disc_rx_process() runs the demux on buf[0..len) from src_addr port
 * src_port_be, arrived on socket sock, at mono_ns and unix_ns (as
 * discv4_rx_process()). v5 may be NULL (no discv5 anywhere). out[0..out_cap)
 * (at least MSG_SLOT_SIZE, 8-byte aligned) receives the message of an
 * accept; the caller sets seq, rx_tsc, dst_port_be, sock_idx and queue.
 * Returns the outcome. */
struct disc_rx_result disc_rx_process(struct discv4_rx *v4,
				      struct discv5_rx *v5,
				      const uint8_t *buf, size_t len,
				      const uint8_t src_addr[MSG_ADDR_LEN],
				      uint16_t src_port_be, uint16_t sock,
				      uint64_t mono_ns, uint64_t unix_ns,
				      void *out, size_t out_cap);

#endif /* DATAPLANE_DISC_RX_H */
