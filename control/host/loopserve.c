/* SPDX-License-Identifier: MIT */
/* control/host/loopserve.c - the event loop's listeners: Prometheus
 * metrics over HTTP and the admin API (JSON-RPC) on a Unix socket. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/api/metrics.h"
#include "control/host/loop.h"
#include "control/host/loop_priv.h"

ssize_t loop_metrics_text(struct loop *l, char *out, size_t cap)
{
	struct metrics_input in = { 0 };
	uint64_t now = loop_now();
	bool first = true;

	in.n_queues = dplink_n_queues(l->dp);
	if (in.n_queues > DPLINK_MAX_QUEUES)
		in.n_queues = DPLINK_MAX_QUEUES;
	for (unsigned q = 0; q < in.n_queues; q++)
		if (dplink_stats(l->dp, q, l->dpcnt[q]))
			memset(l->dpcnt[q], 0, sizeof(l->dpcnt[q]));
	in.dp = (const uint64_t(*)[DP_CNT_MAX])l->dpcnt;
	for (unsigned i = 0; i < l->n; i++) {
		const struct discv5 *d5 = l->eng[i].d5;

		if (!d5)
			continue;
		in.n_v5++;
		metrics_v5_add(&in.v5, discv5_stats(d5));
		in.v5_table_nodes += discv5_table_size(d5);
		in.v5_sessions += discv5_sessions(d5);
		in.v5_challenges += discv5_challenges(d5);
		in.v5_pending += discv5_pending(d5);
	}
	for (unsigned i = 0; i < l->n; i++) {
		const struct discv4 *d = l->eng[i].d;
		uint64_t sz;

		if (!d)
			continue;
		in.n_engines++;
		metrics_stats_add(&in.eng, discv4_stats(d));
		sz = discv4_table_size(d);
		in.table_nodes += sz;
		in.pending += discv4_pending(d);
		if (first || sz < in.table_min)
			in.table_min = sz;
		if (first || sz > in.table_max)
			in.table_max = sz;
		first = false;
	}
	in.db_commits = l->commits;
	if (l->admin) {
		in.admin_refused = l->admin->refused;
		in.admin_over_cap = l->admin->over_cap;
	}
	in.uptime_s = (now - l->started_ns) / 1000000000ull;
	return metrics_format(out, cap, &in);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

void loop_conn_accept(struct loop *l)
{
	for (;;) {
		int fd = accept4(l->mfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		unsigned i;

		if (fd < 0)
			return;
		for (i = 0; i < LOOP_MAX_CONNS; i++)
			if (l->conns[i].fd < 0)
				break;
		if (i == LOOP_MAX_CONNS ||
		    loop_ep_add(l, fd, TAG_CONN, i)) {
			close(fd);      /* over the limit: shed */
			continue;
		}
		l->conns[i].fd = fd;
		l->conns[i].len = 0;
	}
}

static void write_all(int fd, const char *p, size_t len)
{
	struct timeval tv = { .tv_sec = 1 };
	int fl = fcntl(fd, F_GETFL);

	/* A response is a few tens of KiB: block for at most a second
	 * rather than keep per-connection write state. */
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void respond(struct loop *l, struct conn *c)
{
	char hdr[256];
	const char *status = "200 OK", *body;
	ssize_t blen;
	int hl;

	if (!strncmp(c->buf, "GET /metrics ", 13) ||
	    !strncmp(c->buf, "GET /metrics?", 13)) {
		blen = loop_metrics_text(l, l->mbuf, METRICS_BUF);
		body = l->mbuf;
		if (blen < 0) {
			status = "500 Internal Server Error";
			body = "metrics too large\n";
			blen = (ssize_t)strlen(body);
		}
	} else if (strncmp(c->buf, "GET ", 4)) {
		status = "405 Method Not Allowed";
		body = "only GET /metrics\n";
		blen = (ssize_t)strlen(body);
	} else {
		status = "404 Not Found";
		body = "try /metrics\n";
		blen = (ssize_t)strlen(body);
	}
	hl = snprintf(hdr, sizeof(hdr),
		      "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
		      "Content-Length: %zd\r\nConnection: close\r\n\r\n",
		      status, METRICS_CONTENT_TYPE, blen);
	write_all(c->fd, hdr, (size_t)hl);
	write_all(c->fd, body, (size_t)blen);
	conn_close(c);
}

void loop_conn_read(struct loop *l, unsigned i)
{
	struct conn *c = &l->conns[i];
	ssize_t n;

	if (i >= LOOP_MAX_CONNS || c->fd < 0)
		return;
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (strstr(c->buf, "\r\n\r\n") || strstr(c->buf, "\n\n"))
		respond(l, c);
	else if (c->len >= sizeof(c->buf) - 1)
		conn_close(c);  /* request head too long */
}

/* ---- admin API on a Unix socket (control/api/admin.h) ---------------------- */

static void admin_conn_close(struct loop *l, struct loop_admin_conn *c)
{
	loop_fd_unwatch(l, c->fd);
	close(c->fd);
	c->fd = -1;
	admin_stream_fini(&c->st);
}

/* Writes what is pending; closes when done with a closing or EOF'd
 * connection; otherwise (re)arms EPOLLOUT as needed. */
static void admin_conn_flush(struct loop *l, struct loop_admin_conn *c);

static void on_admin_conn(void *user, int fd, uint32_t ev, uint64_t now)
{
	struct loop *l = user;
	struct loop_admin_conn *c = NULL;
	char buf[16384];

	(void)now;
	for (unsigned i = 0; i < LOOP_ADMIN_CONNS; i++)
		if (l->admin->conns[i].fd == fd)
			c = &l->admin->conns[i];
	if (!c)
		return;
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		/* Read only while the stream takes input: a client that does
		 * not read its answers is not read either (admin.h caps). */
		for (int k = 0; k < 64 && !c->eof &&
		     admin_stream_wants_input(&c->st); k++) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n > 0) {
				int rc = admin_stream_feed(&c->st,
							   &l->admin->prov,
							   buf, (size_t)n);

				if (rc == -ENOMEM)
					c->eof = true;
				if (rc == -EMSGSIZE)
					l->admin->over_cap++;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			c->eof = true;          /* EOF or error */
		}
	}
	admin_conn_flush(l, c);
}

