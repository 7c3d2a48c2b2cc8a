/* SPDX-License-Identifier: MIT */
/* tests/common/test_secp.c - secp256k1 wrapper: keys, sign/recover, ECDH. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "common/secp.h"
#include "tests/vectors/eip8_vectors.h"

static void unhex(uint8_t *out, size_t len, const char *s)
{
	assert_int_equal(hex_decode(out, len, s, strlen(s)), (ssize_t)len);
}

/* The generator G = 1 * G (SEC 2, 2.4.1). */
static const char G_HEX[] =
	"79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	"483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
/* 2G, whose x is also ECDH(2, G) and ECDH(1, 2G). */
static const char G2_HEX[] =
	"c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
	"1ae168fea63dc339a3c58419466ceaeef7f632653266d0e1236431a950cfe52a";
/* n, the group order. */
static const char N_HEX[] =
	"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
/* p, the field prime. */
static const char P_HEX[] =
	"fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f";
/* EIP-8's Static Key B is also the key of the ENR example (enr.md), whose
 * record carries its compressed public key. */
static const char B_COMPRESSED_HEX[] =
	"03ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd3138";
static const char B_PUB_HEX[] =
	"ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd3138"
	"7574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f";

static void test_secp_init_idempotent(void **state)
{
	(void)state;
	assert_int_equal(secp_init(), 0);
	assert_int_equal(secp_init(), 0);
}

static void test_secp_pub_from_priv_known(void **state)
{
	uint8_t priv[SECP_PRIV_LEN] = { 0 };
	uint8_t pub[SECP_PUB_LEN], want[SECP_PUB_LEN];

	(void)state;
	priv[31] = 1;
	unhex(want, sizeof(want), G_HEX);
	assert_int_equal(secp_pub_from_priv(pub, priv), 0);
	assert_memory_equal(pub, want, SECP_PUB_LEN);

	priv[31] = 2;
	unhex(want, sizeof(want), G2_HEX);
	assert_int_equal(secp_pub_from_priv(pub, priv), 0);
	assert_memory_equal(pub, want, SECP_PUB_LEN);

	unhex(want, sizeof(want), B_PUB_HEX);
	assert_int_equal(secp_pub_from_priv(pub, EIP8_STATIC_KEY_B), 0);
	assert_memory_equal(pub, want, SECP_PUB_LEN);
}

static void test_secp_priv_check_bounds(void **state)
{
	uint8_t k[SECP_PRIV_LEN] = { 0 };
	uint8_t pub[SECP_PUB_LEN];

	(void)state;
	assert_false(secp_priv_check(k));               /* 0 */
	assert_int_equal(secp_pub_from_priv(pub, k), -EINVAL);
	unhex(k, sizeof(k), N_HEX);
	assert_false(secp_priv_check(k));               /* n */
	k[31] -= 1;
	assert_true(secp_priv_check(k));                /* n - 1 */
	memset(k, 0xff, sizeof(k));
	assert_false(secp_priv_check(k));               /* > n */
}

static void test_secp_priv_generate(void **state)
{
	uint8_t a[SECP_PRIV_LEN], b[SECP_PRIV_LEN];

	(void)state;
	assert_int_equal(secp_priv_generate(a), 0);
	assert_int_equal(secp_priv_generate(b), 0);
	assert_true(secp_priv_check(a));
	assert_memory_not_equal(a, b, SECP_PRIV_LEN);
}

static void test_secp_compress_roundtrip_known(void **state)
{
	uint8_t pub[SECP_PUB_LEN], c[SECP_PUB_COMPRESSED_LEN];
	uint8_t want_c[SECP_PUB_COMPRESSED_LEN], back[SECP_PUB_LEN];

	(void)state;
	assert_int_equal(secp_pub_from_priv(pub, EIP8_STATIC_KEY_B), 0);
	unhex(want_c, sizeof(want_c), B_COMPRESSED_HEX);
	assert_int_equal(secp_pub_compress(c, pub), 0);
	assert_memory_equal(c, want_c, sizeof(c));
	assert_int_equal(secp_pub_decompress(back, c), 0);
	assert_memory_equal(back, pub, SECP_PUB_LEN);

	/* G has an even y: prefix 0x02. */
	unhex(pub, sizeof(pub), G_HEX);
	assert_int_equal(secp_pub_compress(c, pub), 0);
	assert_int_equal(c[0], 0x02);
	assert_int_equal(secp_pub_decompress(back, c), 0);
	assert_memory_equal(back, pub, SECP_PUB_LEN);
}

