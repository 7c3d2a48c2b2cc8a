/* SPDX-License-Identifier: MIT */
/* tests/dataplane/stage/test_rlpx_stage.c - the RLPx frame engine's host:
 * sessions in one stage in process, then end to end with the real
 * devplane-dp over dplink and a real TCP connection on 127.0.0.1, this
 * test playing the remote peer. The codec's own tests are in
 * test_rlpx_codec.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/keccak.h"
#include "common/rlpx_frame.h"
#include "common/snappy.h"
#include "control/host/dplink.h"
#include "dataplane/stage/rlpx_stage.h"
#include "tests/dataplane/stage/rlpx_pair.h"

/* ---- the KEYS slot is wiped once consumed ------------------------------- */

/* slot_clean() tells whether none of the secret fields of ref (the AES and
 * MAC secrets, the two MAC states) is anywhere in the slot. */
static bool slot_clean(const uint8_t *slot, const struct msg_rlpx_keys *ref)
{
	const void *secret[] = { ref->aes_secret, ref->mac_secret,
				 ref->egress_mac.st, ref->ingress_mac.st };
	const size_t len[] = { sizeof(ref->aes_secret),
			       sizeof(ref->mac_secret),
			       sizeof(ref->egress_mac.st),
			       sizeof(ref->ingress_mac.st) };

	for (unsigned i = 0; i < 4; i++)
		if (memmem(slot, MSG_SLOT_SIZE, secret[i], len[i]))
			return false;
	return true;
}

/* keys_slot() writes a MSG_RLPX_KEYS for sid from ref into slot, as
 * dplink_rlpx_handover() does, and describes it in *d. */
static void keys_slot(uint8_t *slot, struct msg_desc *d, uint32_t idx,
		      const struct msg_rlpx_keys *ref, uint64_t sid)
{
	struct msg_rlpx_keys *k = (struct msg_rlpx_keys *)slot;

	memset(slot, 0, MSG_SLOT_SIZE);
	*k = *ref;
	k->hdr.type = MSG_RLPX_KEYS;
	k->hdr.len = sizeof(*k) - sizeof(k->hdr);
	k->session_id = sid;
	*d = (struct msg_desc){ .slot = idx, .len = sizeof(*k),
				.kind = MSG_RLPX_KEYS };
	assert_false(slot_clean(slot, ref));    /* the check can see them */
}

/* STYLE.md: "After copying out an MSG_RLPX_KEYS message, the consumer
 * explicit_bzero's the slot" - on success and on every rejection, since
 * the slot goes back to a pool both processes read. */
static void test_stage_keys_slot_wiped(void **st_)
{
	struct shmring_cfg rc = { .n_rings = 2, .ring_size = 16,
				  .n_slots = 8 };
	struct rlpx_frame local, peer;
	struct msg_rlpx_keys ref;
	struct rlpx_stage *st;
	struct shmring *r;
	struct msg_desc d;
	uint8_t *slot;
	uint32_t idx;

	(void)st_;
	assert_int_equal(shmring_create(&r, &rc), 0);
	assert_int_equal(rlpx_stage_new(&st, &(struct rlpx_stage_cfg){
			.ring = r, .rxq = shmring_ring(r, 0) }), 0);
	frame_pair(&local, &peer);
	memset(&ref, 0, sizeof(ref));
	assert_int_equal(rlpx_frame_export(&ref, &local), 0);
	assert_int_equal(shmring_slot_alloc(r, &idx), 0);
	slot = shmring_slot_ptr(r, idx);

	/* Adopted (pending its fd). */
	keys_slot(slot, &d, idx, &ref, 7);
	assert_int_equal(rlpx_stage_ctl(st, &d, slot), 0);
	assert_true(slot_clean(slot, &ref));
	for (size_t i = 0; i < MSG_SLOT_SIZE; i++)
		assert_int_equal(slot[i], 0);
	assert_int_equal(rlpx_stage_n_sessions(st), 1);
	/* The same session again: refused, wiped all the same. */
	keys_slot(slot, &d, idx, &ref, 7);
	assert_int_equal(rlpx_stage_ctl(st, &d, slot), -EBADMSG);
	assert_true(slot_clean(slot, &ref));
	/* A frame state the codec refuses (MAC position past the rate). */
	keys_slot(slot, &d, idx, &ref, 8);
	((struct msg_rlpx_keys *)slot)->ingress_mac.pos = 136;
	assert_true(rlpx_stage_ctl(st, &d, slot) < 0);
	assert_true(slot_clean(slot, &ref));
	/* A descriptor whose length lies. */
	keys_slot(slot, &d, idx, &ref, 9);
	d.len = sizeof(ref) - 8;
	assert_int_equal(rlpx_stage_ctl(st, &d, slot), -EBADMSG);
	assert_true(slot_clean(slot, &ref));
	assert_int_equal(rlpx_stage_n_sessions(st), 1);

	explicit_bzero(&ref, sizeof(ref));
	rlpx_frame_fini(&local);
	rlpx_frame_fini(&peer);
	shmring_slot_free(r, idx);
	rlpx_stage_free(st);
	shmring_free(r);
}

/* ---- the pending timeout on an injected clock ----------------------- */

static uint64_t fake_now(void *arg)
{
	return *(const uint64_t *)arg;
}

/* A session whose fd never comes ends RLPX_STAGE_PENDING_NS after its
 * keys on the stage's clock, and only then: the clock here is the test's
 * (no sleeping, no wall clock). Its held request was a copy: every slot
 * is back in the pool before and after. */
static void test_stage_pending_expires_on_its_clock(void **st_)
{
	struct shmring_cfg rc = { .n_rings = 2, .ring_size = 16,
				  .n_slots = 8 };
	uint64_t now = 7 * 1000000000ull;
	struct rlpx_frame local, peer;
	struct msg_rlpx_keys ref;
	struct msg_rlpx_closed c;
	struct msg_rlpx_data *x;
	struct rlpx_stage *st;
	struct shmring *r;
	struct msg_desc d;
	uint32_t idx;

	(void)st_;
	assert_int_equal(shmring_create(&r, &rc), 0);
	assert_int_equal(rlpx_stage_new(&st, &(struct rlpx_stage_cfg){
			.ring = r, .rxq = shmring_ring(r, 0),
			.now_fn = fake_now, .now_arg = &now }), 0);
	frame_pair(&local, &peer);
	memset(&ref, 0, sizeof(ref));
	assert_int_equal(rlpx_frame_export(&ref, &local), 0);
	assert_int_equal(shmring_slot_alloc(r, &idx), 0);
	keys_slot(shmring_slot_ptr(r, idx), &d, idx, &ref, 9);
	assert_int_equal(rlpx_stage_ctl(st, &d, shmring_slot_ptr(r, idx)), 0);
	/* A TX request for it is held, as a copy. */
	x = shmring_slot_ptr(r, idx);
	memset(x, 0, sizeof(*x) + 3);
	x->hdr.type = MSG_RLPX_TX;
	x->hdr.len = sizeof(*x) - sizeof(x->hdr) + 3;
	x->session_id = 9;
	x->total_len = 3;
	x->data_len = 3;
	x->flags = MSG_RLPX_F_LAST;
	d = (struct msg_desc){ .slot = idx, .len = sizeof(*x) + 3,
			       .kind = MSG_RLPX_TX };
	assert_int_equal(rlpx_stage_ctl(st, &d, x), RLPX_CTL_HELD);
	shmring_slot_free(r, idx);
	assert_int_equal(shmring_slots_free(r), 8);
	now += RLPX_STAGE_PENDING_NS - 1;
	(void)rlpx_stage_poll(st);
	assert_int_equal(rlpx_stage_n_sessions(st), 1);
	assert_int_equal(shmring_dequeue(shmring_ring(r, 0), &d, 1), 0);
	now += 1;
	(void)rlpx_stage_poll(st);
	assert_int_equal(rlpx_stage_n_sessions(st), 0);
	assert_int_equal(shmring_dequeue(shmring_ring(r, 0), &d, 1), 1);
	assert_int_equal(d.kind, MSG_RLPX_CLOSED);
	assert_int_equal(msg_load(&d, shmring_desc_ptr(r, &d), &c, sizeof(c)),
			 0);
	assert_true(c.session_id == 9);
	assert_int_equal(c.error, -ETIMEDOUT);
	assert_int_equal(c.origin, MSG_CLOSE_ERROR);
	shmring_slot_free(r, d.slot);
	assert_int_equal(shmring_slots_free(r), 8);
	explicit_bzero(&ref, sizeof(ref));
	rlpx_frame_fini(&local);
	rlpx_frame_fini(&peer);
	rlpx_stage_free(st);
	shmring_free(r);
}

