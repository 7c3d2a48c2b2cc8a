/* SPDX-License-Identifier: MIT */
/* tests/common/test_rlpx_frame.c - RLPx secrets (EIP-8 vectors) and frame codec. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <intel-ipsec-mb.h>

#include "common/hex.h"
#include "common/keccak.h"
#include "common/rlpx_frame.h"
#include "common/secp.h"
#include "tests/vectors/eip8_vectors.h"

/*
 * Known-answer frames. The EIP has no frame vector, so these were produced by
 * an independent implementation, @ethereumjs/devp2p 10.0.0 (src/rlpx/ecies.ts
 * and mac.ts; node 20, `npm i @ethereumjs/devp2p` under /tmp). A script set
 * up both ECIES objects from the EIP-8 handshake vector (ephemeral keys A and
 * B, nonces A and B, Auth2 and Ack2 as sent, A initiating) through
 * ECIES._setupFrame(), checked B's ingress-mac("foo") against the EIP, then
 * called createBlockHeader(len) || createBody(payload) on A for the four
 * payloads below in order (B opened each with parseHeader/parseBody), and
 * once on B for "hello from B".
 */
static const struct {
	const char *payload;
	const char *frame;
} kat_a_to_b[] = {
	{ "",
	  "f25920f27a7e8fa7ba4cbb3756ff0ca1c4ecadfc751d719f4cf5fc8aadb33c7d"
	  "73a852e8c292e646f58956c83e36c836" },
	{ "c0",
	  "3fb3d31f6c6ee2c8e2a40120778b1d76412b52f76ac9d00d41727045db2f0d63"
	  "06b293a9354b17b2f98088cc80674b690b7616bf46d4cfa827e855929ab3b555" },
	{ "000102030405060708090a0b0c0d0e0f10",
	  "bd6c4476bd7812cb24452f012951442bc15f6f7bf612b2e948abc9c8e07d3223"
	  "132434ea66848099d434de862c77f6e1d807e208dba80d38e0c99b0908f50f0a"
	  "85440007e9db6c9183d654e00f119dcb" },
	{ "646576706c616e6520726c7078206672616d65206b6e6f776e20616e73776572",
	  "d4ce3950128c1bd481e4c8ff53d2928638db75bd202df9bd4c78d1fe91e81621"
	  "0148973f3568c2c6ec8e8cbfe3bdf6f3c7d8ca2d1c6ed5fa0b8673cdf0251cd9"
	  "84152e3f7f17c39de1f494f6a0c5a72d" },
};
#define KAT_B_TO_A_PAYLOAD "68656c6c6f2066726f6d2042"
#define KAT_B_TO_A_FRAME \
	"f2592cf27a7e8fa7ba4cbb3756ff0ca1d376ebbecd78bbe5e48cee39de7cc053" \
	"57d6beb183ce84ba8dc92162778b1d7659120ef5b77fd90ed89a23a6616d8293"

static size_t unhex(uint8_t *out, size_t cap, const char *s)
{
	ssize_t n = hex_decode(out, cap, s, strlen(s));

	assert_true(n >= 0);
	return (size_t)n;
}

/* Both ends of the EIP-8 session: A initiates with Auth2, B answers Ack2. */
static void eip8_secrets(struct rlpx_secrets *a, struct rlpx_secrets *b)
{
	uint8_t pub_a[SECP_PUB_LEN], pub_b[SECP_PUB_LEN];

	assert_int_equal(secp_pub_from_priv(pub_a, EIP8_EPHEMERAL_KEY_A), 0);
	assert_int_equal(secp_pub_from_priv(pub_b, EIP8_EPHEMERAL_KEY_B), 0);
	assert_int_equal(rlpx_secrets_derive(a, EIP8_EPHEMERAL_KEY_A, pub_b,
					     EIP8_NONCE_A, EIP8_NONCE_B,
					     EIP8_AUTH2, EIP8_AUTH2_LEN,
					     EIP8_ACK2, EIP8_ACK2_LEN,
					     RLPX_INITIATOR), 0);
	assert_int_equal(rlpx_secrets_derive(b, EIP8_EPHEMERAL_KEY_B, pub_a,
					     EIP8_NONCE_A, EIP8_NONCE_B,
					     EIP8_AUTH2, EIP8_AUTH2_LEN,
					     EIP8_ACK2, EIP8_ACK2_LEN,
					     RLPX_RECIPIENT), 0);
}

static void eip8_frames(struct rlpx_frame *a, struct rlpx_frame *b,
			size_t cap_a, size_t cap_b)
{
	struct rlpx_secrets sa, sb;

	eip8_secrets(&sa, &sb);
	assert_int_equal(rlpx_frame_init(a, &sa, cap_a), 0);
	assert_int_equal(rlpx_frame_init(b, &sb, cap_b), 0);
	rlpx_secrets_wipe(&sa);
	rlpx_secrets_wipe(&sb);
}

