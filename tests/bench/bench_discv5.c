/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_discv5.c - discv5 per-packet costs: the dataplane's
 * static-header check, header decode, message AES-GCM, and the handshake's
 * EC and HKDF work. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv5_crypto.h"
#include "common/discv5_wire.h"
#include "common/ipsecmb.h"
#include "common/secp.h"
#include "tests/bench/bench.h"
#include "tests/vectors/discv5_vectors.h"

#define ROW_SECONDS 1.0
#define BATCH       64
#define MSG_LEN     100                 /* a PING is ~10 B, a NODES ~1 KB */
#define AD_LEN      71                  /* an ordinary packet's header */

typedef void op_fn(void);

static struct discv5_mask_key kb;
static struct discv5_header hdr;
static uint8_t key[DISCV5_KEY_LEN], nonce[DISCV5_GCM_NONCE_LEN];
static uint8_t ad[AD_LEN], msg[MSG_LEN], ct[MSG_LEN + DISCV5_GCM_TAG_LEN];
static uint8_t pt[DISCV5_PACKET_MAX];
static uint8_t a_priv[32], b_pub[64], eph_pub33[33], sig[64], a_pub[64];
static const struct discv5_vec_packet *ping;
static const struct discv5_vec_packet *hs;
static volatile uint8_t sink;

static void check(ssize_t rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "bench_discv5: %s failed (%zd)\n", what, rc);
		exit(1);
	}
}

static void op_check_static(void)
{
	struct discv5_static s;

	check(discv5_check_static(&s, &kb, ping->packet, ping->packet_len),
	      "check_static");
	sink ^= s.flag;
}

/* What the dataplane sees most on a shared port: discv4 packets, refused
 * at the protocol-id. */
static void op_check_static_v4(void)
{
	struct discv5_static s;

	sink ^= (uint8_t)discv5_check_static(&s, &kb, msg, MSG_LEN);
}

static void op_decode_header(void)
{
	check(discv5_decode_header(&hdr, &kb, ping->packet, ping->packet_len),
	      "decode_header");
	sink ^= hdr.raw[20];
}

static void op_gcm_seal(void)
{
	check(discv5_gcm_seal(ct, sizeof(ct), key, nonce, msg, MSG_LEN, ad,
			      AD_LEN), "gcm_seal");
	sink ^= ct[0];
}

static void op_gcm_open(void)
{
	check(discv5_gcm_open(pt, sizeof(pt), key, nonce, ct, sizeof(ct), ad,
			      AD_LEN), "gcm_open");
	sink ^= pt[0];
}

static void op_open_ping(void)
{
	check(discv5_open_message(pt, sizeof(pt), &hdr, ping->read_key),
	      "open_message");
	sink ^= pt[0];
}

static void op_derive(void)
{
	struct discv5_keys k;

	check(discv5_derive_keys(&k, hs->eph_key, b_pub, hs->src_id,
				 hs->dest_id, hs->challenge), "derive_keys");
	sink ^= k.initiator[0];
	discv5_keys_wipe(&k);
}

static void op_id_sign(void)
{
	check(discv5_id_sign(sig, a_priv, hs->challenge, eph_pub33,
			     hs->dest_id), "id_sign");
	sink ^= sig[0];
}

static void op_id_verify(void)
{
	check(discv5_id_verify(sig, a_pub, hs->challenge, eph_pub33,
			       hs->dest_id), "id_verify");
	sink ^= 1;
}

static double rate(op_fn *op, double seconds)
{
	double t0 = bench_now(), t;
	uint64_t n = 0;

	do {
		for (int i = 0; i < BATCH; i++)
			op();
		n += BATCH;
		t = bench_now() - t0;
	} while (t < seconds);
	return (double)n / t;
}

void bench_discv5(void)
{
	double r, open;
	char note[128];

	bench_section("discv5 wire (IPsec-MB AES-128-CTR/GCM, secp256k1)");
	ping = &discv5_vec_packets[DISCV5_VEC_PING];
	hs = &discv5_vec_packets[DISCV5_VEC_HANDSHAKE];
	check(discv5_mask_key_init(&kb, ping->dest_id), "mask_key_init");
	check(discv5_decode_header(&hdr, &kb, ping->packet, ping->packet_len),
	      "decode_header");
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 13);
	memset(ad, 0x3c, sizeof(ad));
	memset(key, 0x11, sizeof(key));
	memset(nonce, 0x22, sizeof(nonce));
	memcpy(a_priv, discv5_vec_node_a_key, 32);
	check(secp_pub_from_priv(a_pub, a_priv), "pub");
	check(secp_pub_from_priv(b_pub, discv5_vec_node_b_key), "pub");
	memcpy(eph_pub33, hs->eph_pub, 33);
	op_gcm_seal();
	op_id_sign();

	r = rate(op_check_static, ROW_SECONDS);
	snprintf(note, sizeof(note), "%.0f ns; 2 AES blocks, no EC",
		 1e9 / r);
	bench_report("static-header check (v5 packet)", r, 0, note);
	r = rate(op_check_static_v4, ROW_SECONDS);
	snprintf(note, sizeof(note), "%.0f ns; refused at protocol-id",
		 1e9 / r);
	bench_report("static-header check (junk/v4)", r, 0, note);
	r = rate(op_decode_header, ROW_SECONDS);
	snprintf(note, sizeof(note), "%.0f ns; ordinary packet, 71 B header",
		 1e9 / r);
	bench_report("header decode", r, 0, note);
	r = rate(op_gcm_seal, ROW_SECONDS);
	snprintf(note, sizeof(note), "%.0f ns; %d B + %d B AD, key setup incl.",
		 1e9 / r, MSG_LEN, AD_LEN);
	bench_report("AES-128-GCM seal", r, MSG_LEN, note);
	open = rate(op_gcm_open, ROW_SECONDS);
	snprintf(note, sizeof(note), "%.0f ns; %d B + %d B AD, key setup incl.",
		 1e9 / open, MSG_LEN, AD_LEN);
	bench_report("AES-128-GCM open", open, MSG_LEN, note);
	r = rate(op_open_ping, ROW_SECONDS);
	snprintf(note, sizeof(note), "%.0f ns; the spec's PING packet",
		 1e9 / r);
	bench_report("open_message (PING)", r, 0, note);
	r = rate(op_derive, ROW_SECONDS);
	snprintf(note, sizeof(note), "%.0f us; ECDH + HKDF (both sides)",
		 1e6 / r);
	bench_report("session key derivation", r, 0, note);
	r = rate(op_id_sign, ROW_SECONDS);
	snprintf(note, sizeof(note), "%.0f us; initiator", 1e6 / r);
	bench_report("id-signature sign", r, 0, note);
	r = rate(op_id_verify, ROW_SECONDS);
	snprintf(note, sizeof(note), "%.0f us; recipient", 1e6 / r);
	bench_report("id-signature verify", r, 0, note);
	ipsecmb_thread_fini();
	bench_discv5_engine();
}
