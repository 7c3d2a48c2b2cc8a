/* SPDX-License-Identifier: MIT */
/* tests/control/rlpx/test_rlpx.c - RLPx handshake state machine: EIP-8 vectors in
 * both roles and formats, in-process handshakes, size/timeout/state rules. */
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
#include "common/rlpx_frame.h"
#include "common/secp.h"
#include "control/rlpx/rlpx.h"
#include "tests/vectors/eip8_vectors.h"

#define SEC 1000000000ull
#define T0 (1000 * SEC)                 /* arbitrary clock origin */

static uint8_t pub_a[SECP_PUB_LEN], pub_b[SECP_PUB_LEN];
static uint8_t out[RLPX_HS_OUT_MAX];
static struct rlpx_hs hs_a, hs_b;      /* 3.5 KiB each: keep off the stack */

static int setup(void **state)
{
	(void)state;
	if (secp_pub_from_priv(pub_a, EIP8_STATIC_KEY_A) < 0 ||
	    secp_pub_from_priv(pub_b, EIP8_STATIC_KEY_B) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ecies_thread_fini();
	rlpx_frame_thread_fini();
	return 0;
}

static int reset(void **state)
{
	(void)state;
	rlpx_hs_fini(&hs_a);
	rlpx_hs_fini(&hs_b);
	return 0;
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* Feeds buf to hs in pieces of chunk bytes (0: all at once); the output of
 * the last step goes to out and *out_len. Returns the last feed's result, or the
 * total consumed when every step succeeded. */
static ssize_t feed_chunks(struct rlpx_hs *hs, size_t *out_len,
			   const uint8_t *buf, size_t len, size_t chunk,
			   uint64_t now)
{
	size_t off = 0;

	*out_len = 0;
	if (chunk == 0)
		chunk = len;
	while (off < len && rlpx_hs_state(hs) != RLPX_HS_DONE) {
		size_t n = len - off < chunk ? len - off : chunk;
		size_t ol = 0;
		ssize_t rc = rlpx_hs_feed(hs, out, sizeof(out), &ol, buf + off,
					  n, now);

		if (rc < 0)
			return rc;
		assert_true((size_t)rc <= n);
		off += (size_t)rc;
		*out_len = ol;
		if ((size_t)rc < n)
			break;
	}
	return (ssize_t)off;
}

/* Recompute the MAC states from the wire bytes with the common/ derivation
 * to check the state machine fed it the right messages for its role. */
static void check_mac_states(const struct rlpx_secrets *s,
			     const uint8_t *auth, size_t auth_len,
			     const uint8_t *ack, size_t ack_len,
			     enum rlpx_role role)
{
	uint8_t shared[32];
	uint8_t d1[32], d2[32];
	struct rlpx_secrets ref;

	{
		uint8_t eph_a[64];

		assert_int_equal(secp_pub_from_priv(eph_a,
						    EIP8_EPHEMERAL_KEY_A), 0);
		assert_int_equal(secp_ecdh(shared, EIP8_EPHEMERAL_KEY_B, eph_a),
				 0);
	}
	rlpx_secrets_from_shared(&ref, shared, EIP8_NONCE_A, EIP8_NONCE_B,
				 auth, auth_len, ack, ack_len, role);
	keccak256_peek(&ref.egress_mac, d1);
	keccak256_peek(&s->egress_mac, d2);
	assert_memory_equal(d1, d2, 32);
	keccak256_peek(&ref.ingress_mac, d1);
	keccak256_peek(&s->ingress_mac, d2);
	assert_memory_equal(d1, d2, 32);
	rlpx_secrets_wipe(&ref);
}

/* Recipient B with the vector ephemeral key and nonce, fed Auth2: the EIP's
 * aes-secret and mac-secret, A's static key, an EIP-8 ack. */
static void test_rlpx_recipient_auth2_secrets(void **state)
{
	struct rlpx_secrets s;
	uint8_t rpub[SECP_PUB_LEN], foo[32];
	size_t ol;

	(void)state;
	assert_int_equal(rlpx_hs_inject(&hs_b, EIP8_EPHEMERAL_KEY_B,
					EIP8_NONCE_B), 0);
	assert_int_equal(rlpx_hs_init_recipient(&hs_b, EIP8_STATIC_KEY_B, T0),
			 0);
	assert_int_equal(rlpx_hs_state(&hs_b), RLPX_HS_WAIT_AUTH);
	assert_int_equal(rlpx_hs_feed(&hs_b, out, sizeof(out), &ol, EIP8_AUTH2,
				      EIP8_AUTH2_LEN, T0 + 1),
			 EIP8_AUTH2_LEN);
	assert_int_equal(rlpx_hs_state(&hs_b), RLPX_HS_DONE);
	assert_false(rlpx_hs_remote_legacy(&hs_b));
	/* EIP-8 ack: prefix announces the rest, 100-300 bytes of padding on a
	 * 102-byte body. */
	assert_int_equal(ol, 2 + ((size_t)out[0] << 8 | out[1]));
	assert_in_range(ol, 2 + 102 + 100 + ECIES_OVERHEAD,
			2 + 102 + 300 + ECIES_OVERHEAD);
	assert_int_equal(rlpx_hs_take(&hs_b, &s, rpub), 0);
	assert_memory_equal(s.aes, EIP8_AES_SECRET, 32);
	assert_memory_equal(s.mac, EIP8_MAC_SECRET, 32);
	assert_memory_equal(rpub, pub_a, SECP_PUB_LEN);
	check_mac_states(&s, EIP8_AUTH2, EIP8_AUTH2_LEN, out, ol,
			 RLPX_RECIPIENT);
	/* EIP-8: B's ingress-mac after "foo" (it covers Auth2). */
	keccak256_update(&s.ingress_mac, (const uint8_t *)"foo", 3);
	keccak256_peek(&s.ingress_mac, foo);
	assert_memory_equal(foo, EIP8_INGRESS_MAC_FOO, 32);
	/* Secrets wiped inside hs once taken, handshake keys once done. */
	assert_true(all_zero(&hs_b.secrets, sizeof(hs_b.secrets)));
	assert_true(all_zero(hs_b.priv, sizeof(hs_b.priv)));
	assert_true(all_zero(hs_b.eph_priv, sizeof(hs_b.eph_priv)));
	assert_true(all_zero(hs_b.nonce, sizeof(hs_b.nonce)));
	assert_true(all_zero(hs_b.rx, sizeof(hs_b.rx)));
	assert_true(all_zero(hs_b.sent, sizeof(hs_b.sent)));
	assert_int_equal(rlpx_hs_take(&hs_b, &s, rpub), -EPROTO);
	rlpx_secrets_wipe(&s);
	rlpx_hs_fini(&hs_b);
	assert_true(all_zero(&hs_b, sizeof(hs_b)));
}

/* Initiator A with the vector ephemeral key and nonce, fed Ack2: the EIP's
 * secrets; MAC states as rlpx.md derives them from our auth and Ack2 (the
 * EIP's "foo" vector is B's ingress, over Auth2, which A cannot resend:
 * ECIES and padding are random). */
static void test_rlpx_initiator_ack2_secrets(void **state)
{
	struct rlpx_secrets s;
	uint8_t rpub[SECP_PUB_LEN], auth[RLPX_HS_OUT_MAX];
	ssize_t n;
	size_t ol = 99;

	(void)state;
	assert_int_equal(rlpx_hs_inject(&hs_a, EIP8_EPHEMERAL_KEY_A,
					EIP8_NONCE_A), 0);
	n = rlpx_hs_init_initiator(&hs_a, out, sizeof(out), EIP8_STATIC_KEY_A,
				   pub_b, T0);
	assert_true(n > 0);
	assert_int_equal(n, 2 + ((size_t)out[0] << 8 | out[1]));
	assert_int_equal(rlpx_hs_state(&hs_a), RLPX_HS_AUTH_SENT);
	assert_int_equal(rlpx_hs_next_deadline(&hs_a), T0 + 5 * SEC);
	assert_int_equal(rlpx_hs_feed(&hs_a, NULL, 0, &ol, EIP8_ACK2,
				      EIP8_ACK2_LEN, T0 + 1),
			 EIP8_ACK2_LEN);
	assert_int_equal(ol, 0);
	assert_int_equal(rlpx_hs_state(&hs_a), RLPX_HS_DONE);
	assert_int_equal(rlpx_hs_next_deadline(&hs_a), RLPX_HS_NO_DEADLINE);
	assert_int_equal(rlpx_hs_take(&hs_a, &s, rpub), 0);
	assert_memory_equal(s.aes, EIP8_AES_SECRET, 32);
	assert_memory_equal(s.mac, EIP8_MAC_SECRET, 32);
	assert_memory_equal(rpub, pub_b, SECP_PUB_LEN);
	memcpy(auth, out, (size_t)n);
	check_mac_states(&s, auth, (size_t)n, EIP8_ACK2, EIP8_ACK2_LEN,
			 RLPX_INITIATOR);
	assert_true(all_zero(hs_a.priv, sizeof(hs_a.priv)));
	assert_true(all_zero(hs_a.eph_priv, sizeof(hs_a.eph_priv)));
	rlpx_secrets_wipe(&s);
}

struct vec {
	const uint8_t *msg;
	size_t len;
	bool legacy;
	uint64_t version;
};

static const struct vec auths[] = {
	{ EIP8_AUTH1, EIP8_AUTH1_LEN, EIP8_AUTH1_LEGACY, EIP8_AUTH1_VERSION },
	{ EIP8_AUTH2, EIP8_AUTH2_LEN, EIP8_AUTH2_LEGACY, EIP8_AUTH2_VERSION },
	{ EIP8_AUTH3, EIP8_AUTH3_LEN, EIP8_AUTH3_LEGACY, EIP8_AUTH3_VERSION },
};

static const struct vec acks[] = {
	{ EIP8_ACK1, EIP8_ACK1_LEN, EIP8_ACK1_LEGACY, EIP8_ACK1_VERSION },
	{ EIP8_ACK2, EIP8_ACK2_LEN, EIP8_ACK2_LEGACY, EIP8_ACK2_VERSION },
	{ EIP8_ACK3, EIP8_ACK3_LEN, EIP8_ACK3_LEGACY, EIP8_ACK3_VERSION },
};

static const size_t chunks[] = { 0, 1, 2, 3, 17, 306, 307, 308 };

/* Every auth format (legacy, EIP-8, EIP-8 with extra fields and another
 * version) in every fragmentation; the reply matches the auth's format. */
static void test_rlpx_recipient_all_auths(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]);
		     c++) {
			struct rlpx_auth_ack_fields kf;
			struct rlpx_secrets s;
			uint8_t rpub[SECP_PUB_LEN];
			size_t ol;

			rlpx_hs_fini(&hs_b);
			assert_int_equal(rlpx_hs_inject(&hs_b,
					EIP8_EPHEMERAL_KEY_B, EIP8_NONCE_B), 0);
			assert_int_equal(rlpx_hs_init_recipient(&hs_b,
					EIP8_STATIC_KEY_B, T0), 0);
			assert_int_equal(feed_chunks(&hs_b, &ol, auths[i].msg,
						     auths[i].len, chunks[c],
						     T0),
					 auths[i].len);
			assert_int_equal(rlpx_hs_state(&hs_b), RLPX_HS_DONE);
			assert_int_equal(rlpx_hs_remote_legacy(&hs_b),
					 auths[i].legacy);
			assert_int_equal(hs_b.remote_version,
					 auths[i].version);
			if (auths[i].legacy) {
				assert_int_equal(ol, RLPX_AUTH_ACK_LEGACY_LEN);
				assert_int_equal(out[0], 0x04);
			} else {
				assert_int_equal(ol, 2 + ((size_t)out[0] << 8 |
							  out[1]));
			}
			/* A can read the ack we sent, in the same format. */
			assert_int_equal(rlpx_auth_ack_parse(&kf,
					EIP8_STATIC_KEY_A, out, ol), ol);
			assert_int_equal(kf.legacy, auths[i].legacy);
			assert_memory_equal(kf.nonce, EIP8_NONCE_B, 32);
			assert_int_equal(rlpx_hs_take(&hs_b, &s, rpub), 0);
			assert_memory_equal(s.aes, EIP8_AES_SECRET, 32);
			assert_memory_equal(s.mac, EIP8_MAC_SECRET, 32);
			assert_memory_equal(rpub, pub_a, SECP_PUB_LEN);
			check_mac_states(&s, auths[i].msg, auths[i].len, out,
					 ol, RLPX_RECIPIENT);
			if (auths[i].msg == EIP8_AUTH2) {
				uint8_t foo[32];

				keccak256_update(&s.ingress_mac,
						 (const uint8_t *)"foo", 3);
				keccak256_peek(&s.ingress_mac, foo);
				assert_memory_equal(foo, EIP8_INGRESS_MAC_FOO,
						    32);
			}
			rlpx_secrets_wipe(&s);
		}
	}
}

