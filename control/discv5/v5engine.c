/* SPDX-License-Identifier: MIT */
/* control/discv5/v5engine.c - discv5 engine: packets, sessions, handshakes. */
#include "control/discv5/discv5_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/ct.h"

#define NS_PER_S 1000000000ull

/* ---- small helpers ------------------------------------------------- */

void v5_epkey(uint8_t key[V5_EPKEY_LEN], const uint8_t id[DISCV5_NODE_ID_LEN],
	      const uint8_t ip[16], uint16_t port)
{
	memcpy(key, id, DISCV5_NODE_ID_LEN);
	memcpy(key + DISCV5_NODE_ID_LEN, ip, NETUTIL_ADDR_LEN);
	key[V5_EPKEY_LEN - 2] = (uint8_t)(port >> 8);
	key[V5_EPKEY_LEN - 1] = (uint8_t)port;
}

static const uint8_t *key_ip(const uint8_t key[V5_EPKEY_LEN])
{
	return key + DISCV5_NODE_ID_LEN;
}

static uint16_t key_port(const uint8_t key[V5_EPKEY_LEN])
{
	return (uint16_t)(key[V5_EPKEY_LEN - 2] << 8 | key[V5_EPKEY_LEN - 1]);
}

int v5_random(struct discv5 *d, uint8_t *buf, size_t len)
{
	int rc = d->cfg.random(d->cfg.random_user, buf, len);

	if (rc < 0) {
		d->st.random_errors++;
		return rc;
	}
	return 0;
}

bool v5_allowed(const struct discv5 *d, const uint8_t ip[16])
{
	return d->cfg.n_netrestrict == 0 ||
	       netutil_netlist_contains(d->netrestrict, d->cfg.n_netrestrict,
					ip);
}

void v5_seen_hook(struct discv5 *d, const struct discv5_node *n, uint64_t now)
{
	if (d->cfg.on_node_seen)
		d->cfg.on_node_seen(d->cfg.hook_user, n, now);
}

static int drop(struct discv5 *d, enum discv5_drop why, int err)
{
	d->st.drop[why]++;
	return err;
}

static void count_tx(struct discv5 *d, const uint8_t *pt)
{
	if (pt[0] >= DISCV5_MSG_PING && pt[0] <= DISCV5_MSG_TALKRESP)
		d->st.tx[pt[0]]++;
}

/* ---- session cache (geth v5wire/session.go: LRU of 1024) ------------ */

static void lru_unlink(struct discv5 *d, struct v5_sess *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		d->lru_head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		d->lru_tail = s->prev;
	s->prev = s->next = NULL;
}

static void lru_push(struct discv5 *d, struct v5_sess *s)
{
	s->prev = NULL;
	s->next = d->lru_head;
	if (d->lru_head)
		d->lru_head->prev = s;
	d->lru_head = s;
	if (!d->lru_tail)
		d->lru_tail = s;
}

static void sess_destroy(struct discv5 *d, struct v5_sess *s)
{
	v5map_del(&d->sess_map, s->key);
	lru_unlink(d, s);
	d->n_sess--;
	explicit_bzero(s, sizeof(*s));
	free(s);
}

struct v5_sess *v5_sess_find(struct discv5 *d, const uint8_t id[32],
			     const uint8_t ip[16], uint16_t port)
{
	uint8_t key[V5_EPKEY_LEN];
	struct v5_sess *s;

	v5_epkey(key, id, ip, port);
	s = v5map_get(&d->sess_map, key);
	if (s && s != d->lru_head) {            /* a use makes it recent */
		lru_unlink(d, s);
		lru_push(d, s);
	}
	return s;
}

/* sess_store() installs new keys for (id, ip, port), replacing an older
 * session there or evicting the least recently used one at the cap.
 * Returns the session or NULL (-ENOMEM). */
