/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_rlpx_auth.c - auth/ack parsing with fixed keys (wire bytes
 * and sealed plaintexts). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ecies.h"
#include "common/rlpx_auth.h"
#include "common/secp.h"
#include "tests/vectors/eip8_vectors.h"

/* EIP-8's static keys: auth messages go to B, acks to A. */
#define key_a EIP8_STATIC_KEY_A
#define key_b EIP8_STATIC_KEY_B

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t eph_key[SECP_PRIV_LEN] = { [0] = 0x11, [31] = 0x22 };

static void parse_both(const uint8_t *buf, size_t len)
{
	struct rlpx_auth_fields af;
	struct rlpx_auth_ack_fields kf;
	ssize_t n;

	n = rlpx_auth_parse(&af, key_b, buf, len);
	if (n > (ssize_t)len || n == 0)
		abort();
	n = rlpx_auth_ack_parse(&kf, key_a, buf, len);
	if (n > (ssize_t)len || n == 0)
		abort();
}

/* Seals body as an EIP-8 message to pub so the fuzzer reaches the body
 * decoder, which a MAC would otherwise guard. */
static void seal_and_parse(const uint8_t *body, size_t len,
			   const uint8_t pub[SECP_PUB_LEN], int is_auth)
{
	static uint8_t msg[RLPX_AUTH_MAX_LEN];
	const uint8_t iv[ECIES_IV_LEN] = { 0 };
	size_t ct_len = len + ECIES_OVERHEAD;
	ssize_t n;

	msg[0] = (uint8_t)(ct_len >> 8);
	msg[1] = (uint8_t)ct_len;
	n = ecies_seal_det(msg + 2, sizeof(msg) - 2, pub, body, len, msg, 2,
			   eph_key, iv);
	if (n != (ssize_t)ct_len)
		abort();
	if (is_auth) {
		struct rlpx_auth_fields af;

		n = rlpx_auth_parse(&af, key_b, msg, ct_len + 2);
	} else {
		struct rlpx_auth_ack_fields kf;

		n = rlpx_auth_ack_parse(&kf, key_a, msg, ct_len + 2);
	}
	/* A whole message is here: never "need more", and all of it. */
	if (n == -EAGAIN || (n >= 0 && (size_t)n != ct_len + 2))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pub_a[SECP_PUB_LEN], pub_b[SECP_PUB_LEN];
	static int have_pubs;

	if (!have_pubs) {
		if (secp_pub_from_priv(pub_a, key_a) < 0 ||
		    secp_pub_from_priv(pub_b, key_b) < 0)
			abort();
		have_pubs = 1;
	}
	parse_both(data, size);
	if (size + ECIES_OVERHEAD + 2 <= RLPX_AUTH_MAX_LEN) {
		seal_and_parse(data, size, pub_b, 1);
		seal_and_parse(data, size, pub_a, 0);
	}
	return 0;
}
