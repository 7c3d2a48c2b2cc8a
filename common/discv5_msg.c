/* SPDX-License-Identifier: MIT */
/* common/discv5_msg.c - discv5 message RLP codec (discv5-wire.md, Protocol
 * Messages), as strict as geth's struct decoding. */
#include "common/discv5_msg.h"

#include <errno.h>
#include <string.h>

#include "common/enr.h"
#include "common/rlp.h"

/* The next element of a message list; a missing one is malformed. */
static int next(struct rlp_iter *it, struct rlp_item *out)
{
	return rlp_iter_next(it, out) == 1 ? 0 : -EBADMSG;
}

/* A byte string element. */
static int next_str(struct rlp_iter *it, struct rlp_item *out)
{
	if (next(it, out) < 0 || out->is_list)
		return -EBADMSG;
	return 0;
}

/* A canonical unsigned integer element no larger than max. */
static int next_uint(struct rlp_iter *it, uint64_t *v, uint64_t max)
{
	struct rlp_item x;

	if (next(it, &x) < 0 || rlp_to_u64(v, &x) < 0 || *v > max)
		return -EBADMSG;
	return 0;
}

/* No elements left: geth rejects "input list has too many elements". */
static int end(struct rlp_iter *it)
{
	struct rlp_item x;

	return rlp_iter_next(it, &x) == 0 ? 0 : -EBADMSG;
}

/* request-id: "an RLP byte array of length <= 8 bytes". */
static int req_id(struct discv5_msg *m, struct rlp_iter *it)
{
	struct rlp_item x;

	if (next_str(it, &x) < 0 || x.len > DISCV5_REQ_ID_MAX)
		return -EBADMSG;
	m->req_id_len = (uint8_t)x.len;
	if (x.len)
		memcpy(m->req_id, x.p, x.len);
	return 0;
}

static int dec_pong(struct discv5_pong *p, struct rlp_iter *it)
{
	struct rlp_item ip;
	uint64_t port;

	if (next_uint(it, &p->enr_seq, UINT64_MAX) < 0 ||
	    next_str(it, &ip) < 0 || (ip.len != 4 && ip.len != 16) ||
	    next_uint(it, &port, UINT16_MAX) < 0)
		return -EBADMSG;
	memcpy(p->ip, ip.p, ip.len);
	p->ip_len = (uint8_t)ip.len;
	p->port = (uint16_t)port;
	return 0;
}

static int dec_findnode(struct discv5_findnode *f, struct rlp_iter *it)
{
	uint64_t seen[(DISCV5_FINDNODE_DIST_MAX + 63) / 64] = { 0 };
	struct rlp_item list;
	struct rlp_iter li;
	uint64_t d;
	int r;

	if (next(it, &list) < 0 || !list.is_list)
		return -EBADMSG;
	f->n = 0;
	rlp_iter_init(&li, &list);
	while ((r = rlp_iter_next(&li, &list)) == 1) {
		/* geth decodes []uint: each a canonical integer of <= 64
		 * bits, or the whole message fails. */
		if (rlp_to_u64(&d, &list) < 0)
			return -EBADMSG;
		if (d > DISCV5_DISTANCE_MAX || (seen[d / 64] >> (d % 64) & 1))
			continue;
		seen[d / 64] |= 1ULL << (d % 64);
		f->dist[f->n++] = (uint16_t)d;
	}
	return r == 0 ? 0 : -EBADMSG;
}

/* Checks that enrs[0..len) is whole records back to back, each one
 * enr_decode() accepts if check is set, and counts them. */
static int walk_records(uint16_t *count, const uint8_t *enrs, size_t len,
			bool check)
{
	struct enr tmp;
	const uint8_t *rec;
	size_t off = 0, rec_len, n = 0;
	struct discv5_nodes v = { .enrs = enrs, .enrs_len = len };
	int r;

	while ((r = discv5_nodes_next(&rec, &rec_len, &v, &off)) == 1) {
		/* geth decodes []*enr.Record: one bad record fails the
		 * message. */
		if (check && enr_decode(&tmp, rec, rec_len) != (ssize_t)rec_len)
			return -EBADMSG;
		if (++n > UINT16_MAX)
			return -EBADMSG;
	}
	if (r < 0)
		return r;
	*count = (uint16_t)n;
	return 0;
}

static int dec_nodes(struct discv5_nodes *p, struct rlp_iter *it)
{
	struct rlp_item list;
	uint64_t total;

	/* geth: RespCount uint8. */
	if (next_uint(it, &total, UINT8_MAX) < 0 || next(it, &list) < 0 ||
	    !list.is_list)
		return -EBADMSG;
	p->total = (uint8_t)total;
	p->enrs = list.p;
	p->enrs_len = list.len;
	return walk_records(&p->n, list.p, list.len, true);
}

static int dec_talkreq(struct discv5_talkreq *t, struct rlp_iter *it)
{
	struct rlp_item proto, req;

	if (next_str(it, &proto) < 0 || next_str(it, &req) < 0)
		return -EBADMSG;
	t->proto = proto.p;
	t->proto_len = proto.len;
	t->req = req.p;
	t->req_len = req.len;
	return 0;
}

static int dec_talkresp(struct discv5_talkresp *t, struct rlp_iter *it)
{
	struct rlp_item resp;

	if (next_str(it, &resp) < 0)
		return -EBADMSG;
	t->resp = resp.p;
	t->resp_len = resp.len;
	return 0;
}

