/* SPDX-License-Identifier: MIT */
/* control/host/dnshost.h - EIP-1459 DNS discovery in the event loop: the
 * sans-I/O client (control/dns/dnsclient.h) driven through c-ares. */
#ifndef CONTROL_DNSHOST_H
#define CONTROL_DNSHOST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/dns/dnsclient.h"
#include "control/host/loop.h"

/*
 * The client says which TXT names to look up; each goes out as one
 * non-blocking ares_query() (class IN, type TXT: no search domains), to
 * the servers of /etc/resolv.conf or to the one server given. c-ares's
 * sockets are watched through loop_fd_watch(), its timeouts and the
 * client's deadlines drive one loop service (loop_add_service()). An
 * answer's TXT records, each joined from its character-strings, go to
 * dnsclient_on_answer(); NXDOMAIN, no TXT, SERVFAIL, a timeout or a
 * malformed answer to dnsclient_on_failure(). The records the client
 * finds are handed to on_node as they come.
 *
 * Loop thread only. The client keeps geth's limits (5 s per lookup, 3
 * lookups per second, burst 10) unless cfg->client says otherwise.
 */

/* A record found in a tree (signature verified). Called from the loop;
 * it must not free the host. */
typedef void dnshost_node_fn(void *user, const struct dnsclient_node *n,
			     uint64_t now_ns);

struct dnshost_cfg {
	const char *const *urls;        /* enrtree://KEY@DOMAIN */
	size_t n_urls;
	bool has_server;                /* else /etc/resolv.conf */
	uint8_t server[16];             /* IPv4-mapped or IPv6 */
	uint16_t server_port;
	struct dnsclient_cfg client;    /* zeros: geth's defaults */
	dnshost_node_fn *on_node;
	void *user;
	int verbosity;                  /* >= 4: each failed lookup on stderr */
};

/* What the resolver said, beyond the client's counters. */
struct dnshost_stats {
	uint64_t queries;               /* lookups started */
	uint64_t answers;               /* answers with TXT records */
	uint64_t nxdomain;              /* no such name */
	uint64_t nodata;                /* the name, but no TXT */
	uint64_t servfail;              /* SERVFAIL or REFUSED */
	uint64_t timeouts;              /* c-ares gave up */
	uint64_t other;                 /* malformed answers, other errors */
	uint64_t nodes;                 /* records handed to on_node */
	/* The last failed lookup: "NAME: REASON". */
	char last_failure[DNSCLIENT_NAME_MAX + 48];
};

struct dnshost;

/* dnshost_new() creates the client with cfg's trees and starts syncing on
 * loop l at its next turn. On -EBADMSG (a URL that is not
 * enrtree://KEY@DOMAIN), *bad is its index. Returns 0, -EBADMSG,
 * -EINVAL (no URL, bad server), -ENOSPC (no loop service slot), -ENOMEM,
 * -EIO (c-ares could not start). */
int dnshost_new(struct dnshost **out, struct loop *l,
		const struct dnshost_cfg *cfg, size_t *bad);

/* dnshost_free() cancels the lookups in flight, closes c-ares's sockets
 * and releases the loop service. NULL is a no-op. */
void dnshost_free(struct dnshost *h);

/* dnshost_pause() stops starting lookups and handing out records (a
 * verifier that has seen enough); answers in flight are still taken. */
void dnshost_pause(struct dnshost *h);

/* dnshost_client() is the client (its stats, trees, dnsclient_synced()). */
const struct dnsclient *dnshost_client(const struct dnshost *h);

/* dnshost_stats() returns the resolver counters. */
const struct dnshost_stats *dnshost_stats(const struct dnshost *h);

/* dnshost_node_endpoint() reads a found record's public key and its
 * endpoint: the IPv4 address ("ip") with tcp or udp, else the IPv6 one
 * ("ip6") with tcp6/udp6 (or tcp/udp). want_tcp picks the TCP port (a
 * dial candidate), else UDP (a discovery seed). Returns 0, or -ENOENT (no
 * key, address or port). */
int dnshost_node_endpoint(const struct enr *r, bool want_tcp,
			  uint8_t pub[64], uint8_t ip[16], uint16_t *port);

/* dnshost_format_stats() writes one line of the client's and the
 * resolver's counters into out[0..cap) (truncated). Returns out. */
char *dnshost_format_stats(const struct dnshost *h, char *out, size_t cap);

#endif /* CONTROL_DNSHOST_H */
