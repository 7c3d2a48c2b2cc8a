/* SPDX-License-Identifier: MIT */
/* dataplane/stage/rlpx_req.h - requests from control to the RLPx stage
 * (MSG_RLPX_TX, MSG_RLPX_CLOSED), copied out of their shared slot and
 * checked there once; and the copies kept for a pending session. */
#ifndef DATAPLANE_RLPX_REQ_H
#define DATAPLANE_RLPX_REQ_H
#include <stdint.h>

#include "common/msg.h"
#include "dataplane/stage/rlpx_budget.h"

/* The checked fixed part of a MSG_RLPX_TX (struct msg_rlpx_data). */
struct rlpx_tx_hdr {
	uint64_t session_id;
	uint64_t msg_code;
	uint32_t total_len;
	uint32_t frag_off;
	uint16_t data_len;
	uint16_t flags;
};

/* A request, as rlpx_req_load() copied and checked it: nothing of it is
 * read from shared memory again but a TX payload, and that only within
 * the data_len checked here. */
struct rlpx_req {
	uint8_t kind;                   /* MSG_RLPX_TX or MSG_RLPX_CLOSED */
	union {
		struct rlpx_tx_hdr tx;
		struct msg_rlpx_closed close;
	} u;
	const uint8_t *data;            /* TX: u.tx.data_len bytes, in the
					 * slot or in a held copy */
};

/* rlpx_req_load() copies the request descriptor d names out of slot into
 * *r, once, and checks the copy: the kind is TX or CLOSED, the header
 * agrees with d, a TX's data_len is what d covers, its message within
 * RLPX_MSG_CAP and its fragment within its message. Control may rewrite
 * the slot meanwhile (DESIGN.md, Trust boundaries): that changes nothing
 * of *r. Returns 0 or -EBADMSG. */
int rlpx_req_load(struct rlpx_req *r, const struct msg_desc *d,
		  const void *slot);

/* A request kept for later, its payload copied (its slot has gone back
 * to the pool). */
struct rlpx_req_held {
	struct rlpx_req r;              /* r.data: copy */
	uint8_t *copy;                  /* NULL when the payload is empty */
};

/* rlpx_req_hold() makes *h a copy of r, its payload charged to b.
 * Returns 0, -EDQUOT (the budget refused) or -ENOMEM. */
int rlpx_req_hold(struct rlpx_req_held *h, const struct rlpx_req *r,
		  struct rlpx_budget *b);

/* rlpx_req_held_size() is what rlpx_req_hold() charged for h. */
size_t rlpx_req_held_size(const struct rlpx_req_held *h);

/* rlpx_req_unhold() wipes and frees h's copy, giving its charge back to
 * b (NULL: it was given back already). */
void rlpx_req_unhold(struct rlpx_req_held *h, struct rlpx_budget *b);

#endif /* DATAPLANE_RLPX_REQ_H */
