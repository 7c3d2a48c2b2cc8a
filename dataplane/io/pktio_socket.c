/* SPDX-License-Identifier: MIT */
/* dataplane/io/pktio_socket.c - the unprivileged backend: UDP sockets,
 * recvmmsg/sendmmsg bursts, one epoll set per queue. */
#include "dataplane/io/pktio_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAKE_TAG UINT32_MAX             /* epoll data of a wake fd */
#define EVENTS   64

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0xff, 0xff };

/* Queue q holds one socket per listen address, bound with SO_REUSEPORT
 * to the same address as the other queues' sockets, so the kernel hashes
 * each source onto one queue. Ready sockets (epoll said readable) are
 * drained in turn until recvmmsg() says EAGAIN. */
struct sq {
	int ep;
	int *fd;                        /* [n_listen] */
	bool *is_ready;                 /* [n_listen] */
	uint32_t *ready;                /* ring of listen indices */
	unsigned r_head, r_cnt;
	struct mmsghdr rmsg[PKTIO_BURST];
	struct iovec riov[PKTIO_BURST];
	struct sockaddr_in6 rsrc[PKTIO_BURST];
	struct mmsghdr tmsg[PKTIO_BURST];
	struct iovec tiov[PKTIO_BURST];
	struct sockaddr_in6 tdst[PKTIO_BURST];
	uint8_t (*buf)[PKTIO_BUF_SIZE];   /* [PKTIO_BURST] */
};

struct sock_pktio {
	struct pktio io;
	struct dplink_listen *listen;   /* [n_listen], ports as bound */
	bool *is_v4;                    /* [n_listen] */
	uint16_t *by_idx;               /* sock_idx -> listen index */
	struct sq *q;                   /* [n_queues] */
};


static int open_one(const struct dplink_listen *l, bool v4, uint16_t port_be,
		    bool reuse)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	int one = 1, fd, rc, bufsz = 4 << 20;

	fd = socket(v4 ? AF_INET : AF_INET6,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
				 sizeof(one)) < 0) ||
	    (!v4 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			       sizeof(one)) < 0))
		goto out_errno;
	/* Bigger buffers absorb bursts while a worker is recovering keys;
	 * the kernel caps them at rmem_max without failing. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	if (v4) {
		memcpy(&sin.sin_addr, l->addr + 12, 4);
		sin.sin_port = port_be;
		rc = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	} else {
		memcpy(&sin6.sin6_addr, l->addr, 16);
		sin6.sin6_port = port_be;
		rc = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6));
	}
	if (rc < 0)
		goto out_errno;
	return fd;

out_errno:
	rc = -errno;
	close(fd);
	return rc;
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_in6 a;
	socklen_t alen = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &alen) < 0)
		return 0;
	/* sin_port and sin6_port share their offset. */
	return a.sin6_port;
}

/* pick_port() chooses the port for a listen address asked for port 0.
 * A port-0 bind with SO_REUSEPORT may land on a port that another
 * reuseport socket of the same user already holds on that address (UDP
 * counts such a port as free) and silently join that socket's group, so
 * the port comes from a plain bind, released just before the queues'
 * sockets take it. */
static int pick_port(const struct dplink_listen *l, bool v4, uint16_t *port_be)
{
	int fd = open_one(l, v4, 0, false);

	if (fd < 0)
		return fd;
	*port_be = bound_port(fd);
	close(fd);
	return *port_be ? 0 : -EADDRNOTAVAIL;
}

static void sock_close(struct pktio *io)
{
	struct sock_pktio *p = (struct sock_pktio *)io;

	if (!p)
		return;
	for (unsigned q = 0; p->q && q < io->n_queues; q++) {
		struct sq *s = &p->q[q];

		for (unsigned i = 0; s->fd && i < io->n_listen; i++)
			if (s->fd[i] >= 0)
				close(s->fd[i]);
		if (s->ep >= 0)
			close(s->ep);
		free(s->fd);
		free(s->is_ready);
		free(s->ready);
		free(s->buf);
	}
	free(p->q);
	free(p->listen);
	free(p->is_v4);
	free(p->by_idx);
	free(p);
}

static int sq_init(struct sq *s, unsigned n_listen)
{
	s->fd = malloc(n_listen * sizeof(*s->fd));
	s->is_ready = calloc(n_listen, sizeof(*s->is_ready));
	s->ready = calloc(n_listen, sizeof(*s->ready));
	s->buf = calloc(PKTIO_BURST, sizeof(*s->buf));
	if (!s->fd || !s->is_ready || !s->ready || !s->buf)
		return -ENOMEM;
	for (unsigned i = 0; i < n_listen; i++)
		s->fd[i] = -1;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0)
		return -errno;
	for (unsigned i = 0; i < PKTIO_BURST; i++) {
		s->riov[i].iov_base = s->buf[i];
		s->riov[i].iov_len = PKTIO_BUF_SIZE;
	}
	return 0;
}

