/* SPDX-License-Identifier: MIT */
/* tests/common/test_rlpx_auth.c - RLPx auth/ack: EIP-8 vectors, round trips,
 * rejects. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/ecies.h"
#include "common/keccak.h"
#include "common/rlp.h"
#include "common/rlpx_auth.h"
#include "common/secp.h"
#include "tests/vectors/eip8_vectors.h"

static uint8_t pub_a[SECP_PUB_LEN], pub_b[SECP_PUB_LEN];
static uint8_t eph_pub_a[SECP_PUB_LEN], eph_pub_b[SECP_PUB_LEN];

static int setup(void **state)
{
	(void)state;
	if (secp_pub_from_priv(pub_a, EIP8_STATIC_KEY_A) < 0 ||
	    secp_pub_from_priv(pub_b, EIP8_STATIC_KEY_B) < 0 ||
	    secp_pub_from_priv(eph_pub_a, EIP8_EPHEMERAL_KEY_A) < 0 ||
	    secp_pub_from_priv(eph_pub_b, EIP8_EPHEMERAL_KEY_B) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ecies_thread_fini();
	return 0;
}

/* All six EIP-8 messages parse to the listed keys, nonces and versions. */
static void test_rlpx_auth_parse_eip8_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < EIP8_MSG_VECTORS_N; i++) {
		const struct eip8_msg_vector *v = &eip8_msg_vectors[i];
		ssize_t n;

		if (v->is_auth) {
			struct rlpx_auth_fields f;

			memset(&f, 0xee, sizeof(f));
			n = rlpx_auth_parse(&f, EIP8_STATIC_KEY_B, v->data,
					    v->len);
			assert_int_equal(n, (ssize_t)v->len);
			assert_memory_equal(f.remote_pub, pub_a, SECP_PUB_LEN);
			assert_memory_equal(f.remote_eph_pub, eph_pub_a,
					    SECP_PUB_LEN);
			assert_memory_equal(f.nonce, EIP8_NONCE_A, 32);
			assert_int_equal(f.version, v->version);
			assert_int_equal(f.legacy, v->legacy);
		} else {
			struct rlpx_auth_ack_fields f;

			memset(&f, 0xee, sizeof(f));
			n = rlpx_auth_ack_parse(&f, EIP8_STATIC_KEY_A, v->data,
						v->len);
			assert_int_equal(n, (ssize_t)v->len);
			assert_memory_equal(f.remote_eph_pub, eph_pub_b,
					    SECP_PUB_LEN);
			assert_memory_equal(f.nonce, EIP8_NONCE_B, 32);
			assert_int_equal(f.version, v->version);
			assert_int_equal(f.legacy, v->legacy);
		}
	}
}

/* End to end with the EIP's secrets: what B parses from Auth2 and what A
 * parses from Ack2 give the listed aes-secret and mac-secret on both sides:
 *   shared-secret = keccak256(ephemeral-key || keccak256(nonce-b || nonce-a))
 *   aes-secret    = keccak256(ephemeral-key || shared-secret)
 *   mac-secret    = keccak256(ephemeral-key || aes-secret) */
static void derive(uint8_t aes[32], uint8_t mac[32], const uint8_t eph_priv[32],
		   const uint8_t remote_eph[SECP_PUB_LEN],
		   const uint8_t nonce_b[32], const uint8_t nonce_a[32])
{
	uint8_t buf[64], eph[32];

	assert_int_equal(secp_ecdh(eph, eph_priv, remote_eph), 0);
	memcpy(buf, nonce_b, 32);
	memcpy(buf + 32, nonce_a, 32);
	keccak256(buf + 32, buf, 64);
	memcpy(buf, eph, 32);
	keccak256(buf + 32, buf, 64);                   /* shared-secret */
	keccak256(aes, buf, 64);
	memcpy(buf + 32, aes, 32);
	keccak256(mac, buf, 64);
}

