/* SPDX-License-Identifier: MIT */
/* tests/common/test_discv5_crypto.c - discv5 ECDH, key derivation,
 * id-signature and AES-GCM on the spec's vectors, plus rejects. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/discv5_crypto.h"
#include "common/hex.h"
#include "common/secp.h"
#include "tests/vectors/discv5_vectors.h"

static size_t unhex(uint8_t *out, size_t cap, const char *s)
{
	ssize_t n = hex_decode(out, cap, s, strlen(s));

	assert_true(n >= 0);
	return (size_t)n;
}

/* discv5-wire-test-vectors.md, ECDH. */
static void test_discv5_ecdh_vector(void **state)
{
	uint8_t pub[SECP_PUB_LEN], secret[DISCV5_SECRET_LEN];
	uint8_t x[SECP_SHARED_LEN];

	(void)state;
	assert_int_equal(secp_pub_decompress(pub, discv5_vec_ecdh_pub), 0);
	assert_int_equal(discv5_ecdh(secret, discv5_vec_ecdh_priv, pub), 0);
	assert_memory_equal(secret, discv5_vec_ecdh_shared, DISCV5_SECRET_LEN);
	/* Its x is the RLPx (x-only) secret of the same pair. */
	assert_int_equal(secp_ecdh(x, discv5_vec_ecdh_priv, pub), 0);
	assert_memory_equal(x, secret + 1, SECP_SHARED_LEN);
}

/* 1 * pub is pub: the secret is then libsecp256k1's own compressed
 * serialisation of pub. Over sixteen keys both y parities occur, so the
 * prefix is y's parity and not a constant. */
static void test_discv5_ecdh_parity(void **state)
{
	uint8_t one[32] = { [31] = 1 }, priv[32] = { [0] = 0x42 };
	uint8_t pub[SECP_PUB_LEN], secret[DISCV5_SECRET_LEN], comp[33];
	bool seen[2] = { false, false };

	(void)state;
	for (int i = 1; i <= 16; i++) {
		priv[31] = (uint8_t)i;
		assert_int_equal(secp_pub_from_priv(pub, priv), 0);
		assert_int_equal(discv5_ecdh(secret, one, pub), 0);
		assert_int_equal(secp_pub_compress(comp, pub), 0);
		assert_memory_equal(secret, comp, 33);
		seen[secret[0] - 2] = true;
	}
	assert_true(seen[0] && seen[1]);
}

static void test_discv5_ecdh_rejects(void **state)
{
	uint8_t pub[SECP_PUB_LEN], secret[DISCV5_SECRET_LEN];
	uint8_t zero[32] = { 0 };

	(void)state;
	assert_int_equal(secp_pub_decompress(pub, discv5_vec_ecdh_pub), 0);
	memset(secret, 0xee, sizeof(secret));
	assert_int_equal(discv5_ecdh(secret, zero, pub), -EINVAL);
	assert_true(secret[0] == 0 && secret[32] == 0);
	pub[63] ^= 1;                   /* off the curve */
	assert_int_equal(discv5_ecdh(secret, discv5_vec_ecdh_priv, pub),
			 -EINVAL);
}

/* discv5-wire-test-vectors.md, Key Derivation. */
static void test_discv5_kdf_vector(void **state)
{
	uint8_t pub[SECP_PUB_LEN];
	struct discv5_keys k;

	(void)state;
	assert_int_equal(secp_pub_decompress(pub, discv5_vec_kdf_dest_pub), 0);
	assert_int_equal(discv5_derive_keys(&k, discv5_vec_kdf_eph_key, pub,
					    discv5_vec_kdf_id_a,
					    discv5_vec_kdf_id_b,
					    discv5_vec_kdf_challenge), 0);
	assert_memory_equal(k.initiator, discv5_vec_kdf_initiator_key, 16);
	assert_memory_equal(k.recipient, discv5_vec_kdf_recipient_key, 16);
	discv5_keys_wipe(&k);
	for (size_t i = 0; i < sizeof(k); i++)
		assert_int_equal(((uint8_t *)&k)[i], 0);
}

/* Node B derives the same keys from its static key and A's ephemeral
 * public key; any change of id, order or challenge gives other keys. */
