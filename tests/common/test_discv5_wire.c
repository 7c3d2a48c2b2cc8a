/* SPDX-License-Identifier: MIT */
/* tests/common/test_discv5_wire.c - discv5 packet codec: the spec's four
 * packets decoded and encoded byte for byte, the static header's lies, the
 * 128-bit masking counter, and round trips. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/discv5_msg.h"
#include "common/discv5_wire.h"
#include "common/ecies.h"
#include "common/enr.h"
#include "common/hex.h"
#include "common/keccak.h"
#include "common/secp.h"
#include "tests/vectors/discv4_vectors.h"
#include "tests/vectors/discv5_vectors.h"

#define V(i) (&discv5_vec_packets[i])

static size_t unhex(uint8_t *out, size_t cap, const char *s)
{
	ssize_t n = hex_decode(out, cap, s, strlen(s));

	assert_true(n >= 0);
	return (size_t)n;
}

static void node_id(uint8_t id[32], const uint8_t priv[32])
{
	uint8_t pub[64];

	assert_int_equal(secp_pub_from_priv(pub, priv), 0);
	keccak256(id, pub, 64);
}

/* B's masking key: every vector packet goes to node B. */
static struct discv5_mask_key kb;

static int setup(void **state)
{
	(void)state;
	return discv5_mask_key_init(&kb, discv5_vec_packets[0].dest_id);
}

/* The vectors' ids are the keccak256 node ids of node-a-key and
 * node-b-key, so the keys below are the right ones to sign and derive
 * with. */
static void test_discv5_vec_ids_match_keys(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	node_id(a, discv5_vec_node_a_key);
	node_id(b, discv5_vec_node_b_key);
	for (int i = 0; i < DISCV5_VEC_COUNT; i++) {
		assert_memory_equal(V(i)->src_id, a, 32);
		assert_memory_equal(V(i)->dest_id, b, 32);
	}
}

/* The dataplane check accepts all four and reads flag, nonce and the
 * authdata size. */
static void test_discv5_check_static_vectors(void **state)
{
	static const size_t auth[DISCV5_VEC_COUNT] = {
		[DISCV5_VEC_PING] = 32,
		[DISCV5_VEC_WHOAREYOU] = 24,
		[DISCV5_VEC_HANDSHAKE] = 131,
		[DISCV5_VEC_HANDSHAKE_ENR] = 0,         /* 131 + record */
	};

	(void)state;
	for (int i = 0; i < DISCV5_VEC_COUNT; i++) {
		const struct discv5_vec_packet *v = V(i);
		struct discv5_static s;
		ssize_t n = discv5_check_static(&s, &kb, v->packet,
						v->packet_len);

		print_message("%s\n", v->name);
		assert_true(n > 0);
		assert_int_equal(s.flag, v->flag);
		assert_int_equal(n, DISCV5_HEAD_LEN + s.authdata_len);
		if (auth[i])
			assert_int_equal(s.authdata_len, auth[i]);
		else
			assert_true(s.authdata_len > 131);
		assert_memory_equal(s.nonce, v->flag == 1 ? v->request_nonce :
				    v->nonce, 12);
	}
}

/* Opens a decoded packet's message with key and checks it is the PING of
 * the vector. */
static void assert_ping(const struct discv5_header *h,
			const uint8_t key[16],
			const struct discv5_vec_packet *v)
{
	uint8_t pt[DISCV5_PACKET_MAX];
	struct discv5_msg m;
	ssize_t n;

	n = discv5_open_message(pt, sizeof(pt), h, key);
	assert_true(n > 0);
	assert_int_equal(discv5_msg_decode(&m, pt, (size_t)n), n);
	assert_int_equal(m.type, DISCV5_MSG_PING);
	assert_int_equal(m.req_id_len, 4);
	assert_memory_equal(m.req_id, v->ping_req_id, 4);
	assert_true(m.ping.enr_seq == v->ping_enr_seq);
}