static void test_rlpx_secrets_eip8_recipient(void **state)
{
	struct rlpx_secrets a, b;
	struct keccak_ctx k;
	uint8_t d[KECCAK256_LEN], d2[KECCAK256_LEN];

	(void)state;
	eip8_secrets(&a, &b);
	/* EIP-8: secrets node B derives for (Auth2, Ack2). */
	assert_memory_equal(b.aes, EIP8_AES_SECRET, 32);
	assert_memory_equal(b.mac, EIP8_MAC_SECRET, 32);
	k = b.ingress_mac;
	keccak256_update(&k, (const uint8_t *)"foo", 3);
	keccak256_final(&k, d);
	assert_memory_equal(d, EIP8_INGRESS_MAC_FOO, 32);

	/* A agrees on the secrets, and each side's egress is the other's
	 * ingress. */
	assert_memory_equal(a.aes, EIP8_AES_SECRET, 32);
	assert_memory_equal(a.mac, EIP8_MAC_SECRET, 32);
	keccak256_peek(&a.egress_mac, d);
	keccak256_peek(&b.ingress_mac, d2);
	assert_memory_equal(d, d2, 32);
	keccak256_peek(&b.egress_mac, d);
	keccak256_peek(&a.ingress_mac, d2);
	assert_memory_equal(d, d2, 32);
	/* ...and the two directions differ. */
	keccak256_peek(&a.ingress_mac, d);
	keccak256_peek(&a.egress_mac, d2);
	assert_memory_not_equal(d, d2, 32);

	rlpx_secrets_wipe(&b);
	for (size_t i = 0; i < sizeof(b); i++)
		assert_int_equal(((uint8_t *)&b)[i], 0);
}

static void test_rlpx_secrets_nonce_order_matters(void **state)
{
	uint8_t shared[32];
	struct rlpx_secrets ok, swapped;

	(void)state;
	memset(shared, 0x5a, sizeof(shared));
	rlpx_secrets_from_shared(&ok, shared, EIP8_NONCE_A, EIP8_NONCE_B,
				 EIP8_AUTH2, EIP8_AUTH2_LEN, EIP8_ACK2,
				 EIP8_ACK2_LEN, RLPX_RECIPIENT);
	rlpx_secrets_from_shared(&swapped, shared, EIP8_NONCE_B, EIP8_NONCE_A,
				 EIP8_AUTH2, EIP8_AUTH2_LEN, EIP8_ACK2,
				 EIP8_ACK2_LEN, RLPX_RECIPIENT);
	assert_memory_not_equal(ok.aes, swapped.aes, 32);
}

static void test_rlpx_secrets_derive_rejects_bad_input(void **state)
{
	struct rlpx_secrets s;
	uint8_t pub[SECP_PUB_LEN];
	uint8_t zero[32] = { 0 };

	(void)state;
	assert_int_equal(secp_pub_from_priv(pub, EIP8_EPHEMERAL_KEY_B), 0);
	assert_int_equal(rlpx_secrets_derive(&s, zero, pub, EIP8_NONCE_A,
					     EIP8_NONCE_B, EIP8_AUTH2,
					     EIP8_AUTH2_LEN, EIP8_ACK2,
					     EIP8_ACK2_LEN, RLPX_INITIATOR),
			 -EINVAL);
	pub[63] ^= 1;                   /* off the curve */
	assert_int_equal(rlpx_secrets_derive(&s, EIP8_EPHEMERAL_KEY_A, pub,
					     EIP8_NONCE_A, EIP8_NONCE_B,
					     EIP8_AUTH2, EIP8_AUTH2_LEN,
					     EIP8_ACK2, EIP8_ACK2_LEN,
					     RLPX_INITIATOR), -EINVAL);
	pub[63] ^= 1;
	assert_int_equal(rlpx_secrets_derive(&s, EIP8_EPHEMERAL_KEY_A, pub,
					     EIP8_NONCE_A, EIP8_NONCE_B,
					     EIP8_AUTH2, EIP8_AUTH2_LEN,
					     EIP8_ACK2, EIP8_ACK2_LEN,
					     (enum rlpx_role)7), -EINVAL);
}

static void test_rlpx_frame_known_answer_ethereumjs(void **state)
{
	struct rlpx_frame a, b;
	uint8_t payload[64], want[128], got[128], plain[64];
	size_t plen, wlen, n;

	(void)state;
	eip8_frames(&a, &b, 0, 0);
	for (size_t i = 0; i < sizeof(kat_a_to_b) / sizeof(kat_a_to_b[0]); i++) {
		plen = unhex(payload, sizeof(payload), kat_a_to_b[i].payload);
		wlen = unhex(want, sizeof(want), kat_a_to_b[i].frame);
		assert_int_equal(rlpx_frame_sealed_len(plen), wlen);
		assert_int_equal(rlpx_frame_seal(&a, got, sizeof(got), payload,
						 plen), (ssize_t)wlen);
		assert_memory_equal(got, want, wlen);
		assert_int_equal(rlpx_frame_open(&b, plain, sizeof(plain), &n,
						 want, wlen), (ssize_t)wlen);
		assert_int_equal(n, plen);
		if (plen)
			assert_memory_equal(plain, payload, plen);
	}
	plen = unhex(payload, sizeof(payload), KAT_B_TO_A_PAYLOAD);
	wlen = unhex(want, sizeof(want), KAT_B_TO_A_FRAME);
	assert_int_equal(rlpx_frame_seal(&b, got, sizeof(got), payload, plen),
			 (ssize_t)wlen);
	assert_memory_equal(got, want, wlen);
	assert_int_equal(rlpx_frame_open(&a, plain, sizeof(plain), &n, want,
					 wlen), (ssize_t)wlen);
	assert_int_equal(n, plen);
	assert_memory_equal(plain, payload, plen);
	rlpx_frame_fini(&a);
	rlpx_frame_fini(&b);
}

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 131 + seed * 7 + (i >> 8));
}

static const size_t rt_sizes[] = { 0, 1, 15, 16, 17, 1024, 16384, 65536 };