/* ---- memory budgets ------------------------------------------------- */

#define MB_SESS 8

/* A stage with MB_SESS sessions on socket pairs, this test playing every
 * peer (pc: their frame state) and control (the ring to control). */
struct mb {
	struct shmring *r;
	struct rlpx_stage *st;
	uint64_t now;                   /* the stage's clock */
	uint64_t cnt[DP_CNT_SLOTS];
	struct rlpx_codec pc[MB_SESS];
	int b[MB_SESS];                 /* the peers' sockets */
	uint64_t sid[MB_SESS];
	uint8_t *wire[MB_SESS];         /* what each peer still writes */
	size_t wlen[MB_SESS], woff[MB_SESS];
	/* what control saw per session */
	uint64_t rx_bytes[MB_SESS], rx_msgs[MB_SESS];
	int closed_err[MB_SESS];
	bool closed[MB_SESS];
};

static void mb_start(struct mb *x, size_t sess_mem, size_t mem)
{
	struct shmring_cfg rc = { .n_rings = 2, .ring_size = 256,
				  .n_slots = 256 };

	memset(x, 0, sizeof(*x));
	x->now = 1000000000ull;
	assert_int_equal(shmring_create(&x->r, &rc), 0);
	assert_int_equal(rlpx_stage_new(&x->st, &(struct rlpx_stage_cfg){
			.ring = x->r, .rxq = shmring_ring(x->r, 0),
			.cnt = x->cnt, .now_fn = fake_now,
			.now_arg = &x->now, .sess_mem_max = sess_mem,
			.mem_max = mem }), 0);
	for (unsigned k = 0; k < MB_SESS; k++) {
		struct rlpx_frame local, peer;
		struct msg_rlpx_keys ref;
		struct msg_desc d;
		uint32_t idx;
		int sv[2];

		x->sid[k] = 0xcd00 + k;
		frame_pair_seed(&local, &peer, k + 1);
		codec_of(&x->pc[k], &peer, 0, 0);
		memset(&ref, 0, sizeof(ref));
		assert_int_equal(rlpx_frame_export(&ref, &local), 0);
		assert_int_equal(shmring_slot_alloc(x->r, &idx), 0);
		keys_slot(shmring_slot_ptr(x->r, idx), &d, idx, &ref,
			  x->sid[k]);
		assert_int_equal(rlpx_stage_ctl(x->st, &d,
						shmring_slot_ptr(x->r, idx)),
				 0);
		shmring_slot_free(x->r, idx);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
					    0, sv), 0);
		assert_int_equal(rlpx_stage_give_fd(x->st, x->sid[k], sv[0]),
				 0);
		x->b[k] = sv[1];
		explicit_bzero(&ref, sizeof(ref));
		rlpx_frame_fini(&local);
		rlpx_frame_fini(&peer);
	}
	rlpx_stage_poll(x->st);
	assert_int_equal(rlpx_stage_n_sessions(x->st), MB_SESS);
}

static void mb_stop(struct mb *x)
{
	rlpx_stage_free(x->st);
	for (unsigned k = 0; k < MB_SESS; k++) {
		close(x->b[k]);
		rlpx_codec_fini(&x->pc[k]);
		free(x->wire[k]);
	}
	shmring_free(x->r);
}

/* mb_send() makes peer k write message (code, len bytes of k's pattern),
 * as fast as its socket takes it (mb_round()). */
static void mb_send(struct mb *x, unsigned k, uint64_t code, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);
	size_t wl;

	assert_non_null(d);
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)(k * 31 + i * 7);
	free(x->wire[k]);
	x->wire[k] = seal_alloc(&x->pc[k], code, d, len, &wl);
	x->wlen[k] = wl;
	x->woff[k] = 0;
	free(d);
}

/* mb_round() is one round: every peer writes what its socket takes, the
 * stage polls, control drains its ring. Returns whether anything moved. */
static bool mb_round(struct mb *x)
{
	struct msg_desc d[64];
	bool moved = false;
	unsigned n;

	for (unsigned k = 0; k < MB_SESS; k++) {
		ssize_t w;

		if (x->woff[k] == x->wlen[k])
			continue;
		w = send(x->b[k], x->wire[k] + x->woff[k],
			 x->wlen[k] - x->woff[k], MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0) {
			x->woff[k] += (size_t)w;
			moved = true;
		}
	}
	moved |= rlpx_stage_poll(x->st) > 0;
	while ((n = shmring_dequeue(shmring_ring(x->r, 0), d, 64)) > 0) {
		moved = true;
		for (unsigned i = 0; i < n; i++) {
			const void *p = shmring_desc_ptr(x->r, &d[i]);
			struct msg_rlpx_closed c;
			struct msg_rlpx_data m;
			unsigned k;

			if (d[i].kind == MSG_RLPX_RX) {
				assert_int_equal(msg_load(&d[i], p, &m,
							  sizeof(m)), 0);
				k = (unsigned)(m.session_id - 0xcd00);
				assert_true(k < MB_SESS);
				x->rx_bytes[k] += m.data_len;
				x->rx_msgs[k] += !!(m.flags & MSG_RLPX_F_LAST);
			} else {
				assert_int_equal(d[i].kind, MSG_RLPX_CLOSED);
				assert_int_equal(msg_load(&d[i], p, &c,
							  sizeof(c)), 0);
				k = (unsigned)(c.session_id - 0xcd00);
				assert_true(k < MB_SESS);
				x->closed[k] = true;
				x->closed_err[k] = c.error;
			}
			shmring_slot_free(x->r, d[i].slot);
		}
	}
	return moved;
}

/* Peers that send frames larger than their budget never get the buffer:
 * the stage stops reading them and closes them once they stayed over
 * for mem_wait_ns (on the stage's clock), counting both; frames within
 * the budget share the worker's, a few at a time, and all come through.
 * The stage never holds more than the worker's budget (its peak), where
 * without budgets each session would hold its frame (8 x 1-4 MiB). */
