/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_crawl.c - crawl rate against an in-process 200-node discv4 testnet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/crawl/crawl.h"
#include "tests/bench/bench.h"
#include "tests/control/sim.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)
#define NODES 200

/* Process CPU seconds: the wall clock is noisy on a shared 2-core box. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* NODES engines on 127.0.0.1 (real keys, real signatures and recovery,
 * fake network with 1-3 ms delay), bootstrapped from each other and left to
 * fill their tables for 30 simulated seconds (not timed). Then a crawler
 * engine starts from node 0; the wall time of the crawl covers both sides'
 * packet crypto, since the testnet runs in this process too. */
static void build_net(struct sim *s)
{
	struct discv4_config c;
	uint8_t ip[16];

	memset(&c, 0, sizeof(c));
	sim_init(s, T0, 7);
	sim_set_net(s, 0, 1 * MS, 2 * MS);
	sim_ip4(ip, 127, 0, 0, 1);
	for (unsigned i = 0; i < NODES; i++)
		if (sim_add_engine(s, ip, (uint16_t)(20000 + i), &c) < 0)
			abort();
	for (unsigned i = 0; i < NODES; i++) {
		struct discv4_node b = sim_node(s, (i + NODES - 1) % NODES);

		(void)discv4_add_bootnode(s->peers[i]->d, &b);
		if (i > 1) {
			b = sim_node(s, (unsigned)(((uint64_t)i * 7919) % i));
			(void)discv4_add_bootnode(s->peers[i]->d, &b);
		}
	}
	sim_run(s, 30 * SEC);
}

void bench_crawl(void)
{
	struct crawl_config cfg;
	struct crawl_stats st;
	struct kadtarget *kt;
	struct discv4_config dc;
	struct crawl *c;
	struct sim s;
	struct discv4_node boot;
	uint8_t ip[16];
	double t0, t1, secs, c0, cpu;
	uint64_t sim0;
	char note[160];
	int me;

	bench_section("crawl (in-process testnet, real crypto)");
	t0 = bench_now();
	if (kadtarget_new(&kt, KADTARGET_DEFAULT_BITS, 1) < 0)
		abort();
	t1 = bench_now();
	snprintf(note, sizeof(note), "%.0f ms, one-off", (t1 - t0) * 1e3);
	bench_report("kadtarget table build (17 bits)", 1.0 / (t1 - t0), 0, note);

	t0 = bench_now();
	build_net(&s);
	t1 = bench_now();
	snprintf(note, sizeof(note), "%u nodes, 30 s simulated in %.1f s (setup)",
		 NODES, t1 - t0);
	bench_report("testnet warm-up", 0, 0, note);

	memset(&dc, 0, sizeof(dc));
	dc.no_refresh = true;
	sim_ip4(ip, 127, 0, 0, 2);
	me = sim_add_engine(&s, ip, 30303, &dc);
	if (me < 0)
		abort();
	memset(&cfg, 0, sizeof(cfg));
	cfg.kt = kt;
	cfg.linger_ns = CRAWL_NO_LINGER;        /* time the crawl, not the linger */
	if (crawl_new(&c, s.peers[me]->d, &cfg, s.now) < 0)
		abort();
	boot = sim_node(&s, 0);
	(void)crawl_add_seed(c, &boot);
	sim0 = s.now;
	c0 = cpu_now();
	t0 = bench_now();
	crawl_on_timer(c, s.now);
	while (!crawl_done(c) && s.now - sim0 < 600 * SEC) {
		sim_run(&s, 1 * MS);
		crawl_on_timer(c, s.now);
	}
	t1 = bench_now();
	cpu = cpu_now() - c0;
	secs = t1 - t0;
	crawl_progress(c, &st);
	snprintf(note, sizeof(note), "%llu/%u found in %.2f s wall (%.1f s simulated), %llu pkts",
		 (unsigned long long)st.answered, NODES, secs,
		 (double)(s.now - sim0) / 1e9,
		 (unsigned long long)(st.pkts_tx + st.pkts_rx));
	bench_report("crawl: nodes discovered+answered/s", (double)st.answered / secs,
		     0, note);
	snprintf(note, sizeof(note), "%llu/%u verified",
		 (unsigned long long)st.enr_verified, NODES);
	bench_report("crawl: nodes ENR-verified/s", (double)st.enr_verified / secs,
		     0, note);
	snprintf(note, sizeof(note), "%.1f ms per node; %.2f s CPU, %.0f nodes/s per CPU-s",
		 st.answered ? secs * 1e3 / (double)st.answered : 0, cpu,
		 cpu > 0 ? (double)st.answered / cpu : 0);
	bench_report("crawl: total time (s)", secs, 0, note);
	sim_fini(&s);
	crawl_free(c);
	kadtarget_free(kt);
}
