/* SPDX-License-Identifier: MIT */
/* control/tester/v5test_conn.c - the discv5 conformance suite's tester peer. */
#include "control/tester/v5test_conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv5_crypto.h"
#include "common/discv5_wire.h"
#include "common/enr.h"
#include "common/secp.h"
#include "control/discv4/kad.h"
#include "control/tester/v4test_io.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))

char v5tc_err[V5TC_ERR_LEN];

int v5tc_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v5tc_err, sizeof(v5tc_err), fmt, ap);
	va_end(ap);
	return -1;
}

const char *v5tc_kind(const struct v5tc_resp *r)
{
	static const char *const msgs[] = {
		"?", "PING", "PONG", "FINDNODE", "NODES", "TALKREQ", "TALKRESP",
	};

	if (r->kind != V5TC_MSG)
		return r->kind == V5TC_TIMEOUT     ? "timeout"
		       : r->kind == V5TC_WHOAREYOU ? "WHOAREYOU"
		       : r->kind == V5TC_UNKNOWN   ? "undecryptable packet"
						: "socket error";
	return r->m.type <= DISCV5_MSG_TALKRESP ? msgs[r->m.type] : "topic";
}

/* ---- conns ------------------------------------------------------------- */

void v5tc_close(struct v5tc *c)
{
	for (int i = 0; i < 2; i++)
		v4test_io_close(c->fd[i]);
	if (c->ln_ok)
		localnode_fini(&c->ln);
	explicit_bzero(c, sizeof(*c));
	c->fd[0] = c->fd[1] = -1;
}

/* v5tc_open() makes a tester with sockets on l1 (and l2 when two). With
 * endpoint, its record carries l1 and the first socket's port (bystanders
 * need it: the node pings them); else it has no address, as geth's. */
int v5tc_open(struct v5tc *c, const struct v5tc_cfg *cfg, bool two,
	      bool endpoint)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd[0] = c->fd[1] = -1;
	c->cfg = cfg;
	c->wait_ms = cfg->wait_ms;
	rc = v4test_io_open(cfg->l1, &c->port[0]);
	if (rc < 0)
		return v5tc_fail("bind tester 1: %s", strerror(-rc));
	c->fd[0] = rc;
	if (two) {
		rc = v4test_io_open(cfg->l2, &c->port[1]);
		if (rc < 0)
			return v5tc_fail("bind tester 2: %s", strerror(-rc));
		c->fd[1] = rc;
	}
	if (secp_priv_generate(c->priv) < 0 ||
	    localnode_init(&c->ln, c->priv, 0, endpoint ? c->port[0] : 0, 0) <
		    0)
		return v5tc_fail("key generation failed");
	c->ln_ok = true;
	if (endpoint)
		localnode_set_static_ip(&c->ln, cfg->l1);
	if (localnode_update(&c->ln, v4test_io_unix_s() * 1000000000ull) < 0 ||
	    discv5_mask_key_init(&c->mask, c->ln.id) < 0)
		return v5tc_fail("record or mask key failed");
	return 0;
}


static void next_nonce(struct v5tc *c, uint8_t nonce[DISCV5_GCM_NONCE_LEN])
{
	c->ctr++;
	nonce[0] = (uint8_t)(c->ctr >> 24);
	nonce[1] = (uint8_t)(c->ctr >> 16);
	nonce[2] = (uint8_t)(c->ctr >> 8);
	nonce[3] = (uint8_t)c->ctr;
	(void)secp_random(nonce + 4, DISCV5_GCM_NONCE_LEN - 4);
}

int v5tc_send_raw(struct v5tc *c, unsigned li, const uint8_t *pkt,
		  size_t len)
{
	const struct discv5_node *n = v5tc_remote(c);
	int rc = v4test_io_send(c->fd[li], n->ip, n->udp, pkt, len);

	if (rc < 0)
		return v5tc_fail("send: %s", strerror(-rc));
	memcpy(c->last, pkt, len);
	c->last_len = len;
	return 0;
}

/* handshake() answers the WHOAREYOU who with pt in a handshake packet:
 * new keys, our record when the node's copy is older. */
