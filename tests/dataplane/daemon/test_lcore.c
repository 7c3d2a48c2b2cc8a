/* SPDX-License-Identifier: MIT */
/* tests/dataplane/daemon/test_lcore.c - the worker loop against a hostile
 * control process (lengths in slots rewritten while it reads them) and on
 * injected clocks, through a fake packet backend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/discv4_wire.h"
#include "common/dplink_proto.h"
#include "common/msg.h"
#include "common/shmring.h"
#include "dataplane/daemon/lcore.h"
#include "tests/dataplane/stage/rlpx_pair.h"
#include "tests/dataplane/stage/v5pkt.h"

#define N_SLOTS   8             /* even: the last slot ends the region */
#define GOOD_LEN  100           /* the length control checks out */
#define EVIL_LEN  UINT16_MAX    /* what it grows to meanwhile */
#define RACE_NS   (2ull * 1000000000ull)        /* per race test */
#define RACE_MSGS 200000u

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- a fake backend: packets in from a table, out into a counter ---- */

struct fake {
	struct pktio io;                /* first: the handle */
	int wake[4];
	unsigned n_wake;
	/* rx: what the next rx_burst returns */
	struct pktio_pkt rx[PKTIO_BURST];
	unsigned n_rx;
	/* tx: what went out */
	uint64_t sent, bad_len;
	uint8_t copy[UINT16_MAX + 64];  /* every byte of every packet read */
};

static unsigned fake_rx(struct pktio *p, unsigned q, struct pktio_pkt *pkts,
			unsigned n)
{
	struct fake *f = (struct fake *)p;
	unsigned k = f->n_rx < n ? f->n_rx : n;

	(void)q;
	memcpy(pkts, f->rx, k * sizeof(*pkts));
	f->n_rx = 0;
	return k;
}

/* fake_tx() reads each packet whole, as a NIC or sendmmsg would: a
 * length beyond the slot reads into the guard page after the region. */
static unsigned fake_tx(struct pktio *p, unsigned q,
			const struct pktio_pkt *pkts, unsigned n)
{
	struct fake *f = (struct fake *)p;

	(void)q;
	for (unsigned i = 0; i < n; i++) {
		memcpy(f->copy, pkts[i].buf, pkts[i].len);
		if (pkts[i].len != GOOD_LEN)
			__atomic_add_fetch(&f->bad_len, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&f->sent, 1, __ATOMIC_RELAXED);
	}
	return n;
}

static int fake_wait(struct pktio *p, unsigned q, int timeout_ms)
{
	struct fake *f = (struct fake *)p;
	struct pollfd pf[4];

	(void)q;
	for (unsigned i = 0; i < f->n_wake; i++)
		pf[i] = (struct pollfd){ .fd = f->wake[i], .events = POLLIN };
	return poll(pf, f->n_wake, timeout_ms) < 0 ? -errno : 0;
}

static int fake_add_wake(struct pktio *p, unsigned q, int fd)
{
	struct fake *f = (struct fake *)p;

	(void)q;
	if (f->n_wake >= 4)
		return -ENOSPC;
	f->wake[f->n_wake++] = fd;
	return 0;
}

static uint16_t fake_port(const struct pktio *p, unsigned i)
{
	(void)p;
	(void)i;
	return 0;
}

static void fake_close(struct pktio *p)
{
	(void)p;
}

static const struct pktio_ops fake_ops = {
	.name = "fake", .close = fake_close, .rx_burst = fake_rx,
	.tx_burst = fake_tx, .wait = fake_wait, .add_wake_fd = fake_add_wake,
	.local_port = fake_port,
};

/* ---- injected clocks -------------------------------------------------- */

struct clocks {
	uint64_t mono, unix_ns;
};

static uint64_t inj_mono(void *arg)
{
	return ((struct clocks *)arg)->mono;
}

static uint64_t inj_unix(void *arg)
{
	return ((struct clocks *)arg)->unix_ns;
}

/* ---- one worker on a region of N_SLOTS slots ------------------------ */

struct w {
	struct shmring *r;
	struct dplink_shm shm;
	struct fake f;
	struct lcore l;
	volatile bool stop;
	int ctl_efd, tx_efd;
	struct clocks ck;
	struct lcore_clock clock;
};

