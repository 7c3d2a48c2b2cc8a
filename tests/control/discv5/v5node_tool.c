/* SPDX-License-Identifier: MIT */
/* tests/control/discv5/v5node_tool.c - the discv5 engine on a UDP socket, for
 * interop tests against geth's devp2p (a stand-in until `devplane node`
 * hosts the engine).
 *
 *   v5node_tool node [IP] [SECONDS] [BOOT-ENR]   run a node: prints its ENR
 *                                               and "id HEX", then serves
 *                                               for SECONDS
 *   v5node_tool ping ENR                        PING: prints "pong seq=N"
 *   v5node_tool findnode ENR D[,D...]           prints "node ID SEQ" lines
 *   v5node_tool talk ENR PROTO MSG              prints "talkresp HEX"
 *   v5node_tool lookup BOOT-ENR TARGET-ID SECS  looks TARGET-ID up from a
 *                                               node bootstrapped from
 *                                               BOOT-ENR until found
 *   v5node_tool test ENR [FILTER]               control/tester/v5test
 * Exit status 0 on success, 1 on failure, 2 on usage errors. Loopback
 * only: the socket binds 127.0.0.1 (node: IP). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/enr.h"
#include "common/hex.h"
#include "common/secp.h"
#include "control/base/localnode.h"
#include "control/discv5/discv5.h"
#include "control/tester/v5test.h"

struct host {
	int fd;
	uint8_t ip[16];
	uint16_t port;
	struct localnode ln;
	struct discv5 *d;
	int done;
	int rc;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int rnd(void *user, uint8_t *buf, size_t len)
{
	(void)user;
	return secp_random(buf, len);
}

static void send_cb(void *user, const uint8_t addr[16], uint16_t port,
		    const uint8_t *pkt, size_t len)
{
	struct host *h = user;
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	memcpy(&sa.sin_addr, addr + 12, 4);
	(void)sendto(h->fd, pkt, len, 0, (struct sockaddr *)&sa, sizeof(sa));
}

static int host_open(struct host *h, const char *ip)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct discv5_config c;
	uint8_t priv[32];

	memset(h, 0, sizeof(*h));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return -EINVAL;
	h->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (h->fd < 0 || bind(h->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(h->fd, (struct sockaddr *)&sa, &sl) < 0)
		return -errno;
	h->port = ntohs(sa.sin_port);
	h->ip[10] = h->ip[11] = 0xff;
	memcpy(h->ip + 12, &sa.sin_addr, 4);
	if (secp_priv_generate(priv) < 0 ||
	    localnode_init(&h->ln, priv, 0, h->port, 0) < 0)
		return -EINVAL;
	localnode_set_static_ip(&h->ln, h->ip);
	memset(&c, 0, sizeof(c));
	c.ln = &h->ln;
	c.send = send_cb;
	c.send_user = h;
	c.random = rnd;
	return discv5_new(&h->d, &c, now_ns());
}

static void host_close(struct host *h)
{
	discv5_free(h->d);
	localnode_fini(&h->ln);
	close(h->fd);
}

/* run() serves until h->done or the deadline (ns). */
static void run(struct host *h, uint64_t until)
{
	uint8_t buf[2048];

	while (!h->done) {
		uint64_t now = now_ns(), dl = discv5_next_deadline(h->d);
		struct pollfd p = { .fd = h->fd, .events = POLLIN };
		int ms;

		if (now >= until)
			return;
		if (dl <= now) {
			discv5_on_timer(h->d, now);
			continue;
		}
		if (dl > until)
			dl = until;
		ms = (int)((dl - now) / 1000000ull) + 1;
		if (poll(&p, 1, ms) > 0) {
			struct sockaddr_in sa;
			socklen_t sl = sizeof(sa);
			ssize_t n = recvfrom(h->fd, buf, sizeof(buf), 0,
					     (struct sockaddr *)&sa, &sl);
			uint8_t ip[16] = { 0 };

			if (n < 0 || sa.sin_family != AF_INET)
				continue;
			ip[10] = ip[11] = 0xff;
			memcpy(ip + 12, &sa.sin_addr, 4);
			(void)discv5_on_packet(h->d, ip, ntohs(sa.sin_port),
					       buf, (size_t)n, now_ns());
		}
	}
}

static int parse_node(struct discv5_node *n, const char *s)
{
	if (discv5_node_from_text(n, s, strlen(s)) < 0) {
		fprintf(stderr, "v5node_tool: bad ENR %s\n", s);
		return -1;
	}
	return 0;
}

static void print_enr(const struct host *h)
{
	char txt[ENR_TEXT_MAX], hex[65];

	if (enr_encode_text(txt, sizeof(txt), localnode_record(&h->ln)) > 0)
		printf("%s\n", txt);
	hex_encode(hex, h->ln.id, 32);
	printf("id %s\n", hex);
	fflush(stdout);
}

