/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_handshake.c - RLPx handshakes per second per core, each
 * role's work timed alone, next to the EC-operation ceiling of the same run. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ecies.h"
#include "common/rlpx_frame.h"
#include "common/secp.h"
#include "control/rlpx/rlpx.h"
#include "tests/bench/bench.h"

#define ROW_SECONDS 1.0
#define N_AUTHS     64                  /* distinct initiators for B */

/* EC operations per handshake (EIP-8, our code path):
 * initiator: auth build = pub(static) + ecdh(static) + sign + ECIES seal
 *            (pub(eph') + ecdh); ack = ECIES open (ecdh) + derive (ecdh)
 *            -> 4 ECDH, 2 pub, 1 sign
 * recipient: auth = ECIES open (ecdh) + ecdh(static) + recover; ack build =
 *            pub(eph) + ECIES seal (pub(eph') + ecdh); derive (ecdh)
 *            -> 4 ECDH, 2 pub, 1 recover */
#define EC_ECDH 4
#define EC_PUB  2

typedef void op_fn(void);

static uint8_t key_a[SECP_PRIV_LEN], key_b[SECP_PRIV_LEN];
static uint8_t pub_a[SECP_PUB_LEN], pub_b[SECP_PUB_LEN];
static uint8_t auths[N_AUTHS][RLPX_HS_OUT_MAX];
static size_t auth_lens[N_AUTHS];
static uint8_t ack[RLPX_HS_OUT_MAX];
static size_t ack_len;
static uint8_t out[RLPX_HS_OUT_MAX];
static struct rlpx_hs hs_i, hs_r;
static unsigned next_auth;
static uint64_t now = 1000000000ull;

static uint8_t e_priv[SECP_PRIV_LEN], e_peer[SECP_PUB_LEN];
static uint8_t e_hash[SECP_HASH_LEN], e_sig[SECP_SIG_LEN];
static uint8_t e_out[SECP_PUB_LEN];
static volatile uint8_t sink;

static void check(long rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "bench_handshake: %s failed (%ld)\n", what, rc);
		exit(1);
	}
}

static void op_ecdh(void)
{
	check(secp_ecdh(e_out, e_priv, e_peer), "ecdh");
	sink ^= e_out[0];
}

static void op_pub(void)
{
	e_priv[31]++;
	check(secp_pub_from_priv(e_out, e_priv), "pub");
	sink ^= e_out[0];
}

static void op_sign(void)
{
	e_hash[0]++;
	check(secp_sign(e_sig, e_hash, e_priv), "sign");
	sink ^= e_sig[0];
}

static void op_recover(void)
{
	check(secp_recover(e_out, e_sig, e_hash), "recover");
	sink ^= e_out[0];
}

static void take_and_wipe(struct rlpx_hs *hs)
{
	struct rlpx_secrets s;
	uint8_t rpub[SECP_PUB_LEN];

	if (rlpx_hs_state(hs) != RLPX_HS_DONE) {
		fprintf(stderr, "bench_handshake: handshake not done (%d)\n",
			rlpx_hs_error(hs));
		exit(1);
	}
	check(rlpx_hs_take(hs, &s, rpub), "take");
	sink ^= s.aes[0];
	rlpx_secrets_wipe(&s);
	rlpx_hs_fini(hs);
}

/* Recipient alone: accept, read a precomputed auth, answer, derive. */
static void op_recipient(void)
{
	const uint8_t *a = auths[next_auth];
	size_t len = auth_lens[next_auth], ol;

	next_auth = (next_auth + 1) % N_AUTHS;
	check(rlpx_hs_init_recipient(&hs_r, key_b, now), "init_recipient");
	check(rlpx_hs_feed(&hs_r, out, sizeof(out), &ol, a, len, now), "feed");
	take_and_wipe(&hs_r);
}

/* Initiator alone: build the auth, read a precomputed ack, derive. The ack
 * answers another auth, which only changes the derived MAC states. */
static void op_initiator(void)
{
	size_t ol;

	check(rlpx_hs_init_initiator(&hs_i, out, sizeof(out), key_a, pub_b,
				     now), "init_initiator");
	check(rlpx_hs_feed(&hs_i, NULL, 0, &ol, ack, ack_len, now), "feed");
	take_and_wipe(&hs_i);
}