static void test_rlpx_auth_eip8_secrets(void **state)
{
	struct rlpx_auth_fields af;
	struct rlpx_auth_ack_fields kf;
	uint8_t aes[32], mac[32];

	(void)state;
	assert_int_equal(rlpx_auth_parse(&af, EIP8_STATIC_KEY_B, EIP8_AUTH2,
					 EIP8_AUTH2_LEN), EIP8_AUTH2_LEN);
	derive(aes, mac, EIP8_EPHEMERAL_KEY_B, af.remote_eph_pub, EIP8_NONCE_B,
	       af.nonce);
	assert_memory_equal(aes, EIP8_AES_SECRET, 32);
	assert_memory_equal(mac, EIP8_MAC_SECRET, 32);

	assert_int_equal(rlpx_auth_ack_parse(&kf, EIP8_STATIC_KEY_A, EIP8_ACK2,
					     EIP8_ACK2_LEN), EIP8_ACK2_LEN);
	derive(aes, mac, EIP8_EPHEMERAL_KEY_A, kf.remote_eph_pub, kf.nonce,
	       EIP8_NONCE_A);
	assert_memory_equal(aes, EIP8_AES_SECRET, 32);
	assert_memory_equal(mac, EIP8_MAC_SECRET, 32);
}

/* Every strict prefix asks for more bytes and does no harm; bytes after the
 * message are not consumed. */
static void test_rlpx_auth_truncated_and_trailing(void **state)
{
	uint8_t buf[600];

	(void)state;
	for (size_t i = 0; i < EIP8_MSG_VECTORS_N; i++) {
		const struct eip8_msg_vector *v = &eip8_msg_vectors[i];

		for (size_t l = 0; l < v->len; l++) {
			struct rlpx_auth_fields af;
			struct rlpx_auth_ack_fields kf;
			ssize_t n = v->is_auth ?
				rlpx_auth_parse(&af, EIP8_STATIC_KEY_B, v->data, l) :
				rlpx_auth_ack_parse(&kf, EIP8_STATIC_KEY_A,
						    v->data, l);

			assert_int_equal(n, -EAGAIN);
		}
		memcpy(buf, v->data, v->len);
		memset(buf + v->len, 0x5a, sizeof(buf) - v->len);
		if (v->is_auth) {
			struct rlpx_auth_fields af;

			assert_int_equal(rlpx_auth_parse(&af, EIP8_STATIC_KEY_B,
							 buf, sizeof(buf)),
					 (ssize_t)v->len);
		} else {
			struct rlpx_auth_ack_fields kf;

			assert_int_equal(rlpx_auth_ack_parse(&kf,
							     EIP8_STATIC_KEY_A,
							     buf, sizeof(buf)),
					 (ssize_t)v->len);
		}
	}
}

/* The size cap applies to the announced size, before reading the rest. */
static void test_rlpx_auth_rejects_oversized(void **state)
{
	struct rlpx_auth_fields af;
	struct rlpx_auth_ack_fields kf;
	uint8_t buf[RLPX_AUTH_MAX_LEN + 1];

	(void)state;
	memset(buf, 0, sizeof(buf));
	buf[0] = 0xff;
	buf[1] = 0xff;
	assert_int_equal(rlpx_auth_parse(&af, EIP8_STATIC_KEY_B, buf, 2),
			 -EMSGSIZE);
	assert_int_equal(rlpx_auth_ack_parse(&kf, EIP8_STATIC_KEY_A, buf, 2),
			 -EMSGSIZE);
	buf[0] = (RLPX_AUTH_MAX_LEN - 1) >> 8;          /* 2 + 2047 */
	buf[1] = (RLPX_AUTH_MAX_LEN - 1) & 0xff;
	assert_int_equal(rlpx_auth_parse(&af, EIP8_STATIC_KEY_B, buf,
					 sizeof(buf)), -EMSGSIZE);
	/* 2 + 2046 is allowed by the cap; garbage inside fails later. */
	buf[1] -= 1;
	assert_int_equal(rlpx_auth_parse(&af, EIP8_STATIC_KEY_B, buf,
					 sizeof(buf)), -EBADMSG);
	/* A size smaller than the ECIES overhead. */
	buf[0] = 0;
	buf[1] = 10;
	assert_int_equal(rlpx_auth_parse(&af, EIP8_STATIC_KEY_B, buf, 12),
			 -EMSGSIZE);
}

