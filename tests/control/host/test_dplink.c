/* SPDX-License-Identifier: MIT */
/* tests/control/host/test_dplink.c - end to end: control's dplink spawns the
 * real devplane-dp (found next to this test's build dir, or $DEVPLANE_DP),
 * real UDP on loopback, packets across the shared rings both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/test_loopback.h"
#include "common/discv4_wire.h"
#include "common/keccak.h"
#include "common/rlpx_frame.h"
#include "common/shmring.h"
#include "common/secp.h"
#include "control/host/dplink.h"
#include "dataplane/daemon/dpd.h"
#include "tests/dataplane/stage/v5pkt.h"

static const uint8_t priv[32] = {
	0xb7, 0x1c, 0x71, 0xa6, 0x7e, 0x11, 0x77, 0xad, 0x4e, 0x90, 0x16,
	0x95, 0xe1, 0xb4, 0xb9, 0xee, 0x17, 0xae, 0x16, 0xc6, 0x66, 0x8d,
	0x31, 0x3e, 0xac, 0x2f, 0x96, 0xdb, 0xcd, 0xa3, 0xf2, 0x91,
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* make_ping_seq() builds a signed Ping; distinct seq values give distinct
 * bytes (the enr-seq field), as a real node's successive pings are. */
static size_t make_ping_seq(uint8_t *buf, uint16_t udp, uint64_t seq)
{
	struct discv4_packet p;
	ssize_t n;

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PING;
	p.u.ping.version = 4;
	p.u.ping.from.ip_len = 4;
	p.u.ping.from.ip[10] = p.u.ping.from.ip[11] = 0xff;
	p.u.ping.from.ip[12] = 127;
	p.u.ping.from.ip[15] = 1;
	p.u.ping.from.udp = udp;
	p.u.ping.to = p.u.ping.from;
	p.u.ping.expiration = (uint64_t)time(NULL) + 20;
	p.u.ping.has_enr_seq = seq != 0;
	p.u.ping.enr_seq = seq;
	n = discv4_encode(buf, DISCV4_MAX_LEN, priv, &p);
	assert_true(n > 0);
	return (size_t)n;
}

static size_t make_ping(uint8_t *buf, uint16_t udp)
{
	return make_ping_seq(buf, udp, 0);
}

static void v4(struct dplink_listen *l, uint16_t port)
{
	memset(l, 0, sizeof(*l));
	l->addr[10] = l->addr[11] = 0xff;
	test_loopback4(l->addr + 12);
	l->port_be = htons(port);
}

