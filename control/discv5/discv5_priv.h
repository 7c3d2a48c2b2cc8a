/* SPDX-License-Identifier: MIT */
/* control/discv5/discv5_priv.h - the discv5 engine's shared internals. */
#ifndef CONTROL_DISCV5_PRIV_H
#define CONTROL_DISCV5_PRIV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/discv5/discv5.h"
#include "control/discv5/v5map.h"

/*
 * Not an API: only the engine's own .c files include this. The engine is
 * split by concern: v5engine.c (packets in, sessions, handshakes, lifetime),
 * v5calls.c (our requests and their answers), v5table.c (records, table,
 * revalidation, lookups, FINDNODE answers), v5talk.c (TALKREQ handlers).
 *
 * Ownership: sessions, challenges, calls, peers, records and lookups are
 * heap objects owned by the engine; the maps index them by keys stored
 * inside the objects themselves.
 */

/* Session and challenge key: node id || IP (16) || port (big-endian). */
#define V5_EPKEY_LEN (DISCV5_NODE_ID_LEN + NETUTIL_ADDR_LEN + 2)

struct v5_sess {
	struct v5_sess *prev, *next;    /* LRU list: head is most recent */
	uint8_t key[V5_EPKEY_LEN];
	uint8_t wkey[DISCV5_KEY_LEN];
	uint8_t rkey[DISCV5_KEY_LEN];
	uint32_t nonce_ctr;             /* messages sealed with wkey */
	struct discv5_node node;        /* the remote, as of the handshake */
};

struct v5_chal {                        /* a WHOAREYOU awaiting a handshake */
	struct v5_chal *prev, *next;    /* FIFO, oldest first (by sent) */
	uint8_t key[V5_EPKEY_LEN];
	uint8_t iv[DISCV5_MASKING_IV_LEN];
	uint8_t nonce[DISCV5_GCM_NONCE_LEN];
	uint8_t id_nonce[DISCV5_ID_NONCE_LEN];
	uint64_t enr_seq;
	uint64_t sent;
	uint8_t data[DISCV5_CHALLENGE_LEN];     /* challenge-data */
};

enum v5_kind { CALL_PING = 1, CALL_FINDNODE, CALL_TALK };

enum v5_owner {                         /* who gets a call's outcome */
	OWN_USER = 0,                   /* discv5_ping/findnode/talk caller */
	OWN_REQENR,                     /* discv5_request_enr caller */
	OWN_LOOKUP,                     /* a lookup's FINDNODE */
	OWN_REVAL,                      /* revalidation PING */
	OWN_FETCH,                      /* FINDNODE [0] on a higher enr-seq */
	OWN_RESOLVE,                    /* discv5_resolve's direct ask */
};

struct v5_peer;

struct v5_call {
	struct v5_call *tprev, *tnext;  /* active calls, by deadline */
	struct v5_call *qnext;          /* queued behind the peer's active */
	struct v5_peer *peer;
	uint8_t kind;                   /* enum v5_kind */
	uint8_t owner;                  /* enum v5_owner */
	uint8_t handshakes;             /* WHOAREYOUs answered (<= 1) */
	bool active;
	bool has_nonce;
	int err;                        /* outcome, while chained as failed */
	uint8_t reqid[DISCV5_REQ_ID_MAX];
	uint8_t nonce[DISCV5_GCM_NONCE_LEN];    /* of the last packet sent */
	uint8_t ip[NETUTIL_ADDR_LEN];   /* where the request goes */
	uint16_t port;
	uint64_t deadline;
	struct discv5_node node;
	/* FINDNODE */
	uint16_t n_dist;
	uint16_t dist[DISCV5_FINDNODE_DIST_MAX];
	int total;                      /* NODES expected; -1: none yet */
	unsigned received;
	struct discv5_node *res;
	unsigned n_res, cap_res;
	union {
		discv5_ping_fn *ping;
		discv5_nodes_fn *nodes;
		discv5_enr_fn *enr;
		discv5_talk_fn *talk;
	} cb;
	void *arg;
	void *ctx;                      /* struct v5_lookup or v5_resolve */
	uint16_t pt_len;
	uint8_t pt[];                   /* message-type || RLP */
};

struct v5_peer {                        /* calls to one node id */
	uint8_t id[DISCV5_NODE_ID_LEN];
	struct v5_call *active;
	struct v5_call *qhead, *qtail;
};

struct v5_lk_entry {
	struct discv5_node n;
	bool asked;
};

