/* SPDX-License-Identifier: MIT */
/* control/discv5/v5talk.c - discv5 engine: TALKREQ handlers. */
#include "control/discv5/discv5_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * A TALKREQ holds one of DISCV5_MAX_TALK_ACTIVE slots while its handler
 * runs and, for an asynchronous answer, until discv5_talk_respond() or
 * the response timeout: geth's maxActiveTalkRequests, with "no free slot"
 * meaning the request is dropped (geth waits talkHandlerLaunchTimeout for
 * one; a sans-I/O engine cannot wait). Tokens are slot index | generation
 * << 32, so a stale token never answers a later request.
 */

static struct v5_talk_proto *proto_find(struct discv5 *d, const uint8_t *name,
					size_t len)
{
	for (unsigned i = 0; i < d->n_protos; i++)
		if (d->protos[i].len == len &&
		    !memcmp(d->protos[i].name, name, len))
			return &d->protos[i];
	return NULL;
}

int discv5_talk_register(struct discv5 *d, const uint8_t *proto,
			 size_t proto_len, discv5_talk_handler_fn *h,
			 void *user)
{
	struct v5_talk_proto *p;

	if (!proto || proto_len == 0 || proto_len > DISCV5_TALK_PROTO_MAX)
		return -EINVAL;
	p = proto_find(d, proto, proto_len);
	if (!h) {
		if (p)
			*p = d->protos[--d->n_protos];
		return 0;
	}
	if (!p) {
		if (d->n_protos == DISCV5_TALK_PROTOS_MAX)
			return -ENOSPC;
		p = &d->protos[d->n_protos++];
		memcpy(p->name, proto, proto_len);
		p->len = (uint8_t)proto_len;
	}
	p->h = h;
	p->user = user;
	return 0;
}

static struct v5_talk_slot *slot_take(struct discv5 *d)
{
	struct v5_talk_slot *t;

	if (!d->slots) {
		d->slots = calloc(DISCV5_MAX_TALK_ACTIVE, sizeof(*d->slots));
		if (!d->slots)
			return NULL;
		for (unsigned i = DISCV5_MAX_TALK_ACTIVE; i-- > 0;) {
			d->slots[i].next = d->slot_free;
			d->slot_free = &d->slots[i];
		}
	}
	t = d->slot_free;
	if (!t)
		return NULL;
	d->slot_free = t->next;
	t->next = NULL;
	t->prev = d->slot_tail;
	if (d->slot_tail)
		d->slot_tail->next = t;
	else
		d->slot_head = t;
	d->slot_tail = t;
	t->used = true;
	t->gen++;
	d->n_slots_used++;
	return t;
}

static void slot_release(struct discv5 *d, struct v5_talk_slot *t)
{
	if (!t->used)
		return;
	if (t->prev)
		t->prev->next = t->next;
	else
		d->slot_head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		d->slot_tail = t->prev;
	t->used = false;
	t->prev = NULL;
	t->next = d->slot_free;
	d->slot_free = t;
	d->n_slots_used--;
}

static uint64_t slot_token(const struct discv5 *d, const struct v5_talk_slot *t)
{
	return (uint64_t)t->gen << 32 | (uint64_t)(t - d->slots);
}

static void talkresp(struct discv5_msg *r, const uint8_t *reqid, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->type = DISCV5_MSG_TALKRESP;
	r->req_id_len = (uint8_t)len;
	memcpy(r->req_id, reqid, len);
}

void v5_serve_talkreq(struct discv5 *d, struct v5_sess *s, const uint8_t ip[16],
		      uint16_t port, const struct discv5_msg *m, uint64_t now)
{
	uint8_t resp[DISCV5_TALK_RESP_MAX], id[DISCV5_NODE_ID_LEN];
	struct discv5_talk_req req;
	struct v5_talk_proto *p;
	struct v5_talk_slot *t;
	struct discv5_msg r;
	size_t rl = sizeof(resp);
	uint32_t gen;
	int rc;

	memcpy(id, s->node.id, sizeof(id));
	talkresp(&r, m->req_id, m->req_id_len);
	p = proto_find(d, m->talkreq.proto, m->talkreq.proto_len);
	if (!p) {
		/* Unknown protocol: an empty answer (geth, v5test). */
		d->st.talk_unknown++;
		(void)v5_respond(d, id, ip, port, &r);
		return;
	}
	t = slot_take(d);
	if (!t) {
		d->st.drop[DISCV5_DROP_TALK_BUSY]++;
		return;
	}
	v5_epkey(t->key, id, ip, port);
	memcpy(t->reqid, m->req_id, m->req_id_len);
	t->reqid_len = m->req_id_len;
	t->deadline = now + d->resp_timeout;
	gen = t->gen;
	memset(&req, 0, sizeof(req));
	req.from = &s->node;
	req.addr = ip;
	req.port = port;
	req.proto = m->talkreq.proto;
	req.proto_len = m->talkreq.proto_len;
	req.msg = m->talkreq.req;
	req.msg_len = m->talkreq.req_len;
	req.token = slot_token(d, t);
	rc = p->h(p->user, &req, resp, &rl);
	if (rc == DISCV5_TALK_ASYNC)
		return;
	if (t->used && t->gen == gen)
		slot_release(d, t);
	if (rc < 0 || rl > sizeof(resp))
		return;
	r.talkresp.resp = resp;
	r.talkresp.resp_len = rl;
	(void)v5_respond(d, id, ip, port, &r);
}

int discv5_talk_respond(struct discv5 *d, uint64_t token, const uint8_t *resp,
			size_t len, uint64_t now)
{
	uint64_t idx = token & 0xffffffffu;
	struct v5_talk_slot *t;
	struct discv5_msg r;
	uint16_t port;
	int rc;

	(void)now;
	if (!d->slots || idx >= DISCV5_MAX_TALK_ACTIVE)
		return -ENOENT;
	t = &d->slots[idx];
	if (!t->used || t->gen != (uint32_t)(token >> 32))
		return -ENOENT;
	if (len > DISCV5_TALK_RESP_MAX || (!resp && len))
		return -EMSGSIZE;
	talkresp(&r, t->reqid, t->reqid_len);
	r.talkresp.resp = resp;
	r.talkresp.resp_len = len;
	port = (uint16_t)(t->key[V5_EPKEY_LEN - 2] << 8 |
			  t->key[V5_EPKEY_LEN - 1]);
	rc = v5_respond(d, t->key, t->key + DISCV5_NODE_ID_LEN, port, &r);
	slot_release(d, t);
	return rc;
}

void v5_talk_expire(struct discv5 *d, uint64_t now)
{
	while (d->slot_head && d->slot_head->deadline <= now)
		slot_release(d, d->slot_head);
}

uint64_t v5_talk_deadline(const struct discv5 *d)
{
	return d->slot_head ? d->slot_head->deadline : UINT64_MAX;
}

void v5_talk_free(struct discv5 *d)
{
	free(d->slots);
	d->slots = NULL;
}
