/* SPDX-License-Identifier: MIT */
/* dataplane/stage/rlpx_out.h - the RLPx stage's messages to control:
 * decoded messages as MSG_RLPX_RX fragments and session ends as
 * MSG_RLPX_CLOSED, on the worker's ring to control. */
#ifndef DATAPLANE_RLPX_OUT_H
#define DATAPLANE_RLPX_OUT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/shmring.h"
#include "dataplane/stage/rlpx_codec.h"

/* The producer end of one ring to control. The worker is its only
 * producer; a full ring or an empty pool is never waited on: the caller
 * stalls and tries again from where it stopped. */
struct rlpx_out {
	struct shmring *ring;
	struct shmring_q *q;            /* this worker's ring to control */
	uint32_t *seq;                  /* msg_hdr.seq of q, or NULL */
	bool enqueued;                  /* something went on q since the
					 * caller last cleared it */
};

/* rlpx_out_msg() puts message m of session sid on the ring as
 * MSG_RLPX_RX fragments of up to MSG_RLPX_FRAG_MAX bytes, from byte *off
 * on (an empty message is one fragment), advancing *off past what went.
 * Returns 0 when all of it went, -ENOBUFS when the ring or the pool ran
 * out first (call again with the same *off). */
int rlpx_out_msg(struct rlpx_out *o, uint64_t sid, const struct rlpx_msg *m,
		 size_t *off);

/* rlpx_out_closed() puts MSG_RLPX_CLOSED for session sid on the ring.
 * Returns 0 or -ENOBUFS (nothing went: try again). */
int rlpx_out_closed(struct rlpx_out *o, uint64_t sid, int32_t error,
		    uint8_t reason, uint8_t origin);

#endif /* DATAPLANE_RLPX_OUT_H */