static void test_rlpx_frame_round_trip_sizes(void **state)
{
	struct rlpx_frame a, b;
	size_t cap = rlpx_frame_sealed_len(65536);
	uint8_t *wire = malloc(cap), *payload = malloc(65536),
		*plain = malloc(65536);
	size_t n;

	(void)state;
	assert_non_null(wire);
	assert_non_null(payload);
	assert_non_null(plain);
	eip8_frames(&a, &b, 0, 0);
	/* Three passes so the CTR and MAC streams run on across many frames,
	 * in both directions, interleaved. */
	for (unsigned pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < sizeof(rt_sizes) / sizeof(rt_sizes[0]); i++) {
			size_t len = rt_sizes[i];
			struct rlpx_frame *tx = (i + pass) & 1 ? &b : &a;
			struct rlpx_frame *rx = tx == &a ? &b : &a;
			ssize_t w;

			fill(payload, len, pass * 16 + (unsigned)i);
			w = rlpx_frame_seal(tx, wire, cap, payload, len);
			assert_int_equal(w, (ssize_t)rlpx_frame_sealed_len(len));
			if (len >= 16)  /* it is not plaintext */
				assert_memory_not_equal(wire + 32, payload, 16);
			memset(plain, 0xee, len);
			assert_int_equal(rlpx_frame_open(rx, plain, len, &n,
							 wire, (size_t)w), w);
			assert_int_equal(n, len);
			if (len)
				assert_memory_equal(plain, payload, len);
		}
	}
	rlpx_frame_fini(&a);
	rlpx_frame_fini(&b);
	free(wire);
	free(payload);
	free(plain);
}

static void test_rlpx_frame_split_api_in_place(void **state)
{
	struct rlpx_frame a, b;
	uint8_t wire[32 + 48 + 16], payload[40];
	size_t size = 0;
	ssize_t body;

	(void)state;
	eip8_frames(&a, &b, 0, 0);
	fill(payload, sizeof(payload), 3);
	assert_int_equal(rlpx_frame_seal(&a, wire, sizeof(wire), payload, 40),
			 (ssize_t)sizeof(wire));
	/* body before header is a caller bug */
	assert_int_equal(rlpx_frame_open_body(&b, wire + 32, 64, wire + 32, 64),
			 -EPROTO);
	body = rlpx_frame_open_header(&b, &size, wire);
	assert_int_equal(body, 48 + 16);
	assert_int_equal(size, 40);
	/* a second header while the body is due */
	assert_int_equal(rlpx_frame_open_header(&b, &size, wire), -EPROTO);
	assert_int_equal(rlpx_frame_open(&b, payload, 40, &size, wire,
					 sizeof(wire)), -EPROTO);
	/* wrong body length, too small output: refused, nothing changes */
	assert_int_equal(rlpx_frame_open_body(&b, wire + 32, 64, wire + 32, 63),
			 -EINVAL);
	assert_int_equal(rlpx_frame_open_body(&b, wire + 32, 39, wire + 32, 64),
			 -ENOBUFS);
	/* decrypt in place */
	assert_int_equal(rlpx_frame_open_body(&b, wire + 32, 64, wire + 32, 64),
			 40);
	assert_memory_equal(wire + 32, payload, 40);
	assert_false(b.poisoned);
	rlpx_frame_fini(&a);
	rlpx_frame_fini(&b);
}

/* Sends one frame, flips byte `at` of it, expects the receiver to reject it
 * with err and then to be dead in both directions. */
static void tamper_case(size_t at, ssize_t err)
{
	struct rlpx_frame a, b;
	uint8_t wire[32 + 32 + 16], payload[20], plain[20];
	size_t n;

	eip8_frames(&a, &b, 0, 0);
	fill(payload, sizeof(payload), (unsigned)at);
	assert_int_equal(rlpx_frame_seal(&a, wire, sizeof(wire), payload, 20),
			 (ssize_t)sizeof(wire));
	wire[at] ^= 0x01;
	assert_int_equal(rlpx_frame_open(&b, plain, sizeof(plain), &n, wire,
					 sizeof(wire)), err);
	assert_true(b.poisoned);
	wire[at] ^= 0x01;               /* even the genuine frame now fails */
	assert_int_equal(rlpx_frame_open(&b, plain, sizeof(plain), &n, wire,
					 sizeof(wire)), -EPROTO);
	assert_int_equal(rlpx_frame_open_header(&b, &n, wire), -EPROTO);
	assert_int_equal(rlpx_frame_seal(&b, wire, sizeof(wire), payload, 20),
			 -EPROTO);
	rlpx_frame_fini(&a);
	rlpx_frame_fini(&b);
}

static void test_rlpx_frame_tampered_rejected_and_poisoned(void **state)
{
	(void)state;
	tamper_case(0, -EKEYREJECTED);  /* header-ciphertext, frame-size */
	tamper_case(5, -EKEYREJECTED);  /* header-ciphertext, header-data */
	tamper_case(15, -EKEYREJECTED); /* header padding */
	tamper_case(16, -EKEYREJECTED); /* header-mac */
	tamper_case(31, -EKEYREJECTED);
	tamper_case(32, -EKEYREJECTED); /* frame-ciphertext */
	tamper_case(32 + 25, -EKEYREJECTED); /* frame padding */
	tamper_case(64, -EKEYREJECTED); /* frame-mac */
	tamper_case(79, -EKEYREJECTED);
}

