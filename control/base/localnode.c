/* SPDX-License-Identifier: MIT */
/* control/base/localnode.c - our own node: key, endpoint and signed ENR (EIP-778). */
#include "control/base/localnode.h"

#include <errno.h>
#include <string.h>

#include "common/enode.h"
#include "common/secp.h"

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				       0xff, 0xff };

static bool is_v4(const uint8_t ip[16])
{
	return memcmp(ip, v4_prefix, sizeof(v4_prefix)) == 0;
}

static bool is_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* The IPv4 wildcard is ::ffff:0.0.0.0, the IPv6 one ::. */
static bool is_unspecified(const uint8_t ip[16])
{
	return is_v4(ip) ? is_zero(ip + 12, 4) : is_zero(ip, 16);
}

int localnode_init(struct localnode *ln, const uint8_t priv[32],
		   uint64_t seq, uint16_t udp, uint16_t tcp)
{
	memset(ln, 0, sizeof(*ln));
	if (secp_pub_from_priv(ln->pub, priv) < 0)
		return -EINVAL;
	memcpy(ln->priv, priv, sizeof(ln->priv));
	enode_id(ln->id, ln->pub);
	ln->seq = seq;
	ln->udp = udp;
	ln->tcp = tcp;
	ln->min_statements = LOCALNODE_MIN_STATEMENTS;
	enr_init(&ln->rec);
	return 0;
}

void localnode_fini(struct localnode *ln)
{
	explicit_bzero(ln->priv, sizeof(ln->priv));
}

static struct localnode_ep *ep_of(struct localnode *ln, const uint8_t ip[16])
{
	return is_v4(ip) ? &ln->ep4 : &ln->ep6;
}

void localnode_set_static_ip(struct localnode *ln, const uint8_t ip[16])
{
	struct localnode_ep *e = ep_of(ln, ip);

	memcpy(e->static_ip, ip, 16);
	e->has_static = true;
}

void localnode_set_fallback_ip(struct localnode *ln, const uint8_t ip[16])
{
	struct localnode_ep *e = ep_of(ln, ip);

	if (is_unspecified(ip))
		return;
	memcpy(e->fallback_ip, ip, 16);
	e->has_fallback = true;
}

void localnode_set_udp(struct localnode *ln, uint16_t udp)
{
	ln->udp = udp;          /* content() compares it: no dirty flag */
}

void localnode_set_tcp(struct localnode *ln, uint16_t tcp)
{
	if (ln->tcp != tcp)
		ln->eth_dirty = true;
	ln->tcp = tcp;
}

int localnode_set_eth(struct localnode *ln, const uint8_t *val, size_t len)
{
	if (len > LOCALNODE_ETH_MAX)
		return -EMSGSIZE;
	if (len == 0) {
		if (ln->has_eth)
			ln->eth_dirty = true;
		ln->has_eth = false;
		ln->eth_len = 0;
		return 0;
	}
	if (!ln->has_eth || ln->eth_len != len || memcmp(ln->eth, val, len))
		ln->eth_dirty = true;
	memcpy(ln->eth, val, len);
	ln->eth_len = (uint8_t)len;
	ln->has_eth = true;
	return 0;
}

void localnode_set_min_statements(struct localnode *ln, unsigned n)
{
	ln->min_statements = n ? n : 1;
}

void localnode_statement(struct localnode *ln, const uint8_t from_ip[16],
			 const uint8_t ip[16], uint16_t port, uint64_t now_ns)
{
	struct localnode_track *t = &ep_of(ln, ip)->track;
	struct localnode_stmt *slot = NULL;

	if (is_unspecified(ip) || now_ns == 0)
		return;
	/* One vote per reporter: its latest claim wins (geth's IPTracker). */
	for (unsigned i = 0; i < LOCALNODE_TRACK_MAX; i++) {
		if (t->s[i].at_ns && memcmp(t->s[i].from, from_ip, 16) == 0) {
			slot = &t->s[i];
			break;
		}
	}
	for (unsigned i = 0; !slot && i < LOCALNODE_TRACK_MAX; i++)
		if (!t->s[i].at_ns)
			slot = &t->s[i];
	if (!slot) {
		slot = &t->s[0];
		for (unsigned i = 1; i < LOCALNODE_TRACK_MAX; i++)
			if (t->s[i].at_ns < slot->at_ns)
				slot = &t->s[i];
	}
	memcpy(slot->from, from_ip, 16);
	memcpy(slot->ip, ip, 16);
	slot->port = port;
	slot->at_ns = now_ns;
}

static bool fresh(const struct localnode_stmt *s, uint64_t now_ns)
{
	return s->at_ns && s->at_ns + LOCALNODE_TRACK_WINDOW_NS > now_ns;
}

