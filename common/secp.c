/* SPDX-License-Identifier: MIT */
/* common/secp.c - secp256k1 over libsecp256k1; maps its 1/0 to 0/-errno. */
#include "common/secp.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_recovery.h>

static secp256k1_context *ctx;
static int ctx_err;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

/* Scalar multiplications done by this process (all threads), counted just
 * before libsecp256k1 runs one (after its inputs parsed), so tests can show
 * a hostile input was refused before any EC work. Relaxed atomics:
 * a count, not a synchronisation. */
static uint64_t n_ec_ops;

uint64_t secp_ec_ops(void)
{
	return __atomic_load_n(&n_ec_ops, __ATOMIC_RELAXED);
}

static void count_ec_op(void)
{
	__atomic_fetch_add(&n_ec_ops, 1, __ATOMIC_RELAXED);
}

int secp_random(uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Runs once. Randomisation blinds the signing and key generation
 * multiplications against side channels; after it the context is only read,
 * which libsecp256k1 documents as safe from any number of threads. */
static void ctx_create(void)
{
	uint8_t seed[32];
	secp256k1_context *c;
	int rc;

	c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (!c) {
		ctx_err = -ENOMEM;
		return;
	}
	rc = secp_random(seed, sizeof(seed));
	if (rc == 0 && !secp256k1_context_randomize(c, seed))
		rc = -EINVAL;
	explicit_bzero(seed, sizeof(seed));
	if (rc < 0) {
		secp256k1_context_destroy(c);
		ctx_err = rc;
		return;
	}
	ctx = c;
}

int secp_init(void)
{
	pthread_once(&ctx_once, ctx_create);
	return ctx ? 0 : ctx_err;
}

/* Every entry point goes through here; after the first call it is a load. */
static const secp256k1_context *get_ctx(void)
{
	if (secp_init() < 0)
		return NULL;
	return ctx;
}

bool secp_priv_check(const uint8_t priv[SECP_PRIV_LEN])
{
	const secp256k1_context *c = get_ctx();

	return c && secp256k1_ec_seckey_verify(c, priv) == 1;
}

int secp_priv_generate(uint8_t priv[SECP_PRIV_LEN])
{
	int rc;

	if (!get_ctx())
		return ctx_err;
	/* A uniform 256-bit string is >= n with probability ~2^-128. */
	do {
		rc = secp_random(priv, SECP_PRIV_LEN);
		if (rc < 0) {
			explicit_bzero(priv, SECP_PRIV_LEN);
			return rc;
		}
	} while (!secp_priv_check(priv));
	return 0;
}

/* Serialises to the 64-byte devp2p form (uncompressed without 0x04). */
static void pub_out(const secp256k1_context *c, uint8_t pub[SECP_PUB_LEN],
		    const secp256k1_pubkey *pk)
{
	uint8_t full[65];
	size_t len = sizeof(full);

	secp256k1_ec_pubkey_serialize(c, full, &len, pk,
				      SECP256K1_EC_UNCOMPRESSED);
	memcpy(pub, full + 1, SECP_PUB_LEN);
}

/* Parses the 64-byte form. libsecp256k1 rejects coordinates >= p and points
 * that do not satisfy y^2 = x^3 + 7. */
static bool pub_in(const secp256k1_context *c, secp256k1_pubkey *pk,
		   const uint8_t pub[SECP_PUB_LEN])
{
	uint8_t full[65];

	full[0] = 0x04;
	memcpy(full + 1, pub, SECP_PUB_LEN);
	return secp256k1_ec_pubkey_parse(c, pk, full, sizeof(full)) == 1;
}

int secp_pub_from_priv(uint8_t pub[SECP_PUB_LEN],
		       const uint8_t priv[SECP_PRIV_LEN])
{
	const secp256k1_context *c = get_ctx();
	secp256k1_pubkey pk;

	count_ec_op();
	if (!c)
		return ctx_err;
	if (!secp256k1_ec_pubkey_create(c, &pk, priv))
		return -EINVAL;
	pub_out(c, pub, &pk);
	return 0;
}

bool secp_pub_check(const uint8_t pub[SECP_PUB_LEN])
{
	const secp256k1_context *c = get_ctx();
	secp256k1_pubkey pk;

	return c && pub_in(c, &pk, pub);
}

int secp_pub_compress(uint8_t out[SECP_PUB_COMPRESSED_LEN],
		      const uint8_t pub[SECP_PUB_LEN])
{
	const secp256k1_context *c = get_ctx();
	secp256k1_pubkey pk;
	size_t len = SECP_PUB_COMPRESSED_LEN;

	if (!c)
		return ctx_err;
	if (!pub_in(c, &pk, pub))
		return -EINVAL;
	secp256k1_ec_pubkey_serialize(c, out, &len, &pk,
				      SECP256K1_EC_COMPRESSED);
	return 0;
}

int secp_pub_decompress(uint8_t pub[SECP_PUB_LEN],
			const uint8_t in[SECP_PUB_COMPRESSED_LEN])
{
	const secp256k1_context *c = get_ctx();
	secp256k1_pubkey pk;

	if (!c)
		return ctx_err;
	/* Only the 33-byte 0x02/0x03 form is accepted at this length. */
	if (in[0] != 0x02 && in[0] != 0x03)
		return -EINVAL;
	if (!secp256k1_ec_pubkey_parse(c, &pk, in, SECP_PUB_COMPRESSED_LEN))
		return -EINVAL;
	pub_out(c, pub, &pk);
	return 0;
}

int secp_sign(uint8_t sig[SECP_SIG_LEN], const uint8_t hash[SECP_HASH_LEN],
	      const uint8_t priv[SECP_PRIV_LEN])
{
	const secp256k1_context *c = get_ctx();
	secp256k1_ecdsa_recoverable_signature rs;
	int recid;

	count_ec_op();
	if (!c)
		return ctx_err;
	/* RFC 6979 nonces (the default); the result is always low-s. */
	if (!secp256k1_ecdsa_sign_recoverable(c, &rs, hash, priv, NULL, NULL))
		return -EINVAL;
	secp256k1_ecdsa_recoverable_signature_serialize_compact(c, sig, &recid,
								&rs);
	sig[64] = (uint8_t)recid;
	return 0;
}

int secp_recover(uint8_t pub[SECP_PUB_LEN], const uint8_t sig[SECP_SIG_LEN],
		 const uint8_t hash[SECP_HASH_LEN])
{
	const secp256k1_context *c = get_ctx();
	secp256k1_ecdsa_recoverable_signature rs;
	secp256k1_pubkey pk;

	if (!c)
		return ctx_err;
	/* v = 2, 3 would mean r >= n - p; devp2p never sends them, geth
	 * rejects them, and so do we. */
	if (sig[64] > 1)
		return -EKEYREJECTED;
	/* parse_compact rejects r or s >= n; recover rejects r = 0, s = 0.
	 * High s is accepted, as in geth's Ecrecover. */
	if (!secp256k1_ecdsa_recoverable_signature_parse_compact(c, &rs, sig,
								 sig[64]))
		return -EKEYREJECTED;
	count_ec_op();
	if (!secp256k1_ecdsa_recover(c, &pk, &rs, hash))
		return -EKEYREJECTED;
	pub_out(c, pub, &pk);
	return 0;
}

int secp_verify(const uint8_t sig[64], const uint8_t hash[SECP_HASH_LEN],
		const uint8_t pub[SECP_PUB_LEN])
{
	const secp256k1_context *c = get_ctx();
	secp256k1_ecdsa_signature s;
	secp256k1_pubkey pk;

	if (!c)
		return ctx_err;
	if (!pub_in(c, &pk, pub))
		return -EKEYREJECTED;
	if (!secp256k1_ecdsa_signature_parse_compact(c, &s, sig))
		return -EKEYREJECTED;
	/* secp256k1_ecdsa_verify fails on high s, which is what we want. */
	count_ec_op();
	if (!secp256k1_ecdsa_verify(c, &s, hash, &pk))
		return -EKEYREJECTED;
	return 0;
}

/* secp256k1_ecdh hands us the affine point; RLPx wants x as is. */
static int ecdh_copy_x(unsigned char *out, const unsigned char *x32,
		       const unsigned char *y32, void *data)
{
	(void)y32;
	(void)data;
	memcpy(out, x32, SECP_SHARED_LEN);
	return 1;
}

int secp_ecdh(uint8_t shared[SECP_SHARED_LEN], const uint8_t priv[SECP_PRIV_LEN],
	      const uint8_t pub[SECP_PUB_LEN])
{
	const secp256k1_context *c = get_ctx();
	secp256k1_pubkey pk;

	if (!c)
		return ctx_err;
	if (!pub_in(c, &pk, pub))
		return -EINVAL;
	/* Fails for a zero or >= n scalar. */
	count_ec_op();
	if (!secp256k1_ecdh(c, shared, &pk, priv, ecdh_copy_x, NULL)) {
		explicit_bzero(shared, SECP_SHARED_LEN);
		return -EINVAL;
	}
	return 0;
}

/* The same hook for discv5: y's parity byte, then x. The output buffer is
 * SECP_SHARED_COMPRESSED_LEN bytes (secp256k1_ecdh writes only through the
 * hook). */
static int ecdh_compressed(unsigned char *out, const unsigned char *x32,
			   const unsigned char *y32, void *data)
{
	(void)data;
	out[0] = 0x02 | (y32[31] & 1);
	memcpy(out + 1, x32, 32);
	return 1;
}

int secp_ecdh_compressed(uint8_t shared[SECP_SHARED_COMPRESSED_LEN],
			 const uint8_t priv[SECP_PRIV_LEN],
			 const uint8_t pub[SECP_PUB_LEN])
{
	const secp256k1_context *c = get_ctx();
	secp256k1_pubkey pk;

	if (!c)
		return ctx_err;
	if (!pub_in(c, &pk, pub)) {
		explicit_bzero(shared, SECP_SHARED_COMPRESSED_LEN);
		return -EINVAL;
	}
	count_ec_op();
	if (!secp256k1_ecdh(c, shared, &pk, priv, ecdh_compressed, NULL)) {
		explicit_bzero(shared, SECP_SHARED_COMPRESSED_LEN);
		return -EINVAL;
	}
	return 0;
}