static void test_rlpx_frame_split_body_tamper_poisons(void **state)
{
	struct rlpx_frame a, b;
	uint8_t wire[32 + 16 + 16], payload[16], plain[16];
	size_t size;

	(void)state;
	eip8_frames(&a, &b, 0, 0);
	fill(payload, 16, 9);
	assert_int_equal(rlpx_frame_seal(&a, wire, sizeof(wire), payload, 16),
			 64);
	assert_int_equal(rlpx_frame_open_header(&b, &size, wire), 32);
	wire[40] ^= 0x80;
	assert_int_equal(rlpx_frame_open_body(&b, plain, 16, wire + 32, 32),
			 -EKEYREJECTED);
	assert_int_equal(rlpx_frame_open_body(&b, plain, 16, wire + 32, 32),
			 -EPROTO);
	rlpx_frame_fini(&a);
	rlpx_frame_fini(&b);
}

static void test_rlpx_frame_oversized(void **state)
{
	struct rlpx_frame a, b;
	uint8_t *wire, payload[2048] = { 0 }, plain[2048];
	size_t n;

	(void)state;
	wire = malloc(rlpx_frame_sealed_len(2048));
	assert_non_null(wire);
	/* A sends up to the default cap, B accepts at most 1024 bytes. */
	eip8_frames(&a, &b, 0, 1024);
	assert_int_equal(rlpx_frame_seal(&b, wire, 4096, payload, 1025),
			 -EMSGSIZE);
	assert_false(b.poisoned);       /* a refused seal changes nothing */
	assert_int_equal(rlpx_frame_seal(&a, wire, 4096, payload, 1024),
			 (ssize_t)rlpx_frame_sealed_len(1024));
	assert_int_equal(rlpx_frame_open(&b, plain, sizeof(plain), &n, wire,
					 rlpx_frame_sealed_len(1024)),
			 (ssize_t)rlpx_frame_sealed_len(1024));
	assert_int_equal(rlpx_frame_seal(&a, wire, 4096, payload, 1025),
			 (ssize_t)rlpx_frame_sealed_len(1025));
	/* The header alone is enough to refuse it; B is then dead. */
	assert_int_equal(rlpx_frame_open(&b, plain, sizeof(plain), &n, wire,
					 RLPX_FRAME_HEAD_LEN), -EMSGSIZE);
	assert_true(b.poisoned);
	assert_int_equal(rlpx_frame_open(&b, plain, sizeof(plain), &n, wire,
					 rlpx_frame_sealed_len(1025)), -EPROTO);
	rlpx_frame_fini(&a);
	rlpx_frame_fini(&b);

	/* The 24-bit field: a cap above it is clamped, and seal refuses. */
	eip8_frames(&a, &b, (size_t)1 << 30, 0);
	assert_int_equal(a.cap, RLPX_FRAME_SIZE_MAX);
	assert_int_equal(b.cap, RLPX_FRAME_SIZE_MAX);
	assert_int_equal(rlpx_frame_seal(&a, wire, SIZE_MAX, payload,
					 (size_t)RLPX_FRAME_SIZE_MAX + 1),
			 -EMSGSIZE);
	rlpx_frame_fini(&a);
	rlpx_frame_fini(&b);
	free(wire);
}

static void test_rlpx_frame_truncated_needs_more(void **state)
{
	struct rlpx_frame a, b;
	uint8_t wire[3 * (32 + 1024 + 16)], payload[1024], plain[1024];
	size_t len[3] = { 1024, 5, 300 }, off = 0, total = 0, n;

	(void)state;
	eip8_frames(&a, &b, 0, 0);
	for (int i = 0; i < 3; i++) {
		fill(payload, len[i], (unsigned)i);
		total += (size_t)rlpx_frame_seal(&a, wire + total,
						 sizeof(wire) - total,
						 payload, len[i]);
	}
	/* Feed the stream one byte more at a time: every prefix short of a
	 * whole frame is -EAGAIN and leaves the state as it was. */
	for (int i = 0; i < 3; i++) {
		size_t flen = rlpx_frame_sealed_len(len[i]);
		ssize_t rc;

		for (size_t have = 0; have < flen; have++) {
			rc = rlpx_frame_open(&b, plain, sizeof(plain), &n,
					     wire + off, have);
			assert_int_equal(rc, -EAGAIN);
		}
		/* too small an output buffer is refused without harm */
		assert_int_equal(rlpx_frame_open(&b, plain, len[i] - 1, &n,
						 wire + off, total - off),
				 -ENOBUFS);
		rc = rlpx_frame_open(&b, plain, sizeof(plain), &n, wire + off,
				     total - off);
		assert_int_equal(rc, (ssize_t)flen);
		assert_int_equal(n, len[i]);
		fill(payload, len[i], (unsigned)i);
		assert_memory_equal(plain, payload, len[i]);
		off += flen;
	}
	assert_int_equal(off, total);
	rlpx_frame_fini(&a);
	rlpx_frame_fini(&b);
}

static void test_rlpx_frame_seal_errors(void **state)
{
	struct rlpx_frame a, b;
	uint8_t wire[64], payload[17] = { 0 };

	(void)state;
	eip8_frames(&a, &b, 0, 0);
	/* 17 bytes need 32 + 32 + 16 = 80 */
	assert_int_equal(rlpx_frame_seal(&a, wire, sizeof(wire), payload, 17),
			 -ENOBUFS);
	assert_false(a.poisoned);
	rlpx_frame_fini(&a);
	/* fini wipes and leaves a dead state */
	assert_int_equal(rlpx_frame_seal(&a, wire, sizeof(wire), payload, 1),
			 -EPROTO);
	for (size_t i = 0; i < sizeof(a.aes_sched); i++)
		assert_int_equal(a.aes_sched[i], 0);
	rlpx_frame_fini(&b);
}