static bool have_ipv6_loopback(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* A client socket on the loopback of the family of l. */
static int client(const struct dplink_listen *l, uint16_t *port_be)
{
	bool is4 = l->addr[10] == 0xff;
	struct sockaddr_in6 a = { 0 };
	socklen_t al = sizeof(a);
	int fd = socket(is4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	if (is4) {
		struct sockaddr_in *a4 = (void *)&a;

		a4->sin_family = AF_INET;
		test_loopback4((uint8_t *)&a4->sin_addr);
		assert_int_equal(bind(fd, (void *)a4, sizeof(*a4)), 0);
	} else {
		a.sin6_family = AF_INET6;
		a.sin6_addr = in6addr_loopback;
		assert_int_equal(bind(fd, (void *)&a, sizeof(a)), 0);
	}
	assert_int_equal(getsockname(fd, (void *)&a, &al), 0);
	*port_be = a.sin6_port;
	return fd;
}

static void send_to(int fd, const struct dplink_listen *l, const void *buf,
		    size_t len)
{
	struct sockaddr_in6 a = { 0 };
	socklen_t al;

	if (l->addr[10] == 0xff) {
		struct sockaddr_in *a4 = (void *)&a;

		a4->sin_family = AF_INET;
		a4->sin_port = l->port_be;
		memcpy(&a4->sin_addr, l->addr + 12, 4);
		al = sizeof(*a4);
	} else {
		a.sin6_family = AF_INET6;
		a.sin6_port = l->port_be;
		memcpy(&a.sin6_addr, l->addr, 16);
		al = sizeof(a);
	}
	assert_int_equal(sendto(fd, buf, len, 0, (void *)&a, al), (ssize_t)len);
}

/* wait_rx() polls the notify fd until one message arrives or timeout. */
static unsigned wait_rx(struct dplink *l, struct dplink_rx *rx, unsigned n,
			double timeout)
{
	double end = now_s() + timeout;

	while (now_s() < end) {
		struct pollfd p = { .fd = dplink_notify_fd(l), .events = POLLIN };
		unsigned got;

		poll(&p, 1, 50);
		got = dplink_rx_burst(l, rx, n);
		if (got)
			return got;
	}
	return 0;
}

static uint64_t total(struct dplink *l, unsigned c)
{
	uint64_t cnt[DP_CNT_MAX];

	assert_int_equal(dplink_stats(l, UINT32_MAX, cnt), 0);
	return cnt[c];
}

static bool gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

static void roundtrip(struct dplink *l, unsigned i)
{
	const struct dplink_listen *le = dplink_listen_entry(l, i);
	uint8_t buf[DISCV4_MAX_LEN], back[2048], pub[64];
	struct dplink_rx rx[4];
	uint16_t cport;
	size_t len;
	int fd;

	assert_non_null(le);
	assert_int_not_equal(le->port_be, 0);
	fd = client(le, &cport);
	len = make_ping(buf, ntohs(cport));
	send_to(fd, le, buf, len);
	assert_int_equal(wait_rx(l, rx, 4, 2.0), 1);
	assert_int_equal(secp_pub_from_priv(pub, priv), 0);
	assert_memory_equal(rx[0].msg->node_id, pub, 64);
	assert_int_equal(rx[0].msg->ptype, DISCV4_PING);
	assert_int_equal(rx[0].msg->sock_idx, le->sock_idx);
	assert_int_equal(rx[0].msg->src_port_be, cport);
	assert_int_equal(rx[0].msg->dst_port_be, le->port_be);
	assert_memory_equal(rx[0].msg->src_addr, le->addr, 16);
	assert_memory_equal(rx[0].msg->hash, buf, 32);
	assert_int_equal(rx[0].msg->data_len, len - 98);
	assert_memory_equal(rx[0].msg->data, buf + 98, len - 98);

	/* And back out through the tx ring to where it came from. */
	assert_int_equal(dplink_send_discv4(l, le->sock_idx,
					    rx[0].msg->src_addr,
					    rx[0].msg->src_port_be, buf, len),
			 0);
	dplink_rx_free(l, rx, 1);
	{
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_in6 from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		assert_int_equal(poll(&p, 1, 2000), 1);
		n = recvfrom(fd, back, sizeof(back), 0, (void *)&from, &fl);
		assert_int_equal(n, (ssize_t)len);
		assert_memory_equal(back, buf, len);
		assert_int_equal(from.sin6_port, le->port_be);
	}
	close(fd);
}

static void test_dplink_spawn_roundtrip_v4_v6(void **st)
{
	struct dplink_listen ls[3];
	struct dplink_cfg cfg = { .n_queues = 2, .listen = ls,
				  .budget_rate = 1000, .budget_burst = 1000,
				  .cache_slots = 1024 };
	struct dplink *l = NULL;
	bool v6 = have_ipv6_loopback();
	pid_t pid;
	int rc;

	(void)st;
	v4(&ls[0], 0);
	ls[0].sock_idx = 7;
	v4(&ls[1], 0);
	ls[1].sock_idx = 3;
	memset(&ls[2], 0, sizeof(ls[2]));
	ls[2].addr[15] = 1;             /* ::1 */
	ls[2].sock_idx = 9;
	cfg.n_listen = v6 ? 3 : 2;
	rc = dplink_spawn(&l, &cfg);
	assert_int_equal(rc, 0);
	pid = dplink_pid(l);
	assert_true(pid > 0);
	assert_int_equal(dplink_n_queues(l), 2);
	assert_int_equal(dplink_n_listen(l), cfg.n_listen);
	for (unsigned i = 0; i < cfg.n_listen; i++)
		roundtrip(l, i);
	if (!v6)
		fprintf(stderr, "note: no ::1, IPv6 leg not run\n");
	assert_int_equal(total(l, DP_CNT_ACCEPTED), cfg.n_listen);
	/* The tx counter moves after sendmmsg returned; give it a moment. */
	for (double end = now_s() + 1; now_s() < end &&
	     total(l, DP_CNT_TX_PKTS) < cfg.n_listen;)
		usleep(1000);
	assert_int_equal(total(l, DP_CNT_TX_PKTS), cfg.n_listen);
	assert_int_equal(total(l, DP_CNT_TX_ERR), 0);
	dplink_close(l);
	assert_true(gone(pid));
}

/* discv5 over the real path: off until control says, then a datagram
 * that fails discv4's checks and passes discv5's arrives as
 * MSG_DISCV5_RX; WHOAREYOUs to one destination are limited (2, burst 2),
 * the rest counted; turned off again, the same datagram is discv4's size
 * drop. */
static void test_dplink_discv5(void **st)
{
	static const uint8_t id[32] = { 0x5e, 0x11, [31] = 0x9a };
	struct dplink_listen ls;
	struct dplink_cfg cfg = { .n_queues = 1, .listen = &ls, .n_listen = 1,
				  .budget_rate = 1000, .budget_burst = 1000,
				  .v5_way_rate = 2, .v5_way_burst = 2 };
	struct dplink_v5_sock vs = { .sock_idx = 0, .on = 1 };
	struct dplink *l_v5 = NULL;
	const struct dplink_listen *le;
	uint8_t p[300], back[300];
	struct dplink_rx rx[4];
	unsigned n_on = 9, got = 0;
	uint16_t cport;
	size_t len;
	int fd;

	(void)st;
	v4(&ls, 0);
	assert_int_equal(dplink_spawn(&l_v5, &cfg), 0);
	le = dplink_listen_entry(l_v5, 0);
	fd = client(le, &cport);
	len = v5pkt_message(p, id, 3);
	/* Off: discv4's verdict. */
	send_to(fd, le, p, len);
	assert_int_equal(wait_rx(l_v5, rx, 4, 0.3), 0);
	assert_int_equal(total(l_v5, DP_CNT_DROP_SIZE), 1);
	/* A socket that does not exist is refused, nothing changes. */
	vs.sock_idx = 1;
	assert_int_equal(dplink_set_v5(l_v5, &vs, 1, &n_on), -EINVAL);
	vs.sock_idx = 0;
	memcpy(vs.node_id, id, 32);
	assert_int_equal(dplink_set_v5(l_v5, &vs, 1, &n_on), 0);
	assert_int_equal(n_on, 1);
	send_to(fd, le, p, len);
	assert_int_equal(wait_rx(l_v5, rx, 4, 2.0), 1);
	assert_int_equal(rx[0].kind, MSG_DISCV5_RX);
	assert_int_equal(rx[0].v5->flag, DISCV5_FLAG_MESSAGE);
	assert_int_equal(rx[0].v5->data_len, len);
	assert_memory_equal(rx[0].v5->data, p, len);
	assert_int_equal(rx[0].v5->src_port_be, cport);
	assert_int_equal(rx[0].v5->dst_port_be, le->port_be);
	assert_int_equal(rx[0].v5->sock_idx, 0);
	assert_memory_equal(rx[0].v5->src_addr, le->addr, 16);
	assert_int_equal(total(l_v5, DP_CNT_V5_ACCEPTED), 1);
	/* Five WHOAREYOUs back: two leave, three are held back. */
	len = v5pkt_whoareyou(p, id, 4);
	for (int i = 0; i < 5; i++)
		assert_int_equal(dplink_send_disc(l_v5, 0, le->addr, cport, p,
						  len, MSG_TX_F_WHOAREYOU), 0);
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };

		if (poll(&pf, 1, 300) != 1)
			break;
		assert_int_equal(recv(fd, back, sizeof(back), 0),
				 (ssize_t)len);
		got++;
	}
	assert_int_equal(got, 2);
	assert_int_equal(total(l_v5, DP_CNT_WHOAREYOU_LIMITED), 3);
	/* Off again. */
	vs.on = 0;
	assert_int_equal(dplink_set_v5(l_v5, &vs, 1, &n_on), 0);
	assert_int_equal(n_on, 0);
	len = v5pkt_message(p, id, 5);
	send_to(fd, le, p, len);
	assert_int_equal(wait_rx(l_v5, rx, 4, 0.3), 0);
	assert_int_equal(total(l_v5, DP_CNT_DROP_SIZE), 2);
	assert_int_equal(dplink_rx_bad(l_v5), 0);
	close(fd);
	dplink_close(l_v5);
}