static void test_discv5_kdf_both_sides(void **state)
{
	uint8_t b_priv[32], b_pub[64], eph_pub[64];
	uint8_t challenge[DISCV5_CHALLENGE_LEN];
	struct discv5_keys ka, kb, kx;

	(void)state;
	unhex(b_priv, 32, "66fb62bfbd66b9177a138c1e5cddbe4f"
			  "7c30c343e94e68df8769459cb1cde628");
	assert_int_equal(secp_pub_from_priv(b_pub, b_priv), 0);
	assert_int_equal(secp_pub_from_priv(eph_pub, discv5_vec_kdf_eph_key), 0);
	memcpy(challenge, discv5_vec_kdf_challenge, sizeof(challenge));
	assert_int_equal(discv5_derive_keys(&ka, discv5_vec_kdf_eph_key, b_pub,
					    discv5_vec_kdf_id_a,
					    discv5_vec_kdf_id_b, challenge), 0);
	assert_int_equal(discv5_derive_keys(&kb, b_priv, eph_pub,
					    discv5_vec_kdf_id_a,
					    discv5_vec_kdf_id_b, challenge), 0);
	assert_memory_equal(&ka, &kb, sizeof(ka));
	assert_memory_not_equal(ka.initiator, ka.recipient, 16);
	/* Swapped ids. */
	assert_int_equal(discv5_derive_keys(&kx, b_priv, eph_pub,
					    discv5_vec_kdf_id_b,
					    discv5_vec_kdf_id_a, challenge), 0);
	assert_memory_not_equal(&kx, &ka, sizeof(ka));
	/* Another challenge (the salt). */
	challenge[62] ^= 1;
	assert_int_equal(discv5_derive_keys(&kx, b_priv, eph_pub,
					    discv5_vec_kdf_id_a,
					    discv5_vec_kdf_id_b, challenge), 0);
	assert_memory_not_equal(&kx, &ka, sizeof(ka));
}

/* discv5-wire-test-vectors.md, ID Nonce Signing: sign, and the reverse. */
static void test_discv5_id_sign_vector(void **state)
{
	uint8_t sig[DISCV5_ID_SIG_LEN], pub[SECP_PUB_LEN];

	(void)state;
	assert_int_equal(discv5_id_sign(sig, discv5_vec_idsig_static_key,
					discv5_vec_idsig_challenge,
					discv5_vec_idsig_eph_pub,
					discv5_vec_idsig_id_b), 0);
	assert_memory_equal(sig, discv5_vec_idsig_sig, DISCV5_ID_SIG_LEN);
	assert_int_equal(secp_pub_from_priv(pub, discv5_vec_idsig_static_key),
			 0);
	assert_int_equal(discv5_id_verify(discv5_vec_idsig_sig, pub,
					  discv5_vec_idsig_challenge,
					  discv5_vec_idsig_eph_pub,
					  discv5_vec_idsig_id_b), 0);
}

