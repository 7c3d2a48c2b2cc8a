/* SPDX-License-Identifier: MIT */
/* control/host/nathost.h - NAT port mapping for a running node: the natmap
 * engine on the event loop, miniupnpc and libnatpmp on worker threads. */
#ifndef CONTROL_NATHOST_H
#define CONTROL_NATHOST_H
#include <stdbool.h>
#include <stdint.h>

#include "control/base/localnode.h"
#include "control/host/loop.h"
#include "control/nat/natmap.h"

/*
 * --nat upnp, pmp[:GATEWAY] and any (geth's p2p/nat): control/nat/natmap.c
 * decides, this module does the talking. miniupnpc and libnatpmp block
 * (SSDP discovery waits, SOAP over HTTP, NAT-PMP's retransmissions), so
 * each protocol gets a worker thread that carries out the engine's
 * requests one at a time and hands the results back through a queue and
 * an eventfd the loop watches; nothing on the loop blocks. "any" runs both
 * workers' discoveries at once; the loser is told to quit.
 *
 * Bounds (geth's where it has them): UPnP discovery listens
 * NATHOST_UPNP_DISCOVER_MS for SSDP answers; miniupnpc's SOAP calls time
 * out on its socket timeouts (3 s, MINIUPNPC_SET_SOCKET_TIMEOUT in
 * Debian's build); a NAT-PMP discovery waits NATHOST_PMP_DISCOVER_MS
 * (geth: 1 s) and every other NAT-PMP request NATHOST_PMP_OP_MS
 * (libnatpmp's own schedule would retry for two minutes).
 *
 * What the gateway reports is published in the local node: its external
 * IP as the static IP, a mapped UDP port as the advertised UDP port
 * (geth's SetFallbackUDP), a mapped TCP port as the ENR's tcp; each
 * change re-signs the record with a higher seq and calls on_publish.
 * UPnP maps to the LAN address miniupnpc used to reach the gateway;
 * NAT-PMP maps the address its request came from.
 *
 * Threading: nathost_start(), nathost_stop() and nathost_free() on the
 * loop's thread; the callbacks run there too.
 */

#define NATHOST_UPNP_DISCOVER_MS 2000   /* SSDP M-SEARCH answer window */
#define NATHOST_PMP_DISCOVER_MS  1000   /* geth discoverPMP's timeout */
#define NATHOST_PMP_OP_MS        4000   /* 250+500+1000+2000 ms: 4 tries */
#define NATHOST_STOP_NS   (5ull * 1000000000ull) /* unmap at exit, at most */

/* Runs on the loop's thread after the local record changed (new seq). */
typedef void nathost_publish_fn(void *user, uint64_t now_ns);

struct nathost_cfg {
	enum natmap_mech mech;          /* NATMAP_UPNP, NATMAP_PMP, NATMAP_ANY */
	bool has_gateway;               /* pmp:IP: skip the default route */
	uint8_t gateway[16];            /* IPv4-mapped */
	uint64_t lease_ns;              /* 0: NATMAP_LEASE_NS */
	uint64_t seed;
	struct loop *loop;
	struct localnode *ln;           /* outlives the nathost; NULL: map
					 * and log, publish nothing */
	uint16_t udp, tcp;              /* our ports to map (0: that one not) */
	nathost_publish_fn *on_publish; /* NULL: none */
	void *user;
	int verbosity;                  /* 3: info on stderr, 4: renewals */
};

struct nathost;

/* nathost_maps() is true for the mechanisms that map ports (upnp, pmp,
 * any): the ones nathost_start() takes. */
bool nathost_maps(enum natmap_mech mech);

/* nathost_start() starts the workers, watches their eventfd, registers a
 * loop service for the engine's timers and asks for the mappings.
 * Returns 0, -EINVAL (mech none or extip, no loop), -ENOSPC
 * (no loop service slot), -ENOMEM or the -errno of eventfd/pthread. */
int nathost_start(struct nathost **out, const struct nathost_cfg *cfg);

/* nathost_stop() deletes every mapping held, waiting at most timeout_ns
 * for the gateway's answers (this blocks: call it after loop_run()
 * returned, on the SIGINT/SIGTERM path), then stops the workers and
 * leaves the loop. A worker still inside a library call by then is left
 * to finish alone and frees its part itself. Idempotent. */
void nathost_stop(struct nathost *h, uint64_t timeout_ns);

/* nathost_free() stops (NATHOST_STOP_NS) if needed and frees h. NULL is
 * a no-op. */
void nathost_free(struct nathost *h);

/* nathost_mapped() counts the mappings the gateway granted so far. */
uint64_t nathost_mapped(const struct nathost *h);

#endif /* CONTROL_NATHOST_H */
