/* SPDX-License-Identifier: MIT */
/* control/eth.c - the eth subprotocol, versions 68 to 72: Status handshake, empty answers to requests. */
#include "control/rlpx/eth.h"

#include <errno.h>
#include <string.h>

#include "common/rlp.h"

/* Largest reply: GetBlockAccessLists answered with ETH_MAX_BALS_SERVE
 * empty strings, [id, [0x80 x 1024]]: 3 + 9 + 3 + 1024 bytes. */
#define ETH_REPLY_MAX 1100

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

uint16_t eth_msg_count(uint32_t version)
{
	switch (version) {
	case ETH_VERSION_68:
		return ETH_LEN_68;
	case ETH_VERSION_69:
		return ETH_LEN_69;
	case ETH_VERSION_70:
		return ETH_LEN_70;
	case ETH_VERSION_71:
		return ETH_LEN_71;
	case ETH_VERSION_72:
		return ETH_LEN_72;
	default:
		return 0;
	}
}

static bool known_version(uint32_t v)
{
	return v >= ETH_VERSION_MIN && v <= ETH_VERSION_MAX;
}

static bool all_zero(const uint8_t *b, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= b[i];
	return acc == 0;
}

/* ------------------------------------------------------------------ */
/* Decoding helpers: geth's rlp package rules for the fields it reads.  */

static int get_item(struct rlp_iter *it, struct rlp_item *out, bool list)
{
	int rc = rlp_iter_next(it, out);

	if (rc != 1 || out->is_list != list)
		return -EBADMSG;
	return 0;
}

/* A canonical unsigned integer of at most 8 bytes (the single byte 0x00
 * is non-canonical, as in geth). */
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
	if (out)
		memcpy(out, item.p, ETH_HASH_LEN);
	return 0;
}

/* Go's bool: the empty string (false) or the byte 0x01 (true). */
static int get_bool(struct rlp_iter *it)
{
	struct rlp_item item;

	if (get_item(it, &item, false) < 0)
		return -EBADMSG;
	if (item.len == 0 || (item.len == 1 && item.p[0] == 0x01))
		return 0;
	return -EBADMSG;
}

/* The list must be exhausted: geth's struct decoding refuses extra
 * elements ("input list has too many elements"). */
static int get_end(struct rlp_iter *it)
{
	struct rlp_item item;

	return rlp_iter_next(it, &item) == 0 ? 0 : -EBADMSG;
}

/* A list of 32-byte strings; returns the count or -EBADMSG. */
static long get_hash_list(struct rlp_iter *it)
{
	struct rlp_item list;
	struct rlp_iter hit;
	long n = 0;

	if (get_item(it, &list, true) < 0)
		return -EBADMSG;
	rlp_iter_init(&hit, &list);
	while (hit.len > 0) {
		if (get_hash(&hit, NULL) < 0)
			return -EBADMSG;
		n++;
	}
	return n;
}

/* Opens the message's top-level list. Bytes after it are ignored, as
 * geth's msg.Decode reads one value from the payload. */
