/* SPDX-License-Identifier: MIT */
/* control/rlpx/pingproto.h - the `ping` demo subprotocol: request/reply with an id. */
#ifndef CONTROL_PINGPROTO_H
#define CONTROL_PINGPROTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "control/rlpx/p2p.h"

/*
 * The smallest useful subprotocol, the tutorial example of the p2p API:
 * capability ping/1, two message ids.
 *   0x00 Ping [id: P]   -> answered at once with Pong [id]
 *   0x01 Pong [id: P]   -> on_pong(user, peer, id, rtt_ns) if id matches
 *                          the peer's outstanding ping, else ignored
 * One outstanding ping per peer. A malformed message drops the peer with
 * P2P_DISC_SUBPROTOCOL_ERROR. Same thread/time rules as control/rlpx/p2p.h.
 */

#define PINGPROTO_NAME    "ping"
#define PINGPROTO_VERSION 1
#define PINGPROTO_LEN     2
#define PINGPROTO_PING    0x00
#define PINGPROTO_PONG    0x01

struct pingproto {
	struct p2p_proto proto;         /* registered in the host */
	void (*on_pong)(void *user, struct p2p_peer *peer, uint64_t id,
			uint64_t rtt_ns);
	void (*on_added)(void *user, struct p2p_peer *peer);    /* may be NULL */
	void *user;
	uint64_t n_pings_answered;
	uint64_t n_pongs;
};

/* pingproto_init() sets up pp with the callbacks (on_pong and on_added
 * may be NULL). */
void pingproto_init(struct pingproto *pp,
		    void (*on_pong)(void *user, struct p2p_peer *peer,
				    uint64_t id, uint64_t rtt_ns),
		    void (*on_added)(void *user, struct p2p_peer *peer),
		    void *user);

/* pingproto_register() registers ping/1 in the host. Returns 0 or -errno
 * from p2p_register(). */
int pingproto_register(struct pingproto *pp, struct p2p_host *h);

/* pingproto_ping() sends Ping [id] to a peer sharing the protocol and
 * remembers (id, now_ns) to match the Pong. Returns 0, or -EPROTO (peer
 * does not run ping), -errno from p2p_send(). */
int pingproto_ping(struct pingproto *pp, struct p2p_peer *peer, uint64_t id,
		   uint64_t now_ns);

/* pingproto_encode() writes the payload [id]. Returns bytes or -EMSGSIZE. */
ssize_t pingproto_encode(uint8_t *out, size_t cap, uint64_t id);

/* pingproto_decode() reads [id] (extra elements ignored). Returns bytes
 * consumed or -EBADMSG, -EMSGSIZE. */
ssize_t pingproto_decode(uint64_t *id, const uint8_t *buf, size_t len);

#endif /* CONTROL_PINGPROTO_H */
