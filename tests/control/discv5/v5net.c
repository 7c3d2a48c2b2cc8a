/* SPDX-License-Identifier: MIT */
/* tests/control/discv5/v5net.c - in-process discv5 network on a fake clock. */
#include "tests/control/discv5/v5net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv5_crypto.h"
#include "common/enr.h"
#include "common/keccak.h"
#include "common/secp.h"

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int v5net_random(void *user, uint8_t *buf, size_t len)
{
	struct v5net_node *n = user;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t r = splitmix(&n->rng);
		size_t k = len - i < 8 ? len - i : 8;

		memcpy(buf + i, &r, k);
	}
	return 0;
}

void v5net_ip4(uint8_t out[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	out[12] = a;
	out[13] = b;
	out[14] = c;
	out[15] = d;
}

void v5net_init(struct v5net *net, uint64_t now_ns, uint64_t seed)
{
	memset(net, 0, sizeof(*net));
	net->now = now_ns;
	net->rng = seed;
	net->delay_ns = 1000000;        /* 1 ms */
}

static bool pkt_less(const struct v5net_pkt *a, const struct v5net_pkt *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_push(struct v5net *net, struct v5net_pkt *p)
{
	size_t i;

	if (net->nq == net->capq) {
		size_t cap = net->capq ? net->capq * 2 : 256;
		void *nq = realloc(net->q, cap * sizeof(*net->q));

		if (!nq) {
			free(p);
			return;
		}
		net->q = nq;
		net->capq = cap;
	}
	i = net->nq++;
	while (i > 0 && pkt_less(p, net->q[(i - 1) / 2])) {
		net->q[i] = net->q[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	net->q[i] = p;
}

static struct v5net_pkt *heap_pop(struct v5net *net)
{
	struct v5net_pkt *top = net->q[0], *last = net->q[--net->nq];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= net->nq)
			break;
		if (c + 1 < net->nq && pkt_less(net->q[c + 1], net->q[c]))
			c++;
		if (!pkt_less(net->q[c], last))
			break;
		net->q[i] = net->q[c];
		i = c;
	}
	if (net->nq)
		net->q[i] = last;
	return top;
}

static void enqueue(struct v5net *net, const uint8_t src[16], uint16_t sport,
		    const uint8_t dst[16], uint16_t dport, const uint8_t *pkt,
		    size_t len)
{
	struct v5net_pkt *p;

	if (len > DISCV5_PACKET_MAX)
		abort();                /* an engine sent an oversized packet */
	p = malloc(sizeof(*p));
	if (!p)
		return;
	p->at = net->now + net->delay_ns;
	p->seq = net->seq++;
	memcpy(p->src_ip, src, 16);
	p->src_port = sport;
	memcpy(p->dst_ip, dst, 16);
	p->dst_port = dport;
	p->len = (uint16_t)len;
	memcpy(p->data, pkt, len);
	net->sent++;
	if (net->tap)
		net->tap(net->tap_user, p);
	if ((net->loss_pct && splitmix(&net->rng) % 100 < net->loss_pct) ||
	    (net->drop_fn && net->drop_fn(net->drop_user, p))) {
		net->lost++;
		free(p);
		return;
	}
	heap_push(net, p);
}

static void send_cb(void *user, const uint8_t addr[16], uint16_t port,
		    const uint8_t *pkt, size_t len)
{
	struct v5net_node *n = user;

	enqueue(n->net, n->ip, n->port, addr, port, pkt, len);
}

void v5net_inject(struct v5net *net, const uint8_t src_ip[16],
		  uint16_t src_port, unsigned to, const uint8_t *pkt,
		  size_t len)
{
	enqueue(net, src_ip, src_port, net->nodes[to]->ip,
		net->nodes[to]->port, pkt, len);
}

static struct v5net_node *node_new(struct v5net *net, const uint8_t ip[16],
				   uint16_t port)
{
	struct v5net_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	if (net->n == net->cap) {
		unsigned cap = net->cap ? net->cap * 2 : 16;
		void *nn = realloc(net->nodes, cap * sizeof(*net->nodes));

		if (!nn) {
			free(n);
			return NULL;
		}
		net->nodes = nn;
		net->cap = cap;
	}
	n->net = net;
	n->idx = net->n;
	n->rng = net->rng ^ (0x5151ull * (net->n + 1));
	memcpy(n->ip, ip, 16);
	n->port = port;
	n->deadline = UINT64_MAX;
	do {
		v5net_random(n, n->priv, 32);
	} while (!secp_priv_check(n->priv));
	if (localnode_init(&n->ln, n->priv, 0, port, port) < 0) {
		free(n);
		return NULL;
	}
	localnode_set_static_ip(&n->ln, ip);
	if (localnode_update(&n->ln, net->now) < 0 ||
	    discv5_mask_key_init(&n->mask, n->ln.id) < 0) {
		localnode_fini(&n->ln);
		free(n);
		return NULL;
	}
	net->nodes[net->n++] = n;
	return n;
}

int v5net_add(struct v5net *net, const uint8_t ip[16], uint16_t port,
	      const struct discv5_config *tmpl)
{
	struct discv5_config cfg;
	struct v5net_node *n = node_new(net, ip, port);
	int rc;

	if (!n)
		return -ENOMEM;
	if (tmpl)
		cfg = *tmpl;
	else
		memset(&cfg, 0, sizeof(cfg));
	cfg.ln = &n->ln;
	cfg.send = send_cb;
	cfg.send_user = n;
	cfg.random = v5net_random;
	cfg.random_user = n;
	if (!cfg.seed)
		cfg.seed = n->rng;
	rc = discv5_new(&n->d, &cfg, net->now);
	if (rc < 0)
		return rc;
	v5net_touch(net, n->idx);
	return (int)n->idx;
}

int v5net_add_raw(struct v5net *net, const uint8_t ip[16], uint16_t port)
{
	struct v5net_node *n = node_new(net, ip, port);

	return n ? (int)n->idx : -ENOMEM;
}

struct discv5_node v5net_node(const struct v5net *net, unsigned i)
{
	struct discv5_node out;
	uint8_t raw[ENR_MAX_SIZE];
	ssize_t len = enr_encode(raw, sizeof(raw),
				 localnode_record(&net->nodes[i]->ln));

	memset(&out, 0, sizeof(out));
	if (len < 0 || discv5_node_from_enr(&out, raw, (size_t)len) < 0)
		abort();
	return out;
}

void v5net_touch(struct v5net *net, unsigned i)
{
	struct v5net_node *n = net->nodes[i];

	n->deadline = n->d ? discv5_next_deadline(n->d) : UINT64_MAX;
}

static void deliver(struct v5net *net, struct v5net_pkt *p)
{
	for (unsigned i = 0; i < net->n; i++) {
		struct v5net_node *n = net->nodes[i];

		if (n->port != p->dst_port || memcmp(n->ip, p->dst_ip, 16))
			continue;
		if (n->down)
			return;
		net->delivered++;
		if (n->d) {
			(void)discv5_on_packet(n->d, p->src_ip, p->src_port,
					       p->data, p->len, net->now);
			v5net_touch(net, i);
			return;
		}
		if (n->n_inbox == n->cap_inbox) {
			size_t cap = n->cap_inbox ? n->cap_inbox * 2 : 16;
			void *b = realloc(n->inbox, cap * sizeof(*n->inbox));

			if (!b)
				return;
			n->inbox = b;
			n->cap_inbox = cap;
		}
		n->inbox[n->n_inbox++] = *p;
		return;
	}
}

void v5net_run(struct v5net *net, uint64_t dur_ns)
{
	uint64_t end = net->now + dur_ns;

	for (unsigned i = 0; i < net->n; i++)
		v5net_touch(net, i);
	for (;;) {
		uint64_t tp = net->nq ? net->q[0]->at : UINT64_MAX;
		uint64_t tt = UINT64_MAX;
		unsigned who = 0;

		for (unsigned i = 0; i < net->n; i++)
			if (net->nodes[i]->deadline < tt) {
				tt = net->nodes[i]->deadline;
				who = i;
			}
		if (tp > end && tt > end)
			break;
		if (tp <= tt) {
			struct v5net_pkt *p = heap_pop(net);

			if (p->at > net->now)
				net->now = p->at;
			deliver(net, p);
			free(p);
		} else {
			if (tt > net->now)
				net->now = tt;
			discv5_on_timer(net->nodes[who]->d, net->now);
			v5net_touch(net, who);
			/* on_timer must consume everything due. */
			if (net->nodes[who]->deadline <= net->now)
				abort();
		}
	}
	net->now = end;
}

void v5net_fini(struct v5net *net)
{
	for (unsigned i = 0; i < net->n; i++) {
		struct v5net_node *n = net->nodes[i];

		discv5_free(n->d);
		localnode_fini(&n->ln);
		free(n->inbox);
		free(n);
	}
	while (net->nq)
		free(heap_pop(net));
	free(net->q);
	free(net->nodes);
	memset(net, 0, sizeof(*net));
}

/* ---- raw peers ------------------------------------------------------ */

bool v5net_raw_pop(struct v5net *net, unsigned i, struct v5net_pkt *out)
{
	struct v5net_node *n = net->nodes[i];

	if (n->n_inbox == 0)
		return false;
	*out = n->inbox[0];
	memmove(n->inbox, n->inbox + 1, (n->n_inbox - 1) * sizeof(*n->inbox));
	n->n_inbox--;
	return true;
}

void v5net_raw_clear(struct v5net *net, unsigned i)
{
	net->nodes[i]->n_inbox = 0;
}

int v5net_raw_decode(struct v5net *net, unsigned i, const struct v5net_pkt *p,
		     struct discv5_header *h)
{
	ssize_t n = discv5_decode_header(h, &net->nodes[i]->mask, p->data,
					 p->len);

	return n < 0 ? (int)n : 0;
}

static void send_raw(struct v5net *net, unsigned i, unsigned to,
		     const uint8_t *pkt, size_t len)
{
	struct v5net_node *n = net->nodes[i];

	enqueue(net, n->ip, n->port, net->nodes[to]->ip, net->nodes[to]->port,
		pkt, len);
}

int v5net_raw_random(struct v5net *net, unsigned i, unsigned to,
		     uint8_t nonce_out[DISCV5_GCM_NONCE_LEN])
{
	struct v5net_node *n = net->nodes[i];
	uint8_t buf[DISCV5_PACKET_MAX], iv[16], nonce[12], junk[20];
	ssize_t len;

	v5net_random(n, iv, sizeof(iv));
	v5net_random(n, nonce, sizeof(nonce));
	v5net_random(n, junk, sizeof(junk));
	len = discv5_encode_random(buf, sizeof(buf), net->nodes[to]->ln.id, iv,
				   nonce, n->ln.id, junk, sizeof(junk));
	if (len < 0)
		return (int)len;
	if (nonce_out)
		memcpy(nonce_out, nonce, sizeof(nonce));
	send_raw(net, i, to, buf, (size_t)len);
	return 0;
}

int v5net_raw_whoareyou(struct v5net *net, unsigned i, unsigned to,
			const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
			uint64_t enr_seq,
			uint8_t challenge[DISCV5_CHALLENGE_LEN])
{
	struct v5net_node *n = net->nodes[i];
	uint8_t pkt[DISCV5_CHALLENGE_LEN], iv[16], idn[16];
	ssize_t len;

	v5net_random(n, iv, sizeof(iv));
	v5net_random(n, idn, sizeof(idn));
	len = discv5_encode_whoareyou(pkt, sizeof(pkt), challenge,
				      net->nodes[to]->ln.id, iv, nonce, idn,
				      enr_seq);
	if (len < 0)
		return (int)len;
	send_raw(net, i, to, pkt, (size_t)len);
	return 0;
}

ssize_t v5net_raw_accept(struct v5net *net, unsigned i, unsigned to,
			 const struct discv5_header *h,
			 const uint8_t challenge[DISCV5_CHALLENGE_LEN],
			 uint8_t *pt, size_t cap)
{
	struct v5net_node *n = net->nodes[i];
	uint8_t eph[64];
	struct discv5_keys k;
	ssize_t len;
	int rc;

	if (h->flag != DISCV5_FLAG_HANDSHAKE)
		return -EPROTO;
	rc = discv5_id_verify(h->id_sig, net->nodes[to]->ln.pub, challenge,
			      h->eph_pub, n->ln.id);
	if (rc < 0)
		return rc;
	if (secp_pub_decompress(eph, h->eph_pub) < 0)
		return -EINVAL;
	rc = discv5_derive_keys(&k, n->priv, eph, h->src_id, n->ln.id,
				challenge);
	if (rc < 0)
		return rc;
	memcpy(n->rkey, k.initiator, 16);
	memcpy(n->wkey, k.recipient, 16);
	n->has_keys = true;
	n->ctr = 0;
	len = discv5_open_message(pt, cap, h, n->rkey);
	discv5_keys_wipe(&k);
	return len;
}

static void nonce_next(struct v5net_node *n, uint8_t nonce[12])
{
	n->ctr++;
	nonce[0] = (uint8_t)(n->ctr >> 24);
	nonce[1] = (uint8_t)(n->ctr >> 16);
	nonce[2] = (uint8_t)(n->ctr >> 8);
	nonce[3] = (uint8_t)n->ctr;
	v5net_random(n, nonce + 4, 8);
}

int v5net_raw_handshake(struct v5net *net, unsigned i, unsigned to,
			const struct discv5_header *who,
			const struct discv5_msg *m, bool with_record)
{
	struct v5net_node *n = net->nodes[i];
	uint8_t eph[32], eph_pub[64], pt[DISCV5_PACKET_MAX];
	uint8_t buf[DISCV5_PACKET_MAX], iv[16], nonce[12], rec[ENR_MAX_SIZE];
	struct discv5_handshake_auth auth;
	struct discv5_keys k;
	ssize_t len, ptl;
	int rc;

	if (who->flag != DISCV5_FLAG_WHOAREYOU)
		return -EPROTO;
	ptl = discv5_msg_encode(pt, sizeof(pt), m);
	if (ptl < 0)
		return (int)ptl;
	do {
		v5net_random(n, eph, 32);
	} while (!secp_priv_check(eph));
	memset(&auth, 0, sizeof(auth));
	memcpy(auth.src_id, n->ln.id, 32);
	if (secp_pub_from_priv(eph_pub, eph) < 0 ||
	    secp_pub_compress(auth.eph_pub, eph_pub) < 0)
		return -EINVAL;
	rc = discv5_derive_keys(&k, eph, net->nodes[to]->ln.pub, n->ln.id,
				net->nodes[to]->ln.id, who->raw);
	if (rc < 0)
		return rc;
	rc = discv5_id_sign(auth.id_sig, n->priv, who->raw, auth.eph_pub,
			    net->nodes[to]->ln.id);
	if (rc < 0)
		return rc;
	if (with_record) {
		len = enr_encode(rec, sizeof(rec), localnode_record(&n->ln));
		if (len < 0)
			return (int)len;
		auth.record = rec;
		auth.record_len = (size_t)len;
	}
	memcpy(n->wkey, k.initiator, 16);
	memcpy(n->rkey, k.recipient, 16);
	n->has_keys = true;
	n->ctr = 0;
	discv5_keys_wipe(&k);
	v5net_random(n, iv, sizeof(iv));
	nonce_next(n, nonce);
	len = discv5_encode_handshake(buf, sizeof(buf), net->nodes[to]->ln.id,
				      iv, nonce, &auth, n->wkey, pt,
				      (size_t)ptl);
	if (len < 0)
		return (int)len;
	send_raw(net, i, to, buf, (size_t)len);
	return 0;
}

int v5net_raw_connect(struct v5net *net, unsigned i, unsigned to,
		      const struct discv5_msg *m)
{
	struct discv5_header h;
	struct v5net_pkt p;
	int rc = v5net_raw_random(net, i, to, NULL);

	if (rc < 0)
		return rc;
	for (int t = 0; t < 100; t++) {
		v5net_run(net, 1000000);
		while (v5net_raw_pop(net, i, &p)) {
			if (v5net_raw_decode(net, i, &p, &h) < 0 ||
			    h.flag != DISCV5_FLAG_WHOAREYOU)
				continue;
			bool rec = h.enr_seq <
				   localnode_seq(&net->nodes[i]->ln);

			return v5net_raw_handshake(net, i, to, &h, m, rec);
		}
	}
	return -ETIMEDOUT;
}

int v5net_raw_send_pt(struct v5net *net, unsigned i, unsigned to,
		      const uint8_t *pt, size_t len)
{
	struct v5net_node *n = net->nodes[i];
	uint8_t buf[DISCV5_PACKET_MAX], iv[16], nonce[12];
	ssize_t l;

	if (!n->has_keys)
		return -ENOTCONN;
	v5net_random(n, iv, sizeof(iv));
	nonce_next(n, nonce);
	l = discv5_encode_message(buf, sizeof(buf), net->nodes[to]->ln.id, iv,
				  nonce, n->ln.id, n->wkey, pt, len);
	if (l < 0)
		return (int)l;
	send_raw(net, i, to, buf, (size_t)l);
	return 0;
}

int v5net_raw_send(struct v5net *net, unsigned i, unsigned to,
		   const struct discv5_msg *m)
{
	uint8_t pt[DISCV5_PACKET_MAX];
	ssize_t len = discv5_msg_encode(pt, sizeof(pt), m);

	if (len < 0)
		return (int)len;
	return v5net_raw_send_pt(net, i, to, pt, (size_t)len);
}

ssize_t v5net_raw_open(struct v5net *net, unsigned i,
		       const struct discv5_header *h, uint8_t *pt, size_t cap)
{
	struct v5net_node *n = net->nodes[i];

	if (!n->has_keys)
		return -ENOTCONN;
	return discv5_open_message(pt, cap, h, n->rkey);
}

int v5net_raw_next_msg(struct v5net *net, unsigned i, struct discv5_msg *m,
		       uint8_t *pt, size_t cap)
{
	struct discv5_header h;
	struct v5net_pkt p;
	ssize_t len;

	while (v5net_raw_pop(net, i, &p)) {
		if (v5net_raw_decode(net, i, &p, &h) < 0 ||
		    h.flag != DISCV5_FLAG_MESSAGE)
			continue;
		len = v5net_raw_open(net, i, &h, pt, cap);
		if (len < 0)
			continue;
		if (discv5_msg_decode(m, pt, (size_t)len) < 0)
			continue;
		return 1;
	}
	return 0;
}