static void test_secp_decompress_rejects(void **state)
{
	uint8_t c[SECP_PUB_COMPRESSED_LEN], pub[SECP_PUB_LEN];

	(void)state;
	unhex(c, sizeof(c), B_COMPRESSED_HEX);
	c[0] = 0x04;                                    /* wrong prefix */
	assert_int_equal(secp_pub_decompress(pub, c), -EINVAL);
	c[0] = 0x00;
	assert_int_equal(secp_pub_decompress(pub, c), -EINVAL);
	/* x = p is not a field element. */
	c[0] = 0x02;
	unhex(c + 1, 32, P_HEX);
	assert_int_equal(secp_pub_decompress(pub, c), -EINVAL);
	/* x = 5: 5^3 + 7 = 132 is not a square mod p. */
	memset(c + 1, 0, 32);
	c[32] = 5;
	assert_int_equal(secp_pub_decompress(pub, c), -EINVAL);
}

static void test_secp_pub_check_rejects_off_curve(void **state)
{
	uint8_t pub[SECP_PUB_LEN], c[SECP_PUB_COMPRESSED_LEN];

	(void)state;
	unhex(pub, sizeof(pub), G_HEX);
	assert_true(secp_pub_check(pub));
	pub[63] ^= 1;                                   /* y off by one */
	assert_false(secp_pub_check(pub));
	assert_int_equal(secp_pub_compress(c, pub), -EINVAL);
	memset(pub, 0, sizeof(pub));                    /* (0, 0) */
	assert_false(secp_pub_check(pub));
}

/* Points with a small coordinate c, so that c + p still fits 32 bytes and
 * encodes the same field element: only the range check can refuse those.
 * (1, sqrt(8)) and (cbrt(-6), 1), computed with Python. */
static const char X1_HEX[] =
	"0000000000000000000000000000000000000000000000000000000000000001"
	"4218f20ae6c646b363db68605822fb14264ca8d2587fdd6fbc750d587e76a7ee";
static const char X1_PLUS_P_HEX[] =
	"fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30"
	"4218f20ae6c646b363db68605822fb14264ca8d2587fdd6fbc750d587e76a7ee";
static const char Y1_HEX[] =
	"146d3b65add9f54ccca28533c88e2cbc63f7443e1658783ab41f8ef97c2a10b5"
	"0000000000000000000000000000000000000000000000000000000000000001";
static const char Y1_PLUS_P_HEX[] =
	"146d3b65add9f54ccca28533c88e2cbc63f7443e1658783ab41f8ef97c2a10b5"
	"fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30";

static void test_secp_pub_check_rejects_ge_p(void **state)
{
	uint8_t pub[SECP_PUB_LEN], out[SECP_SHARED_LEN];

	(void)state;
	unhex(pub, sizeof(pub), X1_HEX);
	assert_true(secp_pub_check(pub));
	unhex(pub, sizeof(pub), X1_PLUS_P_HEX);
	assert_false(secp_pub_check(pub));
	assert_int_equal(secp_ecdh(out, EIP8_STATIC_KEY_A, pub), -EINVAL);
	unhex(pub, sizeof(pub), Y1_HEX);
	assert_true(secp_pub_check(pub));
	unhex(pub, sizeof(pub), Y1_PLUS_P_HEX);
	assert_false(secp_pub_check(pub));
	assert_int_equal(secp_ecdh(out, EIP8_STATIC_KEY_A, pub), -EINVAL);
	unhex(pub, sizeof(pub), G_HEX);
	unhex(pub + 32, 32, P_HEX);                     /* y = p */
	assert_false(secp_pub_check(pub));
}