static struct v5_sess *sess_store(struct discv5 *d, const uint8_t id[32],
				  const uint8_t ip[16], uint16_t port,
				  const uint8_t wkey[DISCV5_KEY_LEN],
				  const uint8_t rkey[DISCV5_KEY_LEN],
				  const struct discv5_node *node)
{
	uint8_t key[V5_EPKEY_LEN];
	struct v5_sess *s;

	v5_epkey(key, id, ip, port);
	s = v5map_get(&d->sess_map, key);
	if (!s) {
		if (d->n_sess >= d->cfg.max_sessions && d->lru_tail) {
			sess_destroy(d, d->lru_tail);
			d->st.sessions_evicted++;
		}
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		memcpy(s->key, key, V5_EPKEY_LEN);
		if (v5map_put(&d->sess_map, s->key, s) < 0) {
			free(s);
			return NULL;
		}
		d->n_sess++;
	} else {
		lru_unlink(d, s);
	}
	lru_push(d, s);
	memcpy(s->wkey, wkey, DISCV5_KEY_LEN);
	memcpy(s->rkey, rkey, DISCV5_KEY_LEN);
	s->nonce_ctr = 0;
	if (node != &s->node)
		s->node = *node;
	return s;
}

/* ---- sending ------------------------------------------------------- */

/* discv5-theory.md, Session Cache: a 32-bit message counter and 64
 * random bits make each nonce unique under one key. */
static int next_nonce(struct discv5 *d, struct v5_sess *s,
		      uint8_t nonce[DISCV5_GCM_NONCE_LEN])
{
	s->nonce_ctr++;
	nonce[0] = (uint8_t)(s->nonce_ctr >> 24);
	nonce[1] = (uint8_t)(s->nonce_ctr >> 16);
	nonce[2] = (uint8_t)(s->nonce_ctr >> 8);
	nonce[3] = (uint8_t)s->nonce_ctr;
	return v5_random(d, nonce + 4, DISCV5_GCM_NONCE_LEN - 4);
}

int v5_send_message(struct discv5 *d, struct v5_sess *s, const uint8_t *pt,
		    size_t pt_len, uint8_t nonce_out[DISCV5_GCM_NONCE_LEN])
{
	uint8_t buf[DISCV5_PACKET_MAX], iv[DISCV5_MASKING_IV_LEN];
	uint8_t nonce[DISCV5_GCM_NONCE_LEN];
	ssize_t n;
	int rc;

	rc = next_nonce(d, s, nonce);
	if (rc == 0)
		rc = v5_random(d, iv, sizeof(iv));
	if (rc < 0)
		return rc;
	n = discv5_encode_message(buf, sizeof(buf), s->key, iv, nonce,
				  d->ln->id, s->wkey, pt, pt_len);
	if (n < 0) {
		d->st.encode_errors++;
		return (int)n;
	}
	if (nonce_out)
		memcpy(nonce_out, nonce, sizeof(nonce));
	count_tx(d, pt);
	d->cfg.send(d->cfg.send_user, key_ip(s->key), key_port(s->key), buf,
		    (size_t)n);
	return 0;
}

int v5_send_random(struct discv5 *d, const uint8_t id[32], const uint8_t ip[16],
		   uint16_t port, uint8_t nonce_out[DISCV5_GCM_NONCE_LEN])
{
	uint8_t buf[DISCV5_PACKET_MAX], iv[DISCV5_MASKING_IV_LEN];
	uint8_t junk[DISCV5_RANDOM_PACKET_LEN];
	ssize_t n;
	int rc;

	rc = v5_random(d, iv, sizeof(iv));
	if (rc == 0)
		rc = v5_random(d, nonce_out, DISCV5_GCM_NONCE_LEN);
	if (rc == 0)
		rc = v5_random(d, junk, sizeof(junk));
	if (rc < 0)
		return rc;
	n = discv5_encode_random(buf, sizeof(buf), id, iv, nonce_out,
				 d->ln->id, junk, sizeof(junk));
	if (n < 0) {
		d->st.encode_errors++;
		return (int)n;
	}
	d->st.tx_random++;
	d->cfg.send(d->cfg.send_user, ip, port, buf, (size_t)n);
	return 0;
}

int v5_respond(struct discv5 *d, const uint8_t id[32], const uint8_t ip[16],
	       uint16_t port, const struct discv5_msg *m)
{
	uint8_t pt[DISCV5_PACKET_MAX];
	struct v5_sess *s = v5_sess_find(d, id, ip, port);
	ssize_t n;

	if (!s) {
		/* geth would send junk that the remote answers with a
		 * WHOAREYOU nobody can use (#30592); we send nothing. */
		d->st.resp_no_session++;
		return -ENOTCONN;
	}
	n = discv5_msg_encode(pt, sizeof(pt), m);
	if (n < 0) {
		d->st.encode_errors++;
		return (int)n;
	}
	return v5_send_message(d, s, pt, (size_t)n, NULL);
}

