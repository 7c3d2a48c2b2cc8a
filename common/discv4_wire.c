/* SPDX-License-Identifier: MIT */
/* common/discv4_wire.c - discv4 packet codec (discv4.md, EIP-8, EIP-868). */
#include "common/discv4_wire.h"

#include <errno.h>
#include <string.h>

#include "common/keccak.h"
#include "common/rlp.h"
#include "common/secp.h"

#define TYPE_OFF DISCV4_HEAD_LEN        /* packet-type follows hash || sig */

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static bool size_ok(size_t len)
{
	return len >= DISCV4_MIN_LEN && len <= DISCV4_MAX_LEN;
}

int discv4_check_hash(const uint8_t *buf, size_t len)
{
	uint8_t h[DISCV4_HASH_LEN];

	if (!size_ok(len))
		return -EMSGSIZE;
	/* discv4.md: hash = keccak256(signature || packet-type || packet-data).
	 * The hash is public and protects nothing, so memcmp is fine. */
	keccak256(h, buf + DISCV4_HASH_LEN, len - DISCV4_HASH_LEN);
	return memcmp(h, buf, DISCV4_HASH_LEN) ? -EBADMSG : 0;
}

int discv4_packet_type(const uint8_t *buf, size_t len)
{
	uint8_t t;

	if (!size_ok(len))
		return -EMSGSIZE;
	t = buf[TYPE_OFF];
	if (t < DISCV4_PING || t > DISCV4_ENRRESPONSE)
		return -EBADMSG;
	return t;
}

int discv4_recover(uint8_t pub[DISCV4_PUB_LEN], const uint8_t *buf,
		   size_t len)
{
	uint8_t h[SECP_HASH_LEN];

	if (!size_ok(len))
		return -EMSGSIZE;
	/* signature = sign(keccak256(packet-type || packet-data)) */
	keccak256(h, buf + TYPE_OFF, len - TYPE_OFF);
	return secp_recover(pub, buf + DISCV4_HASH_LEN, h) < 0 ? -EKEYREJECTED :
								  0;
}

/* The next element of a packet-data list; running out of elements where
 * one is required is malformed. */
static int need(struct rlp_iter *it, struct rlp_item *out)
{
	int rc = rlp_iter_next(it, out);

	if (rc == 0)
		return -EBADMSG;
	return rc < 0 ? rc : 0;
}

static int get_u64(struct rlp_iter *it, uint64_t *v)
{
	struct rlp_item x;
	int rc = need(it, &x);

	if (rc < 0)
		return rc;
	return rlp_to_u64(v, &x) < 0 ? -EBADMSG : 0;
}

static int get_port(struct rlp_iter *it, uint16_t *port)
{
	uint64_t v;
	int rc = get_u64(it, &v);

	if (rc < 0)
		return rc;
	if (v > 65535)
		return -EBADMSG;
	*port = (uint16_t)v;
	return 0;
}

static int get_fixed(struct rlp_iter *it, uint8_t *out, size_t len)
{
	struct rlp_item x;
	int rc = need(it, &x);

	if (rc < 0)
		return rc;
	if (x.is_list || x.len != len)
		return -EBADMSG;
	memcpy(out, x.p, len);
	return 0;
}

static int get_ip(struct rlp_iter *it, struct discv4_endpoint *ep)
{
	struct rlp_item x;
	int rc = need(it, &x);

	if (rc < 0)
		return rc;
	if (x.is_list)
		return -EBADMSG;
	memset(ep->ip, 0, sizeof(ep->ip));
	switch (x.len) {
	case 0:                         /* geth sends this when it has no IP */
		break;
	case 4:
		memcpy(ep->ip, v4mapped_prefix, 12);
		memcpy(ep->ip + 12, x.p, 4);
		break;
	case 16:
		memcpy(ep->ip, x.p, 16);
		break;
	default:
		return -EBADMSG;
	}
	ep->ip_len = (uint8_t)x.len;
	return 0;
}

