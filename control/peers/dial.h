/* SPDX-License-Identifier: MIT */
/* control/peers/dial.h - dial scheduler (geth p2p/dial.go), sans-I/O. */
#ifndef CONTROL_DIAL_H
#define CONTROL_DIAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/base/netutil.h"

/*
 * Decides whom to dial and when; the host opens the sockets. Candidates
 * come from discovery (the host feeds random live table entries with
 * dial_add_candidate(), never bucket heads) and from the static list,
 * which goes first. Rules, as geth's dialScheduler:
 *   - at most max_dialed dialed peers; free slots = min(max_active,
 *     2 * (max_dialed - dialed peers)) - dials in flight; static dials
 *     use the same slots;
 *   - a node is not dialed while connected, while a dial to it is in
 *     flight, or within DIAL_HISTORY_NS of the last dial to it (the history
 *     entry is made when the dial starts, whatever the outcome);
 *   - a dial in flight for DIAL_TIMEOUT_NS is reported by dial_expired()
 *     so the host aborts it;
 *   - a static node is dialed again once its history entry expires and it
 *     is not connected.
 * Every call takes now_ns from the caller's clock.
 */

#define DIAL_HISTORY_NS   (35ull * 1000000000ull)  /* inboundThrottle + 5 s */
#define DIAL_TIMEOUT_NS   (15ull * 1000000000ull)
#define DIAL_MAX_STATIC   64
#define DIAL_MAX_CANDS    64                        /* queued discovery nodes */
#define DIAL_MAX_ACTIVE   16                        /* default in-flight cap */
#define DIAL_HISTORY_SLOTS 1024
#define DIAL_ID_LEN       64

struct dial_target {
	uint8_t id[DIAL_ID_LEN];
	uint8_t ip[NETUTIL_ADDR_LEN];
	uint16_t tcp_port;
	bool is_static;
};

struct dial_inflight {
	struct dial_target t;
	uint64_t started_ns;
	uint64_t handle;                /* the host's session id */
};

struct dial_hist {
	uint8_t id[DIAL_ID_LEN];
	uint64_t until_ns;              /* 0: free */
};

struct dial_conn {
	uint8_t id[DIAL_ID_LEN];
	bool dialed;                    /* counts against max_dialed */
};

struct dial_stats {
	uint64_t started, started_static, succeeded, failed, timed_out;
	uint64_t skipped_history, skipped_connected;
};

struct dial {
	uint8_t self[DIAL_ID_LEN];
	unsigned max_dialed;
	unsigned max_active;
	struct dial_target statics[DIAL_MAX_STATIC];
	size_t n_static;
	struct dial_target cands[DIAL_MAX_CANDS];
	size_t n_cands;
	struct dial_inflight *dialing;  /* max_active entries */
	size_t n_dialing;
	struct dial_conn *conns;        /* connected peers (all directions) */
	size_t n_conns, cap_conns;
	unsigned dialed_peers;
	struct dial_hist hist[DIAL_HISTORY_SLOTS];
	struct dial_stats st;
};

/* dial_init() sets up d for our id self, at most max_dialed dialed peers
 * and max_active dials in flight (0: DIAL_MAX_ACTIVE). Returns 0, -EINVAL
 * or -ENOMEM. */
int dial_init(struct dial *d, const uint8_t self[DIAL_ID_LEN],
	      unsigned max_dialed, unsigned max_active);

/* dial_fini() frees d's arrays. */
void dial_fini(struct dial *d);

/* dial_add_static() adds a static node (dialed first, redialed). Returns
 * 0, -EEXIST, -ENOSPC or -EINVAL (our own id, port 0). */
int dial_add_static(struct dial *d, const struct dial_target *t);

/* dial_add_candidate() queues a discovery node for dialing unless it is
 * ourselves, has no TCP port, is connected, being dialed, in the history
 * or already queued. The queue keeps the newest DIAL_MAX_CANDS. Returns
 * true when queued. */
bool dial_add_candidate(struct dial *d, const struct dial_target *t,
			uint64_t now_ns);

/* dial_free_slots() is how many new dials may start now. */
unsigned dial_free_slots(const struct dial *d);

/* dial_next() picks up to n targets to dial now (static nodes first, then
 * queued candidates in queue order), marks them in flight and records them
 * in the history. Returns how many were written to out. The host must
 * call dial_started() with its handle for each, then dial_done(). */
size_t dial_next(struct dial *d, struct dial_target *out, size_t n,
		 uint64_t now_ns);

/* dial_started() attaches the host's handle (session id) to the dial in
 * flight towards id. Returns 0 or -ENOENT. */
int dial_started(struct dial *d, const uint8_t id[DIAL_ID_LEN],
		 uint64_t handle);

/* dial_done() ends the dial towards id (ok: the handshake succeeded; the
 * host then reports the peer with dial_peer_added()). Returns 0 or
 * -ENOENT. */
int dial_done(struct dial *d, const uint8_t id[DIAL_ID_LEN], bool ok);

/* dial_expired() writes up to n handles of dials in flight for
 * DIAL_TIMEOUT_NS or longer, removes them (counted as timed out) and
 * returns how many. */
size_t dial_expired(struct dial *d, uint64_t *handles, size_t n,
		    uint64_t now_ns);

/* dial_next_deadline() is the earliest of: a dial's timeout, a static
 * node's history expiry (it can be redialed then). UINT64_MAX: none. */
uint64_t dial_next_deadline(const struct dial *d);

/* dial_peer_added() / dial_peer_removed() track connected peers; dialed
 * says whether it counts against max_dialed (a dialed, non-trusted peer).
 * Returns 0, -ENOMEM / -ENOENT. */
int dial_peer_added(struct dial *d, const uint8_t id[DIAL_ID_LEN],
		    bool dialed);
int dial_peer_removed(struct dial *d, const uint8_t id[DIAL_ID_LEN]);

/* dial_is_connected() / dial_is_dialing() / dial_in_history(). */
bool dial_is_connected(const struct dial *d, const uint8_t id[DIAL_ID_LEN]);
bool dial_is_dialing(const struct dial *d, const uint8_t id[DIAL_ID_LEN]);
bool dial_in_history(const struct dial *d, const uint8_t id[DIAL_ID_LEN],
		     uint64_t now_ns);

#endif /* CONTROL_DIAL_H */
