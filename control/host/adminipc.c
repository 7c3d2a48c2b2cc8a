/* SPDX-License-Identifier: MIT */
/* control/host/adminipc.c - the admin API's Unix socket server: accepts, reads requests into admin_stream, writes the answers and the subscriptions' notifications back without blocking. */
#include "control/host/adminipc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct admin_conn {
	int fd;                         /* -1: free */
	bool eof;
	struct admin_stream st;
};

struct adminipc {
	int fd;
	char *path;
	struct adminipc_io io;
	struct admin_provider prov;
	struct admin_conn conns[ADMINIPC_CONNS];
	uint64_t refused;               /* connections over ADMINIPC_CONNS */
	uint64_t over_cap;              /* closed for going over a cap */
	uint64_t subs_dropped;          /* of connections closed since */
};

static void admin_conn_close(struct adminipc *a, struct admin_conn *c)
{
	a->io.unwatch(a->io.ctx, c->fd);
	close(c->fd);
	c->fd = -1;
	a->subs_dropped += c->st.subs_dropped;
	admin_stream_fini(&c->st);
}

/* Writes what is pending; closes when done with a closing or EOF'd
 * connection; otherwise (re)arms EPOLLOUT as needed. */
static void admin_conn_flush(struct adminipc *a, struct admin_conn *c);

static void on_admin_conn(void *user, int fd, uint32_t ev, uint64_t now)
{
	struct adminipc *a = user;
	struct admin_conn *c = NULL;
	char buf[16384];

	(void)now;
	for (unsigned i = 0; i < ADMINIPC_CONNS; i++)
		if (a->conns[i].fd == fd)
			c = &a->conns[i];
	if (!c)
		return;
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		/* Read only while the stream takes input: a client that does
		 * not read its answers is not read either (admin.h caps). */
		for (int k = 0; k < 64 && !c->eof &&
		     admin_stream_wants_input(&c->st); k++) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n > 0) {
				int rc = admin_stream_feed(&c->st, &a->prov,
							   buf, (size_t)n);

				if (rc == -ENOMEM)
					c->eof = true;
				if (rc == -EMSGSIZE)
					a->over_cap++;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			c->eof = true;          /* EOF or error */
		}
	}
	admin_conn_flush(a, c);
}

static void admin_conn_flush(struct adminipc *a, struct admin_conn *c)
{
	const char *d;
	uint32_t ev;
	size_t len;

	while ((len = admin_stream_out(&c->st, &d)) > 0) {
		ssize_t n = send(c->fd, d, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			admin_conn_close(a, c);         /* reader gone */
			return;
		}
		admin_stream_written(&c->st, (size_t)n);
		/* Room again: answer what waited behind the output. */
		if (admin_stream_pump(&c->st, &a->prov) == -EMSGSIZE)
			a->over_cap++;
	}
	len = admin_stream_out(&c->st, &d);
	if (!len && (c->eof || admin_stream_closing(&c->st))) {
		admin_conn_close(a, c);
		return;
	}
	ev = (admin_stream_wants_input(&c->st) && !c->eof ? EPOLLIN : 0) |
	     (len ? EPOLLOUT : 0);
	if (a->io.watch(a->io.ctx, c->fd, ev ? ev : EPOLLRDHUP, on_admin_conn,
			a))
		admin_conn_close(a, c);
}

static void on_admin_accept(void *user, int lfd, uint32_t ev, uint64_t now)
{
	struct adminipc *a = user;

	(void)ev;
	(void)now;
	for (int k = 0; k < 16; k++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct admin_conn *c = NULL;

		if (fd < 0)
			return;
		for (unsigned i = 0; i < ADMINIPC_CONNS; i++)
			if (a->conns[i].fd < 0)
				c = &a->conns[i];
		if (!c) {
			close(fd);              /* all slots busy */
			a->refused++;
			continue;
		}
		c->fd = fd;
		c->eof = false;
		admin_stream_init(&c->st);
		if (a->io.watch(a->io.ctx, fd, EPOLLIN, on_admin_conn, a))
			admin_conn_close(a, c);
	}
}

/* Subscription ids are random, as geth's, unless the provider brings
 * its own source. */
static void sub_random(void *user, uint8_t *buf, size_t len)
{
	(void)user;
	if (getrandom(buf, len, 0) != (ssize_t)len)
		memset(buf, 0, len);    /* then admin.c's counter */
}

int adminipc_new(struct adminipc **out, const struct adminipc_io *io,
		 const char *path, const struct admin_provider *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct adminipc *a;
	struct stat sb;
	mode_t old;
	int fd, rc;

	*out = NULL;
	if (!io || !io->watch || !io->unwatch || !path || !p ||
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
	a->io = *io;
	a->prov = *p;
	if (!a->prov.random)
		a->prov.random = sub_random;
	for (unsigned i = 0; i < ADMINIPC_CONNS; i++)
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
	if (!rc)
		rc = io->watch(io->ctx, fd, EPOLLIN, on_admin_accept, a);
	if (rc)
		goto fail_unlink;
	a->fd = fd;
	*out = a;
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

void adminipc_free(struct adminipc *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < ADMINIPC_CONNS; i++)
		if (a->conns[i].fd >= 0)
			admin_conn_close(a, &a->conns[i]);
	a->io.unwatch(a->io.ctx, a->fd);
	close(a->fd);
	unlink(a->path);
	free(a->path);
	free(a);
}

void adminipc_counters(const struct adminipc *a, uint64_t *refused,
		       uint64_t *over_cap)
{
	*refused = a ? a->refused : 0;
	*over_cap = a ? a->over_cap : 0;
}

uint64_t adminipc_subs_dropped(const struct adminipc *a)
{
	uint64_t n = a ? a->subs_dropped : 0;

	for (unsigned i = 0; a && i < ADMINIPC_CONNS; i++)
		if (a->conns[i].fd >= 0)
			n += a->conns[i].st.subs_dropped;
	return n;
}

bool adminipc_has_sub(const struct adminipc *a, enum admin_sub_kind kind)
{
	for (unsigned i = 0; a && i < ADMINIPC_CONNS; i++)
		if (a->conns[i].fd >= 0 &&
		    admin_stream_has_sub(&a->conns[i].st, kind))
			return true;
	return false;
}

int adminipc_notify(struct adminipc *a, enum admin_sub_kind kind,
		    const char *result, size_t len)
{
	int total = 0;

	for (unsigned i = 0; a && i < ADMINIPC_CONNS; i++) {
		struct admin_conn *c = &a->conns[i];
		int n;

		if (c->fd < 0 || !admin_stream_has_sub(&c->st, kind))
			continue;
		n = admin_stream_notify(&c->st, kind, result, len);
		if (n > 0)
			total += n;
		admin_conn_flush(a, c);         /* may close it */
	}
	return total;
}