/* endpoint = [ip, udp-port, tcp-port, ...] */
static int get_endpoint(struct rlp_iter *it, struct discv4_endpoint *ep)
{
	struct rlp_item l;
	struct rlp_iter e;
	int rc = need(it, &l);

	if (rc < 0)
		return rc;
	if (!l.is_list)
		return -EBADMSG;
	rlp_iter_init(&e, &l);
	if ((rc = get_ip(&e, ep)) < 0 || (rc = get_port(&e, &ep->udp)) < 0 ||
	    (rc = get_port(&e, &ep->tcp)) < 0)
		return rc;
	return 0;
}

/* EIP-868 enr-seq is optional; anything but an integer there is one of the
 * "additional elements" EIP-8 tells us to ignore. */
static void get_enr_seq(struct rlp_iter *it, bool *has, uint64_t *seq)
{
	struct rlp_item x;

	*has = false;
	*seq = 0;
	if (rlp_iter_next(it, &x) == 1 && rlp_to_u64(seq, &x) == 0)
		*has = true;
}

static int dec_ping(struct discv4_ping *p, struct rlp_iter *it)
{
	int rc;

	if ((rc = get_u64(it, &p->version)) < 0 ||
	    (rc = get_endpoint(it, &p->from)) < 0 ||
	    (rc = get_endpoint(it, &p->to)) < 0 ||
	    (rc = get_u64(it, &p->expiration)) < 0)
		return rc;
	get_enr_seq(it, &p->has_enr_seq, &p->enr_seq);
	return 0;
}

static int dec_pong(struct discv4_pong *p, struct rlp_iter *it)
{
	int rc;

	if ((rc = get_endpoint(it, &p->to)) < 0 ||
	    (rc = get_fixed(it, p->ping_hash, DISCV4_HASH_LEN)) < 0 ||
	    (rc = get_u64(it, &p->expiration)) < 0)
		return rc;
	get_enr_seq(it, &p->has_enr_seq, &p->enr_seq);
	return 0;
}

static int dec_findnode(struct discv4_findnode *p, struct rlp_iter *it)
{
	int rc;

	if ((rc = get_fixed(it, p->target, DISCV4_PUB_LEN)) < 0 ||
	    (rc = get_u64(it, &p->expiration)) < 0)
		return rc;
	return 0;
}

static int dec_neighbors(struct discv4_neighbors *p, struct rlp_iter *it)
{
	struct rlp_item nodes, node;
	struct rlp_iter ni;
	int rc;

	rc = need(it, &nodes);
	if (rc < 0)
		return rc;
	if (!nodes.is_list)
		return -EBADMSG;
	p->n = 0;
	rlp_iter_init(&ni, &nodes);
	while ((rc = rlp_iter_next(&ni, &node)) == 1) {
		struct discv4_node *d;
		struct rlp_iter fi;

		if (!node.is_list)
			return -EBADMSG;
		if (p->n == DISCV4_NEIGHBORS_DECODE_MAX)
			return -EMSGSIZE;
		d = &p->nodes[p->n];
		rlp_iter_init(&fi, &node);
		if ((rc = get_ip(&fi, &d->ep)) < 0 ||
		    (rc = get_port(&fi, &d->ep.udp)) < 0 ||
		    (rc = get_port(&fi, &d->ep.tcp)) < 0 ||
		    (rc = get_fixed(&fi, d->id, DISCV4_PUB_LEN)) < 0)
			return rc;
		p->n++;
	}
	if (rc < 0)
		return rc;
	return get_u64(it, &p->expiration);
}

static int dec_enrrequest(struct discv4_enrrequest *p, struct rlp_iter *it)
{
	return get_u64(it, &p->expiration);
}

static int dec_enrresponse(struct discv4_enrresponse *p, struct rlp_iter *it)
{
	const uint8_t *start;
	struct rlp_item rec;
	size_t enc_len;
	int rc;

	rc = get_fixed(it, p->request_hash, DISCV4_HASH_LEN);
	if (rc < 0)
		return rc;
	start = it->p;
	rc = need(it, &rec);
	if (rc < 0)
		return rc;
	if (!rec.is_list)
		return -EBADMSG;
	enc_len = (size_t)(rec.p + rec.len - start);
	if (enc_len > DISCV4_ENR_MAX)
		return -EBADMSG;
	memcpy(p->enr, start, enc_len);
	p->enr_len = (uint16_t)enc_len;
	return 0;
}

