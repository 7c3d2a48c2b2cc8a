/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_ring_consumer.c - a hostile control process on the
 * dataplane's consumer of the ring from control: arbitrary descriptors
 * and slot contents of every message kind into the worker's tx path
 * (MSG_DISCV4_TX to the backend, MSG_RLPX_KEYS / _TX / _CLOSED to the
 * RLPx stage, a datagram flagged MSG_TX_F_WHOAREYOU through discv5's
 * per-destination limiter) with an open and a pending session to aim at. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/msg.h"
#include "common/rlpx_frame.h"
#include "common/shmring.h"
#include "dataplane/daemon/lcore.h"

/*
 * Input: records until it ends, each
 *   kind     u8   desc.kind (any value: unknown kinds too)
 *   ctl      u8   bits 0-2 slot index (0..7), bit 3 MSG_DESC_F_NOSLOT,
 *                 bit 4 fix the header up (hdr.type = kind, hdr.len and
 *                 the kind's data_len agree with desc.len) so the checks
 *                 behind it are reached, bit 5 (KEYS) start from a valid
 *                 frame state, bits 6-7 the session: the open one, the
 *                 pending one, a new one, or as the bytes say
 *   len      u16  desc.len, little-endian
 *   n        u8   slot bytes that follow (written from offset 0; with a
 *                 valid KEYS start they are XORed in after the header)
 *   bytes    n
 * after each record the worker drains its ring once; after every fourth
 * the RLPx stage runs a round. The fake backend reads every datagram
 * whole and aborts on a length the message could not have had.
 * Invariants: no crash, no read outside a slot, every slot back.
 */

#define N_SLOTS  8
#define SID_OPEN 0x1111
#define SID_PEND 0x2222

static uint8_t sink[UINT16_MAX + 1];

static unsigned fz_rx(struct pktio *p, unsigned q, struct pktio_pkt *pkts,
		      unsigned n)
{
	(void)p;
	(void)q;
	(void)pkts;
	(void)n;
	return 0;
}

/* A checked MSG_DISCV4_TX holds at most MSG_DISCV4_MAX_PACKET bytes, all
 * inside its slot: anything else is a consumer that read a length it did
 * not check. */
static struct shmring *fz_ring;

static unsigned fz_tx(struct pktio *p, unsigned q,
		      const struct pktio_pkt *pkts, unsigned n)
{
	(void)p;
	(void)q;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *lo = shmring_slot_ptr(fz_ring, 0);
		const uint8_t *hi = lo + (size_t)N_SLOTS * MSG_SLOT_SIZE;

		if (pkts[i].len > MSG_DISCV4_MAX_PACKET || pkts[i].buf < lo ||
		    pkts[i].buf + pkts[i].len > hi ||
		    (size_t)(pkts[i].buf - lo) % MSG_SLOT_SIZE +
				    pkts[i].len > MSG_SLOT_SIZE)
			abort();
		memcpy(sink, pkts[i].buf, pkts[i].len);
	}
	return n;
}

static int fz_wait(struct pktio *p, unsigned q, int ms)
{
	(void)p;
	(void)q;
	(void)ms;
	return 0;
}

static int fz_add_wake(struct pktio *p, unsigned q, int fd)
{
	(void)p;
	(void)q;
	(void)fd;
	return 0;
}

static uint16_t fz_port(const struct pktio *p, unsigned i)
{
	(void)p;
	(void)i;
	return 0;
}

static void fz_close(struct pktio *p)
{
	(void)p;
}

static const struct pktio_ops fz_ops = {
	.name = "fuzz", .close = fz_close, .rx_burst = fz_rx,
	.tx_burst = fz_tx, .wait = fz_wait, .add_wake_fd = fz_add_wake,
	.local_port = fz_port,
};

/* keys_of() is a valid MSG_RLPX_KEYS for sid: fixed secrets, so that
 * inputs replay the same. */
static void keys_of(struct msg_rlpx_keys *k, uint64_t sid)
{
	static const uint8_t auth[] = "ring auth", ack[] = "ring ack";
	uint8_t shared[32], ni[32], nr[32];
	struct rlpx_secrets s;
	struct rlpx_frame f;

	for (int i = 0; i < 32; i++) {
		shared[i] = (uint8_t)(i * 3 + 1);
		ni[i] = (uint8_t)(0x40 + i);
		nr[i] = (uint8_t)(0x99 ^ i);
	}
	rlpx_secrets_from_shared(&s, shared, ni, nr, auth, sizeof(auth), ack,
				 sizeof(ack), RLPX_RECIPIENT);
	if (rlpx_frame_init(&f, &s, 0))
		abort();
	memset(k, 0, sizeof(*k));
	if (rlpx_frame_export(k, &f))
		abort();
	rlpx_frame_fini(&f);
	rlpx_secrets_wipe(&s);
	k->hdr.type = MSG_RLPX_KEYS;
	k->hdr.len = sizeof(*k) - sizeof(k->hdr);
	k->session_id = sid;
}

/* fix_up() makes the header agree with d, as a well-behaved control
 * would, leaving the rest as the input wrote it. */
static void fix_up(uint8_t *slot, const struct msg_desc *d)
{
	struct msg_hdr *h = (struct msg_hdr *)slot;

	h->type = d->kind;
	h->len = d->len >= sizeof(*h) ? (uint16_t)(d->len - sizeof(*h)) : 0;
	if (d->kind == MSG_DISCV4_TX && d->len >= sizeof(struct msg_discv4_tx))
		((struct msg_discv4_tx *)slot)->data_len =
			(uint16_t)(d->len - sizeof(struct msg_discv4_tx));
	if (d->kind == MSG_RLPX_TX && d->len >= sizeof(struct msg_rlpx_data)) {
		struct msg_rlpx_data *x = (struct msg_rlpx_data *)slot;

		x->data_len = (uint16_t)(d->len - sizeof(*x));
		if (x->total_len < x->frag_off + x->data_len)
			x->total_len = x->frag_off + x->data_len;
	}
}