static void test_discv5_decode_ping_vector(void **state)
{
	static struct discv5_header h;
	const struct discv5_vec_packet *v = V(DISCV5_VEC_PING);

	(void)state;
	assert_int_equal(discv5_decode_header(&h, &kb, v->packet,
					      v->packet_len), 71);
	assert_int_equal(h.flag, DISCV5_FLAG_MESSAGE);
	assert_memory_equal(h.src_id, v->src_id, 32);
	assert_memory_equal(h.nonce, v->nonce, 12);
	assert_ptr_equal(h.msg, v->packet + 71);
	assert_int_equal(h.msg_len, v->packet_len - 71);
	assert_ping(&h, v->read_key, v);
}

static void test_discv5_decode_whoareyou_vector(void **state)
{
	static struct discv5_header h;
	const struct discv5_vec_packet *v = V(DISCV5_VEC_WHOAREYOU);
	uint8_t pt[16];

	(void)state;
	assert_int_equal(discv5_decode_header(&h, &kb, v->packet,
					      v->packet_len), 63);
	assert_int_equal(h.flag, DISCV5_FLAG_WHOAREYOU);
	assert_memory_equal(h.nonce, v->request_nonce, 12);
	assert_memory_equal(h.id_nonce, v->id_nonce, 16);
	assert_true(h.enr_seq == v->wy_enr_seq);
	/* The unmasked packet is the challenge-data. */
	assert_memory_equal(h.raw, v->challenge, DISCV5_CHALLENGE_LEN);
	assert_int_equal(h.msg_len, 0);
	assert_int_equal(discv5_open_message(pt, sizeof(pt), &h, v->read_key),
			 -EBADMSG);
}

/* Node B's side of both handshake packets: the id-signature verifies
 * against A's key (from the record, when there is one), B's derived
 * initiator-key is the vector's read-key, and the message is the PING. */
static void test_discv5_decode_handshake_vectors(void **state)
{
	(void)state;
	for (int i = DISCV5_VEC_HANDSHAKE; i <= DISCV5_VEC_HANDSHAKE_ENR; i++) {
		static struct discv5_header h;
		const struct discv5_vec_packet *v = V(i);
		uint8_t a_pub[64], eph[64], id[32];
		struct discv5_keys k;
		struct enr rec;
		ssize_t n;

		print_message("%s\n", v->name);
		n = discv5_decode_header(&h, &kb, v->packet, v->packet_len);
		assert_true(n > 0);
		assert_int_equal(h.flag, DISCV5_FLAG_HANDSHAKE);
		assert_memory_equal(h.src_id, v->src_id, 32);
		assert_memory_equal(h.nonce, v->nonce, 12);
		assert_memory_equal(h.eph_pub, v->eph_pub, 33);
		assert_int_equal(h.hdr_len, n);
		if (i == DISCV5_VEC_HANDSHAKE) {
			/* WHOAREYOU enr-seq 1 = A's seq: no record. */
			assert_int_equal(h.record_len, 0);
			assert_int_equal(secp_pub_from_priv(
				a_pub, discv5_vec_node_a_key), 0);
		} else {
			/* enr-seq 0: the record must come. */
			assert_true(h.record_len > 0);
			assert_int_equal(h.record_off + h.record_len, n);
			assert_int_equal(enr_decode(&rec, h.raw + h.record_off,
						    h.record_len),
					 h.record_len);
			assert_int_equal(enr_verify(&rec), 0);
			assert_int_equal(enr_node_id(id, &rec), 0);
			assert_memory_equal(id, h.src_id, 32);
			assert_int_equal(enr_pubkey(a_pub, &rec), 0);
		}
		assert_int_equal(discv5_id_verify(h.id_sig, a_pub, v->challenge,
						  h.eph_pub, v->dest_id), 0);
		assert_int_equal(secp_pub_decompress(eph, h.eph_pub), 0);
		assert_int_equal(discv5_derive_keys(&k, discv5_vec_node_b_key,
						    eph, h.src_id, v->dest_id,
						    v->challenge), 0);
		assert_memory_equal(k.initiator, v->read_key, 16);
		assert_ping(&h, k.initiator, v);
		/* The recipient-key is B's write key, not its read key. */
		assert_int_equal(discv5_open_message(eph, sizeof(eph), &h,
						     k.recipient),
				 -EKEYREJECTED);
		discv5_keys_wipe(&k);
	}
}

