/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_discv5_msg.c - discv5 message decoder on arbitrary
 * message-pt, with re-encoding round trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv5_msg.h"
#include "common/enr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The decoded fields, views compared by content. */
static int same(const struct discv5_msg *a, const struct discv5_msg *b)
{
	if (a->type != b->type || a->req_id_len != b->req_id_len ||
	    memcmp(a->req_id, b->req_id, a->req_id_len) != 0)
		return 0;
	switch (a->type) {
	case DISCV5_MSG_PING:
		return a->ping.enr_seq == b->ping.enr_seq;
	case DISCV5_MSG_PONG:
		return a->pong.enr_seq == b->pong.enr_seq &&
		       a->pong.ip_len == b->pong.ip_len &&
		       memcmp(a->pong.ip, b->pong.ip, a->pong.ip_len) == 0 &&
		       a->pong.port == b->pong.port;
	case DISCV5_MSG_FINDNODE:
		return a->findnode.n == b->findnode.n &&
		       memcmp(a->findnode.dist, b->findnode.dist,
			      a->findnode.n * sizeof(uint16_t)) == 0;
	case DISCV5_MSG_NODES:
		return a->nodes.total == b->nodes.total &&
		       a->nodes.n == b->nodes.n &&
		       a->nodes.enrs_len == b->nodes.enrs_len &&
		       (a->nodes.enrs_len == 0 ||
			memcmp(a->nodes.enrs, b->nodes.enrs,
			       a->nodes.enrs_len) == 0);
	case DISCV5_MSG_TALKREQ:
		return a->talkreq.proto_len == b->talkreq.proto_len &&
		       a->talkreq.req_len == b->talkreq.req_len &&
		       (!a->talkreq.proto_len ||
			!memcmp(a->talkreq.proto, b->talkreq.proto,
				a->talkreq.proto_len)) &&
		       (!a->talkreq.req_len ||
			!memcmp(a->talkreq.req, b->talkreq.req,
				a->talkreq.req_len));
	case DISCV5_MSG_TALKRESP:
		return a->talkresp.resp_len == b->talkresp.resp_len &&
		       (!a->talkresp.resp_len ||
			!memcmp(a->talkresp.resp, b->talkresp.resp,
				a->talkresp.resp_len));
	default:
		return 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct discv5_msg m, again;
	static uint8_t out[4096];
	static struct enr rec;
	const uint8_t *r;
	size_t off = 0, r_len, count = 0;
	ssize_t n, e;
	int rc;

	n = discv5_msg_decode(&m, data, size);
	if (n < 0)
		return 0;
	if ((size_t)n != size || m.req_id_len > DISCV5_REQ_ID_MAX)
		abort();
	if (discv5_msg_is_topic(m.type))
		return 0;
	if (m.type == DISCV5_MSG_NODES) {
		while ((rc = discv5_nodes_next(&r, &r_len, &m.nodes, &off)) ==
		       1) {
			if (enr_decode(&rec, r, r_len) != (ssize_t)r_len)
				abort();
			count++;
		}
		if (rc != 0 || count != m.nodes.n)
			abort();
	}
	/* Re-encoded, the message decodes to the same fields; and but for
	 * FINDNODE (which drops repeats and distances over 256) it is the
	 * input byte for byte, as the decoder takes only canonical RLP. */
	e = discv5_msg_encode(out, sizeof(out), &m);
	if (e < 0 || (size_t)e > size)
		abort();
	if (m.type != DISCV5_MSG_FINDNODE &&
	    ((size_t)e != size || memcmp(out, data, size) != 0))
		abort();
	if (discv5_msg_decode(&again, out, (size_t)e) != e || !same(&m, &again))
		abort();
	return 0;
}