ssize_t discv4_decode(struct discv4_packet *out, const uint8_t *buf,
		      size_t len)
{
	struct rlp_item list;
	struct rlp_iter it;
	ssize_t n;
	int type, rc;

	type = discv4_packet_type(buf, len);
	if (type < 0)
		return type;
	memset(out, 0, sizeof(*out));
	out->type = (uint8_t)type;
	/* EIP-8: data after the first RLP value is ignored, so only the
	 * list itself has to fit. */
	n = rlp_next(&list, buf + TYPE_OFF + 1, len - TYPE_OFF - 1);
	if (n < 0)
		return n;
	if (!list.is_list)
		return -EBADMSG;
	rlp_iter_init(&it, &list);
	switch (type) {
	case DISCV4_PING:
		rc = dec_ping(&out->u.ping, &it);
		break;
	case DISCV4_PONG:
		rc = dec_pong(&out->u.pong, &it);
		break;
	case DISCV4_FINDNODE:
		rc = dec_findnode(&out->u.findnode, &it);
		break;
	case DISCV4_NEIGHBORS:
		rc = dec_neighbors(&out->u.neighbors, &it);
		break;
	case DISCV4_ENRREQUEST:
		rc = dec_enrrequest(&out->u.enrrequest, &it);
		break;
	default:
		rc = dec_enrresponse(&out->u.enrresponse, &it);
		break;
	}
	if (rc < 0)
		return rc;
	return TYPE_OFF + 1 + n;
}

static int put_ip(struct rlp_buf *b, const struct discv4_endpoint *ep)
{
	switch (ep->ip_len) {
	case 0:
		rlp_put_bytes(b, NULL, 0);
		return 0;
	case 4:
		rlp_put_bytes(b, ep->ip + 12, 4);
		return 0;
	case 16:
		rlp_put_bytes(b, ep->ip, 16);
		return 0;
	default:
		return -EINVAL;
	}
}

/* endpoint = [ip, udp, tcp] */
static int put_endpoint(struct rlp_buf *b, const struct discv4_endpoint *ep)
{
	rlp_list_begin(b);
	if (put_ip(b, ep) < 0)
		return -EINVAL;
	rlp_put_u64(b, ep->udp);
	rlp_put_u64(b, ep->tcp);
	rlp_list_end(b);
	return 0;
}

/* node = [ip, udp, tcp, node-id]: the endpoint's items, flattened */
static int put_node(struct rlp_buf *b, const struct discv4_node *nd)
{
	rlp_list_begin(b);
	if (put_ip(b, &nd->ep) < 0)
		return -EINVAL;
	rlp_put_u64(b, nd->ep.udp);
	rlp_put_u64(b, nd->ep.tcp);
	rlp_put_bytes(b, nd->id, DISCV4_PUB_LEN);
	rlp_list_end(b);
	return 0;
}

