/* SPDX-License-Identifier: MIT */
/* control/discv4/v4pending.h - the discv4 engine's pending replies: indexed by (node id, IP, reply type), queued by deadline, capped. */
#ifndef CONTROL_V4PENDING_H
#define CONTROL_V4PENDING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/siphash.h"

/*
 * geth's reply matchers (p2p/discover/v4_udp.go, UDPv4.loop): each request
 * waits for a reply of one packet type from one (node id, IP), and is
 * dropped when respTimeout passes. geth keeps them in one list that every
 * reply and every timeout scans, with no cap: its length is the request
 * rate times 500 ms, and Pings from unknown senders (any key, any spoofed
 * address) each add a ping-back to it. Here:
 *   - a hash index by (node id, IP, awaited type), under a secret SipHash
 *     key, finds the requests a reply may answer in O(1);
 *   - a queue in deadline order (every deadline is now + the same
 *     timeout, so appending keeps it sorted while time moves forward)
 *     finds the due ones in O(1); a deadline far beyond now means the
 *     clock went back, and that entry is due at once (geth errClockWarp);
 *   - three caps: all entries, entries created by other nodes' packets
 *     (ping-backs, "unsolicited"), and entries per key. A refused entry is
 *     never created; the caller counts why.
 *
 * Entries are intrusive (struct v4pending_entry inside the caller's
 * request) and owned by the caller: the index only links them. Sans-I/O;
 * one thread owns an index.
 */

struct v4pending_entry {
	struct v4pending_entry *hnext, **hpprev;        /* hash chain */
	struct v4pending_entry *qnext, *qprev;          /* deadline queue */
	uint64_t hash;
	uint64_t deadline;
	uint8_t pub[64];        /* node id (public key) the reply comes from */
	uint8_t ip[16];         /* IPv4-mapped or IPv6 */
	uint8_t rtype;          /* awaited packet type (DISCV4_PONG, ...) */
	bool unsolicited;       /* created by someone else's packet */
};

enum v4pending_refusal {        /* why v4pending_admit() said no */
	V4PENDING_FULL = 1,     /* all entries */
	V4PENDING_UNSOLICITED_FULL,
	V4PENDING_KEY_FULL,     /* this (node id, IP, type) */
};

struct v4pending {
	struct v4pending_entry **tab;
	size_t n_buckets;       /* power of two */
	size_t n, n_unsolicited;
	size_t max, max_unsolicited, max_per_key;
	struct v4pending_entry *head, *tail;            /* earliest first */
	uint8_t key[SIPHASH_KEY_LEN];
};

/* v4pending_init() sets up an empty index with the caps max (entries),
 * max_unsolicited and max_per_key. key is the secret hash key. Returns 0
 * or -ENOMEM. */
int v4pending_init(struct v4pending *p, const uint8_t key[SIPHASH_KEY_LEN],
		   size_t max, size_t max_unsolicited, size_t max_per_key);

/* v4pending_fini() frees the index (not the entries, which the caller
 * owns: empty it first with v4pending_due() or v4pending_remove()). */
void v4pending_fini(struct v4pending *p);

/* v4pending_admit() tells whether an entry (pub, ip, rtype) may be added
 * now: 0, or the enum v4pending_refusal of the first cap it would pass. */
int v4pending_admit(const struct v4pending *p, const uint8_t pub[64],
		    const uint8_t ip[16], uint8_t rtype, bool unsolicited);

/* v4pending_add() links e, whose pub, ip, rtype and unsolicited the caller
 * set, with deadline (now + the timeout) at the back of the queue. The
 * caller checked v4pending_admit(). Never fails (a failed index growth
 * only lengthens chains). */
void v4pending_add(struct v4pending *p, struct v4pending_entry *e,
		   uint64_t deadline);

/* v4pending_remove() unlinks e. */
void v4pending_remove(struct v4pending *p, struct v4pending_entry *e);

/* v4pending_rearm() makes e await rtype until deadline: re-indexed and
 * moved to the back of the queue. */
void v4pending_rearm(struct v4pending *p, struct v4pending_entry *e,
		     uint8_t rtype, uint64_t deadline);

/* v4pending_first() returns the newest entry awaiting rtype from
 * (pub, ip), or NULL; v4pending_next() the next older one with the same
 * key. Adding or removing other entries while walking is not allowed;
 * collect first. */
struct v4pending_entry *v4pending_first(const struct v4pending *p,
					const uint8_t pub[64],
					const uint8_t ip[16], uint8_t rtype);
struct v4pending_entry *v4pending_next(const struct v4pending_entry *e);

/* v4pending_due() returns the earliest entry if its deadline is <= now or
 * more than warp_ns after now (the clock went back), else NULL. It stays
 * linked: the caller removes or rearms it. */
struct v4pending_entry *v4pending_due(const struct v4pending *p, uint64_t now,
				      uint64_t warp_ns);

/* v4pending_deadline() returns the earliest deadline, or UINT64_MAX. */
uint64_t v4pending_deadline(const struct v4pending *p);

/* v4pending_oldest() returns the earliest entry regardless of time, or
 * NULL (to empty the index). */
struct v4pending_entry *v4pending_oldest(const struct v4pending *p);

/* v4pending_count() returns the entries linked; v4pending_unsolicited()
 * those of them created by others' packets. */
size_t v4pending_count(const struct v4pending *p);
size_t v4pending_unsolicited(const struct v4pending *p);

#endif /* CONTROL_V4PENDING_H */