static void test_stage_memory_budget_caps_big_frames(void **st_)
{
	const size_t sess_mem = 1u << 20, mem = 3u << 20;
	const size_t fit = 900u << 10, huge = 4u << 20;
	size_t used, peak;
	struct mb x;
	unsigned idle = 0;

	(void)st_;
	mb_start(&x, sess_mem, mem);
	for (unsigned k = 0; k < MB_SESS; k++)
		mb_send(&x, k, 0x10 + k, k < 6 ? fit : huge);
	for (unsigned r = 0; r < 200000 && idle < 200; r++)
		idle = mb_round(&x) ? 0 : idle + 1;
	rlpx_stage_mem(x.st, &used, &peak);
	assert_true(peak <= mem);
	for (unsigned k = 0; k < 6; k++) {
		assert_int_equal(x.rx_msgs[k], 1);
		assert_int_equal(x.rx_bytes[k], fit);
	}
	for (unsigned k = 6; k < MB_SESS; k++) {
		assert_int_equal(x.rx_msgs[k], 0);
		assert_false(x.closed[k]);
	}
	assert_true(x.cnt[DP_CNT_RLPX_MEM_PAUSE] >= 2);
	assert_int_equal(x.cnt[DP_CNT_RLPX_MEM_CLOSE], 0);
	/* Still over when the wait is up: closed, -EDQUOT. */
	x.now += RLPX_STAGE_MEM_WAIT_NS;
	for (unsigned r = 0; r < 100; r++)
		(void)mb_round(&x);
	for (unsigned k = 0; k < MB_SESS; k++) {
		assert_int_equal(x.closed[k], k >= 6);
		if (k >= 6)
			assert_int_equal(x.closed_err[k], -EDQUOT);
	}
	assert_int_equal(x.cnt[DP_CNT_RLPX_MEM_CLOSE], 2);
	assert_int_equal(rlpx_stage_n_sessions(x.st), 6);
	/* What the big messages took is back: idle buffers only. */
	rlpx_stage_mem(x.st, &used, &peak);
	assert_true(peak <= mem);
	assert_true(used <= 6 * (RLPX_CODEC_IBUF_MIN + (64u << 10)) +
			    (1u << 20));
	mb_stop(&x);
}

/* A peer that sends Pings and reads none of the Pongs: the Pongs pile up
 * in its write queue until that holds a quarter of its budget; then the
 * stage stops reading it (its Pings stay in its socket, unanswered), and
 * closes it when the wait is up. Its memory never passes its budget. */
static void test_stage_memory_budget_ping_flood_not_reading(void **st_)
{
	const size_t sess_mem = 1u << 20;
	static const uint8_t empty[] = { 0xc0 };
	size_t used, peak, pl = 0;
	uint8_t *one = NULL, *burst;
	struct mb x;

	(void)st_;
	mb_start(&x, sess_mem, 8u << 20);
	burst = malloc(1000 * 64);
	assert_non_null(burst);
	for (unsigned r = 0; r < 500; r++) {
		size_t n = 0, wl;

		/* 1000 more Pings from peer 0, as its socket takes them */
		for (unsigned i = 0; i < 1000; i++) {
			one = seal_alloc(&x.pc[0], RLPX_P2P_PING, empty, 1,
					 &wl);
			assert_true(n + wl <= 1000 * 64);
			memcpy(burst + n, one, wl);
			n += wl;
			free(one);
		}
		free(x.wire[0]);
		x.wire[0] = malloc(n);
		assert_non_null(x.wire[0]);
		memcpy(x.wire[0], burst, n);
		x.wlen[0] = n;
		x.woff[0] = 0;
		pl += 1000;
		for (unsigned k = 0; k < 50 && x.woff[0] < x.wlen[0]; k++)
			(void)mb_round(&x);
		if (x.woff[0] < x.wlen[0])
			break;          /* its socket is full: not read */
	}
	for (unsigned r = 0; r < 50; r++)
		(void)mb_round(&x);
	assert_int_equal(x.cnt[DP_CNT_RLPX_MEM_PAUSE], 1);
	assert_true(x.cnt[DP_CNT_RLPX_PONGS] > 1000);
	assert_true(x.cnt[DP_CNT_RLPX_PONGS] < pl);     /* some unanswered */
	rlpx_stage_mem(x.st, &used, &peak);
	assert_true(peak <= sess_mem + MB_SESS * RLPX_CODEC_IBUF_MIN +
			    (1u << 20));
	assert_false(x.closed[0]);
	x.now += RLPX_STAGE_MEM_WAIT_NS;
	for (unsigned r = 0; r < 50; r++)
		(void)mb_round(&x);
	assert_true(x.closed[0]);
	assert_int_equal(x.closed_err[0], -EDQUOT);
	assert_int_equal(x.cnt[DP_CNT_RLPX_MEM_CLOSE], 1);
	free(burst);
	mb_stop(&x);
}

/* Budgets below their minimum are refused. */
static void test_stage_memory_budget_cfg(void **st_)
{
	struct shmring_cfg rc = { .n_rings = 2, .ring_size = 16,
				  .n_slots = 8 };
	struct rlpx_stage *st = NULL;
	struct shmring *r;

	(void)st_;
	assert_int_equal(shmring_create(&r, &rc), 0);
	assert_int_equal(rlpx_stage_new(&st, &(struct rlpx_stage_cfg){
			.ring = r, .rxq = shmring_ring(r, 0),
			.sess_mem_max = RLPX_STAGE_MEM_MIN - 1 }), -EINVAL);
	assert_int_equal(rlpx_stage_new(&st, &(struct rlpx_stage_cfg){
			.ring = r, .rxq = shmring_ring(r, 0),
			.sess_mem_max = 2u << 20, .mem_max = 1u << 20 }),
			 -EINVAL);
	assert_int_equal(rlpx_stage_new(&st, &(struct rlpx_stage_cfg){
			.ring = r, .rxq = shmring_ring(r, 0) }), 0);
	rlpx_stage_free(st);
	shmring_free(r);
}

/* ---- several sessions in one stage, in process ------------------------ */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void tcp_pair(int *a, int *b)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	*b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(*b, (struct sockaddr *)&sa, sizeof(sa)), 0);
	*a = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	assert_true(*a >= 0);
	close(ls);
}

#define SB_SESS 5
#define SB_MSGS 3

struct sb {
	struct shmring *r;
	struct rlpx_stage *st;
	struct rlpx_codec pc[SB_SESS];  /* the remote peers' ends */
	int a[SB_SESS], b[SB_SESS];     /* stage's socket, peer's socket */
	uint64_t sid[SB_SESS];
};

/* sb_start() makes a stage on an in-process ring with SB_SESS sessions
 * handed over and adopted; peers have their own secrets, snappy on odd
 * ones. */
static void sb_start(struct sb *x)
{
	struct shmring_cfg rc = { .n_rings = 2, .ring_size = 256,
				  .n_slots = 256 };

	memset(x, 0, sizeof(*x));
	assert_int_equal(shmring_create(&x->r, &rc), 0);
	assert_int_equal(rlpx_stage_new(&x->st, &(struct rlpx_stage_cfg){
			.ring = x->r, .rxq = shmring_ring(x->r, 0) }), 0);
	for (unsigned k = 0; k < SB_SESS; k++) {
		uint32_t flags = k % 2 ? MSG_RLPX_KEYS_F_SNAPPY : 0;
		struct rlpx_frame local, peer;
		struct msg_rlpx_keys ref;
		struct msg_desc d;
		uint32_t idx;
		uint8_t *slot;

		x->sid[k] = 0xab00 + k;
		frame_pair_seed(&local, &peer, k + 1);
		codec_of(&x->pc[k], &peer, 0, flags);
		memset(&ref, 0, sizeof(ref));
		assert_int_equal(rlpx_frame_export(&ref, &local), 0);
		ref.flags = flags;
		assert_int_equal(shmring_slot_alloc(x->r, &idx), 0);
		slot = shmring_slot_ptr(x->r, idx);
		keys_slot(slot, &d, idx, &ref, x->sid[k]);
		assert_int_equal(rlpx_stage_ctl(x->st, &d, slot), 0);
		shmring_slot_free(x->r, idx);
		tcp_pair(&x->a[k], &x->b[k]);
		assert_int_equal(rlpx_stage_give_fd(x->st, x->sid[k], x->a[k]),
				 0);
		explicit_bzero(&ref, sizeof(ref));
		rlpx_frame_fini(&local);
		rlpx_frame_fini(&peer);
	}
	rlpx_stage_poll(x->st);         /* adopts the fds */
	assert_int_equal(rlpx_stage_n_sessions(x->st), SB_SESS);
}

