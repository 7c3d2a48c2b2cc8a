/* SPDX-License-Identifier: MIT */
/* tests/common/test_hkdf.c - HKDF-SHA-256 on the RFC 5869 vectors, and the
 * HMAC-SHA-256 under it (ipsecmb_hmac_sha256) on RFC 4231's. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "common/hkdf.h"
#include "common/ipsecmb.h"

static size_t unhex(uint8_t *out, size_t cap, const char *s)
{
	ssize_t n = hex_decode(out, cap, s, strlen(s));

	assert_true(n >= 0);
	return (size_t)n;
}

static void fill(uint8_t *p, uint8_t from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(from + i);
}

/* RFC 5869 appendix A, the three SHA-256 cases. */
struct hkdf_case {
	const char *name;
	uint8_t ikm_from, salt_from, info_from;
	size_t ikm_len, salt_len, info_len;
	bool ikm_0b;                    /* IKM is 0x0b repeated */
	const char *prk, *okm;
};

static const struct hkdf_case cases[] = {
	{ "A.1 basic", 0, 0x00, 0xf0, 22, 13, 10, true,
	  "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
	  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	  "34007208d5b887185865" },
	{ "A.2 longer inputs/outputs", 0x00, 0x60, 0xb0, 80, 80, 80, false,
	  "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
	  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	  "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	  "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
	{ "A.3 zero-length salt/info", 0, 0, 0, 22, 0, 0, true,
	  "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
	  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	  "9d201395faa4b61a96c8" },
};

static void test_hkdf_rfc5869(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct hkdf_case *t = &cases[c];
		uint8_t ikm[80], salt[80], info[80], prk[32], want_prk[32];
		uint8_t okm[82], want_okm[82], okm2[82];
		size_t okm_len;

		print_message("%s\n", t->name);
		if (t->ikm_0b)
			memset(ikm, 0x0b, t->ikm_len);
		else
			fill(ikm, t->ikm_from, t->ikm_len);
		fill(salt, t->salt_from, t->salt_len);
		fill(info, t->info_from, t->info_len);
		unhex(want_prk, sizeof(want_prk), t->prk);
		okm_len = unhex(want_okm, sizeof(want_okm), t->okm);

		assert_int_equal(hkdf_sha256_extract(prk, t->salt_len ? salt :
						     NULL, t->salt_len, ikm,
						     t->ikm_len), 0);
		assert_memory_equal(prk, want_prk, 32);
		assert_int_equal(hkdf_sha256_expand(okm, okm_len, prk,
						    t->info_len ? info : NULL,
						    t->info_len), 0);
		assert_memory_equal(okm, want_okm, okm_len);
		assert_int_equal(hkdf_sha256(okm2, okm_len,
					     t->salt_len ? salt : NULL,
					     t->salt_len, ikm, t->ikm_len,
					     t->info_len ? info : NULL,
					     t->info_len), 0);
		assert_memory_equal(okm2, want_okm, okm_len);
	}
}

/* Every output length is a prefix of the longest: T(i) does not depend on
 * L. Checked across the block boundaries at 32 and 64. */
static void test_hkdf_prefix_property(void **state)
{
	uint8_t prk[32], full[100], part[100];

	(void)state;
	memset(prk, 0x5a, sizeof(prk));
	assert_int_equal(hkdf_sha256_expand(full, sizeof(full), prk,
					    (const uint8_t *)"x", 1), 0);
	for (size_t l = 0; l <= sizeof(full); l++) {
		memset(part, 0xee, sizeof(part));
		assert_int_equal(hkdf_sha256_expand(part, l, prk,
						    (const uint8_t *)"x", 1), 0);
		assert_memory_equal(part, full, l);
		if (l < sizeof(part))
			assert_int_equal(part[l], 0xee);
	}
}

static void test_hkdf_limits(void **state)
{
	static uint8_t okm[HKDF_SHA256_MAX_OKM + 1];
	uint8_t prk[32] = { 1 }, info[HKDF_MAX_INFO_LEN + 1] = { 0 };

	(void)state;
	/* L = 255 * HashLen is the RFC's ceiling, and the counter byte
	 * reaches 255 without wrapping. */
	assert_int_equal(hkdf_sha256_expand(okm, HKDF_SHA256_MAX_OKM, prk,
					    NULL, 0), 0);
	assert_int_equal(hkdf_sha256_expand(okm, HKDF_SHA256_MAX_OKM + 1, prk,
					    NULL, 0), -EMSGSIZE);
	assert_int_equal(hkdf_sha256_expand(okm, 32, prk, info,
					    HKDF_MAX_INFO_LEN), 0);
	assert_int_equal(hkdf_sha256_expand(okm, 32, prk, info,
					    HKDF_MAX_INFO_LEN + 1), -EMSGSIZE);
	assert_int_equal(hkdf_sha256(okm, 32, NULL, 0, prk, 32, info,
				     HKDF_MAX_INFO_LEN + 1), -EMSGSIZE);
}

/* RFC 4231 test cases 1 and 6 (a key longer than the block is hashed),
 * and a key of exactly one block with an empty message (from Python's
 * hmac, OpenSSL underneath). */
static void test_hmac_sha256_rfc4231(void **state)
{
	static const char large[] =
		"Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t key[131], tag[32], want[32];
	IMB_MGR *m = ipsecmb_thread_mgr();

	(void)state;
	assert_non_null(m);
	memset(key, 0x0b, 20);
	assert_int_equal(ipsecmb_hmac_sha256(m, tag, key, 20,
					     (const uint8_t *)"Hi There", 8), 0);
	unhex(want, 32, "b0344c61d8db38535ca8afceaf0bf12b"
			"881dc200c9833da726e9376c2e32cff7");
	assert_memory_equal(tag, want, 32);

	memset(key, 0xaa, sizeof(key));
	assert_int_equal(ipsecmb_hmac_sha256(m, tag, key, 131,
					     (const uint8_t *)large,
					     sizeof(large) - 1), 0);
	unhex(want, 32, "60e431591ee0b67f0d8a26aacbf5b77f"
			"8e0bc6213728c5140546040f0ee37f54");
	assert_memory_equal(tag, want, 32);

	assert_int_equal(ipsecmb_hmac_sha256(m, tag, key, 64, key, 0), 0);
	unhex(want, 32, "db2cf93f633fcdfd9bb7f3b99763a637"
			"25cb8e38b4fa60a87d0e94b71d8b5970");
	assert_memory_equal(tag, want, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hkdf_rfc5869),
		cmocka_unit_test(test_hkdf_prefix_property),
		cmocka_unit_test(test_hkdf_limits),
		cmocka_unit_test(test_hmac_sha256_rfc4231),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