static int open_list(struct rlp_iter *it, const uint8_t *buf, size_t len)
{
	struct rlp_item outer;

	if (rlp_next(&outer, buf, len) < 0 || !outer.is_list)
		return -EBADMSG;
	rlp_iter_init(it, &outer);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Status and BlockRangeUpdate codecs                                  */

static bool range_ok(uint64_t earliest, uint64_t latest,
		     const uint8_t hash[ETH_HASH_LEN])
{
	/* geth BlockRangeUpdatePacket.Validate(). */
	return earliest <= latest && !all_zero(hash, ETH_HASH_LEN);
}

ssize_t eth_status_encode(uint8_t *out, size_t cap,
			  const struct eth_status *s)
{
	struct rlp_buf b;

	if (!known_version(s->version) || s->td_len > ETH_TD_MAX)
		return -EINVAL;
	if (s->version >= ETH_VERSION_69 &&
	    !range_ok(s->earliest, s->latest, s->latest_hash))
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

ssize_t eth_status_decode(struct eth_status *out, uint32_t version,
			  const uint8_t *buf, size_t len)
{
	struct rlp_item outer, item;
	struct rlp_iter it;
	uint64_t v;
	ssize_t n;

	if (!known_version(version))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	n = rlp_next(&outer, buf, len);
	if (n < 0)
		return n;
	if (!outer.is_list)
		return -EBADMSG;
	rlp_iter_init(&it, &outer);
	/* ProtocolVersion is a uint32 in geth: at most 4 bytes. */
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
	if (get_end(&it) < 0)
		return -EBADMSG;
	return n;
}

ssize_t eth_block_range_encode(uint8_t *out, size_t cap, uint64_t earliest,
			       uint64_t latest,
			       const uint8_t hash[ETH_HASH_LEN])
{
	struct rlp_buf b;

	if (!range_ok(earliest, latest, hash))
		return -EINVAL;
	rlp_buf_init(&b, out, cap);
	rlp_list_begin(&b);
	rlp_put_u64(&b, earliest);
	rlp_put_u64(&b, latest);
	rlp_put_bytes(&b, hash, ETH_HASH_LEN);
	rlp_list_end(&b);
	return rlp_buf_finish(&b);
}

ssize_t eth_block_range_decode(uint64_t *earliest, uint64_t *latest,
			       uint8_t hash[ETH_HASH_LEN], const uint8_t *buf,
			       size_t len)
{
	struct rlp_item outer;
	struct rlp_iter it;
	ssize_t n;

	n = rlp_next(&outer, buf, len);
	if (n < 0)
		return n;
	if (!outer.is_list)
		return -EBADMSG;
	rlp_iter_init(&it, &outer);
	if (get_u64(&it, earliest) < 0 || get_u64(&it, latest) < 0 ||
	    get_hash(&it, hash) < 0 || get_end(&it) < 0)
		return -EBADMSG;
	/* caps/eth.md, BlockRangeUpdate: earliest > latest -> disconnect;
	 * geth also refuses a zero latest hash. */
	if (!range_ok(*earliest, *latest, hash))
		return -ERANGE;
	return n;
}

/* ------------------------------------------------------------------ */
/* Local state                                                         */

/* The head's timestamp for fork ids: never before the genesis. */
static uint64_t head_time(const struct eth *e)
{
	const struct forkid_chain *c = e->cfg.chain;

	return e->cfg.head_time < c->genesis_time ? c->genesis_time :
						    e->cfg.head_time;
}

static const uint8_t *head_hash(const struct eth *e)
{
	return all_zero(e->cfg.head_hash, ETH_HASH_LEN) ?
	       e->cfg.chain->genesis : e->cfg.head_hash;
}

void eth_local_forkid(const struct eth *e, struct forkid *out)
{
	forkid_compute(out, e->cfg.chain, e->cfg.head_block, head_time(e));
}

ssize_t eth_enr_entry(const struct eth *e, uint8_t *out, size_t cap)
{
	struct forkid id;
	struct rlp_buf b;

	eth_local_forkid(e, &id);
	rlp_buf_init(&b, out, cap);
	rlp_list_begin(&b);
	forkid_put(&b, &id);
	rlp_list_end(&b);
	return rlp_buf_finish(&b);
}

void eth_local_status(const struct eth *e, struct eth_status *out,
		      uint32_t version)
{
	const struct forkid_chain *c = e->cfg.chain;

	memset(out, 0, sizeof(*out));
	out->version = version;
	out->network_id = c->network_id;
	memcpy(out->genesis, c->genesis, ETH_HASH_LEN);
	eth_local_forkid(e, &out->forkid);
	if (version == ETH_VERSION_68) {
		memcpy(out->td, e->cfg.td, e->cfg.td_len);
		out->td_len = e->cfg.td_len;
		memcpy(out->head, head_hash(e), ETH_HASH_LEN);
	} else {
		/* geth: earliest = min(latest, history cutoff). */
		out->latest = e->cfg.head_block;
		out->earliest = e->cfg.earliest < out->latest ?
				e->cfg.earliest : out->latest;
		memcpy(out->latest_hash, head_hash(e), ETH_HASH_LEN);
	}
}

enum eth_err eth_status_check(const struct eth *e,
			      const struct eth_status *remote,
			      uint32_t version)
{
	const struct forkid_chain *c = e->cfg.chain;

	/* The order of geth's readStatus (eth/protocols/eth/handshake.go). */
	if (remote->network_id != c->network_id)
		return ETH_ERR_NETWORK;
	if (remote->version != version)
		return ETH_ERR_VERSION;
	if (memcmp(remote->genesis, c->genesis, ETH_HASH_LEN) != 0)
		return ETH_ERR_GENESIS;
	switch (forkid_validate(c, e->cfg.head_block, head_time(e),
				&remote->forkid)) {
	case FORKID_OK:
		break;
	case FORKID_REMOTE_STALE:
		return ETH_ERR_FORKID_REMOTE_STALE;
	case FORKID_LOCAL_INCOMPATIBLE:
		return ETH_ERR_FORKID_INCOMPATIBLE;
	}
	if (version >= ETH_VERSION_69 &&
	    !range_ok(remote->earliest, remote->latest, remote->latest_hash))
		return ETH_ERR_BLOCK_RANGE;
	return ETH_OK;
}

/* ------------------------------------------------------------------ */
/* The handler                                                         */

static struct eth *eth_of(const struct p2p_proto *proto)
{
	return proto->user;
}

static int drop_malformed(struct eth *e)
{
	e->n_malformed++;
	return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
}

static int on_peer_added(const struct p2p_proto *proto,
			 struct p2p_peer *peer, uint64_t now_ns)
{
	struct eth *e = eth_of(proto);
	struct eth_status st;
	uint8_t buf[256];
	ssize_t n;

	(void)now_ns;
	e->host = p2p_peer_host(peer);
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

	if (ep->status_received) {
		e->n_bad_code++;        /* geth: invalid message code 0 */
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	}
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

static int send_reply(struct eth *e, const struct p2p_proto *proto,
		      struct p2p_peer *peer, uint64_t code,
		      const struct rlp_buf *b)
{
	ssize_t n = rlp_buf_finish(b);

	if (n < 0)              /* ETH_REPLY_MAX covers every reply */
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	if (p2p_send(p2p_peer_host(peer), peer, proto, code, b->p,
		     (size_t)n) < 0)
		return P2P_DROP(P2P_DISC_NETWORK_ERROR);
	e->n_requests_answered++;
	return 0;
}

/*
 * Requests, each parsed as geth's packet struct decodes it, then answered
 * as geth answers on a chain and pool holding none of what is asked.
 */
static int on_request(struct eth *e, const struct p2p_proto *proto,
		      struct p2p_peer *peer, uint64_t code,
		      const uint8_t *payload, size_t len)
{
	uint8_t out[ETH_REPLY_MAX], mask[ETH_CELLS_MASK_LEN];
	struct rlp_iter it, qit;
	struct rlp_item item;
	struct rlp_buf b;
	uint64_t reqid, idx, v;
	long n = 0;

	if (open_list(&it, payload, len) < 0 || get_u64(&it, &reqid) < 0)
		return drop_malformed(e);
	switch (code) {
	case ETH_GET_BLOCK_HEADERS:
		/* [reqid, [origin: {P, B_32}, amount, skip, reverse]] */
		if (get_item(&it, &item, true) < 0)
			return drop_malformed(e);
		rlp_iter_init(&qit, &item);
		/* geth HashOrNumber: 32 bytes a hash, up to 8 a number. */
		if (get_item(&qit, &item, false) < 0 ||
		    (item.len != ETH_HASH_LEN && rlp_to_u64(&v, &item) < 0) ||
		    get_u64(&qit, &v) < 0 || get_u64(&qit, &v) < 0 ||
		    get_bool(&qit) < 0 || get_end(&qit) < 0)
			return drop_malformed(e);
		break;
	case ETH_GET_RECEIPTS:
		/* eth/70 (EIP-7975): [reqid, firstBlockReceiptIndex,
		 * [hash, ...]]; before: [reqid, [hash, ...]]. */
		if (proto->version >= ETH_VERSION_70 &&
		    get_u64(&it, &idx) < 0)
			return drop_malformed(e);
		/* fall through */
	case ETH_GET_BLOCK_BODIES:
	case ETH_GET_POOLED_TXS:
	case ETH_GET_BLOCK_ACCESS_LISTS:
		/* [reqid, [hash, ...]] */
		n = get_hash_list(&it);
		if (n < 0)
			return drop_malformed(e);
		break;
	case ETH_GET_CELLS:
		/* EIP-8070: [reqid, [txhash, ...], cells: B_16] */
		if (get_hash_list(&it) < 0 ||
		    get_item(&it, &item, false) < 0 ||
		    item.len != ETH_CELLS_MASK_LEN)
			return drop_malformed(e);
		memcpy(mask, item.p, ETH_CELLS_MASK_LEN);
		break;
	default:
		return drop_malformed(e);       /* not a request */
	}
	if (get_end(&it) < 0)
		return drop_malformed(e);

	rlp_buf_init(&b, out, sizeof(out));
	rlp_list_begin(&b);
	rlp_put_u64(&b, reqid);
	switch (code) {
	case ETH_GET_RECEIPTS:
		/* eth/70 Receipts: [reqid, lastBlockIncomplete, [...]] */
		if (proto->version >= ETH_VERSION_70)
			rlp_put_u64(&b, 0);
		rlp_list_begin(&b);
		rlp_list_end(&b);
		break;
	case ETH_GET_BLOCK_ACCESS_LISTS:
		/* EIP-8159: one entry per requested hash, the RLP empty
		 * string where the BAL is unavailable; geth serves at most
		 * maxBALsServe entries. */
		if (n > ETH_MAX_BALS_SERVE)
			n = ETH_MAX_BALS_SERVE;
		rlp_list_begin(&b);
		for (long i = 0; i < n; i++)
			rlp_put_bytes(&b, NULL, 0);
		rlp_list_end(&b);
		break;
	case ETH_GET_CELLS:
		/* Cells: [reqid, [txhash...], [[cell...]...], cells]. No
		 * transaction is returned; the bitmap is the requested one,
		 * as geth's answerGetCells returns it. */
		rlp_list_begin(&b);
		rlp_list_end(&b);
		rlp_list_begin(&b);
		rlp_list_end(&b);
		rlp_put_bytes(&b, mask, ETH_CELLS_MASK_LEN);
		break;
	default:
		/* BlockHeaders, BlockBodies, PooledTransactions:
		 * [reqid, []]. */
		rlp_list_begin(&b);
		rlp_list_end(&b);
		break;
	}
	rlp_list_end(&b);
	/* Each request's answer is its code + 1. */
	return send_reply(e, proto, peer, code + 1, &b);
}

/* Transactions: [tx, ...], a tx an RLP list (legacy) or a string (typed),
 * at most 5000 (geth maxTransactionAnnouncements). */
static int check_transactions(const uint8_t *payload, size_t len)
{
	struct rlp_item outer, item;
	struct rlp_iter it;
	ssize_t n;
	size_t count = 0;
	int rc;

	n = rlp_next(&outer, payload, len);
	if (n < 0 || !outer.is_list ||
	    rlp_validate(payload, (size_t)n, RLP_MAX_DEPTH) < 0)
		return -EBADMSG;
	rlp_iter_init(&it, &outer);
	while ((rc = rlp_iter_next(&it, &item)) == 1)
		if (++count > ETH_MAX_TX_ANNOUNCE)
			return -EBADMSG;
	return rc < 0 ? -EBADMSG : 0;
}

/* NewPooledTransactionHashes: [types: B, [size: P, ...], [hash: B_32,
 * ...]], eth/72 adding cells: B_16; as many types as sizes and hashes.
 * Sizes are uint32 in geth. */
static int check_pooled_hashes(uint32_t version, const uint8_t *payload,
			       size_t len)
{
	struct rlp_iter it, sit;
	struct rlp_item types, sizes, mask;
	uint64_t v;
	long n_hashes, n_sizes = 0;

	if (open_list(&it, payload, len) < 0 ||
	    get_item(&it, &types, false) < 0 ||
	    get_item(&it, &sizes, true) < 0)
		return -EBADMSG;
	rlp_iter_init(&sit, &sizes);
	while (sit.len > 0) {
		if (get_u64(&sit, &v) < 0 || v > UINT32_MAX)
			return -EBADMSG;
		n_sizes++;
	}
	n_hashes = get_hash_list(&it);
	if (n_hashes < 0)
		return -EBADMSG;
	if (version >= ETH_VERSION_72 &&
	    (get_item(&it, &mask, false) < 0 ||
	     mask.len != ETH_CELLS_MASK_LEN))
		return -EBADMSG;
	if (get_end(&it) < 0)
		return -EBADMSG;
	if ((size_t)n_hashes != types.len || n_hashes != n_sizes)
		return -EBADMSG;
	return 0;
}

/* eth/68 NewBlockHashes: [[hash: B_32, number: P], ...]. */
static int check_new_block_hashes(const uint8_t *payload, size_t len)
{
	struct rlp_iter it, pit;
	struct rlp_item pair;
	uint64_t num;

	if (open_list(&it, payload, len) < 0)
		return -EBADMSG;
	while (it.len > 0) {
		if (get_item(&it, &pair, true) < 0)
			return -EBADMSG;
		rlp_iter_init(&pit, &pair);
		if (get_hash(&pit, NULL) < 0 || get_u64(&pit, &num) < 0 ||
		    get_end(&pit) < 0)
			return -EBADMSG;
	}
	return 0;
}

/* eth/68 NewBlock: [block: [header, txs, ommers, ...], td: P]. The block
 * itself is not looked into beyond being well-formed RLP. */
static int check_new_block(const uint8_t *payload, size_t len)
{
	struct rlp_iter it;
	struct rlp_item item;
	ssize_t n;

	n = rlp_next(&item, payload, len);
	if (n < 0 || rlp_validate(payload, (size_t)n, RLP_MAX_DEPTH) < 0 ||
	    open_list(&it, payload, len) < 0 ||
	    get_item(&it, &item, true) < 0 ||
	    get_item(&it, &item, false) < 0 ||
	    (item.len > 0 && item.p[0] == 0) || get_end(&it) < 0)
		return -EBADMSG;
	return 0;
}

static int on_announcement(struct eth *e, const struct p2p_proto *proto,
			   uint64_t code, const uint8_t *payload, size_t len)
{
	int rc;

	switch (code) {
	case ETH_TRANSACTIONS:
		rc = check_transactions(payload, len);
		break;
	case ETH_NEW_POOLED_TX_HASHES:
		rc = check_pooled_hashes(proto->version, payload, len);
		break;
	case ETH_NEW_BLOCK_HASHES:
		rc = check_new_block_hashes(payload, len);
		break;
	default:                        /* ETH_NEW_BLOCK */
		rc = check_new_block(payload, len);
		break;
	}
	if (rc < 0)
		return drop_malformed(e);
	e->n_announcements++;
	return 0;
}

static int on_block_range(struct eth *e, struct eth_peer *ep,
			  const uint8_t *payload, size_t len)
{
	uint64_t earliest, latest;
	uint8_t hash[ETH_HASH_LEN];

	if (eth_block_range_decode(&earliest, &latest, hash, payload,
				   len) < 0)
		return drop_malformed(e);
	/* geth stores it on the peer (peer.lastRange). */
	ep->remote.earliest = earliest;
	ep->remote.latest = latest;
	memcpy(ep->remote.latest_hash, hash, ETH_HASH_LEN);
	e->n_range_updates++;
	return 0;
}

/* What a code means in a version. The range check (code < length) was
 * done by p2p. */
enum msg_kind {
	K_REQUEST,
	K_RESPONSE,
	K_ANNOUNCE,
	K_RANGE,
	K_REMOVED,              /* not in this version: geth drops the peer */
	K_UNASSIGNED,           /* no version assigns it: ignored */
};

static enum msg_kind classify(uint32_t version, uint64_t code)
{
	switch (code) {
	case ETH_NEW_BLOCK_HASHES:
	case ETH_NEW_BLOCK:
		/* eth/69 (EIP-7642) removed block propagation. */
		return version == ETH_VERSION_68 ? K_ANNOUNCE : K_REMOVED;
	case ETH_TRANSACTIONS:
	case ETH_NEW_POOLED_TX_HASHES:
		return K_ANNOUNCE;
	case ETH_GET_BLOCK_HEADERS:
	case ETH_GET_BLOCK_BODIES:
	case ETH_GET_POOLED_TXS:
	case ETH_GET_RECEIPTS:
	case ETH_GET_BLOCK_ACCESS_LISTS:        /* only in range on 71+ */
	case ETH_GET_CELLS:                     /* only in range on 72 */
		return K_REQUEST;
	case ETH_BLOCK_HEADERS:
	case ETH_BLOCK_BODIES:
	case ETH_POOLED_TXS:
	case ETH_RECEIPTS:
	case ETH_BLOCK_ACCESS_LISTS:
	case ETH_CELLS:
		return K_RESPONSE;
	case ETH_BLOCK_RANGE_UPDATE:            /* only in range on 69+ */
		return K_RANGE;
	default:
		return K_UNASSIGNED;    /* 0x0b..0x0e */
	}
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
	if (len > ETH_MAX_MSG_SIZE)
		return drop_malformed(e);
	if (code == ETH_STATUS)
		return on_status(e, proto, peer, ep, payload, len);
	if (!ep->status_received) {
		e->n_bad_code++;        /* geth: errNoStatusMsg */
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	}
	switch (classify(proto->version, code)) {
	case K_REQUEST:
		return on_request(e, proto, peer, code, payload, len);
	case K_ANNOUNCE:
		return on_announcement(e, proto, code, payload, len);
	case K_RANGE:
		return on_block_range(e, ep, payload, len);
	case K_RESPONSE:
		/* geth: tracker.Fulfil -> "no matching request". */
		e->n_unsolicited++;
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	case K_REMOVED:
		e->n_bad_code++;        /* geth: errInvalidMsgCode */
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	default:
		e->n_unknown_ignored++;
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */

int eth_init(struct eth *e, const struct eth_config *cfg)
{
	if (!cfg->chain || cfg->td_len > ETH_TD_MAX ||
	    all_zero(cfg->chain->genesis, ETH_HASH_LEN) ||
	    (cfg->head_block > 0 && all_zero(cfg->head_hash, ETH_HASH_LEN)))
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	for (uint32_t v = ETH_VERSION_MIN; v <= ETH_VERSION_MAX; v++)
		e->protos[v - ETH_VERSION_MIN] = (struct p2p_proto){
			.name = "eth", .version = v,
			.length = eth_msg_count(v),
			.peer_state_size = sizeof(struct eth_peer), .user = e,
			.on_peer_added = on_peer_added, .on_msg = on_msg,
		};
	e->range_sent = cfg->head_block;
	return 0;
}

const struct p2p_proto *eth_proto(const struct eth *e, uint32_t version)
{
	if (!known_version(version))
		return NULL;
	return &e->protos[version - ETH_VERSION_MIN];
}

int eth_register(struct eth *e, struct p2p_host *h)
{
	for (uint32_t v = ETH_VERSION_MAX; v >= ETH_VERSION_MIN; v--) {
		int rc = p2p_register(h, eth_proto(e, v));

		if (rc < 0)
			return rc;
	}
	e->host = h;
	return 0;
}

int eth_set_head(struct eth *e, uint64_t block, uint64_t time,
		 const uint8_t hash[ETH_HASH_LEN], uint64_t now_ns)
{
	static const uint8_t zero[ETH_HASH_LEN];
	uint8_t msg[64];
	uint64_t earliest;
	ssize_t n;
	int sent = 0;

	if (!hash)
		hash = zero;
	if (block > 0 && all_zero(hash, ETH_HASH_LEN))
		return -EINVAL;
	e->cfg.head_block = block;
	e->cfg.head_time = time;
	memcpy(e->cfg.head_hash, hash, ETH_HASH_LEN);
	/* geth blockRangeState.shouldSend(). */
	if (!e->host || (block >= e->range_sent &&
			 block - e->range_sent < ETH_RANGE_UPDATE_STEP))
		return 0;
	earliest = e->cfg.earliest < block ? e->cfg.earliest : block;
	n = eth_block_range_encode(msg, sizeof(msg), earliest, block,
				   head_hash(e));
	if (n < 0)
		return 0;
	for (uint32_t v = ETH_VERSION_69; v <= ETH_VERSION_MAX; v++)
		sent += (int)p2p_broadcast(e->host, eth_proto(e, v),
					   ETH_BLOCK_RANGE_UPDATE, msg,
					   (size_t)n, now_ns);
	e->range_sent = block;
	e->n_range_sent += (uint64_t)sent;
	return sent;
}

static const struct eth_peer *peer_state(const struct eth *e,
					 const struct p2p_peer *peer,
					 uint32_t *version)
{
	for (uint32_t v = ETH_VERSION_MIN; v <= ETH_VERSION_MAX; v++) {
		const struct eth_peer *ep =
			p2p_peer_state(peer, eth_proto(e, v));

		if (ep) {
			if (version)
				*version = v;
			return ep;
		}
	}
	return NULL;
}

const struct eth_status *eth_peer_status(const struct eth *e,
					 const struct p2p_peer *peer)
{
	const struct eth_peer *ep = peer_state(e, peer, NULL);

	return ep && ep->status_received ? &ep->remote : NULL;
}

uint32_t eth_peer_version(const struct eth *e, const struct p2p_peer *peer)
{
	uint32_t v = 0;

	return peer_state(e, peer, &v) ? v : 0;
}
