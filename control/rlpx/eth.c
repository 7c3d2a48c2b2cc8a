/* SPDX-License-Identifier: MIT */
/* control/rlpx/eth.c - the eth/68 and eth/69 subprotocol: Status handshake, empty answers to requests. */
#include "control/rlpx/eth.h"

#include <errno.h>
#include <string.h>

#include "common/rlp.h"

struct eth_peer {                       /* per-peer state, zeroed by p2p */
	bool status_received;
	struct eth_status remote;
};

static const char *const err_names[ETH_ERR_MAX] = {
	[ETH_OK] = "ok",
	[ETH_ERR_DECODE] = "invalid message",
	[ETH_ERR_NO_STATUS] = "no status message",
	[ETH_ERR_EXTRA_STATUS] = "extra status message",
	[ETH_ERR_VERSION] = "protocol version mismatch",
	[ETH_ERR_NETWORK] = "network id mismatch",
	[ETH_ERR_GENESIS] = "genesis mismatch",
	[ETH_ERR_FORKID_REMOTE_STALE] = "fork id rejected: remote stale",
	[ETH_ERR_FORKID_INCOMPATIBLE] =
		"fork id rejected: local incompatible or stale",
	[ETH_ERR_BLOCK_RANGE] = "invalid block range",
};

const char *eth_err_name(enum eth_err err)
{
	if ((unsigned)err < ETH_ERR_MAX)
		return err_names[err];
	return "unknown";
}

ssize_t eth_status_encode(uint8_t *out, size_t cap,
			  const struct eth_status *s)
{
	struct rlp_buf b;

	if (s->version != ETH_VERSION_68 && s->version != ETH_VERSION_69)
		return -EINVAL;
	if (s->td_len > ETH_TD_MAX)
		return -EINVAL;
	rlp_buf_init(&b, out, cap);
	rlp_list_begin(&b);
	rlp_put_u64(&b, s->version);
	rlp_put_u64(&b, s->network_id);
	if (s->version == ETH_VERSION_68) {
		rlp_put_uint_be(&b, s->td, s->td_len);
		rlp_put_bytes(&b, s->head, ETH_HASH_LEN);
		rlp_put_bytes(&b, s->genesis, ETH_HASH_LEN);
		forkid_put(&b, &s->forkid);
	} else {
		rlp_put_bytes(&b, s->genesis, ETH_HASH_LEN);
		forkid_put(&b, &s->forkid);
		rlp_put_u64(&b, s->earliest);
		rlp_put_u64(&b, s->latest);
		rlp_put_bytes(&b, s->latest_hash, ETH_HASH_LEN);
	}
	rlp_list_end(&b);
	return rlp_buf_finish(&b);
}

static int get_item(struct rlp_iter *it, struct rlp_item *out, bool list)
{
	int rc = rlp_iter_next(it, out);

	if (rc != 1 || out->is_list != list)
		return -EBADMSG;
	return 0;
}

static int get_u64(struct rlp_iter *it, uint64_t *v)
{
	struct rlp_item item;

	if (get_item(it, &item, false) < 0 || rlp_to_u64(v, &item) < 0)
		return -EBADMSG;
	return 0;
}

static int get_hash(struct rlp_iter *it, uint8_t out[ETH_HASH_LEN])
{
	struct rlp_item item;

	if (get_item(it, &item, false) < 0 || item.len != ETH_HASH_LEN)
		return -EBADMSG;
	memcpy(out, item.p, ETH_HASH_LEN);
	return 0;
}

ssize_t eth_status_decode(struct eth_status *out, uint32_t version,
			  const uint8_t *buf, size_t len)
{
	struct rlp_item outer, item;
	struct rlp_iter it;
	uint64_t v;
	ssize_t n;
	int rc;

	if (version != ETH_VERSION_68 && version != ETH_VERSION_69)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	n = rlp_next(&outer, buf, len);
	if (n < 0)
		return n;
	if (!outer.is_list)
		return -EBADMSG;
	rlp_iter_init(&it, &outer);
	if (get_u64(&it, &v) < 0 || v > UINT32_MAX)
		return -EBADMSG;
	out->version = (uint32_t)v;
	if (get_u64(&it, &out->network_id) < 0)
		return -EBADMSG;
	if (version == ETH_VERSION_68) {
		/* td: a big integer; canonical (no leading zero byte). */
		if (get_item(&it, &item, false) < 0 ||
		    item.len > ETH_TD_MAX || (item.len > 0 && item.p[0] == 0))
			return -EBADMSG;
		memcpy(out->td, item.p, item.len);
		out->td_len = item.len;
		if (get_hash(&it, out->head) < 0 ||
		    get_hash(&it, out->genesis) < 0)
			return -EBADMSG;
		if (get_item(&it, &item, true) < 0 ||
		    forkid_from_item(&out->forkid, &item) < 0)
			return -EBADMSG;
	} else {
		if (get_hash(&it, out->genesis) < 0)
			return -EBADMSG;
		if (get_item(&it, &item, true) < 0 ||
		    forkid_from_item(&out->forkid, &item) < 0)
			return -EBADMSG;
		if (get_u64(&it, &out->earliest) < 0 ||
		    get_u64(&it, &out->latest) < 0 ||
		    get_hash(&it, out->latest_hash) < 0)
			return -EBADMSG;
	}
	/* Later versions may append fields: skip well-formed extras. */
	while ((rc = rlp_iter_next(&it, &item)) == 1)
		;
	if (rc < 0)
		return -EBADMSG;
	return n;
}

