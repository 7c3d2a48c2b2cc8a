/* SPDX-License-Identifier: MIT */
/* tests/dataplane/stage/test_rlpx_codec.c - the RLPx codec on its own:
 * pure bytes in and out, frame states with fixed secrets on both ends. */
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
#include "dataplane/stage/rlpx_codec.h"
#include "tests/dataplane/stage/rlpx_pair.h"

static void codec_pair(struct rlpx_codec *a, struct rlpx_codec *b,
		       size_t cap_a, uint32_t flags)
{
	struct rlpx_frame fa, fb;

	frame_pair(&fa, &fb);
	codec_of(a, &fa, cap_a, flags);
	codec_of(b, &fb, 0, flags);
	rlpx_frame_fini(&fa);
	rlpx_frame_fini(&fb);
}

/* push_all() feeds wire bytes, collecting up to one message. */
static int push_next(struct rlpx_codec *c, const uint8_t *w, size_t len,
		     size_t *used, struct rlpx_msg *m)
{
	int rc;

	*used = 0;
	for (;;) {
		rc = rlpx_codec_rx_next(c, m);
		if (rc != -EAGAIN || *used == len)
			return rc;
		ssize_t k = rlpx_codec_rx_push(c, w + *used, len - *used);

		assert_true(k >= 0);
		*used += (size_t)k;
	}
}

/* ---- pure codec -------------------------------------------------------- */

static void test_codec_roundtrip(void **st)
{
	static const uint64_t codes[] = { 0, 1, 0x10, 0x7f, 0x80, 0x1234,
					  0xffffffffffULL };
	(void)st;
	for (uint32_t flags = 0; flags <= MSG_RLPX_KEYS_F_SNAPPY; flags++) {
		struct rlpx_codec a, b;
		size_t big = 300000;
		uint8_t *data = malloc(big);

		assert_non_null(data);
		for (size_t i = 0; i < big; i++)
			data[i] = (uint8_t)(i % 251 < 100 ? 0 : i * 31);
		codec_pair(&a, &b, 0, flags);
		for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]);
		     i++) {
			size_t lens[] = { 0, 1, 17, big };

			for (unsigned j = 0; j < 4; j++) {
				struct rlpx_msg m;
				size_t wl, used;
				uint8_t *w = seal_alloc(&a, codes[i], data,
							lens[j], &wl);

				/* byte by byte for a small one, else whole */
				if (lens[j] == 17) {
					int rc = -EAGAIN;

					for (size_t k = 0; k < wl; k++) {
						assert_int_equal(rc, -EAGAIN);
						assert_int_equal(
						    rlpx_codec_rx_push(&b,
							w + k, 1), 1);
						rc = rlpx_codec_rx_next(&b, &m);
					}
					assert_int_equal(rc, 0);
				} else {
					assert_int_equal(push_next(&b, w, wl,
						&used, &m), 0);
					assert_int_equal(used, wl);
				}
				assert_true(m.code == codes[i]);
				assert_int_equal(m.len, lens[j]);
				if (lens[j])
					assert_memory_equal(m.data, data,
							    lens[j]);
				assert_int_equal(rlpx_codec_rx_next(&b, &m),
						 -EAGAIN);
				free(w);
			}
		}
		rlpx_codec_fini(&a);
		rlpx_codec_fini(&b);
		free(data);
	}
}

static void test_codec_bad_mac_and_garbage(void **st)
{
	struct rlpx_codec a, b;
	struct rlpx_msg m;
	size_t wl, used;
	uint8_t *w;
	uint8_t junk[64];

	(void)st;
	codec_pair(&a, &b, 0, 0);
	w = seal_alloc(&a, 0x10, (const uint8_t *)"abc", 3, &wl);
	w[wl - 1] ^= 1;                         /* frame-mac */
	assert_int_equal(push_next(&b, w, wl, &used, &m), -EKEYREJECTED);
	assert_int_equal(rlpx_codec_rx_next(&b, &m), -EPROTO);  /* poisoned */
	free(w);
	rlpx_codec_fini(&a);
	rlpx_codec_fini(&b);

	codec_pair(&a, &b, 0, 0);
	memset(junk, 0x41, sizeof(junk));
	assert_int_equal(push_next(&b, junk, sizeof(junk), &used, &m),
			 -EKEYREJECTED);        /* header-mac */
	rlpx_codec_fini(&a);
	rlpx_codec_fini(&b);
}