struct v5_lookup {
	struct v5_lookup *next;
	uint8_t target[DISCV5_NODE_ID_LEN];
	unsigned n_res, inflight;
	struct v5_lk_entry res[KAD_BUCKET_SIZE];
	uint8_t (*seen)[DISCV5_NODE_ID_LEN];
	size_t n_seen, cap_seen;
	bool refresh;                   /* part of a refresh run */
	bool done;
	discv5_nodes_fn *cb;
	void *arg;
	struct v5_resolve *rs;          /* a resolve's fallback lookup */
};

struct v5_resolve {                     /* discv5_resolve() in progress */
	struct discv5_node best;
	bool have;
	discv5_enr_fn *cb;
	void *arg;
};

struct v5_talk_proto {
	uint8_t name[DISCV5_TALK_PROTO_MAX];
	uint8_t len;
	discv5_talk_handler_fn *h;
	void *user;
};

struct v5_talk_slot {                   /* an asynchronous TALKREQ */
	struct v5_talk_slot *prev, *next;       /* used: FIFO; free: list */
	uint32_t gen;
	bool used;
	uint8_t key[V5_EPKEY_LEN];
	uint8_t reqid[DISCV5_REQ_ID_MAX];
	uint8_t reqid_len;
	uint64_t deadline;
};

struct discv5 {
	struct discv5_config cfg;
	struct localnode *ln;
	struct netutil_prefix *netrestrict;
	struct discv5_stats st;
	struct discv5_mask_key mask;    /* our id's: unmasks what we receive */
	struct kad_table tab;

	/* sessions: LRU */
	struct v5map sess_map;
	struct v5_sess *lru_head, *lru_tail;
	size_t n_sess;
	/* challenges: FIFO, each expires DISCV5_HANDSHAKE_TIMEOUT_NS after
	 * it was first sent */
	struct v5map chal_map;
	struct v5_chal *chal_head, *chal_tail;
	/* calls */
	struct v5map peers;             /* id -> struct v5_peer */
	struct v5map nonces;            /* nonce -> active struct v5_call */
	struct v5_call *t_head, *t_tail;
	size_t n_calls;
	/* records of table nodes */
	struct v5map recs;              /* id -> struct discv5_node */
	struct v5_lookup *lookups;
	struct discv5_node *boot;
	size_t n_boot;
	uint64_t refresh_at;
	unsigned refresh_left;
	uint64_t small_retry;
	bool refreshing;
	/* TALKREQ */
	struct v5_talk_proto protos[DISCV5_TALK_PROTOS_MAX];
	unsigned n_protos;
	struct v5_talk_slot *slots;     /* DISCV5_MAX_TALK_ACTIVE, lazily */
	struct v5_talk_slot *slot_free, *slot_head, *slot_tail;
	unsigned n_slots_used;
	/* handshake EC budget: GCRA theoretical arrival times */
	uint64_t hs_k0, hs_k1;
	uint64_t hs_tat;
	uint64_t hs_ip_tat[DISCV5_HS_IP_SLOTS];
	uint64_t resp_timeout;
	bool closing;                   /* discv5_free(): no new requests */
};

/* discv5.c */
void v5_epkey(uint8_t key[V5_EPKEY_LEN], const uint8_t id[DISCV5_NODE_ID_LEN],
	      const uint8_t ip[16], uint16_t port);
int v5_random(struct discv5 *d, uint8_t *buf, size_t len);
bool v5_allowed(const struct discv5 *d, const uint8_t ip[16]);
struct v5_sess *v5_sess_find(struct discv5 *d, const uint8_t id[32],
			     const uint8_t ip[16], uint16_t port);
/* v5_send_message() seals pt with the session to (id, ip, port) and sends
 * it; *nonce_out (may be NULL) gets the nonce. -ENOTCONN without session. */
int v5_send_message(struct discv5 *d, struct v5_sess *s, const uint8_t *pt,
		    size_t pt_len, uint8_t nonce_out[DISCV5_GCM_NONCE_LEN]);
/* v5_send_random() sends the junk packet that starts a handshake. */
int v5_send_random(struct discv5 *d, const uint8_t id[32], const uint8_t ip[16],
		   uint16_t port, uint8_t nonce_out[DISCV5_GCM_NONCE_LEN]);
/* v5_respond() encodes m and sends it on the session to (id, ip, port);
 * counts and returns -ENOTCONN when the session is gone. */