/* ---- handshake, initiator side (geth encodeHandshakeHeader) -------- */

static bool pub_known(const uint8_t pub[SECP_PUB_LEN])
{
	for (int i = 0; i < SECP_PUB_LEN; i++)
		if (pub[i])
			return true;
	return false;
}

int v5_handshake_send(struct discv5 *d, struct v5_call *c,
		      const uint8_t challenge[DISCV5_CHALLENGE_LEN],
		      uint64_t enr_seq, uint8_t nonce_out[DISCV5_GCM_NONCE_LEN])
{
	uint8_t eph[SECP_PRIV_LEN], eph_pub[SECP_PUB_LEN];
	uint8_t buf[DISCV5_PACKET_MAX], iv[DISCV5_MASKING_IV_LEN];
	uint8_t rec[ENR_MAX_SIZE], nonce[DISCV5_GCM_NONCE_LEN];
	struct discv5_handshake_auth auth;
	struct discv5_keys k;
	struct v5_sess *s;
	ssize_t n;
	int rc, tries = 0;

	memset(&k, 0, sizeof(k));
	memset(&auth, 0, sizeof(auth));
	if (!pub_known(c->node.pub))
		return -ENOKEY;
	do {
		rc = v5_random(d, eph, sizeof(eph));
		if (rc < 0)
			goto out;
	} while (!secp_priv_check(eph) && ++tries < 8);
	rc = secp_pub_from_priv(eph_pub, eph);
	if (rc == 0)
		rc = secp_pub_compress(auth.eph_pub, eph_pub);
	if (rc < 0)
		goto out;
	/* discv5-theory.md, Handshake Steps, step 3. */
	rc = discv5_derive_keys(&k, eph, c->node.pub, d->ln->id, c->node.id,
				challenge);
	if (rc == 0)
		rc = discv5_id_sign(auth.id_sig, d->ln->priv, challenge,
				    auth.eph_pub, c->node.id);
	d->st.ec_ops += 3;              /* key generation, ECDH, signature */
	if (rc < 0)
		goto out;
	memcpy(auth.src_id, d->ln->id, DISCV5_NODE_ID_LEN);
	/* Our record goes along when the remote's copy is older. */
	if (enr_seq < localnode_seq(d->ln)) {
		const struct enr *r = localnode_record(d->ln);

		n = r ? enr_encode(rec, sizeof(rec), r) : -EINVAL;
		if (n > 0) {
			auth.record = rec;
			auth.record_len = (size_t)n;
		}
	}
	rc = v5_random(d, iv, sizeof(iv));
	if (rc < 0)
		goto out;
	/* geth stores the initiator's session as it sends the handshake. */
	s = sess_store(d, c->node.id, c->ip, c->port, k.initiator, k.recipient,
		       &c->node);
	if (!s) {
		rc = -ENOMEM;
		goto out;
	}
	rc = next_nonce(d, s, nonce);
	if (rc < 0)
		goto out;
	n = discv5_encode_handshake(buf, sizeof(buf), c->node.id, iv, nonce,
				    &auth, k.initiator, c->pt, c->pt_len);
	if (n < 0) {
		d->st.encode_errors++;
		sess_destroy(d, s);
		rc = (int)n;
		goto out;
	}
	memcpy(nonce_out, nonce, sizeof(nonce));
	d->st.hs_initiated++;
	count_tx(d, c->pt);
	d->cfg.send(d->cfg.send_user, c->ip, c->port, buf, (size_t)n);
out:
	explicit_bzero(eph, sizeof(eph));
	discv5_keys_wipe(&k);
	return rc;
}

/* ---- challenges (geth: handshakes map, GC'd after handshakeTimeout) -- */

static void chal_unlink(struct discv5 *d, struct v5_chal *ch)
{
	if (ch->prev)
		ch->prev->next = ch->next;
	else
		d->chal_head = ch->next;
	if (ch->next)
		ch->next->prev = ch->prev;
	else
		d->chal_tail = ch->prev;
}

