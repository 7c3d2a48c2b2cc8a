/* SPDX-License-Identifier: MIT */
/* control/dns/dnsclient.h - EIP-1459 DNS discovery client, sans-I/O: it
 * says which TXT names to look up, takes the answers with the time, and
 * hands out the node records it found. The host does the DNS (c-ares).
 *
 * Behaviour follows geth's p2p/dnsdisc random iterator (client.go,
 * sync.go): per tree, the root is resolved and its signature checked
 * against the URL's key; the link subtree is walked first, in order, and
 * every link found becomes a tree of its own (link GC as geth's
 * linkCache); then ENR leaves are resolved in random order, starting over
 * once all were seen. Every entry must hash to the name it was found at.
 * The root is re-resolved every recheck interval and after more than
 * DNSCLIENT_LEAF_FAILS failed leaf lookups. Entry lookups, cache hits
 * included, pass a token bucket (rate/s, burst); root lookups do not, but
 * wait 5 s (10 s) after more than 5 (20) failures in a row. Unlike geth, a
 * root whose seq is below one already seen for the tree is refused
 * (dnsdisc.md, client protocol step 2).
 *
 * Work is demand driven, as geth's iterator: the client looks entries up
 * only while its node queue (cfg.queue_len) has room, so a host that
 * stops draining it stops the lookups.
 *
 * Host loop (one thread; the client is not thread-safe):
 *   while (dnsclient_next_query(c, &q, now) == 0)
 *           start a TXT lookup of q.name, remember q.id;
 *   while (dnsclient_next_node(c, &n) == 0)
 *           use n.enr;
 *   sleep until an answer arrives or dnsclient_next_deadline(c);
 *   answer:  dnsclient_on_answer(c, id, txts, lens, count, now), where
 *            each TXT record's character-strings are already joined into
 *            one string (c-ares gives them apart); NXDOMAIN, SERVFAIL,
 *            no TXT at all or any other error: dnsclient_on_failure().
 *   and call next_query() again after each answer, at the deadline and
 *   after draining nodes.
 * The client times queries out itself after cfg.timeout_ns (5 s); an
 * answer after that gets -ENOENT and is ignored, so the host may just
 * drop late answers or cancel the lookup. Times are nanoseconds of any
 * monotonic clock, never read here. */
#ifndef CONTROL_DNS_DNSCLIENT_H
#define CONTROL_DNS_DNSCLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/enr.h"
#include "control/dns/dnstree.h"

#define DNSCLIENT_NAME_MAX \
	(DNSTREE_HASH_TEXT_MAX + 1 + DNSTREE_DOMAIN_MAX + 1)
#define DNSCLIENT_LEAF_FAILS 5          /* geth rootRecheckFailCount */

struct dnsclient_cfg {                  /* 0 in a field: geth's default */
	uint64_t timeout_ns;            /* per lookup: 5 s */
	uint64_t recheck_ns;            /* root re-check: 30 min */
	size_t cache_limit;             /* cached entries: 1000 */
	unsigned rate;                  /* entry lookups per second: 3 */
	unsigned burst;                 /* token bucket depth: 10 */
	size_t queue_len;               /* nodes held for the host: 16 */
	size_t max_trees;               /* trees, linked ones included: 64 */
	size_t max_links;               /* link-cache edges: 1024 */
	uint64_t seed;                  /* random walk order */
};

struct dnsclient_query {
	uint64_t id;                    /* pass back with the answer */
	char name[DNSCLIENT_NAME_MAX];  /* TXT name, no trailing dot */
};

struct dnsclient_node {
	struct enr enr;                 /* decoded, signature verified (v4) */
	char domain[DNSTREE_DOMAIN_MAX + 1]; /* the tree it came from */
};

struct dnsclient_stats {
	uint64_t queries;               /* lookups handed to the host */
	uint64_t answers;               /* answers taken */
	uint64_t failures;              /* reported failures */
	uint64_t timeouts;              /* lookups timed out here */
	uint64_t late;                  /* answers for no pending lookup */
	uint64_t cache_hits;
	uint64_t roots;                 /* roots accepted */
	uint64_t bad_roots;             /* none, malformed, bad sig, old seq */
	uint64_t hash_mismatch;         /* entry does not hash to its name */
	uint64_t bad_entries;           /* malformed, no entry, wrong subtree */
	uint64_t nodes;                 /* records queued for the host */
	uint64_t links;                 /* links followed */
	uint64_t refused_links;         /* over max_trees or max_links */
};

