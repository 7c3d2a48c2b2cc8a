/* SPDX-License-Identifier: MIT */
/* control/tester/v4test.c - discv4 conformance suite run against a live node. */
#include "control/tester/v4test.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <string.h>

#include "common/discv4_wire.h"
#include "common/enr.h"
#include "common/keccak.h"
#include "common/rlp.h"
#include "common/secp.h"
#include "control/tester/v4test_io.h"

#define EXPIRATION_S    20              /* geth's v4test expiration */
#define RX_CAP          2048
#define ERR_LEN         256

/* One case's tester: a fresh key and one socket per tester address. */
struct te {
	const struct v4test_cfg *cfg;
	uint32_t wait_ms;
	uint8_t priv[SECP_PRIV_LEN];
	uint8_t pub[SECP_PUB_LEN];
	int fd[2];
	uint16_t port[2];
	char err[ERR_LEN];
};

/* A datagram received from the node under test, decoded. */
struct rx {
	struct discv4_packet pkt;
	uint8_t hash[DISCV4_HASH_LEN];
	size_t len;
};

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0xff, 0xff };

static const char *type_name(unsigned t)
{
	static const char *const names[] = {
		"?", "PING", "PONG", "FINDNODE", "NEIGHBORS", "ENRREQUEST",
		"ENRRESPONSE",
	};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

__attribute__((format(printf, 2, 3)))
static int fail(struct te *te, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(te->err, sizeof(te->err), fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t future_exp(void)
{
	return v4test_io_unix_s() + EXPIRATION_S;
}

/* An expiration 20 s in the past, as a plain Unix time. */
static uint64_t past_exp(void)
{
	return v4test_io_unix_s() - EXPIRATION_S;
}

/* geth's v4test sends -futureExpiration() in a uint64: 2^64 - t, which geth
 * reads as a negative int64 (time.Unix(int64(ts), 0)), so in the past. */
static uint64_t wrapped_exp(void)
{
	return (uint64_t)0 - future_exp();
}

static void ep_set(struct discv4_endpoint *e, const uint8_t ip[16],
		   uint16_t udp, uint16_t tcp)
{
	memset(e, 0, sizeof(*e));
	e->ip_len = memcmp(ip, v4mapped, sizeof(v4mapped)) == 0 ? 4 : 16;
	memcpy(e->ip, ip, 16);
	e->udp = udp;
	e->tcp = tcp;
}

static void ep_local(const struct te *te, unsigned idx,
		     struct discv4_endpoint *e)
{
	ep_set(e, idx ? te->cfg->l2 : te->cfg->l1, te->port[idx], 0);
}

static void ep_remote(const struct te *te, struct discv4_endpoint *e)
{
	ep_set(e, te->cfg->remote.ip, te->cfg->remote.udp,
	       te->cfg->remote.tcp);
}

/* 192.0.2.0 (TEST-NET-1), ports 0: geth's wrongEndpoint. */
static void ep_wrong(struct discv4_endpoint *e)
{
	uint8_t ip[16];

	memcpy(ip, v4mapped, sizeof(v4mapped));
	ip[12] = 192;
	ip[13] = 0;
	ip[14] = 2;
	ip[15] = 0;
	ep_set(e, ip, 0, 0);
}

static void fmt_ep(char *out, size_t cap, const struct discv4_endpoint *e)
{
	if (e->ip_len == 4)
		snprintf(out, cap, "%u.%u.%u.%u:%u", e->ip[12], e->ip[13],
			 e->ip[14], e->ip[15], e->udp);
	else
		snprintf(out, cap, "[ip%u]:%u", e->ip_len, e->udp);
}

/* seal() frames packet-type || data as hash || sig || type || data, signed
 * with priv, whatever the type byte (so it can build invalid types). */
static ssize_t seal(uint8_t *out, size_t cap, const uint8_t priv[32],
		    uint8_t type, const uint8_t *data, size_t len)
{
	uint8_t sighash[KECCAK256_LEN];

	if (len + DISCV4_MIN_LEN > cap)
		return -EMSGSIZE;
	out[DISCV4_HEAD_LEN] = type;
	memmove(out + DISCV4_MIN_LEN, data, len);
	keccak256(sighash, out + DISCV4_HEAD_LEN, len + 1);
	if (secp_sign(out + DISCV4_HASH_LEN, sighash, priv) < 0)
		return -EINVAL;
	keccak256(out, out + DISCV4_HASH_LEN, DISCV4_SIG_LEN + 1 + len);
	return (ssize_t)(DISCV4_MIN_LEN + len);
}

static int send_raw(struct te *te, unsigned idx, const uint8_t *buf,
		    size_t len)
{
	int rc = v4test_io_send(te->fd[idx], te->cfg->remote.ip,
				te->cfg->remote.udp, buf, len);

	if (rc < 0)
		return fail(te, "send: %s", strerror(-rc));
	return 0;
}

/* send_pkt() encodes, signs and sends pkt from tester idx; hash (may be
 * NULL) receives the packet hash. */
static int send_pkt(struct te *te, unsigned idx,
		    const struct discv4_packet *pkt,
		    uint8_t hash[DISCV4_HASH_LEN])
{
	uint8_t buf[DISCV4_MAX_LEN];
	ssize_t n = discv4_encode(buf, sizeof(buf), te->priv, pkt);

	if (n < 0)
		return fail(te, "encode %s: %s", type_name(pkt->type),
			    strerror((int)-n));
	if (hash)
		memcpy(hash, buf, DISCV4_HASH_LEN);
	return send_raw(te, idx, buf, (size_t)n);
}

static void put_ep(struct rlp_buf *b, const struct discv4_endpoint *e)
{
	rlp_list_begin(b);
	rlp_put_bytes(b, e->ip_len == 4 ? e->ip + 12 : e->ip, e->ip_len);
	rlp_put_u64(b, e->udp);
	rlp_put_u64(b, e->tcp);
	rlp_list_end(b);
}

struct ping_opts {
	uint8_t type;                   /* DISCV4_PING, or a wrong type */
	bool wrong_from, wrong_to;
	bool junk;                      /* geth's pingWithJunk trailer */
	uint64_t expiration;            /* 0: 20 s from now */
};

/* send_ping() builds the Ping by hand so it can carry junk fields, a wrong
 * type byte or any expiration. */
static int send_ping(struct te *te, unsigned idx, const struct ping_opts *o,
		     uint8_t hash[DISCV4_HASH_LEN])
{
	static const uint8_t junk2[] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
	uint8_t data[512], buf[DISCV4_MAX_LEN];
	struct discv4_endpoint from, to;
	struct rlp_buf b;
	ssize_t len, n;

	if (o->wrong_from)
		ep_wrong(&from);
	else
		ep_local(te, idx, &from);
	if (o->wrong_to)
		ep_wrong(&to);
	else
		ep_remote(te, &to);
	rlp_buf_init(&b, data, sizeof(data));
	rlp_list_begin(&b);
	rlp_put_u64(&b, DISCV4_VERSION);
	put_ep(&b, &from);
	put_ep(&b, &to);
	rlp_put_u64(&b, o->expiration ? o->expiration : future_exp());
	if (o->junk) {
		rlp_put_u64(&b, 42);
		rlp_put_bytes(&b, junk2, sizeof(junk2));
	}
	rlp_list_end(&b);
	len = rlp_buf_finish(&b);
	if (len < 0)
		return fail(te, "ping rlp: %s", strerror((int)-len));
	n = seal(buf, sizeof(buf), te->priv, o->type ? o->type : DISCV4_PING,
		 data, (size_t)len);
	if (n < 0)
		return fail(te, "seal: %s", strerror((int)-n));
	if (hash)
		memcpy(hash, buf, DISCV4_HASH_LEN);
	return send_raw(te, idx, buf, (size_t)n);
}

static int send_pong(struct te *te, unsigned idx,
		     const uint8_t ping_hash[DISCV4_HASH_LEN])
{
	struct discv4_packet p;

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PONG;
	ep_remote(te, &p.u.pong.to);
	memcpy(p.u.pong.ping_hash, ping_hash, DISCV4_HASH_LEN);
	p.u.pong.expiration = future_exp();
	return send_pkt(te, idx, &p, NULL);
}

static int send_findnode(struct te *te, unsigned idx,
			 const uint8_t target[DISCV4_PUB_LEN], uint64_t exp)
{
	struct discv4_packet p;

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_FINDNODE;
	if (target)
		memcpy(p.u.findnode.target, target, DISCV4_PUB_LEN);
	else if (secp_priv_generate(p.u.findnode.target) < 0 ||
		 secp_priv_generate(p.u.findnode.target + 32) < 0)
		return fail(te, "getrandom failed");
	p.u.findnode.expiration = exp;
	return send_pkt(te, idx, &p, NULL);
}

static int send_enrrequest(struct te *te, unsigned idx,
			   uint8_t hash[DISCV4_HASH_LEN])
{
	struct discv4_packet p;

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_ENRREQUEST;
	p.u.enrrequest.expiration = future_exp();
	return send_pkt(te, idx, &p, hash);
}

/* te_read() reads one datagram on tester idx until deadline_ms and decodes
 * it. Returns 0, -ETIMEDOUT, or -1 with te->err set (the node sent
 * something that is not a valid discv4 packet from it). */
static int te_read(struct te *te, unsigned idx, struct rx *rx,
		   uint64_t deadline_ms)
{
	uint8_t buf[RX_CAP], from[16], pub[DISCV4_PUB_LEN];
	uint16_t from_port;
	ssize_t n;
	int rc;

	n = v4test_io_recv(te->fd[idx], buf, sizeof(buf), from, &from_port,
			   deadline_ms);
	if (n == -ETIMEDOUT)
		return -ETIMEDOUT;
	if (n < 0)
		return fail(te, "recv: %s", strerror((int)-n));
	if ((size_t)n > DISCV4_MAX_LEN)
		return fail(te, "reply of %zd bytes, over the 1280-byte limit",
			    n);
	if (memcmp(from, te->cfg->remote.ip, 16) != 0 ||
	    from_port != te->cfg->remote.udp)
		return fail(te, "reply from another endpoint (port %u)",
			    from_port);
	rc = discv4_check_hash(buf, (size_t)n);
	if (rc < 0)
		return fail(te, "reply with a bad hash (%s)", strerror(-rc));
	n = discv4_decode(&rx->pkt, buf, (size_t)n);
	if (n < 0)
		return fail(te, "undecodable reply (%s)", strerror((int)-n));
	rx->len = (size_t)n;
	if (discv4_recover(pub, buf, (size_t)n) < 0)
		return fail(te, "reply with a bad signature");
	if (memcmp(pub, te->cfg->remote.pub, DISCV4_PUB_LEN) != 0)
		return fail(te, "%s signed by another node id",
			    type_name(rx->pkt.type));
	memcpy(rx->hash, buf, DISCV4_HASH_LEN);
	return 0;
}

static uint64_t deadline(const struct te *te)
{
	return v4test_io_now_ms() + te->wait_ms;
}

/* check_pong() checks a Pong answering ping_hash sent from tester idx: the
 * hash echoed, 'to' mirroring our real source, not expired. */
static int check_pong(struct te *te, unsigned idx, const struct rx *rx,
		      const uint8_t ping_hash[DISCV4_HASH_LEN])
{
	const struct discv4_pong *p = &rx->pkt.u.pong;
	struct discv4_endpoint want;
	char got_s[64], want_s[64];

	if (rx->pkt.type != DISCV4_PONG)
		return fail(te, "expected PONG, got %s",
			    type_name(rx->pkt.type));
	if (memcmp(p->ping_hash, ping_hash, DISCV4_HASH_LEN) != 0)
		return fail(te, "PONG reply token mismatch");
	ep_local(te, idx, &want);
	if (p->to.ip_len != want.ip_len ||
	    memcmp(p->to.ip, want.ip, 16) != 0 || p->to.udp != want.udp) {
		fmt_ep(got_s, sizeof(got_s), &p->to);
		fmt_ep(want_s, sizeof(want_s), &want);
		return fail(te, "PONG 'to' endpoint mismatch: got %s, want %s",
			    got_s, want_s);
	}
	if (p->expiration < v4test_io_unix_s())
		return fail(te, "PONG is expired (%llu)",
			    (unsigned long long)p->expiration);
	return 0;
}

/* check_pingpong(): an unknown pinger gets a Pong and a Ping back, in any
 * order (geth's checkPingPong: exactly two packets). */
static int check_pingpong(struct te *te,
			  const uint8_t ping_hash[DISCV4_HASH_LEN])
{
	unsigned pings = 0, pongs = 0, i;
	struct rx rx;
	int rc;

	for (i = 0; i < 2; i++) {
		rc = te_read(te, 0, &rx, deadline(te));
		if (rc == -ETIMEDOUT)
			break;
		if (rc < 0)
			return rc;
		if (rx.pkt.type == DISCV4_PONG) {
			if (check_pong(te, 0, &rx, ping_hash) < 0)
				return -1;
			pongs++;
		} else if (rx.pkt.type == DISCV4_PING) {
			pings++;
		} else {
			return fail(te, "expected PING or PONG, got %s",
				    type_name(rx.pkt.type));
		}
	}
	if (pings == 1 && pongs == 1)
		return 0;
	return fail(te, "expected 1 PING (got %u) and 1 PONG (got %u) "
		    "within %u ms each", pings, pongs, te->wait_ms);
}

/* bond() proves tester 0's endpoint: Ping, then answer the node's Ping
 * with a correct Pong and collect its Pong to ours. */
static int bond(struct te *te)
{
	struct ping_opts o = { .type = DISCV4_PING };
	uint8_t hash[DISCV4_HASH_LEN];
	bool got_ping = false, got_pong = false;
	struct rx rx;
	int rc;

	if (send_ping(te, 0, &o, hash) < 0)
		return -1;
	while (!got_ping || !got_pong) {
		rc = te_read(te, 0, &rx, deadline(te));
		if (rc == -ETIMEDOUT)
			return fail(te, "bond: no %s within %u ms",
				    got_pong ? "PING" : "PONG", te->wait_ms);
		if (rc < 0)
			return rc;
		if (rx.pkt.type == DISCV4_PING) {
			if (send_pong(te, 0, rx.hash) < 0)
				return -1;
			got_ping = true;
		} else if (rx.pkt.type == DISCV4_PONG) {
			if (check_pong(te, 0, &rx, hash) < 0)
				return -1;
			got_pong = true;
		}
	}
	return 0;
}

/* expect() waits for a packet of type want on tester idx, answering Pings
 * and skipping other requests the node may send meanwhile. */
static int expect(struct te *te, unsigned idx, uint8_t want, struct rx *rx)
{
	uint64_t dl = deadline(te);
	int rc;

	for (;;) {
		rc = te_read(te, idx, rx, dl);
		if (rc == -ETIMEDOUT)
			return fail(te, "no %s within %u ms", type_name(want),
				    te->wait_ms);
		if (rc < 0)
			return rc;
		if (rx->pkt.type == want)
			return 0;
		if (rx->pkt.type == DISCV4_PING) {
			if (send_pong(te, idx, rx->hash) < 0)
				return -1;
			continue;
		}
		if (rx->pkt.type == DISCV4_FINDNODE ||
		    rx->pkt.type == DISCV4_ENRREQUEST)
			continue;
		return fail(te, "expected %s, got %s", type_name(want),
			    type_name(rx->pkt.type));
	}
}

/* expect_none() fails if a packet of type bad (0: any packet) arrives on
 * tester idx within the wait. */
static int expect_none(struct te *te, unsigned idx, uint8_t bad,
		       const char *what)
{
	uint64_t dl = deadline(te);
	struct rx rx;
	int rc;

	for (;;) {
		rc = te_read(te, idx, &rx, dl);
		if (rc == -ETIMEDOUT)
			return 0;
		if (rc < 0)
			return rc;
		if (bad == 0 || rx.pkt.type == bad)
			return fail(te, "%s: got %s", what,
				    type_name(rx.pkt.type));
	}
}

/* --- the cases ------------------------------------------------------ */

static int ping_case(struct te *te, const struct ping_opts *o)
{
	uint8_t hash[DISCV4_HASH_LEN];

	if (send_ping(te, 0, o, hash) < 0)
		return -1;
	return check_pingpong(te, hash);
}

static int t_ping_basic(struct te *te)
{
	struct ping_opts o = { .type = DISCV4_PING };

	return ping_case(te, &o);
}

static int t_ping_wrong_to(struct te *te)
{
	struct ping_opts o = { .type = DISCV4_PING, .wrong_to = true };

	return ping_case(te, &o);
}

static int t_ping_wrong_from(struct te *te)
{
	struct ping_opts o = { .type = DISCV4_PING, .wrong_from = true };

	return ping_case(te, &o);
}

static int t_ping_extra_data(struct te *te)
{
	struct ping_opts o = { .type = DISCV4_PING, .junk = true };

	return ping_case(te, &o);
}

static int t_ping_extra_data_wrong_from(struct te *te)
{
	struct ping_opts o = { .type = DISCV4_PING, .junk = true,
			       .wrong_from = true };

	return ping_case(te, &o);
}

static int t_ping_past_expiration(struct te *te)
{
	struct ping_opts o = { .type = DISCV4_PING,
			       .expiration = past_exp() };

	if (send_ping(te, 0, &o, NULL) < 0)
		return -1;
	return expect_none(te, 0, 0, "expected no reply to an expired PING");
}

static int t_ping_past_expiration_wrapped(struct te *te)
{
	struct ping_opts o = { .type = DISCV4_PING,
			       .expiration = wrapped_exp() };

	if (send_ping(te, 0, &o, NULL) < 0)
		return -1;
	return expect_none(te, 0, 0,
			   "expected no reply to a PING expiring at "
			   "2^64 - (now + 20) (negative as int64)");
}

static int t_ping_wrong_type(struct te *te)
{
	struct ping_opts o = { .type = 66 };    /* geth's wrongPacket */

	if (send_ping(te, 0, &o, NULL) < 0)
		return -1;
	return expect_none(te, 0, 0, "expected no reply to packet type 66");
}

static int t_bond_then_ping_wrong_from(struct te *te)
{
	struct ping_opts o = { .type = DISCV4_PING, .wrong_from = true };
	uint8_t hash[DISCV4_HASH_LEN];
	struct rx rx;

	if (bond(te) < 0 || send_ping(te, 0, &o, hash) < 0)
		return -1;
	if (expect(te, 0, DISCV4_PONG, &rx) < 0)
		return -1;
	return check_pong(te, 0, &rx, hash);
}

static int t_enr_request(struct te *te)
{
	uint8_t hash[DISCV4_HASH_LEN], pub[ENODE_PUB_LEN];
	const struct discv4_enrresponse *r;
	struct enr enr;
	struct rx rx;

	if (bond(te) < 0 || send_enrrequest(te, 0, hash) < 0)
		return -1;
	if (expect(te, 0, DISCV4_ENRRESPONSE, &rx) < 0)
		return -1;
	r = &rx.pkt.u.enrresponse;
	if (memcmp(r->request_hash, hash, DISCV4_HASH_LEN) != 0)
		return fail(te, "ENRRESPONSE request-hash mismatch");
	if (enr_decode(&enr, r->enr, r->enr_len) < 0)
		return fail(te, "ENRRESPONSE record does not decode");
	if (enr_verify(&enr) < 0)
		return fail(te, "ENRRESPONSE record signature invalid");
	if (enr_pubkey(pub, &enr) < 0 ||
	    memcmp(pub, te->cfg->remote.pub, ENODE_PUB_LEN) != 0)
		return fail(te, "ENRRESPONSE record of another node");
	return 0;
}

static int t_enr_without_proof(struct te *te)
{
	if (send_enrrequest(te, 0, NULL) < 0)
		return -1;
	return expect_none(te, 0, DISCV4_ENRRESPONSE,
			   "ENRRESPONSE to an unbonded sender");
}

static int t_findnode_without_proof(struct te *te)
{
	if (send_findnode(te, 0, NULL, future_exp()) < 0)
		return -1;
	return expect_none(te, 0, 0,
			   "expected no reply to FINDNODE before the "
			   "endpoint proof");
}

static int t_findnode_basic(struct te *te)
{
	struct rx rx;

	if (bond(te) < 0 || send_findnode(te, 0, NULL, future_exp()) < 0)
		return -1;
	return expect(te, 0, DISCV4_NEIGHBORS, &rx);
}

static int t_unsolicited_neighbors(struct te *te)
{
	uint8_t fpriv[SECP_PRIV_LEN], fpub[SECP_PUB_LEN];
	struct discv4_packet p;
	struct discv4_node *n;
	unsigned got = 0, i;
	uint64_t dl;
	struct rx rx;
	int rc;

	if (bond(te) < 0)
		return -1;
	if (secp_priv_generate(fpriv) < 0 ||
	    secp_pub_from_priv(fpub, fpriv) < 0)
		return fail(te, "fake key");
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_NEIGHBORS;
	p.u.neighbors.n = 1;
	p.u.neighbors.expiration = future_exp();
	n = &p.u.neighbors.nodes[0];
	n->ep.ip_len = 4;
	memcpy(n->ep.ip, v4mapped, sizeof(v4mapped));
	n->ep.ip[12] = 1;
	n->ep.ip[13] = 2;
	n->ep.ip[14] = 3;
	n->ep.ip[15] = 4;
	n->ep.udp = 30303;
	n->ep.tcp = 30303;
	memcpy(n->id, fpub, DISCV4_PUB_LEN);
	if (send_pkt(te, 0, &p, NULL) < 0 ||
	    send_findnode(te, 0, fpub, future_exp()) < 0)
		return -1;
	/* Read every Neighbors packet of the answer (up to 16 nodes may
	 * come in two packets). */
	if (expect(te, 0, DISCV4_NEIGHBORS, &rx) < 0)
		return -1;
	dl = deadline(te);
	for (;;) {
		got += rx.pkt.u.neighbors.n;
		for (i = 0; i < rx.pkt.u.neighbors.n; i++)
			if (!memcmp(rx.pkt.u.neighbors.nodes[i].id, fpub,
				    DISCV4_PUB_LEN))
				return fail(te, "NEIGHBORS contains the node "
					    "of an unsolicited NEIGHBORS");
		do {
			rc = te_read(te, 0, &rx, dl);
		} while (rc == 0 && rx.pkt.type != DISCV4_NEIGHBORS);
		if (rc == -ETIMEDOUT)
			break;
		if (rc < 0)
			return rc;
	}
	(void)got;
	return 0;
}

static int t_findnode_past_expiration(struct te *te)
{
	if (bond(te) < 0 || send_findnode(te, 0, NULL, past_exp()) < 0)
		return -1;
	return expect_none(te, 0, DISCV4_NEIGHBORS,
			   "NEIGHBORS for an expired FINDNODE");
}

static int t_findnode_past_expiration_wrapped(struct te *te)
{
	if (bond(te) < 0 || send_findnode(te, 0, NULL, wrapped_exp()) < 0)
		return -1;
	return expect_none(te, 0, DISCV4_NEIGHBORS,
			   "NEIGHBORS for a FINDNODE expiring at 2^64 - "
			   "(now + 20) (negative as int64)");
}

static int t_amplification_pong_hash(struct te *te)
{
	struct ping_opts o = { .type = DISCV4_PING };
	static const uint8_t zero[DISCV4_HASH_LEN];
	bool got_ping = false, got_pong = false;
	struct rx rx;
	int rc;

	if (send_ping(te, 0, &o, NULL) < 0)
		return -1;
	while (!got_ping || !got_pong) {
		rc = te_read(te, 0, &rx, deadline(te));
		if (rc == -ETIMEDOUT)
			return fail(te, "no %s within %u ms",
				    got_pong ? "PING" : "PONG", te->wait_ms);
		if (rc < 0)
			return rc;
		if (rx.pkt.type == DISCV4_PING) {
			/* Our node id, but a reply token of zeros. */
			if (send_pong(te, 0, zero) < 0)
				return -1;
			got_ping = true;
		} else if (rx.pkt.type == DISCV4_PONG) {
			got_pong = true;
		}
	}
	if (send_findnode(te, 0, NULL, future_exp()) < 0)
		return -1;
	return expect_none(te, 0, DISCV4_NEIGHBORS,
			   "NEIGHBORS after a PONG with a wrong ping hash");
}

static int t_amplification_wrong_ip(struct te *te)
{
	if (memcmp(te->cfg->l1, te->cfg->l2, 16) == 0)
		return fail(te, "needs two distinct tester addresses");
	if (bond(te) < 0 || send_findnode(te, 1, NULL, future_exp()) < 0)
		return -1;
	return expect_none(te, 1, 0,
			   "reply to FINDNODE from an IP without the "
			   "endpoint proof");
}

struct v4case {
	const char *name;
	int (*fn)(struct te *te);
};

static const struct v4case cases[] = {
	{ "Ping/Basic", t_ping_basic },
	{ "Ping/WrongTo", t_ping_wrong_to },
	{ "Ping/WrongFrom", t_ping_wrong_from },
	{ "Ping/ExtraData", t_ping_extra_data },
	{ "Ping/ExtraDataWrongFrom", t_ping_extra_data_wrong_from },
	{ "Ping/PastExpiration", t_ping_past_expiration },
	{ "Ping/PastExpirationWrapped", t_ping_past_expiration_wrapped },
	{ "Ping/WrongPacketType", t_ping_wrong_type },
	{ "Ping/BondThenPingWithWrongFrom", t_bond_then_ping_wrong_from },
	{ "ENR/Request", t_enr_request },
	{ "ENR/RequestWithoutEndpointProof", t_enr_without_proof },
	{ "Findnode/WithoutEndpointProof", t_findnode_without_proof },
	{ "Findnode/BasicFindnode", t_findnode_basic },
	{ "Findnode/UnsolicitedNeighbors", t_unsolicited_neighbors },
	{ "Findnode/PastExpiration", t_findnode_past_expiration },
	{ "Findnode/PastExpirationWrapped",
	  t_findnode_past_expiration_wrapped },
	{ "Amplification/InvalidPongHash", t_amplification_pong_hash },
	{ "Amplification/WrongIP", t_amplification_wrong_ip },
};

void v4test_cfg_default(struct v4test_cfg *cfg, const struct enode *remote)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->remote = *remote;
	if (remote->kind == ENODE_HOST_IP6) {
		cfg->l1[15] = 1;
		cfg->l2[15] = 1;
		return;
	}
	memcpy(cfg->l1, v4mapped, sizeof(v4mapped));
	memcpy(cfg->l2, v4mapped, sizeof(v4mapped));
	cfg->l1[12] = 127;
	cfg->l1[15] = 1;
	cfg->l2[12] = 127;
	cfg->l2[15] = 2;
}

static int te_open(struct te *te, const struct v4test_cfg *cfg)
{
	int rc;

	memset(te, 0, sizeof(*te));
	te->cfg = cfg;
	te->wait_ms = cfg->wait_ms ? cfg->wait_ms : V4TEST_WAIT_MS;
	te->fd[0] = te->fd[1] = -1;
	if (secp_priv_generate(te->priv) < 0 ||
	    secp_pub_from_priv(te->pub, te->priv) < 0)
		return fail(te, "key generation failed");
	rc = v4test_io_open(cfg->l1, &te->port[0]);
	if (rc < 0)
		return fail(te, "bind tester 1: %s", strerror(-rc));
	te->fd[0] = rc;
	rc = v4test_io_open(cfg->l2, &te->port[1]);
	if (rc < 0)
		return fail(te, "bind tester 2: %s", strerror(-rc));
	te->fd[1] = rc;
	return 0;
}

static void te_close(struct te *te)
{
	v4test_io_close(te->fd[0]);
	v4test_io_close(te->fd[1]);
	explicit_bzero(te->priv, sizeof(te->priv));
}

int v4test_run(const struct v4test_cfg *cfg, FILE *out)
{
	unsigned ran = 0, failed = 0, i;
	struct te te;

	if (cfg->remote.kind != ENODE_HOST_IP4 &&
	    cfg->remote.kind != ENODE_HOST_IP6)
		return -EINVAL;
	if (cfg->remote.udp == 0)
		return -EINVAL;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct v4case *c = &cases[i];
		uint64_t t0;
		int rc;

		if (cfg->filter && !strstr(c->name, cfg->filter))
			continue;
		ran++;
		t0 = v4test_io_now_ms();
		rc = te_open(&te, cfg);
		if (rc == 0)
			rc = c->fn(&te);
		te_close(&te);
		if (rc == 0) {
			fprintf(out, "PASS %s (%llu ms)\n", c->name,
				(unsigned long long)(v4test_io_now_ms() - t0));
		} else {
			failed++;
			fprintf(out, "FAIL %s: %s\n", c->name, te.err);
		}
		fflush(out);
	}
	if (ran == 0)
		return -EINVAL;
	fprintf(out, "%u/%u passed, %u failed\n", ran - failed, ran, failed);
	fflush(out);
	return (int)failed;
}