static void chal_destroy(struct discv5 *d, struct v5_chal *ch)
{
	v5map_del(&d->chal_map, ch->key);
	chal_unlink(d, ch);
	free(ch);
}

/* A challenge lives until DISCV5_HANDSHAKE_TIMEOUT_NS after it was first
 * sent (resending does not extend it, as in geth). */
static void expire_challenges(struct discv5 *d, uint64_t now)
{
	while (d->chal_head &&
	       d->chal_head->sent + DISCV5_HANDSHAKE_TIMEOUT_NS < now) {
		chal_destroy(d, d->chal_head);
		d->st.challenges_expired++;
	}
}

/* known_node() is what we know of id's record: the session's node at this
 * endpoint, the table's record, or a pending call's node (geth GetNode). */
static const struct discv5_node *known_node(struct discv5 *d,
					    const uint8_t id[32],
					    const uint8_t ip[16], uint16_t port)
{
	uint8_t key[V5_EPKEY_LEN];
	const struct v5_sess *s;
	const struct discv5_node *n;
	const struct v5_peer *p;

	v5_epkey(key, id, ip, port);
	s = v5map_get(&d->sess_map, key);
	n = v5_rec_get(d, id);
	if (s && s->node.enr_len && (!n || n->seq <= s->node.seq))
		return &s->node;
	if (n)
		return n;
	if (s && pub_known(s->node.pub))
		return &s->node;
	p = v5map_get(&d->peers, id);
	if (p && p->active && p->active->node.enr_len)
		return &p->active->node;
	return NULL;
}

static int chal_encode(uint8_t pkt[DISCV5_CHALLENGE_LEN],
		       struct v5_chal *ch)
{
	ssize_t n = discv5_encode_whoareyou(pkt, DISCV5_CHALLENGE_LEN, ch->data,
					    ch->key, ch->iv, ch->nonce,
					    ch->id_nonce, ch->enr_seq);

	return n < 0 ? (int)n : 0;
}

/* send_whoareyou() answers a message packet we cannot decrypt (geth
 * handleUnknown). While a challenge to this endpoint is pending, that
 * same packet goes out again: re-encoding the stored fields (masking IV,
 * the first packet's nonce, id-nonce, enr-seq) reproduces it byte for
 * byte. */
