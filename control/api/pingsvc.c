/* SPDX-License-Identifier: MIT */
/* control/api/pingsvc.c - ping/1 on the public protocol API. */
#include "control/api/pingsvc.h"

#include <errno.h>
#include <string.h>

#include "control/rlpx/p2p.h"
#include "control/rlpx/pingproto.h"

struct ping_peer {                      /* per-peer state, zeroed */
	bool outstanding;
	uint64_t id;
	uint64_t sent_ns;
};

int pingsvc_ping(struct pingsvc *ps, struct devplane_peer *peer)
{
	struct ping_peer *st = devplane_peer_state(peer, ps->proto);
	uint8_t out[16];
	ssize_t n;
	int rc;

	n = pingproto_encode(out, sizeof(out), ++ps->seq);
	if (!st || n < 0)
		return -EINVAL;
	rc = devplane_send(ps->proto, peer, PINGPROTO_PING, out, (size_t)n);
	if (rc)
		return rc;
	st->outstanding = true;
	st->id = ps->seq;
	st->sent_ns = devplane_now_ns();
	return 0;
}

static int added(struct devplane_protocol *p, struct devplane_peer *peer,
		 void *user)
{
	struct pingsvc *ps = user;

	(void)p;
	if (ps->on_added)
		ps->on_added(ps->user, devplane_peer_id(peer),
			     devplane_peer_inbound(peer));
	return pingsvc_ping(ps, peer) ? DEVPLANE_DROP(P2P_DISC_NETWORK_ERROR) :
	       DEVPLANE_OK;
}

static int msg(struct devplane_protocol *p, struct devplane_peer *peer,
	       const struct devplane_msg *m, void *user)
{
	struct pingsvc *ps = user;
	struct ping_peer *st = devplane_peer_state(peer, p);
	uint8_t out[16];
	uint64_t id;
	ssize_t n;

	if (!st || pingproto_decode(&id, m->data, m->len) < 0)
		return DEVPLANE_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	switch (m->code) {
	case PINGPROTO_PING:
		n = pingproto_encode(out, sizeof(out), id);
		if (n < 0 || devplane_send(p, peer, PINGPROTO_PONG, out,
					   (size_t)n))
			return DEVPLANE_DROP(P2P_DISC_NETWORK_ERROR);
		ps->pings_answered++;
		return DEVPLANE_OK;
	case PINGPROTO_PONG:
		if (!st->outstanding || st->id != id)
			return DEVPLANE_OK;     /* late or unsolicited */
		st->outstanding = false;
		ps->pongs++;
		if (ps->on_pong)
			ps->on_pong(ps->user, devplane_peer_id(peer), id,
				    devplane_now_ns() - st->sent_ns);
		return DEVPLANE_OK;
	default:
		return DEVPLANE_OK;
	}
}

int pingsvc_register(struct pingsvc *ps, struct devplane *n)
{
	struct devplane_proto def = {
		.name = PINGPROTO_NAME, .version = PINGPROTO_VERSION,
		.length = PINGPROTO_LEN,
		.peer_state_size = sizeof(struct ping_peer),
		.user = ps, .on_peer_added = added, .on_msg = msg,
	};

	return devplane_register_protocol(n, &ps->proto, &def);
}