static void sb_stop(struct sb *x)
{
	struct msg_desc d[64];
	unsigned n;

	rlpx_stage_free(x->st);
	while ((n = shmring_dequeue(shmring_ring(x->r, 0), d, 64)) > 0)
		for (unsigned i = 0; i < n; i++)
			shmring_slot_free(x->r, d[i].slot);
	for (unsigned k = 0; k < SB_SESS; k++) {
		close(x->b[k]);
		rlpx_codec_fini(&x->pc[k]);
	}
	shmring_free(x->r);
}

/* sb_wait_readable() waits (bounded) until the stage's end of every
 * session has bytes to read. */
static void sb_wait_readable(struct sb *x)
{
	for (unsigned k = 0; k < SB_SESS; k++) {
		struct pollfd p = { .fd = x->a[k], .events = POLLIN };

		assert_int_equal(poll(&p, 1, 2000), 1);
	}
}

static void sb_fill(uint8_t *d, size_t len, unsigned k, unsigned j)
{
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)(k * 31 + j * 7 + i * 3);
}

static size_t sb_len(unsigned k, unsigned j)
{
	return 100 + 400 * j + 37 * k;  /* one ring fragment each */
}

/*
 * Every peer writes SB_MSGS messages (peer 1 a Ping among them, peer 4 a
 * corrupted frame after them), then one rlpx_stage_poll() finds all the
 * sockets readable. The stage opens their frames round by round, one per
 * session per round through one codec batch, so the ring shows the
 * sessions interleaved: the first SB_SESS messages come from SB_SESS
 * different sessions (a session-by-session drain would put a session's
 * messages first). Every message is intact and in order within its
 * session; peer 4's session ends with -EKEYREJECTED after its good
 * messages and the others go on; peer 1 gets its Pong.
 */
static void test_stage_opens_sessions_together(void **st_)
{
	static const uint8_t ping[] = { 0xc0 };
	struct sb x;
	uint8_t buf[2048];
	struct msg_desc d[64];
	unsigned n, next[SB_SESS] = { 0 }, order = 0, closed = 0;
	uint64_t first[SB_SESS];
	struct rlpx_msg m;

	(void)st_;
	sb_start(&x);
	for (unsigned k = 0; k < SB_SESS; k++) {
		for (unsigned j = 0; j < SB_MSGS; j++) {
			size_t wl;
			uint8_t *w;

			sb_fill(buf, sb_len(k, j), k, j);
			w = seal_alloc(&x.pc[k], 0x10 + j, buf, sb_len(k, j),
				       &wl);
			assert_int_equal(send(x.b[k], w, wl, 0), (ssize_t)wl);
			free(w);
			if (k == 1 && j == 0) {
				w = seal_alloc(&x.pc[k], RLPX_P2P_PING, ping,
					       1, &wl);
				assert_int_equal(send(x.b[k], w, wl, 0),
						 (ssize_t)wl);
				free(w);
			}
		}
		if (k == 4) {
			size_t wl;
			uint8_t *w = seal_alloc(&x.pc[k], 0x30, buf, 64, &wl);

			w[40] ^= 0x01;
			assert_int_equal(send(x.b[k], w, wl, 0), (ssize_t)wl);
			free(w);
		}
	}
	sb_wait_readable(&x);
	assert_true(rlpx_stage_poll(x.st) >= SB_SESS);
	while ((n = shmring_dequeue(shmring_ring(x.r, 0), d, 64)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			const void *p = shmring_desc_ptr(x.r, &d[i]);
			unsigned k;

			assert_non_null(p);
			if (d[i].kind == MSG_RLPX_CLOSED) {
				const struct msg_rlpx_closed *c = p;

				assert_true(c->session_id == x.sid[4]);
				assert_int_equal(c->error, -EKEYREJECTED);
				assert_int_equal(next[4], SB_MSGS);
				closed++;
			} else {
				const struct msg_rlpx_data *r = p;

				assert_int_equal(d[i].kind, MSG_RLPX_RX);
				k = (unsigned)(r->session_id - x.sid[0]);
				assert_true(k < SB_SESS);
				assert_true(next[k] < SB_MSGS);
				assert_int_equal(r->msg_code, 0x10 + next[k]);
				assert_int_equal(r->flags, MSG_RLPX_F_LAST);
				assert_int_equal(r->data_len,
						 sb_len(k, next[k]));
				sb_fill(buf, r->data_len, k, next[k]);
				assert_memory_equal(r->data, buf, r->data_len);
				next[k]++;
				if (order < SB_SESS)
					first[order] = r->session_id;
				order++;
			}
			shmring_slot_free(x.r, d[i].slot);
		}
	}
	assert_int_equal(closed, 1);
	assert_int_equal(order, SB_SESS * SB_MSGS);
	for (unsigned i = 0; i < SB_SESS; i++)
		for (unsigned j = 0; j < i; j++)
			assert_true(first[i] != first[j]);
	assert_int_equal(rlpx_stage_n_sessions(x.st), SB_SESS - 1);
	/* peer 1's Pong */
	{
		struct pollfd p = { .fd = x.b[1], .events = POLLIN };
		uint8_t *q;
		ssize_t room, got;

		assert_int_equal(poll(&p, 1, 2000), 1);
		room = rlpx_codec_rx_space(&x.pc[1], &q);
		assert_true(room > 0);
		got = recv(x.b[1], q, (size_t)room, 0);
		assert_true(got > 0);
		rlpx_codec_rx_commit(&x.pc[1], (size_t)got);
		assert_int_equal(rlpx_codec_rx_next(&x.pc[1], &m), 0);
		assert_int_equal(m.code, RLPX_P2P_PONG);
	}
	sb_stop(&x);
}

/* sb_tx() offers control's message (code, d[0..len)) for session k to
 * the stage as MSG_RLPX_TX fragments, as dplink_rlpx_send() cuts them. */
static void sb_tx(struct sb *x, unsigned k, uint64_t code, const uint8_t *d,
		  size_t len)
{
	size_t off = 0;

	do {
		size_t f = len - off < MSG_RLPX_FRAG_MAX ? len - off
							 : MSG_RLPX_FRAG_MAX;
		struct msg_rlpx_data *m;
		struct msg_desc desc;
		uint32_t idx;

		assert_int_equal(shmring_slot_alloc(x->r, &idx), 0);
		m = shmring_slot_ptr(x->r, idx);
		memset(m, 0, sizeof(*m));
		m->hdr.type = MSG_RLPX_TX;
		m->hdr.len = (uint16_t)(sizeof(*m) - sizeof(m->hdr) + f);
		m->session_id = x->sid[k];
		m->msg_code = code;
		m->total_len = (uint32_t)len;
		m->frag_off = (uint32_t)off;
		m->data_len = (uint16_t)f;
		m->flags = off + f == len ? MSG_RLPX_F_LAST : 0;
		if (f)
			memcpy(m->data, d + off, f);
		desc = (struct msg_desc){ .slot = idx,
					  .len = (uint16_t)(sizeof(*m) + f),
					  .kind = MSG_RLPX_TX };
		assert_int_equal(rlpx_stage_ctl(x->st, &desc, m), 0);
		shmring_slot_free(x->r, idx);
		off += f;
	} while (off < len);
}