static void admin_conn_flush(struct loop *l, struct loop_admin_conn *c)
{
	const char *d;
	uint32_t ev;
	size_t len;

	while ((len = admin_stream_out(&c->st, &d)) > 0) {
		ssize_t n = send(c->fd, d, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			admin_conn_close(l, c);         /* reader gone */
			return;
		}
		admin_stream_written(&c->st, (size_t)n);
		/* Room again: answer what waited behind the output. */
		if (admin_stream_pump(&c->st, &l->admin->prov) == -EMSGSIZE)
			l->admin->over_cap++;
	}
	len = admin_stream_out(&c->st, &d);
	if (!len && (c->eof || admin_stream_closing(&c->st))) {
		admin_conn_close(l, c);
		return;
	}
	ev = (admin_stream_wants_input(&c->st) && !c->eof ? EPOLLIN : 0) |
	     (len ? EPOLLOUT : 0);
	if (loop_fd_watch(l, c->fd, ev ? ev : EPOLLRDHUP, on_admin_conn, l))
		admin_conn_close(l, c);
}

static void on_admin_accept(void *user, int lfd, uint32_t ev, uint64_t now)
{
	struct loop *l = user;

	(void)ev;
	(void)now;
	for (int k = 0; k < 16; k++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct loop_admin_conn *c = NULL;

		if (fd < 0)
			return;
		for (unsigned i = 0; i < LOOP_ADMIN_CONNS; i++)
			if (l->admin->conns[i].fd < 0)
				c = &l->admin->conns[i];
		if (!c) {
			close(fd);              /* all slots busy */
			l->admin->refused++;
			continue;
		}
		c->fd = fd;
		c->eof = false;
		admin_stream_init(&c->st);
		if (loop_fd_watch(l, fd, EPOLLIN, on_admin_conn, l))
			admin_conn_close(l, c);
	}
}

int loop_admin_listen(struct loop *l, const char *path,
		      const struct admin_provider *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct loop_admin *a;
	struct stat sb;
	mode_t old;
	int fd, rc;

	if (!l || !path || !p || l->admin ||
	    strlen(path) >= sizeof(sa.sun_path) || !*path)
		return -EINVAL;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* A stale socket of an earlier run is replaced, nothing else. */
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode))
			return -EEXIST;
		unlink(path);
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->path = strdup(path);
	a->prov = *p;
	for (unsigned i = 0; i < LOOP_ADMIN_CONNS; i++)
		a->conns[i].fd = -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || !a->path) {
		rc = fd < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	old = umask(0177);              /* the socket file is born 0600 */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (!rc && chmod(path, 0600))
		rc = -errno;
	if (!rc && listen(fd, 16))
		rc = -errno;
	if (rc)
		goto fail_unlink;
	a->fd = fd;
	l->admin = a;
	rc = loop_fd_watch(l, fd, EPOLLIN, on_admin_accept, l);
	if (rc) {
		l->admin = NULL;
		goto fail_unlink;
	}
	return 0;
fail_unlink:
	unlink(path);
fail:
	if (fd >= 0)
		close(fd);
	free(a->path);
	free(a);
	return rc;
}

void loop_admin_close(struct loop *l)
{
	struct loop_admin *a = l->admin;

	if (!a)
		return;
	for (unsigned i = 0; i < LOOP_ADMIN_CONNS; i++)
		if (a->conns[i].fd >= 0)
			admin_conn_close(l, &a->conns[i]);
	loop_fd_unwatch(l, a->fd);
	close(a->fd);
	unlink(a->path);
	free(a->path);
	free(a);
	l->admin = NULL;
}