/* Every input is bound: a change to any one fails verification. */
static void test_discv5_id_verify_rejects(void **state)
{
	uint8_t sig[64], pub[64], other[64], ch[63], eph[33], idb[32];
	/* secp256k1 group order n, big-endian. */
	static const char n_hex[] =
		"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
	uint8_t n[32];
	int borrow = 0;

	(void)state;
	assert_int_equal(secp_pub_from_priv(pub, discv5_vec_idsig_static_key),
			 0);
	/* (The spec's ECDH secret-key is the same key as static-key.) */
	assert_int_equal(secp_pub_from_priv(other, discv5_vec_node_a_key), 0);
#define VERIFY(s, p) discv5_id_verify(s, p, ch, eph, idb)
	memcpy(sig, discv5_vec_idsig_sig, 64);
	memcpy(ch, discv5_vec_idsig_challenge, 63);
	memcpy(eph, discv5_vec_idsig_eph_pub, 33);
	memcpy(idb, discv5_vec_idsig_id_b, 32);
	assert_int_equal(VERIFY(sig, pub), 0);
	assert_int_equal(VERIFY(sig, other), -EKEYREJECTED);
	ch[20] ^= 1;
	assert_int_equal(VERIFY(sig, pub), -EKEYREJECTED);
	ch[20] ^= 1;
	eph[5] ^= 1;
	assert_int_equal(VERIFY(sig, pub), -EKEYREJECTED);
	eph[5] ^= 1;
	idb[31] ^= 1;
	assert_int_equal(VERIFY(sig, pub), -EKEYREJECTED);
	idb[31] ^= 1;
	sig[63] ^= 1;
	assert_int_equal(VERIFY(sig, pub), -EKEYREJECTED);
	sig[63] ^= 1;
	/* (r, n - s) is the same signature with high s: geth's
	 * VerifySignature refuses it, and so do we. */
	unhex(n, 32, n_hex);
	for (int i = 31; i >= 0; i--) {
		int d = n[i] - sig[32 + i] - borrow;

		borrow = d < 0;
		sig[32 + i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
	assert_int_equal(VERIFY(sig, pub), -EKEYREJECTED);
	assert_int_equal(VERIFY(discv5_vec_idsig_sig, pub), 0);
#undef VERIFY
}

/* discv5-wire-test-vectors.md, Encryption/Decryption. */
static void test_discv5_gcm_vector(void **state)
{
	uint8_t ct[64], pt[64];

	(void)state;
	assert_int_equal(discv5_gcm_seal(ct, sizeof(ct), discv5_vec_gcm_key,
					 discv5_vec_gcm_nonce, discv5_vec_gcm_pt,
					 sizeof(discv5_vec_gcm_pt),
					 discv5_vec_gcm_ad,
					 sizeof(discv5_vec_gcm_ad)),
			 (ssize_t)sizeof(discv5_vec_gcm_ct));
	assert_memory_equal(ct, discv5_vec_gcm_ct, sizeof(discv5_vec_gcm_ct));
	assert_int_equal(discv5_gcm_open(pt, sizeof(pt), discv5_vec_gcm_key,
					 discv5_vec_gcm_nonce, discv5_vec_gcm_ct,
					 sizeof(discv5_vec_gcm_ct),
					 discv5_vec_gcm_ad,
					 sizeof(discv5_vec_gcm_ad)),
			 (ssize_t)sizeof(discv5_vec_gcm_pt));
	assert_memory_equal(pt, discv5_vec_gcm_pt, sizeof(discv5_vec_gcm_pt));
}

/* The GCM spec's test case 4 (AES-128, 96-bit IV, 20-byte AAD, a partial
 * last block), and an empty message with no AAD (the tag alone, from
 * Python's cryptography), in place too. */
static void test_discv5_gcm_more_vectors(void **state)
{
	uint8_t key[16], iv[12], pt[60], ad[20], want[76], buf[76];
	ssize_t n;

	(void)state;
	unhex(key, 16, "feffe9928665731c6d6a8f9467308308");
	unhex(iv, 12, "cafebabefacedbaddecaf888");
	unhex(pt, 60, "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d"
		      "8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657"
		      "ba637b39");
	unhex(ad, 20, "feedfacedeadbeeffeedfacedeadbeefabaddad2");
	unhex(want, 76, "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e23"
			"29aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac97"
			"3d58e0915bc94fbc3221a5db94fae95ae7121a47");
	memcpy(buf, pt, 60);
	assert_int_equal(discv5_gcm_seal(buf, sizeof(buf), key, iv, buf, 60,
					 ad, 20), 76);
	assert_memory_equal(buf, want, 76);
	n = discv5_gcm_open(buf, sizeof(buf), key, iv, buf, 76, ad, 20);
	assert_int_equal(n, 60);
	assert_memory_equal(buf, pt, 60);

	unhex(want, 16, "3247184b3c4f69a44dbcd22887bbb418");
	assert_int_equal(discv5_gcm_seal(buf, 16, key, iv, NULL, 0, NULL, 0),
			 16);
	assert_memory_equal(buf, want, 16);
	assert_int_equal(discv5_gcm_open(NULL, 0, key, iv, buf, 16, NULL, 0),
			 0);
}

/* Any change to key, nonce, ad, ciphertext or tag is -EKEYREJECTED, and
 * the plaintext buffer holds nothing afterwards. */
static void test_discv5_gcm_rejects(void **state)
{
	uint8_t key[16], nonce[12], ad[32], ct[20], pt[8];
	const size_t ct_len = sizeof(discv5_vec_gcm_ct);

	(void)state;
	memcpy(key, discv5_vec_gcm_key, 16);
	memcpy(nonce, discv5_vec_gcm_nonce, 12);
	memcpy(ad, discv5_vec_gcm_ad, 32);
	memcpy(ct, discv5_vec_gcm_ct, ct_len);
#define OPEN() discv5_gcm_open(pt, sizeof(pt), key, nonce, ct, ct_len, ad, 32)
	assert_int_equal(OPEN(), 4);
	key[15] ^= 0x80;
	memset(pt, 0x55, sizeof(pt));
	assert_int_equal(OPEN(), -EKEYREJECTED);
	assert_true(pt[0] == 0 && pt[3] == 0);
	key[15] ^= 0x80;
	nonce[0] ^= 1;
	assert_int_equal(OPEN(), -EKEYREJECTED);
	nonce[0] ^= 1;
	ad[31] ^= 1;
	assert_int_equal(OPEN(), -EKEYREJECTED);
	ad[31] ^= 1;
	for (size_t i = 0; i < ct_len; i++) {
		ct[i] ^= 0x01;
		assert_int_equal(OPEN(), -EKEYREJECTED);
		ct[i] ^= 0x01;
	}
	assert_int_equal(OPEN(), 4);
	/* Shorter ad is another ad. */
	assert_int_equal(discv5_gcm_open(pt, sizeof(pt), key, nonce, ct,
					 ct_len, ad, 31), -EKEYREJECTED);
#undef OPEN
	/* Lengths. */
	assert_int_equal(discv5_gcm_open(pt, sizeof(pt), key, nonce, ct, 15,
					 ad, 32), -EMSGSIZE);
	assert_int_equal(discv5_gcm_open(pt, 3, key, nonce, ct, ct_len, ad,
					 32), -EMSGSIZE);
	assert_int_equal(discv5_gcm_seal(ct, 19, key, nonce, pt, 4, ad, 32),
			 -EMSGSIZE);
	assert_int_equal(discv5_gcm_seal(ct, 15, key, nonce, NULL, 0, ad, 32),
			 -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discv5_ecdh_vector),
		cmocka_unit_test(test_discv5_ecdh_parity),
		cmocka_unit_test(test_discv5_ecdh_rejects),
		cmocka_unit_test(test_discv5_kdf_vector),
		cmocka_unit_test(test_discv5_kdf_both_sides),
		cmocka_unit_test(test_discv5_id_sign_vector),
		cmocka_unit_test(test_discv5_id_verify_rejects),
		cmocka_unit_test(test_discv5_gcm_vector),
		cmocka_unit_test(test_discv5_gcm_more_vectors),
		cmocka_unit_test(test_discv5_gcm_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
