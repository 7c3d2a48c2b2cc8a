/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_discv5_engine.c - the discv5 engine in-process: handshakes
 * per second per core (both sides on this core) next to their EC work alone,
 * and established-session messages opened per second next to raw AES-GCM. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv5_crypto.h"
#include "common/discv5_wire.h"
#include "common/enr.h"
#include "common/ipsecmb.h"
#include "common/secp.h"
#include "control/base/localnode.h"
#include "control/discv5/discv5.h"
#include "tests/bench/bench.h"

#define ROW_SECONDS 1.0
#define QLEN        16

/*
 * Two engines, A and B, and a packet queue between them; the loop delivers
 * until the queue is empty, so one discv5_ping() from A is one complete
 * exchange. For the handshake row A pings B at a new port each time: a
 * new (id, IP, port) has no session, so every PING is junk packet,
 * WHOAREYOU, handshake (with A's record, which B verifies: B's table is
 * not open to inbound nodes here) and PONG. Randomness is getrandom(2),
 * buffered as a host should (see rnd()).
 */

struct qpkt {
	int to;                         /* 0: A, 1: B */
	uint8_t src[16];
	uint16_t sport;
	uint16_t len;
	uint8_t data[DISCV5_PACKET_MAX];
};

struct side {
	struct localnode ln;
	struct discv5 *d;
	uint8_t ip[16];
	int idx;
};

static struct side sides[2];
static struct qpkt q[QLEN];
static unsigned qh, qn;
static uint16_t a_port = 10000, b_port = 20000;  /* as the other sees them */
static bool sink_mode;
static struct qpkt captured;
static bool capture;
static uint64_t now_ns = 1;
static unsigned pongs;
static volatile uint8_t vsink;

static void die(const char *what, long rc)
{
	fprintf(stderr, "bench_discv5_engine: %s failed (%ld)\n", what, rc);
	exit(1);
}

/* getrandom(2) in 4 KiB refills: one syscall costs about as much as
 * sealing a message here (1.8 us on this VM), and a nonce, an IV and a
 * request id are drawn per packet. */
static uint8_t rbuf[4096];
static size_t rleft;

static int rnd(void *user, uint8_t *buf, size_t len)
{
	(void)user;
	if (len > sizeof(rbuf))
		return secp_random(buf, len);
	if (len > rleft) {
		int rc = secp_random(rbuf, sizeof(rbuf));

		if (rc < 0)
			return rc;
		rleft = sizeof(rbuf);
	}
	memcpy(buf, rbuf + sizeof(rbuf) - rleft, len);
	explicit_bzero(rbuf + sizeof(rbuf) - rleft, len);
	rleft -= len;
	return 0;
}

static void send_cb(void *user, const uint8_t addr[16], uint16_t port,
		    const uint8_t *pkt, size_t len)
{
	struct side *s = user;
	struct qpkt *p;

	(void)addr;
	(void)port;
	if (sink_mode && !capture)
		return;
	p = capture ? &captured : &q[(qh + qn) % QLEN];
	if (!capture && qn == QLEN)
		die("queue", 0);
	p->to = 1 - s->idx;
	memcpy(p->src, s->ip, 16);
	p->sport = s->idx == 0 ? a_port : b_port;
	p->len = (uint16_t)len;
	memcpy(p->data, pkt, len);
	if (capture)
		capture = false;
	else
		qn++;
}

static void drain(void)
{
	while (qn) {
		struct qpkt *p = &q[qh];

		qh = (qh + 1) % QLEN;
		qn--;
		now_ns += 1000;
		(void)discv5_on_packet(sides[p->to].d, p->src, p->sport,
				       p->data, p->len, now_ns);
	}
}

static void ping_cb(void *arg, int err, const struct discv5_pong_info *p)
{
	(void)arg;
	(void)p;
	if (err)
		die("ping", err);
	pongs++;
}

