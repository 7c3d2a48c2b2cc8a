/* SPDX-License-Identifier: MIT */
/* tests/control/peers/test_sesshost.c - the sans-I/O RLPx session host on a fake clock: hosts wired back to back in memory, a fake dataplane, raw RLPx clients. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/rlp.h"
#include "common/secp.h"
#include "control/peers/sesshost.h"
#include "control/rlpx/rlpxconn.h"

#define MS  1000000ull
#define SEC 1000000000ull
#define T0  (1700000000ull * SEC)

#define MAX_SIDES 6
#define MAX_LINKS 16
#define PIPE_CAP  (128u << 10)
#define DPQ_CAP   64
#define N_KINDS   (SESSHOST_EV_MSG + 1)

static uint64_t now;

/* ---- the network: sides, links, a fake dataplane --------------------------
 * A side is a session host (or a mute listener that never reads). A link
 * is one TCP connection: a pipe of bytes towards each end, and the
 * dataplane's messages towards each end once it handed the session over. */

struct side {
	struct sesshost *h;             /* NULL: a mute listener */
	uint8_t priv[32], pub[64];
	uint8_t ip[16];
	uint16_t port;                  /* listening (0: none) */
	bool hold_writes;               /* leave queued bytes unwritten */
	int handover_err;               /* what on_handover reports */
	bool dp_fail_send;              /* DP_SEND fails with -ENOBUFS */
	unsigned n[N_KINDS];            /* actions seen, by kind */
	uint8_t reason[N_KINDS];        /* last reason, by kind */
	bool remote_closed;             /* last EV_CLOSED: remote */
	bool inbound_added;             /* last PING_ADDED: inbound */
	struct p2p_hello hello;         /* last EV_HELLO */
	struct eth_status status;       /* last EV_STATUS */
	enum eth_err status_err;
	struct rlpxprobe_result probe[8];
	unsigned n_probe;
	uint32_t handover_flags;
	struct rlpx_frame frame;        /* copied at the last HANDOVER */
	int dial_err;                   /* last EV_DIAL_FAILED */
	unsigned msg_sent, msg_recv;    /* EV_MSG of the demo protocol */
	enum sesshost_kind log[256];    /* every action, in order */
	uint64_t log_conn[256];
	unsigned n_log;
};

struct dpmsg {
	bool close;
	uint64_t code;
	uint8_t data[1024];
	size_t len;
};

struct end {
	struct side *s;
	uint64_t conn;
	bool handed, closed;
	struct rlpxconn *raw;           /* a test-driven client instead */
};

struct pipe {
	uint8_t buf[PIPE_CAP];
	size_t len;
	bool fin;
};

struct link {
	struct end e[2];
	struct pipe p[2];               /* p[i]: bytes towards e[i] */
	struct dpmsg dq[2][DPQ_CAP];    /* dataplane messages towards e[i] */
	unsigned n_dq[2];
};

static struct side sides[MAX_SIDES];
static unsigned n_sides;
static struct link *links[MAX_LINKS];
static unsigned n_links;

static const struct forkid_chain *chain(void)
{
	return forkid_chain_by_name("sepolia");
}

static struct side *side_add(uint16_t port, bool mute,
			     const struct sesshost_cfg *tmpl)
{
	struct side *s = &sides[n_sides];
	struct sesshost_cfg cfg = { 0 };

	memset(s, 0, sizeof(*s));
	assert_int_equal(secp_priv_generate(s->priv), 0);
	assert_int_equal(secp_pub_from_priv(s->pub, s->priv), 0);
	s->ip[10] = s->ip[11] = 0xff;
	s->ip[12] = 127;
	s->ip[15] = (uint8_t)(n_sides + 1);
	s->port = port;
	if (!mute) {
		if (tmpl)
			cfg = *tmpl;
		cfg.priv = s->priv;
		cfg.chain = chain();
		cfg.listen_port = port;
		if (!cfg.max_peers && cfg.mode == SESSHOST_NODE)
			cfg.max_peers = 10;
		assert_int_equal(sesshost_new(&s->h, &cfg), 0);
		assert_memory_equal(sesshost_pub(s->h), s->pub, 64);
	}
	n_sides++;
	return s;
}

static struct side *listener(uint16_t port)
{
	for (unsigned i = 0; i < n_sides; i++)
		if (port && sides[i].port == port)
			return &sides[i];
	return NULL;
}

static struct link *link_new(void)
{
	struct link *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	assert_true(n_links < MAX_LINKS);
	links[n_links++] = l;
	return l;
}

static struct link *link_of(const struct side *s, uint64_t conn, int *idx)
{
	for (unsigned i = 0; i < n_links; i++)
		for (int k = 0; k < 2; k++)
			if (links[i]->e[k].s == s && links[i]->e[k].conn == conn &&
			    !links[i]->e[k].raw) {
				*idx = k;
				return links[i];
			}
	return NULL;
}

static void pipe_put(struct pipe *p, const uint8_t *b, size_t n)
{
	assert_true(p->len + n <= PIPE_CAP);
	if (n)
		memcpy(p->buf + p->len, b, n);
	p->len += n;
}

static void dq_put(struct link *l, int to, bool close, uint64_t code,
		   const uint8_t *data, size_t len)
{
	struct dpmsg *m;

	assert_true(l->n_dq[to] < DPQ_CAP);
	assert_true(len <= sizeof(m->data));
	m = &l->dq[to][l->n_dq[to]++];
	m->close = close;
	m->code = code;
	if (len)
		memcpy(m->data, data, len);
	m->len = len;
}

/* A DIAL: connect to whoever listens on the port. */
static void do_dial(struct side *s, const struct sesshost_action *a)
{
	struct side *t = listener(a->ep.port);
	struct sesshost_ep me = { .port = 50000 };
	struct link *l;
	int rc;

	if (!t) {
		sesshost_on_connected(s->h, a->conn, -ECONNREFUSED, NULL, now);
		return;
	}
	memcpy(me.ip, s->ip, 16);
	l = link_new();
	l->e[0].s = s;
	l->e[0].conn = a->conn;
	l->e[1].s = t;
	if (t->h) {
		rc = sesshost_on_accept(t->h, &l->e[1].conn, &me, NULL, now);
		if (rc) {               /* accepted by the kernel, closed */
			l->e[1].closed = true;
			l->p[0].fin = true;
		}
	}
	sesshost_on_connected(s->h, a->conn, 0, &me, now);
}