/* open_group() opens listen address i's socket on every queue and adds
 * each to its queue's epoll set. */
static int open_group(struct sock_pktio *p, unsigned i)
{
	struct dplink_listen *l = &p->listen[i];
	bool pick = !l->port_be;
	int rc;

	for (unsigned q = 0; q < p->io.n_queues; q++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		struct sq *s = &p->q[q];
		bool repick = q == 0 && pick;
		unsigned tries = 0;

		/* Another process may take a picked port before queue 0
		 * binds it (between the plain bind's release and ours):
		 * pick again a few times. */
		do {
			if (repick) {
				rc = pick_port(l, p->is_v4[i], &l->port_be);
				if (rc < 0)
					return rc;
			}
			rc = open_one(l, p->is_v4[i], l->port_be, true);
		} while (repick && rc == -EADDRINUSE && ++tries < 8);
		if (rc < 0)
			return rc;
		s->fd[i] = rc;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, rc, &ev) < 0)
			return -errno;
	}
	return 0;
}

static int sock_open(struct pktio **out, const struct pktio_cfg *cfg)
{
	struct sock_pktio *p;
	int rc;

	if (!cfg || !cfg->n_queues || cfg->n_queues > DPLINK_MAX_QUEUES ||
	    !cfg->n_listen || cfg->n_listen > DPLINK_MAX_SOCKS)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->io.ops = &pktio_socket_ops;
	p->io.n_queues = cfg->n_queues;
	p->io.n_listen = cfg->n_listen;
	p->listen = malloc(cfg->n_listen * sizeof(*p->listen));
	p->is_v4 = calloc(cfg->n_listen, sizeof(*p->is_v4));
	p->q = calloc(cfg->n_queues, sizeof(*p->q));
	rc = -ENOMEM;
	if (!p->listen || !p->is_v4 || !p->q)
		goto out_close;
	for (unsigned q = 0; q < cfg->n_queues; q++)
		p->q[q].ep = -1;
	memcpy(p->listen, cfg->listen, cfg->n_listen * sizeof(*p->listen));
	rc = pktio_listen_index(&p->by_idx, p->listen, cfg->n_listen);
	if (rc < 0)
		goto out_close;
	for (unsigned i = 0; i < cfg->n_listen; i++)
		p->is_v4[i] = !memcmp(p->listen[i].addr, v4mapped, 12);
	for (unsigned q = 0; q < cfg->n_queues; q++) {
		rc = sq_init(&p->q[q], cfg->n_listen);
		if (rc < 0)
			goto out_close;
	}
	for (unsigned i = 0; i < cfg->n_listen; i++) {
		rc = open_group(p, i);
		if (rc < 0)
			goto out_close;
	}
	*out = &p->io;
	return 0;

out_close:
	sock_close(&p->io);
	return rc;
}

static void ready_push(struct sq *s, unsigned n_listen, uint32_t i)
{
	if (s->is_ready[i])
		return;
	s->is_ready[i] = true;
	s->ready[(s->r_head + s->r_cnt) % n_listen] = i;
	s->r_cnt++;
}

static unsigned sock_rx_burst(struct pktio *io, unsigned q,
			      struct pktio_pkt *pkts, unsigned n)
{
	struct sock_pktio *p = (struct sock_pktio *)io;
	struct sq *s = &p->q[q];
	unsigned got = 0;

	if (n > PKTIO_BURST)
		n = PKTIO_BURST;
	while (got < n && s->r_cnt) {
		uint32_t i = s->ready[s->r_head];
		unsigned want = n - got;
		int r;

		for (unsigned k = got; k < n; k++) {
			memset(&s->rmsg[k].msg_hdr, 0, sizeof(struct msghdr));
			s->rmsg[k].msg_hdr.msg_iov = &s->riov[k];
			s->rmsg[k].msg_hdr.msg_iovlen = 1;
			s->rmsg[k].msg_hdr.msg_name = &s->rsrc[k];
			s->rmsg[k].msg_hdr.msg_namelen = sizeof(s->rsrc[k]);
		}
		/* MSG_TRUNC: msg_len is the real size, so an oversized
		 * datagram is seen as such by the size check. */
		r = recvmmsg(s->fd[i], &s->rmsg[got], want,
			     MSG_DONTWAIT | MSG_TRUNC, NULL);
		for (int k = 0; k < r; k++) {
			struct pktio_pkt *pk = &pkts[got + k];
			struct mmsghdr *m = &s->rmsg[got + k];
			const struct sockaddr_in6 *a = &s->rsrc[got + k];

			pk->buf = s->buf[got + k];
			pk->len = m->msg_len > UINT16_MAX ?
				  UINT16_MAX : (uint16_t)m->msg_len;
			pk->sock_idx = p->listen[i].sock_idx;
			pk->local_port_be = p->listen[i].port_be;
			pk->peer_port_be = a->sin6_port;
			if (a->sin6_family == AF_INET) {
				const struct sockaddr_in *a4 = (const void *)a;

				memcpy(pk->peer_addr, v4mapped, 12);
				memcpy(pk->peer_addr + 12, &a4->sin_addr, 4);
			} else {
				memcpy(pk->peer_addr, &a->sin6_addr, 16);
			}
		}
		/* Leave the head of the ready ring; a socket that filled the
		 * burst may hold more and goes to the tail, so one busy
		 * source address cannot starve the others. */
		s->r_head = (s->r_head + 1) % io->n_listen;
		s->r_cnt--;
		if (r > 0 && (unsigned)r == want) {
			s->ready[(s->r_head + s->r_cnt) % io->n_listen] = i;
			s->r_cnt++;
			got += want;
			break;
		}
		s->is_ready[i] = false;
		if (r > 0)
			got += (unsigned)r;
	}
	return got;
}