static bool sb_readable(struct sb *x, unsigned k)
{
	struct pollfd p = { .fd = x->b[k], .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* sb_peer_recv() reads (bounded) until peer k opens one message. */
static void sb_peer_recv(struct sb *x, unsigned k, struct rlpx_msg *m)
{
	double end = now_s() + 5;
	int rc;

	while ((rc = rlpx_codec_rx_next(&x->pc[k], m)) == -EAGAIN) {
		struct pollfd p = { .fd = x->b[k], .events = POLLIN };
		uint8_t *q;
		ssize_t room, got;

		assert_true(now_s() < end);
		if (poll(&p, 1, 100) <= 0)
			continue;
		room = rlpx_codec_rx_space(&x->pc[k], &q);
		assert_true(room > 0);
		got = recv(x->b[k], q, (size_t)room, 0);
		assert_true(got > 0);
		rlpx_codec_rx_commit(&x->pc[k], (size_t)got);
	}
	assert_int_equal(rc, 0);
}

/*
 * Control's messages to several sessions in one ring burst are sealed
 * together when the burst ends (the worker's next rlpx_stage_poll()), not
 * one by one as they complete: after the rlpx_stage_ctl() calls nothing is
 * on the wire, after the poll everything is. A session's second message
 * seals the batch holding its first (one txa per session), so order
 * within a session holds; a message over the batch size goes at once.
 */
static void test_stage_seals_sessions_together(void **st_)
{
	static uint8_t big[40000];
	struct sb x;
	uint8_t buf[2048];
	struct rlpx_msg m;

	(void)st_;
	sb_start(&x);
	for (unsigned k = 0; k < SB_SESS; k++) {
		sb_fill(buf, sb_len(k, 0), k, 0);
		sb_tx(&x, k, 0x20, buf, sb_len(k, 0));
	}
	for (unsigned k = 0; k < SB_SESS; k++)
		assert_false(sb_readable(&x, k));
	/* session 0's next message: the batch goes out first */
	sb_fill(buf, sb_len(0, 1), 0, 1);
	sb_tx(&x, 0, 0x21, buf, sb_len(0, 1));
	for (unsigned k = 0; k < SB_SESS; k++)
		assert_true(sb_readable(&x, k));
	/* above the batch size: sealed as it completes */
	sb_fill(big, sizeof(big), 9, 9);
	sb_tx(&x, 3, 0x22, big, sizeof(big));
	rlpx_stage_poll(x.st);
	for (unsigned k = 0; k < SB_SESS; k++) {
		sb_peer_recv(&x, k, &m);
		assert_int_equal(m.code, 0x20);
		sb_fill(buf, sb_len(k, 0), k, 0);
		assert_int_equal(m.len, sb_len(k, 0));
		assert_memory_equal(m.data, buf, m.len);
	}
	sb_peer_recv(&x, 0, &m);
	assert_int_equal(m.code, 0x21);
	sb_fill(buf, sb_len(0, 1), 0, 1);
	assert_int_equal(m.len, sb_len(0, 1));
	assert_memory_equal(m.data, buf, m.len);
	sb_peer_recv(&x, 3, &m);
	assert_int_equal(m.code, 0x22);
	assert_int_equal(m.len, sizeof(big));
	assert_memory_equal(m.data, big, sizeof(big));
	/* A close goes after what was queued before it. */
	sb_tx(&x, 2, 0x23, buf, 10);
	{
		struct msg_rlpx_closed *c;
		struct msg_desc desc;
		uint32_t idx;

		assert_int_equal(shmring_slot_alloc(x.r, &idx), 0);
		c = shmring_slot_ptr(x.r, idx);
		memset(c, 0, sizeof(*c));
		c->hdr.type = MSG_RLPX_CLOSED;
		c->hdr.len = sizeof(*c) - sizeof(c->hdr);
		c->session_id = x.sid[2];
		c->reason = 0x04;
		desc = (struct msg_desc){ .slot = idx, .len = sizeof(*c),
					  .kind = MSG_RLPX_CLOSED };
		assert_int_equal(rlpx_stage_ctl(x.st, &desc, c), 0);
		shmring_slot_free(x.r, idx);
	}
	rlpx_stage_poll(x.st);
	sb_peer_recv(&x, 2, &m);
	assert_int_equal(m.code, 0x23);
	sb_peer_recv(&x, 2, &m);
	assert_int_equal(m.code, RLPX_P2P_DISCONNECT);
	sb_stop(&x);
}

/* ---- end to end through devplane-dp ------------------------------------ */

struct e2e {
	struct dplink *l;
	int peer;                       /* our end of the TCP connection */
	struct rlpx_codec pc;           /* the remote peer's codec */
	uint64_t sid;
	uint8_t *asm_buf;               /* control-side reassembly */
	size_t asm_len;
};

/* e2e_setup() spawns devplane-dp and makes a session that is ready to
 * hand over: *local (the frame state) and *a (the socket) are control's. */
static void e2e_setup(struct e2e *e, uint32_t flags, uint32_t frame_cap,
		      uint32_t ring_size, uint32_t n_slots,
		      struct rlpx_frame *local, int *a)
{
	struct dplink_listen li = { 0 };
	struct dplink_cfg cfg = { .listen = &li, .n_listen = 1,
				  .rlpx_frame_cap = frame_cap,
				  .ring_size = ring_size,
				  .n_slots = n_slots };
	struct rlpx_frame peer;
	int b;

	memset(e, 0, sizeof(*e));
	li.addr[10] = li.addr[11] = 0xff;
	li.addr[12] = 127;
	li.addr[15] = 1;
	assert_int_equal(dplink_spawn(&e->l, &cfg), 0);
	frame_pair(local, &peer);
	codec_of(&e->pc, &peer, 0, flags);
	rlpx_frame_fini(&peer);
	tcp_pair(a, &b);
	e->peer = b;
	e->sid = 0x1122334455667788ULL;
	e->asm_buf = malloc(RLPX_MSG_CAP);
	assert_non_null(e->asm_buf);
}

static void e2e_start(struct e2e *e, uint32_t flags, uint32_t frame_cap,
		      uint32_t ring_size, uint32_t n_slots)
{
	struct rlpx_frame local;
	int a;

	e2e_setup(e, flags, frame_cap, ring_size, n_slots, &local, &a);
	assert_int_equal(dplink_rlpx_handover(e->l, e->sid, a, &local, flags),
			 0);
	rlpx_frame_fini(&local);
}

static void e2e_stop(struct e2e *e)
{
	if (e->peer >= 0)
		close(e->peer);
	rlpx_codec_fini(&e->pc);
	dplink_close(e->l);
	free(e->asm_buf);
}

static void peer_write(struct e2e *e, const uint8_t *w, size_t len)
{
	while (len) {
		ssize_t n = send(e->peer, w, len, MSG_NOSIGNAL);

		assert_true(n > 0);
		w += n;
		len -= (size_t)n;
	}
}

static void peer_send(struct e2e *e, uint64_t code, const uint8_t *d,
		      size_t len)
{
	size_t wl;
	uint8_t *w = seal_alloc(&e->pc, code, d, len, &wl);

	peer_write(e, w, wl);
	free(w);
}

/* peer_recv() reads until one message opens; returns 0, -EPIPE on EOF,
 * -ETIMEDOUT. */
static int peer_recv(struct e2e *e, struct rlpx_msg *m, double timeout)
{
	double end = now_s() + timeout;

	for (;;) {
		struct pollfd p = { .fd = e->peer, .events = POLLIN };
		uint8_t *buf;
		ssize_t room, n;
		int rc = rlpx_codec_rx_next(&e->pc, m);

		if (rc != -EAGAIN)
			return rc;
		if (now_s() > end)
			return -ETIMEDOUT;
		if (poll(&p, 1, 100) <= 0)
			continue;
		room = rlpx_codec_rx_space(&e->pc, &buf);
		assert_true(room > 0);
		n = recv(e->peer, buf, (size_t)room, 0);
		if (n <= 0)
			return -EPIPE;
		rlpx_codec_rx_commit(&e->pc, (size_t)n);
	}
}

/* ctl_recv() waits for the next whole message or CLOSED of our session.
 * Returns 1 (message: *code, e->asm_buf[0..asm_len)), 2 (closed: *closed
 * filled), 0 on timeout. */
static int ctl_recv(struct e2e *e, uint64_t *code,
		    struct msg_rlpx_closed *closed, double timeout)
{
	double end = now_s() + timeout;

	while (now_s() < end) {
		struct pollfd p = { .fd = dplink_notify_fd(e->l),
				    .events = POLLIN };
		struct dplink_rx rx;

		if (poll(&p, 1, 50) <= 0)
			continue;
		while (dplink_rx_burst(e->l, &rx, 1) == 1) {
			int done = 0;

			if (rx.kind == MSG_RLPX_CLOSED) {
				assert_true(rx.closed->session_id == e->sid);
				*closed = *rx.closed;
				done = 2;
			} else if (rx.kind == MSG_RLPX_RX) {
				const struct msg_rlpx_data *x = rx.rlpx;

				assert_true(x->session_id == e->sid);
				assert_int_equal(x->frag_off, e->asm_len);
				memcpy(e->asm_buf + x->frag_off, x->data,
				       x->data_len);
				e->asm_len += x->data_len;
				*code = x->msg_code;
				if (x->flags & MSG_RLPX_F_LAST) {
					assert_int_equal(e->asm_len,
							 x->total_len);
					done = 1;
				}
			}
			dplink_rx_free(e->l, &rx, 1);
			if (done) {
				/* keep the fd readable for what may follow */
				static const uint64_t one = 1;

				assert_int_equal(write(dplink_notify_fd(e->l),
						       &one, 8), 8);
				return done;
			}
		}
	}
	return 0;
}

static int ctl_msg(struct e2e *e, uint64_t *code, double timeout)
{
	struct msg_rlpx_closed c;

	e->asm_len = 0;
	return ctl_recv(e, code, &c, timeout);
}

static void fill(uint8_t *d, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)((i / 7 + seed) * 2654435761u >> 13);
}

static void run_exchange(uint32_t flags)
{
	size_t big = 1u << 20;
	uint8_t *data = malloc(big);
	struct rlpx_msg m;
	struct e2e e;
	uint64_t code;

	assert_non_null(data);
	fill(data, big, 1);
	e2e_start(&e, flags, 0, 0, 0);
	/* peer -> control: small, empty, 1 MiB, with a Ping in between
	 * that the dataplane answers itself. */
	peer_send(&e, 0x10, (const uint8_t *)"small", 5);
	peer_send(&e, RLPX_P2P_PING, (const uint8_t *)"\xc0", 1);
	peer_send(&e, 0x11, NULL, 0);
	peer_send(&e, 0x12, data, big);
	assert_int_equal(ctl_msg(&e, &code, 5), 1);
	assert_int_equal(code, 0x10);
	assert_int_equal(e.asm_len, 5);
	assert_memory_equal(e.asm_buf, "small", 5);
	assert_int_equal(ctl_msg(&e, &code, 5), 1);
	assert_int_equal(code, 0x11);           /* the Ping never came */
	assert_int_equal(e.asm_len, 0);
	assert_int_equal(ctl_msg(&e, &code, 5), 1);
	assert_int_equal(code, 0x12);
	assert_int_equal(e.asm_len, big);
	assert_memory_equal(e.asm_buf, data, big);
	/* the Pong */
	assert_int_equal(peer_recv(&e, &m, 5), 0);
	assert_int_equal(m.code, RLPX_P2P_PONG);
	assert_int_equal(m.len, 1);
	assert_int_equal(m.data[0], 0xc0);
	/* control -> peer */
	assert_int_equal(dplink_rlpx_send(e.l, e.sid, 0x20,
					  (const uint8_t *)"hi", 2), 0);
	fill(data, big, 2);
	assert_int_equal(dplink_rlpx_send(e.l, e.sid, 0x21, data, big), 0);
	assert_int_equal(dplink_rlpx_send(e.l, e.sid, 0x22, NULL, 0), 0);
	assert_int_equal(peer_recv(&e, &m, 5), 0);
	assert_int_equal(m.code, 0x20);
	assert_int_equal(m.len, 2);
	assert_memory_equal(m.data, "hi", 2);
	assert_int_equal(peer_recv(&e, &m, 5), 0);
	assert_int_equal(m.code, 0x21);
	assert_int_equal(m.len, big);
	assert_memory_equal(m.data, data, big);
	assert_int_equal(peer_recv(&e, &m, 5), 0);
	assert_int_equal(m.code, 0x22);
	assert_int_equal(m.len, 0);
	{
		uint64_t cnt[DP_CNT_MAX];

		assert_int_equal(dplink_stats(e.l, UINT32_MAX, cnt), 0);
		assert_int_equal(cnt[DP_CNT_RLPX_SESSIONS], 1);
		assert_int_equal(cnt[DP_CNT_RLPX_PONGS], 1);
		assert_int_equal(cnt[DP_CNT_RLPX_FRAMES_RX], 4);
		assert_int_equal(cnt[DP_CNT_RLPX_FRAMES_TX], 4);
	}
	e2e_stop(&e);
	free(data);
}

static void test_e2e_snappy(void **st)
{
	(void)st;
	run_exchange(MSG_RLPX_KEYS_F_SNAPPY);
}

static void test_e2e_plain(void **st)
{
	(void)st;
	run_exchange(0);
}

static void expect_closed(struct e2e *e, int err, uint8_t origin)
{
	struct msg_rlpx_closed c;
	uint64_t code;

	e->asm_len = 0;
	assert_int_equal(ctl_recv(e, &code, &c, 5), 2);
	assert_int_equal(c.error, err);
	assert_int_equal(c.origin, origin);
}

static void test_e2e_garbage(void **st)
{
	uint8_t junk[100];
	struct e2e e;

	(void)st;
	memset(junk, 0x33, sizeof(junk));
	e2e_start(&e, MSG_RLPX_KEYS_F_SNAPPY, 0, 0, 0);
	peer_write(&e, junk, sizeof(junk));
	expect_closed(&e, -EKEYREJECTED, MSG_CLOSE_ERROR);
	e2e_stop(&e);
}

static void test_e2e_bad_mac(void **st)
{
	struct e2e e;
	size_t wl;
	uint8_t *w;

	(void)st;
	e2e_start(&e, 0, 0, 0, 0);
	peer_send(&e, 0x10, (const uint8_t *)"ok", 2);
	w = seal_alloc(&e.pc, 0x10, (const uint8_t *)"tampered", 8, &wl);
	w[RLPX_FRAME_HEAD_LEN] ^= 0x80;         /* frame-ciphertext */
	peer_write(&e, w, wl);
	free(w);
	{
		uint64_t code;

		assert_int_equal(ctl_msg(&e, &code, 5), 1);
		assert_int_equal(code, 0x10);
	}
	expect_closed(&e, -EKEYREJECTED, MSG_CLOSE_ERROR);
	e2e_stop(&e);
}

static void test_e2e_over_cap(void **st)
{
	uint8_t *d = calloc(1, 100000);
	struct e2e e;

	(void)st;
	e2e_start(&e, 0, 65536, 0, 0);
	peer_send(&e, 0x10, d, 100000);
	expect_closed(&e, -EMSGSIZE, MSG_CLOSE_ERROR);
	e2e_stop(&e);
	free(d);
}

static void test_e2e_snappy_bomb(void **st)
{
	size_t cap = (17u << 20) / 64 * 3 + 64, n, wl;
	uint8_t *plain = malloc(cap), *w;
	struct e2e e;

	(void)st;
	n = bomb(plain, 17u << 20);
	e2e_start(&e, MSG_RLPX_KEYS_F_SNAPPY, 0, 0, 0);
	wl = rlpx_frame_sealed_len(n);
	w = malloc(wl);
	assert_int_equal(rlpx_frame_seal(&e.pc.f, w, wl, plain, n),
			 (ssize_t)wl);
	peer_write(&e, w, wl);
	expect_closed(&e, -EMSGSIZE, MSG_CLOSE_ERROR);
	e2e_stop(&e);
	free(w);
	free(plain);
}

static void test_e2e_peer_closes(void **st)
{
	struct e2e e;

	(void)st;
	e2e_start(&e, 0, 0, 0, 0);
	close(e.peer);
	e.peer = -1;
	expect_closed(&e, 0, MSG_CLOSE_REMOTE);
	e2e_stop(&e);
}

static void test_e2e_control_close(void **st)
{
	struct rlpx_msg m;
	struct e2e e;

	(void)st;
	for (uint32_t flags = 0; flags <= MSG_RLPX_KEYS_F_SNAPPY; flags++) {
		e2e_start(&e, flags, 0, 0, 0);
		assert_int_equal(dplink_rlpx_close(e.l, e.sid, 0x04), 0);
		assert_int_equal(peer_recv(&e, &m, 5), 0);
		assert_int_equal(m.code, RLPX_P2P_DISCONNECT);
		assert_int_equal(m.len, 2);
		assert_memory_equal(m.data, "\xc1\x04", 2);
		assert_int_equal(peer_recv(&e, &m, 5), -EPIPE);
		expect_closed(&e, 0, MSG_CLOSE_LOCAL);
		/* the session is gone: sends for it are dropped */
		e2e_stop(&e);
	}
}

static void test_e2e_backpressure(void **st)
{
	enum { N = 400, LEN = 3000 };   /* 2 fragments each: 800 slots */
	uint8_t d[LEN];
	struct e2e e;
	uint64_t cnt[DP_CNT_MAX], code;

	(void)st;
	/* 63 descriptors in the ring, 256 slots in the pool */
	e2e_start(&e, MSG_RLPX_KEYS_F_SNAPPY, 0, 64, 256);
	for (unsigned i = 0; i < N; i++) {
		fill(d, LEN, i);
		peer_send(&e, 0x10 + (i % 7), d, LEN);
	}
	/* Control does not drain: the worker must stall (waited for, up
	 * to 10 s, not assumed after a fixed sleep). */
	for (double t0 = now_s();;) {
		assert_int_equal(dplink_stats(e.l, UINT32_MAX, cnt), 0);
		if (cnt[DP_CNT_RLPX_STALLS] > 0)
			break;
		assert_true(now_s() - t0 < 10);
		usleep(10000);
	}
	assert_true(cnt[DP_CNT_RLPX_FRAMES_RX] < N);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(ctl_msg(&e, &code, 5), 1);
		assert_int_equal(code, 0x10 + (i % 7));
		assert_int_equal(e.asm_len, LEN);
		fill(d, LEN, i);
		assert_memory_equal(e.asm_buf, d, LEN);
	}
	assert_int_equal(dplink_stats(e.l, UINT32_MAX, cnt), 0);
	assert_int_equal(cnt[DP_CNT_RLPX_FRAMES_RX], N);
	assert_int_equal(cnt[DP_CNT_RLPX_CLOSED], 0);
	e2e_stop(&e);
}