static void test_rlpx_auth_rejects_wrong_key_and_tampering(void **state)
{
	struct rlpx_auth_fields af;
	struct rlpx_auth_ack_fields kf;
	uint8_t buf[EIP8_AUTH2_LEN];

	(void)state;
	/* Auth is for B, ack for A: swapped keys fail the MAC. */
	assert_int_equal(rlpx_auth_parse(&af, EIP8_STATIC_KEY_A, EIP8_AUTH2,
					 EIP8_AUTH2_LEN), -EKEYREJECTED);
	assert_int_equal(rlpx_auth_ack_parse(&kf, EIP8_STATIC_KEY_B, EIP8_ACK2,
					     EIP8_ACK2_LEN), -EKEYREJECTED);
	memcpy(buf, EIP8_AUTH2, sizeof(buf));
	buf[200] ^= 0x80;
	assert_int_equal(rlpx_auth_parse(&af, EIP8_STATIC_KEY_B, buf,
					 sizeof(buf)), -EKEYREJECTED);
	/* A legacy message that fails is then read as EIP-8 with a 0x04xx
	 * size, which needs more bytes than are here. */
	assert_int_equal(rlpx_auth_parse(&af, EIP8_STATIC_KEY_A, EIP8_AUTH1,
					 EIP8_AUTH1_LEN), -EAGAIN);
}

/* Our own messages parse back: auth from A to B, acks from B to A. */
static void test_rlpx_auth_build_parse_roundtrip(void **state)
{
	uint8_t msg[RLPX_AUTH_BUF_LEN];
	size_t seen_min = SIZE_MAX, seen_max = 0;

	(void)state;
	for (int i = 0; i < 24; i++) {
		struct rlpx_auth_fields af;
		ssize_t n = rlpx_auth_build(msg, sizeof(msg), EIP8_STATIC_KEY_A,
					    EIP8_EPHEMERAL_KEY_A, EIP8_NONCE_A,
					    pub_b);

		assert_true(n >= 2 + 169 + RLPX_AUTH_PAD_MIN + ECIES_OVERHEAD);
		assert_true(n <= 2 + 169 + RLPX_AUTH_PAD_MAX + ECIES_OVERHEAD);
		assert_int_equal((size_t)msg[0] << 8 | msg[1], (size_t)n - 2);
		if ((size_t)n < seen_min)
			seen_min = (size_t)n;
		if ((size_t)n > seen_max)
			seen_max = (size_t)n;
		assert_int_equal(rlpx_auth_parse(&af, EIP8_STATIC_KEY_B, msg,
						 (size_t)n), n);
		assert_memory_equal(af.remote_pub, pub_a, SECP_PUB_LEN);
		assert_memory_equal(af.remote_eph_pub, eph_pub_a, SECP_PUB_LEN);
		assert_memory_equal(af.nonce, EIP8_NONCE_A, 32);
		assert_int_equal(af.version, 4);
		assert_false(af.legacy);
	}
	assert_true(seen_min < seen_max);               /* padding varies */

	for (int legacy = 0; legacy < 2; legacy++) {
		struct rlpx_auth_ack_fields kf;
		ssize_t n = rlpx_auth_ack_build(msg, sizeof(msg),
						EIP8_EPHEMERAL_KEY_B,
						EIP8_NONCE_B, pub_a, legacy);

		if (legacy)
			assert_int_equal(n, RLPX_AUTH_ACK_LEGACY_LEN);
		else
			assert_true(n >= 2 + 102 + RLPX_AUTH_PAD_MIN +
					 ECIES_OVERHEAD);
		assert_int_equal(rlpx_auth_ack_parse(&kf, EIP8_STATIC_KEY_A,
						     msg, (size_t)n), n);
		assert_memory_equal(kf.remote_eph_pub, eph_pub_b, SECP_PUB_LEN);
		assert_memory_equal(kf.nonce, EIP8_NONCE_B, 32);
		assert_int_equal(kf.version, 4);
		assert_int_equal(kf.legacy, legacy);
	}
}

static void test_rlpx_auth_build_rejects(void **state)
{
	uint8_t msg[RLPX_AUTH_BUF_LEN], bad[SECP_PUB_LEN] = { 0 };

	(void)state;
	assert_int_equal(rlpx_auth_build(msg, 2 + 169 + 99 + ECIES_OVERHEAD,
					 EIP8_STATIC_KEY_A, EIP8_EPHEMERAL_KEY_A,
					 EIP8_NONCE_A, pub_b), -EMSGSIZE);
	assert_int_equal(rlpx_auth_build(msg, sizeof(msg), EIP8_STATIC_KEY_A,
					 EIP8_EPHEMERAL_KEY_A, EIP8_NONCE_A,
					 bad), -EINVAL);
	assert_int_equal(rlpx_auth_ack_build(msg, RLPX_AUTH_ACK_LEGACY_LEN - 1,
					     EIP8_EPHEMERAL_KEY_B, EIP8_NONCE_B,
					     pub_a, true), -EMSGSIZE);
	assert_int_equal(rlpx_auth_ack_build(msg, sizeof(msg),
					     EIP8_EPHEMERAL_KEY_B, EIP8_NONCE_B,
					     bad, false), -EINVAL);
}

