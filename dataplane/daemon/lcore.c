/* SPDX-License-Identifier: MIT */
/* dataplane/daemon/lcore.c - the per-queue run-to-completion worker loop. */
#include "dataplane/daemon/lcore.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/msg.h"

#define IDLE_WAIT_MS 100                /* bounds how late a stop is seen */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t sys_mono_ns(void *arg)
{
	(void)arg;
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t sys_unix_ns(void *arg)
{
	(void)arg;
	return clock_ns(CLOCK_REALTIME);
}

const struct lcore_clock lcore_system_clock = {
	.mono_ns = sys_mono_ns,
	.unix_ns = sys_unix_ns,
};

static const struct lcore_clock *clk(const struct lcore *l)
{
	return l->clock ? l->clock : &lcore_system_clock;
}

static uint64_t tsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return 0;
#endif
}

/* Counters have one writer (this worker); readers in either process load
 * them relaxed, so a plain read-modify-write published with a relaxed
 * store is enough. */
static inline void cnt_add(uint64_t *c, unsigned i, uint64_t v)
{
	__atomic_store_n(&c[i], c[i] + v, __ATOMIC_RELAXED);
}

/* wake_ctl() writes the control eventfd unless a wake-up is already
 * pending. Control clears ctl_notified before it drains the rings, and
 * the fences pair so that either it sees our descriptors or we see the
 * cleared flag (Dekker). Measured choice: this costs one write(2) per
 * burst only while control is idle, none while it is busy draining. */
void lcore_wake_ctl(void *arg)
{
	struct lcore *l = arg;

	static const uint64_t one = 1;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&l->shm->ctl_notified, __ATOMIC_RELAXED))
		return;
	if (__atomic_exchange_n(&l->shm->ctl_notified, 1, __ATOMIC_SEQ_CST))
		return;
	if (write(l->ctl_efd, &one, sizeof(one)) == sizeof(one))
		cnt_add(l->cnt, DP_CNT_CTL_WAKEUPS, 1);
}

static void rx_stage(struct lcore *l, const struct pktio_pkt *pkts,
		     unsigned n)
{
	_Alignas(64) uint8_t scratch[MSG_SLOT_SIZE];
	struct msg_discv4_rx *m4 = (struct msg_discv4_rx *)scratch;
	struct msg_discv5_rx *m5 = (struct msg_discv5_rx *)scratch;
	struct msg_desc d[PKTIO_BURST];
	const struct lcore_clock *c = clk(l);
	uint64_t mono = c->mono_ns(c->arg), unix_ns = c->unix_ns(c->arg);
	uint64_t t = tsc(), bytes = 0;
	unsigned nd = 0, enq;

	for (unsigned i = 0; i < n; i++) {
		const struct pktio_pkt *pk = &pkts[i];
		struct disc_rx_result r;
		uint32_t slot;
		size_t mlen;

		bytes += pk->len;
		r = disc_rx_process(l->stage, l->v5, pk->buf, pk->len,
				    pk->peer_addr, pk->peer_port_be,
				    pk->sock_idx, mono, unix_ns, scratch,
				    sizeof(scratch));
		for (unsigned k = 0; k < r.n_cnt; k++)
			cnt_add(l->cnt, r.cnt[k], 1);
		if (r.v4 == DISCV4_RX_DROP_SIG && l->io->ops->bad_source &&
		    l->io->ops->bad_source(l->io, l->q, pk->peer_addr) > 0)
			cnt_add(l->cnt, DP_CNT_BANS_ADDED, 1);
		if (!r.kind)
			continue;
		if (shmring_slot_alloc(l->ring, &slot) < 0) {
			cnt_add(l->cnt, DP_CNT_DROP_NO_SLOT, 1);
			continue;
		}
		/* The two messages share their first fields' meaning, not
		 * their offsets: each is finished in its own layout. */
		if (r.kind == MSG_DISCV4_RX) {
			m4->hdr.seq = l->seq++;
			m4->hdr.rx_tsc = t;
			m4->dst_port_be = pk->local_port_be;
			m4->sock_idx = pk->sock_idx;
			m4->queue = (uint16_t)l->q;
			mlen = sizeof(*m4) + m4->data_len;
		} else {
			m5->hdr.seq = l->seq++;
			m5->hdr.rx_tsc = t;
			m5->dst_port_be = pk->local_port_be;
			m5->sock_idx = pk->sock_idx;
			m5->queue = (uint16_t)l->q;
			mlen = sizeof(*m5) + m5->data_len;
		}
		memcpy(shmring_slot_ptr(l->ring, slot), scratch, mlen);
		d[nd++] = (struct msg_desc){ .slot = slot,
					     .len = (uint16_t)mlen,
					     .kind = r.kind };
	}
	cnt_add(l->cnt, DP_CNT_RX_PKTS, n);
	cnt_add(l->cnt, DP_CNT_RX_BYTES, bytes);
	if (!nd)
		return;
	/* A full ring drops: the dataplane never waits for control. */
	enq = shmring_enqueue(l->rxq, d, nd);
	for (unsigned i = enq; i < nd; i++) {
		shmring_slot_free(l->ring, d[i].slot);
		cnt_add(l->cnt, DP_CNT_DROP_RING_FULL, 1);
	}
	if (enq)
		lcore_wake_ctl(l);
}

