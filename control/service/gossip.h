/* SPDX-License-Identifier: MIT */
/* control/service/gossip.h - gossip for the protocol API, sans-I/O: the message envelope, message ids, a bounded seen-cache with expiry. */
#ifndef CONTROL_GOSSIP_H
#define CONTROL_GOSSIP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/siphash.h"

/*
 * Spacemesh's Broadcast (p2p/gossip): a message goes to every neighbour;
 * a node that gossips passes what it receives on to its other neighbours
 * once. Here a gossiped message travels in an envelope, one message code
 * of the subprotocol reserved for it (the control/host/devnode.c side):
 *
 *   envelope = [id: B_32, ttl: P, code: P, payload: B]
 *
 * id names the message network-wide: keccak256 of the origin's node id,
 * the protocol name, a per-origin sequence number, the code and the
 * payload (gossip_msg_id()). A receiver delivers a message whose id it has
 * not seen, remembers the id, and (relaying) forwards the same envelope
 * with ttl - 1 to its other peers while ttl > 1; an id seen before is
 * dropped. ttl is the number of hops left including the one it arrives
 * over: 1 means "deliver, do not forward". A received ttl above
 * GOSSIP_TTL_MAX is cut to it, so no message travels further than
 * GOSSIP_TTL_MAX hops whatever its sender wrote.
 *
 * Ids are not authenticated: a peer can replay or invent them. The cache
 * only stops loops and duplicates; a protocol that needs an author checks
 * a signature in its payload.
 *
 * The seen-cache holds at most cap ids (GOSSIP_SEEN_MAX at most), each
 * for expiry_ns after it was first seen; when full, the oldest entry
 * makes room (counted). Entries are kept in insertion order, so expiry
 * and eviction both take the oldest; lookups go through a SipHash-keyed
 * index (no hash flooding from chosen ids). Every call takes now from the
 * caller's clock. One thread owns a cache.
 */

#define GOSSIP_ID_LEN          32
#define GOSSIP_TTL_MAX         16       /* hops a message may travel */
#define GOSSIP_TTL_DEFAULT     6
#define GOSSIP_SEEN_DEFAULT    4096     /* ids remembered */
#define GOSSIP_SEEN_MAX        (1u << 20)
#define GOSSIP_EXPIRY_DEFAULT  (120ull * 1000000000ull)
#define GOSSIP_ENV_OVERHEAD    64       /* envelope bytes beyond payload */

/* A decoded envelope; payload points into the decoded buffer. */
struct gossip_env {
	uint8_t id[GOSSIP_ID_LEN];
	uint8_t ttl;                    /* 1..GOSSIP_TTL_MAX */
	uint64_t code;
	const uint8_t *payload;
	size_t len;
};

/* gossip_env_encode() writes e as [id, ttl, code, payload] to out[0..cap)
 * (GOSSIP_ENV_OVERHEAD + e->len bytes always suffice). Returns bytes
 * written, -EINVAL (ttl 0 or over GOSSIP_TTL_MAX), -EMSGSIZE. */
ssize_t gossip_env_encode(uint8_t *out, size_t cap, const struct gossip_env *e);

/* gossip_env_decode() reads an envelope from buf[0..len) (elements after
 * payload are ignored, for later versions). A ttl over GOSSIP_TTL_MAX is
 * cut to GOSSIP_TTL_MAX and *clamped (may be NULL) set. Returns bytes
 * consumed, or -EBADMSG (not a list of [B_32, P, P, B], ttl 0, or a
 * malformed item), -EMSGSIZE (truncated). */
ssize_t gossip_env_decode(struct gossip_env *out, bool *clamped,
			  const uint8_t *buf, size_t len);

/* gossip_msg_id() computes a message's id: keccak256(origin (64 bytes) ||
 * proto name || 0x00 || seq (8 bytes, big-endian) || code (8 bytes, big-
 * endian) || payload). */
void gossip_msg_id(uint8_t out[GOSSIP_ID_LEN], const uint8_t origin[64],
		   const char *proto, uint64_t seq, uint64_t code,
		   const uint8_t *payload, size_t len);

struct gossip_seen_ent {
	uint8_t id[GOSSIP_ID_LEN];
	uint64_t expires;
	uint32_t next;                  /* index chain; UINT32_MAX: end */
};

struct gossip_seen_stats {
	uint64_t added;                 /* ids remembered */
	uint64_t hits;                  /* ids seen again */
	uint64_t evicted;               /* pushed out while still valid */
	uint64_t expired;               /* dropped after expiry_ns */
};

/* Embedded object: gossip_seen_init() / gossip_seen_fini(). */
struct gossip_seen {
	struct gossip_seen_ent *ents;   /* ring of cap entries, oldest
					 * at head */
	uint32_t *index;                /* n_index chain heads */
	uint32_t cap, n_index, head, len;
	uint64_t expiry_ns;
	uint8_t key[SIPHASH_KEY_LEN];
	struct gossip_seen_stats st;
};

/* gossip_seen_init() sets up a cache of cap ids (0: GOSSIP_SEEN_DEFAULT),
 * each kept expiry_ns (0: GOSSIP_EXPIRY_DEFAULT), indexed under key (16
 * secret random bytes, copied). Returns 0, -EINVAL (cap over
 * GOSSIP_SEEN_MAX), -ENOMEM. */
int gossip_seen_init(struct gossip_seen *s, uint32_t cap, uint64_t expiry_ns,
		     const uint8_t key[SIPHASH_KEY_LEN]);

/* gossip_seen_fini() frees the arrays. */
void gossip_seen_fini(struct gossip_seen *s);

/* gossip_seen_add() remembers id at now unless it is remembered already.
 * Returns true when id was new (added), false when it was seen within
 * expiry_ns (a duplicate). Expired entries go first; when the cache is
 * full the oldest entry is evicted. */
bool gossip_seen_add(struct gossip_seen *s, const uint8_t id[GOSSIP_ID_LEN],
		     uint64_t now);

/* gossip_seen_has() tells whether id is remembered and not expired. */
bool gossip_seen_has(const struct gossip_seen *s,
		     const uint8_t id[GOSSIP_ID_LEN], uint64_t now);

/* gossip_seen_len() counts the entries held (expired ones included until
 * the next gossip_seen_add()). */
size_t gossip_seen_len(const struct gossip_seen *s);

#endif /* CONTROL_GOSSIP_H */
