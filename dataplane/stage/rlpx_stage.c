/* SPDX-License-Identifier: MIT */
/* dataplane/stage/rlpx_stage.c - RLPx frame engine: the sessions' host
 * (sockets, epoll, the session state machine) around
 * dataplane/stage/rlpx_codec.
 * Why one file of about 1,200 lines: reading, writing, control's
 * requests, the pending timeout and the memory budget all change one
 * struct sess, whose invariants (its state, the stalled, pending and TX
 * batch lists it is on, what its budget is charged) must hold between any
 * two of them; split over files, struct sess would be published to all
 * of them. What stands alone is out already: the codec (rlpx_codec),
 * the budgets (rlpx_budget), control's requests copied out of shared
 * memory (rlpx_req) and the messages to control (rlpx_out). */
#include "dataplane/stage/rlpx_stage.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/dplink_proto.h"
#include "dataplane/stage/rlpx_out.h"
#include "dataplane/stage/rlpx_req.h"

#define POLL_EVENTS    32
#define READS_PER_EVENT 4               /* bounds one session's turn */
#define TX_BATCH       16               /* TX messages sealed together */
#define TX_BATCH_LEN   (16u << 10)      /* larger ones are sealed at once */

#define WQ_IDLE        (64u << 10)      /* an empty write queue keeps this */

/* ---- sessions ----------------------------------------------------------- */

enum sess_state {
	S_PENDING = 0,          /* keys or fd still missing */
	S_OPEN,
	S_CLOSING,              /* control asked: flushing a Disconnect */
	S_DEAD,                 /* socket gone; MSG_RLPX_CLOSED not yet out */
};

struct sess {
	uint64_t id;
	struct sess *hnext;     /* hash chain */
	struct sess *snext;     /* stalled list */
	int fd;
	uint8_t state;
	bool have_keys;
	bool stalled;
	bool rd_off;            /* EPOLLIN removed (backpressure / closing) */
	uint32_t ev;            /* events registered */
	struct rlpx_codec c;
	/* a message from the peer, part emitted */
	bool emitting;
	struct rlpx_msg m;
	size_t emit_off;
	/* a message from control being assembled */
	uint8_t *txa;
	size_t txa_cap, txa_len;
	uint64_t txa_code;
	uint32_t txa_total;
	bool txa_busy;
	bool tx_due;                    /* txa complete, on st->tx_due */
	/* write queue */
	uint8_t *wq;
	size_t wq_cap, wq_off, wq_len;
	/* memory: every buffer above is charged here, and through it to
	 * the worker's budget; mem_parked: reading stopped for lack of
	 * budget, since mem_since (CLOCK_MONOTONIC ns) */
	struct rlpx_budget mem;
	bool mem_parked;
	uint64_t mem_since;
	/* the close report */
	int32_t close_err;
	uint8_t close_origin;
	uint8_t close_reason;
	/* while S_PENDING: on the pending list (oldest first), and the
	 * control requests that came for it, in order, copied */
	struct sess *pnext, **ppprev;
	uint64_t pend_deadline;         /* CLOCK_MONOTONIC ns */
	struct rlpx_req_held *held;     /* RLPX_STAGE_HOLD_MAX, lazily */
	unsigned n_held;
};

struct inbox_ent {
	uint64_t id;
	int fd;
};

struct rlpx_stage {
	struct rlpx_stage_cfg cfg;
	int ep;
	unsigned n_sess;
	unsigned n_buckets;             /* power of two */
	struct sess **bucket;
	struct sess *stalled;
	unsigned n_stalled;
	struct sess *pend_head, **pend_tail;    /* deadline order */
	unsigned n_held;                /* requests held by pending sessions */
	struct rlpx_budget mem;         /* the worker's: all of the below and
					 * every session's */
	uint8_t *scratch;               /* plain frames for seal */
	size_t scratch_cap;
	/* completed TX messages waiting to be sealed together: at most
	 * TX_BATCH, one per session, each in its session's txa */
	struct sess *tx_due[TX_BATCH];
	unsigned n_tx_due;
	uint8_t *tx_scratch;            /* TX_BATCH plain frames */
	size_t tx_scratch_cap;
	struct rlpx_out out;            /* the ring to control; notify
					 * control at the end of poll when
					 * out.enqueued */
	pthread_mutex_t lock;           /* inbox only */
	unsigned n_inbox;               /* atomic read without the lock */
	struct inbox_ent inbox[RLPX_STAGE_INBOX];
};

static void cnt(struct rlpx_stage *st, unsigned i, uint64_t v)
{
	if (st->cfg.cnt)
		__atomic_store_n(&st->cfg.cnt[i], st->cfg.cnt[i] + v,
				 __ATOMIC_RELAXED);
}

/* now_ns() is the stage's clock (cfg.now_fn, else CLOCK_MONOTONIC): all
 * its deadlines are intervals, which the wall clock must not move. */