/* Every ack format accepted by the initiator, in every fragmentation. */
static void test_rlpx_initiator_all_acks(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]);
		     c++) {
			struct rlpx_secrets s;
			uint8_t rpub[SECP_PUB_LEN];
			ssize_t alen;
			size_t ol;

			rlpx_hs_fini(&hs_a);
			assert_int_equal(rlpx_hs_inject(&hs_a,
					EIP8_EPHEMERAL_KEY_A, EIP8_NONCE_A), 0);
			alen = rlpx_hs_init_initiator(&hs_a, out, sizeof(out),
					EIP8_STATIC_KEY_A, pub_b, T0);
			assert_true(alen > 0);
			assert_int_equal(feed_chunks(&hs_a, &ol, acks[i].msg,
						     acks[i].len, chunks[c],
						     T0),
					 acks[i].len);
			assert_int_equal(ol, 0);
			assert_int_equal(rlpx_hs_state(&hs_a), RLPX_HS_DONE);
			assert_int_equal(rlpx_hs_remote_legacy(&hs_a),
					 acks[i].legacy);
			assert_int_equal(hs_a.remote_version, acks[i].version);
			assert_int_equal(rlpx_hs_take(&hs_a, &s, rpub), 0);
			assert_memory_equal(s.aes, EIP8_AES_SECRET, 32);
			assert_memory_equal(s.mac, EIP8_MAC_SECRET, 32);
			assert_memory_equal(rpub, pub_b, SECP_PUB_LEN);
			check_mac_states(&s, out, (size_t)alen, acks[i].msg,
					 acks[i].len, RLPX_INITIATOR);
			rlpx_secrets_wipe(&s);
		}
	}
}

