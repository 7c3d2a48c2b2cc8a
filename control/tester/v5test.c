/* SPDX-License-Identifier: MIT */
/* control/tester/v5test.c - discv5 conformance suite run against a node. */
#include "control/tester/v5test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv5_crypto.h"
#include "common/discv5_msg.h"
#include "common/discv5_wire.h"
#include "common/enr.h"
#include "common/secp.h"
#include "control/base/localnode.h"
#include "control/discv4/kad.h"
#include "control/tester/v4test_io.h"
#include "control/tester/v5test_conn.h"

/* ---- geth's v5test cases ---------------------------------------------- */

static int t_ping(struct v5tc *c, struct v5tc_resp *r)
{
	struct discv5_msg m;

	v5tc_ping(c, 0, r, &m);
	return v5tc_check_pong(c, 0, r, &m);
}

static int t_ping_large_reqid(struct v5tc *c, struct v5tc_resp *r)
{
	/* 0x01 || [9-byte req-id, 1]: the encoder refuses it, so by hand. */
	static const uint8_t pt[] = { 0x01, 0xcb, 0x89, 0, 0, 0, 0, 0, 0, 0,
				      0, 0, 0x01 };

	v5tc_reqresp(c, 0, pt, sizeof(pt), r);
	if (r->kind == V5TC_MSG && r->m.type == DISCV5_MSG_PONG)
		return v5tc_fail("PONG to a PING with a 9-byte request id");
	if (r->kind != V5TC_TIMEOUT)
		return v5tc_fail("expected no answer, got %s", v5tc_kind(r));
	return 0;
}

static int t_ping_multi_ip(struct v5tc *c, struct v5tc_resp *r)
{
	uint8_t pt[DISCV5_PACKET_MAX], nonce[12];
	struct discv5_msg m;
	size_t len;

	if (v5tc_session(c, r) < 0)
		return -1;
	/* The session from l1, used from l2: must be challenged. */
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_PING;
	v5tc_reqid(c, &m);
	len = v5tc_enc(pt, &m);
	v5tc_write(c, 1, pt, len, NULL, nonce);
	v5tc_read(c, 1, r);
	if (r->kind == V5TC_MSG && r->m.type == DISCV5_MSG_PONG)
		return v5tc_fail("PONG from l2 on the session of l1");
	if (r->kind != V5TC_WHOAREYOU)
		return v5tc_fail("expected WHOAREYOU on l2, got %s",
				 v5tc_kind(r));
	v5tc_write(c, 1, pt, len, &r->h, nonce);
	v5tc_read(c, 1, r);
	if (v5tc_check_pong(c, 1, r, &m) < 0)
		return -1;
	/* Back on l1 with the keys of l2's session: challenged again. */
	v5tc_reqid(c, &m);
	len = v5tc_enc(pt, &m);
	v5tc_write(c, 0, pt, len, NULL, nonce);
	v5tc_read(c, 0, r);
	if (r->kind == V5TC_MSG && r->m.type == DISCV5_MSG_PONG)
		return v5tc_fail("PONG on l1 to the session of l2");
	if (r->kind != V5TC_WHOAREYOU)
		return v5tc_fail("expected WHOAREYOU on l1, got %s",
				 v5tc_kind(r));
	return 0;
}

static int t_handshake_resend(struct v5tc *c, struct v5tc_resp *r)
{
	uint8_t pt[DISCV5_PACKET_MAX], nonce[12], chal[DISCV5_CHALLENGE_LEN];
	uint8_t n1[12];
	struct discv5_msg m;

	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_PING;
	v5tc_reqid(c, &m);
	v5tc_write(c, 0, pt, v5tc_enc(pt, &m), NULL, nonce);
	if (v5tc_read(c, 0, r) != V5TC_WHOAREYOU)
		return v5tc_fail("expected WHOAREYOU, got %s", v5tc_kind(r));
	memcpy(n1, r->h.nonce, 12);
	memcpy(chal, r->h.raw, sizeof(chal));
	v5tc_reqid(c, &m);
	v5tc_write(c, 0, pt, v5tc_enc(pt, &m), NULL, nonce);
	if (v5tc_read(c, 0, r) != V5TC_WHOAREYOU)
		return v5tc_fail("expected WHOAREYOU again, got %s",
				 v5tc_kind(r));
	if (memcmp(r->h.nonce, n1, 12))
		return v5tc_fail("the second WHOAREYOU has a new nonce");
	if (memcmp(r->h.raw, chal, sizeof(chal)))
		return v5tc_fail("the second WHOAREYOU has new challenge data");
	return 0;
}