static void handle(struct side *s, const struct sesshost_action *a)
{
	struct link *l;
	int i = 0;

	s->n[a->kind]++;
	if (s->n_log < 256) {
		s->log[s->n_log] = a->kind;
		s->log_conn[s->n_log++] = a->conn;
	}
	switch (a->kind) {
	case SESSHOST_A_DIAL:
		do_dial(s, a);
		return;
	case SESSHOST_A_CLOSE:
		l = link_of(s, a->conn, &i);
		if (!l || l->e[i].closed)
			return;
		l->e[i].closed = true;
		if (l->e[!i].handed) {
			dq_put(l, !i, true, 0, NULL, 0);
			return;
		}
		pipe_put(&l->p[!i], a->data, a->len);
		l->p[!i].fin = true;
		return;
	case SESSHOST_A_HANDOVER:
		l = link_of(s, a->conn, &i);
		assert_non_null(l);
		/* Nothing of the stream may be left unread but what the
		 * dataplane owns: the pipe towards us is empty here. */
		assert_int_equal(l->p[i].len, 0);
		s->frame = *a->frame;
		s->handover_flags = a->flags;
		l->e[i].handed = !s->handover_err;
		if (s->handover_err) {
			l->e[i].closed = true;
			l->p[!i].fin = true;
		}
		sesshost_on_handover(s->h, a->conn, s->handover_err, now);
		return;
	case SESSHOST_A_DP_SEND:
		if (s->dp_fail_send) {
			sesshost_on_dp_failed(s->h, a->kind, a->conn, 0,
					      -ENOBUFS, now);
			return;
		}
		l = link_of(s, a->conn, &i);
		assert_non_null(l);
		assert_true(l->e[i].handed);
		if (!l->e[!i].closed)
			dq_put(l, !i, false, a->code, a->data, a->len);
		return;
	case SESSHOST_A_DP_CLOSE:
		l = link_of(s, a->conn, &i);
		assert_non_null(l);
		if (a->reason != MSG_RLPX_REASON_NONE && !l->e[!i].closed) {
			uint8_t p[8];
			ssize_t n = p2p_disconnect_encode(p, sizeof(p),
							  a->reason);

			dq_put(l, !i, false, P2P_MSG_DISCONNECT, p, (size_t)n);
		}
		dq_put(l, i, true, 0, NULL, 0);
		if (!l->e[!i].closed)
			dq_put(l, !i, true, 0, NULL, 0);
		return;
	case SESSHOST_EV_HELLO:
		s->hello = *a->hello;
		return;
	case SESSHOST_EV_STATUS:
		s->status = *a->status;
		s->status_err = a->status_err;
		return;
	case SESSHOST_EV_CLOSED:
		s->reason[a->kind] = a->reason;
		s->remote_closed = a->remote;
		return;
	case SESSHOST_EV_REFUSED:
		s->reason[a->kind] = a->reason;
		return;
	case SESSHOST_EV_PING_ADDED:
		s->inbound_added = a->inbound;
		return;
	case SESSHOST_EV_DIAL_FAILED:
		s->dial_err = a->err;
		return;
	case SESSHOST_EV_MSG:
		if (a->proto && !strcmp(a->proto->name, "demo")) {
			assert_int_equal(a->code, 1);
			assert_int_equal(a->len, 3);
			if (a->sent)
				s->msg_sent++;
			else
				s->msg_recv++;
		}
		return;
	case SESSHOST_EV_PROBE:
		assert_true(s->n_probe < 8);
		s->probe[s->n_probe++] = *a->probe;
		return;
	default:
		return;
	}
}

static void dp_deliver(struct link *l, int i)
{
	struct end *e = &l->e[i];
	uint8_t buf[sizeof(struct msg_rlpx_data) + 1024];

	for (unsigned k = 0; k < l->n_dq[i]; k++) {
		struct dpmsg *m = &l->dq[i][k];

		if (e->closed)
			break;
		if (m->close) {
			struct msg_rlpx_closed c = { .session_id = e->conn };

			e->closed = true;
			sesshost_on_dp_closed(e->s->h, &c, now);
		} else {
			struct msg_rlpx_data *d = (void *)buf;

			memset(d, 0, sizeof(*d));
			d->session_id = e->conn;
			d->msg_code = m->code;
			d->total_len = (uint32_t)m->len;
			d->data_len = (uint16_t)m->len;
			d->flags = MSG_RLPX_F_LAST;
			memcpy(d->data, m->data, m->len);
			assert_int_equal(sesshost_on_dp_rx(e->s->h, d, now), 0);
		}
	}
	l->n_dq[i] = 0;
}

static void drain(struct side *s)
{
	const struct sesshost_action *a;

	while ((a = sesshost_next_action(s->h)))
		handle(s, a);
}

/* Carries out every side's pending actions; true if there were any. */
static bool drain_all(void)
{
	bool any = false;

	for (unsigned i = 0; i < n_sides; i++) {
		const struct sesshost_action *a;

		while (sides[i].h && (a = sesshost_next_action(sides[i].h))) {
			handle(&sides[i], a);
			any = true;
		}
	}
	return any;
}

/* Moves bytes and messages until nothing happens. */
static void pump(void)
{
	bool again = true;

	for (int iter = 0; again; iter++) {
		assert_true(iter < 10000);
		again = drain_all();
		for (unsigned j = 0; j < n_links; j++) {
			struct link *l = links[j];

			for (int i = 0; i < 2; i++) {
				struct end *e = &l->e[i];
				struct pipe *p = &l->p[i];
				const uint8_t *out;
				size_t n;

				if (e->raw || !e->s->h || e->closed)
					continue;
				/* The host writes what it queued... */
				n = sesshost_out(e->s->h, e->conn, &out);
				if (n && !e->s->hold_writes && !e->handed &&
				    !l->e[!i].closed) {
					pipe_put(&l->p[!i], out, n);
					sesshost_out_done(e->s->h, e->conn, n,
							  now);
					again = true;
				}
				/* ...and reads what it is given. */
				if (p->len && !e->handed) {
					ssize_t c = sesshost_on_bytes(
						e->s->h, e->conn, p->buf,
						p->len, now);

					if (c > 0) {
						memmove(p->buf, p->buf + c,
							p->len - (size_t)c);
						p->len -= (size_t)c;
						again = true;
					}
				}
				if (p->fin && !p->len && !e->handed &&
				    !e->closed) {
					e->closed = true;
					sesshost_on_closed(e->s->h, e->conn,
							   -ECONNRESET, now);
					again = true;
				}
				/* EOF after the handover: the
				 * dataplane's to see. */
				if (p->fin && e->handed && !e->closed) {
					p->fin = false;
					dq_put(l, i, true, 0, NULL, 0);
				}
				if (e->handed && l->n_dq[i]) {
					dp_deliver(l, i);
					again = true;
				}
			}
		}
		again |= drain_all();
	}
}

/* Runs the hosts' timers up to now + ns. */
static void advance(uint64_t ns)
{
	uint64_t until = now + ns;

	pump();
	for (;;) {
		uint64_t next = UINT64_MAX;

		for (unsigned i = 0; i < n_sides; i++)
			if (sides[i].h &&
			    sesshost_next_deadline(sides[i].h) < next)
				next = sesshost_next_deadline(sides[i].h);
		if (next > until)
			break;
		if (next > now)
			now = next;
		for (unsigned i = 0; i < n_sides; i++)
			if (sides[i].h &&
			    sesshost_next_deadline(sides[i].h) <= now)
				sesshost_tick(sides[i].h, now);
		pump();
	}
	now = until;
	pump();
}

static struct sesshost_stats stats(const struct side *s)
{
	struct sesshost_stats st;

	sesshost_get_stats(s->h, &st);
	return st;
}