/* expect_disconnect() reads the p2p Disconnect [reason], then EOF. */
static void expect_disconnect(struct e2e *e, uint8_t reason)
{
	struct rlpx_msg m;

	assert_int_equal(peer_recv(e, &m, 5), 0);
	assert_int_equal(m.code, RLPX_P2P_DISCONNECT);
	assert_int_equal(m.len, 2);
	assert_int_equal(m.data[0], 0xc1);
	assert_int_equal(m.data[1], reason);
	assert_int_equal(peer_recv(e, &m, 5), -EPIPE);
}

/* Keys, then TX and a close, all before the fd: the worker holds them
 * (64 slots, then it stops reading its ring: the 1 MiB message is 525
 * fragments) and applies them in order once the fd is in. */
static void test_e2e_pending_keys_first(void **st)
{
	size_t big = 1u << 20;
	uint8_t *data = malloc(big);
	uint64_t cnt[DP_CNT_MAX];
	struct rlpx_frame local;
	struct rlpx_msg m;
	struct e2e e;
	int a;

	(void)st;
	assert_non_null(data);
	for (uint32_t flags = 0; flags <= MSG_RLPX_KEYS_F_SNAPPY; flags++) {
		fill(data, big, 3 + flags);
		e2e_setup(&e, flags, 0, 0, 0, &local, &a);
		assert_int_equal(dplink_rlpx_handover_keys(e.l, e.sid, a,
							   &local, flags), 0);
		rlpx_frame_fini(&local);
		assert_int_equal(dplink_rlpx_send(e.l, e.sid, 0x10,
				 (const uint8_t *)"early", 5), 0);
		assert_int_equal(dplink_rlpx_send(e.l, e.sid, 0x11, data, big),
				 0);
		assert_int_equal(dplink_rlpx_send(e.l, e.sid, 0x12, NULL, 0),
				 0);
		assert_int_equal(dplink_rlpx_close(e.l, e.sid, 0x04), 0);
		usleep(200000);         /* the worker has seen all of it */
		assert_int_equal(dplink_stats(e.l, UINT32_MAX, cnt), 0);
		assert_int_equal(cnt[DP_CNT_RLPX_SESSIONS], 0);
		assert_int_equal(cnt[DP_CNT_RLPX_CTL_DROP], 0);
		assert_int_equal(cnt[DP_CNT_RLPX_FRAMES_TX], 0);
		assert_int_equal(dplink_rlpx_handover_fd(e.l, e.sid, a), 0);
		close(a);
		assert_int_equal(peer_recv(&e, &m, 5), 0);
		assert_int_equal(m.code, 0x10);
		assert_int_equal(m.len, 5);
		assert_memory_equal(m.data, "early", 5);
		assert_int_equal(peer_recv(&e, &m, 5), 0);
		assert_int_equal(m.code, 0x11);
		assert_int_equal(m.len, big);
		assert_memory_equal(m.data, data, big);
		assert_int_equal(peer_recv(&e, &m, 5), 0);
		assert_int_equal(m.code, 0x12);
		assert_int_equal(m.len, 0);
		expect_disconnect(&e, 0x04);
		expect_closed(&e, 0, MSG_CLOSE_LOCAL);
		assert_int_equal(dplink_stats(e.l, UINT32_MAX, cnt), 0);
		assert_int_equal(cnt[DP_CNT_RLPX_SESSIONS], 1);
		assert_int_equal(cnt[DP_CNT_RLPX_CTL_DROP], 0);
		assert_int_equal(cnt[DP_CNT_RLPX_FRAMES_TX], 4);
		e2e_stop(&e);
	}
	free(data);
}