static void test_codec_over_cap(void **st)
{
	struct rlpx_codec a, b;
	struct rlpx_msg m;
	uint8_t *data = calloc(1, 5000), *w;
	size_t wl, used;

	(void)st;
	/* b (the receiver) caps frames at 4096 bytes; a sends 5000. */
	codec_pair(&b, &a, 4096, 0);
	w = seal_alloc(&a, 0x10, data, 5000, &wl);
	assert_int_equal(push_next(&b, w, wl, &used, &m), -EMSGSIZE);
	assert_int_equal(used, RLPX_CODEC_IBUF_MIN < wl ?
			 RLPX_CODEC_IBUF_MIN : wl);
	free(w);
	free(data);
	rlpx_codec_fini(&a);
	rlpx_codec_fini(&b);
}

static void test_codec_snappy_bomb(void **st)
{
	size_t cap = (17u << 20) / 64 * 3 + 64;
	uint8_t *plain = malloc(cap);
	struct rlpx_codec a, b, a2, b2;
	struct rlpx_msg m;
	size_t n, wl, used;
	uint8_t *w, *wire;
	ssize_t k;

	(void)st;
	assert_non_null(plain);
	/* Exactly 16 MiB decodes (the bound is inclusive)... */
	n = bomb(plain, RLPX_MSG_CAP);
	assert_int_equal(snappy_decoded_len(plain + 1, n - 1), RLPX_MSG_CAP);
	codec_pair(&a, &b, 0, 0);               /* a seals without snappy */
	codec_pair(&a2, &b2, 0, MSG_RLPX_KEYS_F_SNAPPY);
	wire = malloc(rlpx_frame_sealed_len(n));
	k = rlpx_frame_seal(&a2.f, wire, rlpx_frame_sealed_len(n), plain, n);
	assert_true(k > 0);
	assert_int_equal(push_next(&b2, wire, (size_t)k, &used, &m), 0);
	assert_int_equal(m.code, 0x10);
	assert_int_equal(m.len, RLPX_MSG_CAP);
	assert_int_equal(m.data[RLPX_MSG_CAP - 1], 0);
	free(wire);
	/* ...one byte more is refused from the header alone. */
	n = bomb(plain, RLPX_MSG_CAP + 1);
	wire = malloc(rlpx_frame_sealed_len(n));
	k = rlpx_frame_seal(&a2.f, wire, rlpx_frame_sealed_len(n), plain, n);
	assert_true(k > 0);
	assert_int_equal(push_next(&b2, wire, (size_t)k, &used, &m),
			 -EMSGSIZE);
	free(wire);
	/* corrupt snappy */
	rlpx_codec_fini(&a2);
	rlpx_codec_fini(&b2);
	codec_pair(&a2, &b2, 0, MSG_RLPX_KEYS_F_SNAPPY);
	plain[0] = 0x10;
	plain[1] = 0x05;
	plain[2] = 0xff;
	wire = malloc(rlpx_frame_sealed_len(3));
	k = rlpx_frame_seal(&a2.f, wire, rlpx_frame_sealed_len(3), plain, 3);
	assert_int_equal(push_next(&b2, wire, (size_t)k, &used, &m),
			 -EBADMSG);
	free(wire);
	/* empty frame: no message code */
	w = malloc(64);
	k = rlpx_frame_seal(&a.f, w, 64, plain, 0);
	assert_int_equal(push_next(&b, w, (size_t)k, &used, &m), -EBADMSG);
	free(w);
	(void)wl;
	rlpx_codec_fini(&a);
	rlpx_codec_fini(&b);
	rlpx_codec_fini(&a2);
	rlpx_codec_fini(&b2);
	free(plain);
}

static void test_frame_export_import(void **st)
{
	struct rlpx_frame l, p, l2;
	struct msg_rlpx_keys k;
	uint8_t wire[128], out[64];
	size_t ol;
	ssize_t n;

	(void)st;
	frame_pair(&l, &p);
	memset(&k, 0, sizeof(k));
	assert_int_equal(rlpx_frame_export(&k, &l), 0);
	/* one Hello frame each way: 1 header block + 1 body block */
	assert_int_equal(k.egress_ctr_pos, 32);
	assert_int_equal(k.ingress_ctr_pos, 32);
	assert_int_equal(rlpx_frame_import(&l2, &k, 0), 0);
	n = rlpx_frame_seal(&l2, wire, sizeof(wire),
			    (const uint8_t *)"\x10xyz", 4);
	assert_int_equal(rlpx_frame_open(&p, out, sizeof(out), &ol, wire,
					 (size_t)n), n);
	assert_memory_equal(out, "\x10xyz", 4);
	k.ingress_ctr_pos = 33;
	assert_int_equal(rlpx_frame_import(&l2, &k, 0), -EBADMSG);
	k.ingress_ctr_pos = 32;
	k.egress_mac.pos = 136;
	assert_int_equal(rlpx_frame_import(&l2, &k, 0), -EBADMSG);
	/* mid-frame state cannot be exported */
	n = rlpx_frame_seal(&p, wire, sizeof(wire),
			    (const uint8_t *)"\x10xyz", 4);
	assert_true(rlpx_frame_open_header(&l, &ol, wire) > 0);
	assert_int_equal(rlpx_frame_export(&k, &l), -EPROTO);
	rlpx_frame_fini(&l);
	rlpx_frame_fini(&p);
}

