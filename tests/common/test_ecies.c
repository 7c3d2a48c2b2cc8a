/* SPDX-License-Identifier: MIT */
/* tests/common/test_ecies.c - RLPx ECIES: EIP-8 vectors, round trips, rejects. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/ecies.h"
#include "common/hex.h"
#include "common/secp.h"
#include "tests/vectors/eip8_vectors.h"

static void unhex(uint8_t *out, size_t len, const char *s)
{
	assert_int_equal(hex_decode(out, len, s, strlen(s)), (ssize_t)len);
}

/* NIST SP 800-38A F.5.1 CTR-AES128.Encrypt. */
static void test_ecies_aes128_ctr_nist(void **state)
{
	uint8_t key[16], iv[16], pt[64], ct[64], out[64];

	(void)state;
	unhex(key, 16, "2b7e151628aed2a6abf7158809cf4f3c");
	unhex(iv, 16, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
	unhex(pt, 64, "6bc1bee22e409f96e93d7e117393172a"
		      "ae2d8a571e03ac9c9eb76fac45af8e51"
		      "30c81c46a35ce411e5fbc1191a0a52ef"
		      "f69f2445df4f9b17ad2b417be66c3710");
	unhex(ct, 64, "874d6191b620e3261bef6864990db6ce"
		      "9806f66b7970fdff8617187bb9fffdff"
		      "5ae4df3edbd5d35e5b4f09020db03eab"
		      "1e031dda2fbe03d1792170a0f3009cee");
	assert_int_equal(ecies_aes128_ctr(out, key, iv, pt, 64), 0);
	assert_memory_equal(out, ct, 64);
	/* In place, and a partial last block. */
	memcpy(out, pt, 64);
	assert_int_equal(ecies_aes128_ctr(out, key, iv, out, 37), 0);
	assert_memory_equal(out, ct, 37);
	assert_memory_equal(out + 37, pt + 37, 27);
}

/* The counter block carries through all 128 bits (Go's cipher.NewCTR); the
 * expected streams come from Python's cryptography (OpenSSL). IPsec-MB on
 * its own wraps the low 32 bits, so these fail without the split. */
static void test_ecies_aes128_ctr_carries_128_bits(void **state)
{
	uint8_t key[16], iv[16], pt[80], want[80], out[80];

	(void)state;
	for (int i = 0; i < 80; i++)
		pt[i] = (uint8_t)i;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	unhex(iv, 16, "f0f1f2f3f4f5f6f7f8f9fafbfffffffe");
	unhex(want, 80, "efb8c39521b3056dc9231534af385204"
			"f0c267b576b0a00d7314a7f5feff4259"
			"8d9b004ef59997c876f8fe046313ee1d"
			"05da06ed65b7456feac8a3689733d633"
			"e04405b797f47e22b3b2b4f5309c81a7");
	assert_int_equal(ecies_aes128_ctr(out, key, iv, pt, 80), 0);
	assert_memory_equal(out, want, 80);

	memset(iv, 0xff, 16);                           /* wraps to zero */
	unhex(want, 40, "3c451d31ca0284246cdea892025db51c"
			"d6b02924939a4d9577569b79bdd5c666"
			"536731b6b1e59239");
	assert_int_equal(ecies_aes128_ctr(out, key, iv, pt, 40), 0);
	assert_memory_equal(out, want, 40);
}

/* Every EIP-8 handshake message opens with the recipient's static key:
 * auth (A to B) with B's, ack (B to A) with A's. EIP-8 messages use their
 * 2-byte size prefix as authdata; legacy ones have none. */
static void test_ecies_open_eip8_vectors(void **state)
{
	uint8_t plain[ECIES_MAX_PLAIN_LEN];

	(void)state;
	for (size_t i = 0; i < EIP8_MSG_VECTORS_N; i++) {
		const struct eip8_msg_vector *v = &eip8_msg_vectors[i];
		const uint8_t *key = v->is_auth ? EIP8_STATIC_KEY_B :
						  EIP8_STATIC_KEY_A;
		const uint8_t *nonce = v->is_auth ? EIP8_NONCE_A : EIP8_NONCE_B;
		ssize_t n;

		if (v->legacy) {
			n = ecies_open(plain, sizeof(plain), key, v->data,
				       v->len, NULL, 0);
			assert_int_equal(n, (ssize_t)(v->len - ECIES_OVERHEAD));
			/* auth: sig || h(eph) || pubk || nonce || 0;
			 * ack: eph-pubk || nonce || 0. */
			assert_int_equal(n, v->is_auth ? 194 : 97);
			assert_memory_equal(plain + n - 33, nonce, 32);
			assert_int_equal(plain[n - 1], 0);
			/* The wrong key fails the MAC. */
			n = ecies_open(plain, sizeof(plain),
				       v->is_auth ? EIP8_STATIC_KEY_A :
						    EIP8_STATIC_KEY_B,
				       v->data, v->len, NULL, 0);
			assert_int_equal(n, -EKEYREJECTED);
			continue;
		}
		assert_int_equal((size_t)v->data[0] << 8 | v->data[1],
				 v->len - 2);
		n = ecies_open(plain, sizeof(plain), key, v->data + 2,
			       v->len - 2, v->data, 2);
		assert_int_equal(n, (ssize_t)(v->len - 2 - ECIES_OVERHEAD));
		assert_true(plain[0] >= 0xf8);          /* a long RLP list */
		/* The nonce is in there, as a 32-byte string (0xa0). */
		assert_non_null(memmem(plain, (size_t)n, nonce, 32));
		/* Without the prefix as authdata the MAC fails. */
		n = ecies_open(plain, sizeof(plain), key, v->data + 2,
			       v->len - 2, NULL, 0);
		assert_int_equal(n, -EKEYREJECTED);
	}
}

static void test_ecies_seal_open_roundtrip(void **state)
{
	uint8_t priv[SECP_PRIV_LEN], pub[SECP_PUB_LEN];
	uint8_t msg[300], ct[300 + ECIES_OVERHEAD], out[300];
	const uint8_t ad[2] = { 0x01, 0x9d };
	static const size_t lens[] = { 0, 1, 15, 16, 17, 194, 300 };

	(void)state;
	assert_int_equal(secp_priv_generate(priv), 0);
	assert_int_equal(secp_pub_from_priv(pub, priv), 0);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 31 + 7);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t l = lens[i];
		ssize_t n = ecies_seal(ct, sizeof(ct), pub, msg, l, ad, 2);

		assert_int_equal(n, (ssize_t)(l + ECIES_OVERHEAD));
		assert_int_equal(ct[0], 0x04);
		memset(out, 0xee, sizeof(out));
		assert_int_equal(ecies_open(out, sizeof(out), priv, ct,
					    (size_t)n, ad, 2), (ssize_t)l);
		assert_memory_equal(out, msg, l);
		if (l >= 16)                            /* it is encrypted */
			assert_memory_not_equal(ct + 81, msg, 16);
	}
}

