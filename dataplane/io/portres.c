/* SPDX-License-Identifier: MIT */
/* dataplane/io/portres.c - a kernel UDP socket that holds a listen port
 * (moved out of pktio_afxdp.c, shared with pktio_dpdk.c). */
#include "dataplane/io/portres.h"

#include <errno.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0xff, 0xff };

int portres_bind(struct dplink_listen *l, uint32_t flags)
{
	bool v4 = !memcmp(l->addr, v4mapped, 12);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	/* "ret #0": accept no bytes of any packet, i.e. drop it. */
	struct sock_filter drop[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = drop };
	socklen_t alen;
	int fd, one = 1, rc;

	fd = socket(v4 ? AF_INET : AF_INET6,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Not for port 0: such a bind may land in another reuseport
	 * socket's group (see pktio_socket.c, pick_port()). */
	if (l->port_be)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
				 sizeof(one));
	if (!v4)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				 sizeof(one));
	if ((flags & PORTRES_F_DROP) &&
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (v4) {
		memcpy(&a4.sin_addr, l->addr + 12, 4);
		a4.sin_port = l->port_be;
		rc = bind(fd, (struct sockaddr *)&a4, sizeof(a4));
	} else {
		memcpy(&a6.sin6_addr, l->addr, 16);
		a6.sin6_port = l->port_be;
		rc = bind(fd, (struct sockaddr *)&a6, sizeof(a6));
	}
	alen = sizeof(a6);
	if (rc < 0 || getsockname(fd, (struct sockaddr *)&a6, &alen) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	l->port_be = a6.sin6_port;      /* same offset as sin_port */
	return fd;
}