/* AES-256 of one block under key, through IPsec-MB's ECB: the reference for
 * the CTR keystream below. */
static void ref_aes(const uint8_t key[32], uint8_t out[16], const uint8_t in[16])
{
	_Alignas(16) uint8_t enc[240], dec[240];
	IMB_MGR *m = alloc_mb_mgr(0);
	IMB_JOB *job;

	assert_non_null(m);
	init_mb_mgr_auto(m, NULL);
	IMB_AES_KEYEXP_256(m, key, enc, dec);
	job = IMB_GET_NEXT_JOB(m);
	job->cipher_mode = IMB_CIPHER_ECB;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->hash_alg = IMB_AUTH_NULL;
	job->enc_keys = enc;
	job->dec_keys = dec;
	job->key_len_in_bytes = 32;
	job->src = in;
	job->dst = out;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = 16;
	job->iv = NULL;
	job->iv_len_in_bytes = 0;
	job = IMB_SUBMIT_JOB(m);
	while (!job)
		job = IMB_FLUSH_JOB(m);
	assert_int_equal(job->status, IMB_STATUS_COMPLETED);
	free_mb_mgr(m);
}

/* The counter is 128-bit big-endian (geth: cipher.NewCTR). IPsec-MB only
 * increments the low 32 bits, so a frame that crosses 2^32 or 2^64 blocks
 * must carry into the upper words. Checked against single-block AES. */
static void test_rlpx_frame_ctr_carries_128_bits(void **state)
{
	static const uint8_t starts[][16] = {
		{ [12] = 0xff, 0xff, 0xff, 0xfe },
		{ [8] = 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd },
		{ [0 ... 15] = 0xff },
	};
	struct rlpx_secrets sa, sb;
	uint8_t payload[80], wire[32 + 80 + 16], plain[80];
	size_t n;

	(void)state;
	eip8_secrets(&sa, &sb);
	fill(payload, sizeof(payload), 1);
	for (size_t t = 0; t < sizeof(starts) / sizeof(starts[0]); t++) {
		struct rlpx_frame a, b;
		uint8_t ctr[16];

		assert_int_equal(rlpx_frame_init(&a, &sa, 0), 0);
		assert_int_equal(rlpx_frame_init(&b, &sb, 0), 0);
		memcpy(a.egress.ctr, starts[t], 16);
		memcpy(b.ingress.ctr, starts[t], 16);
		assert_int_equal(rlpx_frame_seal(&a, wire, sizeof(wire),
						 payload, 80),
				 (ssize_t)sizeof(wire));
		memcpy(ctr, starts[t], 16);
		for (size_t blk = 0; blk < 6; blk++) {
			uint8_t ks[16];
			const uint8_t *ct = blk == 0 ? wire
						     : wire + 32 + 16 * (blk - 1);

			ref_aes(EIP8_AES_SECRET, ks, ctr);
			for (int i = 0; i < 16; i++) {
				uint8_t p = blk == 0 ? 0 : payload[16 * (blk - 1) + i];

				if (blk == 0)   /* the header: 00 00 50 c2 80 80 0... */
					p = (uint8_t[16]){ 0, 0, 80, 0xc2, 0x80, 0x80 }[i];
				assert_int_equal(ct[i] ^ ks[i], p);
			}
			for (int i = 15; i >= 0; i--)
				if (++ctr[i])
					break;
		}
		assert_memory_equal(a.egress.ctr, ctr, 16);
		assert_int_equal(rlpx_frame_open(&b, plain, sizeof(plain), &n,
						 wire, sizeof(wire)),
				 (ssize_t)sizeof(wire));
		assert_memory_equal(plain, payload, 80);
		assert_memory_equal(b.ingress.ctr, ctr, 16);
		rlpx_frame_fini(&a);
		rlpx_frame_fini(&b);
	}
	rlpx_secrets_wipe(&sa);
	rlpx_secrets_wipe(&sb);
}

/* ---- batches ------------------------------------------------------------ */

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Both ends of a session with random secrets and the given cap. */
static void random_pair(struct rlpx_frame *a, struct rlpx_frame *b,
			uint64_t *rng, size_t cap)
{
	uint8_t sh[32], ni[32], nr[32], auth[41], ack[57];
	size_t auth_len, ack_len;
	struct rlpx_secrets s;

	for (size_t i = 0; i < 32; i++) {
		sh[i] = (uint8_t)rnd(rng);
		ni[i] = (uint8_t)rnd(rng);
		nr[i] = (uint8_t)rnd(rng);
	}
	for (size_t i = 0; i < sizeof(auth); i++)
		auth[i] = (uint8_t)rnd(rng);
	for (size_t i = 0; i < sizeof(ack); i++)
		ack[i] = (uint8_t)rnd(rng);
	/* auth and ack of random length, so the MACs start at any offset */
	auth_len = 1 + rnd(rng) % sizeof(auth);
	ack_len = 1 + rnd(rng) % sizeof(ack);
	rlpx_secrets_from_shared(&s, sh, ni, nr, auth, auth_len, ack, ack_len,
				 RLPX_INITIATOR);
	assert_int_equal(rlpx_frame_init(a, &s, cap), 0);
	rlpx_secrets_from_shared(&s, sh, ni, nr, auth, auth_len, ack, ack_len,
				 RLPX_RECIPIENT);
	assert_int_equal(rlpx_frame_init(b, &s, cap), 0);
	rlpx_secrets_wipe(&s);
}

