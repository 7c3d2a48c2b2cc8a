/* SPDX-License-Identifier: MIT */
/* control/host/rlpxhost.h - runs a sans-I/O RLPx session host (control/peers/sesshost.h) on the event loop: TCP sockets, non-blocking writes, the dataplane link, timers, printing its events. */
#ifndef CONTROL_RLPXHOST_H
#define CONTROL_RLPXHOST_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control/discv4/discv4.h"
#include "control/host/loop.h"
#include "control/peers/sesshost.h"

/*
 * The I/O half of the session host. It carries out the engine's actions:
 *   DIAL       loop_tcp_connect(), then polls for writability and reports
 *              sesshost_on_connected();
 *   WRITE      writes what sesshost_out() shows with non-blocking send()
 *              until the socket is full, then polls for EPOLLOUT (the
 *              queue itself is bounded in the engine);
 *   CLOSE      one non-blocking attempt at the last bytes, then close();
 *   HANDOVER   dplink_rlpx_handover() (the fd goes to devplane-dp);
 *   DP_SEND / DP_CLOSE   dplink_rlpx_send() / dplink_rlpx_close().
 * Readable sockets are peeked and exactly what the engine consumed is
 * taken from the kernel, so the bytes after the remote's Hello stay in
 * the socket for the dataplane. Nothing here blocks: the loop polls.
 *
 * Events are printed as `devplane node` always did (stdout: "hello:",
 * "eth: status", "event: added" and "ping: pong" of the engine's own
 * ping/1 (a node built on the protocol API prints those itself:
 * control/host/session.c), "closed:", "p2p: ping" / "p2p: pong"; stderr:
 * "rlpx stats:", "devplane: refusing"), gated by verbosity as before;
 * every string that came from the wire is escaped (common/escape.h).
 * Probe results go to the probe callback; every event also goes to
 * cfg.on_event.
 *
 * One rlpxhost per loop: it takes the loop's RLPx and service hooks
 * (loop_set_rlpx, loop_set_service) until it is freed. Loop thread only.
 */

typedef void rlpxhost_probe_fn(void *user,
			       const struct rlpxprobe_result *r);
/* Every engine event (SESSHOST_EV_*), before it is printed; a is valid
 * during the call. Runs while the host carries out actions: calls into
 * the engine are fine (their actions join the ones in progress). */
typedef void rlpxhost_event_fn(void *user, const struct sesshost_action *a,
			       uint64_t now);

struct rlpxhost_cfg {
	struct loop *loop;              /* must have a dataplane */
	struct sesshost_cfg engine;     /* the session host's config */
	int verbosity;                  /* what to print (0: nothing) */
	rlpxhost_probe_fn *probe_done;  /* probe mode: results */
	void *probe_user;
	rlpxhost_event_fn *on_event;    /* NULL: none */
	void *event_user;
};

struct rlpxhost;

/* rlpxhost_new() creates the engine and hooks it to the loop. Returns 0,
 * -EINVAL (no loop or no dataplane), or the errors of sesshost_new(). */
int rlpxhost_new(struct rlpxhost **out, const struct rlpxhost_cfg *cfg);

/* rlpxhost_free() ends every connection (sessions in the dataplane with
 * P2P_DISC_QUITTING; probes in flight unreported), closes every socket,
 * the listener included, and releases the loop's hooks. NULL is a
 * no-op. */
void rlpxhost_free(struct rlpxhost *r);

/* rlpxhost_listen() accepts RLPx connections on listener lfd (non-
 * blocking; the host owns it from now on, and closes it on every path).
 * Returns 0 or the -errno of loop_fd_watch(). */
int rlpxhost_listen(struct rlpxhost *r, int lfd);

/* rlpxhost_set_discovery() makes d (NULL: none) the source of dial
 * candidates in node mode: random live table entries, fed every
 * SESSHOST_DIAL_TICK_NS while dial slots are free. */
void rlpxhost_set_discovery(struct rlpxhost *r, struct discv4 *d);

/* rlpxhost_engine() is the session host, for calls the owner makes
 * itself (admin, probes); call rlpxhost_flush() after them. */
struct sesshost *rlpxhost_engine(const struct rlpxhost *r);

/* rlpxhost_flush() carries out the actions the engine queued. */
void rlpxhost_flush(struct rlpxhost *r, uint64_t now);

/* rlpxhost_print_stats() writes the "rlpx stats:" line to f. */
void rlpxhost_print_stats(const struct rlpxhost *r, FILE *f);

#endif /* CONTROL_RLPXHOST_H */