bool localnode_predict(const struct localnode *ln, bool v6, uint8_t ip[16],
		       uint16_t *port, uint64_t now_ns)
{
	const struct localnode_track *t = v6 ? &ln->ep6.track :
					       &ln->ep4.track;
	unsigned best = 0, best_i = 0;

	/* O(n^2) over 32 slots: cheaper than any map at this size. */
	for (unsigned i = 0; i < LOCALNODE_TRACK_MAX; i++) {
		unsigned votes = 0;

		if (!fresh(&t->s[i], now_ns))
			continue;
		for (unsigned j = 0; j < LOCALNODE_TRACK_MAX; j++)
			if (fresh(&t->s[j], now_ns) &&
			    t->s[j].port == t->s[i].port &&
			    memcmp(t->s[j].ip, t->s[i].ip, 16) == 0)
				votes++;
		if (votes > best) {
			best = votes;
			best_i = i;
		}
	}
	if (best == 0 || best < ln->min_statements)
		return false;
	memcpy(ip, t->s[best_i].ip, 16);
	*port = t->s[best_i].port;
	return true;
}

/* geth lnEndpoint.get(): static beats predicted beats fallback; the port
 * is the listen port unless the prediction says otherwise. */
static bool ep_get(const struct localnode *ln, const struct localnode_ep *e,
		   bool v6, uint8_t ip[16], uint16_t *port, uint64_t now_ns)
{
	uint8_t pip[16];
	uint16_t pport;
	bool have = false;

	*port = ln->udp;
	if (e->has_fallback) {
		memcpy(ip, e->fallback_ip, 16);
		have = true;
	}
	if (e->has_static) {
		memcpy(ip, e->static_ip, 16);
		have = true;
	} else if (localnode_predict(ln, v6, pip, &pport, now_ns)) {
		memcpy(ip, pip, 16);
		*port = pport;
		have = true;
	}
	return have;
}

static void content(const struct localnode *ln, struct localnode_content *c,
		    uint64_t now_ns)
{
	memset(c, 0, sizeof(*c));
	c->has4 = ep_get(ln, &ln->ep4, false, c->ip4, &c->udp4, now_ns);
	c->has6 = ep_get(ln, &ln->ep6, true, c->ip6, &c->udp6, now_ns);
}

static int build(struct localnode *ln, const struct localnode_content *c,
		 uint64_t seq)
{
	struct enr r;
	int rc;

	enr_init(&r);
	enr_set_seq(&r, seq);
	if (c->has4) {
		rc = enr_set_ip(&r, c->ip4 + 12);
		if (rc == 0 && c->udp4)
			rc = enr_set_udp(&r, c->udp4);
		if (rc == 0 && ln->tcp)
			rc = enr_set_tcp(&r, ln->tcp);
		if (rc < 0)
			return rc;
	}
	if (c->has6) {
		rc = enr_set_ip6(&r, c->ip6);
		if (rc == 0 && c->udp6)
			rc = enr_set_udp6(&r, c->udp6);
		if (rc == 0 && ln->tcp)
			rc = enr_set_tcp6(&r, ln->tcp);
		if (rc < 0)
			return rc;
	}
	if (!c->has4 && !c->has6 && ln->udp) {
		/* No address yet: still advertise the ports (geth does). */
		rc = enr_set_udp(&r, ln->udp);
		if (rc == 0 && ln->tcp)
			rc = enr_set_tcp(&r, ln->tcp);
		if (rc < 0)
			return rc;
	}
	if (ln->has_eth) {
		rc = enr_set_eth(&r, ln->eth, ln->eth_len);
		if (rc < 0)
			return rc;
	}
	rc = enr_sign(&r, ln->priv);
	if (rc < 0)
		return rc;
	ln->rec = r;
	return 0;
}

/* Field by field: struct copies need not preserve padding. */
static bool content_eq(const struct localnode_content *a,
		       const struct localnode_content *b)
{
	return a->has4 == b->has4 && a->has6 == b->has6 &&
	       a->udp4 == b->udp4 && a->udp6 == b->udp6 &&
	       memcmp(a->ip4, b->ip4, 16) == 0 &&
	       memcmp(a->ip6, b->ip6, 16) == 0;
}

int localnode_update(struct localnode *ln, uint64_t now_ns)
{
	struct localnode_content c;
	int rc;

	content(ln, &c, now_ns);
	if (ln->signed_once && !ln->eth_dirty &&
	    content_eq(&c, &ln->cur))
		return 0;
	rc = build(ln, &c, ln->seq + 1);
	if (rc < 0)
		return rc;
	/* Commit only after signing worked. */
	ln->seq++;
	ln->cur = c;
	ln->eth_dirty = false;
	ln->signed_once = true;
	return 1;
}

const struct enr *localnode_record(const struct localnode *ln)
{
	return ln->signed_once ? &ln->rec : NULL;
}

uint64_t localnode_seq(const struct localnode *ln)
{
	return ln->seq;
}

bool localnode_endpoint4(const struct localnode *ln, uint8_t ip[16],
			 uint16_t *udp, uint16_t *tcp)
{
	*tcp = ln->tcp;
	if (ln->signed_once && ln->cur.has4) {
		memcpy(ip, ln->cur.ip4, 16);
		*udp = ln->cur.udp4;
		return true;
	}
	memset(ip, 0, 16);
	*udp = ln->udp;
	return false;
}