/* message-pt of the vectors' PING. */
static size_t ping_pt(uint8_t *pt, size_t cap,
		      const struct discv5_vec_packet *v)
{
	struct discv5_msg m = { .type = DISCV5_MSG_PING, .req_id_len = 4 };
	ssize_t n;

	memcpy(m.req_id, v->ping_req_id, 4);
	m.ping.enr_seq = v->ping_enr_seq;
	n = discv5_msg_encode(pt, cap, &m);
	assert_true(n > 0);
	return (size_t)n;
}

static void test_discv5_encode_ping_vector(void **state)
{
	const struct discv5_vec_packet *v = V(DISCV5_VEC_PING);
	uint8_t pt[32], out[DISCV5_PACKET_MAX];
	size_t pt_len = ping_pt(pt, sizeof(pt), v);

	(void)state;
	assert_int_equal(discv5_encode_message(out, sizeof(out), v->dest_id,
					       v->packet, v->nonce, v->src_id,
					       v->read_key, pt, pt_len),
			 (ssize_t)v->packet_len);
	assert_memory_equal(out, v->packet, v->packet_len);
}

static void test_discv5_encode_whoareyou_vector(void **state)
{
	const struct discv5_vec_packet *v = V(DISCV5_VEC_WHOAREYOU);
	uint8_t out[64], challenge[DISCV5_CHALLENGE_LEN];

	(void)state;
	assert_int_equal(discv5_encode_whoareyou(out, sizeof(out), challenge,
						 v->dest_id, v->packet,
						 v->request_nonce, v->id_nonce,
						 v->wy_enr_seq), 63);
	assert_memory_equal(out, v->packet, 63);
	assert_memory_equal(challenge, v->challenge, 63);
	assert_int_equal(discv5_encode_whoareyou(out, 62, NULL, v->dest_id,
						 v->packet, v->request_nonce,
						 v->id_nonce, v->wy_enr_seq),
			 -EMSGSIZE);
}

/* Node A's side, from the keys alone: the ephemeral public key, the
 * id-signature (RFC 6979, so deterministic), the session keys and the
 * packet. A's record is made here with enr_sign(): geth's test node A
 * (v5wire/encoding_test.go) is a LocalNode of node-a-key with static IP
 * 127.0.0.1, so its record is seq 1 with "id", "ip" and "secp256k1". */
static void test_discv5_encode_handshake_vectors(void **state)
{
	(void)state;
	for (int i = DISCV5_VEC_HANDSHAKE; i <= DISCV5_VEC_HANDSHAKE_ENR; i++) {
		const struct discv5_vec_packet *v = V(i);
		struct discv5_handshake_auth auth;
		uint8_t b_pub[64], eph[64], pt[32], out[DISCV5_PACKET_MAX];
		uint8_t record[ENR_MAX_SIZE];
		struct discv5_keys k;
		struct enr rec;
		size_t pt_len = ping_pt(pt, sizeof(pt), v);
		ssize_t n;

		print_message("%s\n", v->name);
		memset(&auth, 0, sizeof(auth));
		memcpy(auth.src_id, v->src_id, 32);
		assert_int_equal(secp_pub_from_priv(eph, v->eph_key), 0);
		assert_int_equal(secp_pub_compress(auth.eph_pub, eph), 0);
		assert_memory_equal(auth.eph_pub, v->eph_pub, 33);
		assert_int_equal(discv5_id_sign(auth.id_sig,
						discv5_vec_node_a_key,
						v->challenge, auth.eph_pub,
						v->dest_id), 0);
		assert_int_equal(secp_pub_from_priv(b_pub,
						    discv5_vec_node_b_key), 0);
		assert_int_equal(discv5_derive_keys(&k, v->eph_key, b_pub,
						    v->src_id, v->dest_id,
						    v->challenge), 0);
		assert_memory_equal(k.initiator, v->read_key, 16);
		/* The record goes when B's copy (enr-seq) is older than
		 * A's seq 1. */
		if (v->wy_enr_seq < 1) {
			enr_init(&rec);
			enr_set_seq(&rec, 1);
			assert_int_equal(enr_set_ip(&rec, (const uint8_t[4]){
							   127, 0, 0, 1 }), 0);
			assert_int_equal(enr_sign(&rec, discv5_vec_node_a_key),
					 0);
			n = enr_encode(record, sizeof(record), &rec);
			assert_true(n > 0);
			auth.record = record;
			auth.record_len = (size_t)n;
		}
		n = discv5_encode_handshake(out, sizeof(out), v->dest_id,
					    v->packet, v->nonce, &auth,
					    k.initiator, pt, pt_len);
		assert_int_equal(n, (ssize_t)v->packet_len);
		assert_memory_equal(out, v->packet, v->packet_len);
		discv5_keys_wipe(&k);
	}
}

