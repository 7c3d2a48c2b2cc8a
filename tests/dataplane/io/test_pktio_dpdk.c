/* SPDX-License-Identifier: MIT */
/* tests/dataplane/io/test_pktio_dpdk.c - the dpdk backend on a net_ring port
 * (EAL with --no-huge: no root, no NIC): the EAL command line it builds,
 * receive of good, malformed and foreign frames through the real ethdev
 * calls, send with headers, checksums and the next hop from the kernel
 * (lo), a full TX ring dropping without blocking, one EAL per process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "dataplane/io/ethudp.h"
#include "dataplane/io/pktio_dpdk.h"

/* net_ring's vdev transmits into the ring it receives from: what the
 * backend sends on queue 0 comes back on queue 0, and the test reaches
 * the same ring by name to inject and inspect frames. */
#define EAL_ARGS "--no-huge -m 160 --vdev net_ring0 --log-level=5"
#define RING_NAME "ETH_RXTX0_net_ring0"
#define SOCK_IDX 7

static struct pktio *io;
static struct rte_ring *ring;
static struct rte_mempool *tpool;       /* the test's own mbufs */
static uint8_t self[16];                /* 127.0.0.1, v4-mapped */
static uint16_t port_be;                /* the port open() reserved */

static const uint8_t peer[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
				  10, 1, 2, 3 };

