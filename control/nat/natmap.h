/* SPDX-License-Identifier: MIT */
/* control/nat/natmap.h - NAT port mapping decisions, sans-I/O. */
#ifndef CONTROL_NATMAP_H
#define CONTROL_NATMAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What geth's p2p/nat and p2p/server_nat.go decide, without the I/O:
 * which gateway protocol to use (--nat upnp, pmp[:GATEWAY] or any: UPnP
 * and NAT-PMP discovered in parallel, the first that answers wins), which
 * port mappings to hold (the UDP discovery port; for `devplane node` also
 * the TCP RLPx port), when to renew them, when to retry, when to re-read
 * the gateway's external IP, and what to publish in the ENR and the enode
 * URL (the external IP; the external port when the gateway gave another
 * one).
 *
 * The engine emits requests (natmap_next_req()) that the host carries
 * out with miniupnpc or libnatpmp off the event loop, and takes their
 * results (natmap_on_result()). It emits events (natmap_next_event()) for
 * what the host publishes or logs. Time is a caller's clock in ns
 * (natmap_next_deadline(), natmap_on_timer()); nothing here blocks,
 * allocates, reads a clock or touches a socket.
 *
 * Schedule, from the lease L (geth: portMapDuration 10 min): a mapping is
 * requested for L and renewed at 4L/5 after it was granted (geth:
 * portMapRefreshInterval 8 min), or at 4/5 of the lifetime the gateway
 * granted when that is shorter; a failed request is retried after L/2
 * (geth: portMapRetryInterval 5 min); after NATMAP_MAX_RETRIES failed
 * renewals in a row the mapping is deleted and requested anew (geth:
 * maxRetries). The external IP is read when the gateway is found and
 * every L/5 (geth: extipRetryInterval 2 min); a change re-publishes it and
 * renews every mapping at once (we may be on a new network). A failed
 * read keeps the published IP (as geth's does) but forgets it, so the next
 * answer renews the mappings. When no gateway answers discovery, it is
 * tried again after L/2 (geth tries once).
 *
 * A first mapping that fails with -EADDRINUSE (an IGDv1 gateway whose
 * port is taken: UPnP error 718) is retried at once on a random external
 * port in [10000, 65535), up to NATMAP_RANDOM_TRIES times (geth's
 * randomCount); NAT-PMP and IGDv2 gateways pick a free port themselves.
 *
 * natmap_stop() asks to delete every mapping held (and any granted later
 * by a request still in flight); natmap_done() says when they are all
 * answered. Not thread-safe: the thread that runs the event loop owns it.
 */

#define NATMAP_LEASE_NS     (600ull * 1000000000ull) /* geth: 10 min */
#define NATMAP_MAX_MAPPINGS 2           /* UDP discovery + TCP RLPx */
#define NATMAP_MAX_RETRIES  5           /* failed renewals before re-mapping */
#define NATMAP_RANDOM_TRIES 3           /* random ports after a conflict */
#define NATMAP_MAX_INFLIGHT 8           /* requests without a result */
#define NATMAP_EV_QUEUE     16          /* events not yet taken */
#define NATMAP_RANDOM_MIN   10000       /* geth: rand in [10000, 65535) */

enum natmap_mech {
	NATMAP_NONE = 0,                /* --nat none: nothing to do */
	NATMAP_EXTIP,                   /* --nat extip:IP: publish it, map nothing */
	NATMAP_UPNP,                    /* UPnP IGD (v1 or v2) */
	NATMAP_PMP,                     /* NAT-PMP (RFC 6886) */
	NATMAP_ANY,                     /* UPnP and NAT-PMP: the first to answer */
};

enum natmap_proto { NATMAP_UDP = 0, NATMAP_TCP = 1 };

enum natmap_op {
	NATMAP_OP_DISCOVER = 1,         /* find the gateway of req.mech */
	NATMAP_OP_EXTIP,                /* read its external IPv4 address */
	NATMAP_OP_MAP,                  /* add or renew a mapping */
	NATMAP_OP_UNMAP,                /* delete a mapping */
};

struct natmap_cfg {
	enum natmap_mech mech;
	uint8_t extip[16];              /* NATMAP_EXTIP: IPv4-mapped or IPv6 */
	uint64_t lease_ns;              /* 0: NATMAP_LEASE_NS; >= 5 s */
	uint64_t seed;                  /* random ports after a conflict */
};

/* One request for the host; it answers each with exactly one result
 * carrying the same id (the engine counts on it). */
struct natmap_req {
	uint32_t id;
	enum natmap_op op;
	enum natmap_mech mech;          /* NATMAP_UPNP or NATMAP_PMP: which client */
	enum natmap_proto proto;        /* MAP, UNMAP */
	uint16_t int_port;              /* MAP, UNMAP: our listen port */
	uint16_t ext_port;              /* MAP: wanted; UNMAP: the mapped one */
	uint32_t lifetime_s;            /* MAP: lease asked for */
};

struct natmap_res {
	uint32_t id;                    /* of the request answered */
	int err;                        /* 0, -ETIMEDOUT (no answer),
					 * -EADDRINUSE (port taken), -errno */
	uint8_t ip[16];                 /* EXTIP: IPv4-mapped */
	uint16_t ext_port;              /* MAP: the port the gateway gave */
	uint32_t lifetime_s;            /* MAP: granted (0: until deleted) */
};

enum natmap_ev_type {
	NATMAP_EV_FOUND = 1,            /* mech's gateway answered first */
	NATMAP_EV_NOT_FOUND,            /* none answered; next try at at_ns */
	NATMAP_EV_EXTIP,                /* publish ip: new or changed */
	NATMAP_EV_EXTIP_FAILED,         /* err; the published IP stays */
	NATMAP_EV_MAPPED,               /* publish proto's ext_port: new or moved */
	NATMAP_EV_RENEWED,              /* proto's lease renewed; next at at_ns */
	NATMAP_EV_MAP_FAILED,           /* err; retries in a row; next at at_ns */
	NATMAP_EV_UNMAPPED,             /* proto's ext_port deleted (err: how) */
};

struct natmap_event {
	enum natmap_ev_type type;
	enum natmap_mech mech;
	enum natmap_proto proto;
	uint16_t int_port, ext_port;
	uint8_t ip[16];
	int err;
	unsigned retries;
	uint64_t at_ns;
};

struct natmap_mapping {
	bool used;
	enum natmap_proto proto;
	uint16_t int_port;
	uint16_t ext_port;              /* granted; 0: none held */
	uint16_t try_port;              /* next MAP's wish (0: int_port) */
	unsigned retries;               /* failed renewals in a row */
	unsigned random_tries;          /* random ports tried since a conflict */
	bool pending;                   /* a MAP or UNMAP in flight */
	uint64_t next_ns;               /* next MAP due */
};

enum natmap_state {
	NATMAP_S_IDLE = 0,              /* none, extip: nothing to ask */
	NATMAP_S_DISCOVER,              /* discovery requests in flight */
	NATMAP_S_WAIT,                  /* none answered; rediscover later */
	NATMAP_S_READY,                 /* found: mapping */
	NATMAP_S_STOPPING,              /* deleting what we hold */
};

struct natmap_flight {                  /* a request without a result yet */
	uint32_t id;                    /* 0: slot free */
	enum natmap_op op;
	enum natmap_mech mech;
	int map;                        /* index into map[] (MAP, UNMAP) */
	uint16_t ext_port;              /* UNMAP: the port being deleted */
};

struct natmap {
	struct natmap_cfg cfg;
	enum natmap_state state;
	enum natmap_mech found;         /* NATMAP_UPNP or NATMAP_PMP once found */
	unsigned disc_left;             /* discovery results still expected */
	uint64_t disc_next_ns;          /* S_WAIT: next discovery */
	bool extip_pending;
	uint64_t extip_next_ns;
	bool has_ip;                    /* last answer (forgotten on failure) */
	uint8_t ip[16];
	struct natmap_mapping map[NATMAP_MAX_MAPPINGS];
	struct natmap_flight fl[NATMAP_MAX_INFLIGHT];
	struct natmap_req rq[NATMAP_MAX_INFLIGHT];      /* not yet taken */
	unsigned rq_head, rq_len;
	struct natmap_event ev[NATMAP_EV_QUEUE];
	unsigned ev_head, ev_len;
	uint64_t ev_dropped;            /* events lost to a full queue */
	uint64_t rng;
	uint32_t next_id;
	uint64_t lease_ns, refresh_ns, retry_ns, extip_ns;
};

/* natmap_init() sets up *m for cfg at now_ns. NATMAP_UPNP, NATMAP_PMP and
 * NATMAP_ANY start discovery (requests ready at once); NATMAP_EXTIP
 * queues one NATMAP_EV_EXTIP; NATMAP_NONE does nothing. Returns 0 or
 * -EINVAL (unknown mech, lease under 5 s). */
int natmap_init(struct natmap *m, const struct natmap_cfg *cfg,
		uint64_t now_ns);

/* natmap_add() asks for a mapping of our int_port for proto, requested as
 * soon as a gateway is known (or at once). Ignored for NATMAP_NONE and
 * NATMAP_EXTIP, which map nothing. Returns 0, -EEXIST (proto mapped
 * already), -ENOSPC (NATMAP_MAX_MAPPINGS) or -EINVAL (port 0, stopping). */
int natmap_add(struct natmap *m, enum natmap_proto proto, uint16_t int_port,
	       uint64_t now_ns);

/* natmap_next_req() moves the next request to carry out into *out.
 * Returns true when there was one. */
bool natmap_next_req(struct natmap *m, struct natmap_req *out);

/* natmap_on_result() takes the host's answer to one request. Results with
 * an unknown id are ignored (returns -ENOENT); otherwise 0. */
int natmap_on_result(struct natmap *m, const struct natmap_res *res,
		     uint64_t now_ns);

/* natmap_next_deadline() is when natmap_on_timer() has something to do
 * (UINT64_MAX: nothing). */
uint64_t natmap_next_deadline(const struct natmap *m);

/* natmap_on_timer() queues the requests due at now_ns. */
void natmap_on_timer(struct natmap *m, uint64_t now_ns);

/* natmap_next_event() moves the oldest event into *out. Returns true when
 * there was one. */
bool natmap_next_event(struct natmap *m, struct natmap_event *out);

/* natmap_stop() stops renewing and queues an UNMAP for every mapping held;
 * one granted later by a request in flight is deleted when its result
 * comes. Idempotent. */
void natmap_stop(struct natmap *m);

/* natmap_done() is true once stopped and no MAP or UNMAP is outstanding
 * (discovery and external-IP reads in flight do not count: the host may
 * abandon them). */
bool natmap_done(const struct natmap *m);

/* natmap_mech_name() is "none", "extip", "upnp", "pmp" or "any". */
const char *natmap_mech_name(enum natmap_mech mech);

#endif /* CONTROL_NATMAP_H */