static void setup(void)
{
	struct discv5_config c;
	uint8_t priv[32];

	for (int i = 0; i < 2; i++) {
		struct side *s = &sides[i];

		memset(s->ip, 0, 16);
		s->ip[10] = s->ip[11] = 0xff;
		s->ip[12] = 11;
		s->ip[15] = (uint8_t)(i + 1);
		s->idx = i;
		if (secp_priv_generate(priv) < 0 ||
		    localnode_init(&s->ln, priv, 0, 30303, 30303) < 0)
			die("localnode", 0);
		localnode_set_static_ip(&s->ln, s->ip);
		memset(&c, 0, sizeof(c));
		c.ln = &s->ln;
		c.send = send_cb;
		c.send_user = s;
		c.random = rnd;
		c.no_refresh = true;
		c.hs_ip_rate = c.hs_rate = UINT32_MAX;
		if (discv5_new(&s->d, &c, now_ns) < 0)
			die("discv5_new", 0);
	}
}

static struct discv5_node node_of(int i)
{
	struct discv5_node n = { 0 };
	uint8_t raw[ENR_MAX_SIZE];
	ssize_t len = enr_encode(raw, sizeof(raw),
				 localnode_record(&sides[i].ln));

	if (len < 0 || discv5_node_from_enr(&n, raw, (size_t)len) < 0)
		die("node", len);
	return n;
}

static double handshakes(double seconds, struct discv5_node *nb)
{
	double t0 = bench_now(), t;
	uint64_t n = 0;

	do {
		for (int i = 0; i < 16; i++) {
			/* A new endpoint on both sides: no session. */
			if (++a_port < 10000)
				a_port = 10000;
			if (++b_port < 20000)
				b_port = 20000;
			nb->udp = b_port;
			if (discv5_ping(sides[0].d, nb, now_ns, ping_cb, NULL))
				die("discv5_ping", 0);
			drain();
		}
		n += 16;
		t = bench_now() - t0;
	} while (t < seconds);
	if (pongs != n)
		die("pongs", (long)pongs);
	return (double)n / t;
}

/* The EC work of one handshake, alone: A's ephemeral key, ECDH and
 * id-signature; B's record check, id-signature check and ECDH. */
static uint8_t hs_chal[DISCV5_CHALLENGE_LEN], a_pub[64], b_pub[64];
static struct enr a_rec;

static void hs_crypto(void)
{
	uint8_t eph[32], eph_pub[64], eph33[33], sig[64];
	struct discv5_keys k;

	if (secp_priv_generate(eph) < 0 || secp_pub_from_priv(eph_pub, eph) ||
	    secp_pub_compress(eph33, eph_pub) ||
	    discv5_derive_keys(&k, eph, b_pub, sides[0].ln.id, sides[1].ln.id,
			       hs_chal) ||
	    discv5_id_sign(sig, sides[0].ln.priv, hs_chal, eph33,
			   sides[1].ln.id) ||
	    enr_verify(&a_rec) ||
	    discv5_id_verify(sig, a_pub, hs_chal, eph33, sides[1].ln.id) ||
	    discv5_derive_keys(&k, sides[1].ln.priv, eph_pub, sides[0].ln.id,
			       sides[1].ln.id, hs_chal))
		die("hs_crypto", 0);
	vsink ^= k.initiator[0];
	discv5_keys_wipe(&k);
}

static double rate(void (*op)(void), double seconds)
{
	double t0 = bench_now(), t;
	uint64_t n = 0;

	do {
		for (int i = 0; i < 64; i++)
			op();
		n += 64;
		t = bench_now() - t0;
	} while (t < seconds);
	return (double)n / t;
}

static struct qpkt replay;

static void op_replay(void)
{
	now_ns += 1000;
	(void)discv5_on_packet(sides[replay.to].d, replay.src, replay.sport,
			       replay.data, replay.len, now_ns);
}

static uint8_t g_key[16], g_nonce[12], g_pt[DISCV5_PACKET_MAX];
static uint8_t g_ct[DISCV5_PACKET_MAX], g_ad[DISCV5_PACKET_MAX];
static size_t g_len, g_adlen;

static void op_gcm_open(void)
{
	if (discv5_gcm_open(g_pt, sizeof(g_pt), g_key, g_nonce, g_ct,
			    g_len + DISCV5_GCM_TAG_LEN, g_ad, g_adlen) < 0)
		die("gcm_open", 0);
	vsink ^= g_pt[0];
}