/* guarded() tells whether the page at p is mapped PROT_NONE (read from
 * /proc/self/maps): the guard shmring puts after the region. */
static bool guarded(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	char line[512];
	bool found = false;
	FILE *m = fopen("/proc/self/maps", "r");

	assert_non_null(m);
	while (fgets(line, sizeof(line), m)) {
		unsigned long lo, hi;
		char perm[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) == 3 &&
		    a >= lo && a < hi) {
			found = !strncmp(perm, "---", 3);
			break;
		}
	}
	fclose(m);
	return found;
}

static void w_init(struct w *w, bool rlpx)
{
	struct shmring_cfg rc = { .n_rings = 2, .ring_size = 64,
				  .n_slots = N_SLOTS };
	uint32_t s;

	memset(w, 0, sizeof(*w));
	assert_int_equal(shmring_create(&w->r, &rc), 0);
	/* Control holds every slot: this test writes where it likes. */
	while (shmring_slot_alloc(w->r, &s) == 0)
		;
	/* An overread of the last slot faults. */
	assert_true(guarded((uint8_t *)shmring_slot_ptr(w->r, N_SLOTS - 1) +
			    MSG_SLOT_SIZE));
	w->f.io.ops = &fake_ops;
	w->f.io.n_queues = 1;
	w->ctl_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->tx_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(w->ctl_efd >= 0 && w->tx_efd >= 0);
	assert_int_equal(fake_add_wake(&w->f.io, 0, w->tx_efd), 0);
	w->ck = (struct clocks){ .mono = 1000000000ull,
				 .unix_ns = 1700000000ull * 1000000000ull };
	w->clock = (struct lcore_clock){ .mono_ns = inj_mono,
					 .unix_ns = inj_unix, .arg = &w->ck };
	w->l.q = 0;
	w->l.io = &w->f.io;
	w->l.ring = w->r;
	w->l.rxq = shmring_ring(w->r, shmring_ring_idx(0, SHMRING_TO_CTL));
	w->l.txq = shmring_ring(w->r, shmring_ring_idx(0, SHMRING_TO_DP));
	w->l.shm = &w->shm;
	w->l.cnt = w->shm.w[0].cnt;
	w->l.ctl_efd = w->ctl_efd;
	w->l.tx_efd = w->tx_efd;
	w->l.stop = &w->stop;
	w->l.clock = &w->clock;
	assert_int_equal(discv4_rx_new(&w->l.stage, &(struct discv4_rx_cfg){
			.budget_rate = 2, .budget_burst = 3 }), 0);
	if (rlpx) {
		assert_int_equal(rlpx_stage_new(&w->l.rlpx,
			&(struct rlpx_stage_cfg){
				.ring = w->r, .rxq = w->l.rxq,
				.cnt = w->l.cnt, .seq = &w->l.seq }), 0);
		assert_int_equal(fake_add_wake(&w->f.io, 0,
					       rlpx_stage_fd(w->l.rlpx)), 0);
	}
}

static void w_fini(struct w *w)
{
	rlpx_stage_free(w->l.rlpx);
	discv4_rx_free(w->l.stage);
	close(w->ctl_efd);
	close(w->tx_efd);
	shmring_free(w->r);
}

static uint64_t cnt(const struct w *w, unsigned i)
{
	return __atomic_load_n(&w->shm.w[0].cnt[i], __ATOMIC_RELAXED);
}

/* ---- the race: control grows a length after the worker checked it --- */

struct flipper {
	volatile uint16_t *len;         /* a length field in the slot */
	volatile bool done;
	uint64_t flips;
};

static void *flip(void *arg)
{
	struct flipper *fl = arg;

	while (!fl->done) {
		__atomic_store_n(fl->len, EVIL_LEN, __ATOMIC_RELAXED);
		__atomic_store_n(fl->len, GOOD_LEN, __ATOMIC_RELAXED);
		fl->flips++;
	}
	return NULL;
}