unsigned lcore_tx_drain(struct lcore *l)
{
	struct msg_desc d[PKTIO_BURST];
	struct pktio_pkt pk[PKTIO_BURST];
	uint32_t slots[PKTIO_BURST];
	unsigned n, np = 0, ns = 0, sent, taken;
	uint64_t bytes = 0, mono = 0;

	if (l->n_stash) {
		n = l->n_stash;
		memcpy(d, l->tx_stash, n * sizeof(d[0]));
		l->n_stash = 0;
	} else {
		n = shmring_dequeue(l->txq, d, PKTIO_BURST);
	}
	taken = n;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *slot = shmring_desc_ptr(l->ring, &d[i]);
		struct msg_discv4_tx tx;        /* the copy; never the slot */

		if (!slot) {
			cnt_add(l->cnt, DP_CNT_TX_BAD_MSG, 1);
			continue;
		}
		if (l->rlpx && (d[i].kind == MSG_RLPX_KEYS ||
				d[i].kind == MSG_RLPX_TX ||
				d[i].kind == MSG_RLPX_CLOSED)) {
			int rc = rlpx_stage_ctl(l->rlpx, &d[i], slot);

			if (rc == -EBUSY) {
				/* In order: this one and all behind it. */
				l->n_stash = n - i;
				memcpy(l->tx_stash, d + i,
				       l->n_stash * sizeof(d[0]));
				taken = i;
				break;
			}
			slots[ns++] = d[i].slot;        /* held ones: copied */
			continue;
		}
		slots[ns++] = d[i].slot;
		/* Control may rewrite the slot while we read it: the header
		 * is copied once and only the copy is checked and used; the
		 * datagram goes out of the slot with the checked length. */
		if (d[i].kind != MSG_DISCV4_TX ||
		    msg_load(&d[i], slot, &tx, sizeof(tx)) < 0 ||
		    sizeof(tx) + tx.data_len != d[i].len ||
		    tx.data_len > MSG_DISCV4_MAX_PACKET) {
			cnt_add(l->cnt, DP_CNT_TX_BAD_MSG, 1);
			continue;
		}
		/* WHOAREYOUs answer unauthenticated packets: within the
		 * destination's limit only (dataplane/stage/discv5_rx.h). */
		if ((tx.tx_flags & MSG_TX_F_WHOAREYOU) && l->v5) {
			if (!mono)
				mono = clk(l)->mono_ns(clk(l)->arg);
			if (!discv5_rx_whoareyou_ok(l->v5, tx.dst_addr, mono)) {
				cnt_add(l->cnt, DP_CNT_WHOAREYOU_LIMITED, 1);
				continue;
			}
		}
		pk[np].buf = slot + sizeof(tx);
		pk[np].len = tx.data_len;
		pk[np].sock_idx = tx.sock_idx;
		pk[np].local_port_be = 0;
		pk[np].peer_port_be = tx.dst_port_be;
		memcpy(pk[np].peer_addr, tx.dst_addr, MSG_ADDR_LEN);
		bytes += tx.data_len;
		np++;
	}
	if (np) {
		sent = l->io->ops->tx_burst(l->io, l->q, pk, np);
		cnt_add(l->cnt, DP_CNT_TX_PKTS, sent);
		cnt_add(l->cnt, DP_CNT_TX_BYTES, bytes);
		cnt_add(l->cnt, DP_CNT_TX_ERR, np - sent);
	}
	/* Consumes: every slot goes back, sent or not. */
	if (ns)
		shmring_slot_free_burst(l->ring, slots, ns);
	return taken;
}