static void test_ecies_seal_fresh_randomness(void **state)
{
	uint8_t pub[SECP_PUB_LEN], a[16 + ECIES_OVERHEAD], b[16 + ECIES_OVERHEAD];
	const uint8_t msg[16] = { 0 };

	(void)state;
	assert_int_equal(secp_pub_from_priv(pub, EIP8_STATIC_KEY_B), 0);
	assert_int_equal(ecies_seal(a, sizeof(a), pub, msg, 16, NULL, 0),
			 (ssize_t)sizeof(a));
	assert_int_equal(ecies_seal(b, sizeof(b), pub, msg, 16, NULL, 0),
			 (ssize_t)sizeof(b));
	assert_memory_not_equal(a, b, ECIES_PUB_LEN);   /* ephemeral key */
	assert_memory_not_equal(a + ECIES_PUB_LEN, b + ECIES_PUB_LEN,
				ECIES_IV_LEN);
}

/* ecies_seal_det() with a fixed key and IV is deterministic and opens. */
static void test_ecies_seal_det(void **state)
{
	uint8_t pub[SECP_PUB_LEN], eph_pub[SECP_PUB_LEN], iv[16] = { 1 };
	uint8_t a[40 + ECIES_OVERHEAD], b[40 + ECIES_OVERHEAD], out[40];
	uint8_t msg[40];

	(void)state;
	memset(msg, 0x5a, sizeof(msg));
	assert_int_equal(secp_pub_from_priv(pub, EIP8_STATIC_KEY_B), 0);
	assert_int_equal(secp_pub_from_priv(eph_pub, EIP8_EPHEMERAL_KEY_A), 0);
	assert_int_equal(ecies_seal_det(a, sizeof(a), pub, msg, 40, NULL, 0,
					EIP8_EPHEMERAL_KEY_A, iv), 80 + 73);
	assert_int_equal(ecies_seal_det(b, sizeof(b), pub, msg, 40, NULL, 0,
					EIP8_EPHEMERAL_KEY_A, iv), 80 + 73);
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_equal(a + 1, eph_pub, SECP_PUB_LEN);
	assert_memory_equal(a + ECIES_PUB_LEN, iv, ECIES_IV_LEN);
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_B, a,
				    sizeof(a), NULL, 0), 40);
	assert_memory_equal(out, msg, 40);
}