/* offer() puts descriptors d[0..n) on the ring from control in one go,
 * wakes the worker and waits (bounded) until it has freed their slots,
 * which control then takes back. Returns false if the worker never gave
 * them back. */
static bool offer(struct w *w, const struct msg_desc *d, unsigned n)
{
	static const uint64_t one = 1;
	uint64_t t0 = mono();
	unsigned back = 0;
	uint32_t s;

	assert_int_equal(shmring_enqueue(w->l.txq, d, n), n);
	assert_int_equal(write(w->tx_efd, &one, sizeof(one)), sizeof(one));
	while (back < n) {
		if (shmring_slot_alloc(w->r, &s) == 0) {
			back++;
			continue;
		}
		if (mono() - t0 > 5000000000ull)
			return false;
		/* Sleep, not spin: the worker and the flipper want the
		 * cores. */
		usleep(20);
	}
	return true;
}

/* put_msg() writes a MSG_DISCV4_TX or MSG_RLPX_TX of GOOD_LEN payload
 * bytes into slot idx and describes it in *d. Returns the data_len field
 * in the slot. */
static uint16_t *put_msg(struct w *w, uint32_t idx, uint8_t kind,
			 uint64_t sid, struct msg_desc *d)
{
	uint8_t *slot = shmring_slot_ptr(w->r, idx);

	memset(slot, 0, MSG_SLOT_SIZE);
	if (kind == MSG_DISCV4_TX) {
		struct msg_discv4_tx *m = (void *)slot;

		m->hdr.type = MSG_DISCV4_TX;
		m->hdr.len = sizeof(*m) - sizeof(m->hdr) + GOOD_LEN;
		m->dst_addr[10] = m->dst_addr[11] = 0xff;
		m->dst_addr[12] = 127;
		m->dst_addr[15] = 1;
		m->dst_port_be = htons(30303);
		m->data_len = GOOD_LEN;
		memset(m->data, 0xd4, GOOD_LEN);
		*d = (struct msg_desc){ .slot = idx,
					.len = sizeof(*m) + GOOD_LEN,
					.kind = MSG_DISCV4_TX };
		return &m->data_len;
	} else {
		struct msg_rlpx_data *m = (void *)slot;

		m->hdr.type = MSG_RLPX_TX;
		m->hdr.len = sizeof(*m) - sizeof(m->hdr) + GOOD_LEN;
		m->session_id = sid;
		m->msg_code = 0x10;
		m->total_len = GOOD_LEN;
		m->data_len = GOOD_LEN;
		m->flags = MSG_RLPX_F_LAST;
		memset(m->data, 0xd4, GOOD_LEN);
		*d = (struct msg_desc){ .slot = idx,
					.len = sizeof(*m) + GOOD_LEN,
					.kind = MSG_RLPX_TX };
		return &m->data_len;
	}
}

/* run_race() sends messages (put_msg()) in the last slot while a second
 * thread flips their data length there between GOOD_LEN and EVIL_LEN,
 * and the worker runs on a third. With pair, each goes right behind an
 * unflipped one in the slot before (the same session's messages back to
 * back: the worker then does more between its check and its copy).
 * drain (may be NULL) is called after each round. */
static void run_race(struct w *w, uint8_t kind, uint64_t sid, bool pair,
		     void (*drain)(void *arg), void *drain_arg,
		     uint64_t *n_msgs)
{
	struct flipper fl = { 0 };
	pthread_t th;
	struct msg_desc d[2];
	uint64_t t0 = mono(), n = 0;
	unsigned nd = pair ? 2 : 1;

	w->l.clock = NULL;              /* the real clocks from here */
	if (pair)
		(void)put_msg(w, N_SLOTS - 2, kind, sid, &d[0]);
	fl.len = put_msg(w, N_SLOTS - 1, kind, sid, &d[nd - 1]);
	assert_int_equal(lcore_start(&w->l), 0);
	assert_int_equal(pthread_create(&th, NULL, flip, &fl), 0);
	while (n < RACE_MSGS && mono() - t0 < RACE_NS) {
		if (!offer(w, d, nd))
			break;
		n += nd;
		if (drain)
			drain(drain_arg);
	}
	fl.done = true;
	pthread_join(th, NULL);
	w->stop = true;
	lcore_join(&w->l);
	*n_msgs = n;
	fprintf(stderr, "race: %llu messages, %llu flips\n",
		(unsigned long long)n, (unsigned long long)fl.flips);
	/* The race ran: messages went through while the length moved. */
	assert_true(n > 100);
	assert_true(fl.flips > 100);
}