/* One frame each way with the derived secrets proves both sides agree. */
static void frames_both_ways(const struct rlpx_secrets *si,
			     const struct rlpx_secrets *sr)
{
	static const uint8_t msg1[] = "hello from the initiator";
	static const uint8_t msg2[] = "and back from the recipient";
	struct rlpx_frame fi, fr;
	uint8_t wire[128], plain[64];
	size_t plen;
	ssize_t n;

	assert_int_equal(rlpx_frame_init(&fi, si, 0), 0);
	assert_int_equal(rlpx_frame_init(&fr, sr, 0), 0);
	n = rlpx_frame_seal(&fi, wire, sizeof(wire), msg1, sizeof(msg1));
	assert_true(n > 0);
	assert_int_equal(rlpx_frame_open(&fr, plain, sizeof(plain), &plen,
					 wire, (size_t)n), n);
	assert_int_equal(plen, sizeof(msg1));
	assert_memory_equal(plain, msg1, sizeof(msg1));
	n = rlpx_frame_seal(&fr, wire, sizeof(wire), msg2, sizeof(msg2));
	assert_true(n > 0);
	assert_int_equal(rlpx_frame_open(&fi, plain, sizeof(plain), &plen,
					 wire, (size_t)n), n);
	assert_int_equal(plen, sizeof(msg2));
	assert_memory_equal(plain, msg2, sizeof(msg2));
	rlpx_frame_fini(&fi);
	rlpx_frame_fini(&fr);
}