/* Every kind of junk, 5,000 datagrams, paced only by the dataplane's own
 * counters so the kernel's socket buffer never overflows; then a good ping
 * must arrive within a second and the counters account for every packet. */
static void test_dplink_junk_flood_then_ping(void **st)
{
	struct dplink_listen ls;
	struct dplink_cfg cfg = { .n_queues = 1, .listen = &ls, .n_listen = 1,
				  .budget_rate = 100, .budget_burst = 100,
				  .cache_slots = 1024 };
	uint8_t good[DISCV4_MAX_LEN], junk[1400];
	struct dplink_rx rx[4];
	struct dplink *l = NULL;
	const struct dplink_listen *le;
	size_t glen;
	uint16_t cport;
	unsigned sent = 0;
	double t0;
	int fd;
	pid_t pid;

	(void)st;
	v4(&ls, 0);
	ls.sock_idx = 0;
	assert_int_equal(dplink_spawn(&l, &cfg), 0);
	pid = dplink_pid(l);
	le = dplink_listen_entry(l, 0);
	fd = client(le, &cport);
	glen = make_ping(good, ntohs(cport));
	for (unsigned i = 0; i < 5000; i++) {
		size_t len = glen;

		memcpy(junk, good, glen);
		switch (i % 5) {
		case 0:                 /* truncated */
			len = 50;
			break;
		case 1:                 /* oversized */
			len = 1300;
			break;
		case 2:                 /* bad hash */
			junk[40] ^= (uint8_t)(i | 1);
			break;
		case 3:                 /* bad type, hash fixed up */
			junk[97] = 9;
			keccak256(junk, junk + 32, len - 32);
			break;
		case 4:                 /* garbage RLP, hash fixed up */
			memset(junk + 98, 0xfe, len - 98);
			junk[len - 1] = (uint8_t)i;
			keccak256(junk, junk + 32, len - 32);
			break;
		}
		send_to(fd, le, junk, len);
		sent++;
		if (sent % 100 == 0) {
			double end = now_s() + 2;

			while (total(l, DP_CNT_RX_PKTS) < sent && now_s() < end)
				usleep(200);
		}
	}
	t0 = now_s();
	send_to(fd, le, good, glen);
	assert_int_equal(wait_rx(l, rx, 4, 1.0), 1);
	assert_true(now_s() - t0 < 1.0);
	assert_int_equal(rx[0].msg->ptype, DISCV4_PING);
	dplink_rx_free(l, rx, 1);
	assert_int_equal(total(l, DP_CNT_RX_PKTS), 5001);
	assert_int_equal(total(l, DP_CNT_DROP_SIZE), 2000);
	assert_int_equal(total(l, DP_CNT_DROP_HASH), 1000);
	assert_int_equal(total(l, DP_CNT_DROP_TYPE), 1000);
	assert_int_equal(total(l, DP_CNT_DROP_RLP), 1000);
	assert_int_equal(total(l, DP_CNT_DROP_EXPIRED), 0);
	assert_int_equal(total(l, DP_CNT_DROP_BUDGET), 0);
	assert_int_equal(total(l, DP_CNT_ACCEPTED), 1);
	close(fd);
	dplink_close(l);
	assert_true(gone(pid));
}