/* The masking counter is 128 bits wide, as Go's and OpenSSL's. Expected
 * packets from Python's cryptography (AES-CTR, AES-GCM): a WHOAREYOU whose
 * masking-iv ends in ffffffff (the static header's second block needs the
 * carry), and the vectors' first handshake re-masked with an iv ending in
 * fffffffd (the carry falls inside the authdata; new iv, new AD, new tag).
 * IPsec-MB alone wraps the low 32 bits and would get both wrong. */
static void test_discv5_masking_carries_128_bits(void **state)
{
	static const char wy_hex[] =
		"00112233445566778899aabbffffffffc20e890b76c1d579d10bd69066df"
		"2e52def2b0d14691588e7dc8d0e87c5adba9959f11dbc67aa49c6cc4621b"
		"740fc8";
	static const char hs_hex[] =
		"00112233445566778899aabbfffffffd6a06c7e443e02b53513f70b55e4d"
		"fd1dfb72775be5e34e56cd739a344c4239f5f07cb2407d0147eb4a87cd07"
		"1f5626ad59d1f28cec0efbcf5e0b74a64cafa5b7b5687b70e03d5f9b0544"
		"6e7c784113408d67bb7216f63954375098b043f4255c06db6ebb9411787b"
		"e9710e351303f9479afee11790701c1f563f1de0c6f4b984fadcb9576ae2"
		"695863f744c6500d89c1b307f2016ae2f3b4d3eff1eadf5f0f4126b7b4cd"
		"a0a066e17150de508a98f83d5857";
	const struct discv5_vec_packet *w = V(DISCV5_VEC_WHOAREYOU);
	const struct discv5_vec_packet *v = V(DISCV5_VEC_HANDSHAKE);
	static struct discv5_header h, h0;
	uint8_t want[256], out[DISCV5_PACKET_MAX], pt[32];
	struct discv5_handshake_auth auth;
	size_t len;

	(void)state;
	len = unhex(want, sizeof(want), wy_hex);
	assert_int_equal(discv5_encode_whoareyou(out, sizeof(out), NULL,
						 w->dest_id, want,
						 w->request_nonce, w->id_nonce,
						 0), 63);
	assert_memory_equal(out, want, len);
	assert_int_equal(discv5_decode_header(&h, &kb, want, len), 63);
	assert_memory_equal(h.id_nonce, w->id_nonce, 16);

	/* Take the authdata from the vector, re-mask with the new iv. */
	assert_true(discv5_decode_header(&h0, &kb, v->packet, v->packet_len) >
		    0);
	memset(&auth, 0, sizeof(auth));
	memcpy(auth.src_id, h0.src_id, 32);
	memcpy(auth.id_sig, h0.id_sig, 64);
	memcpy(auth.eph_pub, h0.eph_pub, 33);
	len = unhex(want, sizeof(want), hs_hex);
	assert_int_equal(len, v->packet_len);
	assert_int_equal(discv5_encode_handshake(out, sizeof(out), v->dest_id,
						 want, v->nonce, &auth,
						 v->read_key, pt,
						 ping_pt(pt, sizeof(pt), v)),
			 (ssize_t)len);
	assert_memory_equal(out, want, len);
	assert_int_equal(discv5_decode_header(&h, &kb, want, len), 170);
	assert_memory_equal(h.id_sig, h0.id_sig, 64);
	assert_ping(&h, v->read_key, v);
}

/* Builds a packet from an unmasked header of our choosing and masks it
 * for node B with ecies_aes128_ctr() (the 128-bit CTR the RLPx tests pin
 * down). hdr[0..hdr_len) is masking-iv || static-header || authdata, and
 * the packet is padded with 0xee up to len. */
