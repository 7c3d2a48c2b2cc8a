/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_dp.c - dataplane ingress stage: packets/s per core for
 * hash-only drops, the full recover path and replayed copies, next to the
 * raw secp256k1 recover rate measured in the same run; then discv5 junk
 * through the demux (discv4 first, discv5's static-header check after),
 * next to discv5_check_static() alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv4_wire.h"
#include "common/keccak.h"
#include "common/msg.h"
#include "common/secp.h"
#include "common/dplink_proto.h"
#include "dataplane/stage/disc_rx.h"
#include "dataplane/stage/discv4_rx.h"
#include "tests/bench/bench.h"
#include "tests/dataplane/stage/v5pkt.h"

#define NPKT 256                        /* distinct packets, to defeat the cache */
#define NOW_NS (1700000000ull * 1000000000ull)

static uint8_t pkts[NPKT][DISCV4_MAX_LEN];
static size_t lens[NPKT];
static _Alignas(64) uint8_t out[MSG_SLOT_SIZE];

static void make_pkts(void)
{
	uint8_t priv[32];

	for (unsigned i = 0; i < NPKT; i++) {
		struct discv4_packet p;
		ssize_t n;

		memset(priv, 0, sizeof(priv));
		priv[0] = 1;
		priv[31] = (uint8_t)(i + 1);
		memset(&p, 0, sizeof(p));
		p.type = DISCV4_PING;
		p.u.ping.version = 4;
		p.u.ping.from.ip_len = 4;
		p.u.ping.from.ip[10] = p.u.ping.from.ip[11] = 0xff;
		p.u.ping.from.ip[12] = 10;
		p.u.ping.from.ip[15] = (uint8_t)i;
		p.u.ping.from.udp = p.u.ping.from.tcp = 30303;
		p.u.ping.to = p.u.ping.from;
		p.u.ping.expiration = 1700000000ull + 3600;
		n = discv4_encode(pkts[i], DISCV4_MAX_LEN, priv, &p);
		if (n < 0)
			abort();
		lens[i] = (size_t)n;
	}
}

/* run() feeds the stage for about a second and returns packets/s;
 * *bad counts the packets that got another verdict, *total all. */
static double run(struct discv4_rx *s, enum discv4_rx_verdict want,
		  unsigned long *bad, unsigned long *total)
{
	static const uint8_t src[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
					 0xff, 10, 0, 0, 1 };
	double t0 = bench_now(), t;
	unsigned long n = 0;

	*bad = 0;
	do {
		for (unsigned i = 0; i < 64; i++, n++) {
			unsigned k = (unsigned)(n % NPKT);

			if (discv4_rx_process(s, pkts[k], lens[k], src, 1,
					      NOW_NS, NOW_NS,
					      (struct msg_discv4_rx *)out,
					      sizeof(out)) != want)
				(*bad)++;
		}
		t = bench_now();
	} while (t - t0 < 1.0);
	*total = n;
	return (double)n / (t - t0);
}

static const uint8_t v5id[32] = { 0xbe, 0x0c, [31] = 0x55 };

/* v5_run() feeds the demux packets p[0..NPKT) for about a second and
 * returns packets/s; *bad counts those whose first counter was not want
 * (or, with want2 below DP_CNT_MAX, whose second was not want2). */
static double v5_run(struct discv4_rx *s4, struct discv5_rx *s5,
		     uint8_t (*p)[DISCV4_MAX_LEN], const size_t *len,
		     unsigned want, unsigned want2, unsigned long *bad)
{
	static const uint8_t src[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0,
					 2 };
	double t0 = bench_now(), t;
	unsigned long n = 0;

	*bad = 0;
	do {
		for (unsigned i = 0; i < 64; i++, n++) {
			unsigned k = (unsigned)(n % NPKT);
			struct disc_rx_result r;

			r = disc_rx_process(s4, s5, p[k], len[k], src, 1, 0,
					    NOW_NS, NOW_NS, out, sizeof(out));
			if (r.cnt[0] != want ||
			    (want2 < DP_CNT_MAX && r.cnt[1] != want2))
				(*bad)++;
		}
		t = bench_now();
	} while (t - t0 < 1.0);
	return (double)n / (t - t0);
}

/* The discv5 rows: junk dropped per second and core by the demux, and the
 * ceiling, discv5_check_static() alone on the same bytes. */
static void bench_dp_v5(void)
{
	static uint8_t junk_s[NPKT][DISCV4_MAX_LEN], junk_l[NPKT][DISCV4_MAX_LEN];
	static uint8_t lie[NPKT][DISCV4_MAX_LEN], msg[NPKT][DISCV4_MAX_LEN];
	static size_t ls[NPKT], ll[NPKT], li[NPKT], lm[NPKT];
	struct discv4_rx *s4 = NULL;
	struct discv5_rx_keys *keys = NULL;
	struct discv5_rx *s5 = NULL;
	struct discv5_mask_key mk;
	struct discv5_static st;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	double ceil_junk, ceil_ok, r, t0, t;
	unsigned long n, bad;
	char note[96];

	/* No per-source budget: the cost of the checks alone. */
	if (discv4_rx_new(&s4, &(struct discv4_rx_cfg){ .cache_slots = 4096 }) ||
	    discv5_rx_keys_new(&keys, 1) || discv5_rx_keys_set(keys, 0, v5id) ||
	    discv5_rx_new(&s5, &(struct discv5_rx_cfg){ .keys = keys }) ||
	    discv5_mask_key_init(&mk, v5id))
		abort();
	for (unsigned i = 0; i < NPKT; i++) {
		ls[i] = 63 + i % 35;            /* 63..97: v4's size check */
		ll[i] = 98 + i % 200;           /* 98..297: v4's keccak */
		for (size_t b = 0; b < ll[i]; b++) {
			x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
			junk_s[i][b] = junk_l[i][b] =
				(uint8_t)(x * 2685821657736338717ull >> 56);
		}
		li[i] = v5pkt(lie[i], v5id, 2, 0, 32, 32, 40, (uint8_t)i);
		lm[i] = v5pkt_message(msg[i], v5id, (uint8_t)i);
	}
	n = 0;
	t0 = bench_now();
	do {
		for (unsigned i = 0; i < 64; i++, n++)
			if (discv5_check_static(&st, &mk, junk_l[n % NPKT],
						ll[n % NPKT]) != -ENOMSG)
				abort();
		t = bench_now();
	} while (t - t0 < 1.0);
	ceil_junk = (double)n / (t - t0);
	bench_report("discv5_check_static, junk (ceiling)", ceil_junk, 0,
		     "one AES block: protocol-id");
	n = 0;
	t0 = bench_now();
	do {
		for (unsigned i = 0; i < 64; i++, n++)
			if (discv5_check_static(&st, &mk, msg[n % NPKT],
						lm[n % NPKT]) < 0)
				abort();
		t = bench_now();
	} while (t - t0 < 1.0);
	ceil_ok = (double)n / (t - t0);
	bench_report("discv5_check_static, valid (ceiling)", ceil_ok, 0,
		     "two AES blocks");

	r = v5_run(s4, s5, junk_s, ls, DP_CNT_V5_DROP_PROTO, DP_CNT_DROP_SIZE,
		   &bad);
	snprintf(note, sizeof(note), "v4 size, v5 check: %.0f %% of ceiling%s",
		 100.0 * r / ceil_junk, bad ? " (VERDICT MISMATCH)" : "");
	bench_report("demux drop v5 junk 63..97 B", r, 0, note);
	r = v5_run(s4, s5, junk_l, ll, DP_CNT_V5_DROP_PROTO, DP_CNT_DROP_HASH,
		   &bad);
	snprintf(note, sizeof(note), "v4 keccak, v5 check: %.0f %% of "
		 "ceiling%s", 100.0 * r / ceil_junk,
		 bad ? " (VERDICT MISMATCH)" : "");
	bench_report("demux drop v5 junk 98..297 B", r, 0, note);
	r = v5_run(s4, s5, lie, li, DP_CNT_V5_DROP_VERSION, DP_CNT_MAX, &bad);
	snprintf(note, sizeof(note), "masked for us, version 2%s",
		 bad ? " (VERDICT MISMATCH)" : "");
	bench_report("demux drop v5 header lie", r, 0, note);
	r = v5_run(s4, s5, msg, lm, DP_CNT_V5_ACCEPTED, DP_CNT_MAX, &bad);
	snprintf(note, sizeof(note), "message packet to MSG_DISCV5_RX: %.0f %% "
		 "of ceiling%s", 100.0 * r / ceil_ok,
		 bad ? " (VERDICT MISMATCH)" : "");
	bench_report("demux accept v5 (91 B)", r, 0, note);
	discv5_rx_free(s5);
	discv5_rx_keys_free(keys);
	discv4_rx_free(s4);
}

void bench_dp(void)
{
	struct discv4_rx_cfg nocache = { 0 }, cache = { .cache_slots = 4096 };
	struct discv4_rx *s = NULL, *c = NULL;
	uint8_t pub[64], hash[32], note[96];
	double raw, full, drop, hit, t0, t;
	unsigned long n = 0, bad, all;

	bench_section("dp");
	make_pkts();
	if (discv4_rx_new(&s, &nocache) < 0 || discv4_rx_new(&c, &cache) < 0)
		abort();

	/* The ceiling: secp256k1 public key recovery alone. */
	keccak256(hash, pkts[0] + 97, lens[0] - 97);
	t0 = bench_now();
	do {
		for (unsigned i = 0; i < 64; i++, n++)
			if (secp_recover(pub, pkts[0] + 32, hash) < 0)
				abort();
		t = bench_now();
	} while (t - t0 < 1.0);
	raw = (double)n / (t - t0);
	bench_report("secp_recover (raw ceiling)", raw, 0, "one core");

	full = run(s, DISCV4_RX_ACCEPT, &bad, &all);
	snprintf((char *)note, sizeof(note), "%.1f %% of raw recover%s",
		 100.0 * full / raw, bad ? " (VERDICT MISMATCH)" : "");
	bench_report("ingress accept (full recover)", full, 0,
		     (const char *)note);

	for (unsigned i = 0; i < NPKT; i++)
		pkts[i][lens[i] - 1] ^= 1;
	drop = run(s, DISCV4_RX_DROP_HASH, &bad, &all);
	bench_report("ingress drop (bad hash)", drop, 0,
		     bad ? "VERDICT MISMATCH" : "one keccak per packet");
	for (unsigned i = 0; i < NPKT; i++)
		pkts[i][lens[i] - 1] ^= 1;

	/* Warm the cache, then send every packet again and again: past
	 * DISCV4_RX_DUP_MAX copies from its source a packet is a replay
	 * (discv4_rx.h) and is dropped on one cache lookup, before any
	 * keccak or recovery (the first DUP_MAX - 1 copies of each are
	 * accepted from the cache: a rounding error over a second). */
	(void)run(c, DISCV4_RX_ACCEPT, &bad, &all);
	hit = run(c, DISCV4_RX_DROP_REPLAY, &bad, &all);
	/* 256 packets in 2048 two-way sets: a set that draws three
	 * thrashes, so a few copies miss the cache and are checked in full. */
	snprintf((char *)note, sizeof(note),
		 "%.0fx the recover path, %.1f %% caught in the cache",
		 hit / full, 100.0 * (double)(all - bad) / (double)all);
	bench_report("ingress drop (replay, hash cache)", hit, 0,
		     (const char *)note);
	discv4_rx_free(s);
	discv4_rx_free(c);
	bench_dp_v5();
}