ssize_t discv5_msg_decode(struct discv5_msg *m, const uint8_t *pt, size_t len)
{
	struct rlp_item body;
	struct rlp_iter it;
	ssize_t n;
	int rc;

	if (len < 1 || pt[0] < DISCV5_MSG_PING || pt[0] > DISCV5_MSG_TOPICNODES)
		return -EBADMSG;
	/* message-data is exactly one list: geth's DecodeBytes rejects
	 * trailing bytes. */
	n = rlp_next(&body, pt + 1, len - 1);
	if (n < 0 || (size_t)n != len - 1 || !body.is_list)
		return -EBADMSG;
	memset(m, 0, sizeof(*m));
	m->type = pt[0];
	rlp_iter_init(&it, &body);
	rc = req_id(m, &it);
	if (rc < 0)
		return rc;
	switch (m->type) {
	case DISCV5_MSG_PING:
		rc = next_uint(&it, &m->ping.enr_seq, UINT64_MAX);
		break;
	case DISCV5_MSG_PONG:
		rc = dec_pong(&m->pong, &it);
		break;
	case DISCV5_MSG_FINDNODE:
		rc = dec_findnode(&m->findnode, &it);
		break;
	case DISCV5_MSG_NODES:
		rc = dec_nodes(&m->nodes, &it);
		break;
	case DISCV5_MSG_TALKREQ:
		rc = dec_talkreq(&m->talkreq, &it);
		break;
	case DISCV5_MSG_TALKRESP:
		rc = dec_talkresp(&m->talkresp, &it);
		break;
	default:
		/* Topic messages: well-formed, and ignored from here on. */
		if (rlp_validate(pt + 1, len - 1, RLP_MAX_DEPTH) < 0)
			return -EBADMSG;
		return (ssize_t)len;
	}
	if (rc < 0 || end(&it) < 0)
		return -EBADMSG;
	return (ssize_t)len;
}

int discv5_nodes_next(const uint8_t **rec, size_t *rec_len,
		      const struct discv5_nodes *n, size_t *off)
{
	struct rlp_item x;
	ssize_t used;

	if (*off >= n->enrs_len)
		return 0;
	used = rlp_next(&x, n->enrs + *off, n->enrs_len - *off);
	if (used < 0 || !x.is_list)
		return -EBADMSG;
	*rec = n->enrs + *off;
	*rec_len = (size_t)used;
	*off += (size_t)used;
	return 1;
}

ssize_t discv5_msg_encode(uint8_t *out, size_t out_len,
			  const struct discv5_msg *m)
{
	struct rlp_buf b;
	uint16_t count;
	ssize_t n;

	if (m->type < DISCV5_MSG_PING || m->type > DISCV5_MSG_TALKRESP ||
	    m->req_id_len > DISCV5_REQ_ID_MAX)
		return -EINVAL;
	switch (m->type) {
	case DISCV5_MSG_PONG:
		if (m->pong.ip_len != 4 && m->pong.ip_len != 16)
			return -EINVAL;
		break;
	case DISCV5_MSG_FINDNODE:
		if (m->findnode.n > DISCV5_FINDNODE_DIST_MAX)
			return -EINVAL;
		for (size_t i = 0; i < m->findnode.n; i++)
			if (m->findnode.dist[i] > DISCV5_DISTANCE_MAX)
				return -EINVAL;
		break;
	case DISCV5_MSG_NODES:
		if ((m->nodes.enrs_len && !m->nodes.enrs) ||
		    walk_records(&count, m->nodes.enrs, m->nodes.enrs_len,
				 false) < 0 ||
		    count != m->nodes.n)
			return -EINVAL;
		break;
	default:
		break;
	}
	if (out_len < 1)
		return -EMSGSIZE;
	out[0] = m->type;
	rlp_buf_init(&b, out + 1, out_len - 1);
	rlp_list_begin(&b);
	rlp_put_bytes(&b, m->req_id, m->req_id_len);
	switch (m->type) {
	case DISCV5_MSG_PING:
		rlp_put_u64(&b, m->ping.enr_seq);
		break;
	case DISCV5_MSG_PONG:
		rlp_put_u64(&b, m->pong.enr_seq);
		rlp_put_bytes(&b, m->pong.ip, m->pong.ip_len);
		rlp_put_u64(&b, m->pong.port);
		break;
	case DISCV5_MSG_FINDNODE:
		rlp_list_begin(&b);
		for (size_t i = 0; i < m->findnode.n; i++)
			rlp_put_u64(&b, m->findnode.dist[i]);
		rlp_list_end(&b);
		break;
	case DISCV5_MSG_NODES:
		rlp_put_u64(&b, m->nodes.total);
		rlp_list_begin(&b);
		rlp_put_raw(&b, m->nodes.enrs, m->nodes.enrs_len);
		rlp_list_end(&b);
		break;
	case DISCV5_MSG_TALKREQ:
		rlp_put_bytes(&b, m->talkreq.proto, m->talkreq.proto_len);
		rlp_put_bytes(&b, m->talkreq.req, m->talkreq.req_len);
		break;
	default:
		rlp_put_bytes(&b, m->talkresp.resp, m->talkresp.resp_len);
		break;
	}
	rlp_list_end(&b);
	n = rlp_buf_finish(&b);
	if (n < 0)
		return n;
	return n + 1;
}
