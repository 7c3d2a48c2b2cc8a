/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_ecies.c - RLPx ECIES seal/open rates for an auth-sized body. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ecies.h"
#include "common/secp.h"
#include "tests/bench/bench.h"

#define ROW_SECONDS 1.0
#define BATCH       16
#define BODY_LEN    194                 /* legacy auth body; EIP-8: ~270-470 */

typedef void op_fn(void);

static uint8_t priv[SECP_PRIV_LEN], pub[SECP_PUB_LEN];
static uint8_t body[BODY_LEN], ct[BODY_LEN + ECIES_OVERHEAD], plain[BODY_LEN];
static const uint8_t ad[2] = { 0x01, 0x15 };
static volatile uint8_t sink;

static void check(ssize_t rc)
{
	if (rc < 0) {
		fprintf(stderr, "bench_ecies: operation failed (%zd)\n", rc);
		exit(1);
	}
}

static void op_seal(void)
{
	check(ecies_seal(ct, sizeof(ct), pub, body, sizeof(body), ad, 2));
	sink ^= ct[100];
}

static void op_open(void)
{
	check(ecies_open(plain, sizeof(plain), priv, ct, sizeof(ct), ad, 2));
	sink ^= plain[0];
}

static void op_ecdh(void)
{
	uint8_t s[SECP_SHARED_LEN];

	check(secp_ecdh(s, priv, pub));
	sink ^= s[0];
}

static void op_gen(void)
{
	uint8_t p[SECP_PUB_LEN];

	priv[31] ^= 1;
	check(secp_pub_from_priv(p, priv));
	priv[31] ^= 1;
	sink ^= p[0];
}

static double rate(op_fn *op, double seconds)
{
	double t0 = bench_now(), t;
	uint64_t n = 0;

	do {
		for (int i = 0; i < BATCH; i++)
			op();
		n += BATCH;
		t = bench_now() - t0;
	} while (t < seconds);
	return (double)n / t;
}

void bench_ecies(void)
{
	double ecdh, gen, seal, open, ceil_seal;
	char note[128];

	bench_section("RLPx ECIES (secp256k1 + IPsec-MB AES-128-CTR, HMAC-SHA-256)");
	check(secp_priv_generate(priv));
	check(secp_pub_from_priv(pub, priv));
	memset(body, 0xa5, sizeof(body));
	op_seal();

	/* The EC work bounds both: seal = one variable-base ECDH plus one
	 * fixed-base multiplication (the ephemeral public key), open = one
	 * ECDH. Measured briefly here to state the ceiling. */
	ecdh = rate(op_ecdh, 0.3);
	gen = rate(op_gen, 0.3);
	ceil_seal = 1.0 / (1.0 / ecdh + 1.0 / gen);

	seal = rate(op_seal, ROW_SECONDS);
	snprintf(note, sizeof(note),
		 "194 B body; 2 EC mults: ceiling %.0f/s (%.0f%%)", ceil_seal,
		 100.0 * seal / ceil_seal);
	bench_report("ECIES seal", seal, BODY_LEN, note);
	open = rate(op_open, ROW_SECONDS);
	snprintf(note, sizeof(note),
		 "194 B body; 1 ECDH: ceiling %.0f/s (%.0f%%)", ecdh,
		 100.0 * open / ecdh);
	bench_report("ECIES open", open, BODY_LEN, note);
	explicit_bzero(priv, sizeof(priv));
	ecies_thread_fini();
}