static void assert_dir_equal(const struct rlpx_frame_dir *x,
			     const struct rlpx_frame_dir *y)
{
	assert_memory_equal(x->ctr, y->ctr, 16);
	assert_memory_equal(x->mac.s, y->mac.s, sizeof(x->mac.s));
	assert_int_equal(x->mac.pos, y->mac.pos);
}

static void assert_frame_equal(const struct rlpx_frame *x,
			       const struct rlpx_frame *y)
{
	assert_dir_equal(&x->egress, &y->egress);
	assert_dir_equal(&x->ingress, &y->ingress);
	assert_int_equal(x->poisoned, y->poisoned);
	assert_int_equal(x->have_header, y->have_header);
	assert_int_equal(x->body_pending, y->body_pending);
}

#define BT_SESS   11            /* sessions per run */
#define BT_OPS    40            /* ops per batch: above the 16 in lockstep */
#define BT_MAXLEN 5000

/* Every session twice: [0] runs the single-frame calls, [1] the batches. */
struct bt_sess {
	struct rlpx_frame tx[2], rx[2];
};

static size_t bt_len(uint64_t *rng)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 100, 1024, 4097 };
	uint64_t r = rnd(rng);

	return r % 3 ? lens[(r >> 8) % 8] : (size_t)(r >> 8) % BT_MAXLEN;
}

/*
 * Random sessions (some with a 4 KiB cap), rounds of BT_OPS frames over
 * random sessions (repeats included) and sizes. Each round seals through
 * rlpx_frame_seal() on one copy of the sessions and rlpx_frame_seal_batch()
 * on the other, then opens the frames in the same order, alternately
 * whole (rlpx_frame_open vs _open_batch) and split (open_header/open_body
 * vs their batches). Some ops are made to fail: output too small, input
 * cut short (then that session's later frames fail their MAC and poison
 * it). Return codes, output bytes and session states must match.
 */