/* A MSG_DISCV4_TX whose data_len control grows after the worker checked
 * it: the worker sends only what it checked, never bytes past the slot
 * (the fake backend reads every packet whole; past the last slot lies a
 * guard page). */
static void test_lcore_tx_length_flipped_discv4(void **st)
{
	struct w w;
	uint64_t n;

	(void)st;
	w_init(&w, false);
	run_race(&w, MSG_DISCV4_TX, 0, false, NULL, NULL, &n);
	fprintf(stderr, "discv4: %llu sent, %llu refused\n",
		(unsigned long long)w.f.sent,
		(unsigned long long)cnt(&w, DP_CNT_TX_BAD_MSG));
	assert_int_equal(w.f.bad_len, 0);
	/* Each message either went out as checked or was refused. */
	assert_int_equal(w.f.sent + cnt(&w, DP_CNT_TX_BAD_MSG), n);
	assert_true(w.f.sent > 0);
	w_fini(&w);
}

struct peer {
	int fd;
	struct rlpx_codec c;
	uint64_t msgs, bad;
};

/* peer_drain() reads what the stage wrote and checks every message. */
static void peer_drain(void *arg)
{
	struct peer *p = arg;
	struct rlpx_msg m;
	uint8_t *buf;
	ssize_t room, got;
	int rc;

	for (;;) {
		room = rlpx_codec_rx_space(&p->c, &buf);
		assert_true(room > 0 || room == -ENOBUFS);
		got = room > 0 ? recv(p->fd, buf, (size_t)room,
				      MSG_DONTWAIT) : 0;
		if (got > 0)
			rlpx_codec_rx_commit(&p->c, (size_t)got);
		while ((rc = rlpx_codec_rx_next(&p->c, &m)) == 0) {
			bool ok = m.code == 0x10 && m.len == GOOD_LEN;

			for (size_t i = 0; ok && i < m.len; i++)
				ok = m.data[i] == 0xd4;
			p->msgs++;
			p->bad += !ok;
		}
		assert_int_equal(rc, -EAGAIN);
		if (got <= 0)
			return;
	}
}

/* The same race on MSG_RLPX_TX through the RLPx stage, a session open on
 * a socket pair: the payload copied into the session's assembly buffer
 * and sealed is exactly what was checked (the peer opens and checks every
 * frame), and nothing is read past the slot or written past the buffer
 * (ASan builds see the heap; every build the guard page). */
static void test_lcore_tx_length_flipped_rlpx(void **st)
{
	struct rlpx_frame local, remote;
	struct msg_rlpx_keys k;
	struct peer p = { 0 };
	struct msg_desc kd;
	struct w w;
	uint64_t n;
	int sv[2];

	(void)st;
	w_init(&w, true);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	frame_pair(&local, &remote);
	codec_of(&p.c, &remote, 0, 0);
	memset(&k, 0, sizeof(k));
	assert_int_equal(rlpx_frame_export(&k, &local), 0);
	k.hdr.type = MSG_RLPX_KEYS;
	k.hdr.len = sizeof(k) - sizeof(k.hdr);
	k.session_id = 77;
	memcpy(shmring_slot_ptr(w.r, 0), &k, sizeof(k));
	kd = (struct msg_desc){ .slot = 0, .len = sizeof(k),
				.kind = MSG_RLPX_KEYS };
	assert_int_equal(rlpx_stage_ctl(w.l.rlpx, &kd,
					shmring_slot_ptr(w.r, 0)), 0);
	assert_int_equal(rlpx_stage_give_fd(w.l.rlpx, 77, sv[0]), 0);
	(void)rlpx_stage_poll(w.l.rlpx);
	assert_int_equal(cnt(&w, DP_CNT_RLPX_SESSIONS), 1);
	p.fd = sv[1];
	run_race(&w, MSG_RLPX_TX, 77, true, peer_drain, &p, &n);
	peer_drain(&p);
	fprintf(stderr, "rlpx: %llu sealed, %llu dropped\n",
		(unsigned long long)p.msgs,
		(unsigned long long)cnt(&w, DP_CNT_RLPX_CTL_DROP));
	assert_int_equal(p.bad, 0);
	assert_true(p.msgs > 0);
	/* Each message was sealed as checked or dropped as malformed. */
	assert_int_equal(p.msgs + cnt(&w, DP_CNT_RLPX_CTL_DROP), n);
	rlpx_codec_fini(&p.c);
	rlpx_frame_fini(&local);
	rlpx_frame_fini(&remote);
	close(sv[1]);
	explicit_bzero(&k, sizeof(k));
	w_fini(&w);
}