int v5_respond(struct discv5 *d, const uint8_t id[32], const uint8_t ip[16],
	       uint16_t port, const struct discv5_msg *m);
/* v5_handshake_send() answers challenge raw (a WHOAREYOU packet's
 * challenge-data, enr_seq in it) for call c: new session, handshake
 * packet with c's message. */
int v5_handshake_send(struct discv5 *d, struct v5_call *c,
		      const uint8_t challenge[DISCV5_CHALLENGE_LEN],
		      uint64_t enr_seq,
		      uint8_t nonce_out[DISCV5_GCM_NONCE_LEN]);
void v5_seen_hook(struct discv5 *d, const struct discv5_node *n, uint64_t now);

/* v5calls.c */
void v5_on_whoareyou(struct discv5 *d, const struct discv5_header *h,
		     const uint8_t ip[16], uint16_t port, uint64_t now,
		     int *rc);
int v5_on_response(struct discv5 *d, const uint8_t id[32], const uint8_t ip[16],
		   uint16_t port, const struct discv5_msg *m, uint64_t now);
void v5_calls_timeout(struct discv5 *d, uint64_t now);
void v5_calls_cancel_all(struct discv5 *d);
/* v5_call_start() builds a request to n at ip:port (message m, given a
 * fresh request id); returns it or NULL with *err set (-ENOMEM, -ENOBUFS,
 * -EMSGSIZE, -EINVAL, -ECANCELED). The caller sets cb/arg/ctx and then
 * v5_call_submit()s it, which sends or queues it; on a failed first send
 * the call is freed without delivery and the error returned. */
struct v5_call *v5_call_start(struct discv5 *d, const struct discv5_node *n,
			      const uint8_t ip[16], uint16_t port,
			      struct discv5_msg *m, uint8_t owner, uint64_t now,
			      int *err);
int v5_call_submit(struct discv5 *d, struct v5_call *c, uint64_t now);
/* v5_findnode_start() is v5_call_start() for FINDNODE dist[0..n_dist). */
struct v5_call *v5_findnode_start(struct discv5 *d, const struct discv5_node *n,
				  const uint8_t ip[16], uint16_t port,
				  const uint16_t *dist, size_t n_dist,
				  uint8_t owner, uint64_t now, int *rc);
bool v5_fetch_pending(struct discv5 *d, const uint8_t id[32]);

/* v5table.c */
const struct discv5_node *v5_rec_get(const struct discv5 *d,
				     const uint8_t id[32]);
int v5_table_add(struct discv5 *d, const struct discv5_node *n, unsigned flags,
		 uint64_t now);
void v5_serve_findnode(struct discv5 *d, struct v5_sess *s,
		       const uint8_t ip[16], uint16_t port,
		       const struct discv5_msg *m, uint64_t now);
void v5_run_revalidation(struct discv5 *d, uint64_t now);
void v5_refresh_due(struct discv5 *d, uint64_t now);
/* Completions of calls owned by the table side. */
void v5_lookup_result(struct discv5 *d, struct v5_call *c, int err,
		      uint64_t now);
void v5_reval_result(struct discv5 *d, struct v5_call *c, int err,
		     uint64_t enr_seq, uint64_t now);
void v5_fetch_result(struct discv5 *d, struct v5_call *c, int err,
		     uint64_t now);
void v5_resolve_result(struct discv5 *d, struct v5_call *c, int err,
		       uint64_t now);
/* v5_maybe_fetch_enr() starts FINDNODE [0] to node n at ip:port when seq
 * is above the record we hold for it (unless one is under way). */
void v5_maybe_fetch_enr(struct discv5 *d, const struct discv5_node *n,
			const uint8_t ip[16], uint16_t port, uint64_t seq,
			uint64_t now);
void v5_lookups_cancel_all(struct discv5 *d);
void v5_recs_free(struct discv5 *d);
int v5_node_decode(struct discv5_node *out, const uint8_t *rec, size_t len,
		   bool verify);

/* v5talk.c */
void v5_serve_talkreq(struct discv5 *d, struct v5_sess *s, const uint8_t ip[16],
		      uint16_t port, const struct discv5_msg *m, uint64_t now);
void v5_talk_expire(struct discv5 *d, uint64_t now);
uint64_t v5_talk_deadline(const struct discv5 *d);
void v5_talk_free(struct discv5 *d);

#endif /* CONTROL_DISCV5_PRIV_H */
