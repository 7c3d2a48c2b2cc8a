/* SPDX-License-Identifier: MIT */
/* tests/bench/xdp_capacity.c - the shield's and a bare XDP_DROP program's own run time per junk frame (BPF_PROG_TEST_RUN), for tests/bench/xdp_bench.sh. */
/*
 * Usage: xdp-capacity XDP_DROP.o [PASSES]
 *
 * Built by xdp_bench.sh (cc against the build's shield skeleton); not a
 * meson target. Root (CAP_BPF). Nothing is attached: the shield is loaded
 * with fresh maps (shield_loader_new) and the flood config of
 * tests/integration/xdp_common.sh (per source 50/s burst 100, per /24
 * 200/s burst 400, unverified budget 30000/s burst 1024).
 *
 * Two ways of timing, the same for both programs:
 * - "repeat": one frame, BPF_PROG_TEST_RUN with repeat = N; the kernel
 *   times the loop and reports ns per run (its loop overhead included,
 *   a few ns). For the stateless junk (wrong size, wrong type) and for one
 *   source over its rate.
 * - "ring": a ring of frames, one per source (spoofed 10.200.0.0/16, 65536
 *   sources, 256 /24s, as floodgen --spoof), each run with repeat = 1,
 *   after warm-up passes so the buckets are in the flood's steady state
 *   (prefixes and budget exhausted). Each run's duration is the kernel's
 *   timer around one program run, so it carries the timer's overhead too
 *   (the XDP_DROP row shows how much: it does nothing else).
 * Output: one line per row: kind, mode, "xdp_drop_ns" N, "shield_ns" N,
 * "ratio" (XDP_DROP's time / the shield's), then the verdict counters
 * that moved.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/shield/shield_loader.h"

#define PORT      30303
#define RING      65536
#define REPEAT    2000000u

static uint8_t frames[RING][160];
static size_t frame_len;

/* frame() writes an Ethernet/IPv4/UDP frame to PORT from 10.200.a.b with
 * a payload of plen bytes whose type byte is ptype. */
static size_t frame(uint8_t *f, uint32_t src, size_t plen, uint8_t ptype,
		    size_t cap)
{
	size_t len = 14 + 20 + 8 + plen;

	if (len > cap)
		len = cap;
	memset(f, 0, cap);
	memset(f, 2, 12);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)((20 + 8 + plen) >> 8);
	f[17] = (uint8_t)(20 + 8 + plen);
	f[22] = 64;
	f[23] = 17;
	f[26] = (uint8_t)(src >> 24);
	f[27] = (uint8_t)(src >> 16);
	f[28] = (uint8_t)(src >> 8);
	f[29] = (uint8_t)src;
	f[30] = 10;
	f[31] = 77;
	f[33] = 1;
	f[34] = (uint8_t)(PORT >> 8);
	f[35] = (uint8_t)PORT;
	f[36] = (uint8_t)(PORT >> 8);
	f[37] = (uint8_t)PORT;
	f[38] = (uint8_t)((8 + plen) >> 8);
	f[39] = (uint8_t)(8 + plen);
	if (42 + 97 < len)
		f[42 + 97] = ptype;
	for (size_t i = 42; i < 42 + 97 && i < len; i++)
		f[i] = (uint8_t)(i * 31 + src); /* junk hash and signature */
	return len;
}

static double run_repeat(int fd, const uint8_t *f, size_t len, uint32_t n)
{
	uint8_t out[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f,
		    .data_size_in = (__u32)len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = n);

	if (bpf_prog_test_run_opts(fd, &o)) {
		perror("BPF_PROG_TEST_RUN");
		exit(1);
	}
	return o.duration;
}

/* ring pass: mean ns per frame over the ring, each frame run once. */
static double run_ring(int fd, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (uint64_t)run_repeat(fd, frames[i], frame_len, 1);
	return (double)sum / (double)n;
}