/* Budget exhaustion over the real path, and replays served from the hash
 * cache. */
/* Waits until the dataplane has counted n received packets, then drains
 * what reached the ring. Returns the number of messages drained. */
static unsigned settle(struct dplink *l, uint64_t n)
{
	struct dplink_rx rx[16];
	unsigned got = 0, k;

	for (double end = now_s() + 2; now_s() < end &&
	     total(l, DP_CNT_RX_PKTS) < n;)
		usleep(1000);
	while ((k = wait_rx(l, rx, 16, 0.2)) > 0) {
		dplink_rx_free(l, rx, k);
		got += k;
	}
	return got;
}

/* Through the real process: the per-source budget (burst 5 of 8 distinct
 * pings), the hash cache (same-source copies, back to back as an honest
 * ping-back can be, are not recovered again) and the replay guard (past
 * DISCV4_RX_DUP_MAX copies, a copy is dropped). */
#define DUP_MAX 4       /* DISCV4_RX_DUP_MAX, dataplane/stage/discv4_rx.h */

static void test_dplink_budget_and_cache(void **st)
{
	struct dplink_listen ls;
	struct dplink_cfg cfg = { .n_queues = 1, .listen = &ls, .n_listen = 1,
				  .budget_rate = 1, .budget_burst = 5,
				  .cache_slots = 64 };
	uint8_t good[DISCV4_MAX_LEN];
	struct dplink *l = NULL;
	const struct dplink_listen *le;
	uint16_t cport;
	unsigned n;
	size_t glen;
	int fd;

	(void)st;
	v4(&ls, 0);
	assert_int_equal(dplink_spawn(&l, &cfg), 0);
	le = dplink_listen_entry(l, 0);
	fd = client(le, &cport);
	for (uint64_t i = 1; i <= 8; i++) {
		glen = make_ping_seq(good, ntohs(cport), i);
		send_to(fd, le, good, glen);
	}
	assert_int_equal(settle(l, 8), 5);
	assert_int_equal(total(l, DP_CNT_ACCEPTED), 5);
	assert_int_equal(total(l, DP_CNT_DROP_BUDGET), 3);
	close(fd);
	dplink_close(l);

	/* Budget off: only the cache and the replay guard act. */
	cfg.budget_rate = 0;
	cfg.budget_burst = 0;
	l = NULL;
	assert_int_equal(dplink_spawn(&l, &cfg), 0);
	le = dplink_listen_entry(l, 0);
	fd = client(le, &cport);
	glen = make_ping(good, ntohs(cport));
	for (int i = 0; i < DUP_MAX + 1; i++)
		send_to(fd, le, good, glen);
	n = settle(l, DUP_MAX + 1);
	print_message("accepted %llu cached %llu replay %llu rx %llu\n",
		(unsigned long long)total(l, DP_CNT_ACCEPTED), (unsigned long long)total(l, DP_CNT_CACHE_HIT),
		(unsigned long long)total(l, DP_CNT_DROP_REPLAY), (unsigned long long)total(l, DP_CNT_RX_PKTS));
	assert_int_equal(n, DUP_MAX);
	assert_int_equal(total(l, DP_CNT_ACCEPTED), DUP_MAX);
	assert_int_equal(total(l, DP_CNT_CACHE_HIT), DUP_MAX - 1);
	assert_int_equal(total(l, DP_CNT_DROP_REPLAY), 1);
	close(fd);
	dplink_close(l);
}