static bool all_zero(const uint8_t *b, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= b[i];
	return acc == 0;
}

void eth_set_head(struct eth *e, uint64_t block, uint64_t time,
		  const uint8_t hash[ETH_HASH_LEN])
{
	e->cfg.head_block = block;
	e->cfg.head_time = time;
	memcpy(e->cfg.head_hash, hash, ETH_HASH_LEN);
}

void eth_local_status(const struct eth *e, struct eth_status *out,
		      uint32_t version)
{
	const struct forkid_chain *c = e->cfg.chain;
	const uint8_t *head = all_zero(e->cfg.head_hash, ETH_HASH_LEN) ?
			      c->genesis : e->cfg.head_hash;

	memset(out, 0, sizeof(*out));
	out->version = version;
	out->network_id = c->network_id;
	memcpy(out->genesis, c->genesis, ETH_HASH_LEN);
	forkid_compute(&out->forkid, c, e->cfg.head_block, e->cfg.head_time);
	if (version == ETH_VERSION_68) {
		memcpy(out->td, e->cfg.td, e->cfg.td_len);
		out->td_len = e->cfg.td_len;
		memcpy(out->head, head, ETH_HASH_LEN);
	} else {
		out->earliest = e->cfg.earliest;
		out->latest = e->cfg.head_block;
		memcpy(out->latest_hash, head, ETH_HASH_LEN);
	}
}

enum eth_err eth_status_check(const struct eth *e,
			      const struct eth_status *remote,
			      uint32_t version)
{
	const struct forkid_chain *c = e->cfg.chain;

	/* The order of geth's eth/protocols/eth handshake checks. */
	if (remote->version != version)
		return ETH_ERR_VERSION;
	if (remote->network_id != c->network_id)
		return ETH_ERR_NETWORK;
	if (memcmp(remote->genesis, c->genesis, ETH_HASH_LEN) != 0)
		return ETH_ERR_GENESIS;
	switch (forkid_validate(c, e->cfg.head_block, e->cfg.head_time,
				&remote->forkid)) {
	case FORKID_OK:
		break;
	case FORKID_REMOTE_STALE:
		return ETH_ERR_FORKID_REMOTE_STALE;
	case FORKID_LOCAL_INCOMPATIBLE:
		return ETH_ERR_FORKID_INCOMPATIBLE;
	}
	if (version >= ETH_VERSION_69 && remote->earliest > remote->latest)
		return ETH_ERR_BLOCK_RANGE;
	return ETH_OK;
}

static struct eth *eth_of(const struct p2p_proto *proto)
{
	return proto->user;
}

static int on_peer_added(const struct p2p_proto *proto,
			 struct p2p_peer *peer, uint64_t now_ns)
{
	struct eth *e = eth_of(proto);
	struct eth_status st;
	uint8_t buf[256];
	ssize_t n;

	(void)now_ns;
	eth_local_status(e, &st, proto->version);
	n = eth_status_encode(buf, sizeof(buf), &st);
	if (n < 0)
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	if (p2p_send(p2p_peer_host(peer), peer, proto, ETH_STATUS, buf,
		     (size_t)n) < 0)
		return P2P_DROP(P2P_DISC_NETWORK_ERROR);
	return 0;
}

static int on_status(struct eth *e, const struct p2p_proto *proto,
		     struct p2p_peer *peer, struct eth_peer *ep,
		     const uint8_t *payload, size_t len)
{
	enum eth_err err;
	int r = -1;

	if (ep->status_received)
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);      /* extra Status */
	if (eth_status_decode(&ep->remote, proto->version, payload, len) < 0) {
		e->n_status_rejected++;
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	}
	ep->status_received = true;
	err = eth_status_check(e, &ep->remote, proto->version);
	if (e->cfg.on_status)
		r = e->cfg.on_status(e->cfg.user, peer, &ep->remote, err);
	if (err == ETH_OK)
		e->n_status_ok++;
	else
		e->n_status_rejected++;
	if (r >= 0)
		return P2P_DROP(r);
	return err == ETH_OK ? 0 : P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
}