static int handshake(struct v5tc *c, unsigned li, const uint8_t *pt,
		     size_t pt_len, const struct discv5_header *who,
		     uint8_t nonce[DISCV5_GCM_NONCE_LEN])
{
	uint8_t eph[32], eph_pub[64], rec[ENR_MAX_SIZE];
	uint8_t buf[DISCV5_PACKET_MAX], iv[16];
	struct discv5_handshake_auth auth;
	struct discv5_keys k;
	ssize_t len;

	memset(&auth, 0, sizeof(auth));
	memcpy(auth.src_id, c->ln.id, 32);
	do {
		if (secp_random(eph, sizeof(eph)) < 0)
			return v5tc_fail("random failed");
	} while (!secp_priv_check(eph));
	if (secp_pub_from_priv(eph_pub, eph) < 0 ||
	    secp_pub_compress(auth.eph_pub, eph_pub) < 0 ||
	    discv5_derive_keys(&k, eph, v5tc_remote(c)->pub, c->ln.id,
			       v5tc_remote(c)->id, who->raw) < 0 ||
	    discv5_id_sign(auth.id_sig, c->priv, who->raw, auth.eph_pub,
			   v5tc_remote(c)->id) < 0) {
		explicit_bzero(eph, sizeof(eph));
		return v5tc_fail("handshake crypto failed");
	}
	explicit_bzero(eph, sizeof(eph));
	if (who->enr_seq < localnode_seq(&c->ln)) {
		len = enr_encode(rec, sizeof(rec), localnode_record(&c->ln));
		if (len > 0) {
			auth.record = rec;
			auth.record_len = (size_t)len;
		}
	}
	memcpy(c->wkey, k.initiator, 16);
	memcpy(c->rkey, k.recipient, 16);
	discv5_keys_wipe(&k);
	c->has_keys = true;
	c->ctr = 0;
	next_nonce(c, nonce);
	(void)secp_random(iv, sizeof(iv));
	len = discv5_encode_handshake(buf, sizeof(buf), v5tc_remote(c)->id, iv,
				      nonce, &auth, c->wkey, pt, pt_len);
	if (len < 0)
		return v5tc_fail("handshake encoding failed (%zd)", len);
	return v5tc_send_raw(c, li, buf, (size_t)len);
}

/* v5tc_write() sends pt: in a handshake when who is given, sealed when a
 * session exists, else as the junk packet that asks for a WHOAREYOU. */
int v5tc_write(struct v5tc *c, unsigned li, const uint8_t *pt, size_t pt_len,
	       const struct discv5_header *who,
	       uint8_t nonce[DISCV5_GCM_NONCE_LEN])
{
	uint8_t buf[DISCV5_PACKET_MAX], iv[16], junk[20];
	ssize_t len;

	if (who)
		return handshake(c, li, pt, pt_len, who, nonce);
	(void)secp_random(iv, sizeof(iv));
	if (c->has_keys) {
		next_nonce(c, nonce);
		len = discv5_encode_message(buf, sizeof(buf),
					    v5tc_remote(c)->id, iv, nonce,
					    c->ln.id, c->wkey, pt, pt_len);
	} else {
		(void)secp_random(nonce, DISCV5_GCM_NONCE_LEN);
		(void)secp_random(junk, sizeof(junk));
		len = discv5_encode_random(buf, sizeof(buf),
					   v5tc_remote(c)->id, iv, nonce,
					   c->ln.id, junk, sizeof(junk));
	}
	if (len < 0)
		return v5tc_fail("encoding failed (%zd)", len);
	return v5tc_send_raw(c, li, buf, (size_t)len);
}

size_t v5tc_enc(uint8_t *pt, const struct discv5_msg *m)
{
	return (size_t)MAX(0, discv5_msg_encode(pt, DISCV5_PACKET_MAX, m));
}

void v5tc_reqid(struct v5tc *c, struct discv5_msg *m)
{
	c->reqid++;
	m->req_id_len = 4;
	m->req_id[0] = (uint8_t)(c->reqid >> 24);
	m->req_id[1] = (uint8_t)(c->reqid >> 16);
	m->req_id[2] = (uint8_t)(c->reqid >> 8);
	m->req_id[3] = (uint8_t)c->reqid;
}

static void remember(struct v5tc *c, const uint8_t nonce[12],
		     const uint8_t *pt, size_t len)
{
	unsigned i = c->n_sent++ % V5TC_SENT_KEEP;

	memcpy(c->sent[i].nonce, nonce, 12);
	c->sent[i].len = (uint16_t)len;
	memcpy(c->sent[i].pt, pt, len);
}

/* v5tc_answer() replies to a request the node sent us (a bystander's job, and
 * harmless for any conn): PONG, an empty NODES, an empty TALKRESP. */