static void test_dplink_spawn_errors(void **st)
{
	struct dplink_listen ls;
	struct dplink_cfg cfg = { .listen = &ls, .n_listen = 1 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	struct dplink *l = NULL;
	int fd;

	(void)st;
	v4(&ls, 0);
	cfg.dp_path = "/nonexistent/devplane-dp";
	assert_int_equal(dplink_spawn(&l, &cfg), -ENOENT);
	cfg.dp_path = NULL;
	/* A port taken by a socket without SO_REUSEPORT: the child reports
	 * the bind error and is reaped. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	test_loopback4((uint8_t *)&a.sin_addr);
	assert_int_equal(bind(fd, (void *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (void *)&a, &al), 0);
	ls.port_be = a.sin_port;
	assert_int_equal(dplink_spawn(&l, &cfg), -EADDRINUSE);
	close(fd);
	cfg.n_listen = 0;
	assert_int_equal(dplink_spawn(&l, &cfg), -EINVAL);
	dplink_close(NULL);
}

/* ALLOW on a socket dataplane: accepted with nothing installed (no
 * shield; control's engines apply --netrestrict), the link still carries
 * packets after it, and lists over the limit never leave control. The
 * xdp side is tests/integration/test_xdp_bootnode.sh. */
static void test_dplink_allow_without_shield(void **st)
{
	struct dplink_listen ls;
	struct dplink_cfg cfg = { .listen = &ls, .n_listen = 1,
				  .cache_slots = 1024 };
	struct dplink_prefix p[2];
	struct dplink *l = NULL;
	unsigned installed = 99;

	(void)st;
	v4(&ls, 0);
	memset(p, 0, sizeof(p));
	p[0].addr[10] = p[0].addr[11] = 0xff;
	p[0].addr[12] = 10;
	p[0].bits = 8;
	p[0].v4 = 1;
	p[1].addr[0] = 0x20;
	p[1].addr[1] = 0x01;
	p[1].bits = 16;
	assert_int_equal(dplink_spawn(&l, &cfg), 0);
	assert_int_equal(dplink_set_allow(l, p, 2, &installed), 0);
	assert_int_equal(installed, 0);
	assert_int_equal(dplink_set_allow(l, NULL, 0, NULL), 0);
	assert_int_equal(dplink_set_allow(l, p, DPLINK_MAX_ALLOW + 1, NULL),
			 -EINVAL);
	assert_int_equal(dplink_set_allow(l, NULL, 1, NULL), -EINVAL);
	roundtrip(l, 0);
	dplink_close(l);
}

/* The binary dplink would exec, for the attach-mode test. */
static void dp_binary(char *buf, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *env = getenv("DEVPLANE_DP");

	if (env && *env) {
		snprintf(buf, cap, "%s", env);
		return;
	}
	assert_true(n > 0);
	self[n] = 0;
	*strrchr(self, '/') = 0;
	assert_true(strlen(self) + 32 < cap);
	strcpy(buf, self);
	strcat(buf, "/../dataplane/devplane-dp");
}

static void test_dplink_attach_long_running(void **st)
{
	char bin[PATH_MAX], dir[] = "/tmp/dplink-test-XXXXXX", shm[256],
	     sockp[300], out[4096];
	uint8_t good[DISCV4_MAX_LEN];
	struct dplink_rx rx[4];
	struct dplink *l = NULL, *l2 = NULL;
	const struct dplink_listen *le;
	uint16_t cport;
	size_t glen;
	pid_t pid;
	int fd, rc = -1, st_;

	(void)st;
	dp_binary(bin, sizeof(bin));
	assert_non_null(mkdtemp(dir));
	snprintf(shm, sizeof(shm), "%s/region", dir);
	snprintf(sockp, sizeof(sockp), "%s.sock", shm);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(bin, bin, "--shm", shm, "--listen", "127.0.0.1:0",
		      "--queues", "2", "--budget", "off", (char *)NULL);
		_exit(127);
	}
	for (double end = now_s() + 5; now_s() < end; usleep(10000)) {
		rc = dplink_attach(&l, shm);
		if (rc == 0)
			break;
	}
	if (rc != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(dplink_pid(l), 0);
	assert_int_equal(dplink_n_queues(l), 2);
	/* One control at a time. */
	assert_int_equal(dplink_attach(&l2, shm), -EBUSY);
	le = dplink_listen_entry(l, 0);
	fd = client(le, &cport);
	glen = make_ping(good, ntohs(cport));
	send_to(fd, le, good, glen);
	assert_int_equal(wait_rx(l, rx, 4, 2.0), 1);
	dplink_rx_free(l, rx, 1);
	close(fd);
	/* `devplane-dp stats --shm PATH` reads the same counters. */
	{
		char cmd[PATH_MAX + 300];
		FILE *p;
		size_t n;

		snprintf(cmd, sizeof(cmd), "%s stats --shm %s", bin, shm);
		p = popen(cmd, "r");
		assert_non_null(p);
		n = fread(out, 1, sizeof(out) - 1, p);
		out[n] = 0;
		assert_int_equal(pclose(p), 0);
		assert_non_null(strstr(out, "total.accepted 1\n"));
		assert_non_null(strstr(out, "worker1.drop_hash 0\n"));
	}
	/* Detaching leaves the dataplane running; a second control attaches. */
	dplink_close(l);
	l = NULL;
	for (double end = now_s() + 2; now_s() < end; usleep(10000))
		if (dplink_attach(&l, shm) == 0)
			break;
	assert_non_null(l);
	assert_int_equal(kill(pid, 0), 0);
	dplink_close(l);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &st_, 0), pid);
	assert_true(WIFEXITED(st_) && WEXITSTATUS(st_) == 0);
	assert_int_equal(access(sockp, F_OK), -1);
	rmdir(dir);
}