static int talk(struct v5tc *c, struct v5tc_resp *r, bool empty_id)
{
	uint8_t pt[DISCV5_PACKET_MAX];
	struct discv5_msg m;

	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_TALKREQ;
	if (!empty_id)
		v5tc_reqid(c, &m);
	m.talkreq.proto = (const uint8_t *)"test-protocol";
	m.talkreq.proto_len = 13;
	v5tc_reqresp(c, 0, pt, v5tc_enc(pt, &m), r);
	if (r->kind != V5TC_MSG || r->m.type != DISCV5_MSG_TALKRESP)
		return v5tc_fail("expected TALKRESP, got %s", v5tc_kind(r));
	if (r->m.req_id_len != m.req_id_len ||
	    memcmp(r->m.req_id, m.req_id, m.req_id_len))
		return v5tc_fail("wrong request id in TALKRESP");
	if (r->m.talkresp.resp_len)
		return v5tc_fail("non-empty TALKRESP for an unknown protocol");
	return 0;
}

static int t_talk_request(struct v5tc *c, struct v5tc_resp *r)
{
	if (talk(c, r, false) < 0)
		return -1;
	return talk(c, r, true);
}

static int t_findnode_zero(struct v5tc *c, struct v5tc_resp *r)
{
	static const uint16_t zero[1] = { 0 };
	struct discv5_node found[V5TC_FOUND_MAX];
	unsigned n;

	(void)r;
	if (v5tc_findnode(c, 0, zero, 1, found, &n) < 0)
		return -1;
	if (n != 1)
		return v5tc_fail("%u records for FINDNODE [0], want 1", n);
	if (memcmp(found[0].id, v5tc_remote(c)->id, 32))
		return v5tc_fail("FINDNODE [0] returned another node");
	return 0;
}

/* Bystanders (geth's TestFindnodeResults): nodes whose only job is to be
 * revalidated by the node and then found in its FINDNODE answers. */
static void serve(struct v5tc *by, unsigned n, uint64_t until_ms)
{
	struct v5tc_resp *r = malloc(sizeof(*r));

	if (!r)
		return;
	while (v4test_io_now_ms() < until_ms) {
		for (unsigned i = 0; i < n; i++) {
			uint8_t buf[DISCV5_PACKET_MAX + 1], nonce[12];
			struct v5tc *b = &by[i];
			ssize_t len;
			unsigned k;

			len = v4test_io_recv(b->fd[0], buf, sizeof(buf),
					     r->from, &r->from_port,
					     v4test_io_now_ms() + 5);
			if (len < 0 || len > DISCV5_PACKET_MAX ||
			    discv5_decode_header(&r->h, &b->mask, buf,
						 (size_t)len) < 0)
				continue;
			if (r->h.flag == DISCV5_FLAG_WHOAREYOU) {
				/* Re-send what it could not read. */
				for (k = 0;
				     k < V5TC_SENT_KEEP && k < b->n_sent; k++)
					if (!memcmp(b->sent[k].nonce,
						    r->h.nonce, 12))
						break;
				if (k < V5TC_SENT_KEEP && k < b->n_sent)
					v5tc_write(b, 0, b->sent[k].pt,
						   b->sent[k].len, &r->h,
						   nonce);
				continue;
			}
			if (!b->has_keys ||
			    (len = discv5_open_message(r->pt, sizeof(r->pt),
						       &r->h, b->rkey)) < 0 ||
			    discv5_msg_decode(&r->m, r->pt, (size_t)len) < 0)
				continue;
			v5tc_answer(b, 0, r);
		}
	}
	free(r);
}