static void forge(uint8_t *pkt, size_t len, const uint8_t *hdr, size_t hdr_len)
{
	memset(pkt, 0xee, len);
	memcpy(pkt, hdr, hdr_len < len ? hdr_len : len);
	assert_int_equal(ecies_aes128_ctr(pkt + 16, V(0)->dest_id, pkt,
					  pkt + 16, (hdr_len < len ? hdr_len :
						     len) - 16), 0);
}

/* An unmasked header: zero iv, "discv5", version, flag, nonce, size. */
static size_t head(uint8_t *h, const char *proto, uint16_t version,
		   uint8_t flag, uint16_t authsize, size_t auth_fill)
{
	memset(h, 0, 16);
	memcpy(h + 16, proto, 6);
	h[22] = (uint8_t)(version >> 8);
	h[23] = (uint8_t)version;
	h[24] = flag;
	memset(h + 25, 0x11, 12);
	h[37] = (uint8_t)(authsize >> 8);
	h[38] = (uint8_t)authsize;
	memset(h + 39, 0x22, auth_fill);
	return 39 + auth_fill;
}

/* Each lie of the static header, and each length that cannot be. */
static void test_discv5_check_static_rejects(void **state)
{
	static const struct {
		const char *name;
		const char *proto;
		uint16_t version;
		uint8_t flag;
		uint16_t authsize;
		size_t len;
		int err;
	} rows[] = {
		{ "62 bytes", "discv5", 1, 1, 24, 62, -EMSGSIZE },
		{ "1281 bytes", "discv5", 1, 0, 32, 1281, -EMSGSIZE },
		{ "protocol discv4", "discv4", 1, 0, 32, 100, -ENOMSG },
		{ "protocol DISCV5", "DISCV5", 1, 0, 32, 100, -ENOMSG },
		{ "version 0", "discv5", 0, 0, 32, 100, -EPROTONOSUPPORT },
		{ "version 2", "discv5", 2, 0, 32, 100, -EPROTONOSUPPORT },
		{ "version 0x0100", "discv5", 0x100, 0, 32, 100,
		  -EPROTONOSUPPORT },
		{ "flag 3", "discv5", 1, 3, 32, 100, -EBADRQC },
		{ "flag 255", "discv5", 1, 255, 32, 100, -EBADRQC },
		{ "message, authsize 31", "discv5", 1, 0, 31, 100, -EBADMSG },
		{ "message, authsize 33", "discv5", 1, 0, 33, 100, -EBADMSG },
		{ "message, authsize 0", "discv5", 1, 0, 0, 100, -EBADMSG },
		{ "message, 47 after static", "discv5", 1, 0, 32, 86,
		  -EMSGSIZE },
		{ "message, 48 after static", "discv5", 1, 0, 32, 87, 71 },
		{ "message, 1280 bytes", "discv5", 1, 0, 32, 1280, 71 },
		{ "whoareyou, authsize 23", "discv5", 1, 1, 23, 63, -EBADMSG },
		{ "whoareyou, authsize 25", "discv5", 1, 1, 25, 64, -EBADMSG },
		{ "whoareyou, trailing byte", "discv5", 1, 1, 24, 64,
		  -EMSGSIZE },
		{ "whoareyou, 63 bytes", "discv5", 1, 1, 24, 63, 63 },
		{ "handshake, 47 after static", "discv5", 1, 2, 131, 86,
		  -EMSGSIZE },
		{ "handshake, authsize 130", "discv5", 1, 2, 130, 300,
		  -EBADMSG },
		{ "handshake, authsize past the end", "discv5", 1, 2, 262,
		  300, -EBADMSG },
		{ "handshake, authsize 0xffff", "discv5", 1, 2, 0xffff, 300,
		  -EBADMSG },
		{ "handshake, 15-byte message", "discv5", 1, 2, 131,
		  39 + 131 + 15, -EMSGSIZE },
		{ "handshake, 16-byte message", "discv5", 1, 2, 131,
		  39 + 131 + 16, 170 },
		{ "handshake, record to the end", "discv5", 1, 2, 1280 - 55,
		  1280, 1280 - 16 },
	};

	(void)state;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		uint8_t hdr[1300], pkt[1300];
		struct discv5_static s;
		static struct discv5_header h;
		size_t hl;
		ssize_t got;

		print_message("%s\n", rows[r].name);
		hl = head(hdr, rows[r].proto, rows[r].version, rows[r].flag,
			  rows[r].authsize, rows[r].authsize <= 1241 ?
			  rows[r].authsize : 0);
		/* A handshake's sizes must hold for decode to accept. */
		if (rows[r].flag == 2 && rows[r].authsize >= 34) {
			hdr[39 + 32] = 64;
			hdr[39 + 33] = 33;
		}
		forge(pkt, rows[r].len, hdr, hl);
		got = discv5_check_static(&s, &kb, pkt, rows[r].len);
		assert_int_equal(got, rows[r].err);
		/* The full decoder agrees on every row. */
		assert_int_equal(discv5_decode_header(&h, &kb, pkt,
						      rows[r].len),
				 rows[r].err);
		if (got > 0) {
			assert_int_equal(s.flag, rows[r].flag);
			assert_int_equal(s.authdata_len, rows[r].authsize);
		}
	}
}

