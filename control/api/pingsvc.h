/* SPDX-License-Identifier: MIT */
/* control/api/pingsvc.h - ping/1 on the public protocol API (control/api/devplane.h): what `devplane node` runs, and the tutorial's A5 protocol. */
#ifndef CONTROL_PINGSVC_H
#define CONTROL_PINGSVC_H
#include <stdbool.h>
#include <stdint.h>

#include "control/api/devplane.h"

/*
 * Capability ping/1 (wire format: control/rlpx/pingproto.h), two codes:
 *   0x00 Ping [id: P]  -> answered at once with Pong [id]
 *   0x01 Pong [id: P]  -> on_pong(user, peer id, id, rtt_ns) when it
 *                         matches the peer's outstanding Ping
 * A Ping goes to every new peer (ids 1, 2, ... per service); one is
 * outstanding per peer. A malformed message drops the peer (subprotocol
 * error). Built on devplane_register_protocol() like any protocol a user
 * writes; the node's thread only.
 */

struct pingsvc {
	struct devplane_protocol *proto;
	/* Both may be NULL; id: the peer's node id (64 bytes). */
	void (*on_added)(void *user, const uint8_t *id, bool inbound);
	void (*on_pong)(void *user, const uint8_t *id, uint64_t ping_id,
			uint64_t rtt_ns);
	void *user;
	uint64_t seq;                   /* last Ping id */
	uint64_t pings_answered, pongs; /* counters */
};

/* pingsvc_register() registers ping/1 on n (before devplane_start()) with
 * ps, which must outlive n; set the callbacks first. Returns
 * devplane_register_protocol()'s result. */
int pingsvc_register(struct pingsvc *ps, struct devplane *n);

/* pingsvc_ping() sends Ping [++seq] to peer and remembers it. Returns 0
 * or devplane_send()'s error. */
int pingsvc_ping(struct pingsvc *ps, struct devplane_peer *peer);

#endif /* CONTROL_PINGSVC_H */
