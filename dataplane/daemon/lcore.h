/* SPDX-License-Identifier: MIT */
/* dataplane/daemon/lcore.h - the per-queue run-to-completion worker. */
#ifndef DATAPLANE_LCORE_H
#define DATAPLANE_LCORE_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/dplink_proto.h"
#include "common/shmring.h"
#include "dataplane/stage/disc_rx.h"
#include "dataplane/io/pktio.h"
#include "dataplane/stage/rlpx_stage.h"

/* The worker's clocks. The stages below it read none (they take time as
 * an argument); the worker reads these: mono_ns (CLOCK_MONOTONIC) for
 * every interval and deadline, unix_ns (CLOCK_REALTIME) only for what the
 * protocol states in Unix time, discv4 expirations. Tests inject their
 * own; never set the machine's clock to test. */
typedef uint64_t lcore_clock_fn(void *arg);

struct lcore_clock {
	lcore_clock_fn *mono_ns;
	lcore_clock_fn *unix_ns;
	void *arg;
};

/* The system's clocks (the default). */
extern const struct lcore_clock lcore_system_clock;

/* One worker: queue q of the backend, rings 2q (to control) and 2q+1
 * (from control), its counters in the shared region. Everything it
 * touches on the packet path is its own; no locks. */
struct lcore {
	_Alignas(64) unsigned q;
	struct pktio *io;
	struct shmring *ring;
	struct shmring_q *rxq;          /* dp -> ctl */
	struct shmring_q *txq;          /* ctl -> dp */
	struct discv4_rx *stage;
	struct discv5_rx *v5;           /* discv5 beside it (dataplane/stage/
					 * disc_rx.h) and the WHOAREYOU
					 * limiter; NULL: neither */
	struct rlpx_stage *rlpx;        /* RLPx sessions pinned here, or NULL */
	struct dplink_shm *shm;
	uint64_t *cnt;                  /* shm->w[q].cnt */
	int ctl_efd;                    /* written to wake control */
	int tx_efd;                     /* control writes it to wake us */
	uint32_t seq;                   /* msg_hdr.seq on the rx ring */
	/* descriptors dequeued from txq but not yet taken (the RLPx stage
	 * said -EBUSY): offered again before txq is read further */
	struct msg_desc tx_stash[PKTIO_BURST];
	unsigned n_stash;
	volatile bool *stop;            /* set by the main thread */
	const struct lcore_clock *clock;        /* NULL: lcore_system_clock */
	pthread_t th;
	bool started;
};

/* lcore_loop() runs the worker until *l->stop: rx burst -> discovery demux
 * (discv4, then discv5 for what discv4 refused on size or hash) ->
 * slot + enqueue (drop and count when the ring is full or the pool empty,
 * never block) -> wake control -> dequeue tx -> send burst (RLPx messages
 * go to l->rlpx) -> free slots -> one round of the RLPx stage; sleeps in
 * the backend's wait() when idle (1 ms while an RLPx session is stalled
 * on a full ring). When the RLPx stage cannot take a message yet (a
 * pending session's hold is full) the rest of that burst waits in
 * tx_stash and txq is not read until it has gone: backpressure to
 * control, nothing dropped. Returns 0 or the -errno that stopped it. */
int lcore_loop(struct lcore *l);

/* lcore_poll() is one round of lcore_loop() without the sleep: an rx
 * burst through the discovery demux, one tx burst, one round of the RLPx
 * stage. Returns how much it did (0: idle). Worker (tests drive it). */
unsigned lcore_poll(struct lcore *l);

/* lcore_tx_drain() takes one burst from the ring from control and acts on
 * it (what lcore_loop() does each round; tests and fuzzing drive it on
 * its own). Every descriptor is hostile input: its message is copied out
 * of the slot once and only the copy is checked and used. A datagram
 * flagged MSG_TX_F_WHOAREYOU is sent only within its destination's limit
 * (discv5_rx_whoareyou_ok()), else dropped and counted
 * (DP_CNT_WHOAREYOU_LIMITED). Returns the descriptors taken. Worker. */
unsigned lcore_tx_drain(struct lcore *l);

/* lcore_wake_ctl() writes the control eventfd unless a wake-up is already
 * pending (the RLPx stage's notify_fn; arg is the struct lcore). */
void lcore_wake_ctl(void *arg);

/* lcore_start()/lcore_join() run lcore_loop() on a thread of its own. */
int lcore_start(struct lcore *l);
void lcore_join(struct lcore *l);

#endif /* DATAPLANE_LCORE_H */