/* Two state machines with fresh random keys, talking in-process. */
static void run_pair(struct rlpx_hs *ini, const uint8_t ini_priv[32],
		     struct rlpx_hs *rsp, const uint8_t rsp_priv[32],
		     size_t chunk)
{
	uint8_t ini_pub[64], rsp_pub[64], got_i[64], got_r[64];
	uint8_t auth[RLPX_HS_OUT_MAX], ack[RLPX_HS_OUT_MAX];
	struct rlpx_secrets si, sr;
	size_t auth_len, ack_len, ol;
	ssize_t n;

	assert_int_equal(secp_pub_from_priv(ini_pub, ini_priv), 0);
	assert_int_equal(secp_pub_from_priv(rsp_pub, rsp_priv), 0);
	rlpx_hs_fini(ini);
	rlpx_hs_fini(rsp);
	assert_int_equal(rlpx_hs_init_recipient(rsp, rsp_priv, T0), 0);
	n = rlpx_hs_init_initiator(ini, auth, sizeof(auth), ini_priv, rsp_pub,
				   T0);
	assert_true(n > 0);
	auth_len = (size_t)n;
	/* EIP-8 auth: 169-byte body, 100-300 bytes of padding, always more
	 * than the 307 bytes ethereumjs waits for. */
	assert_in_range(auth_len, 2 + 169 + 100 + ECIES_OVERHEAD,
			2 + 169 + 300 + ECIES_OVERHEAD);
	assert_int_equal(feed_chunks(rsp, &ol, auth, auth_len, chunk, T0 + 1),
			 auth_len);
	assert_int_equal(rlpx_hs_state(rsp), RLPX_HS_DONE);
	assert_false(rlpx_hs_remote_legacy(rsp));
	memcpy(ack, out, ol);
	ack_len = ol;
	assert_int_equal(feed_chunks(ini, &ol, ack, ack_len, chunk, T0 + 2),
			 ack_len);
	assert_int_equal(rlpx_hs_state(ini), RLPX_HS_DONE);
	assert_int_equal(rlpx_hs_take(ini, &si, got_i), 0);
	assert_int_equal(rlpx_hs_take(rsp, &sr, got_r), 0);
	assert_memory_equal(got_i, rsp_pub, 64);
	assert_memory_equal(got_r, ini_pub, 64);
	assert_memory_equal(si.aes, sr.aes, 32);
	assert_memory_equal(si.mac, sr.mac, 32);
	frames_both_ways(&si, &sr);
	rlpx_secrets_wipe(&si);
	rlpx_secrets_wipe(&sr);
}

static void test_rlpx_pair_both_orders_fragmented(void **state)
{
	uint8_t k1[32], k2[32];
	static const size_t pc[] = { 0, 1, 5, 64, 300 };

	(void)state;
	assert_int_equal(secp_priv_generate(k1), 0);
	assert_int_equal(secp_priv_generate(k2), 0);
	for (size_t c = 0; c < sizeof(pc) / sizeof(pc[0]); c++) {
		run_pair(&hs_a, k1, &hs_b, k2, pc[c]);   /* 1 dials 2 */
		run_pair(&hs_b, k2, &hs_a, k1, pc[c]);   /* 2 dials 1 */
	}
}

/* The ack and the recipient's first frame can arrive in one read: feed
 * consumes only the ack and leaves the frame to the caller. */
static void test_rlpx_initiator_leaves_trailing_bytes(void **state)
{
	uint8_t buf[EIP8_ACK2_LEN + 40];
	size_t ol;

	(void)state;
	memcpy(buf, EIP8_ACK2, EIP8_ACK2_LEN);
	memset(buf + EIP8_ACK2_LEN, 0xee, 40);
	assert_true(rlpx_hs_init_initiator(&hs_a, out, sizeof(out),
					   EIP8_STATIC_KEY_A, pub_b, T0) > 0);
	assert_int_equal(rlpx_hs_feed(&hs_a, NULL, 0, &ol, buf, sizeof(buf),
				      T0),
			 EIP8_ACK2_LEN);
	assert_int_equal(rlpx_hs_state(&hs_a), RLPX_HS_DONE);
	/* Legacy auth followed by junk: the recipient stops at 307. */
	{
		uint8_t b2[EIP8_AUTH1_LEN + 5];

		memcpy(b2, EIP8_AUTH1, EIP8_AUTH1_LEN);
		memset(b2 + EIP8_AUTH1_LEN, 0x01, 5);
		assert_int_equal(rlpx_hs_init_recipient(&hs_b,
					EIP8_STATIC_KEY_B, T0), 0);
		assert_int_equal(rlpx_hs_feed(&hs_b, out, sizeof(out), &ol, b2,
					      sizeof(b2), T0),
				 EIP8_AUTH1_LEN);
		assert_int_equal(rlpx_hs_state(&hs_b), RLPX_HS_DONE);
		assert_true(rlpx_hs_remote_legacy(&hs_b));
	}
}

static void expect_failed(struct rlpx_hs *hs, int err)
{
	assert_int_equal(rlpx_hs_state(hs), RLPX_HS_FAILED);
	assert_int_equal(rlpx_hs_error(hs), err);
	assert_int_equal(rlpx_hs_next_deadline(hs), RLPX_HS_NO_DEADLINE);
	assert_true(all_zero(hs->priv, sizeof(hs->priv)));
	assert_true(all_zero(hs->eph_priv, sizeof(hs->eph_priv)));
	assert_true(all_zero(hs->nonce, sizeof(hs->nonce)));
	assert_true(all_zero(hs->rx, sizeof(hs->rx)));
	assert_true(all_zero(hs->sent, sizeof(hs->sent)));
	assert_true(all_zero(&hs->secrets, sizeof(hs->secrets)));
}

