/* SPDX-License-Identifier: MIT */
/* dataplane/stage/rlpx_req.c - requests from control to the RLPx stage,
 * copied out of shared memory once and checked there. */
#include "dataplane/stage/rlpx_req.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/stage/rlpx_codec.h"

int rlpx_req_load(struct rlpx_req *r, const struct msg_desc *d,
		  const void *slot)
{
	struct msg_rlpx_data x;         /* the fixed part; data[] stays */

	r->kind = d->kind;
	r->data = NULL;
	if (d->kind == MSG_RLPX_CLOSED)
		return msg_load(d, slot, &r->u.close, sizeof(r->u.close)) < 0 ||
		       d->len != sizeof(r->u.close) ? -EBADMSG : 0;
	if (d->kind != MSG_RLPX_TX)
		return -EBADMSG;
	/* The lies a TX descriptor and header can tell: a data_len that
	 * is not what the descriptor covers, a message over the cap, a
	 * fragment reaching past its message. */
	if (msg_load(d, slot, &x, sizeof(x)) < 0 ||
	    sizeof(x) + x.data_len != d->len || x.total_len > RLPX_MSG_CAP ||
	    (uint64_t)x.frag_off + x.data_len > x.total_len)
		return -EBADMSG;
	r->u.tx = (struct rlpx_tx_hdr){ .session_id = x.session_id,
					.msg_code = x.msg_code,
					.total_len = x.total_len,
					.frag_off = x.frag_off,
					.data_len = x.data_len,
					.flags = x.flags };
	r->data = (const uint8_t *)slot + sizeof(x);
	return 0;
}

size_t rlpx_req_held_size(const struct rlpx_req_held *h)
{
	return h->copy ? h->r.u.tx.data_len : 0;
}

int rlpx_req_hold(struct rlpx_req_held *h, const struct rlpx_req *r,
		  struct rlpx_budget *b)
{
	size_t n = r->kind == MSG_RLPX_TX ? r->u.tx.data_len : 0;

	h->r = *r;
	h->copy = NULL;
	h->r.data = NULL;
	if (!n)
		return 0;
	if (!rlpx_budget_take(b, n))
		return -EDQUOT;
	h->copy = malloc(n);
	if (!h->copy) {
		rlpx_budget_give(b, n);
		return -ENOMEM;
	}
	memcpy(h->copy, r->data, n);    /* the checked length only */
	h->r.data = h->copy;
	return 0;
}

void rlpx_req_unhold(struct rlpx_req_held *h, struct rlpx_budget *b)
{
	size_t n = rlpx_req_held_size(h);

	if (h->copy) {
		explicit_bzero(h->copy, n);
		free(h->copy);
		rlpx_budget_give(b, n);
	}
	h->copy = NULL;
	h->r.data = NULL;
}