/* ---- codec batches -------------------------------------------------- */

#define CB_SESS 9
#define CB_MSG  6000

static uint32_t cb_rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

struct cb_sess {
	struct rlpx_codec tx[2], rx[2];         /* [0] single, [1] batch */
	uint8_t *wire;                          /* sealed, not yet pushed */
	size_t wlen, wsent;
	bool dead;
};

/*
 * cb_drain() opens everything buffered, call by call in lockstep: one
 * rlpx_codec_rx_next() on each live session's single-path receiver, one
 * rlpx_codec_rx_next_batch() over all their batch-path receivers, and the
 * results of that call compared (rc, code, bytes). Returns the messages
 * opened.
 */
static unsigned cb_drain(struct cb_sess *ss, size_t n)
{
	unsigned ok = 0;

	for (;;) {
		struct rlpx_codec *c[CB_SESS];
		struct rlpx_msg m[CB_SESS];
		uint8_t d[CB_SESS][KECCAK256_LEN], d1[KECCAK256_LEN];
		int rc[CB_SESS], rc0[CB_SESS];
		uint64_t code[CB_SESS];
		size_t len[CB_SESS], who[CB_SESS], k = 0;
		bool more = false;

		for (size_t i = 0; i < n; i++) {
			struct rlpx_msg m0;

			if (ss[i].dead)
				continue;
			rc0[k] = rlpx_codec_rx_next(&ss[i].rx[0], &m0);
			if (rc0[k] == 0) {
				code[k] = m0.code;
				len[k] = m0.len;
				keccak256(d[k], m0.data, m0.len);
			}
			who[k] = i;
			c[k++] = &ss[i].rx[1];
		}
		rlpx_codec_rx_next_batch(c, m, rc, k);
		for (size_t j = 0; j < k; j++) {
			assert_int_equal(rc[j], rc0[j]);
			if (rc[j] == 0) {
				assert_int_equal(m[j].code, code[j]);
				assert_int_equal(m[j].len, len[j]);
				keccak256(d1, m[j].data, m[j].len);
				assert_memory_equal(d1, d[j], KECCAK256_LEN);
				ok++;
			}
			ss[who[j]].dead = rc[j] < 0 && rc[j] != -EAGAIN;
			more |= rc[j] != -EAGAIN;
		}
		if (!more)
			return ok;
	}
}

/*
 * CB_SESS sessions (snappy on every other one, a 4 KiB frame cap on every
 * third), both ends twice. Rounds of messages to random sessions (repeats
 * too, now and then a scratch too small) are sealed by rlpx_codec_seal()
 * on one copy and rlpx_codec_seal_batch() on the other: same results and
 * bytes. The wire then goes to both receivers of each session in the same
 * random chunks (now and then with a flipped byte), opened by cb_drain()
 * after every chunk round: every rlpx_codec_rx_next_batch() call must
 * give what rlpx_codec_rx_next() gives on each of its codecs.
 */
