/* SPDX-License-Identifier: MIT */
/* tests/dataplane/io/test_portres.c - holding a UDP port in the kernel
 * (loopback, no privileges): the port is taken, picked when 0, and with
 * PORTRES_F_DROP datagrams to it vanish without an ICMP port unreachable
 * (a connected sender would see ECONNREFUSED). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane/io/portres.h"

static void lo4(struct dplink_listen *l, uint16_t port)
{
	memset(l, 0, sizeof(*l));
	l->addr[10] = l->addr[11] = 0xff;
	l->addr[12] = 127;
	l->addr[15] = 1;
	l->port_be = htons(port);
}

/* sender() is a UDP socket connected to 127.0.0.1:port_be, so that an
 * ICMP port unreachable shows as ECONNREFUSED on it. */
static int sender(uint16_t port_be)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = port_be };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* refused() sends one datagram, waits (bounded) for the loopback ICMP
 * and says whether the kernel refused it. */
static int refused(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b[8];

	assert_int_equal(send(fd, "ping", 4, 0), 4);
	(void)poll(&p, 1, 200);
	return recv(fd, b, sizeof(b), MSG_DONTWAIT) < 0 &&
	       errno == ECONNREFUSED;
}

static void test_pick_and_hold(void **st)
{
	struct dplink_listen l, l2;
	int fd, fd2;

	(void)st;
	lo4(&l, 0);
	fd = portres_bind(&l, 0);
	assert_true(fd >= 0);
	assert_int_not_equal(l.port_be, 0);
	/* Held: an unrelated socket cannot bind it (no SO_REUSEPORT). */
	l2 = l;
	fd2 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = l.port_be };

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(fd2, (struct sockaddr *)&a, sizeof(a)),
				 -1);
		assert_int_equal(errno, EADDRINUSE);
	}
	close(fd2);
	/* A second reservation of the fixed port joins the reuseport group
	 * only if the first was made with SO_REUSEPORT too (it was not). */
	assert_int_equal(portres_bind(&l2, 0), -EADDRINUSE);
	close(fd);
}

/* Without the filter the socket receives; with it nothing is queued and
 * nothing is refused; once closed the kernel refuses. */
static void test_drop_filter(void **st)
{
	struct dplink_listen l;
	char b[8];
	int fd, s;

	(void)st;
	lo4(&l, 0);
	fd = portres_bind(&l, 0);
	assert_true(fd >= 0);
	s = sender(l.port_be);
	assert_false(refused(s));
	assert_int_equal(recv(fd, b, sizeof(b), MSG_DONTWAIT), 4);
	close(fd);
	close(s);

	lo4(&l, 0);
	fd = portres_bind(&l, PORTRES_F_DROP);
	assert_true(fd >= 0);
	s = sender(l.port_be);
	for (int i = 0; i < 3; i++)
		assert_false(refused(s));
	assert_int_equal(recv(fd, b, sizeof(b), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	close(fd);
	/* The check above could fail: with the port free, it is refused. */
	assert_true(refused(s));
	close(s);
}

static void test_v6_and_errors(void **st)
{
	struct dplink_listen l;
	int fd;

	(void)st;
	memset(&l, 0, sizeof(l));
	l.addr[15] = 1;                         /* ::1 */
	fd = portres_bind(&l, PORTRES_F_DROP);
	if (fd == -EADDRNOTAVAIL || fd == -EAFNOSUPPORT) {
		skip();                         /* no IPv6 loopback here */
		return;
	}
	assert_true(fd >= 0);
	assert_int_not_equal(l.port_be, 0);
	close(fd);
	/* An address no interface has. */
	lo4(&l, 0);
	l.addr[12] = 192;
	l.addr[13] = 0;
	l.addr[14] = 2;
	l.addr[15] = 1;
	assert_int_equal(portres_bind(&l, 0), -EADDRNOTAVAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick_and_hold),
		cmocka_unit_test(test_drop_filter),
		cmocka_unit_test(test_v6_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