/* A frame state from fixed secrets (no handshake needed to hand over). */
static void frame_fixed(struct rlpx_frame *f)
{
	uint8_t eph[32], in[32], rn[32], auth[200], ack[180];
	struct rlpx_secrets s;

	for (unsigned i = 0; i < 32; i++) {
		eph[i] = (uint8_t)(i * 7 + 1);
		in[i] = (uint8_t)(i * 13 + 5);
		rn[i] = (uint8_t)(i * 3 + 9);
	}
	memset(auth, 0x5a, sizeof(auth));
	memset(ack, 0xa5, sizeof(ack));
	rlpx_secrets_from_shared(&s, eph, in, rn, auth, sizeof(auth), ack,
				 sizeof(ack), RLPX_INITIATOR);
	assert_int_equal(rlpx_frame_init(f, &s, 0), 0);
	rlpx_secrets_wipe(&s);
}

static void tcp_pair(int *a, int *b)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	test_loopback4((uint8_t *)&sa.sin_addr);
	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	*b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(*b, (struct sockaddr *)&sa, sizeof(sa)), 0);
	*a = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	assert_true(*a >= 0);
	close(ls);
}

/* pool_clean() tells whether no slot of the region holds any secret field
 * of ref (AES and MAC secrets, the two MAC states), allocated or free. */