static void test_codec_batch_matches_single(void **st)
{
	struct cb_sess *ss = calloc(CB_SESS, sizeof(*ss));
	uint8_t *data = malloc(CB_MSG);
	size_t sc = rlpx_codec_scratch_len(CB_MSG);
	size_t oc = rlpx_codec_sealed_max(CB_MSG);
	uint8_t *scratch = malloc(sc * 8), *out[2];
	uint32_t rng = 0x9e3779b9u;
	unsigned n_msgs = 0, n_errs = 0, n_dead = 0;

	(void)st;
	out[0] = malloc(oc * 8);
	out[1] = malloc(oc * 8);
	assert_non_null(ss);
	assert_non_null(data);
	assert_non_null(scratch);
	assert_non_null(out[0]);
	assert_non_null(out[1]);
	for (size_t i = 0; i < CB_MSG; i++)
		data[i] = (i / 50) % 2 ? (uint8_t)cb_rnd(&rng) : (uint8_t)i;
	for (size_t i = 0; i < CB_SESS; i++) {
		struct rlpx_frame fa, fb;
		uint32_t flags = i % 2 ? MSG_RLPX_KEYS_F_SNAPPY : 0;
		size_t cap = i % 3 == 2 ? 4096 : 0;
		uint8_t w[128], o[64] = { 0 };
		size_t ol;

		frame_pair(&fa, &fb);
		/* i more frames: every session at its own stream position */
		for (size_t k = 0; k < i; k++) {
			ssize_t wn = rlpx_frame_seal(&fa, w, sizeof(w), o, k);

			assert_true(wn > 0);
			assert_int_equal(rlpx_frame_open(&fb, o, sizeof(o), &ol,
							 w, (size_t)wn), wn);
		}
		for (int c = 0; c < 2; c++) {
			codec_of(&ss[i].tx[c], &fa, cap, flags);
			codec_of(&ss[i].rx[c], &fb, cap, flags);
		}
		rlpx_frame_fini(&fa);
		rlpx_frame_fini(&fb);
		ss[i].wire = malloc(8 * oc);
		assert_non_null(ss[i].wire);
	}
	for (int round = 0; round < 16; round++) {
		struct rlpx_codec_tx tx[8];
		ssize_t want[8];
		size_t n = 1 + cb_rnd(&rng) % 8, who[8];
		bool progress = true;

		for (size_t j = 0; j < n; j++) {
			size_t len = cb_rnd(&rng) % 3 ? cb_rnd(&rng) % 1500
						      : cb_rnd(&rng) % CB_MSG;
			size_t scap = cb_rnd(&rng) % 20 ? sc : 4;
			struct cb_sess *x;

			who[j] = cb_rnd(&rng) % CB_SESS;
			x = &ss[who[j]];
			want[j] = rlpx_codec_seal(&x->tx[0], out[0] + j * oc,
						  oc, scratch + j * sc, scap,
						  0x10 + j, data + j, len);
			if (want[j] > 0) {
				memcpy(x->wire + x->wlen, out[0] + j * oc,
				       (size_t)want[j]);
				x->wlen += (size_t)want[j];
			}
			n_errs += want[j] < 0;
			tx[j] = (struct rlpx_codec_tx){
				.c = &x->tx[1], .out = out[1] + j * oc,
				.out_cap = oc, .scratch = scratch + j * sc,
				.scratch_cap = scap, .code = 0x10 + j,
				.data = data + j, .len = len };
		}
		rlpx_codec_seal_batch(tx, n);
		for (size_t j = 0; j < n; j++) {
			assert_int_equal(tx[j].rc, want[j]);
			if (want[j] > 0)
				assert_memory_equal(out[1] + j * oc,
						    out[0] + j * oc,
						    (size_t)want[j]);
		}
		for (size_t i = 0; i < CB_SESS; i++) {
			struct cb_sess *x = &ss[i];

			if (x->wlen && cb_rnd(&rng) % 40 == 0)
				x->wire[cb_rnd(&rng) % x->wlen] ^= 0x04;
		}
		while (progress) {
			progress = false;
			for (size_t i = 0; i < CB_SESS; i++) {
				struct cb_sess *x = &ss[i];
				size_t ch = 1 + cb_rnd(&rng) % 3000;
				ssize_t k[2] = { 0, 0 };

				if (x->dead)
					x->wsent = x->wlen;
				if (ch > x->wlen - x->wsent)
					ch = x->wlen - x->wsent;
				for (int c = 0; c < 2 && ch; c++) {
					k[c] = rlpx_codec_rx_push(&x->rx[c],
						x->wire + x->wsent, ch);
					assert_true(k[c] >= 0);
				}
				assert_int_equal(k[0], k[1]);
				x->wsent += (size_t)k[0];
				progress |= k[0] > 0;
			}
			n_msgs += cb_drain(ss, CB_SESS);
		}
		for (size_t i = 0; i < CB_SESS; i++)
			ss[i].wlen = ss[i].wsent = 0;
	}
	for (size_t i = 0; i < CB_SESS; i++)
		n_dead += ss[i].dead;
	assert_true(n_msgs > 30);
	assert_true(n_errs > 0);
	assert_true(n_dead < CB_SESS);
	for (size_t i = 0; i < CB_SESS; i++) {
		for (int c = 0; c < 2; c++) {
			rlpx_codec_fini(&ss[i].tx[c]);
			rlpx_codec_fini(&ss[i].rx[c]);
		}
		free(ss[i].wire);
	}
	free(ss);
	free(data);
	free(scratch);
	free(out[0]);
	free(out[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_roundtrip),
		cmocka_unit_test(test_codec_bad_mac_and_garbage),
		cmocka_unit_test(test_codec_over_cap),
		cmocka_unit_test(test_codec_snappy_bomb),
		cmocka_unit_test(test_frame_export_import),
		cmocka_unit_test(test_codec_batch_matches_single),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	rlpx_frame_thread_fini();
	return rc;
}