static void test_secp_sign_recover_roundtrip(void **state)
{
	uint8_t priv[SECP_PRIV_LEN], pub[SECP_PUB_LEN], got[SECP_PUB_LEN];
	uint8_t hash[SECP_HASH_LEN], sig[SECP_SIG_LEN];

	(void)state;
	for (int i = 0; i < 16; i++) {
		assert_int_equal(secp_priv_generate(priv), 0);
		assert_int_equal(secp_pub_from_priv(pub, priv), 0);
		memset(hash, i * 7 + 1, sizeof(hash));
		assert_int_equal(secp_sign(sig, hash, priv), 0);
		assert_true(sig[64] <= 1);
		assert_int_equal(secp_recover(got, sig, hash), 0);
		assert_memory_equal(got, pub, SECP_PUB_LEN);
		assert_int_equal(secp_verify(sig, hash, pub), 0);
		/* A different hash recovers a different key (or none). */
		hash[0] ^= 1;
		if (secp_recover(got, sig, hash) == 0)
			assert_memory_not_equal(got, pub, SECP_PUB_LEN);
		assert_int_equal(secp_verify(sig, hash, pub), -EKEYREJECTED);
	}
}

static void test_secp_sign_deterministic(void **state)
{
	uint8_t hash[SECP_HASH_LEN] = { 1, 2, 3 };
	uint8_t s1[SECP_SIG_LEN], s2[SECP_SIG_LEN];

	(void)state;
	/* RFC 6979: the same key and hash give the same signature, even
	 * though the context is randomised. */
	assert_int_equal(secp_sign(s1, hash, EIP8_STATIC_KEY_A), 0);
	assert_int_equal(secp_sign(s2, hash, EIP8_STATIC_KEY_A), 0);
	assert_memory_equal(s1, s2, SECP_SIG_LEN);
}

static void test_secp_sign_rejects_bad_key(void **state)
{
	uint8_t zero[SECP_PRIV_LEN] = { 0 }, hash[SECP_HASH_LEN] = { 0 };
	uint8_t sig[SECP_SIG_LEN];

	(void)state;
	assert_int_equal(secp_sign(sig, hash, zero), -EINVAL);
}

static void test_secp_recover_rejects_v_gt_1(void **state)
{
	uint8_t hash[SECP_HASH_LEN] = { 9 };
	uint8_t sig[SECP_SIG_LEN], pub[SECP_PUB_LEN];

	(void)state;
	assert_int_equal(secp_sign(sig, hash, EIP8_STATIC_KEY_B), 0);
	for (unsigned v = 2; v < 256; v += 27) {
		sig[64] = (uint8_t)v;
		assert_int_equal(secp_recover(pub, sig, hash), -EKEYREJECTED);
	}
	sig[64] = 27;                                   /* Bitcoin-style v */
	assert_int_equal(secp_recover(pub, sig, hash), -EKEYREJECTED);
}

static void test_secp_recover_rejects_bad_rs(void **state)
{
	uint8_t hash[SECP_HASH_LEN] = { 9 };
	uint8_t sig[SECP_SIG_LEN], pub[SECP_PUB_LEN];

	(void)state;
	assert_int_equal(secp_sign(sig, hash, EIP8_STATIC_KEY_B), 0);
	unhex(sig, 32, N_HEX);                          /* r = n */
	assert_int_equal(secp_recover(pub, sig, hash), -EKEYREJECTED);
	memset(sig, 0, 32);                             /* r = 0 */
	assert_int_equal(secp_recover(pub, sig, hash), -EKEYREJECTED);
	assert_int_equal(secp_sign(sig, hash, EIP8_STATIC_KEY_B), 0);
	memset(sig + 32, 0, 32);                        /* s = 0 */
	assert_int_equal(secp_recover(pub, sig, hash), -EKEYREJECTED);
}

/* (r, n - s, v ^ 1) is the same signature with high s: recovery accepts
 * it and yields the same key (as geth's Ecrecover does), verify refuses. */