static bool has_id(const struct discv5_node *n, unsigned cnt,
		   const uint8_t id[32])
{
	for (unsigned i = 0; i < cnt; i++)
		if (!memcmp(n[i].id, id, 32))
			return true;
	return false;
}

static int t_findnode_results(struct v5tc *c, struct v5tc_resp *r)
{
	struct v5tc by[V5TEST_BYSTANDERS];
	struct discv5_node known[V5TEST_BYSTANDERS];
	struct discv5_node found[V5TC_FOUND_MAX];
	uint16_t dist[V5TEST_BYSTANDERS];
	unsigned nd = 0, n = 0, live = 0, i;
	uint64_t end;
	uint32_t wait_s = c->cfg->bystander_wait_s;
	int rc = -1;

	memset(by, 0, sizeof(by));
	for (i = 0; i < V5TEST_BYSTANDERS; i++)
		by[i].fd[0] = by[i].fd[1] = -1;
	for (i = 0; i < V5TEST_BYSTANDERS; i++) {
		uint8_t raw[ENR_MAX_SIZE];
		ssize_t len;

		if (v5tc_open(&by[i], c->cfg, false, true) < 0)
			goto out;
		len = enr_encode(raw, sizeof(raw),
				 localnode_record(&by[i].ln));
		if (len < 0 ||
		    discv5_node_from_enr(&known[i], raw, (size_t)len) < 0) {
			v5tc_fail("bystander record failed");
			goto out;
		}
	}
	/* Each knows the others (geth: "so background FINDNODE lookups
	 * see useful routing data instead of empty responses"). */
	for (i = 0; i < V5TEST_BYSTANDERS; i++) {
		struct discv5_msg m;

		by[i].known = known;
		by[i].n_known = V5TEST_BYSTANDERS;
		v5tc_ping(&by[i], 0, r, &m);
		if (v5tc_check_pong(&by[i], 0, r, &m) < 0)
			goto out;
	}
	/* Unlike geth's bystanders, ours ping again every 5 s until the node
	 * revalidates them: a node still filling its table refuses inbound
	 * nodes (geth addInboundNode before initDone). */
	end = v4test_io_now_ms() + wait_s * 1000ull;
	for (unsigned round = 1; v4test_io_now_ms() < end; round++) {
		serve(by, V5TEST_BYSTANDERS, v4test_io_now_ms() + 200);
		for (live = 0, i = 0; i < V5TEST_BYSTANDERS; i++) {
			uint8_t pt[DISCV5_PACKET_MAX], nonce[12];
			struct discv5_msg m;

			live += by[i].live;
			if (by[i].live || round % 25)
				continue;
			memset(&m, 0, sizeof(m));
			m.type = DISCV5_MSG_PING;
			v5tc_reqid(&by[i], &m);
			m.ping.enr_seq = localnode_seq(&by[i].ln);
			(void)v5tc_write(&by[i], 0, pt, v5tc_enc(pt, &m), NULL,
					 nonce);
		}
		if (live == V5TEST_BYSTANDERS)
			break;
	}
	if (live < V5TEST_BYSTANDERS) {
		v5tc_fail("the node revalidated %u of %u bystanders in %u s",
			  live, V5TEST_BYSTANDERS, wait_s);
		goto out;
	}
	for (i = 0; i < V5TEST_BYSTANDERS; i++) {
		uint16_t d = (uint16_t)kad_log_distance(by[i].ln.id,
							v5tc_remote(c)->id);
		unsigned k;

		for (k = 0; k < nd && dist[k] != d; k++)
			;
		if (k == nd)
			dist[nd++] = d;
	}
	for (int attempt = 0; attempt < 5; attempt++) {
		unsigned missing = 0;

		if (v5tc_findnode(c, 0, dist, nd, found, &n) < 0)
			goto out;
		for (i = 0; i < V5TEST_BYSTANDERS; i++)
			missing += !has_id(found, n, by[i].ln.id);
		if (missing == 0) {
			rc = 0;
			goto out;
		}
		v5tc_fail("%u of %u bystanders missing in FINDNODE results",
		     missing, V5TEST_BYSTANDERS);
		serve(by, V5TEST_BYSTANDERS, v4test_io_now_ms() + 2000);
	}
out:
	for (i = 0; i < V5TEST_BYSTANDERS; i++)
		v5tc_close(&by[i]);
	return rc;
}