static uint64_t now_ns(const struct rlpx_stage *st)
{
	struct timespec ts;

	if (st->cfg.now_fn)
		return st->cfg.now_fn(st->cfg.now_arg);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned hash_id(const struct rlpx_stage *st, uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (unsigned)id & (st->n_buckets - 1);
}

static struct sess *find(struct rlpx_stage *st, uint64_t id)
{
	struct sess *s = st->bucket[hash_id(st, id)];

	while (s && s->id != id)
		s = s->hnext;
	return s;
}

static struct sess *sess_new(struct rlpx_stage *st, uint64_t id)
{
	unsigned b = hash_id(st, id);
	struct sess *s;

	if (st->n_sess >= st->cfg.max_sessions)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->id = id;
	s->fd = -1;
	s->mem = (struct rlpx_budget){ .max = st->cfg.sess_mem_max,
				       .parent = &st->mem };
	s->hnext = st->bucket[b];
	st->bucket[b] = s;
	st->n_sess++;
	/* Every timeout is the same, so appending keeps deadline order. */
	s->pend_deadline = now_ns(st) + RLPX_STAGE_PENDING_NS;
	s->ppprev = st->pend_tail;
	*st->pend_tail = s;
	st->pend_tail = &s->pnext;
	return s;
}

/* pend_unlink() takes s off the pending list (no-op if not on it). */
static void pend_unlink(struct rlpx_stage *st, struct sess *s)
{
	if (!s->ppprev)
		return;
	*s->ppprev = s->pnext;
	if (s->pnext)
		s->pnext->ppprev = s->ppprev;
	else
		st->pend_tail = s->ppprev;
	s->pnext = NULL;
	s->ppprev = NULL;
}

/* release_held() drops the requests s still holds. */
static void release_held(struct rlpx_stage *st, struct sess *s)
{
	for (unsigned i = 0; i < s->n_held; i++)
		rlpx_req_unhold(&s->held[i], &s->mem);
	st->n_held -= s->n_held;
	s->n_held = 0;
	free(s->held);
	s->held = NULL;
}

/* tx_undue() takes s off the TX batch (its message is dropped: s is
 * going away). */
static void tx_undue(struct rlpx_stage *st, struct sess *s)
{
	if (!s->tx_due)
		return;
	for (unsigned i = 0; i < st->n_tx_due; i++)
		if (st->tx_due[i] == s) {
			st->tx_due[i] = st->tx_due[--st->n_tx_due];
			break;
		}
	s->tx_due = false;
}

static void sess_free(struct rlpx_stage *st, struct sess *s)
{
	struct sess **pp = &st->bucket[hash_id(st, s->id)];

	while (*pp && *pp != s)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = s->hnext;
	st->n_sess--;
	pend_unlink(st, s);
	release_held(st, s);
	tx_undue(st, s);
	if (s->fd >= 0)
		close(s->fd);
	rlpx_codec_fini(&s->c);
	rlpx_budget_shrink(&s->mem, &s->txa, &s->txa_cap, 0);
	rlpx_budget_shrink(&s->mem, &s->wq, &s->wq_cap, 0);
	rlpx_budget_give(&s->mem, s->mem.used);  /* nothing is left; be sure */
	explicit_bzero(s, sizeof(*s));
	free(s);
}

static void stall(struct rlpx_stage *st, struct sess *s)
{
	if (s->stalled)
		return;
	s->stalled = true;
	s->snext = st->stalled;
	st->stalled = s;
	st->n_stalled++;
	cnt(st, DP_CNT_RLPX_STALLS, 1);
}

static void set_events(struct rlpx_stage *st, struct sess *s)
{
	uint32_t ev = 0;
	struct epoll_event e;

	if (s->fd < 0)
		return;
	if (s->state == S_OPEN && !s->rd_off)
		ev |= EPOLLIN | EPOLLRDHUP;
	if (s->wq_len > s->wq_off)
		ev |= EPOLLOUT;
	if (ev == s->ev)
		return;
	e.events = ev;
	e.data.ptr = s;
	if (epoll_ctl(st->ep, EPOLL_CTL_MOD, s->fd, &e) == 0)
		s->ev = ev;
}

/* report_closed() puts MSG_RLPX_CLOSED on the ring, or says -ENOBUFS:
 * the caller leaves s stalled in S_DEAD to retry. */
static int report_closed(struct rlpx_stage *st, struct sess *s)
{
	int rc = rlpx_out_closed(&st->out, s->id, s->close_err,
				 s->close_reason, s->close_origin);

	if (rc == 0)
		cnt(st, DP_CNT_RLPX_CLOSED, 1);
	return rc;
}

/* sess_end() closes the socket and reports; s may be freed. */
static void sess_end(struct rlpx_stage *st, struct sess *s, int err,
		     uint8_t origin)
{
	if (s->state == S_DEAD)
		return;
	pend_unlink(st, s);
	release_held(st, s);
	tx_undue(st, s);
	if (s->fd >= 0) {
		epoll_ctl(st->ep, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
		s->fd = -1;
	}
	s->state = S_DEAD;
	s->close_err = err;
	s->close_origin = origin;
	s->emitting = false;
	rlpx_codec_fini(&s->c);
	rlpx_budget_shrink(&s->mem, &s->txa, &s->txa_cap, 0);
	rlpx_budget_shrink(&s->mem, &s->wq, &s->wq_cap, 0);
	s->wq_off = s->wq_len = 0;
	if (err == -EKEYREJECTED || err == -EMSGSIZE || err == -EBADMSG)
		cnt(st, DP_CNT_RLPX_BAD_FRAME, 1);
	if (err == -EDQUOT)
		cnt(st, DP_CNT_RLPX_MEM_CLOSE, 1);
	if (s->stalled)
		return;                 /* the stalled pass reports it */
	if (report_closed(st, s) == 0)
		sess_free(st, s);
	else
		stall(st, s);
}

/* flush() writes the queue. Returns 0 (or all written), or ends s. */
static int flush(struct rlpx_stage *st, struct sess *s)
{
	while (s->wq_off < s->wq_len) {
		ssize_t n = send(s->fd, s->wq + s->wq_off,
				 s->wq_len - s->wq_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			sess_end(st, s, n < 0 ? -errno : -EPIPE,
				 MSG_CLOSE_ERROR);
			return -EPIPE;
		}
		s->wq_off += (size_t)n;
		cnt(st, DP_CNT_RLPX_BYTES_TX, (uint64_t)n);
	}
	if (s->wq_off == s->wq_len) {
		s->wq_off = s->wq_len = 0;
		rlpx_budget_shrink(&s->mem, &s->wq, &s->wq_cap, WQ_IDLE);
	}
	if (s->state == S_CLOSING && s->wq_len == 0) {
		shutdown(s->fd, SHUT_WR);
		sess_end(st, s, 0, MSG_CLOSE_LOCAL);
		return -EPIPE;
	}
	set_events(st, s);
	return 0;
}

/* wq_reserve() makes room on s's write queue for a sealed len-byte
 * message: -ENOBUFS when that would pass RLPX_STAGE_WQ_MAX (the peer
 * stopped reading), -EDQUOT when the budget refuses, -ENOMEM. */
static int wq_reserve(struct sess *s, size_t len)
{
	size_t max = rlpx_codec_sealed_max(len);
	int rc;

	if (s->wq_off && s->wq_cap - s->wq_len < max) {
		memmove(s->wq, s->wq + s->wq_off, s->wq_len - s->wq_off);
		s->wq_len -= s->wq_off;
		s->wq_off = 0;
	}
	rc = rlpx_budget_grow(&s->mem, &s->wq, &s->wq_cap, s->wq_len + max,
			      RLPX_STAGE_WQ_MAX);
	return rc == -EMSGSIZE ? -ENOBUFS : rc;
}

/* queue_msg() seals (code, data) onto the write queue. */
static int queue_msg(struct rlpx_stage *st, struct sess *s, uint64_t code,
		     const uint8_t *data, size_t len)
{
	size_t need = rlpx_codec_scratch_len(len);
	ssize_t n;
	int rc;

	rc = rlpx_budget_grow(&st->mem, &st->scratch, &st->scratch_cap, need,
			      rlpx_codec_scratch_len(RLPX_MSG_CAP));
	if (rc < 0)
		return rc;
	rc = wq_reserve(s, len);
	if (rc < 0)
		return rc;
	n = rlpx_codec_seal(&s->c, s->wq + s->wq_len, s->wq_cap - s->wq_len,
			    st->scratch, st->scratch_cap, code, data, len);
	if (n < 0)
		return (int)n;
	s->wq_len += (size_t)n;
	cnt(st, DP_CNT_RLPX_FRAMES_TX, 1);
	return 0;
}

/* tx_sent() finishes one sealed TX message from control (rc: bytes sealed
 * onto the queue, or the error): write it, or end s if its queue is
 * full, or count the message as dropped. s may be freed. */
static void tx_sent(struct rlpx_stage *st, struct sess *s, ssize_t rc)
{
	/* The peer stopped reading, or the memory budget is spent: a
	 * message cannot be left out of a stream, so the session ends. */
	if (rc == -ENOBUFS || rc == -EDQUOT) {
		sess_end(st, s, (int)rc, MSG_CLOSE_ERROR);
		return;
	}
	if (rc < 0) {
		cnt(st, DP_CNT_RLPX_CTL_DROP, 1);
		return;
	}
	s->wq_len += (size_t)rc;
	cnt(st, DP_CNT_RLPX_FRAMES_TX, 1);
	rlpx_budget_shrink(&s->mem, &s->txa, &s->txa_cap, TX_BATCH_LEN);
	flush(st, s);
}

/*
 * tx_seal_due() seals every completed TX message waiting on st->tx_due
 * as one codec batch (the sessions' keccak MACs side by side), then
 * writes each. Messages wait here only until the end of the ring burst
 * they came in (rlpx_stage_poll() runs this first and last; the worker
 * calls it right after each burst), until TX_BATCH are due, or until
 * their session needs txa or gets a close request: never for more work.
 */
static void tx_seal_due(struct rlpx_stage *st)
{
	size_t sl = rlpx_codec_scratch_len(TX_BATCH_LEN);
	struct rlpx_codec_tx tx[TX_BATCH];
	struct sess *ss[TX_BATCH];
	ssize_t rc[TX_BATCH];
	unsigned n = st->n_tx_due, k = 0;

	if (!n)
		return;
	memcpy(ss, st->tx_due, n * sizeof(ss[0]));
	st->n_tx_due = 0;
	for (unsigned i = 0; i < n; i++) {
		struct sess *s = ss[i];

		s->tx_due = false;
		rc[i] = wq_reserve(s, s->txa_len);
		if (rc[i] < 0)
			continue;
		tx[k++] = (struct rlpx_codec_tx){
			.c = &s->c, .out = s->wq + s->wq_len,
			.out_cap = s->wq_cap - s->wq_len,
			.scratch = st->tx_scratch + i * sl, .scratch_cap = sl,
			.code = s->txa_code, .data = s->txa,
			.len = s->txa_len };
	}
	rlpx_codec_seal_batch(tx, k);
	k = 0;
	for (unsigned i = 0; i < n; i++)
		if (rc[i] == 0)
			rc[i] = tx[k++].rc;
	/* Only now: writing may end a session, and ending frees it. */
	for (unsigned i = 0; i < n; i++)
		tx_sent(st, ss[i], rc[i]);
}

/* tx_defer() puts s's completed message (txa) on the TX batch. Returns 0,
 * or -ENOMEM / -EDQUOT (no batch scratch: seal it at once). */
static int tx_defer(struct rlpx_stage *st, struct sess *s)
{
	if (!st->tx_scratch) {
		size_t n = TX_BATCH * rlpx_codec_scratch_len(TX_BATCH_LEN);
		int rc = rlpx_budget_grow(&st->mem, &st->tx_scratch,
					  &st->tx_scratch_cap, n, n);

		if (rc < 0)
			return rc;
	}
	s->tx_due = true;
	st->tx_due[st->n_tx_due++] = s;
	if (st->n_tx_due == TX_BATCH)
		tx_seal_due(st);
	return 0;
}

/* emit() puts the rest of s->m on the ring as MSG_RLPX_RX fragments.
 * Returns 0 when all of it went, -ENOBUFS when the ring or pool is full. */
static int emit(struct rlpx_stage *st, struct sess *s)
{
	return rlpx_out_msg(&st->out, s->id, &s->m, &s->emit_off);
}

/* stall_rd() parks s until the ring has room: reading off. */
static void stall_rd(struct rlpx_stage *st, struct sess *s)
{
	s->rd_off = true;
	set_events(st, s);
	stall(st, s);
}

/* mem_stall() parks s for want of memory: its budget or the worker's
 * refused what its next frame needs, or its write queue holds more than
 * a quarter of its budget (a peer that sends without reading). Reading
 * stops and is retried with the other stalled sessions; a session still
 * parked after cfg.mem_wait_ns is closed (retry_stalled()). */
static void mem_stall(struct rlpx_stage *st, struct sess *s)
{
	if (!s->mem_parked) {
		s->mem_parked = true;
		s->mem_since = now_ns(st);
		cnt(st, DP_CNT_RLPX_MEM_PAUSE, 1);
	}
	stall_rd(st, s);
}

/* rx_one() acts on one rlpx_codec_rx_next() result of s: a Ping is
 * answered, anything else goes to control. Returns 0 (done, more may be
 * buffered), -EAGAIN (nothing buffered), -ENOBUFS (ring or pool full: s
 * must stall with the message half emitted) or -EPIPE (s ended and may be
 * freed). */
static int rx_one(struct rlpx_stage *st, struct sess *s, int rc,
		  const struct rlpx_msg *m)
{
	if (rc == -EAGAIN)
		return rc;
	if (rc == -EDQUOT) {            /* opened; its message waits */
		mem_stall(st, s);
		return -ENOBUFS;
	}
	if (rc < 0) {
		sess_end(st, s, rc, MSG_CLOSE_ERROR);
		return -EPIPE;
	}
	s->mem_parked = false;
	cnt(st, DP_CNT_RLPX_FRAMES_RX, 1);
	if (m->code == RLPX_P2P_PING) {
		static const uint8_t empty[] = { 0xc0 };

		cnt(st, DP_CNT_RLPX_PONGS, 1);
		rc = queue_msg(st, s, RLPX_P2P_PONG, empty, 1);
		if (rc < 0) {
			sess_end(st, s, rc, MSG_CLOSE_ERROR);
			return -EPIPE;
		}
		return flush(st, s) < 0 ? -EPIPE : 0;
	}
	s->m = *m;
	s->emitting = true;
	s->emit_off = 0;
	rc = emit(st, s);
	if (rc < 0)
		return rc;
	s->emitting = false;
	rlpx_codec_trim(&s->c);
	return 0;
}

/* A set of sessions pumped together: idx[0..n) index the caller's array. */
struct pump_set {
	size_t idx[POLL_EVENTS];
	size_t n;
};

static void set_drop(struct pump_set *p, size_t i)
{
	for (size_t q = 0; q < p->n; q++)
		if (p->idx[q] == i) {
			p->idx[q] = p->idx[--p->n];
			return;
		}
}

/*
 * drain_set() turns every buffered frame of the sessions in *live into
 * ring messages. Each round opens at most one frame per session, the
 * opens of all of them as one codec batch (their keccak MACs side by
 * side), and hands each message on before the next round, since the
 * next open of a session ends the life of its last message. A session
 * that stalls or ends leaves *live (rc[i] 0 or -EPIPE; an ended one may
 * be freed).
 */
static void drain_set(struct rlpx_stage *st, struct sess *const ss[],
		      struct pump_set *live, int rc[])
{
	struct pump_set act;

	act.n = 0;
	for (size_t q = 0; q < live->n;) {
		size_t i = live->idx[q];
		struct sess *s = ss[i];

		if (s->emitting) {
			if (emit(st, s) < 0) {
				stall_rd(st, s);
				live->idx[q] = live->idx[--live->n];
				continue;
			}
			s->emitting = false;
			rlpx_codec_trim(&s->c);
		}
		act.idx[act.n++] = i;
		q++;
	}
	while (act.n) {
		struct rlpx_codec *c[POLL_EVENTS];
		struct rlpx_msg m[POLL_EVENTS];
		int r[POLL_EVENTS];
		size_t k = 0;

		for (size_t q = 0; q < act.n; q++)
			c[q] = &ss[act.idx[q]]->c;
		rlpx_codec_rx_next_batch(c, m, r, act.n);
		for (size_t q = 0; q < act.n; q++) {
			size_t i = act.idx[q];
			int x = rx_one(st, ss[i], r[q], &m[q]);

			if (x == 0) {
				act.idx[k++] = i;
				continue;
			}
			if (x == -EAGAIN)
				continue;
			if (x == -ENOBUFS)
				stall_rd(st, ss[i]);
			else
				rc[i] = -EPIPE;
			set_drop(live, i);
		}
		act.n = k;
	}
}

/*
 * pump_set() reads and drains the open, reading sessions ss[0..n) (at
 * most POLL_EVENTS), a bounded number of reads each, as pump() once did
 * for one: drain, read once, and again; a session leaves the set when
 * its socket has nothing more (after a drain), when it stalls, or when it
 * ends. rc[i] is 0, or -EPIPE when ss[i] ended (it may be freed).
 */
static void pump_set(struct rlpx_stage *st, struct sess *const ss[],
		     size_t n, int rc[])
{
	struct pump_set live;

	live.n = 0;
	for (size_t i = 0; i < n; i++) {
		rc[i] = 0;
		live.idx[live.n++] = i;
	}
	for (unsigned r = 0; r < READS_PER_EVENT && live.n; r++) {
		size_t k = 0;

		drain_set(st, ss, &live, rc);
		for (size_t q = 0; q < live.n; q++) {
			size_t i = live.idx[q];
			struct sess *s = ss[i];
			uint8_t *p;
			ssize_t room, got;

			if (s->wq_len - s->wq_off > s->mem.max / 4) {
				mem_stall(st, s);       /* not reading ours */
				continue;
			}
			room = rlpx_codec_rx_space(&s->c, &p);
			if (room == -EDQUOT) {
				mem_stall(st, s);
				continue;
			}
			if (room < 0) {
				sess_end(st, s, (int)room, MSG_CLOSE_ERROR);
				rc[i] = -EPIPE;
				continue;
			}
			got = recv(s->fd, p, (size_t)room, MSG_DONTWAIT);
			if (got < 0 && errno == EINTR) {
				live.idx[k++] = i;
				continue;
			}
			if (got < 0 &&
			    (errno == EAGAIN || errno == EWOULDBLOCK))
				continue;       /* drained, nothing more */
			if (got <= 0) {
				sess_end(st, s, got < 0 ? -errno : 0,
					 got < 0 ? MSG_CLOSE_ERROR
						 : MSG_CLOSE_REMOTE);
				rc[i] = -EPIPE;
				continue;
			}
			cnt(st, DP_CNT_RLPX_BYTES_RX, (uint64_t)got);
			rlpx_codec_rx_commit(&s->c, (size_t)got);
			s->mem_parked = false;  /* it had room: reading again */
			live.idx[k++] = i;
		}
		live.n = k;
	}
	if (live.n)
		drain_set(st, ss, &live, rc);
}

/* pump() is pump_set() for one session. Returns 0, or -EPIPE when s
 * ended (and may be freed). */
static int pump(struct rlpx_stage *st, struct sess *s)
{
	int rc;

	pump_set(st, &s, 1, &rc);
	return rc;
}

static int ctl_apply(struct rlpx_stage *st, const struct rlpx_req *r);

/* replay() applies, in order, what control sent s while it was pending,
 * and frees the copies. s may be gone afterwards. */
static void replay(struct rlpx_stage *st, struct sess *s)
{
	struct rlpx_req_held *held = s->held;
	unsigned n = s->n_held;
	size_t bytes = 0;

	/* The copies leave s's account now (s may end before the last is
	 * applied); they are freed one by one below, at most
	 * RLPX_STAGE_HOLD_MAX slots' worth. */
	for (unsigned i = 0; i < n; i++)
		bytes += rlpx_req_held_size(&held[i]);
	rlpx_budget_give(&s->mem, bytes);
	s->held = NULL;
	s->n_held = 0;
	st->n_held -= n;
	for (unsigned i = 0; i < n; i++) {
		/* By id: an earlier one may have ended the session. */
		if (ctl_apply(st, &held[i].r) < 0)
			cnt(st, DP_CNT_RLPX_CTL_DROP, 1);
		rlpx_req_unhold(&held[i], NULL);
	}
	free(held);
}

/* activate() starts a session whose keys and fd are both in. */
static void activate(struct rlpx_stage *st, struct sess *s)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLRDHUP,
				 .data.ptr = s };
	int fl = fcntl(s->fd, F_GETFL);
	uint64_t id = s->id;

	if (fl < 0 || fcntl(s->fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    epoll_ctl(st->ep, EPOLL_CTL_ADD, s->fd, &e) < 0) {
		sess_end(st, s, -errno, MSG_CLOSE_ERROR);
		return;
	}
	s->ev = e.events;
	s->state = S_OPEN;
	pend_unlink(st, s);
	cnt(st, DP_CNT_RLPX_SESSIONS, 1);
	if (s->n_held) {
		replay(st, s);
		tx_seal_due(st);        /* written before any Pong below */
		s = find(st, id);
		if (!s || s->state != S_OPEN)
			return;
	}
	/* Control may have read past the Hello into our frames: none of
	 * that can be here (its buffer is its own), so start reading. */
	(void)pump(st, s);
}

static void adopt_fd(struct rlpx_stage *st, uint64_t id, int fd)
{
	struct sess *s = find(st, id);

	if (!s)
		s = sess_new(st, id);
	if (!s || s->fd >= 0 || s->state != S_PENDING) {
		close(fd);      /* table full, or a second fd for one id */
		cnt(st, DP_CNT_RLPX_CTL_DROP, 1);
		return;
	}
	s->fd = fd;
	if (s->have_keys)
		activate(st, s);
}

/* ctl_keys() adopts the frame state of a MSG_RLPX_KEYS, from k: the
 * caller's private copy of the slot. */
static int ctl_keys(struct rlpx_stage *st, const struct msg_rlpx_keys *k)
{
	struct sess *s;
	int rc;

	s = find(st, k->session_id);
	if (!s)
		s = sess_new(st, k->session_id);
	if (!s)
		return -ENOSPC;
	if (s->have_keys || s->state != S_PENDING)
		return -EBADMSG;
	rc = rlpx_codec_init(&s->c, k, st->cfg.frame_cap, k->flags, &s->mem);
	if (rc < 0) {
		if (s->fd >= 0)
			sess_end(st, s, rc, MSG_CLOSE_ERROR);
		else
			sess_free(st, s);
		return rc;
	}
	s->have_keys = true;
	if (s->fd >= 0)
		activate(st, s);
	return 0;
}

/* ctl_tx() takes one fragment of a message from control: x is the
 * checked copy of its header (rlpx_req_load()), data holds x->data_len
 * bytes. */
static int ctl_tx(struct rlpx_stage *st, const struct rlpx_tx_hdr *x,
		  const uint8_t *data)
{
	struct sess *s;
	int rc;

	s = find(st, x->session_id);
	if (s && s->tx_due && x->frag_off == 0) {
		/* txa still holds its last message: seal that (and the
		 * rest of the batch) before taking the next */
		tx_seal_due(st);
		s = find(st, x->session_id);
	}
	if (!s || s->state != S_OPEN)
		return -ENOENT;
	if (x->frag_off == 0) {
		s->txa_busy = true;
		s->txa_len = 0;
		s->txa_code = x->msg_code;
		s->txa_total = x->total_len;
	} else if (!s->txa_busy || x->frag_off != s->txa_len ||
		   x->total_len != s->txa_total ||
		   x->msg_code != s->txa_code) {
		s->txa_busy = false;
		return -EBADMSG;
	}
	rc = rlpx_budget_grow(&s->mem, &s->txa, &s->txa_cap,
			      s->txa_len + x->data_len, RLPX_MSG_CAP);
	if (rc == -EDQUOT) {            /* over budget: the stream ends */
		sess_end(st, s, rc, MSG_CLOSE_ERROR);
		return 0;
	}
	if (rc < 0)
		return rc;
	if (x->data_len)
		memcpy(s->txa + s->txa_len, data, x->data_len);
	s->txa_len += x->data_len;
	if (!(x->flags & MSG_RLPX_F_LAST))
		return 0;
	s->txa_busy = false;
	if (s->txa_len != s->txa_total)
		return -EBADMSG;
	if (s->txa_len <= TX_BATCH_LEN && tx_defer(st, s) == 0)
		return 0;
	rc = queue_msg(st, s, s->txa_code, s->txa, s->txa_len);
	if (rc == -ENOBUFS || rc == -EDQUOT) {  /* not reading, or no room */
		sess_end(st, s, rc, MSG_CLOSE_ERROR);
		return 0;
	}
	if (rc < 0)
		return rc;
	rlpx_budget_shrink(&s->mem, &s->txa, &s->txa_cap, TX_BATCH_LEN);
	flush(st, s);
	return 0;
}

/* ctl_close() carries out a close request (c: a checked copy). */
static int ctl_close(struct rlpx_stage *st, const struct msg_rlpx_closed *c)
{
	struct sess *s;

	s = find(st, c->session_id);
	if (s && s->tx_due) {           /* what came before goes first */
		tx_seal_due(st);
		s = find(st, c->session_id);
	}
	if (!s)
		return -ENOENT;
	if (s->state == S_DEAD || s->state == S_CLOSING)
		return 0;
	s->close_reason = c->reason;
	if (s->state == S_OPEN && c->reason != MSG_RLPX_REASON_NONE) {
		/* p2p Disconnect: [reason] */
		uint8_t pl[2] = { 0xc1, c->reason };

		if (pl[1] == 0)
			pl[1] = 0x80;
		if (queue_msg(st, s, RLPX_P2P_DISCONNECT, pl, 2) == 0) {
			s->state = S_CLOSING;
			s->emitting = false;
			s->rd_off = true;
			flush(st, s);
			return 0;
		}
	}
	sess_end(st, s, 0, MSG_CLOSE_LOCAL);
	return 0;
}

/* ctl_apply() carries out one TX or close request. */
static int ctl_apply(struct rlpx_stage *st, const struct rlpx_req *r)
{
	if (r->kind == MSG_RLPX_TX)
		return ctl_tx(st, &r->u.tx, r->data);
	return ctl_close(st, &r->u.close);
}

/* hold() keeps a TX or close request for a pending session, its payload
 * copied (the slot goes back to the pool). Returns RLPX_CTL_HELD or
 * -EBUSY (bound hit, or no memory for the copy: the caller offers it
 * again; the pending timeout bounds the wait). */
static int hold(struct rlpx_stage *st, struct sess *s,
		const struct rlpx_req *r)
{
	struct rlpx_req_held *h;

	if (s->n_held >= RLPX_STAGE_HOLD_MAX ||
	    st->n_held >= RLPX_STAGE_HOLD_TOTAL)
		return -EBUSY;
	if (!s->held) {
		s->held = calloc(RLPX_STAGE_HOLD_MAX, sizeof(*s->held));
		if (!s->held)
			return -EBUSY;
	}
	h = &s->held[s->n_held];
	if (rlpx_req_hold(h, r, &s->mem) < 0)
		return -EBUSY;
	s->n_held++;
	st->n_held++;
	return RLPX_CTL_HELD;
}

int rlpx_stage_ctl(struct rlpx_stage *st, const struct msg_desc *d,
		   void *slot)
{
	struct rlpx_req r;
	struct sess *s;
	int rc;

	if (!slot)
		return -EBADMSG;
	switch (d->kind) {
	case MSG_RLPX_KEYS: {
		struct msg_rlpx_keys k;

		rc = msg_load(d, slot, &k, sizeof(k));
		/* The secrets leave the shared pool whatever happened. */
		explicit_bzero(slot, MSG_SLOT_SIZE);
		if (rc == 0 && d->len != sizeof(k))
			rc = -EBADMSG;
		if (rc == 0)
			rc = ctl_keys(st, &k);
		else
			rc = -EBADMSG;
		explicit_bzero(&k, sizeof(k));
		break;
	}
	case MSG_RLPX_TX:
	case MSG_RLPX_CLOSED:
		rc = rlpx_req_load(&r, d, slot);
		if (rc < 0)
			break;
		s = find(st, d->kind == MSG_RLPX_TX ? r.u.tx.session_id :
						       r.u.close.session_id);
		if (s && s->state == S_PENDING)
			return hold(st, s, &r);
		rc = ctl_apply(st, &r);
		break;
	default:
		rc = -EBADMSG;
	}
	if (rc < 0)
		cnt(st, DP_CNT_RLPX_CTL_DROP, 1);
	return rc;
}

/* ---- stage -------------------------------------------------------------- */

int rlpx_stage_new(struct rlpx_stage **out, const struct rlpx_stage_cfg *cfg)
{
	struct rlpx_stage *st = calloc(1, sizeof(*st));
	unsigned nb = 16;

	if (!st)
		return -ENOMEM;
	st->ep = -1;
	st->cfg = *cfg;
	if (!st->cfg.max_sessions)
		st->cfg.max_sessions = RLPX_STAGE_MAX_SESS;
	if (!st->cfg.sess_mem_max)
		st->cfg.sess_mem_max = RLPX_STAGE_SESS_MEM;
	if (!st->cfg.mem_max)
		st->cfg.mem_max = RLPX_STAGE_MEM;
	if (!st->cfg.mem_wait_ns)
		st->cfg.mem_wait_ns = RLPX_STAGE_MEM_WAIT_NS;
	/* A session must fit at least its idle buffers, a worker one. */
	if (st->cfg.sess_mem_max < RLPX_STAGE_MEM_MIN ||
	    st->cfg.mem_max < st->cfg.sess_mem_max) {
		free(st);
		return -EINVAL;
	}
	st->mem = (struct rlpx_budget){ .max = st->cfg.mem_max };
	st->out = (struct rlpx_out){ .ring = cfg->ring, .q = cfg->rxq,
				     .seq = cfg->seq };
	while (nb < st->cfg.max_sessions && nb < (1u << 20))
		nb *= 2;
	st->n_buckets = nb;
	st->bucket = calloc(nb, sizeof(*st->bucket));
	st->ep = epoll_create1(EPOLL_CLOEXEC);
	if (!st->bucket || st->ep < 0) {
		int rc = st->ep < 0 ? -errno : -ENOMEM;

		rlpx_stage_free(st);
		return rc;
	}
	st->pend_tail = &st->pend_head;
	pthread_mutex_init(&st->lock, NULL);
	*out = st;
	return 0;
}

void rlpx_stage_free(struct rlpx_stage *st)
{
	if (!st)
		return;
	for (unsigned b = 0; st->bucket && b < st->n_buckets; b++)
		while (st->bucket[b])
			sess_free(st, st->bucket[b]);
	for (unsigned i = 0; i < st->n_inbox; i++)
		close(st->inbox[i].fd);
	if (st->ep >= 0)
		close(st->ep);
	rlpx_budget_shrink(&st->mem, &st->scratch, &st->scratch_cap, 0);
	rlpx_budget_shrink(&st->mem, &st->tx_scratch, &st->tx_scratch_cap, 0);
	free(st->bucket);
	free(st);
}

void rlpx_stage_mem(const struct rlpx_stage *st, size_t *used, size_t *peak)
{
	*used = st->mem.used;
	*peak = st->mem.peak;
}

int rlpx_stage_fd(const struct rlpx_stage *st)
{
	return st->ep;
}

int rlpx_stage_give_fd(struct rlpx_stage *st, uint64_t session_id, int fd)
{
	int rc = -EAGAIN;

	pthread_mutex_lock(&st->lock);
	if (st->n_inbox < RLPX_STAGE_INBOX) {
		st->inbox[st->n_inbox].id = session_id;
		st->inbox[st->n_inbox].fd = fd;
		__atomic_store_n(&st->n_inbox, st->n_inbox + 1,
				 __ATOMIC_RELEASE);
		rc = 0;
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static unsigned take_inbox(struct rlpx_stage *st)
{
	struct inbox_ent e[RLPX_STAGE_INBOX];
	unsigned n;

	if (!__atomic_load_n(&st->n_inbox, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&st->lock);
	n = st->n_inbox;
	memcpy(e, st->inbox, n * sizeof(e[0]));
	st->n_inbox = 0;
	pthread_mutex_unlock(&st->lock);
	for (unsigned i = 0; i < n; i++)
		adopt_fd(st, e[i].id, e[i].fd);
	return n;
}

/* retry_group() pumps a group of stalled sessions together. */
static void retry_group(struct rlpx_stage *st, struct sess *const ss[],
			size_t n)
{
	int rc[POLL_EVENTS];

	pump_set(st, ss, n, rc);
	for (size_t i = 0; i < n; i++)
		if (rc[i] == 0 && ss[i]->state == S_OPEN && !ss[i]->stalled)
			set_events(st, ss[i]);
}

/* retry_stalled() gives every stalled session another go. */
static unsigned retry_stalled(struct rlpx_stage *st)
{
	struct sess *list = st->stalled, *next, *grp[POLL_EVENTS];
	uint64_t now = now_ns(st);
	unsigned did = 0;
	size_t ng = 0;

	st->stalled = NULL;
	st->n_stalled = 0;
	for (struct sess *s = list; s; s = next) {
		next = s->snext;
		s->stalled = false;
		s->snext = NULL;
		if (s->state == S_DEAD) {
			if (report_closed(st, s) == 0) {
				sess_free(st, s);
				did++;
			} else {
				s->stalled = true;
				s->snext = st->stalled;
				st->stalled = s;
				st->n_stalled++;
			}
			continue;
		}
		if (s->state != S_OPEN)
			continue;
		/* Over its memory budget all this time: the peer is not
		 * coming back under it. */
		if (s->mem_parked &&
		    now - s->mem_since >= st->cfg.mem_wait_ns) {
			sess_end(st, s, -EDQUOT, MSG_CLOSE_ERROR);
			did++;
			continue;
		}
		s->rd_off = false;
		grp[ng++] = s;
		if (ng == POLL_EVENTS) {
			retry_group(st, grp, ng);
			ng = 0;
		}
	}
	if (ng)
		retry_group(st, grp, ng);
	return did;
}

/* expire_pending() ends sessions whose other half never came. */
static unsigned expire_pending(struct rlpx_stage *st)
{
	uint64_t now = now_ns(st);
	unsigned did = 0;

	while (st->pend_head && st->pend_head->pend_deadline <= now) {
		sess_end(st, st->pend_head, -ETIMEDOUT, MSG_CLOSE_ERROR);
		did++;
	}
	return did;
}

unsigned rlpx_stage_poll(struct rlpx_stage *st)
{
	struct epoll_event ev[POLL_EVENTS];
	struct sess *rd[POLL_EVENTS];
	int prc[POLL_EVENTS];
	size_t nrd = 0;
	unsigned did;
	int n;

	tx_seal_due(st);                /* what the last ring burst completed */
	did = take_inbox(st);
	if (st->pend_head)
		did += expire_pending(st);
	if (st->stalled)
		did += retry_stalled(st);
	/* Writes first; the readable sessions are then pumped together, so
	 * the frames they have buffered open as one batch per round. No
	 * session is held back for that: the set is what this one
	 * epoll_wait() returned. */
	n = epoll_wait(st->ep, ev, POLL_EVENTS, 0);
	for (int i = 0; i < n; i++) {
		struct sess *s = ev[i].data.ptr;

		if (s->state == S_DEAD)
			continue;
		if ((ev[i].events & (EPOLLOUT | EPOLLERR)) &&
		    s->wq_len > s->wq_off && flush(st, s) < 0)
			continue;
		if (s->state == S_OPEN && !s->rd_off &&
		    (ev[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP |
				     EPOLLERR)))
			rd[nrd++] = s;
		else if (s->state == S_CLOSING &&
			 (ev[i].events & (EPOLLHUP | EPOLLERR)))
			sess_end(st, s, 0, MSG_CLOSE_LOCAL);
	}
	if (nrd)
		pump_set(st, rd, nrd, prc);
	tx_seal_due(st);                /* held requests replayed above */
	if (n > 0)
		did += (unsigned)n;
	/* Also covers what rlpx_stage_ctl() enqueued since the last poll. */
	if (st->out.enqueued && st->cfg.notify_fn)
		st->cfg.notify_fn(st->cfg.notify_arg);
	st->out.enqueued = false;
	return did;
}

bool rlpx_stage_stalled(const struct rlpx_stage *st)
{
	return st->stalled != NULL;
}

unsigned rlpx_stage_n_sessions(const struct rlpx_stage *st)
{
	return st->n_sess;
}
