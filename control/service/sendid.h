/* SPDX-License-Identifier: MIT */
/* control/service/sendid.h - sending to a node id, sans-I/O: lookup, dial, wait for the peer with the protocol, send; bounded in time (Spacemesh's SendMessage). */
#ifndef CONTROL_SENDID_H
#define CONTROL_SENDID_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Spacemesh's SendMessage(nodeID, protocol, payload) looks the node up in
 * its DHT, asks the connection pool for a connection (dialing if needed)
 * and sends. One request here runs that as a state machine:
 *
 *   start      endpoint known                    -> DIAL
 *              unknown, discovery on             -> LOOKUP
 *              neither                           -> DONE -EHOSTUNREACH
 *   LOOKUP     found                             -> DIAL
 *              not found, or no TCP port         -> DONE -EHOSTUNREACH
 *   DIAL       dial started, or one is under way -> WAIT
 *              the dial cannot start             -> DONE -EHOSTUNREACH
 *   DIAL/WAIT  the peer is up, runs the protocol -> SEND
 *              it is up without the protocol     -> DONE -EPROTONOSUPPORT
 *              the connection failed or closed   -> DONE -EHOSTUNREACH
 *   any state  the deadline passed               -> DONE -ETIMEDOUT
 *
 * A peer that comes up with the protocol while a request is still in
 * LOOKUP (it dialed us) also ends it with SEND. The owner carries out the
 * actions (discovery lookups, dials, the send itself) and reports back;
 * SEND and DONE end a request (its handle is dead afterwards). Protocols
 * are opaque keys (the owner's protocol objects), compared by address.
 *
 * Sans-I/O: every call takes now; nothing here touches a socket or a
 * clock. Requests are capped (max_reqs); the owner bounds what it keeps
 * per request (the message). One thread owns a struct sendid.
 */

#define SENDID_ID_LEN        64
#define SENDID_MAX_REQS      1024       /* default cap on requests */
#define SENDID_TIMEOUT_NS    (10ull * 1000000000ull)    /* default */

enum sendid_state {
	SENDID_LOOKUP = 1,              /* a discovery lookup is running */
	SENDID_DIAL,                    /* DIAL asked for */
	SENDID_WAIT,                    /* a connection is being set up */
};

enum sendid_kind {
	SENDID_A_LOOKUP = 1,            /* look id up (discovery); report
					 * with sendid_on_lookup(req) */
	SENDID_A_DIAL,                  /* dial id at ip:tcp; report with
					 * sendid_on_dial(req) */
	SENDID_A_SEND,                  /* id is a peer running proto: send
					 * the message now (ends req) */
	SENDID_A_DONE,                  /* req failed with err (ends req) */
};

struct sendid_action {
	enum sendid_kind kind;
	uint64_t req;                   /* the request's handle */
	uint8_t id[SENDID_ID_LEN];      /* its target */
	uint8_t ip[16];                 /* DIAL */
	uint16_t tcp;                   /* DIAL */
	const void *proto;              /* the request's protocol key */
	void *user;                     /* the request's user pointer */
	int err;                        /* DONE: -errno */
};

struct sendid_req {
	struct sendid_req *next;
	uint64_t handle;
	uint8_t id[SENDID_ID_LEN];
	const void *proto;
	void *user;
	enum sendid_state st;
	uint64_t deadline;
};

struct sendid_stats {
	uint64_t started, sent, lookups, dials;
	uint64_t unreachable;           /* DONE -EHOSTUNREACH */
	uint64_t no_proto;              /* DONE -EPROTONOSUPPORT */
	uint64_t timed_out;             /* DONE -ETIMEDOUT */
	uint64_t cancelled;             /* sendid_cancel_all() */
	uint64_t refused;               /* sendid_start() over max_reqs */
};

struct sendid_act;                      /* queued action (sendid.c) */

/* Embedded object: sendid_init() / sendid_fini(). */
struct sendid {
	struct sendid_req *reqs;
	size_t n_reqs, max_reqs;
	uint64_t next_handle;
	struct sendid_act *head, **tail, *cur;
	struct sendid_stats st;
};

/* sendid_init() sets up s for at most max_reqs requests at once (0:
 * SENDID_MAX_REQS). */
void sendid_init(struct sendid *s, size_t max_reqs);

/* sendid_fini() frees every request and queued action without reporting
 * them (call sendid_cancel_all() and drain first to report them). */
void sendid_fini(struct sendid *s);

/* How sendid_start() may reach the node: its endpoint if the owner knows
 * one (table, static list), and whether discovery can look it up. */
struct sendid_route {
	bool has_ep;
	uint8_t ip[16];
	uint16_t tcp;
	bool can_lookup;
};

/* sendid_start() starts a request towards id for protocol key proto, the
 * owner's user pointer kept with it, ending at now + timeout_ns (0:
 * SENDID_TIMEOUT_NS). The owner has checked that id is not already a
 * peer running proto (then it sends at once). Queues DIAL (route has an
 * endpoint), LOOKUP (route can look up) or DONE -EHOSTUNREACH (neither).
 * Returns 0 with *handle set, -ENOSPC (max_reqs: counted), -ENOMEM. */
int sendid_start(struct sendid *s, uint64_t *handle,
		 const uint8_t id[SENDID_ID_LEN], const void *proto,
		 void *user, const struct sendid_route *route,
		 uint64_t timeout_ns, uint64_t now);

/* sendid_on_lookup() reports the lookup of request req: found with the
 * node's endpoint (tcp 0: it has no TCP port), or not. Queues DIAL, or
 * DONE -EHOSTUNREACH. A request no longer in LOOKUP ignores it. */
void sendid_on_lookup(struct sendid *s, uint64_t req, bool found,
		      const uint8_t ip[16], uint16_t tcp, uint64_t now);

/* sendid_on_dial() reports what became of req's DIAL: 0 (started),
 * -EISCONN / -EALREADY (a connection to id exists or is being set up:
 * waits for it too), any other -errno (DONE -EHOSTUNREACH). */
void sendid_on_dial(struct sendid *s, uint64_t req, int err, uint64_t now);

/* sendid_on_peer() reports that id is a peer now, running the protocols
 * protos[0..n): each request towards id ends with SEND if its protocol is
 * among them, else with DONE -EPROTONOSUPPORT (a request still in LOOKUP
 * keeps waiting for its lookup in that case). */
void sendid_on_peer(struct sendid *s, const uint8_t id[SENDID_ID_LEN],
		    const void *const *protos, size_t n, uint64_t now);

/* sendid_on_gone() reports that a connection with id ended before it
 * became a peer (connect, handshake, refusal) or that peer id left:
 * requests towards id in DIAL or WAIT end with DONE -EHOSTUNREACH. */
void sendid_on_gone(struct sendid *s, const uint8_t id[SENDID_ID_LEN],
		    uint64_t now);

/* sendid_cancel_all() ends every request with DONE err (e.g. -ECANCELED
 * when the node stops). */
void sendid_cancel_all(struct sendid *s, int err);

/* sendid_tick() ends requests whose deadline passed (DONE -ETIMEDOUT). */
void sendid_tick(struct sendid *s, uint64_t now);

/* sendid_next_deadline() is the earliest deadline (UINT64_MAX: none). */
uint64_t sendid_next_deadline(const struct sendid *s);

/* sendid_next_action() returns the oldest queued action or NULL; it is
 * valid until the next call into s. */
const struct sendid_action *sendid_next_action(struct sendid *s);

/* sendid_pending() counts requests not ended. */
size_t sendid_pending(const struct sendid *s);

#endif /* CONTROL_SENDID_H */
