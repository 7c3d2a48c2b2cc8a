/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_dp.c - dataplane ingress stage: packets/s per core for
 * hash-only drops, the full recover path and replayed copies, next to the
 * raw secp256k1 recover rate measured in the same run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv4_wire.h"
#include "common/keccak.h"
#include "common/msg.h"
#include "common/secp.h"
#include "dataplane/stage/discv4_rx.h"
#include "tests/bench/bench.h"

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

	/* Warm the cache, then send every packet again at once: a copy of
	 * an accepted packet within 100 ms is a replay (discv4_rx.h) and is
	 * dropped on one cache lookup, before any keccak or recovery. */
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
}