struct dnsclient;

/* dnsclient_new() makes a client with cfg (NULL: all defaults). Returns
 * 0 or -ENOMEM. */
int dnsclient_new(struct dnsclient **out, const struct dnsclient_cfg *cfg);

/* dnsclient_free() frees c and everything it holds; NULL is a no-op. */
void dnsclient_free(struct dnsclient *c);

/* dnsclient_add_tree() adds an enrtree://<key>@<domain> URL to sync.
 * Returns 0, -EBADMSG (not a valid URL, see dnstree_parse_link()),
 * -EEXIST (already added), -ENOSPC (max_links), -ENOMEM. */
int dnsclient_add_tree(struct dnsclient *c, const char *url);

/* dnsclient_next_query() does everything due at now (timeouts, cache
 * hits, link bookkeeping) and fills *q with the next lookup the host must
 * make. Returns 0 (a lookup in *q) or -EAGAIN (nothing now: see
 * dnsclient_next_deadline()). */
int dnsclient_next_query(struct dnsclient *c, struct dnsclient_query *q,
			 uint64_t now);

/* dnsclient_on_answer() takes the TXT records txt[i][0..len[i]) found for
 * lookup id (n may be 0: no TXT records, a failure). The client keeps no
 * pointer into them. Returns 0, or -ENOENT (no such pending lookup: late,
 * timed out or its tree was dropped; ignored). A bad answer is counted
 * and handled as geth does, not returned as an error. */
int dnsclient_on_answer(struct dnsclient *c, uint64_t id,
			const char *const txt[], const size_t len[], size_t n,
			uint64_t now);

/* dnsclient_on_failure() reports that lookup id failed. Returns 0 or
 * -ENOENT as dnsclient_on_answer(). */
int dnsclient_on_failure(struct dnsclient *c, uint64_t id, uint64_t now);

/* dnsclient_next_node() moves the oldest found record into *out. Returns 0
 * or -EAGAIN (none). */
int dnsclient_next_node(struct dnsclient *c, struct dnsclient_node *out);

/* dnsclient_next_deadline() is the earliest time next_query() may have
 * something to do (a timeout, a rate token, a root re-check or back-off);
 * it may be in the past. UINT64_MAX: nothing until an answer arrives or
 * the node queue is drained. */
uint64_t dnsclient_next_deadline(const struct dnsclient *c);

/* dnsclient_stats() returns the counters. */
const struct dnsclient_stats *dnsclient_stats(const struct dnsclient *c);

/* dnsclient_tree_count() is the number of trees, linked ones included. */
size_t dnsclient_tree_count(const struct dnsclient *c);

/* What one tree's first walk under its current root found. Counts start
 * over when a new root changes a subtree. */
struct dnsclient_tree_info {
	char url[DNSTREE_LINK_TEXT_MAX];        /* enrtree://<key>@<domain> */
	char domain[DNSTREE_DOMAIN_MAX + 1];
	bool has_root;                  /* a root was accepted */
	uint64_t seq;                   /* its seq */
	bool synced;                    /* both subtrees walked to the end */
	size_t entries;                 /* branches and leaves resolved in
					 * that walk (the root not counted) */
	size_t records;                 /* of which ENR leaves */
	size_t links;                   /* of which link leaves */
	unsigned root_failures;         /* root lookups failed or refused
					 * since the last good one */
};

/* dnsclient_tree_info() fills *out for tree i (0..tree_count() - 1, in no
 * fixed order: a dropped link reorders). Returns 0 or -ENOENT. */
int dnsclient_tree_info(const struct dnsclient *c, size_t i,
			struct dnsclient_tree_info *out);

/* dnsclient_synced() is true once every tree known, linked ones included,
 * has its root and has been walked to the end once (each record was
 * queued once): what a verifier waits for. A tree whose lookups keep
 * failing never gets there. */
bool dnsclient_synced(const struct dnsclient *c);

#endif /* CONTROL_DNS_DNSCLIENT_H */
