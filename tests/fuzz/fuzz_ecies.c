/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_ecies.c - ecies_open with a fixed key on arbitrary input,
 * plus a seal/open round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ecies.h"
#include "common/secp.h"
#include "tests/vectors/eip8_vectors.h"

/* EIP-8's Static Key B: the seeds (EIP-8's auth messages) are sealed to it. */
#define key_b EIP8_STATIC_KEY_B

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t plain[ECIES_MAX_PLAIN_LEN];
	static uint8_t ct[ECIES_MAX_PLAIN_LEN + ECIES_OVERHEAD];
	static uint8_t pub_b[SECP_PUB_LEN];
	static int have_pub;
	uint8_t eph[SECP_PRIV_LEN] = { 0 }, iv[ECIES_IV_LEN] = { 0 };
	ssize_t n;

	if (!have_pub) {
		if (secp_pub_from_priv(pub_b, key_b) < 0)
			abort();
		have_pub = 1;
	}
	/* As a legacy message (no authdata) and as an EIP-8 one (the first
	 * two bytes are the authdata). */
	n = ecies_open(plain, sizeof(plain), key_b, data, size, NULL, 0);
	if (n >= 0 && (size_t)n != size - ECIES_OVERHEAD)
		abort();
	if (size >= 2) {
		n = ecies_open(plain, sizeof(plain), key_b, data + 2, size - 2,
			       data, 2);
		if (n >= 0 && (size_t)n != size - 2 - ECIES_OVERHEAD)
			abort();
	}
	/* Round trip: the input as plaintext, with an ephemeral key and IV
	 * taken from it, must open to itself. */
	if (size > ECIES_MAX_PLAIN_LEN)
		return 0;
	memcpy(eph + 1, data, size < 31 ? size : 31);
	eph[0] = 0x01;                          /* nonzero and < n */
	if (size > 0)
		iv[15 - (data[0] & 15)] = data[size - 1];
	n = ecies_seal_det(ct, sizeof(ct), pub_b, data, size, data,
			   size < 2 ? size : 2, eph, iv);
	if (n != (ssize_t)(size + ECIES_OVERHEAD))
		abort();
	n = ecies_open(plain, sizeof(plain), key_b, ct, (size_t)n, data,
		       size < 2 ? size : 2);
	if (n != (ssize_t)size || (size && memcmp(plain, data, size) != 0))
		abort();
	return 0;
}