static int setup(void **state)
{
	(void)state;
	now = T0;
	n_sides = 0;
	n_links = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < n_sides; i++) {
		if (!sides[i].h)
			continue;
		sesshost_shutdown(sides[i].h, now);
		while (sesshost_next_action(sides[i].h))
			;
		sesshost_free(sides[i].h);
	}
	for (unsigned i = 0; i < n_links; i++)
		free(links[i]);
	return 0;
}

static void add_static(struct side *from, const struct side *to)
{
	assert_int_equal(sesshost_add_static(from->h, to->pub, to->ip,
					     to->port), 0);
}

/* ---- raw clients: one RLPx connection driven by the test ---------------- */

struct raw {
	struct rlpxconn rc;
	struct link *l;                 /* e[0] raw, e[1] the host */
	struct side *t;
	uint8_t priv[32];
	bool hs_done;
	uint64_t codes[8];              /* messages received */
	uint8_t payload[8][256];
	size_t plen[8];
	unsigned n_msgs;
};

/* Connects a raw client with key priv to side t. */
static int raw_connect(struct raw *r, struct side *t, const uint8_t priv[32])
{
	struct sesshost_ep me = { .port = 40000 };
	int rc;

	memset(r, 0, sizeof(*r));
	memcpy(r->priv, priv, 32);
	me.ip[10] = me.ip[11] = 0xff;
	me.ip[12] = 127;
	me.ip[15] = 99;
	r->t = t;
	r->l = link_new();
	r->l->e[0].raw = &r->rc;
	r->l->e[1].s = t;
	rc = sesshost_on_accept(t->h, &r->l->e[1].conn, &me, NULL, now);
	if (rc)
		r->l->e[1].closed = true;
	return rc;
}

/* Starts the handshake (auth queued). */
static void raw_dial(struct raw *r)
{
	assert_int_equal(rlpxconn_dial(&r->rc, r->priv, r->t->pub, 0, now), 0);
}

/* Moves the raw client's queued bytes to the host and the host's bytes
 * (everything, as they come) to the raw client. */
static void raw_pump(struct raw *r)
{
	struct pipe *in = &r->l->p[0];
	const uint8_t *out;
	size_t n;

	n = rlpxconn_out(&r->rc, &out);
	if (n) {
		pipe_put(&r->l->p[1], out, n);
		rlpxconn_out_done(&r->rc, n);
	}
	pump();
	while (in->len && r->rc.state != RLPXCONN_FAILED) {
		enum rlpxconn_event ev;
		struct rlpxconn_msg m;
		ssize_t c = rlpxconn_feed(&r->rc, &ev, &m, in->buf, in->len,
					  now);

		assert_true(c >= 0);
		memmove(in->buf, in->buf + c, in->len - (size_t)c);
		in->len -= (size_t)c;
		if (ev == RLPXCONN_EV_HANDSHAKE)
			r->hs_done = true;
		if (ev == RLPXCONN_EV_MSG && r->n_msgs < 8) {
			r->codes[r->n_msgs] = m.code;
			r->plen[r->n_msgs] = m.len < 256 ? m.len : 256;
			memcpy(r->payload[r->n_msgs], m.payload,
			       r->plen[r->n_msgs]);
			r->n_msgs++;
		}
	}
}

static void raw_free(struct raw *r)
{
	rlpxconn_fini(&r->rc);
}

/* Our Hello as a raw client: p2p 5, eth/68. */
static void raw_send_hello(struct raw *r)
{
	struct p2p_hello h = { .version = P2P_VERSION, .n_caps = 1 };
	uint8_t buf[512];
	ssize_t n;

	strcpy(h.client_id, "raw/test");
	h.client_id_len = 8;
	strcpy(h.caps[0].name, "eth");
	h.caps[0].version = ETH_VERSION_68;
	assert_int_equal(secp_pub_from_priv(h.id, r->priv), 0);
	n = p2p_hello_encode(buf, sizeof(buf), &h);
	assert_true(n > 0);
	assert_int_equal(rlpxconn_send(&r->rc, P2P_MSG_HELLO, buf, (size_t)n,
				       false), 0);
}

/* ---- tests ---------------------------------------------------------------- */

static bool hello_has(const struct p2p_hello *h, const char *name,
		      uint32_t version)
{
	for (size_t i = 0; i < h->n_caps; i++)
		if (!strcmp(h->caps[i].name, name) &&
		    h->caps[i].version == version)
			return true;
	return false;
}

/* B dials A (static), both reach Hello and hand over, then eth Status
 * and ping/1 run over the (fake) dataplane. */
static void test_sesshost_back_to_back_handover(void **state)
{
	struct side *a = side_add(30301, false, NULL);
	struct side *b = side_add(30302, false, NULL);
	struct sesshost_stats sa, sb;
	uint8_t plain[64], wire[128], back[128];
	size_t fsz;
	ssize_t n;

	(void)state;
	add_static(b, a);
	advance(10 * MS);
	for (int i = 0; i < 2; i++) {
		struct side *s = i ? b : a;
		struct side *o = i ? a : b;

		assert_int_equal(s->n[SESSHOST_A_HANDOVER], 1);
		assert_int_equal(s->n[SESSHOST_EV_PEER_ADDED], 1);
		assert_int_equal(s->n[SESSHOST_EV_HELLO], 1);
		assert_memory_equal(s->hello.id, o->pub, 64);
		assert_int_equal(s->hello.version, P2P_VERSION);
		assert_true(hello_has(&s->hello, "eth", 68));
		assert_true(hello_has(&s->hello, "eth", 69));
		assert_true(hello_has(&s->hello, "ping", 1));
		assert_int_equal(s->hello.listen_port, o->port);
		/* p2p 5 on both sides: the dataplane compresses. */
		assert_int_equal(s->handover_flags, MSG_RLPX_KEYS_F_SNAPPY);
		assert_int_equal(s->n[SESSHOST_EV_STATUS], 1);
		assert_int_equal(s->status_err, ETH_OK);
		assert_int_equal(s->status.version, ETH_VERSION_MAX);
		assert_true(hello_has(&s->hello, "eth", ETH_VERSION_MAX));
		assert_int_equal(s->n[SESSHOST_EV_PING_ADDED], 1);
		assert_int_equal(s->n[SESSHOST_EV_PING_PONG], 1);
		assert_int_equal(s->n[SESSHOST_EV_CLOSED], 0);
	}
	assert_true(a->inbound_added);
	assert_false(b->inbound_added);
	/* The frame states went over at the same point of the stream: what
	 * A's dataplane seals, B's opens. */
	memcpy(plain, "\x80hello", 6);
	n = rlpx_frame_seal(&a->frame, wire, sizeof(wire), plain, 6);
	assert_true(n > 0);
	assert_true(rlpx_frame_open_header(&b->frame, &fsz, wire) > 0);
	assert_int_equal(fsz, 6);
	assert_int_equal(rlpx_frame_open_body(&b->frame, back, sizeof(back),
					      wire + 32, (size_t)n - 32), 6);
	assert_memory_equal(back, plain, 6);
	sa = stats(a);
	sb = stats(b);
	assert_int_equal(sa.hs_ok, 1);
	assert_int_equal(sb.hs_ok, 1);
	assert_int_equal(sa.handovers, 1);
	assert_int_equal(sb.handovers, 1);
	assert_int_equal(sa.peers, 1);
	assert_int_equal(sa.inbound, 1);
	assert_int_equal(sb.dials, 1);
	assert_int_equal(sa.pending, 0);
	assert_int_equal(sa.wq_bytes, 0);
	assert_int_equal(sa.conns, 1);

	/* Keepalives run over the dataplane; 40 s later both are up. */
	advance(40 * SEC);
	assert_true(a->n[SESSHOST_EV_KEEPALIVE] >= 2);
	assert_true(b->n[SESSHOST_EV_KEEPALIVE_PONG] >= 2);
	assert_int_equal(a->n[SESSHOST_EV_CLOSED], 0);

	/* A drops B: Disconnect Requested over the dataplane; both see the
	 * peer closed, B with the remote's reason. */
	assert_int_equal(sesshost_remove_peer(a->h, b->pub, now), 0);
	advance(100 * MS);
	assert_int_equal(a->n[SESSHOST_EV_CLOSED], 1);
	assert_int_equal(a->reason[SESSHOST_EV_CLOSED], P2P_DISC_REQUESTED);
	assert_int_equal(b->n[SESSHOST_EV_CLOSED], 1);
	assert_int_equal(b->reason[SESSHOST_EV_CLOSED], P2P_DISC_REQUESTED);
	assert_true(b->remote_closed);
	assert_int_equal(stats(a).peers, 0);
	assert_int_equal(stats(a).conns, 0);
	/* A is B's static node: B dials it again (its last dial is past
	 * the dial history). */
	advance(2 * SEC);
	assert_int_equal(stats(a).peers, 1);
	assert_int_equal(b->n[SESSHOST_A_DIAL], 2);
}