/* ---- stop: what control queued before SHUTDOWN is carried out ------- */

/* A worker told to stop before it ran a round still sends the packets
 * control queued: the final drain, not the loop, took them. */
static void test_lcore_stop_drains_queued_tx(void **st)
{
	struct msg_desc d[2];
	struct w w;
	uint32_t s;

	(void)st;
	w_init(&w, false);
	(void)put_msg(&w, 0, MSG_DISCV4_TX, 0, &d[0]);
	(void)put_msg(&w, 1, MSG_DISCV4_TX, 0, &d[1]);
	assert_int_equal(shmring_enqueue(w.l.txq, d, 2), 2);
	w.stop = true;
	assert_int_equal(lcore_loop(&w.l), 0);
	assert_int_equal(w.f.sent, 2);
	assert_int_equal(w.f.bad_len, 0);
	/* Both slots went back to control. */
	assert_int_equal(shmring_slot_alloc(w.r, &s), 0);
	assert_int_equal(shmring_slot_alloc(w.r, &s), 0);
	assert_int_equal(shmring_slot_alloc(w.r, &s), -ENOBUFS);
	w_fini(&w);
}

/* Control ends a node's sessions with close requests (client quitting)
 * right before it sends SHUTDOWN: a worker that sees the stop first still
 * writes each session's Disconnect [0x08] before it exits, so the peer
 * reads the reason instead of an EOF. */
static void test_lcore_stop_sends_queued_disconnect(void **st)
{
	struct rlpx_frame local, remote;
	struct msg_rlpx_closed *c;
	struct msg_rlpx_keys k;
	struct peer p = { 0 };
	struct msg_desc kd, cd;
	struct rlpx_msg m;
	uint8_t *buf;
	ssize_t room, got;
	struct w w;
	int sv[2], rc;

	(void)st;
	w_init(&w, true);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	frame_pair(&local, &remote);
	codec_of(&p.c, &remote, 0, 0);
	memset(&k, 0, sizeof(k));
	assert_int_equal(rlpx_frame_export(&k, &local), 0);
	k.hdr.type = MSG_RLPX_KEYS;
	k.hdr.len = sizeof(k) - sizeof(k.hdr);
	k.session_id = 78;
	memcpy(shmring_slot_ptr(w.r, 0), &k, sizeof(k));
	kd = (struct msg_desc){ .slot = 0, .len = sizeof(k),
				.kind = MSG_RLPX_KEYS };
	assert_int_equal(rlpx_stage_ctl(w.l.rlpx, &kd,
					shmring_slot_ptr(w.r, 0)), 0);
	assert_int_equal(rlpx_stage_give_fd(w.l.rlpx, 78, sv[0]), 0);
	(void)rlpx_stage_poll(w.l.rlpx);
	assert_int_equal(cnt(&w, DP_CNT_RLPX_SESSIONS), 1);

	c = shmring_slot_ptr(w.r, 1);
	memset(c, 0, sizeof(*c));
	c->hdr.type = MSG_RLPX_CLOSED;
	c->hdr.len = sizeof(*c) - sizeof(c->hdr);
	c->session_id = 78;
	c->reason = 0x08;               /* client quitting */
	c->origin = MSG_CLOSE_LOCAL;
	cd = (struct msg_desc){ .slot = 1, .len = sizeof(*c),
				.kind = MSG_RLPX_CLOSED };
	assert_int_equal(shmring_enqueue(w.l.txq, &cd, 1), 1);
	w.stop = true;
	assert_int_equal(lcore_loop(&w.l), 0);

	room = rlpx_codec_rx_space(&p.c, &buf);
	assert_true(room > 0);
	got = recv(sv[1], buf, (size_t)room, MSG_DONTWAIT);
	assert_true(got > 0);
	rlpx_codec_rx_commit(&p.c, (size_t)got);
	rc = rlpx_codec_rx_next(&p.c, &m);
	assert_int_equal(rc, 0);
	assert_int_equal(m.code, 0x01);         /* p2p Disconnect */
	assert_int_equal(m.len, 2);
	assert_int_equal(m.data[0], 0xc1);      /* [0x08] */
	assert_int_equal(m.data[1], 0x08);
	rlpx_codec_fini(&p.c);
	rlpx_frame_fini(&local);
	rlpx_frame_fini(&remote);
	close(sv[1]);
	explicit_bzero(&k, sizeof(k));
	w_fini(&w);
}