static int setup(void **st)
{
	struct dplink_listen l = { .sock_idx = SOCK_IDX };
	struct pktio_cfg cfg = { .n_queues = 1, .listen = &l, .n_listen = 1,
				 .eal = EAL_ARGS };
	int rc;

	(void)st;
	l.addr[10] = l.addr[11] = 0xff;
	l.addr[12] = 127;
	l.addr[15] = 1;
	memcpy(self, l.addr, 16);
	rc = pktio_dpdk_ops.open(&io, &cfg);
	if (rc < 0) {
		fprintf(stderr, "open: %s\n", strerror(-rc));
		return -1;
	}
	port_be = io->ops->local_port(io, 0);
	ring = rte_ring_lookup(RING_NAME);
	tpool = rte_pktmbuf_pool_create("test_pool", 2047, 0, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return ring && tpool && port_be ? 0 : -1;
}

static int teardown(void **st)
{
	struct pktio_pkt pk[1];
	void *m;

	(void)st;
	/* Every mbuf of the test's pool home before the pool goes: what a
	 * failed test left on the ring, and the backend's last rx burst
	 * (released by the next rx_burst()). */
	while (rte_ring_dequeue(ring, &m) == 0)
		rte_pktmbuf_free(m);
	(void)io->ops->rx_burst(io, 0, pk, 1);
	rte_mempool_free(tpool);
	pktio_dpdk_ops.close(io);
	return 0;
}

/* ---- an independent RFC 1071 checksum (16-bit words, 64-bit sum) ---- */

static uint64_t sum16(uint64_t acc, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		acc += (i & 1) ? p[i] : (uint64_t)p[i] << 8;
	return acc;
}

static int sums_ok(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return acc == 0xffff;
}

/* ---- frames ---- */

static size_t frame(uint8_t *f, size_t cap, const uint8_t src[16],
		    uint16_t sport, const uint8_t dst[16], uint16_t dport_be,
		    size_t plen)
{
	struct ethudp_hdrs h;
	uint8_t pl[1400];
	ssize_t n;

	memset(&h, 0, sizeof(h));
	memcpy(h.dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(h.src_mac, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(h.src_addr, src, 16);
	memcpy(h.dst_addr, dst, 16);
	h.src_port_be = htons(sport);
	h.dst_port_be = dport_be;
	for (size_t i = 0; i < plen; i++)
		pl[i] = (uint8_t)(i * 13 + 5);
	n = ethudp_build(f, cap, &h, pl, plen);
	assert_true(n > 0);
	return (size_t)n;
}

static struct rte_mbuf *mbuf_of(const uint8_t *f, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tpool);
	char *d;

	assert_non_null(m);
	d = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(d);
	memcpy(d, f, len);
	return m;
}

static void inject(struct rte_mbuf *m)
{
	assert_int_equal(rte_ring_enqueue(ring, m), 0);
}

static struct pktio_dpdk_stats stats(void)
{
	struct pktio_dpdk_stats s;

	assert_int_equal(pktio_dpdk_get_stats(io, 0, &s), 0);
	return s;
}

/* drain() runs the backend's rx until the ring is empty and returns what
 * it delivered. Tests inject at most one burst, so every buffer is from
 * the last rx_burst() and stays valid until the next. */
static unsigned drain(struct pktio_pkt *out, unsigned cap)
{
	struct pktio_pkt pk[PKTIO_BURST];
	unsigned got = 0, n;

	for (int i = 0; i < 100 && rte_ring_count(ring); i++) {
		n = io->ops->rx_burst(io, 0, pk, PKTIO_BURST);
		for (unsigned k = 0; k < n && got < cap; k++)
			out[got++] = pk[k];
	}
	assert_int_equal(rte_ring_count(ring), 0);
	return got;
}

/* ---- tests ---- */

static void join(char *out, size_t cap, const struct pktio_dpdk_eal *e)
{
	size_t n = 0;

	out[0] = 0;
	for (int i = 0; i < e->argc; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? " " : "",
				      e->argv[i]);
	assert_null(e->argv[e->argc]);
}

static void test_eal_args(void **st)
{
	static const struct {
		const char *args;
		unsigned nq;
		int prog_fd;
		const char *want;               /* then our "-l CPU" if lc */
		bool lc;
		const char *xdp_iface;
		bool own_prog;
	} rows[] = {
		{ "", 1, -1, "devplane-dp --in-memory --no-telemetry", true, "",
		  false },
		{ "  --no-huge\t-m 64\n --vdev net_af_packet0,iface=veth0 ", 2,
		  -1, "devplane-dp --no-huge -m 64 --vdev "
		  "net_af_packet0,iface=veth0,qpairs=2,framecnt=4096 --no-pci "
		  "--no-shconf "
		  "--no-telemetry", true, "", false },
		{ "--vdev=net_af_xdp0,iface=v0 -l 1 --in-memory", 4, 7,
		  "devplane-dp --vdev=net_af_xdp0,iface=v0,queue_count=4,"
		  "xdp_prog=/proc/self/fd/7 -l 1 --in-memory --no-pci "
		  "--no-telemetry", false, "v0", true },
		/* everything given: nothing added */
		{ "--vdev eth_af_xdp,iface=v1,queue_count=2,xdp_prog=/x.o "
		  "-a 0000:01:00.0 --file-prefix p --telemetry --lcores 0", 2,
		  7, "devplane-dp --vdev eth_af_xdp,iface=v1,queue_count=2,"
		  "xdp_prog=/x.o -a 0000:01:00.0 --file-prefix p --telemetry "
		  "--lcores 0", false, "v1", false },
		{ "-c 3 --vdev net_af_packet0,qpairs=3,iface=x,framecnt=64 "
		  "--no-pci", 2, -1, "devplane-dp -c 3 --vdev "
		  "net_af_packet0,qpairs=3,iface=x,framecnt=64 --no-pci "
		  "--in-memory --no-telemetry", false, "", false },
		/* no prog fd: net_af_xdp keeps its own program */
		{ "--vdev net_af_xdp1,iface=v2 --no-telemetry -l0", 1, -1,
		  "devplane-dp --vdev net_af_xdp1,iface=v2,queue_count=1 "
		  "--no-telemetry -l0 --no-pci --in-memory", false, "v2",
		  false },
	};
	struct pktio_dpdk_eal e;
	char got[1024], want[1024], lc[16] = "";
	cpu_set_t cs;
	char many[PKTIO_DPDK_MAX_ARGS * 3 + 1];

	(void)st;
	assert_int_equal(sched_getaffinity(0, sizeof(cs), &cs), 0);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &cs)) {
			snprintf(lc, sizeof(lc), " -l %d", c);
			break;
		}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(pktio_dpdk_eal_build(&e, rows[i].args,
						      rows[i].nq,
						      rows[i].prog_fd), 0);
		join(got, sizeof(got), &e);
		snprintf(want, sizeof(want), "%s%s", rows[i].want,
			 rows[i].lc ? lc : "");
		assert_string_equal(got, want);
		assert_string_equal(e.xdp_iface, rows[i].xdp_iface);
		assert_int_equal(e.own_prog, rows[i].own_prog);
		pktio_dpdk_eal_free(&e);
		assert_int_equal(e.argc, 0);
	}
	/* More words than argv can hold. */
	for (int i = 0; i < PKTIO_DPDK_MAX_ARGS; i++)
		memcpy(many + 3 * i, "-x ", 3);
	many[3 * PKTIO_DPDK_MAX_ARGS] = 0;
	assert_int_equal(pktio_dpdk_eal_build(&e, many, 1, -1), -E2BIG);
	assert_int_equal(e.argc, 0);
}

/* A datagram to the listen address, untagged and behind a VLAN tag,
 * comes out with its payload, source and local port. */