/* Handshake authdata that passes the static check but not decode. */
static void test_discv5_decode_rejects_handshake_sizes(void **state)
{
	static const uint8_t sizes[][2] = {
		{ 63, 33 }, { 65, 33 }, { 64, 32 }, { 64, 34 }, { 65, 32 },
		{ 0, 0 }, { 255, 255 }, { 33, 64 },
	};

	(void)state;
	for (size_t r = 0; r < sizeof(sizes) / sizeof(sizes[0]); r++) {
		uint8_t hdr[400], pkt[400];
		struct discv5_static s;
		static struct discv5_header h;
		size_t hl = head(hdr, "discv5", 1, 2, 200, 200);

		hdr[39 + 32] = sizes[r][0];
		hdr[39 + 33] = sizes[r][1];
		forge(pkt, 300, hdr, hl);
		assert_int_equal(discv5_check_static(&s, &kb, pkt, 300), 239);
		assert_int_equal(discv5_decode_header(&h, &kb, pkt, 300),
				 -EBADMSG);
	}
}

/* The vectors cut short: every prefix of at least 63 bytes is refused,
 * each with the lie it tells. */
static void test_discv5_truncated_vectors(void **state)
{
	(void)state;
	for (int i = 0; i < DISCV5_VEC_COUNT; i++) {
		const struct discv5_vec_packet *v = V(i);
		struct discv5_static s;
		ssize_t full = discv5_check_static(&s, &kb, v->packet,
						   v->packet_len);

		assert_true(full > 0);
		for (size_t l = 0; l < v->packet_len; l++) {
			ssize_t got = discv5_check_static(&s, &kb, v->packet,
							  l);
			int want;

			if (l < 63)
				want = -EMSGSIZE;
			else if (v->flag == 1)
				want = -EMSGSIZE;       /* not reached */
			else if (l - 39 < 48)
				want = -EMSGSIZE;
			else if ((size_t)full > l)
				want = -EBADMSG;        /* authdata past the end */
			else if (v->flag == 2 && l - (size_t)full < 16)
				want = -EMSGSIZE;
			else
				want = (int)full;
			assert_int_equal(got, want);
		}
	}
}

/* The port is shared with discv4: its packets, and the vectors masked for
 * someone else, fail the protocol-id test. */
static void test_discv5_check_static_not_for_us(void **state)
{
	struct discv5_mask_key ka;
	struct discv5_static s;

	(void)state;
	for (int i = 0; i < DISCV4_VEC_COUNT; i++)
		assert_int_equal(discv5_check_static(&s, &kb,
						     discv4_vectors[i].p,
						     discv4_vectors[i].len),
				 discv4_vectors[i].len > 1280 ? -EMSGSIZE :
				 -ENOMSG);
	assert_int_equal(discv5_mask_key_init(&ka, V(0)->src_id), 0);
	for (int i = 0; i < DISCV5_VEC_COUNT; i++)
		assert_int_equal(discv5_check_static(&s, &ka, V(i)->packet,
						     V(i)->packet_len),
				 -ENOMSG);
}