/* ---- geth PR #34770 -------------------------------------------------- */

static int t_findnode_wrong_ip(struct v5tc *c, struct v5tc_resp *r)
{
	uint8_t pt[DISCV5_PACKET_MAX], nonce[12];
	struct discv5_msg m;

	if (v5tc_session(c, r) < 0)
		return -1;
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_FINDNODE;
	v5tc_reqid(c, &m);
	m.findnode.n = 1;
	v5tc_write(c, 1, pt, v5tc_enc(pt, &m), NULL, nonce);
	v5tc_read(c, 1, r);
	if (r->kind == V5TC_MSG && r->m.type == DISCV5_MSG_NODES)
		return v5tc_fail("NODES to FINDNODE on another endpoint");
	if (r->kind != V5TC_WHOAREYOU)
		return v5tc_fail("expected WHOAREYOU, got %s", v5tc_kind(r));
	return 0;
}

static int t_findnode_handshake(struct v5tc *c, struct v5tc_resp *r)
{
	uint8_t pt[DISCV5_PACKET_MAX], nonce[12];
	struct discv5_msg m;
	size_t len;

	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_FINDNODE;
	v5tc_reqid(c, &m);
	m.findnode.n = 1;
	len = v5tc_enc(pt, &m);
	v5tc_write(c, 0, pt, len, NULL, nonce);
	v5tc_read(c, 0, r);
	if (r->kind != V5TC_WHOAREYOU)
		return v5tc_fail("expected WHOAREYOU before anything, got %s",
			    v5tc_kind(r));
	v5tc_write(c, 0, pt, len, &r->h, nonce);
	v5tc_read(c, 0, r);
	if (r->kind != V5TC_MSG || r->m.type != DISCV5_MSG_NODES)
		return v5tc_fail("expected NODES after the handshake, got %s",
			    v5tc_kind(r));
	if (r->m.nodes.n != 1)
		return v5tc_fail("%u records for FINDNODE [0]", r->m.nodes.n);
	return 0;
}

static int t_unsolicited_nodes(struct v5tc *c, struct v5tc_resp *r)
{
	uint8_t pt[DISCV5_PACKET_MAX], nonce[12], rec[ENR_MAX_SIZE];
	uint8_t priv[32], id[32];
	struct discv5_node found[V5TC_FOUND_MAX];
	struct discv5_msg m;
	struct enr e;
	ssize_t len;
	uint16_t d;
	unsigned n;

	if (v5tc_session(c, r) < 0)
		return -1;
	/* A record nobody asked for, at a distance we then ask for. */
	if (secp_priv_generate(priv) < 0)
		return v5tc_fail("key generation failed");
	enr_init(&e);
	enr_set_seq(&e, 1);
	if (enr_set_ip(&e, c->cfg->l1 + 12) < 0 || enr_set_udp(&e, 30303) < 0 ||
	    enr_sign(&e, priv) < 0 || enr_node_id(id, &e) < 0 ||
	    (len = enr_encode(rec, sizeof(rec), &e)) < 0)
		return v5tc_fail("record failed");
	explicit_bzero(priv, sizeof(priv));
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_NODES;
	v5tc_reqid(c, &m);
	m.nodes.total = 1;
	m.nodes.n = 1;
	m.nodes.enrs = rec;
	m.nodes.enrs_len = (size_t)len;
	v5tc_write(c, 0, pt, v5tc_enc(pt, &m), NULL, nonce);
	v5tc_read(c, 0, r);
	if (r->kind != V5TC_TIMEOUT)
		return v5tc_fail("expected no answer to NODES, got %s",
			    v5tc_kind(r));
	d = (uint16_t)kad_log_distance(id, v5tc_remote(c)->id);
	if (v5tc_findnode(c, 0, &d, 1, found, &n) < 0)
		return -1;
	if (has_id(found, n, id))
		return v5tc_fail("an unsolicited record came back in NODES");
	return 0;
}