/* Answers a request [request-id, ...] with [request-id, []]. */
static int answer_empty(struct eth *e, const struct p2p_proto *proto,
			struct p2p_peer *peer, uint64_t reply_code,
			const uint8_t *payload, size_t len)
{
	struct rlp_item outer, item;
	struct rlp_iter it;
	struct rlp_buf b;
	uint8_t out[16];
	uint64_t reqid;
	ssize_t n;

	if (rlp_next(&outer, payload, len) < 0 || !outer.is_list)
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	rlp_iter_init(&it, &outer);
	if (rlp_iter_next(&it, &item) != 1 || item.is_list ||
	    rlp_to_u64(&reqid, &item) < 0)
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	rlp_buf_init(&b, out, sizeof(out));
	rlp_list_begin(&b);
	rlp_put_u64(&b, reqid);
	rlp_list_begin(&b);
	rlp_list_end(&b);
	rlp_list_end(&b);
	n = rlp_buf_finish(&b);
	if (n < 0)
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	if (p2p_send(p2p_peer_host(peer), peer, proto, reply_code, out,
		     (size_t)n) < 0)
		return P2P_DROP(P2P_DISC_NETWORK_ERROR);
	e->n_requests_answered++;
	return 0;
}

static int on_block_range(struct eth_peer *ep, const uint8_t *payload,
			  size_t len)
{
	struct rlp_item outer;
	struct rlp_iter it;
	uint64_t earliest, latest;
	uint8_t hash[ETH_HASH_LEN];

	if (rlp_next(&outer, payload, len) < 0 || !outer.is_list)
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	rlp_iter_init(&it, &outer);
	if (get_u64(&it, &earliest) < 0 || get_u64(&it, &latest) < 0 ||
	    get_hash(&it, hash) < 0)
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	/* caps/eth.md, BlockRangeUpdate: earliest > latest -> disconnect. */
	if (earliest > latest)
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	ep->remote.earliest = earliest;
	ep->remote.latest = latest;
	memcpy(ep->remote.latest_hash, hash, ETH_HASH_LEN);
	return 0;
}

static int on_msg(const struct p2p_proto *proto, struct p2p_peer *peer,
		  uint64_t code, const uint8_t *payload, size_t len,
		  uint64_t now_ns)
{
	struct eth *e = eth_of(proto);
	struct eth_peer *ep = p2p_peer_state(peer, proto);

	(void)now_ns;
	if (!ep)
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	if (code == ETH_STATUS)
		return on_status(e, proto, peer, ep, payload, len);
	if (!ep->status_received)
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);      /* no Status first */
	switch (code) {
	case ETH_GET_BLOCK_HEADERS:
		return answer_empty(e, proto, peer, ETH_BLOCK_HEADERS,
				    payload, len);
	case ETH_GET_BLOCK_BODIES:
		return answer_empty(e, proto, peer, ETH_BLOCK_BODIES,
				    payload, len);
	case ETH_GET_POOLED_TXS:
		return answer_empty(e, proto, peer, ETH_POOLED_TXS, payload,
				    len);
	case ETH_GET_RECEIPTS:
		return answer_empty(e, proto, peer, ETH_RECEIPTS, payload,
				    len);
	case ETH_BLOCK_RANGE_UPDATE:
		if (proto->version >= ETH_VERSION_69)
			return on_block_range(ep, payload, len);
		return 0;
	default:
		return 0;               /* announcements and responses */
	}
}

int eth_init(struct eth *e, const struct eth_config *cfg)
{
	if (!cfg->chain || cfg->td_len > ETH_TD_MAX)
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	e->proto68 = (struct p2p_proto){
		.name = "eth", .version = ETH_VERSION_68,
		.length = ETH_LEN_68,
		.peer_state_size = sizeof(struct eth_peer), .user = e,
		.on_peer_added = on_peer_added, .on_msg = on_msg,
	};
	e->proto69 = e->proto68;
	e->proto69.version = ETH_VERSION_69;
	e->proto69.length = ETH_LEN_69;
	return 0;
}

int eth_register(struct eth *e, struct p2p_host *h)
{
	int rc = p2p_register(h, &e->proto69);

	if (rc < 0)
		return rc;
	return p2p_register(h, &e->proto68);
}

const struct eth_status *eth_peer_status(const struct eth *e,
					 const struct p2p_peer *peer)
{
	const struct eth_peer *ep = p2p_peer_state(peer, &e->proto69);

	if (!ep)
		ep = p2p_peer_state(peer, &e->proto68);
	return ep && ep->status_received ? &ep->remote : NULL;
}
