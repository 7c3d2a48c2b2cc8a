/* SPDX-License-Identifier: MIT */
/* control/discv4/v4bond.h - the discv4 engine's endpoint proofs per (node id, IP). */
#ifndef CONTROL_V4BOND_H
#define CONTROL_V4BOND_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/siphash.h"

/*
 * What geth keeps in its node database per (node id, IP) for discv4:
 * lastPongReceived (their valid Pong to our Ping: the endpoint proof that
 * lets us answer their FindNode and ENRRequest), lastPingReceived (they
 * pinged us, so they likely hold our proof) and findfails. Records live
 * in an open-addressed table keyed by a secret SipHash key, so remote
 * peers (who choose both the key and, by spoofing, the IP) cannot aim
 * entries at one probe sequence. At most max records are kept: when full,
 * only records with a live proof survive a rebuild, and new ones are
 * refused until space frees.
 *
 * Sans-I/O; one thread owns a table. Pointers returned stay valid until
 * the next v4bond_get() (which may rebuild the table).
 */

/* EIP-868: did their last Ping or Pong carry an enr-seq (v4bond.seq_state) */
enum { V4BOND_SEQ_UNKNOWN = 0, V4BOND_SEQ_ABSENT, V4BOND_SEQ_PRESENT };

struct v4bond {
	uint8_t state;          /* internal: slot state */
	uint8_t fails;          /* consecutive FindNode failures */
	uint8_t seq_state;      /* V4BOND_SEQ_*: the latest Ping/Pong counts */
	uint8_t ip[16];
	uint8_t pub[64];
	uint64_t pong_rx;       /* their valid Pong to our Ping: we answer */
	uint64_t ping_rx;       /* their Ping: they likely hold our proof */
	uint64_t enr_seq;       /* with V4BOND_SEQ_PRESENT */
};

struct v4bond_table {
	struct v4bond *slots;
	size_t cap, n_used, n_tomb;
	size_t max;             /* records kept at most */
	uint64_t expiry_ns;     /* a proof's lifetime (geth bondExpiration) */
	uint8_t key[SIPHASH_KEY_LEN];
};

/* v4bond_init() empties t. key is the secret hash key (random in
 * production); expiry_ns is the lifetime of a Ping or Pong record; max
 * bounds the records kept (a power of two). Allocates nothing until the
 * first get. */
void v4bond_init(struct v4bond_table *t, const uint8_t key[SIPHASH_KEY_LEN],
		 uint64_t expiry_ns, size_t max);

/* v4bond_fini() frees the records. */
void v4bond_fini(struct v4bond_table *t);

/* v4bond_find() returns the record for (pub, ip), or NULL. */
struct v4bond *v4bond_find(const struct v4bond_table *t, const uint8_t pub[64],
			   const uint8_t ip[16]);

/* v4bond_get() returns the record for (pub, ip), creating a zeroed one;
 * NULL when memory ran out or the table holds max live proofs. */
struct v4bond *v4bond_get(struct v4bond_table *t, const uint8_t pub[64],
			  const uint8_t ip[16], uint64_t now);

/* v4bond_proven() tells whether (pub, ip) answered our Ping with a valid
 * Pong within expiry_ns of now. */
bool v4bond_proven(const struct v4bond_table *t, const uint8_t pub[64],
		   const uint8_t ip[16], uint64_t now);

/* v4bond_pinged() tells whether (pub, ip) pinged us within expiry_ns. */
bool v4bond_pinged(const struct v4bond *b, uint64_t expiry_ns, uint64_t now);

/* v4bond_note_seq() records what b's latest Ping or Pong said about its
 * record (EIP-868: an implementation that knows ENRRequest puts its
 * record's seq in every Ping and Pong). b may be NULL. */
void v4bond_note_seq(struct v4bond *b, bool has_seq, uint64_t seq);

/* v4bond_size() returns the number of records held. */
size_t v4bond_size(const struct v4bond_table *t);

#endif /* CONTROL_V4BOND_H */