static void test_rx_good(void **st)
{
	struct pktio_pkt pk[4];
	struct pktio_dpdk_stats s0 = stats(), s1;
	uint8_t f[1600], g[1600];
	size_t n;

	(void)st;
	n = frame(f, sizeof(f), peer, 4444, self, port_be, 200);
	inject(mbuf_of(f, n));
	/* The same with an 802.1Q tag (VID 5) between MACs and type. */
	memcpy(g, f, 12);
	memcpy(g + 12, "\x81\x00\x00\x05", 4);
	memcpy(g + 16, f + 12, n - 12);
	inject(mbuf_of(g, n + 4));
	assert_int_equal(drain(pk, 4), 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pk[i].len, 200);
		assert_int_equal(pk[i].sock_idx, SOCK_IDX);
		assert_int_equal(pk[i].local_port_be, port_be);
		assert_int_equal(pk[i].peer_port_be, htons(4444));
		assert_memory_equal(pk[i].peer_addr, peer, 16);
		for (unsigned k = 0; k < 200; k++)
			assert_int_equal(pk[i].buf[k], (uint8_t)(k * 13 + 5));
	}
	s1 = stats();
	assert_int_equal(s1.rx_frames - s0.rx_frames, 2);
	assert_int_equal(s1.rx_malformed, s0.rx_malformed);
	assert_int_equal(s1.rx_not_ours, s0.rx_not_ours);
}

/* Frames that lie about their lengths or are cut short are counted as
 * malformed, frames for someone else as not ours; all are dropped, and
 * every mbuf goes back to its pool. */
static void test_rx_bad(void **st)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t other[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0,
					   2 };
	struct pktio_pkt pk[16];
	struct pktio_dpdk_stats s0 = stats(), s1;
	struct rte_mbuf *m, *seg;
	uint8_t f[1600], g[1600];
	size_t n;

	(void)st;
	n = frame(f, sizeof(f), peer, 4444, self, port_be, 120);
	/* malformed: */
	inject(mbuf_of(f, 20));                 /* IPv4 header cut */
	memcpy(g, f, n);
	g[16] = 0x40;                           /* total length 16 KiB */
	inject(mbuf_of(g, n));
	memcpy(g, f, n);
	g[14] = 0x43;                           /* IHL 12 bytes */
	inject(mbuf_of(g, n));
	memcpy(g, f, n);
	g[38] = 0x7f;                           /* UDP length past IP's */
	inject(mbuf_of(g, n));
	/* a chained mbuf (the backend parses one segment only) */
	m = mbuf_of(f, 40);
	seg = mbuf_of(f + 40, n - 40);
	assert_int_equal(rte_pktmbuf_chain(m, seg), 0);
	inject(m);
	/* not ours: */
	memcpy(g, f, n);
	g[12] = 0x08;
	g[13] = 0x06;                           /* ARP */
	inject(mbuf_of(g, n));
	memcpy(g, f, n);
	g[23] = 6;                              /* TCP */
	inject(mbuf_of(g, n));
	inject(mbuf_of(f, frame(f, sizeof(f), peer, 4444, self,
				(uint16_t)(port_be ^ 0x0100), 120)));
	inject(mbuf_of(f, frame(f, sizeof(f), peer, 4444, other, port_be,
				120)));
	inject(mbuf_of(f, frame(f, sizeof(f), v6, 4444, v6, port_be, 120)));
	assert_int_equal(drain(pk, 16), 0);
	s1 = stats();
	assert_int_equal(s1.rx_frames - s0.rx_frames, 10);
	assert_int_equal(s1.rx_malformed - s0.rx_malformed, 5);
	assert_int_equal(s1.rx_not_ours - s0.rx_not_ours, 5);
	assert_int_equal(rte_mempool_in_use_count(tpool), 0);
}

/* take_frame() waits (bounded) for the backend to put a frame on the
 * ring, parking it first if the kernel had no neighbour entry yet. */
static struct rte_mbuf *take_frame(void)
{
	void *m = NULL;

	for (int i = 0; i < 2000 && !rte_ring_count(ring); i++)
		assert_int_equal(io->ops->wait(io, 0, 1), 0);
	assert_int_equal(rte_ring_dequeue(ring, &m), 0);
	return m;
}

/* A datagram to ourselves leaves as one frame with the port's MAC, the
 * listen address and port, valid IPv4 and UDP checksums, and comes back
 * in through the same port as a datagram from us. */