/* Seals an arbitrary EIP-8 plaintext to pub, as a peer would. */
static size_t seal_raw(uint8_t *out, const uint8_t *plain, size_t len,
		       const uint8_t *pub)
{
	size_t ct = len + ECIES_OVERHEAD;

	out[0] = (uint8_t)(ct >> 8);
	out[1] = (uint8_t)ct;
	assert_int_equal(ecies_seal(out + 2, ct, pub, plain, len, out, 2),
			 (ssize_t)ct);
	return ct + 2;
}

/* Auth bodies with one thing wrong. The signature is the real one from
 * Auth2's content, so only the named defect can cause the rejection. */
enum defect { OK, NOT_LIST, SHORT_SIG, LONG_PUB, SHORT_NONCE, NO_VSN,
	      BIG_VSN, LIST_VSN, BAD_EXTRA, OFF_CURVE, BAD_V, WRONG_NONCE };

static size_t auth_body(uint8_t *out, size_t cap, enum defect d)
{
	uint8_t shared[32], sig[SECP_SIG_LEN], pub[SECP_PUB_LEN];
	uint8_t nonce[32], big[9] = { 1 };
	struct rlp_buf b;
	ssize_t n;

	memcpy(pub, pub_a, sizeof(pub));
	memcpy(nonce, EIP8_NONCE_A, sizeof(nonce));
	assert_int_equal(secp_ecdh(shared, EIP8_STATIC_KEY_A, pub_b), 0);
	for (int i = 0; i < 32; i++)
		shared[i] ^= nonce[i];
	assert_int_equal(secp_sign(sig, shared, EIP8_EPHEMERAL_KEY_A), 0);
	if (d == OFF_CURVE)
		pub[63] ^= 1;
	if (d == BAD_V)
		sig[64] = 7;
	if (d == WRONG_NONCE)
		nonce[0] ^= 1;
	rlp_buf_init(&b, out, cap);
	if (d != NOT_LIST)
		rlp_list_begin(&b);
	rlp_put_bytes(&b, sig, d == SHORT_SIG ? 64 : 65);
	if (d == LONG_PUB) {
		uint8_t p65[65] = { 0 };

		memcpy(p65, pub, 64);
		rlp_put_bytes(&b, p65, 65);
	} else {
		rlp_put_bytes(&b, pub, 64);
	}
	rlp_put_bytes(&b, nonce, d == SHORT_NONCE ? 31 : 32);
	if (d == BIG_VSN)
		rlp_put_bytes(&b, big, sizeof(big));
	else if (d == LIST_VSN) {
		rlp_list_begin(&b);
		rlp_list_end(&b);
	} else if (d != NO_VSN)
		rlp_put_u64(&b, 4);
	if (d == BAD_EXTRA) {
		const uint8_t raw[2] = { 0xb8, 0x05 };  /* runs off the list */

		rlp_put_raw(&b, raw, sizeof(raw));
	}
	if (d != NOT_LIST)
		rlp_list_end(&b);
	n = rlp_buf_finish(&b);
	assert_true(n > 0);
	memset(out + n, 0, 50);                         /* padding */
	return (size_t)n + 50;
}

static void test_rlpx_auth_rejects_malformed_bodies(void **state)
{
	static const struct {
		enum defect d;
		ssize_t want;
	} rows[] = {
		{ OK, 0 },
		{ NOT_LIST, -EBADMSG },
		{ SHORT_SIG, -EBADMSG },
		{ LONG_PUB, -EBADMSG },
		{ SHORT_NONCE, -EBADMSG },
		{ NO_VSN, -EBADMSG },
		{ BIG_VSN, -EBADMSG },
		{ LIST_VSN, -EBADMSG },
		{ BAD_EXTRA, -EBADMSG },
		{ OFF_CURVE, -EBADMSG },
		{ BAD_V, -EKEYREJECTED },
		{ WRONG_NONCE, 0 },       /* recovers a key, just not A's */
	};
	uint8_t plain[400], msg[600];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rlpx_auth_fields af;
		size_t pl = auth_body(plain, sizeof(plain), rows[i].d);
		size_t ml = seal_raw(msg, plain, pl, pub_b);
		ssize_t n = rlpx_auth_parse(&af, EIP8_STATIC_KEY_B, msg, ml);

		if (rows[i].want < 0) {
			assert_int_equal(n, rows[i].want);
			continue;
		}
		assert_int_equal(n, (ssize_t)ml);
		if (rows[i].d == OK)
			assert_memory_equal(af.remote_eph_pub, eph_pub_a, 64);
		else
			assert_memory_not_equal(af.remote_eph_pub, eph_pub_a,
						64);
	}
}

