/* SPDX-License-Identifier: MIT */
/* dataplane/stage/rlpx_stage.h - the RLPx frame engine: owns established sessions. */
#ifndef DATAPLANE_RLPX_STAGE_H
#define DATAPLANE_RLPX_STAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/msg.h"
#include "common/shmring.h"
#include "dataplane/stage/rlpx_codec.h"

/*
 * Control runs the handshake and the Hello exchange, then hands the TCP
 * socket (DPLINK_OP_RLPX_FD, SCM_RIGHTS) and the frame state (MSG_RLPX_KEYS
 * on the worker's ring) to the dataplane: the kernel-TLS split. From then
 * on this stage owns the session: it reads frames, opens them (IPsec-MB
 * AES-256-CTR + keccak MACs, common/rlpx_frame), inflates snappy (decoded
 * size checked first), answers p2p Ping with Pong and hands every other
 * message to control as MSG_RLPX_RX fragments; MSG_RLPX_TX from control is
 * compressed, sealed and written through a per-session write queue.
 *
 * Where it runs: inside each discv4 worker (dataplane/daemon/lcore.c), on the
 * sessions control pinned to that worker (msg_rlpx_keys.queue). The worker
 * is already the single producer of its ring to control and the single
 * consumer of the ring from control, so the stage needs no new rings, no
 * locks on the packet path, and scales per core like the discv4 stage. Its
 * epoll fd joins the backend's wait set, so one sleep covers both. The
 * price is head-of-line: a 16 MiB frame is one MAC + decrypt (a few tens
 * of ms) during which that worker's discv4 queue waits; reads are bounded
 * per event so ordinary traffic interleaves fairly.
 *
 * Memory: per session an input buffer (64 KiB, grown to the frame being
 * read, at most the frame cap), a snappy output buffer (grown to the
 * message being decoded, at most 16 MiB), a write queue (at most
 * RLPX_STAGE_WQ_MAX), the assembly buffer of a message from control and
 * the requests held while pending. Each buffer grows on demand and
 * shrinks back once idle (after the message it held is out), and every
 * byte is charged to the session's budget (cfg.sess_mem_max) and the
 * worker's (cfg.mem_max, which also carries the sealing scratch): a peer
 * cannot make a worker hold more than mem_max however it sends
 * (dataplane/stage/rlpx_budget.h). A session whose next frame the budget
 * refuses, or whose write queue holds more than a quarter of its budget
 * (it sends and does not read), stops being read (DP_CNT_RLPX_MEM_PAUSE,
 * once per episode); still so after cfg.mem_wait_ns it is closed with
 * -EDQUOT (DP_CNT_RLPX_MEM_CLOSE), as is one whose outgoing message the
 * budget refuses (a stream cannot skip a message). With the defaults a
 * session takes a frame of the default 16 MiB cap decoded from snappy
 * (2 x 16 MiB) plus 8 MiB outgoing, and a worker 256 MiB in all.
 *
 * Batching: the keccak MACs of one session form a sequential chain, so
 * the stage runs several sessions' frames side by side instead
 * (rlpx_codec_rx_next_batch / rlpx_codec_seal_batch: keccak256_multi_*
 * underneath). The sockets one epoll_wait returns ready are read, then
 * drained in rounds, one frame per session per round, each round one
 * batch. TX messages that control completes during one ring burst are
 * sealed together when the burst is over (the next rlpx_stage_poll(),
 * which the worker runs right after every burst), or earlier when
 * TX_BATCH (16) are due, when a session's next message or close request
 * arrives (which keeps its order), or at once above 16 KiB. A batch only
 * takes what is there; it never waits for more.
 *
 * Backpressure: when the ring to control is full or the slot pool is
 * empty, the session stops reading (EPOLLIN off) with the half-emitted
 * message kept, and resumes from the same fragment later: nothing inside
 * a stream is ever dropped. A session ends with exactly one MSG_RLPX_CLOSED
 * to control, which is itself retried until the ring takes it.
 *
 * Handover order: the fd (control socket, via the dp main thread and the
 * inbox) and the keys (ring) race, and control sends MSG_RLPX_TX and close
 * requests right behind the keys. A session with one half missing is
 * pending: the TX and close requests for it are kept, in order, copied
 * out of their slots (at most RLPX_STAGE_HOLD_MAX per session,
 * RLPX_STAGE_HOLD_TOTAL per worker), and applied when the other half
 * lands. Past that bound the
 * worker stops consuming its ring from control (rlpx_stage_ctl() says
 * -EBUSY) rather than drop anything. A pending session whose other half
 * has not come within RLPX_STAGE_PENDING_NS is ended: its held slots are
 * freed, its fd (if any) closed, and control gets MSG_RLPX_CLOSED with
 * error -ETIMEDOUT, origin MSG_CLOSE_ERROR.
 *
 * Trust: control writes the slots and may rewrite one while the stage
 * reads it. rlpx_stage_ctl() copies each message's fixed part out of its
 * slot once (msg_load()), checks the copy and uses only the copy; a TX
 * payload is copied with the checked length only. A KEYS slot is wiped
 * once copied, whatever the outcome.
 */