/* Truncated auth never completes; the 5 s timer ends it. */
static void test_rlpx_truncated_auth_times_out(void **state)
{
	size_t ol;

	(void)state;
	assert_int_equal(rlpx_hs_init_recipient(&hs_b, EIP8_STATIC_KEY_B, T0),
			 0);
	assert_int_equal(rlpx_hs_next_deadline(&hs_b), T0 + 5 * SEC);
	assert_int_equal(rlpx_hs_feed(&hs_b, out, sizeof(out), &ol, EIP8_AUTH2,
				      EIP8_AUTH2_LEN - 1, T0 + SEC),
			 EIP8_AUTH2_LEN - 1);
	assert_int_equal(ol, 0);
	assert_int_equal(rlpx_hs_state(&hs_b), RLPX_HS_WAIT_AUTH);
	assert_int_equal(rlpx_hs_on_timer(&hs_b, T0 + 5 * SEC - 1), 0);
	assert_int_equal(rlpx_hs_state(&hs_b), RLPX_HS_WAIT_AUTH);
	assert_int_equal(rlpx_hs_on_timer(&hs_b, T0 + 5 * SEC), -ETIMEDOUT);
	expect_failed(&hs_b, -ETIMEDOUT);
	assert_int_equal(rlpx_hs_on_timer(&hs_b, T0 + 6 * SEC), -EPROTO);
	/* The initiator waiting for an ack times out the same way. */
	assert_true(rlpx_hs_init_initiator(&hs_a, out, sizeof(out),
					   EIP8_STATIC_KEY_A, pub_b, T0) > 0);
	assert_int_equal(rlpx_hs_feed(&hs_a, NULL, 0, &ol, EIP8_ACK2, 100,
				      T0 + 4 * SEC), 100);
	assert_int_equal(rlpx_hs_on_timer(&hs_a, T0 + 5 * SEC), -ETIMEDOUT);
	expect_failed(&hs_a, -ETIMEDOUT);
}

/* A slowloris dribbling a valid auth one byte per 20 ms is cut off at 5 s,
 * by the feed itself even when no timer fired. */
static void test_rlpx_slowloris(void **state)
{
	size_t i, ol;
	ssize_t rc = 0;

	(void)state;
	assert_int_equal(rlpx_hs_init_recipient(&hs_b, EIP8_STATIC_KEY_B, T0),
			 0);
	for (i = 0; i < EIP8_AUTH2_LEN; i++) {
		rc = rlpx_hs_feed(&hs_b, out, sizeof(out), &ol,
				  EIP8_AUTH2 + i, 1, T0 + i * 20000000ull);
		if (rc != 1)
			break;
	}
	assert_int_equal(rc, -ETIMEDOUT);
	assert_int_equal(i, 250);               /* 250 * 20 ms = 5 s */
	expect_failed(&hs_b, -ETIMEDOUT);
}

/* The size prefix is checked as soon as it is complete: above the 2 KiB cap
 * or below the ECIES overhead fails at once, whatever follows, before any
 * EC work (secp_ec_ops() unchanged) and with nothing allocated (struct
 * rlpx_hs holds the message in a fixed RLPX_AUTH_MAX_LEN buffer). */
static void test_rlpx_size_prefix_rules(void **state)
{
	static const struct {
		uint8_t p0, p1;
		int rc;                 /* 0: accepted, keeps waiting */
	} rows[] = {
		{ 0xff, 0xff, -EMSGSIZE },
		{ 0x08, 0x00, -EMSGSIZE },      /* 2 + 2048 > 2048 */
		{ 0x07, 0xff, -EMSGSIZE },      /* 2 + 2047 */
		{ 0x07, 0xfe, 0 },              /* 2 + 2046 = the cap */
		{ 0x00, 0x70, -EMSGSIZE },      /* 112 < ECIES overhead */
		{ 0x00, 0x00, -EMSGSIZE },
		{ 0x00, 0x71, 0 },              /* 113: ECIES decides */
		{ 0x01, 0xb3, 0 },
	};
	size_t ol;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const uint8_t p[2] = { rows[i].p0, rows[i].p1 };

		for (int role = 0; role < 2; role++) {
			struct rlpx_hs *hs = role ? &hs_a : &hs_b;
			ssize_t rc;

			rlpx_hs_fini(hs);
			if (role)
				assert_true(rlpx_hs_init_initiator(hs, out,
						sizeof(out), EIP8_STATIC_KEY_A,
						pub_b, T0) > 0);
			else
				assert_int_equal(rlpx_hs_init_recipient(hs,
						EIP8_STATIC_KEY_B, T0), 0);
			uint64_t ops = secp_ec_ops();

			/* One byte at a time: the first is just buffered. */
			assert_int_equal(rlpx_hs_feed(hs, out, sizeof(out),
						      &ol, p, 1, T0), 1);
			rc = rlpx_hs_feed(hs, out, sizeof(out), &ol, p + 1, 1,
					  T0);
			if (rows[i].rc) {
				assert_int_equal(rc, rows[i].rc);
				expect_failed(hs, rows[i].rc);
				assert_int_equal(secp_ec_ops(), ops);
			} else {
				assert_int_equal(rc, 1);
				assert_true(rlpx_hs_state(hs) ==
						    RLPX_HS_WAIT_AUTH ||
					    rlpx_hs_state(hs) ==
						    RLPX_HS_AUTH_SENT);
				assert_int_equal(hs->rx_need,
					2 + ((size_t)p[0] << 8 | p[1]));
			}
		}
	}
}