static bool pool_clean(const struct shmring *view,
		       const struct msg_rlpx_keys *ref)
{
	const void *secret[] = { ref->aes_secret, ref->mac_secret,
				 ref->egress_mac.st, ref->ingress_mac.st };
	const size_t len[] = { sizeof(ref->aes_secret),
			       sizeof(ref->mac_secret),
			       sizeof(ref->egress_mac.st),
			       sizeof(ref->ingress_mac.st) };

	for (uint32_t i = 0; i < shmring_n_slots(view); i++)
		for (unsigned j = 0; j < 4; j++)
			if (memmem(shmring_slot_ptr(view, i), MSG_SLOT_SIZE,
				   secret[j], len[j]))
				return false;
	return true;
}

/* What test_dplink_keys_slot_wiped() started, for its teardown to undo
 * when an assertion cut the test short. */
static struct {
	pid_t pid;                      /* 0: reaped */
	char dir[32];
} kw;

static int keys_wiped_teardown(void **st)
{
	static const char *const files[] = { "region", "region.sock",
					     "region.stats" };
	char path[64];

	(void)st;
	if (kw.pid > 0) {
		kill(kw.pid, SIGKILL);
		waitpid(kw.pid, NULL, 0);
		kw.pid = 0;
	}
	if (kw.dir[0]) {
		for (unsigned i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/%s", kw.dir,
				 files[i]);
			unlink(path);
		}
		rmdir(kw.dir);
		kw.dir[0] = '\0';
	}
	return 0;
}