/* An accepted connection that never sends its auth (or dribbles it) is
 * closed at the 5 s handshake deadline and its pending slot freed. */
static void test_sesshost_handshake_timeout(void **state)
{
	struct side *a = side_add(30301, false, NULL);
	struct raw r;
	struct sesshost_stats st;
	uint8_t pre[2] = { 0x01, 0x2c };    /* a 300-byte EIP-8 auth */

	(void)state;
	assert_int_equal(raw_connect(&r, a, a->priv), 0);
	assert_int_equal(stats(a).pending, 1);
	pipe_put(&r.l->p[1], pre, 2);
	for (int i = 0; i < 20; i++) {
		pipe_put(&r.l->p[1], (const uint8_t *)"\0", 1);
		advance(400 * MS);
		if (a->n[SESSHOST_A_CLOSE])
			break;
	}
	assert_int_equal(a->n[SESSHOST_A_CLOSE], 1);
	assert_true(now - T0 >= 5 * SEC);
	assert_true(now - T0 <= 5 * SEC + 400 * MS);
	assert_true(r.l->p[0].fin);
	st = stats(a);
	assert_int_equal(st.hs_timeout, 1);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.conns, 0);
	raw_free(&r);
}

/* Dials that fail: nobody listens, or the connect never completes. */
static void test_sesshost_dial_failure(void **state)
{
	struct side *b = side_add(30302, false, NULL);
	struct side *ghost = side_add(0, true, NULL);    /* not listening */
	struct side *mute = side_add(30309, true, NULL);
	uint8_t id[64];

	(void)state;
	memcpy(id, ghost->pub, 64);
	assert_int_equal(sesshost_add_static(b->h, id, ghost->ip, 30399), 0);
	advance(10 * MS);
	assert_int_equal(b->n[SESSHOST_A_DIAL], 1);
	/* No socket was opened: nothing to close. */
	assert_int_equal(b->n[SESSHOST_A_CLOSE], 0);
	assert_int_equal(stats(b).conns, 0);
	assert_int_equal(b->h->dl.st.failed, 1);

	/* Connected, but the mute peer never answers the auth: the
	 * handshake deadline ends it. */
	add_static(b, mute);
	advance(2 * SEC);
	assert_int_equal(b->n[SESSHOST_A_DIAL], 2);
	advance(5 * SEC);
	assert_int_equal(b->n[SESSHOST_A_CLOSE], 1);
	assert_int_equal(stats(b).hs_timeout, 1);
	assert_int_equal(stats(b).conns, 0);
	/* Neither is redialed within the dial history. */
	advance(20 * SEC);
	assert_int_equal(b->n[SESSHOST_A_DIAL], 2);
	assert_int_equal(stats(b).peers, 0);
}

/* A connect that never completes is dropped at the dial timeout. */
static void test_sesshost_connect_timeout(void **state)
{
	struct side *b = side_add(30302, false, NULL);
	const struct sesshost_action *a;
	uint8_t id[64], ip[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 };

	(void)state;
	memset(id, 0x42, sizeof(id));
	id[63] = 1;
	assert_int_equal(sesshost_add_static(b->h, id, ip, 30303), 0);
	sesshost_tick(b->h, now);
	a = sesshost_next_action(b->h);
	assert_non_null(a);
	assert_int_equal(a->kind, SESSHOST_A_DIAL);
	assert_memory_equal(a->id, id, 64);
	assert_memory_equal(a->ep.ip, ip, 16);
	assert_int_equal(a->ep.port, 30303);
	assert_int_equal(sesshost_interest(b->h, a->conn), SESSHOST_WANT_WRITE);
	/* The connect hangs: the host polls for writability; no call. */
	while (sesshost_next_deadline(b->h) <= now + DIAL_TIMEOUT_NS) {
		const struct sesshost_action *x;

		now = sesshost_next_deadline(b->h);
		sesshost_tick(b->h, now);
		while ((x = sesshost_next_action(b->h))) {
			if (x->kind == SESSHOST_A_CLOSE)
				b->n[SESSHOST_A_CLOSE]++;
			assert_int_not_equal(x->kind, SESSHOST_A_DIAL);
		}
		if (b->n[SESSHOST_A_CLOSE])
			break;
	}
	assert_int_equal(b->n[SESSHOST_A_CLOSE], 1);
	assert_int_equal(now, T0 + DIAL_TIMEOUT_NS);
	assert_int_equal(stats(b).conns, 0);
}

/* Admission: the server's refusals after the handshake (self, duplicate,
 * too many peers), each with a Disconnect before any Hello. */