static void send_whoareyou(struct discv5 *d, const struct discv5_header *h,
			   const uint8_t ip[16], uint16_t port, uint64_t now)
{
	uint8_t key[V5_EPKEY_LEN], pkt[DISCV5_CHALLENGE_LEN];
	const struct discv5_node *kn;
	struct v5_chal *ch;

	v5_epkey(key, h->src_id, ip, port);
	ch = v5map_get(&d->chal_map, key);
	if (ch) {
		if (chal_encode(pkt, ch) < 0) {
			d->st.encode_errors++;
			return;
		}
		d->st.tx_whoareyou_resent++;
		d->cfg.send(d->cfg.send_user, ip, port, pkt, sizeof(pkt));
		return;
	}
	if (v5map_len(&d->chal_map) >= d->cfg.max_challenges) {
		d->st.drop[DISCV5_DROP_CHALLENGE_FULL]++;
		return;
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return;
	memcpy(ch->key, key, sizeof(key));
	memcpy(ch->nonce, h->nonce, DISCV5_GCM_NONCE_LEN);
	kn = known_node(d, h->src_id, ip, port);
	ch->enr_seq = kn ? kn->seq : 0;
	ch->sent = now;
	if (v5_random(d, ch->iv, sizeof(ch->iv)) < 0 ||
	    v5_random(d, ch->id_nonce, sizeof(ch->id_nonce)) < 0) {
		free(ch);
		return;
	}
	if (chal_encode(pkt, ch) < 0) {
		d->st.encode_errors++;
		free(ch);
		return;
	}
	if (v5map_put(&d->chal_map, ch->key, ch) < 0) {
		free(ch);
		return;
	}
	ch->prev = d->chal_tail;
	if (d->chal_tail)
		d->chal_tail->next = ch;
	else
		d->chal_head = ch;
	d->chal_tail = ch;
	d->st.tx_whoareyou++;
	d->cfg.send(d->cfg.send_user, ip, port, pkt, sizeof(pkt));
}

/* ---- handshake EC budget ------------------------------------------- */

/* GCRA: an event is allowed when the theoretical arrival time is at most
 * (burst - 1) intervals ahead of now; each allowed event adds one
 * interval. */
static bool gcra_ok(uint64_t tat, uint64_t now, uint32_t rate, uint32_t burst)
{
	uint64_t iv;

	if (rate == UINT32_MAX)
		return true;
	iv = NS_PER_S / rate;
	return tat <= now || tat - now <= (uint64_t)(burst - 1) * iv;
}

static void gcra_take(uint64_t *tat, uint64_t now, uint32_t rate)
{
	if (rate == UINT32_MAX)
		return;
	*tat = (*tat > now ? *tat : now) + NS_PER_S / rate;
}

static bool ec_admit(struct discv5 *d, const uint8_t ip[16], uint16_t port,
		     uint64_t now)
{
	const struct discv5_config *c = &d->cfg;
	uint64_t *ip_tat = NULL;
	bool ok;

	if (c->hs_limit_lan || !netutil_is_lan(ip)) {
		/* IPv4 per address, IPv6 per /64. */
		size_t len = netutil_addr_is_v4(ip) ? 16 : 8;

		ip_tat = &d->hs_ip_tat[v5map_siphash(d->hs_k0, d->hs_k1, ip,
						     len) %
				       DISCV5_HS_IP_SLOTS];
	}
	ok = gcra_ok(d->hs_tat, now, c->hs_rate, c->hs_burst) &&
	     (!ip_tat || gcra_ok(*ip_tat, now, c->hs_ip_rate, c->hs_ip_burst));
	if (ok && c->admit)
		ok = c->admit(d->cfg.hook_user, ip, port, now);
	if (!ok) {
		if (c->on_refused)
			c->on_refused(d->cfg.hook_user, ip, port, now);
		return false;
	}
	gcra_take(&d->hs_tat, now, c->hs_rate);
	if (ip_tat)
		gcra_take(ip_tat, now, c->hs_ip_rate);
	return true;
}

/* ---- messages ------------------------------------------------------ */

static void handle_ping(struct discv5 *d, struct v5_sess *s,
			const uint8_t ip[16], uint16_t port,
			const struct discv5_msg *m, uint64_t now)
{
	struct discv5_msg r;

	memset(&r, 0, sizeof(r));
	r.type = DISCV5_MSG_PONG;
	r.req_id_len = m->req_id_len;
	memcpy(r.req_id, m->req_id, m->req_id_len);
	r.pong.enr_seq = localnode_seq(d->ln);
	/* The UDP envelope we saw, IPv4 as 4 bytes (geth handlePing). */
	if (netutil_addr_is_v4(ip)) {
		r.pong.ip_len = 4;
		memcpy(r.pong.ip, ip + 12, 4);
	} else {
		r.pong.ip_len = 16;
		memcpy(r.pong.ip, ip, 16);
	}
	r.pong.port = port;
	(void)v5_respond(d, s->node.id, ip, port, &r);
	v5_maybe_fetch_enr(d, &s->node, ip, port, m->ping.enr_seq,
			   now);
}

/* handle_msg() acts on an authenticated message from session s. s stays
 * valid throughout: sessions are only created or evicted by handshakes,
 * which callbacks cannot start from here. */
static int handle_msg(struct discv5 *d, struct v5_sess *s, const uint8_t ip[16],
		      uint16_t port, const uint8_t *pt, size_t pt_len,
		      uint64_t now)
{
	struct discv5_msg m;
	uint8_t id[DISCV5_NODE_ID_LEN];

	if (discv5_msg_decode(&m, pt, pt_len) < 0)
		return drop(d, DISCV5_DROP_BAD_MESSAGE, -EBADMSG);
	if (discv5_msg_is_topic(m.type))
		return drop(d, DISCV5_DROP_TOPIC, -EBADMSG);
	memcpy(id, s->node.id, sizeof(id));
	switch (m.type) {
	case DISCV5_MSG_PING:
		d->st.rx[m.type]++;
		handle_ping(d, s, ip, port, &m, now);
		return 0;
	case DISCV5_MSG_FINDNODE:
		d->st.rx[m.type]++;
		v5_serve_findnode(d, s, ip, port, &m, now);
		return 0;
	case DISCV5_MSG_TALKREQ:
		d->st.rx[m.type]++;
		v5_serve_talkreq(d, s, ip, port, &m, now);
		return 0;
	default:                        /* PONG, NODES, TALKRESP */
		return v5_on_response(d, id, ip, port, &m, now);
	}
}

static int on_message(struct discv5 *d, const struct discv5_header *h,
		      const uint8_t ip[16], uint16_t port, uint64_t now)
{
	uint8_t pt[DISCV5_PACKET_MAX];
	struct v5_sess *s;
	ssize_t n;
	int rc;

	s = v5_sess_find(d, h->src_id, ip, port);
	if (!s) {
		send_whoareyou(d, h, ip, port, now);
		return drop(d, DISCV5_DROP_NO_SESSION, -EKEYREJECTED);
	}
	n = discv5_open_message(pt, sizeof(pt), h, s->rkey);
	if (n == -EKEYREJECTED) {
		/* The remote lost or renewed its keys: handshake again. The
		 * old session stays until a new one replaces it. */
		send_whoareyou(d, h, ip, port, now);
		return drop(d, DISCV5_DROP_DECRYPT, -EKEYREJECTED);
	}
	if (n < 0)
		return drop(d, DISCV5_DROP_BAD_MESSAGE, -EBADMSG);
	rc = handle_msg(d, s, ip, port, pt, (size_t)n, now);
	explicit_bzero(pt, sizeof(pt));
	return rc;
}

/* on_handshake() is step 4 of discv5-theory.md's Handshake Steps (geth
 * decodeHandshakeMessage). The challenge is used up by the attempt,
 * whatever its outcome, so each WHOAREYOU buys at most one round of EC
 * work. */
static int on_handshake(struct discv5 *d, const struct discv5_header *h,
			const uint8_t ip[16], uint16_t port, uint64_t now)
{
	uint8_t key[V5_EPKEY_LEN], challenge[DISCV5_CHALLENGE_LEN];
	uint8_t eph[SECP_PUB_LEN], pt[DISCV5_PACKET_MAX];
	const struct discv5_node *kn;
	struct discv5_node node;
	struct discv5_keys k;
	struct discv5_msg m;
	struct v5_sess *s;
	struct v5_chal *ch;
	bool have = false;
	ssize_t n;
	int rc = -EBADMSG;

	v5_epkey(key, h->src_id, ip, port);
	ch = v5map_get(&d->chal_map, key);
	if (!ch)
		return drop(d, DISCV5_DROP_HS_UNEXPECTED, -EPROTO);
	memcpy(challenge, ch->data, sizeof(challenge));
	chal_destroy(d, ch);
	if (!ec_admit(d, ip, port, now))
		return drop(d, DISCV5_DROP_RATELIMIT, -EBUSY);

	memset(&k, 0, sizeof(k));
	kn = known_node(d, h->src_id, ip, port);
	if (kn) {
		node = *kn;
		have = true;
	}
	/* A record is taken when we have none or it is newer (geth
	 * decodeHandshakeRecord); it must verify and be the sender's. */
	if (h->record_len > 0) {
		struct discv5_node rec;

		if (v5_node_decode(&rec, h->raw + h->record_off, h->record_len,
				   false) < 0)
			goto bad;
		if (!have || node.seq < rec.seq) {
			d->st.ec_ops++;
			if (v5_node_decode(&rec, h->raw + h->record_off,
					   h->record_len, true) < 0 ||
			    memcmp(rec.id, h->src_id, DISCV5_NODE_ID_LEN) != 0)
				goto bad;
			node = rec;
			have = true;
		}
	}
	if (!have || !pub_known(node.pub) ||
	    memcmp(node.id, h->src_id, DISCV5_NODE_ID_LEN) != 0)
		goto bad;
	d->st.ec_ops++;
	if (discv5_id_verify(h->id_sig, node.pub, challenge, h->eph_pub,
			     d->ln->id) < 0)
		goto bad;
	if (secp_pub_decompress(eph, h->eph_pub) < 0)
		goto bad;
	d->st.ec_ops++;
	if (discv5_derive_keys(&k, d->ln->priv, eph, h->src_id, d->ln->id,
			       challenge) < 0)
		goto bad;
	n = discv5_open_message(pt, sizeof(pt), h, k.initiator);
	if (n < 0 || discv5_msg_decode(&m, pt, (size_t)n) < 0)
		goto bad;
	s = sess_store(d, h->src_id, ip, port, k.recipient, k.initiator, &node);
	discv5_keys_wipe(&k);
	if (!s) {
		rc = -ENOMEM;
		goto out;
	}
	d->st.hs_accepted++;
	/* geth addInboundNode: the handshake proved the key. */
	(void)v5_table_add(d, &node, KAD_ADD_INBOUND, now);
	v5_seen_hook(d, &node, now);
	s = v5_sess_find(d, h->src_id, ip, port);       /* hooks: re-find */
	rc = s ? handle_msg(d, s, ip, port, pt, (size_t)n, now) : -ENOMEM;
	goto out;
bad:
	rc = drop(d, DISCV5_DROP_HS_BAD, -EBADMSG);
out:
	discv5_keys_wipe(&k);
	explicit_bzero(pt, sizeof(pt));
	return rc;
}

int discv5_on_packet(struct discv5 *d, const uint8_t addr[16], uint16_t port,
		     const uint8_t *pkt, size_t len, uint64_t now)
{
	struct discv5_header h;
	int rc = 0;

	if (!v5_allowed(d, addr))
		return drop(d, DISCV5_DROP_NETRESTRICT, -EACCES);
	if (discv5_decode_header(&h, &d->mask, pkt, len) < 0)
		return drop(d, DISCV5_DROP_HEADER, -EBADMSG);
	/* geth: delete timed-out handshakes before decoding. */
	expire_challenges(d, now);
	switch (h.flag) {
	case DISCV5_FLAG_WHOAREYOU:
		d->st.rx_whoareyou++;
		v5_on_whoareyou(d, &h, addr, port, now, &rc);
		return rc;
	case DISCV5_FLAG_MESSAGE:
		if (memcmp(h.src_id, d->ln->id, DISCV5_NODE_ID_LEN) == 0)
			return drop(d, DISCV5_DROP_SELF, -EINVAL);
		return on_message(d, &h, addr, port, now);
	default:
		if (memcmp(h.src_id, d->ln->id, DISCV5_NODE_ID_LEN) == 0)
			return drop(d, DISCV5_DROP_SELF, -EINVAL);
		return on_handshake(d, &h, addr, port, now);
	}
}

/* ---- timers -------------------------------------------------------- */

void discv5_on_timer(struct discv5 *d, uint64_t now)
{
	expire_challenges(d, now);
	v5_calls_timeout(d, now);
	v5_talk_expire(d, now);
	v5_run_revalidation(d, now);
	v5_refresh_due(d, now);
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t discv5_next_deadline(const struct discv5 *d)
{
	uint64_t t = UINT64_MAX;

	if (d->chal_head)
		t = d->chal_head->sent + DISCV5_HANDSHAKE_TIMEOUT_NS + 1;
	if (d->t_head)
		t = min64(t, d->t_head->deadline);
	t = min64(t, v5_talk_deadline(d));
	t = min64(t, d->tab.reval[KAD_LIST_FAST].next_ns);
	t = min64(t, d->tab.reval[KAD_LIST_SLOW].next_ns);
	return min64(t, d->refresh_at);
}

/* ---- lifetime and accessors ---------------------------------------- */

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int discv5_new(struct discv5 **out, const struct discv5_config *cfg,
	       uint64_t now)
{
	uint8_t seed[16 * 6 + 8];
	struct discv5 *d;
	uint64_t kseed;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->ln || !cfg->send || !cfg->random)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	d->ln = cfg->ln;
	if (!d->cfg.max_sessions)
		d->cfg.max_sessions = DISCV5_SESSIONS_DEFAULT;
	if (!d->cfg.max_challenges)
		d->cfg.max_challenges = DISCV5_CHALLENGES_DEFAULT;
	if (!d->cfg.max_calls)
		d->cfg.max_calls = DISCV5_CALLS_DEFAULT;
	if (!d->cfg.hs_ip_rate)
		d->cfg.hs_ip_rate = DISCV5_HS_IP_RATE;
	if (!d->cfg.hs_ip_burst)
		d->cfg.hs_ip_burst = DISCV5_HS_IP_BURST;
	if (!d->cfg.hs_rate)
		d->cfg.hs_rate = DISCV5_HS_RATE;
	if (!d->cfg.hs_burst)
		d->cfg.hs_burst = DISCV5_HS_BURST;
	d->resp_timeout = cfg->resp_timeout_ns ? cfg->resp_timeout_ns
					       : DISCV5_RESP_TIMEOUT_NS;
	rc = v5_random(d, seed, sizeof(seed));
	if (rc < 0)
		goto fail;
	if (v5map_init(&d->sess_map, V5_EPKEY_LEN, seed) < 0 ||
	    v5map_init(&d->chal_map, V5_EPKEY_LEN, seed + 16) < 0 ||
	    v5map_init(&d->peers, DISCV5_NODE_ID_LEN, seed + 32) < 0 ||
	    v5map_init(&d->nonces, DISCV5_GCM_NONCE_LEN, seed + 48) < 0 ||
	    v5map_init(&d->recs, DISCV5_NODE_ID_LEN, seed + 64) < 0) {
		rc = -EINVAL;
		goto fail;
	}
	d->hs_k0 = rd64(seed + 80);
	d->hs_k1 = rd64(seed + 88);
	kseed = cfg->seed ? cfg->seed : rd64(seed + 96);
	explicit_bzero(seed, sizeof(seed));
	rc = localnode_update(d->ln, now);
	if (rc < 0)
		goto fail;
	rc = discv5_mask_key_init(&d->mask, d->ln->id);
	if (rc < 0)
		goto fail;
	kad_table_init(&d->tab, d->ln->pub, kseed, cfg->ping_interval_ns);
	if (cfg->n_netrestrict) {
		d->netrestrict = calloc(cfg->n_netrestrict,
					sizeof(*d->netrestrict));
		if (!d->netrestrict) {
			rc = -ENOMEM;
			goto fail;
		}
		memcpy(d->netrestrict, cfg->netrestrict,
		       cfg->n_netrestrict * sizeof(*d->netrestrict));
	}
	d->cfg.netrestrict = NULL;
	d->refresh_at = cfg->no_refresh ? UINT64_MAX : now;
	d->small_retry = DISCV5_EMPTY_RETRY_NS;
	*out = d;
	return 0;
fail:
	explicit_bzero(seed, sizeof(seed));
	discv5_free(d);
	return rc;
}

void discv5_free(struct discv5 *d)
{
	if (!d)
		return;
	v5_calls_cancel_all(d);
	v5_lookups_cancel_all(d);
	while (d->lru_head)
		sess_destroy(d, d->lru_head);
	while (d->chal_head)
		chal_destroy(d, d->chal_head);
	v5_recs_free(d);
	v5_talk_free(d);
	v5map_fini(&d->sess_map);
	v5map_fini(&d->chal_map);
	v5map_fini(&d->peers);
	v5map_fini(&d->nonces);
	v5map_fini(&d->recs);
	kad_table_fini(&d->tab);
	free(d->boot);
	free(d->netrestrict);
	explicit_bzero(d, sizeof(*d));
	free(d);
}

bool discv5_has_session(const struct discv5 *d,
			const uint8_t id[DISCV5_NODE_ID_LEN],
			const uint8_t addr[16], uint16_t port)
{
	uint8_t key[V5_EPKEY_LEN];

	v5_epkey(key, id, addr, port);
	return v5map_get(&d->sess_map, key) != NULL;
}

const struct discv5_stats *discv5_stats(const struct discv5 *d)
{
	return &d->st;
}

size_t discv5_pending(const struct discv5 *d)
{
	return d->n_calls;
}

size_t discv5_sessions(const struct discv5 *d)
{
	return d->n_sess;
}

size_t discv5_challenges(const struct discv5 *d)
{
	return v5map_len(&d->chal_map);
}