/* Garbage: a well-sized EIP-8 message that is not ECIES, and bytes that
 * start like a legacy message (0x04) but are neither. */
static void test_rlpx_garbage(void **state)
{
	static uint8_t junk[2 + 0x0410];
	size_t ol;

	(void)state;
	memset(junk, 0xaa, sizeof(junk));
	junk[0] = 0x01;
	junk[1] = 0xb3;
	assert_int_equal(rlpx_hs_init_recipient(&hs_b, EIP8_STATIC_KEY_B, T0),
			 0);
	assert_int_equal(rlpx_hs_feed(&hs_b, out, sizeof(out), &ol, junk,
				      2 + 0x1b3, T0), -EBADMSG);
	expect_failed(&hs_b, -EBADMSG);

	/* 0x04 0x10: legacy read at 307 bytes fails, EIP-8 read wants
	 * 2 + 0x410 bytes, whose ECIES R (byte 2) is no point. */
	junk[0] = 0x04;
	junk[1] = 0x10;
	junk[2] = 0x05;
	rlpx_hs_fini(&hs_b);
	assert_int_equal(rlpx_hs_init_recipient(&hs_b, EIP8_STATIC_KEY_B, T0),
			 0);
	assert_int_equal(rlpx_hs_feed(&hs_b, out, sizeof(out), &ol, junk,
				      RLPX_AUTH_LEGACY_LEN, T0),
			 RLPX_AUTH_LEGACY_LEN);
	assert_int_equal(rlpx_hs_state(&hs_b), RLPX_HS_WAIT_AUTH);
	assert_true(hs_b.tried_legacy);
	assert_int_equal(hs_b.rx_need, sizeof(junk));
	assert_int_equal(rlpx_hs_feed(&hs_b, out, sizeof(out), &ol,
				      junk + RLPX_AUTH_LEGACY_LEN,
				      sizeof(junk) - RLPX_AUTH_LEGACY_LEN, T0),
			 -EBADMSG);
	expect_failed(&hs_b, -EBADMSG);

	/* An auth fed to the initiator is not an ack for it. */
	assert_true(rlpx_hs_init_initiator(&hs_a, out, sizeof(out),
					   EIP8_STATIC_KEY_A, pub_b, T0) > 0);
	assert_int_equal(rlpx_hs_feed(&hs_a, NULL, 0, &ol, EIP8_AUTH2,
				      EIP8_AUTH2_LEN, T0), -EKEYREJECTED);
	expect_failed(&hs_a, -EKEYREJECTED);
}

/* ECIES MAC failures: a flipped tag byte, a body byte, the prefix (which
 * is authenticated data), and a message for someone else. */
static void test_rlpx_bad_mac(void **state)
{
	static const size_t flips[] = { EIP8_AUTH2_LEN - 1, 200, 1 };
	uint8_t m[EIP8_AUTH2_LEN + 1];
	size_t ol;

	(void)state;
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		size_t len = EIP8_AUTH2_LEN;

		memcpy(m, EIP8_AUTH2, EIP8_AUTH2_LEN);
		if (flips[i] == 1) {
			m[1] ^= 1;      /* one more byte announced */
			m[EIP8_AUTH2_LEN] = 0;
			len++;
		} else {
			m[flips[i]] ^= 0x40;
		}
		rlpx_hs_fini(&hs_b);
		assert_int_equal(rlpx_hs_init_recipient(&hs_b,
					EIP8_STATIC_KEY_B, T0), 0);
		assert_int_equal(rlpx_hs_feed(&hs_b, out, sizeof(out), &ol, m,
					      len, T0), -EKEYREJECTED);
		expect_failed(&hs_b, -EKEYREJECTED);
		assert_int_equal(ol, 0);
	}
	/* Auth2 is for B, not A. */
	rlpx_hs_fini(&hs_b);
	assert_int_equal(rlpx_hs_init_recipient(&hs_b, EIP8_STATIC_KEY_A, T0),
			 0);
	assert_int_equal(rlpx_hs_feed(&hs_b, out, sizeof(out), &ol, EIP8_AUTH2,
				      EIP8_AUTH2_LEN, T0), -EKEYREJECTED);
	/* A legacy auth with a bad tag is not legacy to us, so it reads as
	 * an EIP-8 prefix 0x048c and waits for more (then times out). */
	memcpy(m, EIP8_AUTH1, EIP8_AUTH1_LEN);
	m[EIP8_AUTH1_LEN - 1] ^= 1;
	rlpx_hs_fini(&hs_b);
	assert_int_equal(rlpx_hs_init_recipient(&hs_b, EIP8_STATIC_KEY_B, T0),
			 0);
	assert_int_equal(rlpx_hs_feed(&hs_b, out, sizeof(out), &ol, m,
				      EIP8_AUTH1_LEN, T0), EIP8_AUTH1_LEN);
	assert_int_equal(rlpx_hs_state(&hs_b), RLPX_HS_WAIT_AUTH);
	assert_int_equal(hs_b.rx_need, 2 + 0x048c);
	/* A tampered ack. */
	{
		uint8_t k[EIP8_ACK2_LEN];

		memcpy(k, EIP8_ACK2, sizeof(k));
		k[300] ^= 1;
		assert_true(rlpx_hs_init_initiator(&hs_a, out, sizeof(out),
					EIP8_STATIC_KEY_A, pub_b, T0) > 0);
		assert_int_equal(rlpx_hs_feed(&hs_a, NULL, 0, &ol, k, sizeof(k),
					      T0), -EKEYREJECTED);
		expect_failed(&hs_a, -EKEYREJECTED);
	}
}

