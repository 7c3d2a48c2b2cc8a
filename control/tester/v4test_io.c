/* SPDX-License-Identifier: MIT */
/* control/tester/v4test_io.c - kernel UDP sockets for the discv4 conformance tester. */
#include "control/tester/v4test_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0xff, 0xff };

static bool is_v4(const uint8_t a[16])
{
	return memcmp(a, v4mapped, sizeof(v4mapped)) == 0;
}

static socklen_t to_sockaddr(struct sockaddr_storage *ss,
			     const uint8_t a[16], uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (is_v4(a)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a + 12, 4);
		return sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a, 16);
		return sizeof(*s6);
	}
}

static void from_sockaddr(uint8_t a[16], uint16_t *port,
			  const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		memcpy(a, v4mapped, sizeof(v4mapped));
		memcpy(a + 12, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
	} else {
		const struct sockaddr_in6 *s6 =
			(const struct sockaddr_in6 *)ss;

		memcpy(a, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
	}
}

int v4test_io_open(const uint8_t addr[16], uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(&ss, addr, 0);
	uint8_t bound[16];
	int fd, rc;

	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		goto fail;
	from_sockaddr(bound, port, &ss);
	return fd;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

int v4test_io_send(int fd, const uint8_t addr[16], uint16_t port,
		   const uint8_t *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(&ss, addr, port);

	if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) < 0)
		return -errno;
	return 0;
}

ssize_t v4test_io_recv(int fd, uint8_t *buf, size_t cap, uint8_t from[16],
		       uint16_t *from_port, uint64_t deadline_ms)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	ssize_t n;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = v4test_io_now_ms();
		int rc;

		if (now >= deadline_ms)
			return -ETIMEDOUT;
		rc = poll(&pfd, 1, (int)(deadline_ms - now));
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc <= 0)
			continue;
		sl = sizeof(ss);
		n = recvfrom(fd, buf, cap, MSG_TRUNC, (struct sockaddr *)&ss,
			     &sl);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		from_sockaddr(from, from_port, &ss);
		return n;
	}
}

void v4test_io_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

uint64_t v4test_io_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t v4test_io_unix_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}