/* ---- clocks: monotonic for budgets, Unix time for expirations ------- */

static const uint8_t priv[32] = {
	0x45, 0xa9, 0x15, 0xe4, 0xd0, 0x60, 0x14, 0x9e, 0xb4, 0x36, 0x59,
	0x60, 0xe6, 0xa7, 0xa4, 0x5f, 0x33, 0x43, 0x93, 0x09, 0x30, 0x61,
	0x11, 0x6b, 0x19, 0x7e, 0x32, 0x40, 0x06, 0x5f, 0xf2, 0xd8,
};

/* rx_ping() offers one signed Ping expiring at exp (Unix seconds) from a
 * fixed source to the worker, and returns the counter it moved. */
static unsigned rx_ping(struct w *w, uint64_t exp, uint32_t seq)
{
	static uint8_t buf[DISCV4_MAX_LEN];
	struct discv4_packet pk;
	uint64_t before[DP_CNT_MAX];
	unsigned moved = DP_CNT_MAX;
	ssize_t len;

	memset(&pk, 0, sizeof(pk));
	pk.type = DISCV4_PING;
	pk.u.ping.version = 4;
	pk.u.ping.from.ip_len = 4;
	pk.u.ping.from.ip[10] = pk.u.ping.from.ip[11] = 0xff;
	pk.u.ping.from.ip[12] = 10;
	pk.u.ping.from.udp = pk.u.ping.from.tcp = 30303;
	pk.u.ping.to = pk.u.ping.from;
	pk.u.ping.expiration = exp;
	pk.u.ping.has_enr_seq = true;
	pk.u.ping.enr_seq = seq;        /* distinct bytes: no replay */
	len = discv4_encode(buf, sizeof(buf), priv, &pk);
	assert_true(len > 0);
	w->f.rx[0] = (struct pktio_pkt){ .buf = buf, .len = (uint16_t)len };
	memcpy(w->f.rx[0].peer_addr, pk.u.ping.from.ip, 16);
	w->f.n_rx = 1;
	for (unsigned i = 0; i < DP_CNT_MAX; i++)
		before[i] = cnt(w, i);
	(void)lcore_poll(&w->l);
	for (unsigned i = DP_CNT_ACCEPTED; i <= DP_CNT_DROP_SIG; i++)
		if (cnt(w, i) != before[i])
			moved = i;
	return moved;
}

/* The worker reads its clocks through l->clock: the budget (2/s, burst 3)
 * follows the injected monotonic clock and nothing else; expirations
 * follow the injected Unix time and nothing else. The machine's clocks
 * are never touched. */
