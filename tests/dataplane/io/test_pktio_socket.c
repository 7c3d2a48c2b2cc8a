/* SPDX-License-Identifier: MIT */
/* tests/dataplane/io/test_pktio_socket.c - the socket backend on loopback:
 * many listen sockets, SO_REUSEPORT queues, rx/tx bursts, oversize. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/test_loopback.h"
#include "dataplane/io/pktio_socket.h"

#define NL 40                           /* listen sockets */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void lo4(struct dplink_listen *l, uint16_t idx)
{
	memset(l, 0, sizeof(*l));
	l->addr[10] = l->addr[11] = 0xff;
	test_loopback4(l->addr + 12);
	l->sock_idx = idx;
}

/* rx_any() collects up to n packets from any queue within timeout. */
static unsigned rx_any(struct pktio *p, struct pktio_pkt *out, unsigned n,
		       double timeout)
{
	static uint8_t keep[PKTIO_BURST * 4][PKTIO_BUF_SIZE];
	double end = now_s() + timeout;
	unsigned got = 0;

	while (got < n && now_s() < end) {
		for (unsigned q = 0; q < p->n_queues && got < n; q++) {
			struct pktio_pkt b[PKTIO_BURST];
			unsigned k;

			assert_int_equal(p->ops->wait(p, q, 5), 0);
			k = p->ops->rx_burst(p, q, b, PKTIO_BURST);
			for (unsigned i = 0; i < k && got < n; i++) {
				/* buf dies at the next rx_burst: copy. */
				memcpy(keep[got], b[i].buf,
				       b[i].len < PKTIO_BUF_SIZE ?
				       b[i].len : PKTIO_BUF_SIZE);
				out[got] = b[i];
				out[got].buf = keep[got];
				got++;
			}
		}
	}
	return got;
}

static void test_pktio_socket_many_sockets_rx_tx(void **st)
{
	struct dplink_listen ls[NL];
	struct pktio_cfg cfg = { .n_queues = 2, .listen = ls, .n_listen = NL };
	struct pktio *p = NULL;
	struct pktio_pkt got[NL], tx;
	struct sockaddr_in me = { .sin_family = AF_INET };
	socklen_t ml = sizeof(me);
	bool seen[NL] = { false };
	uint8_t buf[64];
	int fd;

	(void)st;
	for (unsigned i = 0; i < NL; i++)
		lo4(&ls[i], (uint16_t)(1000 + i));
	assert_int_equal(pktio_socket_ops.open(&p, &cfg), 0);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	test_loopback4((uint8_t *)&me.sin_addr);
	assert_int_equal(bind(fd, (void *)&me, sizeof(me)), 0);
	assert_int_equal(getsockname(fd, (void *)&me, &ml), 0);
	for (unsigned i = 0; i < NL; i++) {
		struct sockaddr_in to = { .sin_family = AF_INET };

		test_loopback4((uint8_t *)&to.sin_addr);
		to.sin_port = p->ops->local_port(p, i);
		assert_int_not_equal(to.sin_port, 0);
		memset(buf, (int)i, sizeof(buf));
		assert_int_equal(sendto(fd, buf, 10 + i, 0, (void *)&to,
					sizeof(to)), (ssize_t)(10 + i));
	}
	assert_int_equal(rx_any(p, got, NL, 2.0), NL);
	for (unsigned i = 0; i < NL; i++) {
		unsigned k = got[i].sock_idx - 1000u;

		assert_true(k < NL);
		assert_false(seen[k]);
		seen[k] = true;
		assert_int_equal(got[i].len, 10 + k);
		assert_int_equal(got[i].buf[0], k);
		assert_int_equal(got[i].local_port_be,
				 p->ops->local_port(p, k));
		assert_int_equal(got[i].peer_port_be, me.sin_port);
		assert_int_equal(got[i].peer_addr[10], 0xff);
		assert_int_equal(got[i].peer_addr[12], 127);
	}
	/* tx from socket 1005 back to us, from any queue. */
	memset(&tx, 0, sizeof(tx));
	tx.buf = buf;
	tx.len = 33;
	tx.sock_idx = 1005;
	tx.peer_port_be = me.sin_port;
	memcpy(tx.peer_addr, ls[0].addr, 16);
	assert_int_equal(p->ops->tx_burst(p, 1, &tx, 1), 1);
	{
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);

		assert_int_equal(poll(&pf, 1, 2000), 1);
		assert_int_equal(recvfrom(fd, buf, sizeof(buf), 0,
					  (void *)&from, &fl), 33);
		assert_int_equal(from.sin_port, p->ops->local_port(p, 5));
	}
	/* Unknown sock_idx and a v6 peer on a v4 socket are not sent. */
	tx.sock_idx = 7;
	assert_int_equal(p->ops->tx_burst(p, 0, &tx, 1), 0);
	tx.sock_idx = 1005;
	memset(tx.peer_addr, 0, 16);
	tx.peer_addr[15] = 1;
	assert_int_equal(p->ops->tx_burst(p, 0, &tx, 1), 0);
	close(fd);
	p->ops->close(p);
}

static void test_pktio_socket_reports_oversize(void **st)
{
	struct dplink_listen l;
	struct pktio_cfg cfg = { .n_queues = 1, .listen = &l, .n_listen = 1 };
	struct pktio *p = NULL;
	struct pktio_pkt got[2];
	static uint8_t big[3000];
	struct sockaddr_in to = { .sin_family = AF_INET };
	int fd;

	(void)st;
	lo4(&l, 0);
	assert_int_equal(pktio_socket_ops.open(&p, &cfg), 0);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	test_loopback4((uint8_t *)&to.sin_addr);
	to.sin_port = p->ops->local_port(p, 0);
	assert_int_equal(sendto(fd, big, sizeof(big), 0, (void *)&to,
				sizeof(to)), (ssize_t)sizeof(big));
	assert_int_equal(rx_any(p, got, 1, 2.0), 1);
	assert_int_equal(got[0].len, sizeof(big));  /* the real size */
	close(fd);
	p->ops->close(p);
}

static void test_pktio_socket_rejects_bad_cfg(void **st)
{
	struct dplink_listen l[2];
	struct pktio_cfg cfg = { .n_queues = 1, .listen = l, .n_listen = 2 };
	struct pktio *p = NULL;

	(void)st;
	lo4(&l[0], 4);
	lo4(&l[1], 4);                  /* duplicate sock_idx */
	assert_int_equal(pktio_socket_ops.open(&p, &cfg), -EINVAL);
	cfg.n_queues = 0;
	assert_int_equal(pktio_socket_ops.open(&p, &cfg), -EINVAL);
	cfg.n_queues = DPLINK_MAX_QUEUES + 1;
	assert_int_equal(pktio_socket_ops.open(&p, &cfg), -EINVAL);
	pktio_socket_ops.close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pktio_socket_many_sockets_rx_tx),
		cmocka_unit_test(test_pktio_socket_reports_oversize),
		cmocka_unit_test(test_pktio_socket_rejects_bad_cfg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
