/* SPDX-License-Identifier: MIT */
/* control/host/loopserve.c - the event loop's listeners: Prometheus
 * metrics over HTTP, and the admin socket (control/host/adminipc.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
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
	adminipc_counters(l->admin, &in.admin_refused, &in.admin_over_cap);
	in.admin_subs_dropped = adminipc_subs_dropped(l->admin);
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

/* ---- admin API on a Unix socket (control/host/adminipc.h) ---------------- */

static int admin_watch(void *ctx, int fd, uint32_t events,
		       adminipc_ready_fn *fn, void *user)
{
	return loop_fd_watch(ctx, fd, events, fn, user);
}

static void admin_unwatch(void *ctx, int fd)
{
	loop_fd_unwatch(ctx, fd);
}

int loop_admin_listen(struct loop *l, const char *path,
		      const struct admin_provider *p)
{
	struct adminipc_io io = { .watch = admin_watch,
				  .unwatch = admin_unwatch, .ctx = l };

	if (!l || l->admin)
		return -EINVAL;
	return adminipc_new(&l->admin, &io, path, p);
}

void loop_admin_close(struct loop *l)
{
	adminipc_free(l->admin);
	l->admin = NULL;
}

struct adminipc *loop_adminipc(const struct loop *l)
{
	return l->admin;
}