static int put_data(struct rlp_buf *b, const struct discv4_packet *pkt)
{
	int rc = 0;

	rlp_list_begin(b);
	switch (pkt->type) {
	case DISCV4_PING: {
		const struct discv4_ping *p = &pkt->u.ping;

		rlp_put_u64(b, p->version);
		if ((rc = put_endpoint(b, &p->from)) < 0 ||
		    (rc = put_endpoint(b, &p->to)) < 0)
			return rc;
		rlp_put_u64(b, p->expiration);
		if (p->has_enr_seq)
			rlp_put_u64(b, p->enr_seq);
		break;
	}
	case DISCV4_PONG: {
		const struct discv4_pong *p = &pkt->u.pong;

		if ((rc = put_endpoint(b, &p->to)) < 0)
			return rc;
		rlp_put_bytes(b, p->ping_hash, DISCV4_HASH_LEN);
		rlp_put_u64(b, p->expiration);
		if (p->has_enr_seq)
			rlp_put_u64(b, p->enr_seq);
		break;
	}
	case DISCV4_FINDNODE:
		rlp_put_bytes(b, pkt->u.findnode.target, DISCV4_PUB_LEN);
		rlp_put_u64(b, pkt->u.findnode.expiration);
		break;
	case DISCV4_NEIGHBORS: {
		const struct discv4_neighbors *p = &pkt->u.neighbors;

		if (p->n > DISCV4_NEIGHBORS_MAX)
			return -EINVAL;
		rlp_list_begin(b);
		for (unsigned i = 0; i < p->n; i++)
			if ((rc = put_node(b, &p->nodes[i])) < 0)
				return rc;
		rlp_list_end(b);
		rlp_put_u64(b, p->expiration);
		break;
	}
	case DISCV4_ENRREQUEST:
		rlp_put_u64(b, pkt->u.enrrequest.expiration);
		break;
	case DISCV4_ENRRESPONSE: {
		const struct discv4_enrresponse *p = &pkt->u.enrresponse;
		struct rlp_item rec;

		if (p->enr_len > DISCV4_ENR_MAX ||
		    rlp_next(&rec, p->enr, p->enr_len) != p->enr_len ||
		    !rec.is_list)
			return -EINVAL;
		rlp_put_bytes(b, p->request_hash, DISCV4_HASH_LEN);
		rlp_put_raw(b, p->enr, p->enr_len);
		break;
	}
	default:
		return -EINVAL;
	}
	rlp_list_end(b);
	return 0;
}

ssize_t discv4_encode(uint8_t *out, size_t cap, const uint8_t priv[32],
		      const struct discv4_packet *pkt)
{
	uint8_t h[SECP_HASH_LEN];
	struct rlp_buf b;
	ssize_t n;
	int rc;

	if (pkt->type < DISCV4_PING || pkt->type > DISCV4_ENRRESPONSE)
		return -EINVAL;
	if (cap < DISCV4_MIN_LEN)
		return -EMSGSIZE;
	if (cap > DISCV4_MAX_LEN)
		cap = DISCV4_MAX_LEN;           /* never build an oversize packet */
	rlp_buf_init(&b, out + TYPE_OFF + 1, cap - TYPE_OFF - 1);
	rc = put_data(&b, pkt);
	if (rc < 0)
		return rc;
	n = rlp_buf_finish(&b);
	if (n < 0)
		return n == -EMSGSIZE ? -EMSGSIZE : -EINVAL;
	out[TYPE_OFF] = pkt->type;
	keccak256(h, out + TYPE_OFF, 1 + (size_t)n);
	rc = secp_sign(out + DISCV4_HASH_LEN, h, priv);
	if (rc < 0)
		return -EINVAL;
	keccak256(out, out + DISCV4_HASH_LEN,
		  DISCV4_SIG_LEN + 1 + (size_t)n);
	return TYPE_OFF + 1 + n;
}

unsigned discv4_neighbors_max(void)
{
	return DISCV4_NEIGHBORS_MAX;
}

ssize_t discv4_encode_neighbors(uint8_t *out, size_t cap,
				const uint8_t priv[32],
				const struct discv4_node *nodes, unsigned n,
				uint64_t expiration)
{
	struct discv4_packet pkt;

	if (n > DISCV4_NEIGHBORS_MAX)
		return -EINVAL;
	pkt.type = DISCV4_NEIGHBORS;
	pkt.u.neighbors.n = n;
	memcpy(pkt.u.neighbors.nodes, nodes, n * sizeof(*nodes));
	pkt.u.neighbors.expiration = expiration;
	return discv4_encode(out, cap, priv, &pkt);
}

bool discv4_expiration(const struct discv4_packet *p, uint64_t *exp)
{
	switch (p->type) {
	case DISCV4_PING:
		*exp = p->u.ping.expiration;
		return true;
	case DISCV4_PONG:
		*exp = p->u.pong.expiration;
		return true;
	case DISCV4_FINDNODE:
		*exp = p->u.findnode.expiration;
		return true;
	case DISCV4_NEIGHBORS:
		*exp = p->u.neighbors.expiration;
		return true;
	case DISCV4_ENRREQUEST:
		*exp = p->u.enrrequest.expiration;
		return true;
	default:
		return false;
	}
}
