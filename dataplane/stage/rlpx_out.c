/* SPDX-License-Identifier: MIT */
/* dataplane/stage/rlpx_out.c - the RLPx stage's messages to control. */
#include "dataplane/stage/rlpx_out.h"

#include <errno.h>
#include <string.h>

#define FRAG_BURST 32                   /* slots taken at once */

int rlpx_out_msg(struct rlpx_out *o, uint64_t sid, const struct rlpx_msg *m,
		 size_t *off)
{
	for (;;) {
		uint32_t slots[FRAG_BURST];
		struct msg_desc d[FRAG_BURST];
		size_t left = m->len - *off, at = *off;
		unsigned want = (unsigned)((left + MSG_RLPX_FRAG_MAX - 1) /
					   MSG_RLPX_FRAG_MAX);
		unsigned got, enq;

		if (want == 0)
			want = 1;       /* an empty message is one fragment */
		if (want > FRAG_BURST)
			want = FRAG_BURST;
		got = shmring_slot_alloc_burst(o->ring, slots, want);
		for (unsigned i = 0; i < got; i++) {
			struct msg_rlpx_data *x = shmring_slot_ptr(o->ring,
								   slots[i]);
			size_t k = m->len - at;

			if (k > MSG_RLPX_FRAG_MAX)
				k = MSG_RLPX_FRAG_MAX;
			memset(x, 0, sizeof(*x));
			x->hdr.type = MSG_RLPX_RX;
			x->hdr.len = (uint16_t)(sizeof(*x) - sizeof(x->hdr) + k);
			x->hdr.seq = o->seq ? (*o->seq)++ : 0;
			x->session_id = sid;
			x->msg_code = m->code;
			x->total_len = (uint32_t)m->len;
			x->frag_off = (uint32_t)at;
			x->data_len = (uint16_t)k;
			x->flags = at + k == m->len ? MSG_RLPX_F_LAST : 0;
			if (k)
				memcpy(x->data, m->data + at, k);
			d[i] = (struct msg_desc){ .slot = slots[i],
				.len = (uint16_t)(sizeof(*x) + k),
				.kind = MSG_RLPX_RX };
			at += k;
		}
		enq = got ? shmring_enqueue(o->q, d, got) : 0;
		if (enq < got) {
			shmring_slot_free_burst(o->ring, slots + enq,
						got - enq);
			if (o->seq)
				*o->seq -= got - enq;
		}
		if (enq)
			o->enqueued = true;
		for (unsigned i = 0; i < enq; i++)
			*off += d[i].len - sizeof(struct msg_rlpx_data);
		if (m->len == 0 && enq == 1)
			return 0;
		if (enq < want)
			return -ENOBUFS;
		if (*off >= m->len)
			return 0;
	}
}

int rlpx_out_closed(struct rlpx_out *o, uint64_t sid, int32_t error,
		    uint8_t reason, uint8_t origin)
{
	struct msg_rlpx_closed *m;
	struct msg_desc d;
	uint32_t slot;

	if (shmring_slot_alloc(o->ring, &slot) < 0)
		return -ENOBUFS;
	m = shmring_slot_ptr(o->ring, slot);
	memset(m, 0, sizeof(*m));
	m->hdr.type = MSG_RLPX_CLOSED;
	m->hdr.len = sizeof(*m) - sizeof(m->hdr);
	m->hdr.seq = o->seq ? (*o->seq)++ : 0;
	m->session_id = sid;
	m->error = error;
	m->reason = reason;
	m->origin = origin;
	d = (struct msg_desc){ .slot = slot, .len = sizeof(*m),
			       .kind = MSG_RLPX_CLOSED };
	if (shmring_enqueue(o->q, &d, 1) != 1) {
		shmring_slot_free(o->ring, slot);
		if (o->seq)
			(*o->seq)--;
		return -ENOBUFS;
	}
	o->enqueued = true;
	return 0;
}