static void test_sesshost_refuse_self_duplicate(void **state)
{
	struct side *a = side_add(30301, false, NULL);
	struct side *b = side_add(30302, false, NULL);
	struct raw r;
	uint8_t reason;

	(void)state;
	/* Our own key from outside: SELF. */
	assert_int_equal(raw_connect(&r, a, a->priv), 0);
	raw_dial(&r);
	raw_pump(&r);
	assert_true(r.hs_done);
	assert_int_equal(r.n_msgs, 1);
	assert_int_equal(r.codes[0], P2P_MSG_DISCONNECT);
	assert_true(p2p_disconnect_decode(&reason, r.payload[0],
					  r.plen[0]) > 0);
	assert_int_equal(reason, P2P_DISC_SELF);
	assert_int_equal(a->n[SESSHOST_EV_REFUSED], 1);
	assert_int_equal(a->reason[SESSHOST_EV_REFUSED], P2P_DISC_SELF);
	assert_true(r.l->p[0].fin);
	assert_int_equal(a->n[SESSHOST_EV_HELLO], 0);
	raw_free(&r);

	/* B connects properly; then B's key again: ALREADY_CONNECTED. */
	add_static(b, a);
	advance(10 * MS);
	assert_int_equal(stats(a).peers, 1);
	assert_int_equal(raw_connect(&r, a, b->priv), 0);
	raw_dial(&r);
	raw_pump(&r);
	assert_int_equal(r.n_msgs, 1);
	assert_true(p2p_disconnect_decode(&reason, r.payload[0],
					  r.plen[0]) > 0);
	assert_int_equal(reason, P2P_DISC_ALREADY_CONNECTED);
	assert_int_equal(stats(a).refused_dup, 1);
	assert_int_equal(stats(a).refused_self, 1);
	assert_int_equal(stats(a).peers, 1);
	assert_int_equal(stats(a).pending, 0);
	raw_free(&r);
}

static void test_sesshost_refuse_maxpeers(void **state)
{
	struct sesshost_cfg one = { .max_peers = 1 };
	struct side *a = side_add(30301, false, &one);
	struct side *b = side_add(30302, false, NULL);

	(void)state;
	/* maxpeers 1: the one slot is the dial share, none is inbound. */
	add_static(b, a);
	advance(10 * MS);
	assert_int_equal(a->n[SESSHOST_EV_REFUSED], 1);
	assert_int_equal(a->reason[SESSHOST_EV_REFUSED],
			 P2P_DISC_TOO_MANY_PEERS);
	assert_int_equal(stats(a).refused_too_many, 1);
	/* B got the Disconnect as the first frame, before any Hello. */
	assert_int_equal(b->n[SESSHOST_EV_HELLO], 0);
	assert_int_equal(b->n[SESSHOST_EV_CLOSED], 1);
	assert_int_equal(b->reason[SESSHOST_EV_CLOSED],
			 P2P_DISC_TOO_MANY_PEERS);
	assert_true(b->remote_closed);
	assert_int_equal(b->n[SESSHOST_A_HANDOVER], 0);
	assert_int_equal(stats(b).conns, 0);
	assert_int_equal(stats(a).conns, 0);
}

/* Admission before the handshake: the pending cap and netrestrict. */
static void test_sesshost_refuse_pending_netrestrict(void **state)
{
	struct netutil_prefix nr;
	struct sesshost_cfg c = { .max_pending = 2 };
	struct side *a, *n;
	struct sesshost_ep ep = { .port = 1 };
	uint64_t conn[3];

	(void)state;
	assert_int_equal(netutil_prefix_parse(&nr, "10.0.0.0/8", 10), 0);
	a = side_add(30301, false, &c);
	ep.ip[10] = ep.ip[11] = 0xff;
	ep.ip[12] = 127;
	ep.ip[15] = 7;
	assert_int_equal(sesshost_on_accept(a->h, &conn[0], &ep, NULL, now),
			 0);
	assert_int_equal(sesshost_on_accept(a->h, &conn[1], &ep, NULL, now),
			 0);
	assert_int_equal(sesshost_on_accept(a->h, &conn[2], &ep, NULL, now),
			 -ECONNREFUSED);
	assert_int_equal(stats(a).refused_pending, 1);
	assert_int_equal(stats(a).pending, 2);
	assert_int_equal(sesshost_interest(a->h, conn[0]), SESSHOST_WANT_READ);
	/* One ends (the remote closed): a slot is free again. */
	sesshost_on_closed(a->h, conn[0], -ECONNRESET, now);
	assert_int_equal(stats(a).pending, 1);
	assert_int_equal(sesshost_on_accept(a->h, &conn[2], &ep, NULL, now),
			 0);

	c.netrestrict = &nr;
	c.n_netrestrict = 1;
	c.max_pending = 0;
	n = side_add(30305, false, &c);
	assert_int_equal(sesshost_on_accept(n->h, &conn[0], &ep, NULL, now),
			 -ECONNREFUSED);
	assert_int_equal(stats(n).refused_netrestrict, 1);
	assert_int_equal(stats(n).conns, 0);
	/* Dialing outside the list is refused too. */
	assert_int_equal(sesshost_add_static(n->h, a->pub, a->ip, a->port),
			 -EPERM);
	ep.ip[12] = 10;
	assert_int_equal(sesshost_on_accept(n->h, &conn[0], &ep, NULL, now),
			 0);
}

/* Bytes that are not a handshake: counted and closed, never consumed
 * past the point of failure; then a MAC failure after the handshake. */
static void test_sesshost_malformed_handshake(void **state)
{
	struct side *a = side_add(30301, false, NULL);
	struct side *b = side_add(30302, false, NULL);
	uint8_t junk[1400];
	uint64_t conn;
	struct sesshost_ep ep = { .port = 1 };
	struct raw r;

	(void)state;
	ep.ip[10] = ep.ip[11] = 0xff;
	ep.ip[12] = 127;
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7 + 3);
	junk[0] = 0x01;                 /* EIP-8 prefix: 300 bytes */
	junk[1] = 0x2c;
	assert_int_equal(sesshost_on_accept(a->h, &conn, &ep, NULL, now), 0);
	/* The 302 bytes of the claimed auth fail as a whole: nothing is
	 * consumed, the connection is gone. */
	assert_int_equal(sesshost_on_bytes(a->h, conn, junk, sizeof(junk),
					   now), 0);
	assert_int_equal(stats(a).hs_fail, 1);
	assert_int_equal(stats(a).pending, 0);
	assert_int_equal(sesshost_next_action(a->h)->kind, SESSHOST_A_CLOSE);
	assert_null(sesshost_next_action(a->h));
	assert_int_equal(sesshost_on_bytes(a->h, conn, junk, 1, now),
			 -ENOENT);

	/* Junk starting with 0x04: tried as a legacy auth (307 bytes),
	 * then as an EIP-8 one of 0x04xx bytes. */
	junk[0] = 0x04;
	assert_int_equal(sesshost_on_accept(a->h, &conn, &ep, NULL, now), 0);
	assert_int_equal(sesshost_on_bytes(a->h, conn, junk, 300, now), 300);
	assert_int_equal(stats(a).hs_fail, 1);
	assert_int_equal(sesshost_on_bytes(a->h, conn, junk + 300,
					   sizeof(junk) - 300, now), 0);
	assert_int_equal(stats(a).hs_fail, 2);
	assert_int_equal(stats(a).conns, 0);

	/* A good handshake, then a frame with a broken MAC. */
	assert_int_equal(raw_connect(&r, b, a->priv), 0);
	raw_dial(&r);
	raw_pump(&r);
	assert_true(r.hs_done);
	assert_int_equal(r.codes[0], P2P_MSG_HELLO);
	raw_send_hello(&r);
	{
		const uint8_t *out;
		size_t n = rlpxconn_out(&r.rc, &out);
		uint8_t bad[512];

		memcpy(bad, out, n);
		bad[n - 1] ^= 1;        /* the frame-mac */
		pipe_put(&r.l->p[1], bad, n);
		rlpxconn_out_done(&r.rc, n);
	}
	pump();
	assert_int_equal(b->n[SESSHOST_A_CLOSE], 1);
	assert_int_equal(b->n[SESSHOST_A_HANDOVER], 0);
	assert_int_equal(b->n[SESSHOST_EV_CLOSED], 1);
	assert_int_equal(b->reason[SESSHOST_EV_CLOSED], P2P_DISC_NONE);
	assert_int_equal(stats(b).peers, 0);
	raw_free(&r);
}