/* ---- robustness --------------------------------------------------------- */

/* A packet cut inside its tag cannot be opened: like any undecryptable
 * message it may get a WHOAREYOU (geth and we send one), never an answer.
 * Cut under 63 bytes it is not a discv5 packet: no answer at all. */
static int t_truncated(struct v5tc *c, struct v5tc_resp *r)
{
	uint8_t pt[DISCV5_PACKET_MAX], nonce[12], cut[DISCV5_PACKET_MAX];
	struct discv5_msg m;
	size_t len;

	if (v5tc_session(c, r) < 0)
		return -1;
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_PING;
	v5tc_reqid(c, &m);
	len = v5tc_enc(pt, &m);
	if (v5tc_write(c, 0, pt, len, NULL, nonce) < 0)
		return -1;
	if (v5tc_read(c, 0, r) != V5TC_MSG || r->m.type != DISCV5_MSG_PONG)
		return v5tc_fail("expected PONG, got %s", v5tc_kind(r));
	len = c->last_len;
	memcpy(cut, c->last, len);
	if (v5tc_send_raw(c, 0, cut, len - 5) < 0)
		return -1;
	v5tc_read(c, 0, r);
	if (r->kind == V5TC_MSG)
		return v5tc_fail("%s to a packet cut in its tag", v5tc_kind(r));
	if (r->kind != V5TC_TIMEOUT && r->kind != V5TC_WHOAREYOU)
		return v5tc_fail("expected WHOAREYOU or nothing, got %s",
			    v5tc_kind(r));
	if (v5tc_send_raw(c, 0, cut, 62) < 0)
		return -1;
	v5tc_read(c, 0, r);
	if (r->kind != V5TC_TIMEOUT)
		return v5tc_fail("expected no answer to 62 bytes, got %s",
			    v5tc_kind(r));
	/* The session survives both. */
	if (v5tc_session(c, r) < 0)
		return -1;
	return v5tc_still_alive(c->cfg);
}

static int t_wrong_protocol_id(struct v5tc *c, struct v5tc_resp *r)
{
	uint8_t pt[DISCV5_PACKET_MAX], nonce[12], bad[DISCV5_PACKET_MAX];
	struct discv5_msg m;
	size_t len;

	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_PING;
	v5tc_reqid(c, &m);
	len = v5tc_enc(pt, &m);
	/* Encode, then flip the masked "discv5": it unmasks to another id. */
	v5tc_write(c, 0, pt, len, NULL, nonce);
	(void)v5tc_read(c, 0, r);
	memcpy(bad, c->last, c->last_len);
	bad[DISCV5_MASKING_IV_LEN + 5] ^= 0x01;
	if (v5tc_send_raw(c, 0, bad, c->last_len) < 0)
		return -1;
	v5tc_read(c, 0, r);
	if (r->kind != V5TC_TIMEOUT)
		return v5tc_fail("expected no answer, got %s", v5tc_kind(r));
	return v5tc_still_alive(c->cfg);
}

static int t_replayed_handshake(struct v5tc *c, struct v5tc_resp *r)
{
	uint8_t hs[DISCV5_PACKET_MAX];
	struct discv5_msg m;
	size_t hs_len;

	if (v5tc_session(c, r) < 0)
		return -1;
	memcpy(hs, c->last, c->last_len);       /* the handshake packet */
	hs_len = c->last_len;
	if (v5tc_send_raw(c, 0, hs, hs_len) < 0)
		return -1;
	v5tc_read(c, 0, r);
	if (r->kind == V5TC_MSG && r->m.type == DISCV5_MSG_PONG)
		return v5tc_fail("PONG to a replayed handshake");
	if (r->kind != V5TC_TIMEOUT)
		return v5tc_fail("expected no answer to a replay, got %s",
			    v5tc_kind(r));
	/* The session it established still works. */
	v5tc_ping(c, 0, r, &m);
	return v5tc_check_pong(c, 0, r, &m);
}