static unsigned sock_tx_burst(struct pktio *io, unsigned q,
			      const struct pktio_pkt *pkts, unsigned n)
{
	struct sock_pktio *p = (struct sock_pktio *)io;
	struct sq *s = &p->q[q];
	unsigned sent = 0, i = 0;

	if (n > PKTIO_BURST)
		n = PKTIO_BURST;
	/* sendmmsg() takes one socket: send each run of packets that share
	 * a sock_idx in one call. */
	while (i < n) {
		uint16_t li = p->by_idx[pkts[i].sock_idx];
		unsigned j = i, m = 0;
		int r;

		if (li == PKTIO_NO_IDX) {
			i++;
			continue;
		}
		while (j < n && pkts[j].sock_idx == pkts[i].sock_idx) {
			const struct pktio_pkt *pk = &pkts[j++];
			bool dst4 = !memcmp(pk->peer_addr, v4mapped, 12);
			struct msghdr *h = &s->tmsg[m].msg_hdr;

			/* A v4 socket cannot reach a v6 peer and a v6-only
			 * socket no v4 one. */
			if (dst4 != p->is_v4[li])
				continue;
			memset(h, 0, sizeof(*h));
			memset(&s->tdst[m], 0, sizeof(s->tdst[m]));
			if (dst4) {
				struct sockaddr_in *a4 = (void *)&s->tdst[m];

				a4->sin_family = AF_INET;
				a4->sin_port = pk->peer_port_be;
				memcpy(&a4->sin_addr, pk->peer_addr + 12, 4);
				h->msg_namelen = sizeof(*a4);
			} else {
				s->tdst[m].sin6_family = AF_INET6;
				s->tdst[m].sin6_port = pk->peer_port_be;
				memcpy(&s->tdst[m].sin6_addr, pk->peer_addr,
				       16);
				h->msg_namelen = sizeof(s->tdst[m]);
			}
			h->msg_name = &s->tdst[m];
			s->tiov[m].iov_base = pk->buf;
			s->tiov[m].iov_len = pk->len;
			h->msg_iov = &s->tiov[m];
			h->msg_iovlen = 1;
			m++;
		}
		for (unsigned k = 0; k < m;) {
			r = sendmmsg(s->fd[li], &s->tmsg[k], m - k,
				     MSG_DONTWAIT);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				k++;    /* skip the one the kernel refused */
				continue;
			}
			sent += (unsigned)r;
			k += (unsigned)r;
		}
		i = j;
	}
	return sent;
}

static int sock_wait(struct pktio *io, unsigned q, int timeout_ms)
{
	struct sock_pktio *p = (struct sock_pktio *)io;
	struct sq *s = &p->q[q];
	struct epoll_event ev[EVENTS];
	int n;

	if (s->r_cnt)
		timeout_ms = 0;
	n = epoll_wait(s->ep, ev, EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int k = 0; k < n; k++)
		if (ev[k].data.u32 != WAKE_TAG)
			ready_push(s, io->n_listen, ev[k].data.u32);
	return 0;
}

static int sock_add_wake_fd(struct pktio *io, unsigned q, int fd)
{
	struct sock_pktio *p = (struct sock_pktio *)io;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = WAKE_TAG };

	if (q >= io->n_queues)
		return -EINVAL;
	return epoll_ctl(p->q[q].ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static uint16_t sock_local_port(const struct pktio *io, unsigned i)
{
	const struct sock_pktio *p = (const struct sock_pktio *)io;

	return i < io->n_listen ? p->listen[i].port_be : 0;
}

const struct pktio_ops pktio_socket_ops = {
	.name = "socket",
	.open = sock_open,
	.close = sock_close,
	.rx_burst = sock_rx_burst,
	.tx_burst = sock_tx_burst,
	.wait = sock_wait,
	.add_wake_fd = sock_add_wake_fd,
	.local_port = sock_local_port,
};