static void test_secp_high_s(void **state)
{
	uint8_t hash[SECP_HASH_LEN] = { 0x42 };
	uint8_t sig[SECP_SIG_LEN], hi[SECP_SIG_LEN], n[32];
	uint8_t pub[SECP_PUB_LEN], got[SECP_PUB_LEN];
	unsigned borrow = 0;

	(void)state;
	unhex(n, sizeof(n), N_HEX);
	assert_int_equal(secp_pub_from_priv(pub, EIP8_STATIC_KEY_A), 0);
	assert_int_equal(secp_sign(sig, hash, EIP8_STATIC_KEY_A), 0);
	assert_true(sig[32] < 0x80);                    /* low s: s <= n/2 */
	memcpy(hi, sig, SECP_SIG_LEN);
	for (int i = 31; i >= 0; i--) {
		unsigned d = (unsigned)n[i] - sig[32 + i] - borrow;

		hi[32 + i] = (uint8_t)d;
		borrow = (d >> 8) & 1;
	}
	hi[64] ^= 1;
	assert_int_equal(secp_recover(got, hi, hash), 0);
	assert_memory_equal(got, pub, SECP_PUB_LEN);
	assert_int_equal(secp_verify(sig, hash, pub), 0);
	assert_int_equal(secp_verify(hi, hash, pub), -EKEYREJECTED);
}

static void test_secp_ecdh_known(void **state)
{
	uint8_t priv[SECP_PRIV_LEN] = { 0 };
	uint8_t pub[SECP_PUB_LEN], g2[SECP_PUB_LEN], s[SECP_SHARED_LEN];

	(void)state;
	unhex(pub, sizeof(pub), G_HEX);
	unhex(g2, sizeof(g2), G2_HEX);
	priv[31] = 2;
	assert_int_equal(secp_ecdh(s, priv, pub), 0);   /* (2 * G).x */
	assert_memory_equal(s, g2, SECP_SHARED_LEN);    /* x only, unhashed */
	priv[31] = 1;
	assert_int_equal(secp_ecdh(s, priv, g2), 0);    /* (1 * 2G).x */
	assert_memory_equal(s, g2, SECP_SHARED_LEN);
}

static void test_secp_ecdh_symmetric(void **state)
{
	uint8_t pa[SECP_PUB_LEN], pb[SECP_PUB_LEN];
	uint8_t sab[SECP_SHARED_LEN], sba[SECP_SHARED_LEN];

	(void)state;
	assert_int_equal(secp_pub_from_priv(pa, EIP8_STATIC_KEY_A), 0);
	assert_int_equal(secp_pub_from_priv(pb, EIP8_STATIC_KEY_B), 0);
	assert_int_equal(secp_ecdh(sab, EIP8_STATIC_KEY_A, pb), 0);
	assert_int_equal(secp_ecdh(sba, EIP8_STATIC_KEY_B, pa), 0);
	assert_memory_equal(sab, sba, SECP_SHARED_LEN);
}

static void test_secp_ecdh_rejects(void **state)
{
	uint8_t pub[SECP_PUB_LEN], s[SECP_SHARED_LEN];
	uint8_t zero[SECP_PRIV_LEN] = { 0 };

	(void)state;
	unhex(pub, sizeof(pub), G_HEX);
	assert_int_equal(secp_ecdh(s, zero, pub), -EINVAL);
	pub[10] ^= 0x10;
	assert_int_equal(secp_ecdh(s, EIP8_STATIC_KEY_A, pub), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secp_init_idempotent),
		cmocka_unit_test(test_secp_pub_from_priv_known),
		cmocka_unit_test(test_secp_priv_check_bounds),
		cmocka_unit_test(test_secp_priv_generate),
		cmocka_unit_test(test_secp_compress_roundtrip_known),
		cmocka_unit_test(test_secp_decompress_rejects),
		cmocka_unit_test(test_secp_pub_check_rejects_off_curve),
		cmocka_unit_test(test_secp_pub_check_rejects_ge_p),
		cmocka_unit_test(test_secp_sign_recover_roundtrip),
		cmocka_unit_test(test_secp_sign_deterministic),
		cmocka_unit_test(test_secp_sign_rejects_bad_key),
		cmocka_unit_test(test_secp_recover_rejects_v_gt_1),
		cmocka_unit_test(test_secp_recover_rejects_bad_rs),
		cmocka_unit_test(test_secp_high_s),
		cmocka_unit_test(test_secp_ecdh_known),
		cmocka_unit_test(test_secp_ecdh_symmetric),
		cmocka_unit_test(test_secp_ecdh_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
