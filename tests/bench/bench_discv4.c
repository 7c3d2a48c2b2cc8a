/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_discv4.c - discv4 engine: per-packet cost as pending requests grow (issue 10: must stay flat). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/discv4/discv4.h"
#include "tests/bench/bench.h"

#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)

/* Process CPU seconds: the wall clock is noisy on a shared 2-core box. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void no_send(void *user, const uint8_t addr[16], uint16_t port,
		    const uint8_t *pkt, size_t len)
{
	(void)user;
	(void)addr;
	(void)port;
	(void)pkt;
	(void)len;
}

static void no_cb(void *arg, int err, uint64_t seq)
{
	(void)arg;
	(void)err;
	(void)seq;
}

static uint64_t rng = 1;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A fresh id at a fresh public address (what a spoofer sends). */
static void fresh(struct discv4_node *n)
{
	uint64_t r = rnd();

	memset(n, 0, sizeof(*n));
	for (int i = 0; i < 64; i += 8) {
		uint64_t v = rnd();

		memcpy(n->id + i, &v, 8);
	}
	memset(n->ep.ip + 10, 0xff, 2);
	n->ep.ip[12] = (uint8_t)(1 + r % 200);
	memcpy(n->ep.ip + 13, &r, 3);
	n->ep.ip_len = 4;
	n->ep.udp = (uint16_t)(1025 + (r >> 32) % 60000);
}

/* A packet from n as the dataplane hands it over (hash checked, sender
 * recovered into node_id; the signature itself is not looked at here). */
static struct msg_discv4_rx *rx_msg(const struct discv4_node *n,
				    const struct discv4_packet *p)
{
	static const uint8_t key[32] = { 9, 9, 9 };
	uint8_t buf[DISCV4_MAX_LEN];
	ssize_t len = discv4_encode(buf, sizeof(buf), key, p);
	struct msg_discv4_rx *m;

	if (len <= DISCV4_HEAD_LEN)
		abort();
	m = calloc(1, sizeof(*m) + (size_t)len);
	if (!m)
		abort();
	memcpy(m->src_addr, n->ep.ip, 16);
	m->src_port_be = (uint16_t)((n->ep.udp >> 8) | (n->ep.udp << 8));
	m->ptype = buf[DISCV4_HEAD_LEN];
	memcpy(m->node_id, n->id, 64);
	memcpy(m->hash, buf, DISCV4_HASH_LEN);
	m->data_len = (uint16_t)(len - DISCV4_HEAD_LEN - 1);
	memcpy(m->data, buf + DISCV4_HEAD_LEN + 1, m->data_len);
	return m;
}

#define BATCH 1000

/* ns per packet handled: BATCH Pings from fresh keys (each answered with
 * a Pong and pinged back: two signatures), or BATCH Pongs that match
 * nothing (no signature: only decoding and the pending lookup), with
 * `pending` of our own requests waiting for replies from others. */
static void row(struct discv4 *d, unsigned pending, bool ping)
{
	static uint64_t now = T0;
	struct msg_discv4_rx *m[BATCH];
	struct discv4_packet p;
	struct discv4_node n;
	char op[64], note[96];
	double t;

	now += 10 * SEC;
	discv4_on_timer(d, now);        /* the last row's requests time out */
	for (unsigned i = 0; i < pending; i++) {
		fresh(&n);
		if (discv4_ping(d, &n, now, no_cb, NULL) < 0)
			abort();
	}
	for (unsigned i = 0; i < BATCH; i++) {
		fresh(&n);
		memset(&p, 0, sizeof(p));
		if (ping) {
			p.type = DISCV4_PING;
			p.u.ping.version = 4;
			p.u.ping.from = n.ep;
			p.u.ping.to = n.ep;
			p.u.ping.expiration = now / SEC + 60;
		} else {
			p.type = DISCV4_PONG;
			p.u.pong.to = n.ep;
			memset(p.u.pong.ping_hash, 0xab, 32);
			p.u.pong.expiration = now / SEC + 60;
		}
		m[i] = rx_msg(&n, &p);
	}
	t = cpu_now();
	for (unsigned i = 0; i < BATCH; i++)
		(void)discv4_on_packet(d, m[i], now);
	t = cpu_now() - t;
	for (unsigned i = 0; i < BATCH; i++)
		free(m[i]);
	snprintf(op, sizeof(op), "%s, %u pending",
		 ping ? "Ping, fresh key" : "unsolicited Pong", pending);
	snprintf(note, sizeof(note), "%.2f us/packet (engine pending %zu)",
		 t / BATCH * 1e6, discv4_pending(d));
	bench_report(op, BATCH / t, 0, note);
}

void bench_discv4(void)
{
	static const unsigned sizes[] = { 0, 1000, 16000, 60000 };
	struct discv4_config c;
	struct localnode ln;
	struct discv4 *d;
	uint8_t priv[32];

	for (unsigned i = 0; i < sizeof(priv); i++)
		priv[i] = (uint8_t)(i + 1);
	if (localnode_init(&ln, priv, 0, 30303, 30303) < 0)
		abort();
	memset(&c, 0, sizeof(c));
	c.ln = &ln;
	c.send = no_send;
	c.no_refresh = true;
	c.seed = 42;
	if (discv4_new(&d, &c, T0) < 0)
		abort();
	bench_section("discv4 engine: per-packet cost vs pending requests "
		      "(flat = indexed)");
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		row(d, sizes[i], false);
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		row(d, sizes[i], true);
	discv4_free(d);
	localnode_fini(&ln);
}
