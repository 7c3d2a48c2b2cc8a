/* SPDX-License-Identifier: MIT */
/* control/rlpx/pingproto.c - the `ping` demo subprotocol: request/reply with an id. */
#include "control/rlpx/pingproto.h"

#include <errno.h>
#include <string.h>

#include "common/rlp.h"

struct ping_peer {                      /* per-peer state, zeroed by p2p */
	bool outstanding;
	uint64_t id;
	uint64_t sent_ns;
};

ssize_t pingproto_encode(uint8_t *out, size_t cap, uint64_t id)
{
	struct rlp_buf b;

	rlp_buf_init(&b, out, cap);
	rlp_list_begin(&b);
	rlp_put_u64(&b, id);
	rlp_list_end(&b);
	return rlp_buf_finish(&b);
}

ssize_t pingproto_decode(uint64_t *id, const uint8_t *buf, size_t len)
{
	struct rlp_item outer, item;
	struct rlp_iter it;
	ssize_t n;

	n = rlp_next(&outer, buf, len);
	if (n < 0)
		return n;
	if (!outer.is_list)
		return -EBADMSG;
	rlp_iter_init(&it, &outer);
	if (rlp_iter_next(&it, &item) != 1 || item.is_list ||
	    rlp_to_u64(id, &item) < 0)
		return -EBADMSG;
	return n;
}

static int on_peer_added(const struct p2p_proto *proto,
			 struct p2p_peer *peer, uint64_t now_ns)
{
	struct pingproto *pp = proto->user;

	(void)now_ns;
	if (pp->on_added)
		pp->on_added(pp->user, peer);
	return 0;
}

static int on_msg(const struct p2p_proto *proto, struct p2p_peer *peer,
		  uint64_t code, const uint8_t *payload, size_t len,
		  uint64_t now_ns)
{
	struct pingproto *pp = proto->user;
	struct ping_peer *st = p2p_peer_state(peer, proto);
	uint8_t out[16];
	uint64_t id;
	ssize_t n;

	if (!st || pingproto_decode(&id, payload, len) < 0)
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	switch (code) {
	case PINGPROTO_PING:
		n = pingproto_encode(out, sizeof(out), id);
		if (n < 0 || p2p_send(p2p_peer_host(peer), peer, proto,
				      PINGPROTO_PONG, out, (size_t)n) < 0)
			return P2P_DROP(P2P_DISC_NETWORK_ERROR);
		pp->n_pings_answered++;
		return 0;
	case PINGPROTO_PONG:
		if (!st->outstanding || st->id != id)
			return 0;       /* late or unsolicited: ignored */
		st->outstanding = false;
		pp->n_pongs++;
		if (pp->on_pong)
			pp->on_pong(pp->user, peer, id, now_ns - st->sent_ns);
		return 0;
	default:
		return 0;
	}
}

void pingproto_init(struct pingproto *pp,
		    void (*on_pong)(void *user, struct p2p_peer *peer,
				    uint64_t id, uint64_t rtt_ns),
		    void (*on_added)(void *user, struct p2p_peer *peer),
		    void *user)
{
	memset(pp, 0, sizeof(*pp));
	pp->on_pong = on_pong;
	pp->on_added = on_added;
	pp->user = user;
	pp->proto = (struct p2p_proto){
		.name = PINGPROTO_NAME, .version = PINGPROTO_VERSION,
		.length = PINGPROTO_LEN,
		.peer_state_size = sizeof(struct ping_peer), .user = pp,
		.on_peer_added = on_peer_added, .on_msg = on_msg,
	};
}

int pingproto_register(struct pingproto *pp, struct p2p_host *h)
{
	return p2p_register(h, &pp->proto);
}

int pingproto_ping(struct pingproto *pp, struct p2p_peer *peer, uint64_t id,
		   uint64_t now_ns)
{
	struct ping_peer *st = p2p_peer_state(peer, &pp->proto);
	uint8_t out[16];
	ssize_t n;
	int rc;

	if (!st)
		return -EPROTO;
	n = pingproto_encode(out, sizeof(out), id);
	if (n < 0)
		return (int)n;
	rc = p2p_send(p2p_peer_host(peer), peer, &pp->proto, PINGPROTO_PING,
		      out, (size_t)n);
	if (rc < 0)
		return rc;
	st->outstanding = true;
	st->id = id;
	st->sent_ns = now_ns;
	return 0;
}
