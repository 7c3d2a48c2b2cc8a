/* SPDX-License-Identifier: MIT */
/* control/peers/server.h - RLPx server admission rules (geth p2p/server.go), sans-I/O. */
#ifndef CONTROL_SERVER_H
#define CONTROL_SERVER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/base/netutil.h"

/*
 * The bookkeeping of an RLPx server without any socket: the host
 * (control/peers/sesshost.c) asks before it accepts, after each handshake and when
 * a peer goes away; every call takes now_ns from the caller's clock.
 *
 *   server_inbound_begin()  a TCP connection was accepted: netrestrict,
 *                           the pending-handshake cap (--maxpendpeers) and
 *                           the per-IP inbound throttle (30 s, LAN
 *                           exempt). On success a pending slot is taken.
 *   server_pending_end()    that connection finished its handshakes or
 *                           died: the slot is freed.
 *   server_add_peer()       a handshake authenticated a remote id: the
 *                           self and duplicate checks, then maxpeers (a
 *                           trusted node bypasses it) and, for inbound
 *                           connections, maxpeers minus the dial share.
 *                           Returns a p2p Disconnect reason to refuse with,
 *                           or 0 and the peer is in the set.
 *   server_remove_peer()    the peer is gone.
 *
 * The dial share (geth's DialRatio 3): at most max(1, maxpeers / 3) of the
 * peers are dialed by us, the rest are left for inbound connections.
 */

#define SERVER_DEFAULT_MAX_PEERS   50
#define SERVER_DEFAULT_MAX_PENDING 50            /* geth defaultMaxPendingPeers */
#define SERVER_DIAL_RATIO          3              /* geth defaultDialRatio */
#define SERVER_INBOUND_THROTTLE_NS (30ull * 1000000000ull)
#define SERVER_MAX_TRUSTED         64
#define SERVER_THROTTLE_SLOTS      1024           /* IPs remembered */
#define SERVER_ID_LEN              64

/* Why server_inbound_begin() refused a connection. */
enum server_refuse {
	SERVER_OK = 0,
	SERVER_REFUSE_NETRESTRICT,
	SERVER_REFUSE_PENDING,          /* --maxpendpeers reached */
	SERVER_REFUSE_THROTTLE,         /* same IP within 30 s */
};

struct server_cfg {
	const uint8_t *self_id;         /* our 64-byte public key */
	unsigned max_peers;             /* 0: no peers at all */
	unsigned max_pending;           /* 0: SERVER_DEFAULT_MAX_PENDING */
	bool no_dial;                   /* dial share 0 */
	const struct netutil_prefix *netrestrict;   /* NULL/0: any */
	size_t n_netrestrict;
};

struct server_peer {
	uint8_t id[SERVER_ID_LEN];
	uint64_t session;
	bool inbound;
	bool trusted;
};

struct server_throttle {
	uint8_t ip[NETUTIL_ADDR_LEN];
	uint64_t until_ns;              /* 0: free */
};

struct server_stats {
	unsigned pending;               /* now */
	unsigned pending_max;           /* highest ever */
	uint64_t accepted;              /* server_inbound_begin() successes */
	uint64_t refused[4];            /* by enum server_refuse */
	uint64_t refused_peer[256];     /* server_add_peer() by reason */
};

struct server {
	struct server_cfg cfg;
	uint8_t self[SERVER_ID_LEN];
	uint8_t trusted[SERVER_MAX_TRUSTED][SERVER_ID_LEN];
	size_t n_trusted;
	struct server_peer *peers;      /* max_peers + SERVER_MAX_TRUSTED */
	size_t n_peers, cap_peers;
	unsigned n_inbound;
	struct server_throttle throttle[SERVER_THROTTLE_SLOTS];
	struct server_stats st;
};

/* server_init() copies cfg (netrestrict is referenced, not copied) and
 * allocates the peer set. Returns 0, -EINVAL (no self id) or -ENOMEM. */
int server_init(struct server *s, const struct server_cfg *cfg);

/* server_fini() frees the peer set. */
void server_fini(struct server *s);

/* server_add_trusted() marks id as trusted (bypasses maxpeers). Returns 0,
 * -ENOSPC (SERVER_MAX_TRUSTED) or -EEXIST. */
int server_add_trusted(struct server *s, const uint8_t id[SERVER_ID_LEN]);

/* server_remove_trusted() takes id out of the trusted set; a connected
 * peer stays connected but is no longer reported trusted (geth's
 * RemoveTrustedPeer). Returns 0 or -ENOENT. */
int server_remove_trusted(struct server *s, const uint8_t id[SERVER_ID_LEN]);

/* server_is_trusted() tells whether id was added as trusted. */
bool server_is_trusted(const struct server *s, const uint8_t id[SERVER_ID_LEN]);

/* server_max_dialed() is the dial share: 0 with no_dial or max_peers 0,
 * else max(1, max_peers / SERVER_DIAL_RATIO). */
unsigned server_max_dialed(const struct server *s);

/* server_max_inbound() is max_peers - server_max_dialed(). */
unsigned server_max_inbound(const struct server *s);

/* server_inbound_begin() decides on a connection accepted from ip
 * (IPv4-mapped for IPv4) at now_ns, in geth's order: netrestrict, pending
 * cap, throttle (not for LAN addresses; a non-LAN IP is remembered for
 * SERVER_INBOUND_THROTTLE_NS once accepted). Returns SERVER_OK (a pending
 * slot is now held: call server_pending_end() exactly once) or the
 * refusal. */
enum server_refuse server_inbound_begin(struct server *s,
					const uint8_t ip[NETUTIL_ADDR_LEN],
					uint64_t now_ns);

/* server_pending_end() frees one pending slot. */
void server_pending_end(struct server *s);

/* server_dial_allowed() is netrestrict for an address we would dial. */
bool server_dial_allowed(const struct server *s,
			 const uint8_t ip[NETUTIL_ADDR_LEN]);

/* server_add_peer() runs geth's post-handshake checks for a connection
 * whose handshake authenticated id: SELF (our own id), ALREADY_CONNECTED
 * (id in the set), TOO_MANY_PEERS (not trusted and max_peers reached, or
 * inbound and server_max_inbound() inbound peers). Returns 0 and adds the
 * peer under session, or that p2p Disconnect reason (> 0). */
int server_add_peer(struct server *s, const uint8_t id[SERVER_ID_LEN],
		    uint64_t session, bool inbound);

/* server_remove_peer() drops the peer of session. Returns 0 or -ENOENT. */
int server_remove_peer(struct server *s, uint64_t session);

/* server_has_peer() tells whether id is in the peer set. */
bool server_has_peer(const struct server *s, const uint8_t id[SERVER_ID_LEN]);

/* server_n_peers() / server_n_inbound() count the peer set. */
size_t server_n_peers(const struct server *s);
unsigned server_n_inbound(const struct server *s);

#endif /* CONTROL_SERVER_H */