/* The remote's first frame is a Disconnect instead of a Hello. */
static void test_sesshost_disconnect_before_hello(void **state)
{
	struct side *a = side_add(30301, false, NULL);
	uint8_t p[8], other[32];
	ssize_t n;
	struct raw r;

	(void)state;
	assert_int_equal(secp_priv_generate(other), 0);
	assert_int_equal(raw_connect(&r, a, other), 0);
	raw_dial(&r);
	raw_pump(&r);
	assert_true(r.hs_done);
	assert_int_equal(r.codes[0], P2P_MSG_HELLO);    /* theirs came */
	n = p2p_disconnect_encode(p, sizeof(p), P2P_DISC_TOO_MANY_PEERS);
	assert_int_equal(rlpxconn_send(&r.rc, P2P_MSG_DISCONNECT, p,
				       (size_t)n, false), 0);
	raw_pump(&r);
	assert_int_equal(a->n[SESSHOST_EV_HELLO], 0);
	assert_int_equal(a->n[SESSHOST_EV_CLOSED], 1);
	assert_int_equal(a->reason[SESSHOST_EV_CLOSED],
			 P2P_DISC_TOO_MANY_PEERS);
	assert_true(a->remote_closed);
	assert_int_equal(a->n[SESSHOST_A_CLOSE], 1);
	assert_int_equal(a->n[SESSHOST_A_HANDOVER], 0);
	assert_int_equal(stats(a).peers, 0);
	assert_int_equal(stats(a).conns, 0);
	raw_free(&r);
}

/* Probe mode: Status received, refused with a reason, nobody listening,
 * a mute peer (timeout), each reported once with the stage reached. */
static void test_sesshost_probe_reports(void **state)
{
	struct sesshost_cfg pc = { .mode = SESSHOST_PROBE };
	struct sesshost_cfg full = { .max_peers = 1 };
	struct side *p = side_add(0, false, &pc);
	struct side *a = side_add(30301, false, NULL);
	struct side *f = side_add(30302, false, &full);
	struct side *mute = side_add(30309, true, NULL);
	const struct rlpxprobe_result *r;
	uint8_t nobody[64];

	(void)state;
	assert_int_equal(sesshost_probe(p->h, a->pub, a->ip, 0, SEC, now),
			 -EINVAL);
	assert_int_equal(sesshost_probe(p->h, a->pub, a->ip, a->port,
					10 * SEC, now), 0);
	assert_int_equal(sesshost_probe(p->h, a->pub, a->ip, a->port,
					10 * SEC, now), -EEXIST);
	advance(100 * MS);
	/* Status in, Disconnect Requested out (A closes at once); reported
	 * when the session is gone. */
	assert_int_equal(p->n_probe, 1);
	r = &p->probe[0];
	assert_int_equal(r->err, 0);
	assert_int_equal(r->stage, RLPXPROBE_STATUS);
	assert_true(r->has_hello);
	assert_true(hello_has(&r->hello, "ping", 1));
	assert_true(r->has_status);
	assert_int_equal(r->status_err, ETH_OK);
	/* The highest version both have, and A's Status of it. */
	assert_int_equal(r->eth_version, ETH_VERSION_MAX);
	assert_int_equal(r->status.version, ETH_VERSION_MAX);
	assert_int_equal(r->disc_reason, P2P_DISC_REQUESTED);
	assert_false(r->disc_remote);
	assert_memory_equal(r->pub, a->pub, 64);
	assert_int_equal(r->tcp, a->port);
	assert_int_equal(r->started_ns, T0);
	assert_int_equal(a->n[SESSHOST_EV_CLOSED], 1);
	assert_int_equal(a->reason[SESSHOST_EV_CLOSED], P2P_DISC_REQUESTED);
	assert_true(a->remote_closed);
	/* Probes never print Status events: they are the result. */
	assert_int_equal(p->n[SESSHOST_EV_STATUS], 0);

	/* A full node: its Disconnect comes before any Hello. */
	assert_int_equal(sesshost_probe(p->h, f->pub, f->ip, f->port,
					10 * SEC, now), 0);
	advance(100 * MS);
	assert_int_equal(p->n_probe, 2);
	r = &p->probe[1];
	assert_int_equal(r->err, -ECONNABORTED);
	assert_int_equal(r->stage, RLPXPROBE_HELLO);
	assert_false(r->has_hello);
	assert_int_equal(r->eth_version, 0);
	assert_int_equal(r->disc_reason, P2P_DISC_TOO_MANY_PEERS);
	assert_true(r->disc_remote);

	/* Nobody listens: reported from inside the call chain at once. */
	memset(nobody, 0x33, sizeof(nobody));
	assert_int_equal(sesshost_probe(p->h, nobody, a->ip, 30398, 10 * SEC,
					now), 0);
	pump();
	assert_int_equal(p->n_probe, 3);
	r = &p->probe[2];
	assert_int_equal(r->err, -ECONNREFUSED);
	assert_int_equal(r->stage, RLPXPROBE_CONNECT);
	assert_int_equal(r->finished_ns, now);

	/* A mute peer: the probe's own timeout (2 s, under the 5 s
	 * handshake deadline). */
	assert_int_equal(sesshost_probe(p->h, mute->pub, mute->ip, mute->port,
					2 * SEC, now), 0);
	advance(1900 * MS);
	assert_int_equal(p->n_probe, 3);
	advance(200 * MS);
	assert_int_equal(p->n_probe, 4);
	r = &p->probe[3];
	assert_int_equal(r->err, -ETIMEDOUT);
	assert_int_equal(r->stage, RLPXPROBE_HANDSHAKE);
	assert_int_equal(r->finished_ns - r->started_ns, 2 * SEC);
	assert_int_equal(stats(p).probes, 0);
	assert_int_equal(stats(p).conns, 0);
	/* Probe hosts neither accept nor get dial slots. */
	assert_int_equal(sesshost_dial_free_slots(p->h), 0);
}

/* A probe whose session stays up past its timeout: asked to leave, then
 * closed by the dataplane. */