/* Seals body as an EIP-8 message to pub with a fixed ECIES key. */
static size_t seal_eip8(uint8_t *msg, size_t cap, const uint8_t *body,
			size_t len, const uint8_t pub[64])
{
	static const uint8_t eph[32] = { [0] = 1, [31] = 7 };
	static const uint8_t iv[16] = { 0 };
	size_t ct = len + ECIES_OVERHEAD;

	msg[0] = (uint8_t)(ct >> 8);
	msg[1] = (uint8_t)ct;
	assert_int_equal(ecies_seal_det(msg + 2, cap - 2, pub, body, len, msg,
					2, eph, iv), ct);
	return ct + 2;
}

/* Invalid curve points: the ECIES ephemeral key R (rejected before any EC
 * work, so before the MAC), the ack's recipient-ephemeral-pubk and the
 * auth's initiator-pubk, both inside a valid ECIES envelope. */
static void test_rlpx_invalid_points(void **state)
{
	uint8_t m[EIP8_AUTH2_LEN], body[256], msg[600], bad[64];
	struct rlp_buf b;
	size_t ol, len;
	uint64_t ops;
	ssize_t bl;

	(void)state;
	memcpy(m, EIP8_AUTH2, sizeof(m));
	m[2 + 1 + 7] ^= 0x01;                   /* R's x coordinate */
	assert_int_equal(rlpx_hs_init_recipient(&hs_b, EIP8_STATIC_KEY_B, T0),
			 0);
	ops = secp_ec_ops();
	assert_int_equal(rlpx_hs_feed(&hs_b, out, sizeof(out), &ol, m,
				      sizeof(m), T0), -EBADMSG);
	expect_failed(&hs_b, -EBADMSG);
	assert_int_equal(secp_ec_ops(), ops);   /* before any EC work */

	memcpy(bad, pub_b, 64);
	bad[63] ^= 1;                           /* y no longer on the curve */
	assert_false(secp_pub_check(bad));

	/* ack [bad-eph, nonce, 4] sealed to A */
	rlp_buf_init(&b, body, sizeof(body));
	rlp_list_begin(&b);
	rlp_put_bytes(&b, bad, 64);
	rlp_put_bytes(&b, EIP8_NONCE_B, 32);
	rlp_put_u64(&b, 4);
	rlp_list_end(&b);
	bl = rlp_buf_finish(&b);
	assert_true(bl > 0);
	len = seal_eip8(msg, sizeof(msg), body, (size_t)bl, pub_a);
	assert_true(rlpx_hs_init_initiator(&hs_a, out, sizeof(out),
					   EIP8_STATIC_KEY_A, pub_b, T0) > 0);
	/* CVE-2026-26315: the only EC work is opening the envelope; no ECDH
	 * ever runs with the off-curve key. */
	ops = secp_ec_ops();
	assert_int_equal(rlpx_hs_feed(&hs_a, NULL, 0, &ol, msg, len, T0),
			 -EBADMSG);
	expect_failed(&hs_a, -EBADMSG);
	assert_int_equal(secp_ec_ops(), ops + 1);

	/* auth [sig, bad-pubk, nonce, 4] sealed to B */
	{
		uint8_t sig[65];

		memset(sig, 0x11, sizeof(sig));
		sig[64] = 0;
		rlp_buf_init(&b, body, sizeof(body));
		rlp_list_begin(&b);
		rlp_put_bytes(&b, sig, 65);
		rlp_put_bytes(&b, bad, 64);
		rlp_put_bytes(&b, EIP8_NONCE_A, 32);
		rlp_put_u64(&b, 4);
		rlp_list_end(&b);
		bl = rlp_buf_finish(&b);
		assert_true(bl > 0);
	}
	len = seal_eip8(msg, sizeof(msg), body, (size_t)bl, pub_b);
	rlpx_hs_fini(&hs_b);
	assert_int_equal(rlpx_hs_init_recipient(&hs_b, EIP8_STATIC_KEY_B, T0),
			 0);
	ops = secp_ec_ops();
	assert_int_equal(rlpx_hs_feed(&hs_b, out, sizeof(out), &ol, msg, len,
				      T0), -EBADMSG);
	expect_failed(&hs_b, -EBADMSG);
	assert_int_equal(secp_ec_ops(), ops + 1);       /* the envelope only */
}

/* Calls each state does not accept return -EPROTO and change nothing. */
static void expect_unchanged_eproto(struct rlpx_hs *hs)
{
	static struct rlpx_hs before;
	struct rlpx_secrets s;
	uint8_t rpub[64];
	size_t ol = 7;
	enum rlpx_hs_state st = rlpx_hs_state(hs);

	memcpy(&before, hs, sizeof(before));
	if (st != RLPX_HS_AUTH_SENT && st != RLPX_HS_WAIT_AUTH) {
		assert_int_equal(rlpx_hs_feed(hs, out, sizeof(out), &ol,
					      EIP8_AUTH2, EIP8_AUTH2_LEN, T0),
				 -EPROTO);
		assert_int_equal(ol, 7);
		assert_int_equal(rlpx_hs_on_timer(hs, T0 + 100 * SEC),
				 -EPROTO);
		assert_int_equal(rlpx_hs_next_deadline(hs),
				 RLPX_HS_NO_DEADLINE);
	}
	if (st != RLPX_HS_INIT) {
		assert_int_equal(rlpx_hs_init_recipient(hs, EIP8_STATIC_KEY_B,
							T0), -EPROTO);
		assert_int_equal(rlpx_hs_init_initiator(hs, out, sizeof(out),
					EIP8_STATIC_KEY_A, pub_b, T0), -EPROTO);
		assert_int_equal(rlpx_hs_inject(hs, EIP8_EPHEMERAL_KEY_A,
						EIP8_NONCE_A), -EPROTO);
	}
	if (st != RLPX_HS_DONE || hs->taken)
		assert_int_equal(rlpx_hs_take(hs, &s, rpub), -EPROTO);
	assert_memory_equal(&before, hs, sizeof(before));
}