static const char *const cnames[SHIELD_COUNTER_MAX] = {
	"pass_other", "drop_size", "drop_type", "drop_rate_src",
	"drop_rate_pfx", "drop_blocked", "drop_not_allowed", "redirect",
	"pass_no_xsk", "drop_budget", "redirect_verified",
};

static void print_delta(struct shield_loader *l, const uint64_t *before)
{
	uint64_t now[SHIELD_COUNTER_MAX];

	if (shield_maps_counters(shield_loader_maps(l), now))
		return;
	for (int i = 0; i < SHIELD_COUNTER_MAX; i++)
		if (now[i] - before[i])
			printf(" %s=%llu", cnames[i],
			       (unsigned long long)(now[i] - before[i]));
}

static void row(const char *kind, const char *mode, double drop_ns,
		double shield_ns, struct shield_loader *l, const uint64_t *c0)
{
	printf("%-10s %-6s xdp_drop_ns %6.1f shield_ns %6.1f ratio %5.1f%%",
	       kind, mode, drop_ns, shield_ns,
	       shield_ns > 0 ? 100.0 * drop_ns / shield_ns : 0.0);
	print_delta(l, c0);
	printf("\n");
	fflush(stdout);
}

static void fill_ring(size_t plen, uint8_t ptype, uint32_t base, size_t n)
{
	for (size_t i = 0; i < n; i++)
		frame_len = frame(frames[i], base + (uint32_t)i, plen, ptype,
				  sizeof(frames[i]));
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	struct shield_loader *l;
	struct shield_cfg cfg;
	uint64_t c0[SHIELD_COUNTER_MAX];
	int passes = argc > 2 ? atoi(argv[2]) : 3;
	int dfd, sfd, rc;
	uint8_t one[160];
	size_t len;
	double d, s;

	if (argc < 2) {
		fprintf(stderr, "usage: %s XDP_DROP.o [PASSES]\n", argv[0]);
		return 2;
	}
	libbpf_set_print(NULL);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "load %s failed\n", argv[1]);
		return 1;
	}
	p = bpf_object__next_program(obj, NULL);
	dfd = bpf_program__fd(p);
	shield_default_cfg(&cfg, PORT);
	cfg.src_rate = 50;
	cfg.src_burst = 100;
	cfg.pfx_rate = 200;
	cfg.pfx_burst = 400;
	cfg.unk_rate = 30000;
	cfg.unk_burst = 1024;
	rc = shield_loader_new(&l, &cfg);
	if (rc < 0) {
		fprintf(stderr, "shield_loader_new: %s\n", strerror(-rc));
		return 1;
	}
	sfd = shield_loader_prog_fd(l);

	/* Stateless junk: repeat mode. */
	len = frame(one, 0x0ac80001, 40, 1, sizeof(one)); /* short */
	shield_maps_counters(shield_loader_maps(l), c0);
	d = run_repeat(dfd, one, len, REPEAT);
	s = run_repeat(sfd, one, len, REPEAT);
	row("size", "repeat", d, s, l, c0);
	len = frame(one, 0x0ac80001, 110, 9, sizeof(one));
	shield_maps_counters(shield_loader_maps(l), c0);
	d = run_repeat(dfd, one, len, REPEAT);
	s = run_repeat(sfd, one, len, REPEAT);
	row("type", "repeat", d, s, l, c0);
	/* One source far over its rate (drop-rate-source). */
	len = frame(one, 0x0ac80001, 110, 1, sizeof(one));
	shield_maps_counters(shield_loader_maps(l), c0);
	d = run_repeat(dfd, one, len, REPEAT);
	s = run_repeat(sfd, one, len, REPEAT);
	row("hash-1src", "repeat", d, s, l, c0);

	/* Bad hash, valid shape, 65536 spoofed sources: the flood's steady
	 * state after warm-up passes (prefixes and budget exhausted). */
	fill_ring(110, 1, 0x0ac80000, RING);
	for (int i = 0; i < 2; i++)
		run_ring(sfd, RING);
	shield_maps_counters(shield_loader_maps(l), c0);
	d = s = 0;
	for (int i = 0; i < passes; i++) {
		d += run_ring(dfd, RING);
		s += run_ring(sfd, RING);
	}
	row("hash-spoof", "ring", d / passes, s / passes, l, c0);
	/* The same for stateless junk in ring mode (the timer's share). */
	fill_ring(40, 1, 0x0ac80000, RING);
	shield_maps_counters(shield_loader_maps(l), c0);
	d = run_ring(dfd, RING);
	s = run_ring(sfd, RING);
	row("size", "ring", d, s, l, c0);
	fill_ring(110, 9, 0x0ac80000, RING);
	shield_maps_counters(shield_loader_maps(l), c0);
	d = run_ring(dfd, RING);
	s = run_ring(sfd, RING);
	row("type", "ring", d, s, l, c0);

	/* Stages, on the same spoofed ring (mean of PASSES passes, minus
	 * nothing: compare rows with each other). Each row turns one more
	 * stage on; "+bans" adds 1024 /32 bans elsewhere to the blocklist. */
	{
		static const struct {
			const char *name;
			uint32_t src, pfx, unk;
		} st[] = {
			{ "no-buckets", 0, 0, 0 },
			{ "+prefix", 0, 200, 0 },
			{ "+source", 50, 200, 0 },
			{ "+budget", 50, 200, 30000 },
		};

		fill_ring(110, 1, 0x0ac80000, RING);
		for (size_t j = 0; j < sizeof(st) / sizeof(st[0]) + 1; j++) {
			size_t i = j < 4 ? j : 3;
			struct shield_cfg c = cfg;
			char name[32];

			if (j == 4) {
				for (uint32_t b = 0; b < 1024; b++) {
					struct shield_lpm_key k = {
						.prefixlen = 8 + 32,
						.family = SHIELD_FAM_V4,
						.addr = { 172, 16, (uint8_t)(b >> 8),
							  (uint8_t)b },
					};

					shield_maps_ban(shield_loader_maps(l), &k, 0,
							  SHIELD_BAN_OPERATOR);
				}
			}
			c.src_rate = st[i].src;
			c.pfx_rate = st[i].pfx;
			c.unk_rate = st[i].unk;
			shield_loader_set_cfg(l, &c);
			for (int w = 0; w < 2; w++)
				run_ring(sfd, RING);
			shield_maps_counters(shield_loader_maps(l), c0);
			d = s = 0;
			for (int k = 0; k < passes; k++) {
				d += run_ring(dfd, RING);
				s += run_ring(sfd, RING);
			}
			snprintf(name, sizeof(name), "%s%s", st[i].name,
				 j == 4 ? "+bans" : "");
			printf("stage ");
			row(name, "ring", d / passes, s / passes, l, c0);
		}
		shield_loader_set_cfg(l, &cfg);
	}

	/* Valid pings from 256 verified sources (10.77.1.0/24 .. as real
	 * nodes: one packet each per pass, under their own rate). */
	{
		uint64_t now = shield_loader_now(l);

		for (uint32_t i = 0; i < 256; i++) {
			struct shield_bucket_key k = {
				.family = SHIELD_FAM_V4,
				.plen = SHIELD_SRC_V4_PLEN,
			};
			uint32_t a = 0x0a4d0000 + (i << 8) + 11;

			k.addr[0] = (uint8_t)(a >> 24);
			k.addr[1] = (uint8_t)(a >> 16);
			k.addr[2] = (uint8_t)(a >> 8);
			k.addr[3] = (uint8_t)a;
			shield_maps_verify(shield_loader_maps(l), &k, now + 3600ull * 1000000000);
			frame_len = frame(frames[i], a, 110, 1,
					  sizeof(frames[i]));
		}
		shield_maps_counters(shield_loader_maps(l), c0);
		d = s = 0;
		for (int i = 0; i < passes; i++) {
			d += run_ring(dfd, 256);
			s += run_ring(sfd, 256);
		}
		row("verified", "ring", d / passes, s / passes, l, c0);
	}
	shield_loader_free(l);
	bpf_object__close(obj);
	return 0;
}