static void test_sesshost_probe_timeout_in_dataplane(void **state)
{
	struct sesshost_cfg pc = { .mode = SESSHOST_PROBE };
	struct side *p = side_add(0, false, &pc);
	struct side *a = side_add(30301, false, NULL);

	(void)state;
	/* A's Status never reaches the probe: A's dataplane sends fail. */
	a->dp_fail_send = true;
	assert_int_equal(sesshost_probe(p->h, a->pub, a->ip, a->port, SEC,
					now), 0);
	advance(100 * MS);
	assert_int_equal(p->n[SESSHOST_A_HANDOVER], 1);
	/* A gave up on its failed send (2 s grace), P timed out at 1 s and
	 * asked to leave: the report comes when the session ends. */
	advance(900 * MS);
	assert_int_equal(p->n_probe, 0);
	advance(3 * SEC);
	assert_int_equal(p->n_probe, 1);
	assert_int_equal(p->probe[0].err, -ETIMEDOUT);
	assert_int_equal(p->probe[0].stage, RLPXPROBE_STATUS);
	assert_true(p->probe[0].has_hello);
	assert_false(p->probe[0].has_status);
	/* Negotiated without a Status. */
	assert_int_equal(p->probe[0].eth_version, ETH_VERSION_MAX);
}

/* Write back-pressure: bytes the host cannot write pile up in the queues;
 * the per-connection and the global cap close what passes them. */
static void test_sesshost_write_caps(void **state)
{
	struct sesshost_cfg small = { .mode = SESSHOST_PROBE,
				      .wq_conn_max = 100 };
	struct sesshost_cfg total = { .mode = SESSHOST_PROBE,
				      .wq_total_max = 700 };
	struct side *p1 = side_add(0, false, &small);
	struct side *p2 = side_add(0, false, &total);
	struct side *m1 = side_add(30307, true, NULL);
	struct side *m2 = side_add(30308, true, NULL);
	struct side *m3 = side_add(30309, true, NULL);
	struct sesshost_stats st;

	(void)state;
	/* An auth does not fit 100 bytes. */
	assert_int_equal(sesshost_probe(p1->h, m1->pub, m1->ip, m1->port,
					SEC, now), 0);
	pump();
	assert_int_equal(p1->n_probe, 1);
	assert_int_equal(p1->probe[0].err, -ENOBUFS);
	assert_int_equal(stats(p1).wq_over_conn, 1);

	/* The global cap: writes stall (the socket is full); an auth is
	 * 384..584 bytes, so the second one passes 700 and that connection
	 * is closed. */
	p2->hold_writes = true;
	assert_int_equal(sesshost_probe(p2->h, m1->pub, m1->ip, m1->port,
					10 * SEC, now), 0);
	pump();
	st = stats(p2);
	assert_true(st.wq_bytes >= 384 && st.wq_bytes <= 584);
	assert_int_equal(p2->n[SESSHOST_A_WRITE], 1);
	assert_int_equal(p2->n_probe, 0);
	assert_int_equal(sesshost_probe(p2->h, m2->pub, m2->ip, m2->port,
					10 * SEC, now), 0);
	pump();
	st = stats(p2);
	assert_int_equal(st.wq_over_total, 1);
	assert_int_equal(p2->n_probe, 1);
	assert_int_equal(p2->probe[0].err, -ENOBUFS);
	assert_memory_equal(p2->probe[0].pub, m2->pub, 64);
	/* Its bytes were dropped, not written at close. */
	assert_int_equal(links[2]->p[1].len, 0);
	assert_true(st.wq_bytes <= 584);
	/* The socket drains: room again. */
	p2->hold_writes = false;
	pump();
	assert_int_equal(stats(p2).wq_bytes, 0);
	assert_int_equal(sesshost_probe(p2->h, m3->pub, m3->ip, m3->port,
					10 * SEC, now), 0);
	pump();
	assert_int_equal(stats(p2).wq_over_total, 1);
	assert_int_equal(p2->n_probe, 1);
}

/* The remote's Hello arrives while our own Hello is still queued: the
 * handover waits for the queue, and what p2p sends meanwhile (Status,
 * ping) follows the HANDOVER. */
static void test_sesshost_handover_waits_for_queue(void **state)
{
	struct side *a = side_add(30301, false, NULL);
	struct side *b = side_add(30302, false, NULL);
	struct link *l;
	unsigned hand = 0, first_send = 0;
	int i;

	(void)state;
	add_static(b, a);
	sesshost_tick(b->h, now);
	drain(b);                       /* DIAL: connected, auth queued */
	l = links[0];
	assert_int_equal(l->e[0].s, b);
	{
		const uint8_t *out;
		size_t n = sesshost_out(b->h, l->e[0].conn, &out);

		assert_true(n > 0);
		pipe_put(&l->p[1], out, n);
		sesshost_out_done(b->h, l->e[0].conn, n, now);
	}
	b->hold_writes = true;
	pump();
	/* B got A's ack and Hello but could not write its own Hello. */
	assert_int_equal(b->n[SESSHOST_EV_HELLO], 1);
	assert_int_equal(b->n[SESSHOST_A_HANDOVER], 0);
	assert_int_equal(link_of(b, l->e[0].conn, &i), l);
	assert_int_equal(sesshost_interest(b->h, l->e[0].conn),
			 SESSHOST_WANT_WRITE);
	b->hold_writes = false;
	pump();
	assert_int_equal(b->n[SESSHOST_A_HANDOVER], 1);
	for (unsigned k = 0; k < b->n_log; k++) {
		if (b->log[k] == SESSHOST_A_HANDOVER && !hand)
			hand = k + 1;
		if (b->log[k] == SESSHOST_A_DP_SEND && !first_send)
			first_send = k + 1;
	}
	assert_true(hand && first_send && hand < first_send);
	assert_int_equal(a->n[SESSHOST_EV_STATUS], 1);
	assert_int_equal(b->n[SESSHOST_EV_STATUS], 1);
	assert_int_equal(a->n[SESSHOST_EV_PING_PONG], 1);
}

/* A handover the dataplane refuses ends the session; a dataplane send
 * that fails disconnects the peer. Malformed dataplane fragments are
 * counted and dropped. */
static void test_sesshost_dataplane_errors(void **state)
{
	struct side *a = side_add(30301, false, NULL);
	struct side *b = side_add(30302, false, NULL);
	uint8_t buf[sizeof(struct msg_rlpx_data) + 8];
	struct msg_rlpx_data *d = (void *)buf;
	int i;

	(void)state;
	b->handover_err = -ENOBUFS;
	add_static(b, a);
	advance(10 * MS);
	assert_int_equal(stats(b).handover_fail, 1);
	assert_int_equal(stats(b).conns, 0);
	assert_int_equal(b->n[SESSHOST_EV_CLOSED], 1);
	assert_int_equal(b->n[SESSHOST_EV_STATUS], 0);
	/* A handed over and saw the socket close. */
	assert_int_equal(a->n[SESSHOST_EV_CLOSED], 1);

	memset(buf, 0, sizeof(buf));
	d->session_id = 12345;
	assert_int_equal(sesshost_on_dp_rx(a->h, d, now), -ENOENT);
	b->handover_err = 0;
	advance(40 * SEC);              /* past B's dial history */
	assert_int_equal(stats(a).peers, 1);
	assert_non_null(link_of(a, links[1]->e[1].conn, &i));
	d->session_id = links[1]->e[1].conn;
	d->total_len = 4;
	d->frag_off = 2;
	d->data_len = 4;
	assert_int_equal(sesshost_on_dp_rx(a->h, d, now), -EBADMSG);
	d->frag_off = 0;
	d->total_len = SESSHOST_RX_MSG_MAX + 1;
	assert_int_equal(sesshost_on_dp_rx(a->h, d, now), -EBADMSG);
	/* A length past the slot (changed after msg_check() ran). */
	d->total_len = 60000;
	d->data_len = MSG_RLPX_FRAG_MAX + 1;
	assert_int_equal(sesshost_on_dp_rx(a->h, d, now), -EBADMSG);
	assert_int_equal(stats(a).dp_rx_bad, 3);

	/* A's sends fail from now on: its next keepalive disconnects. */
	a->dp_fail_send = true;
	advance(20 * SEC);
	assert_int_equal(a->n[SESSHOST_EV_CLOSED], 2);
	assert_int_equal(a->reason[SESSHOST_EV_CLOSED],
			 P2P_DISC_NETWORK_ERROR);
}

