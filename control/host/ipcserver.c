/* SPDX-License-Identifier: MIT */
/* control/host/ipcserver.c - the admin API's IPC endpoint on the event loop (Unix stream socket, JSON-RPC 2.0, subscriptions). */
#include "control/host/ipcserver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct ipcconn {
	int fd;                         /* -1: free */
	bool eof;
	struct admin_stream st;
};

struct ipcserver {
	struct loop *loop;
	int fd;
	char *path;
	struct admin_provider prov;
	struct ipcconn conns[IPCSERVER_CONNS];
	struct loop_admin_stats st;
	uint64_t subs_dropped_closed;   /* of connections gone */
};

static void sync_stats(struct ipcserver *s)
{
	uint64_t d = s->subs_dropped_closed;

	for (unsigned i = 0; i < IPCSERVER_CONNS; i++)
		if (s->conns[i].fd >= 0)
			d += s->conns[i].st.subs_dropped;
	s->st.subs_dropped = d;
}

static void conn_close(struct ipcserver *s, struct ipcconn *c)
{
	loop_fd_unwatch(s->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	s->subs_dropped_closed += c->st.subs_dropped;
	admin_stream_fini(&c->st);
}

static void on_conn(void *user, int fd, uint32_t ev, uint64_t now);

/* Writes what is pending; closes when done with a closing or EOF'd
 * connection; otherwise (re)arms EPOLLOUT as needed. */
static void conn_flush(struct ipcserver *s, struct ipcconn *c)
{
	const char *d;
	uint32_t ev;
	size_t len;

	while ((len = admin_stream_out(&c->st, &d)) > 0) {
		ssize_t n = send(c->fd, d, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(s, c);       /* reader gone */
			return;
		}
		admin_stream_written(&c->st, (size_t)n);
		/* Room again: answer what waited behind the output. */
		if (admin_stream_pump(&c->st, &s->prov) == -EMSGSIZE)
			s->st.over_cap++;
	}
	len = admin_stream_out(&c->st, &d);
	if (!len && (c->eof || admin_stream_closing(&c->st))) {
		conn_close(s, c);
		return;
	}
	ev = (admin_stream_wants_input(&c->st) && !c->eof ? EPOLLIN : 0) |
	     (len ? EPOLLOUT : 0);
	if (loop_fd_watch(s->loop, c->fd, ev ? ev : EPOLLRDHUP, on_conn, s))
		conn_close(s, c);
}

static void on_conn(void *user, int fd, uint32_t ev, uint64_t now)
{
	struct ipcserver *s = user;
	struct ipcconn *c = NULL;
	char buf[16384];

	(void)now;
	for (unsigned i = 0; i < IPCSERVER_CONNS; i++)
		if (s->conns[i].fd == fd)
			c = &s->conns[i];
	if (!c)
		return;
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		/* Read only while the stream takes input: a client that does
		 * not read its answers is not read either (admin.h caps). */
		for (int k = 0; k < 64 && !c->eof &&
		     admin_stream_wants_input(&c->st); k++) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n > 0) {
				int rc = admin_stream_feed(&c->st, &s->prov,
							   buf, (size_t)n);

				if (rc == -ENOMEM)
					c->eof = true;
				if (rc == -EMSGSIZE)
					s->st.over_cap++;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			c->eof = true;          /* EOF or error */
		}
	}
	conn_flush(s, c);
}

static void on_accept(void *user, int lfd, uint32_t ev, uint64_t now)
{
	struct ipcserver *s = user;

	(void)ev;
	(void)now;
	for (int k = 0; k < 16; k++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ipcconn *c = NULL;

		if (fd < 0)
			return;
		for (unsigned i = 0; i < IPCSERVER_CONNS; i++)
			if (s->conns[i].fd < 0)
				c = &s->conns[i];
		if (!c) {
			close(fd);              /* all slots busy */
			s->st.refused++;
			continue;
		}
		c->fd = fd;
		c->eof = false;
		admin_stream_init(&c->st);
		if (loop_fd_watch(s->loop, fd, EPOLLIN, on_conn, s))
			conn_close(s, c);
	}
}

/* Subscription ids: geth's are random; ours too, unless the provider
 * brings its own source. */
static void sub_random(void *user, uint8_t *buf, size_t len)
{
	(void)user;
	if (getrandom(buf, len, 0) != (ssize_t)len)
		memset(buf, 0, len);    /* then the counter in admin.c */
}

int ipcserver_new(struct ipcserver **out, struct loop *l, const char *path,
		  const struct admin_provider *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ipcserver *s;
	struct stat sb;
	mode_t old;
	int fd, rc;

	*out = NULL;
	if (!l || !path || !p || strlen(path) >= sizeof(sa.sun_path) || !*path)
		return -EINVAL;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* A stale socket of an earlier run is replaced, nothing else. */
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode))
			return -EEXIST;
		unlink(path);
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = l;
	s->path = strdup(path);
	s->prov = *p;
	if (!s->prov.random)
		s->prov.random = sub_random;
	for (unsigned i = 0; i < IPCSERVER_CONNS; i++)
		s->conns[i].fd = -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || !s->path) {
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
	if (!rc)
		rc = loop_fd_watch(l, fd, EPOLLIN, on_accept, s);
	if (rc)
		goto fail_unlink;
	s->fd = fd;
	loop_set_admin_stats(l, &s->st);
	*out = s;
	return 0;
fail_unlink:
	unlink(path);
fail:
	if (fd >= 0)
		close(fd);
	free(s->path);
	free(s);
	return rc;
}

void ipcserver_free(struct ipcserver *s)
{
	if (!s)
		return;
	loop_set_admin_stats(s->loop, NULL);
	for (unsigned i = 0; i < IPCSERVER_CONNS; i++)
		if (s->conns[i].fd >= 0)
			conn_close(s, &s->conns[i]);
	loop_fd_unwatch(s->loop, s->fd);
	close(s->fd);
	unlink(s->path);
	free(s->path);
	free(s);
}

bool ipcserver_has_sub(const struct ipcserver *s, enum admin_sub_kind kind)
{
	for (unsigned i = 0; s && i < IPCSERVER_CONNS; i++)
		if (s->conns[i].fd >= 0 &&
		    admin_stream_has_sub(&s->conns[i].st, kind))
			return true;
	return false;
}

int ipcserver_notify(struct ipcserver *s, enum admin_sub_kind kind,
		     const char *result, size_t len)
{
	int total = 0;

	for (unsigned i = 0; s && i < IPCSERVER_CONNS; i++) {
		struct ipcconn *c = &s->conns[i];
		int n;

		if (c->fd < 0 || !admin_stream_has_sub(&c->st, kind))
			continue;
		n = admin_stream_notify(&c->st, kind, result, len);
		if (n > 0)
			total += n;
		conn_flush(s, c);       /* may close it */
	}
	if (s)
		sync_stats(s);
	return total;
}

const struct loop_admin_stats *ipcserver_stats(const struct ipcserver *s)
{
	return &s->st;
}