static void ping_cb(void *arg, int err, const struct discv5_pong_info *p)
{
	struct host *h = arg;

	h->done = 1;
	h->rc = err;
	if (!err)
		printf("pong seq=%llu port=%u\n",
		       (unsigned long long)p->enr_seq, p->port);
}

static void nodes_cb(void *arg, int err, const struct discv5_node *n,
		     unsigned cnt)
{
	struct host *h = arg;
	char hex[65];

	h->done = 1;
	h->rc = err;
	for (unsigned i = 0; i < cnt; i++) {
		hex_encode(hex, n[i].id, 32);
		printf("node %s %llu\n", hex, (unsigned long long)n[i].seq);
	}
}

static void talk_cb(void *arg, int err, const uint8_t *resp, size_t len)
{
	struct host *h = arg;
	char hex[2 * 1280 + 1];

	h->done = 1;
	h->rc = err;
	if (!err) {
		hex_encode(hex, resp, len);
		printf("talkresp %s\n", hex);
	}
}

static int client(int argc, char **argv)
{
	struct discv5_node n;
	struct host h;
	int rc = 0;

	if (argc < 3 || parse_node(&n, argv[2]) < 0)
		return 2;
	if (host_open(&h, "127.0.0.1") < 0)
		return 1;
	if (!strcmp(argv[1], "ping")) {
		rc = discv5_ping(h.d, &n, now_ns(), ping_cb, &h);
	} else if (!strcmp(argv[1], "findnode") && argc == 4) {
		uint16_t dist[DISCV5_FINDNODE_DIST_MAX];
		size_t nd = 0;

		for (char *p = argv[3]; *p && nd < DISCV5_FINDNODE_DIST_MAX;) {
			dist[nd++] = (uint16_t)strtoul(p, &p, 10);
			if (*p == ',')
				p++;
		}
		rc = discv5_findnode(h.d, &n, dist, nd, now_ns(), nodes_cb, &h);
	} else if (!strcmp(argv[1], "talk") && argc == 5) {
		rc = discv5_talk(h.d, &n, (const uint8_t *)argv[3],
				 strlen(argv[3]), (const uint8_t *)argv[4],
				 strlen(argv[4]), now_ns(), talk_cb, &h);
	} else {
		host_close(&h);
		return 2;
	}
	if (rc == 0)
		run(&h, now_ns() + 5000000000ull);
	rc = rc ? rc : h.done ? h.rc : -ETIMEDOUT;
	if (rc)
		fprintf(stderr, "v5node_tool %s: %s\n", argv[1], strerror(-rc));
	host_close(&h);
	return rc ? 1 : 0;
}

struct lk {
	struct host *h;
	uint8_t target[32];
	int found, busy;
};

static void lookup_cb(void *arg, int err, const struct discv5_node *n,
		      unsigned cnt)
{
	struct lk *l = arg;

	l->busy = 0;
	for (unsigned i = 0; !err && i < cnt; i++)
		if (!memcmp(n[i].id, l->target, 32))
			l->found = 1;
}

static int lookup(int argc, char **argv)
{
	struct discv5_node boot;
	struct host h;
	struct lk l;
	uint64_t end;

	if (argc != 5 || parse_node(&boot, argv[2]) < 0 ||
	    strlen(argv[3]) != 64 || hex_decode(l.target, 32, argv[3], 64) < 0)
		return 2;
	if (host_open(&h, "127.0.0.1") < 0 ||
	    discv5_add_bootnode(h.d, &boot) < 0)
		return 1;
	l.h = &h;
	l.found = l.busy = 0;
	end = now_ns() + strtoull(argv[4], NULL, 10) * 1000000000ull;
	while (!l.found && now_ns() < end) {
		if (!l.busy && discv5_lookup(h.d, l.target, now_ns(), lookup_cb,
					     &l) == 0)
			l.busy = 1;
		run(&h, now_ns() + 500000000ull);
	}
	printf("%s\n", l.found ? "found" : "not found");
	host_close(&h);
	return l.found ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "node")) {
		struct discv5_node boot;
		struct host h;
		uint64_t secs = argc > 3 ? strtoull(argv[3], NULL, 10) : 60;

		if (host_open(&h, argc > 2 ? argv[2] : "127.0.0.1") < 0)
			return 1;
		if (argc > 4 && (parse_node(&boot, argv[4]) < 0 ||
				 discv5_add_bootnode(h.d, &boot) < 0))
			return 2;
		print_enr(&h);
		run(&h, now_ns() + secs * 1000000000ull);
		host_close(&h);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "test")) {
		struct v5test_cfg cfg;
		struct discv5_node n;
		int rc;

		if (parse_node(&n, argv[2]) < 0)
			return 2;
		v5test_cfg_default(&cfg, &n);
		cfg.filter = argc > 3 ? argv[3] : NULL;
		rc = v5test_run(&cfg, stdout);
		return rc == 0 ? 0 : 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "lookup"))
		return lookup(argc, argv);
	if (argc >= 3)
		return client(argc, argv);
	fprintf(stderr, "usage: see tests/control/discv5/v5node_tool.c\n");
	return 2;
}