/* The fd first, the keys 200 ms later; the peer spoke in between. */
static void test_e2e_pending_fd_first(void **st)
{
	uint64_t cnt[DP_CNT_MAX], code;
	struct rlpx_frame local;
	struct rlpx_msg m;
	struct e2e e;
	int a;

	(void)st;
	e2e_setup(&e, MSG_RLPX_KEYS_F_SNAPPY, 0, 0, 0, &local, &a);
	assert_int_equal(dplink_rlpx_handover_fd(e.l, e.sid, a), 0);
	peer_send(&e, 0x13, (const uint8_t *)"first", 5);
	usleep(200000);
	assert_int_equal(dplink_rlpx_handover_keys(e.l, e.sid, a, &local,
						   MSG_RLPX_KEYS_F_SNAPPY), 0);
	close(a);
	rlpx_frame_fini(&local);
	assert_int_equal(dplink_rlpx_send(e.l, e.sid, 0x10,
					  (const uint8_t *)"x", 1), 0);
	assert_int_equal(dplink_rlpx_close(e.l, e.sid, 0x08), 0);
	assert_int_equal(ctl_msg(&e, &code, 5), 1);
	assert_int_equal(code, 0x13);
	assert_int_equal(e.asm_len, 5);
	assert_memory_equal(e.asm_buf, "first", 5);
	assert_int_equal(peer_recv(&e, &m, 5), 0);
	assert_int_equal(m.code, 0x10);
	assert_int_equal(m.len, 1);
	expect_disconnect(&e, 0x08);
	expect_closed(&e, 0, MSG_CLOSE_LOCAL);
	assert_int_equal(dplink_stats(e.l, UINT32_MAX, cnt), 0);
	assert_int_equal(cnt[DP_CNT_RLPX_CTL_DROP], 0);
	e2e_stop(&e);
}

