/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_secp.c - secp256k1 recover, sign, ECDH, pub-from-priv rates. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/secp.h"
#include "tests/bench/bench.h"

#define ROW_SECONDS 1.0
#define BATCH       32                  /* ops between clock reads */

typedef void op_fn(void);

static uint8_t priv[SECP_PRIV_LEN], pub[SECP_PUB_LEN], peer[SECP_PUB_LEN];
static uint8_t hash[SECP_HASH_LEN], sig[SECP_SIG_LEN], out[SECP_PUB_LEN];
static volatile uint8_t sink;

static void check(int rc)
{
	if (rc < 0) {
		fprintf(stderr, "bench_secp: operation failed (%d)\n", rc);
		exit(1);
	}
}

static void op_recover(void)
{
	check(secp_recover(out, sig, hash));
	sink ^= out[0];
}

static void op_sign(void)
{
	hash[0]++;                      /* a new RFC 6979 nonce each time */
	check(secp_sign(sig, hash, priv));
	sink ^= sig[0];
}

static void op_ecdh(void)
{
	check(secp_ecdh(out, priv, peer));
	sink ^= out[0];
}

static void op_pub(void)
{
	priv[31]++;
	check(secp_pub_from_priv(out, priv));
	sink ^= out[0];
}

static double rate(op_fn *op)
{
	double t0 = bench_now(), t;
	uint64_t n = 0;

	do {
		for (int i = 0; i < BATCH; i++)
			op();
		n += BATCH;
		t = bench_now() - t0;
	} while (t < ROW_SECONDS);
	return (double)n / t;
}

void bench_secp(void)
{
	char note[96];
	double r;

	bench_section("secp256k1 (libsecp256k1 0.2, one thread)");
	check(secp_priv_generate(priv));
	check(secp_pub_from_priv(pub, priv));
	check(secp_priv_generate(out));
	check(secp_pub_from_priv(peer, out));
	memset(hash, 0x5a, sizeof(hash));
	check(secp_sign(sig, hash, priv));

	r = rate(op_recover);
	snprintf(note, sizeof(note), "%.1f us; discv4 node-id recovery", 1e6 / r);
	bench_report("recover", r, 0, note);
	r = rate(op_sign);
	snprintf(note, sizeof(note), "%.1f us; RFC 6979 nonce", 1e6 / r);
	bench_report("sign (recoverable)", r, 0, note);
	r = rate(op_ecdh);
	snprintf(note, sizeof(note), "%.1f us; x only, unhashed", 1e6 / r);
	bench_report("ECDH", r, 0, note);
	r = rate(op_pub);
	snprintf(note, sizeof(note), "%.1f us; fixed-base multiplication",
		 1e6 / r);
	bench_report("pub from priv", r, 0, note);
	explicit_bzero(priv, sizeof(priv));
}
