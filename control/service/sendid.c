/* SPDX-License-Identifier: MIT */
/* control/service/sendid.c - sending to a node id (lookup, dial, wait, send), sans-I/O. */
#include "control/service/sendid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sendid_act {
	struct sendid_act *next;
	struct sendid_action a;
};

void sendid_init(struct sendid *s, size_t max_reqs)
{
	memset(s, 0, sizeof(*s));
	s->max_reqs = max_reqs ? max_reqs : SENDID_MAX_REQS;
	s->tail = &s->head;
}

void sendid_fini(struct sendid *s)
{
	while (s->reqs) {
		struct sendid_req *r = s->reqs;

		s->reqs = r->next;
		free(r);
	}
	while (s->head) {
		struct sendid_act *a = s->head;

		s->head = a->next;
		free(a);
	}
	free(s->cur);
	s->cur = NULL;
	s->tail = &s->head;
	s->n_reqs = 0;
}

/* Queues an action for r. A lost action (no memory) on a terminal kind
 * would leave the owner waiting forever: the request then stays and ends
 * at its deadline instead (the caller checks). */
static struct sendid_action *push(struct sendid *s, enum sendid_kind kind,
				  const struct sendid_req *r)
{
	struct sendid_act *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->a.kind = kind;
	n->a.req = r->handle;
	memcpy(n->a.id, r->id, SENDID_ID_LEN);
	n->a.proto = r->proto;
	n->a.user = r->user;
	*s->tail = n;
	s->tail = &n->next;
	return &n->a;
}

static struct sendid_req *find(const struct sendid *s, uint64_t handle)
{
	for (struct sendid_req *r = s->reqs; r; r = r->next)
		if (r->handle == handle)
			return r;
	return NULL;
}

static void unlink_req(struct sendid *s, struct sendid_req *r)
{
	struct sendid_req **pp = &s->reqs;

	while (*pp && *pp != r)
		pp = &(*pp)->next;
	if (*pp)
		*pp = r->next;
	s->n_reqs--;
	free(r);
}

/* Ends r with SEND (err 0) or DONE err; r is freed unless the action
 * could not be queued (it then ends at its deadline). */
static void finish(struct sendid *s, struct sendid_req *r, int err)
{
	struct sendid_action *a = push(s, err ? SENDID_A_DONE : SENDID_A_SEND,
				       r);

	if (!a)
		return;
	a->err = err;
	switch (err) {
	case 0:
		s->st.sent++;
		break;
	case -EHOSTUNREACH:
		s->st.unreachable++;
		break;
	case -EPROTONOSUPPORT:
		s->st.no_proto++;
		break;
	case -ETIMEDOUT:
		s->st.timed_out++;
		break;
	default:
		s->st.cancelled++;
		break;
	}
	unlink_req(s, r);
}

static void dial(struct sendid *s, struct sendid_req *r, const uint8_t ip[16],
		 uint16_t tcp)
{
	struct sendid_action *a;

	if (!tcp) {                     /* nothing to dial */
		finish(s, r, -EHOSTUNREACH);
		return;
	}
	a = push(s, SENDID_A_DIAL, r);
	if (!a)
		return;                 /* ends at its deadline */
	memcpy(a->ip, ip, 16);
	a->tcp = tcp;
	r->st = SENDID_DIAL;
	s->st.dials++;
}

int sendid_start(struct sendid *s, uint64_t *handle,
		 const uint8_t id[SENDID_ID_LEN], const void *proto,
		 void *user, const struct sendid_route *route,
		 uint64_t timeout_ns, uint64_t now)
{
	struct sendid_req *r;

	*handle = 0;
	if (s->n_reqs >= s->max_reqs) {
		s->st.refused++;
		return -ENOSPC;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->handle = ++s->next_handle;
	memcpy(r->id, id, SENDID_ID_LEN);
	r->proto = proto;
	r->user = user;
	r->deadline = now + (timeout_ns ? timeout_ns : SENDID_TIMEOUT_NS);
	r->st = SENDID_LOOKUP;
	r->next = s->reqs;
	s->reqs = r;
	s->n_reqs++;
	s->st.started++;
	*handle = r->handle;
	if (route && route->has_ep) {
		dial(s, r, route->ip, route->tcp);
	} else if (route && route->can_lookup) {
		if (push(s, SENDID_A_LOOKUP, r))
			s->st.lookups++;
	} else {
		finish(s, r, -EHOSTUNREACH);
	}
	return 0;
}

void sendid_on_lookup(struct sendid *s, uint64_t req, bool found,
		      const uint8_t ip[16], uint16_t tcp, uint64_t now)
{
	struct sendid_req *r = find(s, req);

	(void)now;
	if (!r || r->st != SENDID_LOOKUP)
		return;
	if (!found)
		finish(s, r, -EHOSTUNREACH);
	else
		dial(s, r, ip, tcp);
}

void sendid_on_dial(struct sendid *s, uint64_t req, int err, uint64_t now)
{
	struct sendid_req *r = find(s, req);

	(void)now;
	if (!r || r->st != SENDID_DIAL)
		return;
	if (!err || err == -EISCONN || err == -EALREADY)
		r->st = SENDID_WAIT;
	else
		finish(s, r, -EHOSTUNREACH);
}

void sendid_on_peer(struct sendid *s, const uint8_t id[SENDID_ID_LEN],
		    const void *const *protos, size_t n, uint64_t now)
{
	struct sendid_req *r = s->reqs, *next;

	(void)now;
	for (; r; r = next) {
		bool runs = false;

		next = r->next;
		if (memcmp(r->id, id, SENDID_ID_LEN))
			continue;
		for (size_t i = 0; i < n && !runs; i++)
			runs = protos[i] == r->proto;
		if (runs)
			finish(s, r, 0);
		else if (r->st != SENDID_LOOKUP)
			finish(s, r, -EPROTONOSUPPORT);
	}
}

void sendid_on_gone(struct sendid *s, const uint8_t id[SENDID_ID_LEN],
		    uint64_t now)
{
	struct sendid_req *r = s->reqs, *next;

	(void)now;
	for (; r; r = next) {
		next = r->next;
		if (!memcmp(r->id, id, SENDID_ID_LEN) &&
		    (r->st == SENDID_DIAL || r->st == SENDID_WAIT))
			finish(s, r, -EHOSTUNREACH);
	}
}

void sendid_cancel_all(struct sendid *s, int err)
{
	struct sendid_req *r = s->reqs, *next;

	for (; r; r = next) {
		next = r->next;
		finish(s, r, err);
	}
}

void sendid_tick(struct sendid *s, uint64_t now)
{
	struct sendid_req *r = s->reqs, *next;

	for (; r; r = next) {
		next = r->next;
		if (r->deadline <= now)
			finish(s, r, -ETIMEDOUT);
	}
}

uint64_t sendid_next_deadline(const struct sendid *s)
{
	uint64_t d = UINT64_MAX;

	for (const struct sendid_req *r = s->reqs; r; r = r->next)
		if (r->deadline < d)
			d = r->deadline;
	return d;
}

const struct sendid_action *sendid_next_action(struct sendid *s)
{
	free(s->cur);
	s->cur = s->head;
	if (!s->cur)
		return NULL;
	s->head = s->cur->next;
	if (!s->head)
		s->tail = &s->head;
	s->cur->next = NULL;
	return &s->cur->a;
}

size_t sendid_pending(const struct sendid *s)
{
	return s->n_reqs;
}
