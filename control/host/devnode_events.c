/* SPDX-License-Identifier: MIT */
/* control/host/devnode_events.c - the node's peer events (control/api/devplane.h): the session host's events turned into geth's PeerEvents for subscribers and the admin API's peerEvents subscriptions. */
#include "control/host/devnode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void fmt_ep(char *out, size_t cap, const struct sesshost_ep *ep)
{
	if (admin_format_addr(out, cap, ep->ip, ep->port) < 0)
		out[0] = '\0';
}

/* ---- peer events -------------------------------------------------------- */

void devnode_emit(struct devplane *n, const struct devplane_peer_event *ev)
{
	struct devplane_sub **pp;

	n->emitting++;
	for (struct devplane_sub *s = n->subs; s; s = s->next)
		if (!s->dead)
			s->fn(s->user, ev);
	n->emitting--;
	/* Unsubscribed during the calls: freed now. */
	for (pp = &n->subs; !n->emitting && *pp;) {
		struct devplane_sub *s = *pp;

		if (s->dead) {
			*pp = s->next;
			free(s);
		} else {
			pp = &s->next;
		}
	}
	if (adminipc_has_sub(loop_adminipc(n->loop), ADMIN_SUB_PEER_EVENTS)) {
		static const char *const type[] = {
			[DEVPLANE_EV_ADD] = "add",
			[DEVPLANE_EV_DROP] = "drop",
			[DEVPLANE_EV_MSGSEND] = "msgsend",
			[DEVPLANE_EV_MSGRECV] = "msgrecv",
		};
		struct admin_peer_event ae = {
			.type = type[ev->type], .error = ev->error,
			.protocol = ev->protocol, .local = ev->local,
			.remote = ev->remote,
			.has_msg = ev->type == DEVPLANE_EV_MSGSEND ||
				   ev->type == DEVPLANE_EV_MSGRECV,
			.msg_code = ev->msg_code, .msg_size = ev->msg_size,
		};
		size_t len;
		char *js;

		memcpy(ae.pub, ev->peer, DEVPLANE_ID_LEN);
		js = admin_peer_event_json(&ae, &len);
		if (js)
			adminipc_notify(loop_adminipc(n->loop),
					ADMIN_SUB_PEER_EVENTS, js, len);
		free(js);
	}
}

static struct devnode_peer *peer_by_conn(const struct devplane *n,
					 uint64_t conn)
{
	for (struct devnode_peer *p = n->peers; p; p = p->next)
		if (p->conn == conn)
			return p;
	return NULL;
}

static void ev_added(struct devplane *n, const struct sesshost_action *a,
		     uint64_t now)
{
	struct devplane_peer_event ev = { .type = DEVPLANE_EV_ADD };
	struct sesshost_peer_info pi;
	struct devnode_peer *p = calloc(1, sizeof(*p));

	if (p) {
		p->conn = a->conn;
		memcpy(p->pub, a->id, DEVPLANE_ID_LEN);
		if (!sesshost_peer(n->sh, a->conn, &pi)) {
			fmt_ep(p->local, sizeof(p->local), &pi.local);
			fmt_ep(p->remote, sizeof(p->remote), &pi.remote);
		}
		p->next = n->peers;
		n->peers = p;
		ev.peer = p->pub;
		ev.local = p->local;
		ev.remote = p->remote;
		devnode_emit(n, &ev);
	}
	devnode_peer_up(n, a->conn, a->id, now);
}

static void ev_closed(struct devplane *n, const struct sesshost_action *a,
		      uint64_t now)
{
	struct devnode_peer **pp = &n->peers;

	while (*pp && (*pp)->conn != a->conn)
		pp = &(*pp)->next;
	if (*pp) {
		struct devnode_peer *p = *pp;
		struct devplane_peer_event ev = {
			.type = DEVPLANE_EV_DROP, .peer = p->pub,
			.error = devplane_reason_name(
				a->reason == P2P_DISC_NONE ? -1 : a->reason),
			.local = p->local, .remote = p->remote,
		};

		*pp = p->next;
		devnode_emit(n, &ev);
		free(p);
	}
	devnode_peer_gone(n, a->id, now);
}

static void ev_msg(struct devplane *n, const struct sesshost_action *a)
{
	const struct devnode_peer *p = peer_by_conn(n, a->conn);
	struct devplane_peer_event ev = {
		.type = a->sent ? DEVPLANE_EV_MSGSEND : DEVPLANE_EV_MSGRECV,
		.peer = a->id, .protocol = a->proto ? a->proto->name : NULL,
		.msg_code = a->code,
		.msg_size = a->len > UINT32_MAX ? UINT32_MAX : (uint32_t)a->len,
		.local = p ? p->local : NULL, .remote = p ? p->remote : NULL,
	};

	devnode_emit(n, &ev);
}

/* rlpxhost's event hook: peers up and gone, dials failed, messages. */
void devnode_on_engine_event(void *user, const struct sesshost_action *a,
			     uint64_t now)
{
	struct devplane *n = user;

	switch (a->kind) {
	case SESSHOST_EV_PEER_ADDED:
		ev_added(n, a, now);
		break;
	case SESSHOST_EV_CLOSED:
		ev_closed(n, a, now);
		break;
	case SESSHOST_EV_DIAL_FAILED:
		devnode_peer_gone(n, a->id, now);
		break;
	case SESSHOST_EV_MSG:
		if (n->msg_events)
			ev_msg(n, a);
		break;
	default:
		break;
	}
}

int devplane_subscribe(struct devplane *n, struct devplane_sub **out,
		       devplane_event_fn *fn, void *user)
{
	struct devplane_sub *s;

	if (out)
		*out = NULL;
	if (!fn)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->n = n;
	s->fn = fn;
	s->user = user;
	s->next = n->subs;
	n->subs = s;
	if (out)
		*out = s;
	return 0;
}

void devplane_unsubscribe(struct devplane_sub *s)
{
	struct devplane *n;
	struct devplane_sub **pp;

	if (!s)
		return;
	n = s->n;
	s->dead = true;
	if (n->emitting)
		return;                 /* devnode_emit() frees it */
	for (pp = &n->subs; *pp && *pp != s;)
		pp = &(*pp)->next;
	if (*pp)
		*pp = s->next;
	free(s);
}