/* Shutdown: sessions in the dataplane are closed with Quitting, sockets
 * in the control phase closed, probes dropped unreported, no events. */
static void test_sesshost_shutdown(void **state)
{
	struct side *a = side_add(30301, false, NULL);
	struct side *b = side_add(30302, false, NULL);
	const struct sesshost_action *x;
	struct raw r;
	unsigned dp_close = 0, close = 0, other = 0;

	(void)state;
	add_static(b, a);
	advance(10 * MS);
	assert_int_equal(stats(a).peers, 1);
	assert_int_equal(raw_connect(&r, a, b->priv), 0);    /* pending */
	sesshost_shutdown(a->h, now);
	while ((x = sesshost_next_action(a->h))) {
		if (x->kind == SESSHOST_A_DP_CLOSE) {
			assert_int_equal(x->reason, P2P_DISC_QUITTING);
			dp_close++;
		} else if (x->kind == SESSHOST_A_CLOSE) {
			assert_int_equal(x->conn, r.l->e[1].conn);
			close++;
		} else {
			other++;
		}
	}
	assert_int_equal(dp_close, 1);
	assert_int_equal(close, 1);
	assert_int_equal(other, 0);
	assert_int_equal(stats(a).conns, 0);
	assert_int_equal(stats(a).pending, 0);
	raw_free(&r);
}

/* ---- external protocols, one-shot dials, message events -------------- */

static unsigned demo_added, demo_msgs;

static int demo_on_added(const struct p2p_proto *proto, struct p2p_peer *peer,
			 uint64_t now_ns)
{
	static const uint8_t hi[3] = { 0x82, 'h', 'i' };

	(void)now_ns;
	demo_added++;
	assert_int_equal(p2p_send(p2p_peer_host(peer), peer, proto, 1, hi,
				  sizeof(hi)), 0);
	return 0;
}

static int demo_on_msg(const struct p2p_proto *proto, struct p2p_peer *peer,
		       uint64_t code, const uint8_t *payload, size_t len,
		       uint64_t now_ns)
{
	(void)proto;
	(void)peer;
	(void)now_ns;
	assert_int_equal(code, 1);
	assert_int_equal(len, 3);
	assert_memory_equal(payload, "\x82hi", 3);
	demo_msgs++;
	return 0;
}

static const struct p2p_proto demo = {
	.name = "demo", .version = 1, .length = 2,
	.on_peer_added = demo_on_added, .on_msg = demo_on_msg,
};

/* The owner registers the protocols (eth on one side only), B dials A
 * once with sesshost_dial(); message events for both directions; a dial
 * to nobody is reported. */
static void test_sesshost_external_protos_dial(void **state)
{
	struct sesshost_cfg tmpl = { .external_protos = true,
				     .msg_events = true };
	struct side *a = side_add(30301, false, &tmpl);
	struct side *b = side_add(30302, false, &tmpl);
	struct side *ghost = side_add(0, true, NULL);
	uint8_t bad_ip[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 };

	(void)state;
	demo_added = demo_msgs = 0;
	assert_false(sesshost_eth_registered(a->h));
	assert_int_equal(sesshost_register_eth(a->h), 0);
	assert_int_equal(sesshost_register_eth(a->h), -EEXIST);
	assert_true(sesshost_eth_registered(a->h));
	assert_int_equal(sesshost_register(a->h, &demo), 0);
	assert_int_equal(sesshost_register(b->h, &demo), 0);
	assert_int_equal(sesshost_dial(b->h, b->pub, a->ip, a->port, now),
			 -EINVAL);
	assert_int_equal(sesshost_dial(b->h, a->pub, a->ip, 0, now), -EINVAL);
	assert_int_equal(sesshost_dial(b->h, a->pub, a->ip, a->port, now), 0);
	assert_int_equal(sesshost_dial(b->h, a->pub, a->ip, a->port, now),
			 -EALREADY);
	assert_int_equal(sesshost_register(b->h, &demo), -EBUSY);
	advance(10 * MS);
	assert_int_equal(stats(a).peers, 1);
	assert_int_equal(stats(b).peers, 1);
	/* A's Hello: eth and demo; B's: demo only; they share demo. */
	assert_true(hello_has(&b->hello, "eth", ETH_VERSION_68));
	assert_true(hello_has(&b->hello, "demo", 1));
	assert_false(hello_has(&a->hello, "eth", ETH_VERSION_68));
	assert_int_equal(a->n[SESSHOST_EV_PING_ADDED], 0);
	assert_int_equal(demo_added, 2);
	assert_int_equal(demo_msgs, 2);
	assert_int_equal(a->msg_sent, 1);
	assert_int_equal(a->msg_recv, 1);
	assert_int_equal(b->msg_sent, 1);
	assert_int_equal(b->msg_recv, 1);
	assert_non_null(sesshost_find_peer(b->h, a->pub));
	assert_null(sesshost_find_peer(b->h, ghost->pub));
	assert_int_equal(sesshost_dial(b->h, a->pub, a->ip, a->port, now),
			 -EISCONN);
	/* Not redialed once gone: a one-shot dial is not static. */
	assert_int_equal(sesshost_remove_peer(b->h, a->pub, now), 0);
	advance(40 * SEC);
	assert_int_equal(stats(b).peers, 0);
	assert_int_equal(b->n[SESSHOST_A_DIAL], 1);
	assert_int_equal(b->n[SESSHOST_EV_DIAL_FAILED], 0);
	/* Nobody listens there. */
	assert_int_equal(sesshost_dial(b->h, ghost->pub, bad_ip, 30399, now),
			 0);
	advance(10 * MS);
	assert_int_equal(b->n[SESSHOST_EV_DIAL_FAILED], 1);
	assert_int_equal(b->dial_err, -ECONNREFUSED);
	/* Trusted set: out again. */
	assert_int_equal(sesshost_add_trusted(b->h, ghost->pub), 0);
	assert_int_equal(sesshost_remove_trusted(b->h, ghost->pub), 0);
	assert_int_equal(sesshost_remove_trusted(b->h, ghost->pub), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_sesshost_back_to_back_handover, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_handshake_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_dial_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_connect_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_refuse_self_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_refuse_maxpeers, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_refuse_pending_netrestrict, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_malformed_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_disconnect_before_hello, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_probe_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_probe_timeout_in_dataplane, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_write_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_handover_waits_for_queue, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_dataplane_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_shutdown, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sesshost_external_protos_dial, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