/* Flipping any single bit of R, iv, c or d is caught. Flips in R give an
 * invalid point (-EBADMSG) or a different shared secret (-EKEYREJECTED). */
static void test_ecies_open_rejects_any_tampering(void **state)
{
	uint8_t pub[SECP_PUB_LEN], msg[50], ct[50 + ECIES_OVERHEAD], out[50];
	const uint8_t ad[2] = { 0, 163 };

	(void)state;
	memset(msg, 0x33, sizeof(msg));
	assert_int_equal(secp_pub_from_priv(pub, EIP8_STATIC_KEY_B), 0);
	assert_int_equal(ecies_seal(ct, sizeof(ct), pub, msg, 50, ad, 2),
			 (ssize_t)sizeof(ct));
	for (size_t i = 0; i < sizeof(ct); i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			ssize_t n;

			ct[i] ^= (uint8_t)(1u << bit);
			n = ecies_open(out, sizeof(out), EIP8_STATIC_KEY_B, ct,
				       sizeof(ct), ad, 2);
			if (i < ECIES_PUB_LEN)
				assert_true(n == -EBADMSG || n == -EKEYREJECTED);
			else
				assert_int_equal(n, -EKEYREJECTED);
			ct[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_B, ct,
				    sizeof(ct), ad, 2), 50);
}

static void test_ecies_open_rejects_wrong_authdata(void **state)
{
	uint8_t pub[SECP_PUB_LEN], ct[10 + ECIES_OVERHEAD], out[10];
	const uint8_t msg[10] = { 1 }, ad[2] = { 0, 123 }, ad2[2] = { 0, 124 };

	(void)state;
	assert_int_equal(secp_pub_from_priv(pub, EIP8_STATIC_KEY_B), 0);
	assert_int_equal(ecies_seal(ct, sizeof(ct), pub, msg, 10, ad, 2),
			 (ssize_t)sizeof(ct));
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_B, ct,
				    sizeof(ct), ad2, 2), -EKEYREJECTED);
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_B, ct,
				    sizeof(ct), ad, 1), -EKEYREJECTED);
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_B, ct,
				    sizeof(ct), NULL, 0), -EKEYREJECTED);
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_A, ct,
				    sizeof(ct), ad, 2), -EKEYREJECTED);
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_B, ct,
				    sizeof(ct), ad, 2), 10);
}

static void test_ecies_open_rejects_lengths(void **state)
{
	uint8_t ct[ECIES_MAX_PLAIN_LEN + ECIES_OVERHEAD + 1];
	uint8_t out[ECIES_MAX_PLAIN_LEN + 1];
	uint8_t pub[SECP_PUB_LEN], ad[ECIES_MAX_AUTHDATA_LEN + 1] = { 0 };

	(void)state;
	/* Too short to hold R || iv || d: refused before looking at R. */
	memset(ct, 0, sizeof(ct));
	for (size_t l = 0; l < ECIES_OVERHEAD; l++)
		assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_B,
					    ct, l, NULL, 0), -EMSGSIZE);
	/* Exactly the overhead is an empty message; all-zero R is not a
	 * point. */
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_B, ct,
				    ECIES_OVERHEAD, NULL, 0), -EBADMSG);
	/* Oversized. */
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_B, ct,
				    sizeof(ct), NULL, 0), -EMSGSIZE);
	/* Output too small, authdata too long: both before the EC work. */
	assert_int_equal(ecies_open(out, 9, EIP8_STATIC_KEY_B, ct,
				    ECIES_OVERHEAD + 10, NULL, 0), -EMSGSIZE);
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_B, ct,
				    ECIES_OVERHEAD + 10, ad, sizeof(ad)),
			 -EMSGSIZE);
	/* Seal side. */
	assert_int_equal(secp_pub_from_priv(pub, EIP8_STATIC_KEY_B), 0);
	assert_int_equal(ecies_seal(ct, 10 + ECIES_OVERHEAD - 1, pub, out, 10,
				    NULL, 0), -EMSGSIZE);
	assert_int_equal(ecies_seal(ct, sizeof(ct), pub, out,
				    ECIES_MAX_PLAIN_LEN + 1, NULL, 0),
			 -EMSGSIZE);
	assert_int_equal(ecies_seal(ct, sizeof(ct), pub, out, 10, ad,
				    sizeof(ad)), -EMSGSIZE);
	/* The maximum itself works. */
	assert_int_equal(ecies_seal(ct, sizeof(ct), pub, out,
				    ECIES_MAX_PLAIN_LEN, ad,
				    ECIES_MAX_AUTHDATA_LEN),
			 ECIES_MAX_PLAIN_LEN + ECIES_OVERHEAD);
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_B, ct,
				    ECIES_MAX_PLAIN_LEN + ECIES_OVERHEAD, ad,
				    ECIES_MAX_AUTHDATA_LEN),
			 ECIES_MAX_PLAIN_LEN);
}