void v5tc_answer(struct v5tc *c, unsigned li, const struct v5tc_resp *r)
{
	uint8_t pt[DISCV5_PACKET_MAX], nonce[12];
	uint8_t known[DISCV5_NODES_SIZE_LIMIT];
	struct discv5_msg a;
	size_t len, kl = 0;

	memset(&a, 0, sizeof(a));
	a.req_id_len = r->m.req_id_len;
	memcpy(a.req_id, r->m.req_id, r->m.req_id_len);
	switch (r->m.type) {
	case DISCV5_MSG_PING:
		a.type = DISCV5_MSG_PONG;
		a.pong.enr_seq = localnode_seq(&c->ln);
		if (netutil_addr_is_v4(r->from)) {
			a.pong.ip_len = 4;
			memcpy(a.pong.ip, r->from + 12, 4);
		} else {
			a.pong.ip_len = 16;
			memcpy(a.pong.ip, r->from, 16);
		}
		a.pong.port = r->from_port;
		c->live = true;
		break;
	case DISCV5_MSG_FINDNODE:
		/* As geth's bystanders: the others' records at the asked
		 * distances, so the node's lookups through us succeed (an
		 * empty answer counts as a failure, and five drop us). */
		a.type = DISCV5_MSG_NODES;
		a.nodes.total = 1;
		for (unsigned i = 0; i < c->n_known; i++) {
			const struct discv5_node *k = &c->known[i];
			unsigned d =
				(unsigned)kad_log_distance(k->id, c->ln.id);
			bool asked = false;

			for (unsigned j = 0; j < r->m.findnode.n; j++)
				asked |= r->m.findnode.dist[j] == d;
			if (!asked || kl + k->enr_len > DISCV5_NODES_SIZE_LIMIT)
				continue;
			memcpy(known + kl, k->enr, k->enr_len);
			kl += k->enr_len;
			a.nodes.n++;
		}
		a.nodes.enrs = known;
		a.nodes.enrs_len = kl;
		break;
	case DISCV5_MSG_TALKREQ:
		a.type = DISCV5_MSG_TALKRESP;
		break;
	default:
		return;
	}
	len = v5tc_enc(pt, &a);
	if (len && v5tc_write(c, li, pt, len, NULL, nonce) == 0)
		remember(c, nonce, pt, len);
}

/* v5tc_read() waits for the next packet from the node on socket li. A
 * request from the node is answered and skipped. */
int v5tc_read(struct v5tc *c, unsigned li, struct v5tc_resp *r)
{
	uint64_t deadline = v4test_io_now_ms() + c->wait_ms;
	uint8_t buf[DISCV5_PACKET_MAX + 1];
	ssize_t n;

	for (;;) {
		memset(r, 0, sizeof(*r));
		n = v4test_io_recv(c->fd[li], buf, sizeof(buf), r->from,
				   &r->from_port, deadline);
		if (n == -ETIMEDOUT)
			return r->kind = V5TC_TIMEOUT;
		if (n < 0)
			return r->kind = V5TC_ERROR;
		if (n > DISCV5_PACKET_MAX ||
		    discv5_decode_header(&r->h, &c->mask, buf, (size_t)n) < 0)
			return r->kind = V5TC_UNKNOWN;
		if (r->h.flag == DISCV5_FLAG_WHOAREYOU)
			return r->kind = V5TC_WHOAREYOU;
		if (!c->has_keys ||
		    (n = discv5_open_message(r->pt, sizeof(r->pt), &r->h,
					     c->rkey)) < 0 ||
		    discv5_msg_decode(&r->m, r->pt, (size_t)n) < 0)
			return r->kind = V5TC_UNKNOWN;
		r->kind = V5TC_MSG;
		if (r->m.type == DISCV5_MSG_PING ||
		    r->m.type == DISCV5_MSG_FINDNODE ||
		    r->m.type == DISCV5_MSG_TALKREQ) {
			v5tc_answer(c, li, r);
			continue;
		}
		return V5TC_MSG;
	}
}

/* v5tc_reqresp() is geth's conn.reqresp: send, and on WHOAREYOU send again in
 * a handshake; returns the answer. */
int v5tc_reqresp(struct v5tc *c, unsigned li, const uint8_t *pt, size_t len,
		 struct v5tc_resp *r)
{
	uint8_t nonce[12];

	if (v5tc_write(c, li, pt, len, NULL, nonce) < 0)
		return r->kind = V5TC_ERROR;
	if (v5tc_read(c, li, r) != V5TC_WHOAREYOU)
		return r->kind;
	if (v5tc_write(c, li, pt, len, &r->h, nonce) < 0)
		return r->kind = V5TC_ERROR;
	return v5tc_read(c, li, r);
}