/* Both sides on one core, as two local nodes would. */
static void op_pair(void)
{
	uint8_t a[RLPX_HS_OUT_MAX];
	ssize_t n;
	size_t ol;

	n = rlpx_hs_init_initiator(&hs_i, a, sizeof(a), key_a, pub_b, now);
	check(n, "init_initiator");
	check(rlpx_hs_init_recipient(&hs_r, key_b, now), "init_recipient");
	check(rlpx_hs_feed(&hs_r, out, sizeof(out), &ol, a, (size_t)n, now),
	      "feed auth");
	check(rlpx_hs_feed(&hs_i, NULL, 0, &ol, out, ol, now), "feed ack");
	take_and_wipe(&hs_i);
	take_and_wipe(&hs_r);
}

static double rate(op_fn *op)
{
	double t0 = bench_now(), t;
	uint64_t n = 0;

	do {
		for (int i = 0; i < 8; i++)
			op();
		n += 8;
		t = bench_now() - t0;
	} while (t < ROW_SECONDS);
	return (double)n / t;
}

static void setup(void)
{
	uint8_t k[SECP_PRIV_LEN];
	ssize_t n;

	check(secp_priv_generate(key_a), "keygen");
	check(secp_priv_generate(key_b), "keygen");
	check(secp_pub_from_priv(pub_a, key_a), "pub");
	check(secp_pub_from_priv(pub_b, key_b), "pub");
	for (int i = 0; i < N_AUTHS; i++) {
		check(secp_priv_generate(k), "keygen");
		n = rlpx_hs_init_initiator(&hs_i, auths[i], RLPX_HS_OUT_MAX, k,
					   pub_b, now);
		check(n, "auth");
		auth_lens[i] = (size_t)n;
		rlpx_hs_fini(&hs_i);
	}
	/* One real ack for A. */
	n = rlpx_hs_init_initiator(&hs_i, out, sizeof(out), key_a, pub_b, now);
	check(n, "auth");
	check(rlpx_hs_init_recipient(&hs_r, key_b, now), "recipient");
	check(rlpx_hs_feed(&hs_r, ack, sizeof(ack), &ack_len, out, (size_t)n,
			   now), "ack");
	take_and_wipe(&hs_r);
	rlpx_hs_fini(&hs_i);

	check(secp_priv_generate(e_priv), "keygen");
	check(secp_priv_generate(k), "keygen");
	check(secp_pub_from_priv(e_peer, k), "pub");
	memset(e_hash, 0x5a, sizeof(e_hash));
	check(secp_sign(e_sig, e_hash, e_priv), "sign");
}

void bench_handshake(void)
{
	double ecdh, pub, sign, rec, ceil_i, ceil_r, r;
	char note[128];

	bench_section("rlpx handshake (EIP-8, one core, in-process)");
	setup();
	ecdh = rate(op_ecdh);
	bench_report("ec: ecdh (x only)", ecdh, 0, "raw libsecp256k1");
	pub = rate(op_pub);
	bench_report("ec: pub from priv", pub, 0, "raw libsecp256k1");
	sign = rate(op_sign);
	bench_report("ec: sign (recoverable)", sign, 0, "raw libsecp256k1");
	op_sign();                      /* a signature over the current hash */
	rec = rate(op_recover);
	bench_report("ec: recover", rec, 0, "raw libsecp256k1");

	/* Ceiling: the EC work alone, per handshake and role. */
	ceil_i = 1.0 / (EC_ECDH / ecdh + EC_PUB / pub + 1.0 / sign);
	ceil_r = 1.0 / (EC_ECDH / ecdh + EC_PUB / pub + 1.0 / rec);

	r = rate(op_recipient);
	snprintf(note, sizeof(note),
		 "EC ceiling %.0f/s (4 ecdh+2 pub+1 recover): %.0f%%",
		 ceil_r, 100.0 * r / ceil_r);
	bench_report("handshake: recipient (auth->ack)", r, 0, note);

	r = rate(op_initiator);
	snprintf(note, sizeof(note),
		 "EC ceiling %.0f/s (4 ecdh+2 pub+1 sign): %.0f%%",
		 ceil_i, 100.0 * r / ceil_i);
	bench_report("handshake: initiator (auth, ack)", r, 0, note);

	r = rate(op_pair);
	snprintf(note, sizeof(note), "both roles on one core; ceiling %.0f/s",
		 1.0 / (1.0 / ceil_i + 1.0 / ceil_r));
	bench_report("handshake: both sides", r, 0, note);
	ecies_thread_fini();
}