static void test_rlpx_frame_batch_matches_single(void **state)
{
	struct bt_sess *ss = calloc(BT_SESS, sizeof(*ss));
	size_t wcap = rlpx_frame_sealed_len(BT_MAXLEN);
	uint8_t *payload = malloc(BT_MAXLEN);
	uint8_t *wire[2], *plain[2];
	struct rlpx_frame_op op[BT_OPS];
	size_t sess[BT_OPS], len[BT_OPS], cap[BT_OPS], in_len[BT_OPS];
	ssize_t rc1[BT_OPS];
	size_t fs1[BT_OPS];
	uint64_t rng = 0x0123456789abcdefULL;
	unsigned n_opened = 0, n_bad_mac = 0, n_again = 0, n_nobufs = 0,
		 n_msgsize = 0;

	(void)state;
	for (int c = 0; c < 2; c++) {
		wire[c] = malloc(BT_OPS * wcap);
		plain[c] = malloc(BT_OPS * BT_MAXLEN);
		assert_non_null(wire[c]);
		assert_non_null(plain[c]);
	}
	assert_non_null(ss);
	assert_non_null(payload);
	for (size_t i = 0; i < BT_MAXLEN; i++)
		payload[i] = (uint8_t)rnd(&rng);
	for (size_t k = 0; k < BT_SESS; k++) {
		random_pair(&ss[k].tx[0], &ss[k].rx[0], &rng,
			    k % 4 == 3 ? 4096 : 0);
		memcpy(&ss[k].tx[1], &ss[k].tx[0], sizeof(ss[k].tx[0]));
		memcpy(&ss[k].rx[1], &ss[k].rx[0], sizeof(ss[k].rx[0]));
	}
	for (int round = 0; round < 32; round++) {
		size_t n = round == 0 ? 1 : 1 + rnd(&rng) % BT_OPS;
		bool split = round % 2;

		/* a session the last round killed starts over */
		for (size_t k = 0; k < BT_SESS; k++) {
			if (!ss[k].rx[0].poisoned)
				continue;
			rlpx_frame_fini(&ss[k].tx[0]);
			rlpx_frame_fini(&ss[k].rx[0]);
			random_pair(&ss[k].tx[0], &ss[k].rx[0], &rng,
				    k % 4 == 3 ? 4096 : 0);
			memcpy(&ss[k].tx[1], &ss[k].tx[0], sizeof(ss[k].tx[0]));
			memcpy(&ss[k].rx[1], &ss[k].rx[0], sizeof(ss[k].rx[0]));
		}

		for (size_t i = 0; i < n; i++) {
			sess[i] = rnd(&rng) % BT_SESS;
			len[i] = bt_len(&rng);
			cap[i] = rlpx_frame_sealed_len(len[i]);
			if (rnd(&rng) % 16 == 0)
				cap[i]--;               /* -ENOBUFS */
			rc1[i] = rlpx_frame_seal(&ss[sess[i]].tx[0],
						 wire[0] + i * wcap, cap[i],
						 payload, len[i]);
			op[i] = (struct rlpx_frame_op){
				.f = &ss[sess[i]].tx[1],
				.out = wire[1] + i * wcap, .out_cap = cap[i],
				.in = payload, .in_len = len[i] };
		}
		rlpx_frame_seal_batch(op, n);
		for (size_t i = 0; i < n; i++) {
			n_nobufs += rc1[i] == -ENOBUFS;
			n_msgsize += rc1[i] == -EMSGSIZE;
			assert_int_equal(op[i].rc, rc1[i]);
			if (rc1[i] > 0)
				assert_memory_equal(wire[1] + i * wcap,
						    wire[0] + i * wcap,
						    (size_t)rc1[i]);
		}
		for (size_t k = 0; k < BT_SESS; k++)
			assert_frame_equal(&ss[k].tx[0], &ss[k].tx[1]);

		/* open what was sealed, in order */
		for (size_t i = 0; i < n; i++) {
			struct rlpx_frame *rx = &ss[sess[i]].rx[0];
			uint8_t *w = wire[0] + i * wcap;
			uint8_t *out = plain[0] + i * BT_MAXLEN;
			size_t ocap = len[i];

			in_len[i] = rc1[i] > 0 ? (size_t)rc1[i] : 0;
			if (in_len[i] && rnd(&rng) % 40 == 0)
				in_len[i]--;            /* -EAGAIN / -EINVAL */
			if (len[i] && rnd(&rng) % 40 == 0)
				ocap--;                 /* -ENOBUFS */
			cap[i] = ocap;
			fs1[i] = 0;
			if (!split) {
				rc1[i] = rlpx_frame_open(rx, out, ocap, &fs1[i],
							 w, in_len[i]);
				continue;
			}
			if (in_len[i] < RLPX_FRAME_HEAD_LEN) {
				/* the batch's own error, after the state's */
				rc1[i] = rx->poisoned || rx->have_header ?
					 -EPROTO : -EINVAL;
				continue;
			}
			rc1[i] = rlpx_frame_open_header(rx, &fs1[i], w);
		}
		for (size_t i = 0; i < n; i++)
			op[i] = (struct rlpx_frame_op){
				.f = &ss[sess[i]].rx[1],
				.out = plain[1] + i * BT_MAXLEN,
				.out_cap = cap[i], .in = wire[1] + i * wcap,
				.in_len = in_len[i] };
		if (!split)
			rlpx_frame_open_batch(op, n);
		else
			rlpx_frame_open_header_batch(op, n);
		for (size_t i = 0; i < n; i++) {
			n_opened += !split && rc1[i] > 0;
			n_bad_mac += rc1[i] == -EKEYREJECTED;
			n_again += rc1[i] == -EAGAIN;
			assert_int_equal(op[i].rc, rc1[i]);
			if (rc1[i] >= 0)
				assert_int_equal(op[i].frame_size, fs1[i]);
			if (!split && rc1[i] > 0 && fs1[i])
				assert_memory_equal(plain[1] + i * BT_MAXLEN,
						    plain[0] + i * BT_MAXLEN,
						    fs1[i]);
		}
		for (size_t k = 0; k < BT_SESS; k++)
			assert_frame_equal(&ss[k].rx[0], &ss[k].rx[1]);
		if (!split)
			continue;
		/* the bodies whose headers opened, in order; a session whose
		 * header failed gets its body call anyway (-EPROTO) */
		for (size_t i = 0; i < n; i++) {
			size_t body = in_len[i] > RLPX_FRAME_HEAD_LEN ?
				      in_len[i] - RLPX_FRAME_HEAD_LEN : 0;

			uint8_t *w0 = wire[0] + i * wcap;

			rc1[i] = rlpx_frame_open_body(&ss[sess[i]].rx[0],
						      plain[0] + i * BT_MAXLEN,
						      cap[i],
						      w0 + RLPX_FRAME_HEAD_LEN,
						      body);
			op[i].in = wire[1] + i * wcap + RLPX_FRAME_HEAD_LEN;
			op[i].in_len = body;
		}
		rlpx_frame_open_body_batch(op, n);
		for (size_t i = 0; i < n; i++) {
			n_opened += rc1[i] >= 0;
			n_bad_mac += rc1[i] == -EKEYREJECTED;
			assert_int_equal(op[i].rc, rc1[i]);
			if (rc1[i] > 0)
				assert_memory_equal(plain[1] + i * BT_MAXLEN,
						    plain[0] + i * BT_MAXLEN,
						    (size_t)rc1[i]);
		}
		for (size_t k = 0; k < BT_SESS; k++)
			assert_frame_equal(&ss[k].rx[0], &ss[k].rx[1]);
	}
	/* the runs must have reached success and each failure */
	assert_true(n_opened > 150);
	assert_true(n_bad_mac > 0 && n_again > 0 && n_nobufs > 0 &&
		    n_msgsize > 0);
	for (size_t k = 0; k < BT_SESS; k++) {
		rlpx_frame_fini(&ss[k].tx[0]);
		rlpx_frame_fini(&ss[k].tx[1]);
		rlpx_frame_fini(&ss[k].rx[0]);
		rlpx_frame_fini(&ss[k].rx[1]);
	}
	for (int c = 0; c < 2; c++) {
		free(wire[c]);
		free(plain[c]);
	}
	free(payload);
	free(ss);
}

/* The ethereumjs frames through the batches: the EIP-8 session in one
 * batch with random sessions on either side, every frame of the vector
 * sealed in its own batch, then all opened in one batch. */