/* ---- runner ----------------------------------------------------------- */

struct v5case {
	const char *name;
	int (*fn)(struct v5tc *c, struct v5tc_resp *r);
	bool two;                       /* needs the second tester address */
};

static const struct v5case cases[] = {
	{ "Ping", t_ping, false },
	{ "PingLargeRequestID", t_ping_large_reqid, false },
	{ "PingMultiIP", t_ping_multi_ip, true },
	{ "HandshakeResend", t_handshake_resend, false },
	{ "TalkRequest", t_talk_request, false },
	{ "FindnodeZeroDistance", t_findnode_zero, false },
	{ "FindnodeResults", t_findnode_results, false },
	{ "FindnodeWrongIP", t_findnode_wrong_ip, true },
	{ "FindnodeHandshake", t_findnode_handshake, false },
	{ "UnsolicitedNodes", t_unsolicited_nodes, false },
	{ "TruncatedPacket", t_truncated, false },
	{ "WrongProtocolID", t_wrong_protocol_id, false },
	{ "ReplayedHandshake", t_replayed_handshake, false },
};

void v5test_cfg_default(struct v5test_cfg *cfg,
			const struct discv5_node *remote)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->remote = *remote;
	if (!netutil_addr_is_v4(remote->ip)) {
		cfg->l1[15] = 1;
		cfg->l2[15] = 1;
		return;
	}
	cfg->l1[10] = cfg->l1[11] = cfg->l2[10] = cfg->l2[11] = 0xff;
	cfg->l1[12] = cfg->l2[12] = 127;
	cfg->l1[15] = 1;
	cfg->l2[15] = 2;
}

int v5test_run(const struct v5test_cfg *cfg, FILE *out)
{
	static const uint8_t zero[SECP_PUB_LEN];
	unsigned ran = 0, failed = 0;
	struct v5tc_resp *r;
	struct v5tc_cfg tc;
	struct v5tc c;

	if (!memcmp(cfg->remote.pub, zero, SECP_PUB_LEN) ||
	    netutil_is_unspecified(cfg->remote.ip) || !cfg->remote.udp)
		return -EINVAL;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	memset(&tc, 0, sizeof(tc));
	tc.remote = cfg->remote;
	memcpy(tc.l1, cfg->l1, 16);
	memcpy(tc.l2, cfg->l2, 16);
	tc.wait_ms = cfg->wait_ms ? cfg->wait_ms : V5TEST_WAIT_MS;
	tc.bystander_wait_s = cfg->bystander_wait_s ? cfg->bystander_wait_s
						    : V5TEST_BYSTANDER_WAIT_S;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct v5case *k = &cases[i];
		uint64_t t0;
		int rc;

		if (cfg->filter && !strstr(k->name, cfg->filter))
			continue;
		ran++;
		t0 = v4test_io_now_ms();
		v5tc_err[0] = 0;
		rc = v5tc_open(&c, &tc, k->two, false);
		if (rc == 0 && k->two && !memcmp(cfg->l1, cfg->l2, 16))
			rc = v5tc_fail("needs two tester addresses");
		if (rc == 0)
			rc = k->fn(&c, r);
		v5tc_close(&c);
		if (rc == 0) {
			fprintf(out, "PASS %s (%llu ms)\n", k->name,
				(unsigned long long)(v4test_io_now_ms() - t0));
		} else {
			failed++;
			fprintf(out, "FAIL %s: %s\n", k->name, v5tc_err);
		}
		fflush(out);
	}
	free(r);
	if (ran == 0)
		return -EINVAL;
	fprintf(out, "%u passed, %u failed\n", ran - failed, failed);
	fflush(out);
	return (int)failed;
}