#define RLPX_STAGE_WQ_MAX     (48u << 20)       /* unsent bytes per session */
#define RLPX_STAGE_MAX_SESS   4096u             /* default per worker */
#define RLPX_STAGE_SESS_MEM   (40u << 20)       /* default session budget */
#define RLPX_STAGE_MEM        (256u << 20)      /* default worker budget */
#define RLPX_STAGE_MEM_MIN    (256u << 10)      /* least session budget */
#define RLPX_STAGE_MEM_WAIT_NS (5ull * 1000000000ull) /* over it: closed */
#define RLPX_STAGE_INBOX      64u               /* fds in flight per worker */
#define RLPX_STAGE_HOLD_MAX   64u               /* requests held per pending */
#define RLPX_STAGE_HOLD_TOTAL 1024u             /* ... and per worker */
#define RLPX_STAGE_PENDING_NS (5ull * 1000000000ull)  /* fd/keys wait */
#define RLPX_CTL_HELD         1                 /* rlpx_stage_ctl(): copied,
						 * kept for later */

struct rlpx_stage;

/* The stage's clock: CLOCK_MONOTONIC ns (deadlines, never the wall). */
typedef uint64_t rlpx_stage_clock_fn(void *arg);

struct rlpx_stage_cfg {
	struct shmring *ring;
	struct shmring_q *rxq;          /* to control (this worker's) */
	uint64_t *cnt;                  /* DP_CNT_* counters, or NULL */
	uint32_t *seq;                  /* msg_hdr.seq of rxq, or NULL */
	void (*notify_fn)(void *arg);   /* descriptors went on rxq */
	void *notify_arg;
	size_t frame_cap;               /* 0: RLPX_FRAME_DEFAULT_CAP */
	unsigned max_sessions;          /* 0: RLPX_STAGE_MAX_SESS */
	rlpx_stage_clock_fn *now_fn;    /* NULL: CLOCK_MONOTONIC; tests
					 * inject theirs */
	void *now_arg;
	size_t sess_mem_max;            /* bytes per session; 0: default;
					 * at least RLPX_STAGE_MEM_MIN */
	size_t mem_max;                 /* bytes per worker, sessions and
					 * scratch; 0: default; at least
					 * sess_mem_max */
	uint64_t mem_wait_ns;           /* over budget that long: closed;
					 * 0: RLPX_STAGE_MEM_WAIT_NS */
};

/* rlpx_stage_new() makes an empty stage. Returns 0 and *out, -EINVAL (a
 * budget below its minimum), -ENOMEM or the -errno of epoll_create1. Any
 * thread; then owned by one worker. */
int rlpx_stage_new(struct rlpx_stage **out, const struct rlpx_stage_cfg *cfg);

/* rlpx_stage_free() closes every session's socket without reporting and
 * frees; NULL is a no-op. The owning worker must have stopped. */
void rlpx_stage_free(struct rlpx_stage *st);

/* rlpx_stage_fd() is readable when a session socket has something to do;
 * add it to the worker's wait set. */
int rlpx_stage_fd(const struct rlpx_stage *st);

/* rlpx_stage_give_fd() hands session_id's socket to the stage, which
 * takes ownership. The only call any thread may make (the control-socket
 * thread does); the worker picks it up on its next poll. Returns 0 or
 * -EAGAIN (inbox full: retry after waking the worker; fd still yours). */
int rlpx_stage_give_fd(struct rlpx_stage *st, uint64_t session_id, int fd);

/* rlpx_stage_ctl() consumes one message from control (MSG_RLPX_KEYS,
 * MSG_RLPX_TX, MSG_RLPX_CLOSED) in slot (d->slot of the stage's ring).
 * The message is copied out of slot and checked there (see Trust); a
 * KEYS slot is wiped (explicit_bzero) here. Returns:
 *   0               done; the caller frees the slot;
 *   RLPX_CTL_HELD   a TX or close request for a pending session: the stage
 *                   kept a copy, applied once the session is complete (or
 *                   dropped when it expires); the caller frees the slot;
 *   -EBUSY          that pending session's hold is full: nothing was taken;
 *                   the caller keeps d and offers it again (before anything
 *                   behind it) after the next rlpx_stage_poll();
 *   -EBADMSG (malformed or unknown kind), -ENOENT (no such session),
 *   -ENOMEM, -ENOSPC (session table full): the message is dropped and the
 *                   caller frees the slot. Worker.
 * A TX message is sealed and written by the next rlpx_stage_poll() at
 * the latest (see Batching); sealing errors then count as
 * DP_CNT_RLPX_CTL_DROP instead of being returned here. */
int rlpx_stage_ctl(struct rlpx_stage *st, const struct msg_desc *d,
		   void *slot);

/* rlpx_stage_poll() does one bounded round of work without blocking: the
 * TX messages rlpx_stage_ctl() left due, adopted fds (a pending session's
 * held requests applied), expired pending sessions, stalled sessions, up
 * to 32 ready sockets. Returns how many things it did (0: idle). Call it
 * after every burst of rlpx_stage_ctl() calls. Worker. */
unsigned rlpx_stage_poll(struct rlpx_stage *st);

/* rlpx_stage_stalled() tells whether some session waits for ring space or
 * slots (then sleep briefly rather than until the next packet). Worker. */
bool rlpx_stage_stalled(const struct rlpx_stage *st);

/* rlpx_stage_mem() reports the bytes the stage holds now (*used) and the
 * most it ever held (*peak), as charged to the worker's budget. */
void rlpx_stage_mem(const struct rlpx_stage *st, size_t *used, size_t *peak);

/* rlpx_stage_n_sessions() is the number of sessions held (any state). */
unsigned rlpx_stage_n_sessions(const struct rlpx_stage *st);

#endif /* DATAPLANE_RLPX_STAGE_H */