static void test_tx_loop(void **st)
{
	uint8_t pl[300];
	struct pktio_pkt tx = { .buf = pl, .len = sizeof(pl),
				.sock_idx = SOCK_IDX }, rx[2];
	struct rte_ether_addr mac;
	struct ethudp_l4 l;
	struct rte_mbuf *m;
	const uint8_t *f, *ip;
	uint64_t acc;

	(void)st;
	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(0xa5 ^ i);
	memcpy(tx.peer_addr, self, 16);
	tx.peer_port_be = port_be;
	assert_int_equal(io->ops->tx_burst(io, 0, &tx, 1), 1);
	m = take_frame();
	f = rte_pktmbuf_mtod(m, const uint8_t *);
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(ethudp_parse(&l, f, m->data_len), 42);
	assert_int_equal(m->data_len, 42 + sizeof(pl));
	assert_int_equal(rte_eth_macaddr_get(pktio_dpdk_port(io), &mac), 0);
	assert_memory_equal(f + 6, mac.addr_bytes, 6);
	assert_memory_equal(l.src_addr, self, 16);
	assert_memory_equal(l.dst_addr, self, 16);
	assert_int_equal(l.src_port_be, port_be);
	assert_int_equal(l.dst_port_be, port_be);
	assert_memory_equal(f + 42, pl, sizeof(pl));
	ip = f + 14;
	assert_true(sums_ok(sum16(0, ip, 20)));
	/* UDP: pseudo-header (addresses, protocol, length) + datagram. */
	acc = sum16(0, ip + 12, 8) + 17 + 8 + sizeof(pl);
	assert_true(sums_ok(sum16(acc, f + 34, 8 + sizeof(pl))));
	assert_int_equal(rte_ring_enqueue(ring, m), 0);
	assert_int_equal(drain(rx, 2), 1);
	assert_int_equal(rx[0].len, sizeof(pl));
	assert_memory_equal(rx[0].buf, pl, sizeof(pl));
	assert_memory_equal(rx[0].peer_addr, self, 16);
	assert_int_equal(rx[0].peer_port_be, port_be);
}

/* No route through the backend's interface, a family the listen entry
 * does not have, an unknown socket: nothing leaves. */
static void test_tx_refused(void **st)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint8_t pl[100] = { 0 };
	struct pktio_pkt tx[3];
	struct pktio_dpdk_stats s0 = stats(), s1;

	(void)st;
	for (int i = 0; i < 3; i++) {
		memset(&tx[i], 0, sizeof(tx[i]));
		tx[i].buf = pl;
		tx[i].len = sizeof(pl);
		tx[i].sock_idx = SOCK_IDX;
		tx[i].peer_port_be = htons(30303);
	}
	memcpy(tx[0].peer_addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x01",
	       16);                             /* 192.0.2.1: not via lo */
	memcpy(tx[1].peer_addr, v6, 16);
	memcpy(tx[2].peer_addr, self, 16);
	tx[2].sock_idx = SOCK_IDX + 1;
	assert_int_equal(io->ops->tx_burst(io, 0, tx, 3), 0);
	s1 = stats();
	assert_int_equal(s1.tx_no_neigh - s0.tx_no_neigh, 1);
	assert_int_equal(rte_ring_count(ring), 0);
}

/* With the TX ring full, bursts return short at once and count the rest;
 * the worker never waits. The ring holds 1023 frames. */
static void test_tx_full(void **st)
{
	uint8_t pl[98] = { 0 };
	struct pktio_pkt tx[PKTIO_BURST];
	struct pktio_dpdk_stats s0 = stats(), s1;
	unsigned sent = 0;
	void *m;

	(void)st;
	/* Resolve the next hop first, so nothing is parked. */
	for (int i = 0; i < PKTIO_BURST; i++) {
		memset(&tx[i], 0, sizeof(tx[i]));
		tx[i].buf = pl;
		tx[i].len = sizeof(pl);
		tx[i].sock_idx = SOCK_IDX;
		memcpy(tx[i].peer_addr, self, 16);
		tx[i].peer_port_be = port_be;
	}
	assert_int_equal(io->ops->tx_burst(io, 0, tx, 1), 1);
	rte_pktmbuf_free(take_frame());
	for (int b = 0; b < 40; b++)
		sent += io->ops->tx_burst(io, 0, tx, PKTIO_BURST);
	s1 = stats();
	assert_int_equal(sent, rte_ring_get_capacity(ring));
	assert_int_equal(s1.tx_full - s0.tx_full, 40 * PKTIO_BURST - sent);
	while (rte_ring_dequeue(ring, &m) == 0)
		rte_pktmbuf_free(m);
}

static void test_one_eal(void **st)
{
	struct dplink_listen l = { .sock_idx = 1 };
	struct pktio_cfg cfg = { .n_queues = 1, .listen = &l, .n_listen = 1,
				 .eal = EAL_ARGS };
	struct pktio *p2 = NULL;

	(void)st;
	memcpy(l.addr, self, 16);
	assert_int_equal(pktio_dpdk_ops.open(&p2, &cfg), -EALREADY);
	assert_null(p2);
	cfg.n_queues = 0;
	assert_int_equal(pktio_dpdk_ops.open(&p2, &cfg), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eal_args),
		cmocka_unit_test(test_rx_good),
		cmocka_unit_test(test_rx_bad),
		cmocka_unit_test(test_tx_loop),
		cmocka_unit_test(test_tx_refused),
		cmocka_unit_test(test_tx_full),
		cmocka_unit_test(test_one_eal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