/* A fixed clock: inputs replay the same (the WHOAREYOU limiter). */
static uint64_t fz_clock(void *arg)
{
	(void)arg;
	return 1000000000ull;
}

static const struct lcore_clock fz_clk = { fz_clock, fz_clock, NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct discv5_rx_keys *keys;
	struct shmring_cfg rc = { .n_rings = 2, .ring_size = 64,
				  .n_slots = N_SLOTS };
	static struct dplink_shm shm;
	struct pktio io = { .ops = &fz_ops, .n_queues = 1 };
	struct msg_rlpx_keys k;
	struct msg_desc kd;
	volatile bool stop = false;
	struct lcore l;
	struct shmring *r;
	uint32_t s;
	size_t off = 0;
	unsigned rec = 0;
	int sv[2];

	if (shmring_create(&r, &rc))
		abort();
	fz_ring = r;
	while (shmring_slot_alloc(r, &s) == 0)  /* control holds them all */
		;
	memset(&shm, 0, sizeof(shm));
	memset(&l, 0, sizeof(l));
	l.io = &io;
	l.ring = r;
	l.rxq = shmring_ring(r, shmring_ring_idx(0, SHMRING_TO_CTL));
	l.txq = shmring_ring(r, shmring_ring_idx(0, SHMRING_TO_DP));
	l.shm = &shm;
	l.cnt = shm.w[0].cnt;
	l.ctl_efd = l.tx_efd = -1;
	l.stop = &stop;
	l.clock = &fz_clk;
	if (discv4_rx_new(&l.stage, &(struct discv4_rx_cfg){ 0 }) ||
	    discv5_rx_keys_new(&keys, 1) ||
	    discv5_rx_new(&l.v5, &(struct discv5_rx_cfg){
		    .keys = keys, .way_rate = 5, .way_burst = 3 }) ||
	    rlpx_stage_new(&l.rlpx, &(struct rlpx_stage_cfg){
		    .ring = r, .rxq = l.rxq, .cnt = l.cnt, .seq = &l.seq,
		    .max_sessions = 16 }))
		abort();
	/* One open session (keys + a socket) and one pending (keys only). */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	kd = (struct msg_desc){ .slot = 0, .len = sizeof(k),
				.kind = MSG_RLPX_KEYS };
	keys_of(&k, SID_OPEN);
	memcpy(shmring_slot_ptr(r, 0), &k, sizeof(k));
	if (rlpx_stage_ctl(l.rlpx, &kd, shmring_slot_ptr(r, 0)) ||
	    rlpx_stage_give_fd(l.rlpx, SID_OPEN, sv[0]))
		abort();
	keys_of(&k, SID_PEND);
	memcpy(shmring_slot_ptr(r, 0), &k, sizeof(k));
	if (rlpx_stage_ctl(l.rlpx, &kd, shmring_slot_ptr(r, 0)))
		abort();
	(void)rlpx_stage_poll(l.rlpx);

	while (off + 5 <= size) {
		uint8_t kind = data[off], ctl = data[off + 1];
		uint16_t len = (uint16_t)(data[off + 2] | data[off + 3] << 8);
		size_t n = data[off + 4];
		struct msg_desc d = { .slot = ctl & 7, .len = len, .kind = kind,
				      .flags = ctl & 8 ? MSG_DESC_F_NOSLOT :
							 0 };
		uint8_t *slot = shmring_slot_ptr(r, d.slot);
		uint64_t sid;
		unsigned sel = ctl >> 6;

		off += 5;
		if (n > size - off)
			n = size - off;
		memset(slot, 0, MSG_SLOT_SIZE);
		if (kind == MSG_RLPX_KEYS && (ctl & 0x20)) {
			keys_of(&k, 0);
			memcpy(slot, &k, sizeof(k));
			for (size_t i = 0; i < n && 48 + i < MSG_SLOT_SIZE; i++)
				slot[48 + i] ^= data[off + i];
		} else {
			memcpy(slot, data + off, n);
		}
		off += n;
		if (ctl & 0x10)
			fix_up(slot, &d);
		/* Aim at a session: every kind of control message has its
		 * session id at offset 16. */
		sid = sel == 0 ? SID_OPEN : sel == 1 ? SID_PEND :
		      sel == 2 ? 0x3000 + (rec & 7) : 0;
		if (sel != 3)
			memcpy(slot + 16, &sid, sizeof(sid));
		if (shmring_enqueue(l.txq, &d, 1) != 1)
			break;          /* stuck behind a full hold: enough */
		/* The worker takes it (or stashes it behind a full hold)
		 * and frees every slot it took; control takes them back. */
		(void)lcore_tx_drain(&l);
		if (++rec % 4 == 0)
			(void)rlpx_stage_poll(l.rlpx);
		while (shmring_slot_alloc(r, &s) == 0)
			;
		if (l.n_stash)          /* a hold was full: drain it */
			(void)rlpx_stage_poll(l.rlpx);
	}
	(void)rlpx_stage_poll(l.rlpx);
	for (unsigned i = 0; i < l.n_stash; i++)
		shmring_slot_free(r, l.tx_stash[i].slot);
	rlpx_stage_free(l.rlpx);
	discv4_rx_free(l.stage);
	discv5_rx_free(l.v5);
	discv5_rx_keys_free(keys);
	close(sv[1]);
	explicit_bzero(&k, sizeof(k));
	shmring_free(r);
	return 0;
}