/* A session with keys but no fd (40 fragments and a close held) and one
 * with an fd but no keys: both end after 5 s with CLOSED -ETIMEDOUT, the
 * socket is closed and the held slots come back to the pool. */
static void test_e2e_pending_timeout(void **st)
{
	enum { NSLOTS = 96, HELD = 40, BIG = 60 };
	size_t hl = HELD * MSG_RLPX_FRAG_MAX, bl = BIG * MSG_RLPX_FRAG_MAX;
	uint8_t *data = malloc(bl), buf[16];
	uint64_t ida = 0xa000000000000001ULL, idb = 0xb000000000000002ULL;
	struct rlpx_frame local, la, pa;
	bool got_a = false, got_b = false;
	double t0, t;
	struct rlpx_msg m;
	struct e2e e;
	int a, xa, xb;

	(void)st;
	assert_non_null(data);
	fill(data, bl, 9);
	/* 63 descriptors in the ring, 96 slots in the pool */
	e2e_setup(&e, 0, 0, 64, NSLOTS, &local, &a);
	t0 = now_s();
	frame_pair(&la, &pa);
	assert_int_equal(dplink_rlpx_handover_keys(e.l, ida, -1, &la, 0), 0);
	rlpx_frame_fini(&la);
	rlpx_frame_fini(&pa);
	assert_int_equal(dplink_rlpx_send(e.l, ida, 0x10, data, hl), 0);
	assert_int_equal(dplink_rlpx_close(e.l, ida, 0x04), 0);
	tcp_pair(&xa, &xb);
	assert_int_equal(dplink_rlpx_handover_fd(e.l, idb, xa), 0);
	close(xa);
	/* The 41 requests held for a are copies: their slots are back in
	 * the pool as soon as the worker took them (a pending session
	 * cannot pin shared memory), so a 60-fragment message fits. It is
	 * for a session the dataplane does not know yet: dropped there. */
	for (int rc = -ENOBUFS; rc == -ENOBUFS;) {
		assert_true(now_s() - t0 < 4);
		rc = dplink_rlpx_send(e.l, e.sid, 0x11, data, bl);
		if (rc == -ENOBUFS)
			usleep(10000);
		else
			assert_int_equal(rc, 0);
	}
	while (!(got_a && got_b)) {
		struct pollfd p = { .fd = dplink_notify_fd(e.l),
				    .events = POLLIN };
		struct dplink_rx rx;

		assert_true(now_s() - t0 < 8);
		if (poll(&p, 1, 50) <= 0)
			continue;
		while (dplink_rx_burst(e.l, &rx, 1) == 1) {
			assert_int_equal(rx.kind, MSG_RLPX_CLOSED);
			assert_int_equal(rx.closed->error, -ETIMEDOUT);
			assert_int_equal(rx.closed->origin, MSG_CLOSE_ERROR);
			if (rx.closed->session_id == ida) {
				assert_false(got_a);
				got_a = true;
			} else {
				assert_true(rx.closed->session_id == idb);
				assert_false(got_b);
				got_b = true;
			}
			dplink_rx_free(e.l, &rx, 1);
		}
	}
	t = now_s() - t0;
	assert_true(t > 4.5);
	/* b's socket was closed by the dataplane */
	{
		struct pollfd p = { .fd = xb, .events = POLLIN };

		assert_int_equal(poll(&p, 1, 2000), 1);
		assert_int_equal(recv(xb, buf, sizeof(buf), 0), 0);
		close(xb);
	}
	/* A real session gets the 60-fragment message. */
	assert_int_equal(dplink_rlpx_handover(e.l, e.sid, a, &local, 0), 0);
	rlpx_frame_fini(&local);
	assert_int_equal(dplink_rlpx_send(e.l, e.sid, 0x11, data, bl), 0);
	assert_int_equal(peer_recv(&e, &m, 5), 0);
	assert_int_equal(m.code, 0x11);
	assert_int_equal(m.len, bl);
	assert_memory_equal(m.data, data, bl);
	e2e_stop(&e);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stage_opens_sessions_together),
		cmocka_unit_test(test_stage_seals_sessions_together),
		cmocka_unit_test(test_stage_keys_slot_wiped),
		cmocka_unit_test(test_stage_pending_expires_on_its_clock),
		cmocka_unit_test(test_stage_memory_budget_caps_big_frames),
		cmocka_unit_test(test_stage_memory_budget_ping_flood_not_reading),
		cmocka_unit_test(test_stage_memory_budget_cfg),
		cmocka_unit_test(test_e2e_snappy),
		cmocka_unit_test(test_e2e_plain),
		cmocka_unit_test(test_e2e_garbage),
		cmocka_unit_test(test_e2e_bad_mac),
		cmocka_unit_test(test_e2e_over_cap),
		cmocka_unit_test(test_e2e_snappy_bomb),
		cmocka_unit_test(test_e2e_peer_closes),
		cmocka_unit_test(test_e2e_control_close),
		cmocka_unit_test(test_e2e_backpressure),
		cmocka_unit_test(test_e2e_pending_keys_first),
		cmocka_unit_test(test_e2e_pending_fd_first),
		cmocka_unit_test(test_e2e_pending_timeout),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	rlpx_frame_thread_fini();
	return rc;
}