static void test_rlpx_wrong_state_calls(void **state)
{
	size_t ol;

	(void)state;
	/* INIT */
	expect_unchanged_eproto(&hs_b);
	/* WAIT_AUTH, part of an auth buffered; also the caller bug of a
	 * small out buffer changes nothing. */
	assert_int_equal(rlpx_hs_init_recipient(&hs_b, EIP8_STATIC_KEY_B, T0),
			 0);
	assert_int_equal(rlpx_hs_feed(&hs_b, out, sizeof(out), &ol, EIP8_AUTH2,
				      10, T0), 10);
	expect_unchanged_eproto(&hs_b);
	{
		static struct rlpx_hs before;

		memcpy(&before, &hs_b, sizeof(before));
		assert_int_equal(rlpx_hs_feed(&hs_b, out, 10, &ol,
					      EIP8_AUTH2 + 10, 5, T0), -EINVAL);
		assert_memory_equal(&before, &hs_b, sizeof(before));
	}
	/* DONE, before and after take */
	assert_int_equal(rlpx_hs_feed(&hs_b, out, sizeof(out), &ol,
				      EIP8_AUTH2 + 10, EIP8_AUTH2_LEN - 10,
				      T0), EIP8_AUTH2_LEN - 10);
	assert_int_equal(rlpx_hs_state(&hs_b), RLPX_HS_DONE);
	expect_unchanged_eproto(&hs_b);
	{
		struct rlpx_secrets s;
		uint8_t rpub[64];

		assert_int_equal(rlpx_hs_take(&hs_b, &s, rpub), 0);
		rlpx_secrets_wipe(&s);
	}
	expect_unchanged_eproto(&hs_b);
	/* AUTH_SENT */
	assert_true(rlpx_hs_init_initiator(&hs_a, out, sizeof(out),
					   EIP8_STATIC_KEY_A, pub_b, T0) > 0);
	expect_unchanged_eproto(&hs_a);
	/* FAILED */
	assert_int_equal(rlpx_hs_on_timer(&hs_a, T0 + 5 * SEC), -ETIMEDOUT);
	expect_unchanged_eproto(&hs_a);
	/* fini makes it INIT again, usable */
	rlpx_hs_fini(&hs_a);
	assert_int_equal(rlpx_hs_state(&hs_a), RLPX_HS_INIT);
	assert_int_equal(rlpx_hs_init_recipient(&hs_a, EIP8_STATIC_KEY_A, T0),
			 0);
}

/* Init rejects bad keys and a small buffer and stays in INIT. */
static void test_rlpx_init_rejects(void **state)
{
	static const uint8_t zero[32];
	uint8_t bad[64];

	(void)state;
	memcpy(bad, pub_b, 64);
	bad[0] ^= 1;
	assert_int_equal(rlpx_hs_init_initiator(&hs_a, out, sizeof(out),
						EIP8_STATIC_KEY_A, bad, T0),
			 -EINVAL);
	assert_int_equal(rlpx_hs_init_initiator(&hs_a, out, sizeof(out), zero,
						pub_b, T0), -EINVAL);
	assert_int_equal(rlpx_hs_init_initiator(&hs_a, out, 100,
						EIP8_STATIC_KEY_A, pub_b, T0),
			 -EINVAL);
	assert_int_equal(rlpx_hs_init_recipient(&hs_a, zero, T0), -EINVAL);
	assert_int_equal(rlpx_hs_inject(&hs_a, zero, EIP8_NONCE_A), -EINVAL);
	assert_int_equal(rlpx_hs_state(&hs_a), RLPX_HS_INIT);
	assert_true(all_zero(&hs_a, sizeof(hs_a)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_rlpx_recipient_auth2_secrets,
				       reset),
		cmocka_unit_test_setup(test_rlpx_initiator_ack2_secrets, reset),
		cmocka_unit_test_setup(test_rlpx_recipient_all_auths, reset),
		cmocka_unit_test_setup(test_rlpx_initiator_all_acks, reset),
		cmocka_unit_test_setup(test_rlpx_pair_both_orders_fragmented,
				       reset),
		cmocka_unit_test_setup(test_rlpx_initiator_leaves_trailing_bytes,
				       reset),
		cmocka_unit_test_setup(test_rlpx_truncated_auth_times_out,
				       reset),
		cmocka_unit_test_setup(test_rlpx_slowloris, reset),
		cmocka_unit_test_setup(test_rlpx_size_prefix_rules, reset),
		cmocka_unit_test_setup(test_rlpx_garbage, reset),
		cmocka_unit_test_setup(test_rlpx_bad_mac, reset),
		cmocka_unit_test_setup(test_rlpx_invalid_points, reset),
		cmocka_unit_test_setup(test_rlpx_wrong_state_calls, reset),
		cmocka_unit_test_setup(test_rlpx_init_rejects, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