/* Any bit of the masked header or the message changed breaks the GCM
 * tag (the unmasked header is the AD), or the static check first. */
static void test_discv5_open_rejects_tampering(void **state)
{
	const struct discv5_vec_packet *v = V(DISCV5_VEC_PING);
	uint8_t pkt[128], pt[128];
	static struct discv5_header h;

	(void)state;
	for (size_t i = 0; i < v->packet_len; i++) {
		struct discv5_static s;
		ssize_t n;

		memcpy(pkt, v->packet, v->packet_len);
		pkt[i] ^= 0x01;
		if (discv5_check_static(&s, &kb, pkt, v->packet_len) < 0)
			continue;       /* iv, protocol, version, flag, size */
		n = discv5_decode_header(&h, &kb, pkt, v->packet_len);
		assert_true(n > 0);
		assert_int_equal(discv5_open_message(pt, sizeof(pt), &h,
						     v->read_key),
				 -EKEYREJECTED);
	}
	/* Wrong key. */
	assert_true(discv5_decode_header(&h, &kb, v->packet, v->packet_len) >
		    0);
	memcpy(pkt, v->read_key, 16);
	pkt[0] ^= 1;
	assert_int_equal(discv5_open_message(pt, sizeof(pt), &h, pkt),
			 -EKEYREJECTED);
	assert_int_equal(discv5_open_message(pt, 7, &h, v->read_key),
			 -EMSGSIZE);
}

/* A message that authenticates but holds no message-type. */
static void test_discv5_open_rejects_empty(void **state)
{
	const struct discv5_vec_packet *v = V(DISCV5_VEC_PING);
	uint8_t hdr[128], pkt[128], pt[16];
	static struct discv5_header h;
	size_t hl = head(hdr, "discv5", 1, 0, 32, 32);

	(void)state;
	assert_int_equal(discv5_gcm_seal(hdr + hl, 16, v->read_key, hdr + 25,
					 NULL, 0, hdr, hl), 16);
	forge(pkt, hl + 16, hdr, hl);
	memcpy(pkt + hl, hdr + hl, 16);
	assert_int_equal(discv5_decode_header(&h, &kb, pkt, hl + 16), 71);
	assert_int_equal(discv5_open_message(pt, sizeof(pt), &h, v->read_key),
			 -EBADMSG);
}