/* The occupancy gauges: stored only when they change, so an idle or
 * steady worker does not dirty the counter line at every poll. */
static void sample_gauges(struct lcore *l)
{
	uint64_t depth = shmring_count(l->rxq);

	if (l->cnt[DP_CNT_RING_DEPTH] != depth)
		__atomic_store_n(&l->cnt[DP_CNT_RING_DEPTH], depth,
				 __ATOMIC_RELAXED);
	if (l->q == 0) {
		uint64_t used = shmring_n_slots(l->ring) -
				shmring_slots_free(l->ring);

		if (l->cnt[DP_CNT_SLOTS_USED] != used)
			__atomic_store_n(&l->cnt[DP_CNT_SLOTS_USED], used,
					 __ATOMIC_RELAXED);
	}
}

unsigned lcore_poll(struct lcore *l)
{
	struct pktio_pkt pkts[PKTIO_BURST];
	unsigned n, t;

	n = l->io->ops->rx_burst(l->io, l->q, pkts, PKTIO_BURST);
	if (n)
		rx_stage(l, pkts, n);
	t = lcore_tx_drain(l);
	if (l->rlpx)
		t += rlpx_stage_poll(l->rlpx);
	sample_gauges(l);
	return n + t;
}

/* What control queued before it sent SHUTDOWN is carried out before the
 * worker exits: control ends a node's sessions with close requests
 * (P2P_DISC_QUITTING) right before it stops us, and the stop may be seen
 * first. Each close request writes its Disconnect at once (rlpx_stage.c
 * ctl_close(): queue, then flush), so the peers read "client quitting"
 * instead of an EOF. Bounded: at most STOP_DRAIN_ROUNDS rounds, no
 * sleep, no rx; what a full socket buffer still holds is lost with it. */
#define STOP_DRAIN_ROUNDS 64
static void lcore_drain_on_stop(struct lcore *l)
{
	for (unsigned i = 0; i < STOP_DRAIN_ROUNDS; i++) {
		unsigned did = lcore_tx_drain(l);

		if (l->rlpx)
			did += rlpx_stage_poll(l->rlpx);
		if (!did)
			break;
	}
}

int lcore_loop(struct lcore *l)
{
	uint32_t *tx_notified = &l->shm->w[l->q].tx_notified;

	while (!*l->stop) {
		uint64_t v;
		int rc;

		if (lcore_poll(l))
			continue;
		rc = l->io->ops->wait(l->io, l->q,
				      l->n_stash || (l->rlpx &&
				      rlpx_stage_stalled(l->rlpx)) ?
				      1 : IDLE_WAIT_MS);
		if (rc < 0)
			return rc;
		/* Consume the wake-up, then clear the flag, then drain (the
		 * next iteration): a send after the clear writes the eventfd
		 * again, one before it is in the ring we are about to read. */
		if (read(l->tx_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return -errno;
		__atomic_store_n(tx_notified, 0, __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	lcore_drain_on_stop(l);
	return 0;
}

static void *lcore_thread(void *arg)
{
	struct lcore *l = arg;
	int rc = lcore_loop(l);

	for (unsigned i = 0; i < l->n_stash; i++)
		shmring_slot_free(l->ring, l->tx_stash[i].slot);
	l->n_stash = 0;
	rlpx_frame_thread_fini();       /* the RLPx stage's IPsec-MB manager */
	return (void *)(intptr_t)rc;
}

int lcore_start(struct lcore *l)
{
	int rc = pthread_create(&l->th, NULL, lcore_thread, l);

	if (rc)
		return -rc;
	l->started = true;
	return 0;
}

void lcore_join(struct lcore *l)
{
	if (!l->started)
		return;
	pthread_join(l->th, NULL);
	l->started = false;
}
