/* SPDX-License-Identifier: MIT */
/* control/host/ipcserver.h - the admin API's IPC endpoint: JSON-RPC 2.0 on a Unix stream socket on the event loop, with subscriptions pushed to their connections. */
#ifndef CONTROL_IPCSERVER_H
#define CONTROL_IPCSERVER_H
#include <stdbool.h>
#include <stddef.h>

#include "control/api/admin.h"
#include "control/host/loop.h"

/*
 * geth's IPC endpoint: each connection a stream of requests (newline-
 * delimited or concatenated) answered in order, one response line each
 * (control/api/admin.h does the JSON-RPC; this is its transport). Reads
 * stop while a connection's answers wait unread (admin.h's caps), so a
 * client that never reads holds a bounded amount of memory; its
 * subscriptions are dropped past ADMIN_NOTIFY_MAX.
 *
 * The counters go to the loop's metrics (loop_set_admin_stats()). Loop
 * thread only.
 */

#define IPCSERVER_CONNS 16              /* concurrent connections */

struct ipcserver;

/* ipcserver_new() serves provider p (copied; its user must outlive the
 * server; random NULL: getrandom()) on loop l at a Unix socket at path, created with mode 0600. A
 * stale socket file there is replaced; any other file is left alone
 * (-EEXIST). Returns 0, -EINVAL (no path, too long), -ENOMEM or the
 * -errno of socket/bind/listen. */
int ipcserver_new(struct ipcserver **out, struct loop *l, const char *path,
		  const struct admin_provider *p);

/* ipcserver_free() closes every connection and the listener and removes
 * the socket file. NULL is a no-op. */
void ipcserver_free(struct ipcserver *s);

/* ipcserver_has_sub() tells whether any connection holds a subscription
 * of kind (format events only then). */
bool ipcserver_has_sub(const struct ipcserver *s, enum admin_sub_kind kind);

/* ipcserver_notify() sends a notification with result (JSON text of one
 * value, result[0..len)) to every subscription of kind and writes what it
 * can at once. Returns how many were queued. */
int ipcserver_notify(struct ipcserver *s, enum admin_sub_kind kind,
		     const char *result, size_t len);

/* ipcserver_stats() returns the counters. */
const struct loop_admin_stats *ipcserver_stats(const struct ipcserver *s);

#endif /* CONTROL_IPCSERVER_H */