static void test_rlpx_auth_ack_rejects_malformed(void **state)
{
	struct rlpx_auth_ack_fields kf;
	uint8_t plain[200], msg[400];
	struct rlp_buf b;
	uint8_t eph[SECP_PUB_LEN];
	size_t ml;

	(void)state;
	/* Ephemeral key off the curve. */
	memcpy(eph, eph_pub_b, sizeof(eph));
	eph[5] ^= 1;
	rlp_buf_init(&b, plain, sizeof(plain));
	rlp_list_begin(&b);
	rlp_put_bytes(&b, eph, sizeof(eph));
	rlp_put_bytes(&b, EIP8_NONCE_B, 32);
	rlp_put_u64(&b, 4);
	rlp_list_end(&b);
	ml = seal_raw(msg, plain, (size_t)rlp_buf_finish(&b), pub_a);
	assert_int_equal(rlpx_auth_ack_parse(&kf, EIP8_STATIC_KEY_A, msg, ml),
			 -EBADMSG);
	/* Missing nonce. */
	rlp_buf_init(&b, plain, sizeof(plain));
	rlp_list_begin(&b);
	rlp_put_bytes(&b, eph_pub_b, sizeof(eph));
	rlp_list_end(&b);
	ml = seal_raw(msg, plain, (size_t)rlp_buf_finish(&b), pub_a);
	assert_int_equal(rlpx_auth_ack_parse(&kf, EIP8_STATIC_KEY_A, msg, ml),
			 -EBADMSG);
	/* Empty plaintext. */
	ml = seal_raw(msg, plain, 0, pub_a);
	assert_int_equal(rlpx_auth_ack_parse(&kf, EIP8_STATIC_KEY_A, msg, ml),
			 -EBADMSG);
}

/* Legacy auth whose keccak256(eph-pubk) field does not match the key the
 * signature recovers: rebuilt from Auth1's plaintext and re-sealed. */
static void test_rlpx_auth_legacy_rejects_bad_eph_hash(void **state)
{
	struct rlpx_auth_fields af;
	uint8_t plain[194], msg[RLPX_AUTH_LEGACY_LEN];

	(void)state;
	assert_int_equal(ecies_open(plain, sizeof(plain), EIP8_STATIC_KEY_B,
				    EIP8_AUTH1, EIP8_AUTH1_LEN, NULL, 0), 194);
	assert_int_equal(ecies_seal(msg, sizeof(msg), pub_b, plain, 194, NULL,
				    0), RLPX_AUTH_LEGACY_LEN);
	assert_int_equal(rlpx_auth_parse(&af, EIP8_STATIC_KEY_B, msg,
					 sizeof(msg)), RLPX_AUTH_LEGACY_LEN);
	assert_true(af.legacy);
	plain[65 + 7] ^= 1;
	assert_int_equal(ecies_seal(msg, sizeof(msg), pub_b, plain, 194, NULL,
				    0), RLPX_AUTH_LEGACY_LEN);
	assert_int_equal(rlpx_auth_parse(&af, EIP8_STATIC_KEY_B, msg,
					 sizeof(msg)), -EKEYREJECTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rlpx_auth_parse_eip8_vectors),
		cmocka_unit_test(test_rlpx_auth_eip8_secrets),
		cmocka_unit_test(test_rlpx_auth_truncated_and_trailing),
		cmocka_unit_test(test_rlpx_auth_rejects_oversized),
		cmocka_unit_test(test_rlpx_auth_rejects_wrong_key_and_tampering),
		cmocka_unit_test(test_rlpx_auth_build_parse_roundtrip),
		cmocka_unit_test(test_rlpx_auth_build_rejects),
		cmocka_unit_test(test_rlpx_auth_rejects_malformed_bodies),
		cmocka_unit_test(test_rlpx_auth_ack_rejects_malformed),
		cmocka_unit_test(test_rlpx_auth_legacy_rejects_bad_eph_hash),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
