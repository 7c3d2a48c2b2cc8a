/* SPDX-License-Identifier: MIT */
/* control/host/adminipc.h - the admin API's Unix socket server: connections, reads and writes of control/api/admin.h's streams. */
#ifndef CONTROL_ADMINIPC_H
#define CONTROL_ADMINIPC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/api/admin.h"

/*
 * geth's IPC endpoint: JSON-RPC 2.0 on a Unix stream socket, each
 * connection a stream of requests (newline-delimited or concatenated)
 * answered in order, one response line each (admin_stream). The server
 * owns no event loop: it watches its fds through the two functions of
 * struct adminipc_io (the event loop's loop_fd_watch()/loop_fd_unwatch(),
 * see loop_admin_listen() in control/host/loop.h), and is called back
 * on the loop's thread.
 */

#define ADMINIPC_CONNS  16              /* concurrent admin connections */

/* Called when fd is ready (events as epoll reports them). */
typedef void adminipc_ready_fn(void *user, int fd, uint32_t events,
			       uint64_t now_ns);

/* How the server watches its fds: watch() (re)registers fd for events
 * with fn(user, ...) and returns 0 or -errno; unwatch() forgets it. */
struct adminipc_io {
	int (*watch)(void *ctx, int fd, uint32_t events,
		     adminipc_ready_fn *fn, void *user);
	void (*unwatch)(void *ctx, int fd);
	void *ctx;
};

struct adminipc;

/* adminipc_new() serves the admin API with provider p (copied; its user
 * must outlive the server; random NULL: getrandom() for subscription
 * ids) on a Unix socket at path, created with mode
 * 0600. A stale socket file there is replaced; any other file is left
 * alone (-EEXIST). Returns 0, -EINVAL (no path, too long), -ENOMEM or
 * the -errno of socket/bind/listen/watch. */
int adminipc_new(struct adminipc **out, const struct adminipc_io *io,
		 const char *path, const struct admin_provider *p);

/* adminipc_free() closes the listener and the connections and removes
 * the socket file. NULL is a no-op. */
void adminipc_free(struct adminipc *a);

/* adminipc_counters() reads how many connections were refused (all
 * ADMINIPC_CONNS busy) and how many clients were closed for going over a
 * cap of admin.h. */
void adminipc_counters(const struct adminipc *a, uint64_t *refused,
		       uint64_t *over_cap);

/* adminipc_subs_dropped() counts subscriptions dropped because their
 * client fell behind (admin.h ADMIN_NOTIFY_MAX). */
uint64_t adminipc_subs_dropped(const struct adminipc *a);

/* adminipc_has_sub() tells whether a connection holds a subscription of
 * kind (format the events only then). */
bool adminipc_has_sub(const struct adminipc *a, enum admin_sub_kind kind);

/* adminipc_notify() queues a notification with result (JSON text of one
 * value, result[0..len)) for every subscription of kind, on every
 * connection, and writes what it can at once. Returns how many were
 * queued. */
int adminipc_notify(struct adminipc *a, enum admin_sub_kind kind,
		    const char *result, size_t len);

#endif /* CONTROL_ADMINIPC_H */