static void test_lcore_clocks_injected(void **st)
{
	const uint64_t t = 1700000000;  /* the injected Unix seconds */
	struct w w;
	uint32_t seq = 1;

	(void)st;
	w_init(&w, false);
	w.ck.unix_ns = t * 1000000000ull;
	/* Expired by the injected Unix time, not the real one. */
	assert_int_equal(rx_ping(&w, t - 1, seq++), DP_CNT_DROP_EXPIRED);
	assert_int_equal(rx_ping(&w, t + 20, seq++), DP_CNT_ACCEPTED);
	assert_int_equal(rx_ping(&w, t + 20, seq++), DP_CNT_ACCEPTED);
	assert_int_equal(rx_ping(&w, t + 20, seq++), DP_CNT_ACCEPTED);
	assert_int_equal(rx_ping(&w, t + 20, seq++), DP_CNT_DROP_BUDGET);
	/* The wall clock an hour ahead refills nothing... */
	w.ck.unix_ns += 3600 * 1000000000ull;
	assert_int_equal(rx_ping(&w, t + 7200, seq++), DP_CNT_DROP_BUDGET);
	/* ...half a second of monotonic time refills one. */
	w.ck.mono += 500000000ull;
	assert_int_equal(rx_ping(&w, t + 7200, seq++), DP_CNT_ACCEPTED);
	assert_int_equal(rx_ping(&w, t + 7200, seq++), DP_CNT_DROP_BUDGET);
	/* The wall clock back a day: what expired an hour ago is live. */
	w.ck.unix_ns -= 86400 * 1000000000ull;
	w.ck.mono += 10 * 1000000000ull;
	assert_int_equal(rx_ping(&w, t - 60, seq++), DP_CNT_ACCEPTED);
	w_fini(&w);
}

/* ---- discv5 on the worker: demux to MSG_DISCV5_RX, WHOAREYOU limit --- */

/* tx_one() sends one GOOD_LEN discovery datagram with tx_flags to dst
 * through slot 0 and the worker's tx drain; returns whether it went out. */
static bool tx_one(struct w *w, const uint8_t dst[16], uint8_t tx_flags)
{
	struct msg_desc d;
	uint64_t before = w->f.sent;
	uint32_t s;

	(void)put_msg(w, 0, MSG_DISCV4_TX, 0, &d);
	((struct msg_discv4_tx *)shmring_slot_ptr(w->r, 0))->tx_flags =
		tx_flags;
	memcpy(((struct msg_discv4_tx *)shmring_slot_ptr(w->r, 0))->dst_addr,
	       dst, 16);
	assert_int_equal(shmring_enqueue(w->l.txq, &d, 1), 1);
	assert_int_equal(lcore_tx_drain(&w->l), 1);
	assert_int_equal(shmring_slot_alloc(w->r, &s), 0);      /* back */
	return w->f.sent > before;
}

