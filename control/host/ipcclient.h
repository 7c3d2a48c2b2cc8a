/* SPDX-License-Identifier: MIT */
/* control/host/ipcclient.h - one request over an IPC (Unix socket)
 * endpoint: the client side of the admin API. */
#ifndef CONTROL_IPCCLIENT_H
#define CONTROL_IPCCLIENT_H
#include <stddef.h>

#define IPCCLIENT_MAX_RESPONSE (64u << 20)      /* refuse larger answers */

/* ipcclient_call() connects to the Unix socket at path, writes req and a
 * newline, and reads up to the first newline of the answer, waiting at
 * most timeout_ms for each read. *resp (malloc'd, NUL-terminated; the
 * caller frees it) gets the line without its newline. Returns 0, or
 * -errno (-ENAMETOOLONG, the connect or read error, -ETIMEDOUT,
 * -ECONNRESET for an answer cut short, -EMSGSIZE beyond
 * IPCCLIENT_MAX_RESPONSE). Blocking: for one-shot commands, never on the
 * event loop. */
int ipcclient_call(char **resp, size_t *resp_len, const char *path,
		   const char *req, unsigned timeout_ms);

#endif /* CONTROL_IPCCLIENT_H */