static void test_ecies_open_rejects_bad_ephemeral(void **state)
{
	uint8_t ct[EIP8_ACK1_LEN], out[EIP8_ACK1_LEN];

	(void)state;
	memcpy(ct, EIP8_ACK1, sizeof(ct));
	/* Compressed and hybrid prefixes are refused. */
	for (unsigned p = 0; p < 8; p++) {
		if (p == 4)
			continue;
		ct[0] = (uint8_t)p;
		assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_A,
					    ct, sizeof(ct), NULL, 0), -EBADMSG);
	}
	ct[0] = 0x04;
	ct[64] ^= 1;                                    /* off the curve */
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_A, ct,
				    sizeof(ct), NULL, 0), -EBADMSG);
	memset(ct + 1, 0xff, 64);                       /* x, y >= p */
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_A, ct,
				    sizeof(ct), NULL, 0), -EBADMSG);
}

/* The 2026 RLPx advisories, at the ECIES layer, each refused before any
 * scalar multiplication (secp_ec_ops() unchanged):
 *  - CVE-2026-22862: a body shorter than one AES block (geth sliced the IV
 *    out of fewer than 16 bytes and crashed): R || k bytes || d for every
 *    k < 16, with a valid R;
 *  - CVE-2026-26315: an ephemeral key R off the curve (an invalid-curve
 *    ECDH leaks bits of the node key): refused before the ECDH. */
static void test_ecies_advisories_before_ec_work(void **state)
{
	uint8_t ct[EIP8_ACK1_LEN], out[EIP8_ACK1_LEN];
	uint8_t cut[ECIES_OVERHEAD];
	uint64_t ops;

	(void)state;
	memcpy(ct, EIP8_ACK1, sizeof(ct));
	for (size_t k = 0; k < ECIES_IV_LEN; k++) {
		size_t len = ECIES_PUB_LEN + k + ECIES_TAG_LEN;

		memcpy(cut, ct, ECIES_PUB_LEN + k);             /* R, k bytes */
		memcpy(cut + ECIES_PUB_LEN + k, ct + sizeof(ct) - ECIES_TAG_LEN,
		       ECIES_TAG_LEN);                          /* d */
		ops = secp_ec_ops();
		assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_A,
					    cut, len, NULL, 0), -EMSGSIZE);
		assert_int_equal(secp_ec_ops(), ops);
	}
	ct[64] ^= 1;                                    /* R off the curve */
	ops = secp_ec_ops();
	assert_int_equal(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_A, ct,
				    sizeof(ct), NULL, 0), -EBADMSG);
	assert_int_equal(secp_ec_ops(), ops);
	/* The untouched message costs exactly one ECDH. */
	memcpy(ct, EIP8_ACK1, sizeof(ct));
	ops = secp_ec_ops();
	assert_true(ecies_open(out, sizeof(out), EIP8_STATIC_KEY_A, ct,
			       sizeof(ct), NULL, 0) > 0);
	assert_int_equal(secp_ec_ops(), ops + 1);
}

static void test_ecies_seal_rejects_bad_pub(void **state)
{
	uint8_t pub[SECP_PUB_LEN] = { 0 }, ct[ECIES_OVERHEAD + 1];
	const uint8_t m[1] = { 0 };

	(void)state;
	assert_int_equal(ecies_seal(ct, sizeof(ct), pub, m, 1, NULL, 0),
			 -EINVAL);
}

static int teardown(void **state)
{
	(void)state;
	ecies_thread_fini();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ecies_aes128_ctr_nist),
		cmocka_unit_test(test_ecies_aes128_ctr_carries_128_bits),
		cmocka_unit_test(test_ecies_open_eip8_vectors),
		cmocka_unit_test(test_ecies_seal_open_roundtrip),
		cmocka_unit_test(test_ecies_seal_fresh_randomness),
		cmocka_unit_test(test_ecies_seal_det),
		cmocka_unit_test(test_ecies_open_rejects_any_tampering),
		cmocka_unit_test(test_ecies_open_rejects_wrong_authdata),
		cmocka_unit_test(test_ecies_open_rejects_lengths),
		cmocka_unit_test(test_ecies_open_rejects_bad_ephemeral),
		cmocka_unit_test(test_ecies_advisories_before_ec_work),
		cmocka_unit_test(test_ecies_seal_rejects_bad_pub),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