/* Encode, decode, open: every kind, at the size limits. */
static void test_discv5_round_trips(void **state)
{
	static struct discv5_header h;
	const struct discv5_vec_packet *v = V(DISCV5_VEC_PING);
	uint8_t out[DISCV5_PACKET_MAX + 1], pt[DISCV5_PACKET_MAX];
	uint8_t back[DISCV5_PACKET_MAX], iv[16], record[300];
	struct discv5_handshake_auth auth;
	size_t max_pt;
	ssize_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 7 + 1);
	memset(iv, 0xab, sizeof(iv));
	/* Ordinary, the largest message that fits. */
	max_pt = DISCV5_PACKET_MAX - 71 - 16;
	n = discv5_encode_message(out, sizeof(out), v->dest_id, iv, v->nonce,
				  v->src_id, v->read_key, pt, max_pt);
	assert_int_equal(n, DISCV5_PACKET_MAX);
	assert_int_equal(discv5_decode_header(&h, &kb, out, (size_t)n), 71);
	assert_int_equal(discv5_open_message(back, sizeof(back), &h,
					     v->read_key), (ssize_t)max_pt);
	assert_memory_equal(back, pt, max_pt);
	assert_int_equal(discv5_encode_message(out, sizeof(out), v->dest_id,
					       iv, v->nonce, v->src_id,
					       v->read_key, pt, max_pt + 1),
			 -EMSGSIZE);
	assert_int_equal(discv5_encode_message(out, DISCV5_PACKET_MAX - 1,
					       v->dest_id, iv, v->nonce,
					       v->src_id, v->read_key, pt,
					       max_pt), -EMSGSIZE);
	assert_int_equal(discv5_encode_message(out, sizeof(out), v->dest_id,
					       iv, v->nonce, v->src_id,
					       v->read_key, pt, 0), -EINVAL);

	/* Handshake with a 300-byte record. */
	memset(&auth, 0, sizeof(auth));
	memcpy(auth.src_id, v->src_id, 32);
	memset(auth.id_sig, 0x5a, 64);
	memcpy(auth.eph_pub, V(DISCV5_VEC_HANDSHAKE)->eph_pub, 33);
	memset(record, 0xc0, sizeof(record));
	auth.record = record;
	auth.record_len = sizeof(record);
	max_pt = DISCV5_PACKET_MAX - (39 + 131 + 300) - 16;
	n = discv5_encode_handshake(out, sizeof(out), v->dest_id, iv, v->nonce,
				    &auth, v->read_key, pt, max_pt);
	assert_int_equal(n, DISCV5_PACKET_MAX);
	assert_int_equal(discv5_decode_header(&h, &kb, out, (size_t)n),
			 39 + 131 + 300);
	assert_memory_equal(h.src_id, v->src_id, 32);
	assert_memory_equal(h.id_sig, auth.id_sig, 64);
	assert_memory_equal(h.eph_pub, auth.eph_pub, 33);
	assert_int_equal(h.record_len, 300);
	assert_memory_equal(h.raw + h.record_off, record, 300);
	assert_int_equal(discv5_open_message(back, sizeof(back), &h,
					     v->read_key), (ssize_t)max_pt);
	assert_memory_equal(back, pt, max_pt);
	assert_int_equal(discv5_encode_handshake(out, sizeof(out), v->dest_id,
						 iv, v->nonce, &auth,
						 v->read_key, pt, max_pt + 1),
			 -EMSGSIZE);
	auth.record = NULL;
	assert_int_equal(discv5_encode_handshake(out, sizeof(out), v->dest_id,
						 iv, v->nonce, &auth,
						 v->read_key, pt, 10), -EINVAL);
	auth.record_len = 0;
	assert_int_equal(discv5_encode_handshake(out, sizeof(out), v->dest_id,
						 iv, v->nonce, &auth,
						 v->read_key, pt, 10),
			 39 + 131 + 10 + 16);
	assert_int_equal(discv5_decode_header(&h, &kb, out,
					      39 + 131 + 10 + 16), 170);
	assert_int_equal(h.record_len, 0);

	/* The handshake kick-off: a flag 0 header and junk. */
	n = discv5_encode_random(out, sizeof(out), v->dest_id, iv, v->nonce,
				 v->src_id, pt, 20);
	assert_int_equal(n, 71 + 20);
	assert_int_equal(discv5_decode_header(&h, &kb, out, (size_t)n), 71);
	assert_memory_equal(h.src_id, v->src_id, 32);
	assert_memory_equal(h.msg, pt, 20);
	assert_int_equal(discv5_open_message(back, sizeof(back), &h,
					     v->read_key), -EKEYREJECTED);
	assert_int_equal(discv5_encode_random(out, sizeof(out), v->dest_id,
					      iv, v->nonce, v->src_id, pt, 15),
			 -EINVAL);
	assert_int_equal(discv5_encode_random(out, 71 + 19, v->dest_id, iv,
					      v->nonce, v->src_id, pt, 20),
			 -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discv5_vec_ids_match_keys),
		cmocka_unit_test(test_discv5_check_static_vectors),
		cmocka_unit_test(test_discv5_decode_ping_vector),
		cmocka_unit_test(test_discv5_decode_whoareyou_vector),
		cmocka_unit_test(test_discv5_decode_handshake_vectors),
		cmocka_unit_test(test_discv5_encode_ping_vector),
		cmocka_unit_test(test_discv5_encode_whoareyou_vector),
		cmocka_unit_test(test_discv5_encode_handshake_vectors),
		cmocka_unit_test(test_discv5_masking_carries_128_bits),
		cmocka_unit_test(test_discv5_check_static_rejects),
		cmocka_unit_test(test_discv5_decode_rejects_handshake_sizes),
		cmocka_unit_test(test_discv5_truncated_vectors),
		cmocka_unit_test(test_discv5_check_static_not_for_us),
		cmocka_unit_test(test_discv5_open_rejects_tampering),
		cmocka_unit_test(test_discv5_open_rejects_empty),
		cmocka_unit_test(test_discv5_round_trips),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