void bench_discv5_engine(void)
{
	struct discv5_node nb;
	struct discv5_mask_key mk;
	struct discv5_header h;
	uint8_t raw[ENR_MAX_SIZE];
	char note[160];
	double r, ceil, ping_rate, open_rate, gcm;
	ssize_t len;

	setup();
	nb = node_of(1);

	r = handshakes(ROW_SECONDS, &nb);
	memcpy(hs_chal, nb.enr, sizeof(hs_chal));
	if (secp_pub_from_priv(a_pub, sides[0].ln.priv) ||
	    secp_pub_from_priv(b_pub, sides[1].ln.priv))
		die("pub", 0);
	len = enr_encode(raw, sizeof(raw), localnode_record(&sides[0].ln));
	if (len < 0 || enr_decode(&a_rec, raw, (size_t)len) < 0)
		die("record", len);
	ceil = rate(hs_crypto, ROW_SECONDS);
	snprintf(note, sizeof(note),
		 "%.0f us; EC work alone: %.0f/s (%.0f%% of it)", 1e6 / r, ceil,
		 100.0 * r / ceil);
	bench_report("v5 handshakes (both sides, 1 core)", r, 0, note);
	snprintf(note, sizeof(note),
		 "%.0f us; eph key, 2 ECDH, sign, 2 verify", 1e6 / ceil);
	bench_report("v5 handshake EC work alone", ceil, 0, note);

	/* A PING on the last session, replayed into B: open, decode, PONG
	 * sealed and sent (to nowhere). */
	sink_mode = true;
	capture = true;
	if (discv5_ping(sides[0].d, &nb, now_ns, ping_cb, NULL))
		die("ping", 0);
	if (capture)
		die("capture", 0);
	replay = captured;
	ping_rate = rate(op_replay, ROW_SECONDS);
	/* B's PONG replayed into A: opened, decoded, dropped as unsolicited
	 * (its call is over): what a received message costs alone. */
	capture = true;
	(void)discv5_on_packet(sides[1].d, replay.src, replay.sport,
			       replay.data, replay.len, now_ns);
	if (capture)
		die("capture", 0);
	(void)discv5_on_packet(sides[0].d, captured.src, captured.sport,
			       captured.data, captured.len, now_ns);
	replay = captured;
	open_rate = rate(op_replay, ROW_SECONDS);

	/* Raw AES-GCM on the same sizes: the PONG's message and header. */
	if (discv5_mask_key_init(&mk, sides[0].ln.id) < 0 ||
	    discv5_decode_header(&h, &mk, replay.data, replay.len) < 0)
		die("decode", 0);
	g_len = h.msg_len - DISCV5_GCM_TAG_LEN;
	g_adlen = h.hdr_len;
	memcpy(g_ad, h.raw, g_adlen);
	memset(g_key, 0x42, sizeof(g_key));
	memset(g_pt, 0x17, g_len);
	if (discv5_gcm_seal(g_ct, sizeof(g_ct), g_key, g_nonce, g_pt, g_len,
			    g_ad, g_adlen) < 0)
		die("seal", 0);
	gcm = rate(op_gcm_open, ROW_SECONDS);
	snprintf(note, sizeof(note), "%.0f ns; PONG of %zu B, no answer",
		 1e9 / open_rate, g_len);
	bench_report("v5 session messages opened", open_rate, 0, note);
	snprintf(note, sizeof(note), "%.0f ns; open + PONG sealed and sent",
		 1e9 / ping_rate);
	bench_report("v5 session PINGs answered", ping_rate, 0, note);
	snprintf(note, sizeof(note), "%.0f ns; %zu B + %zu B AD (ceiling)",
		 1e9 / gcm, g_len, g_adlen);
	bench_report("AES-128-GCM open, same sizes", gcm, 0, note);

	for (int i = 0; i < 2; i++) {
		discv5_free(sides[i].d);
		localnode_fini(&sides[i].ln);
	}
	ipsecmb_thread_fini();
}