static void test_lcore_discv5(void **st)
{
	static const uint8_t id[32] = { 0x11, 0x22, [31] = 0x33 };
	static const uint8_t dst_a[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0,
					   5 };
	static const uint8_t dst_b[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0,
					   6 };
	struct discv5_rx_keys *keys;
	const struct msg_discv5_rx *m;
	uint8_t p[200];
	struct msg_desc d;
	unsigned sent = 0;
	size_t len;
	struct w w;

	(void)st;
	w_init(&w, false);
	assert_int_equal(discv5_rx_keys_new(&keys, 1), 0);
	assert_int_equal(discv5_rx_keys_set(keys, 0, id), 0);
	assert_int_equal(discv5_rx_new(&w.l.v5, &(struct discv5_rx_cfg){
			.keys = keys, .budget = discv4_rx_budget(w.l.stage),
			.way_rate = 2, .way_burst = 3 }), 0);
	/* A message packet: one MSG_DISCV5_RX on the ring to control. */
	len = v5pkt_message(p, id, 1);
	w.f.rx[0] = (struct pktio_pkt){ .buf = p, .len = (uint16_t)len,
					.peer_port_be = htons(9000),
					.local_port_be = htons(30303) };
	memcpy(w.f.rx[0].peer_addr, dst_a, 16);
	w.f.n_rx = 1;
	shmring_slot_free(w.r, 1);      /* one slot for the worker */
	(void)lcore_poll(&w.l);
	assert_int_equal(cnt(&w, DP_CNT_V5_ACCEPTED), 1);
	assert_int_equal(cnt(&w, DP_CNT_DROP_SIZE), 0);
	assert_int_equal(shmring_dequeue(w.l.rxq, &d, 1), 1);
	assert_int_equal(d.kind, MSG_DISCV5_RX);
	assert_int_equal(d.len, sizeof(*m) + len);
	m = shmring_desc_ptr(w.r, &d);
	assert_non_null(m);
	assert_int_equal(m->hdr.type, MSG_DISCV5_RX);
	assert_int_equal(m->flag, DISCV5_FLAG_MESSAGE);
	assert_int_equal(m->data_len, len);
	assert_int_equal(m->src_port_be, htons(9000));
	assert_int_equal(m->dst_port_be, htons(30303));
	assert_memory_equal(m->data, p, len);
	/* The same bytes on a worker without discv5: discv4's size drop. */
	discv5_rx_keys_set(keys, 0, NULL);
	w.f.rx[0].buf = p;
	w.f.n_rx = 1;
	(void)lcore_poll(&w.l);
	assert_int_equal(cnt(&w, DP_CNT_DROP_SIZE), 1);
	assert_int_equal(cnt(&w, DP_CNT_V5_ACCEPTED), 1);
	/* WHOAREYOUs: 3 at once to one destination, then 2/s; other
	 * datagrams and destinations pass. */
	for (int i = 0; i < 6; i++)
		sent += tx_one(&w, dst_a, MSG_TX_F_WHOAREYOU);
	assert_int_equal(sent, 3);
	assert_int_equal(cnt(&w, DP_CNT_WHOAREYOU_LIMITED), 3);
	assert_true(tx_one(&w, dst_a, 0));
	assert_true(tx_one(&w, dst_b, MSG_TX_F_WHOAREYOU));
	w.ck.mono += 500000000ull;
	assert_true(tx_one(&w, dst_a, MSG_TX_F_WHOAREYOU));
	assert_false(tx_one(&w, dst_a, MSG_TX_F_WHOAREYOU));
	assert_int_equal(cnt(&w, DP_CNT_WHOAREYOU_LIMITED), 4);
	assert_int_equal(cnt(&w, DP_CNT_TX_BAD_MSG), 0);
	discv5_rx_free(w.l.v5);
	discv5_rx_keys_free(keys);
	w_fini(&w);
}

/* The occupancy gauges follow the ring and the slot pool at each poll,
 * down as well as up (the soak test reads them for growth). */
static void test_lcore_occupancy_gauges(void **st)
{
	struct msg_desc d[2] = { { .kind = MSG_DISCV4_RX,
				   .flags = MSG_DESC_F_NOSLOT },
				 { .kind = MSG_DISCV4_RX,
				   .flags = MSG_DESC_F_NOSLOT } };
	struct w w;

	(void)st;
	w_init(&w, false);
	(void)lcore_poll(&w.l);
	assert_int_equal(cnt(&w, DP_CNT_RING_DEPTH), 0);
	assert_int_equal(cnt(&w, DP_CNT_SLOTS_USED), N_SLOTS);
	shmring_slot_free(w.r, 1);
	shmring_slot_free(w.r, 2);
	shmring_slot_free(w.r, 3);
	assert_int_equal(shmring_enqueue(w.l.rxq, d, 2), 2);
	(void)lcore_poll(&w.l);
	assert_int_equal(cnt(&w, DP_CNT_RING_DEPTH), 2);
	assert_int_equal(cnt(&w, DP_CNT_SLOTS_USED), N_SLOTS - 3);
	assert_int_equal(shmring_dequeue(w.l.rxq, d, 2), 2);
	(void)lcore_poll(&w.l);
	assert_int_equal(cnt(&w, DP_CNT_RING_DEPTH), 0);
	w_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lcore_clocks_injected),
		cmocka_unit_test(test_lcore_occupancy_gauges),
		cmocka_unit_test(test_lcore_discv5),
		cmocka_unit_test(test_lcore_stop_drains_queued_tx),
		cmocka_unit_test(test_lcore_stop_sends_queued_disconnect),
		cmocka_unit_test(test_lcore_tx_length_flipped_discv4),
		cmocka_unit_test(test_lcore_tx_length_flipped_rlpx),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	rlpx_frame_thread_fini();
	return rc;
}