/* The session secrets cross the shared pool in one MSG_RLPX_KEYS slot,
 * which both processes can read and which is reused for packets: once the
 * handover is consumed, no slot may hold them. Attach mode, so that this
 * test can map the region itself (shmring_attach_path) and look. */
static void test_dplink_keys_slot_wiped(void **st)
{
	char bin[PATH_MAX], shm[256];
	struct dplink *l = NULL;
	struct shmring *view = NULL;
	struct msg_rlpx_keys ref;
	struct rlpx_frame f;
	int a, b1, b2, rc = -1, st_;
	bool settled = false;
	pid_t pid;

	(void)st;
	dp_binary(bin, sizeof(bin));
	snprintf(kw.dir, sizeof(kw.dir), "/tmp/dplink-test-XXXXXX");
	assert_non_null(mkdtemp(kw.dir));
	snprintf(shm, sizeof(shm), "%s/region", kw.dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(bin, bin, "--shm", shm, "--listen", "127.0.0.1:0",
		      "--budget", "off", (char *)NULL);
		_exit(127);
	}
	kw.pid = pid;
	for (double end = now_s() + 5; now_s() < end; usleep(10000)) {
		rc = dplink_attach(&l, shm);
		if (rc == 0)
			break;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(shmring_attach_path(&view, shm), 0);
	frame_fixed(&f);
	memset(&ref, 0, sizeof(ref));
	assert_int_equal(rlpx_frame_export(&ref, &f), 0);

	/* 1. The dataplane copies the keys out: it must wipe the slot
	 * (dataplane/stage/rlpx_stage.c) before it goes back to the pool. Settled
	 * = the session was adopted and every slot is free again. */
	tcp_pair(&a, &b1);
	assert_int_equal(dplink_rlpx_handover(l, 1, a, &f, 0), 0);
	for (double end = now_s() + 5; now_s() < end && !settled;
	     usleep(10000))
		settled = total(l, DP_CNT_RLPX_SESSIONS) == 1 &&
			  shmring_slots_free(view) == shmring_n_slots(view);
	assert_true(settled);
	assert_true(pool_clean(view, &ref));

	/* 2. Control's copy when the handover cannot complete (the
	 * dataplane is gone, so the fd cannot follow the keys): dplink must
	 * wipe the slot it filled before freeing it. */
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &st_, 0), pid);
	kw.pid = 0;
	tcp_pair(&a, &b2);
	assert_true(dplink_rlpx_handover(l, 2, a, &f, 0) < 0);
	assert_int_equal(shmring_slots_free(view), shmring_n_slots(view));
	assert_true(pool_clean(view, &ref));

	explicit_bzero(&ref, sizeof(ref));
	rlpx_frame_fini(&f);
	close(b1);
	close(b2);
	dplink_close(l);
	shmring_free(view);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dplink_spawn_roundtrip_v4_v6),
		cmocka_unit_test(test_dplink_junk_flood_then_ping),
		cmocka_unit_test(test_dplink_discv5),
		cmocka_unit_test(test_dplink_budget_and_cache),
		cmocka_unit_test(test_dplink_spawn_errors),
		cmocka_unit_test(test_dplink_allow_without_shield),
		cmocka_unit_test(test_dplink_attach_long_running),
		cmocka_unit_test_teardown(test_dplink_keys_slot_wiped,
					  keys_wiped_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