int v5tc_ping(struct v5tc *c, unsigned li, struct v5tc_resp *r,
	      struct discv5_msg *sent)
{
	uint8_t pt[DISCV5_PACKET_MAX];
	struct discv5_msg m;

	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_PING;
	v5tc_reqid(c, &m);
	m.ping.enr_seq = localnode_seq(&c->ln);
	if (sent)
		*sent = m;
	return v5tc_reqresp(c, li, pt, v5tc_enc(pt, &m), r);
}

int v5tc_check_pong(struct v5tc *c, unsigned li, const struct v5tc_resp *r,
		    const struct discv5_msg *ping_msg)
{
	uint8_t to[16];

	if (r->kind != V5TC_MSG || r->m.type != DISCV5_MSG_PONG)
		return v5tc_fail("expected PONG, got %s", v5tc_kind(r));
	if (r->m.req_id_len != ping_msg->req_id_len ||
	    memcmp(r->m.req_id, ping_msg->req_id, ping_msg->req_id_len))
		return v5tc_fail("wrong request id in PONG");
	if (r->m.pong.ip_len == 4)
		netutil_addr_from_v4(to, r->m.pong.ip);
	else
		memcpy(to, r->m.pong.ip, 16);
	if (memcmp(to, li ? c->cfg->l2 : c->cfg->l1, 16))
		return v5tc_fail("wrong destination IP in PONG");
	if (r->m.pong.port != c->port[li])
		return v5tc_fail("wrong destination port %u in PONG, want %u",
			    r->m.pong.port, c->port[li]);
	return 0;
}

/* v5tc_session() is a PING answered by a good PONG on l1: a session. */
int v5tc_session(struct v5tc *c, struct v5tc_resp *r)
{
	struct discv5_msg m;

	v5tc_ping(c, 0, r, &m);
	return v5tc_check_pong(c, 0, r, &m);
}

/* v5tc_findnode() asks for dist[] and collects the verified records of the
 * NODES answer (geth's conn.findnode). */
int v5tc_findnode(struct v5tc *c, unsigned li, const uint16_t *dist,
		  size_t nd, struct discv5_node *out, unsigned *n_out)
{
	uint8_t pt[DISCV5_PACKET_MAX];
	struct discv5_msg m;
	struct v5tc_resp *r = malloc(sizeof(*r));
	unsigned got = 0, total = 1;
	int rc = 0;

	if (!r)
		return v5tc_fail("out of memory");
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_FINDNODE;
	v5tc_reqid(c, &m);
	m.findnode.n = (uint16_t)nd;
	memcpy(m.findnode.dist, dist, nd * sizeof(dist[0]));
	*n_out = 0;
	v5tc_reqresp(c, li, pt, v5tc_enc(pt, &m), r);
	for (;;) {
		const uint8_t *rec;
		size_t len, off = 0;

		if (r->kind != V5TC_MSG || r->m.type != DISCV5_MSG_NODES) {
			rc = v5tc_fail("expected NODES, got %s", v5tc_kind(r));
			break;
		}
		if (got == 0)
			total = r->m.nodes.total ? r->m.nodes.total : 1;
		while (discv5_nodes_next(&rec, &len, &r->m.nodes, &off) == 1) {
			if (*n_out == V5TC_FOUND_MAX)
				break;
			if (discv5_node_from_enr(&out[*n_out], rec, len) < 0) {
				rc = v5tc_fail("invalid record in NODES");
				goto out;
			}
			(*n_out)++;
		}
		if (++got >= total || got >= DISCV5_NODES_RESPONSE_LIMIT)
			break;
		v5tc_read(c, li, r);
	}
out:
	free(r);
	return rc;
}

/* v5tc_still_alive() checks the node answers a PING on a fresh conn. */
int v5tc_still_alive(const struct v5tc_cfg *cfg)
{
	struct discv5_msg m;
	struct v5tc c;
	struct v5tc_resp *r = malloc(sizeof(*r));
	int rc;

	if (!r)
		return v5tc_fail("out of memory");
	rc = v5tc_open(&c, cfg, false, false);
	if (rc == 0) {
		v5tc_ping(&c, 0, r, &m);
		rc = v5tc_check_pong(&c, 0, r, &m);
		if (rc < 0) {
			char why[V5TC_ERR_LEN];

			memcpy(why, v5tc_err, sizeof(why));
			v5tc_fail("no PONG to a new peer afterwards: %s",
				  why);
		}
	}
	v5tc_close(&c);
	free(r);
	return rc;
}