static void test_rlpx_frame_batch_known_answer(void **state)
{
	struct rlpx_frame a, b, other_tx[6], other_rx[6];
	uint8_t payload[4][64] = { { 0 } }, want[4][128], got[4][128];
	uint8_t plain[4][64];
	uint8_t ow[6][96], op_plain[6][64];
	size_t plen[4], wlen[4];
	struct rlpx_frame_op op[7];
	uint64_t rng = 77;

	(void)state;
	eip8_frames(&a, &b, 0, 0);
	for (size_t k = 0; k < 6; k++)
		random_pair(&other_tx[k], &other_rx[k], &rng, 0);
	for (size_t i = 0; i < 4; i++) {
		plen[i] = unhex(payload[i], sizeof(payload[i]),
				kat_a_to_b[i].payload);
		wlen[i] = unhex(want[i], sizeof(want[i]), kat_a_to_b[i].frame);
		for (size_t k = 0; k < 7; k++)
			op[k] = (struct rlpx_frame_op){
				.f = k == 3 ? &a : &other_tx[k - (k > 3)],
				.out = k == 3 ? got[i] : ow[k - (k > 3)],
				.out_cap = 96, .in = payload[i],
				.in_len = k == 3 ? plen[i] : 40 };
		rlpx_frame_seal_batch(op, 7);
		for (size_t k = 0; k < 7; k++)
			assert_true(op[k].rc > 0);
		assert_int_equal(op[3].rc, (ssize_t)wlen[i]);
		assert_memory_equal(got[i], want[i], wlen[i]);
		/* the random sessions' frames open on their single path */
		for (size_t k = 0; k < 6; k++) {
			size_t n;

			assert_int_equal(rlpx_frame_open(&other_rx[k],
							 op_plain[k], 64, &n,
							 ow[k], 96), 96);
			assert_int_equal(n, 40);
			assert_memory_equal(op_plain[k], payload[i], 40);
		}
	}
	/* the four frames of one session in one batch: cut into four */
	for (size_t i = 0; i < 4; i++)
		op[i] = (struct rlpx_frame_op){ .f = &b, .out = plain[i],
						.out_cap = 64, .in = want[i],
						.in_len = wlen[i] };
	rlpx_frame_open_batch(op, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(op[i].rc, (ssize_t)wlen[i]);
		assert_int_equal(op[i].frame_size, plen[i]);
		if (plen[i])
			assert_memory_equal(plain[i], payload[i], plen[i]);
	}
	for (size_t k = 0; k < 6; k++) {
		rlpx_frame_fini(&other_tx[k]);
		rlpx_frame_fini(&other_rx[k]);
	}
	rlpx_frame_fini(&a);
	rlpx_frame_fini(&b);
}

/* A bad header-mac in one op and a bad frame-mac in another: those two
 * sessions fail and are poisoned, the other six open and go on. */
static void test_rlpx_frame_batch_bad_mac_isolated(void **state)
{
	struct rlpx_frame tx[8], rx[8];
	uint8_t w[8][32 + 1024 + 16], out[8][1024], pl[1024];
	struct rlpx_frame_op op[8];
	uint64_t rng = 99;

	(void)state;
	fill(pl, sizeof(pl), 5);
	for (size_t k = 0; k < 8; k++)
		random_pair(&tx[k], &rx[k], &rng, 0);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < 8; k++)
			assert_int_equal(rlpx_frame_seal(&tx[k], w[k],
							 sizeof(w[k]), pl,
							 1000 + k), (ssize_t)
					 rlpx_frame_sealed_len(1000 + k));
		if (pass == 0) {
			w[2][20] ^= 0x10;       /* header-mac */
			w[5][500] ^= 0x01;      /* frame-ciphertext */
		}
		for (size_t k = 0; k < 8; k++)
			op[k] = (struct rlpx_frame_op){
				.f = &rx[k], .out = out[k], .out_cap = 1024,
				.in = w[k],
				.in_len = rlpx_frame_sealed_len(1000 + k) };
		rlpx_frame_open_batch(op, 8);
		for (size_t k = 0; k < 8; k++) {
			if (k == 2 || k == 5) {
				assert_int_equal(op[k].rc, pass == 0 ?
						 -EKEYREJECTED : -EPROTO);
				assert_true(rx[k].poisoned);
				continue;
			}
			assert_int_equal(op[k].rc, (ssize_t)
					 rlpx_frame_sealed_len(1000 + k));
			assert_int_equal(op[k].frame_size, 1000 + k);
			assert_memory_equal(out[k], pl, 1000 + k);
			assert_false(rx[k].poisoned);
		}
	}
	for (size_t k = 0; k < 8; k++) {
		rlpx_frame_fini(&tx[k]);
		rlpx_frame_fini(&rx[k]);
	}
}

static int teardown(void **state)
{
	(void)state;
	rlpx_frame_thread_fini();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rlpx_secrets_eip8_recipient),
		cmocka_unit_test(test_rlpx_secrets_nonce_order_matters),
		cmocka_unit_test(test_rlpx_secrets_derive_rejects_bad_input),
		cmocka_unit_test(test_rlpx_frame_known_answer_ethereumjs),
		cmocka_unit_test(test_rlpx_frame_round_trip_sizes),
		cmocka_unit_test(test_rlpx_frame_split_api_in_place),
		cmocka_unit_test(test_rlpx_frame_tampered_rejected_and_poisoned),
		cmocka_unit_test(test_rlpx_frame_split_body_tamper_poisons),
		cmocka_unit_test(test_rlpx_frame_oversized),
		cmocka_unit_test(test_rlpx_frame_truncated_needs_more),
		cmocka_unit_test(test_rlpx_frame_seal_errors),
		cmocka_unit_test(test_rlpx_frame_ctr_carries_128_bits),
		cmocka_unit_test(test_rlpx_frame_batch_matches_single),
		cmocka_unit_test(test_rlpx_frame_batch_known_answer),
		cmocka_unit_test(test_rlpx_frame_batch_bad_mac_isolated),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
