/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_rlpx_hs.c - the RLPx handshake state machine fed arbitrary
 * auth (recipient) or ack (initiator, after sending its auth) bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rlpx_frame.h"
#include "common/secp.h"
#include "control/rlpx/rlpx.h"
#include "tests/vectors/eip8_vectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEC 1000000000ull
#define T0 (77 * SEC)

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* data[0] picks the run: bit 0 the role (0 recipient with EIP-8 key B, fed
 * an auth; 1 initiator with key A dialing B, fed an ack), bits 1-4 the
 * fragment size (0: everything at once), bits 5-7 the clock step per
 * fragment in 10 ms units, so dribbled inputs reach the deadline. The rest
 * is what the peer sends. The EIP-8 vector ephemeral keys and nonces are
 * injected, so the vectors in the corpus complete the handshake. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pub_b[SECP_PUB_LEN];
	static uint8_t out[RLPX_HS_OUT_MAX];
	static struct rlpx_hs hs;
	static int have_pub;
	bool initiator;
	size_t chunk, off = 0;
	uint64_t step, now = T0;
	ssize_t rc = 0;

	if (!have_pub) {
		if (secp_pub_from_priv(pub_b, EIP8_STATIC_KEY_B) < 0)
			abort();
		have_pub = 1;
	}
	if (size < 1)
		return 0;
	initiator = data[0] & 1;
	chunk = (data[0] >> 1) & 0x0f;
	step = (uint64_t)(data[0] >> 5) * 10000000ull;
	data++;
	size--;

	rlpx_hs_fini(&hs);
	if (initiator) {
		if (rlpx_hs_inject(&hs, EIP8_EPHEMERAL_KEY_A, EIP8_NONCE_A) ||
		    rlpx_hs_init_initiator(&hs, out, sizeof(out),
					   EIP8_STATIC_KEY_A, pub_b, now) <= 0)
			abort();
	} else {
		if (rlpx_hs_inject(&hs, EIP8_EPHEMERAL_KEY_B, EIP8_NONCE_B) ||
		    rlpx_hs_init_recipient(&hs, EIP8_STATIC_KEY_B, now))
			abort();
	}
	if (chunk == 0)
		chunk = size ? size : 1;

	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		size_t out_len = 0;

		rc = rlpx_hs_feed(&hs, out, sizeof(out), &out_len, data + off,
				  n, now);
		if (rc < 0)
			break;
		if ((size_t)rc > n)
			abort();
		off += (size_t)rc;
		if (rlpx_hs_state(&hs) == RLPX_HS_DONE) {
			/* Only a recipient answers, and only at DONE. */
			if (initiator ? out_len != 0 :
			    out_len == 0 || out_len > RLPX_HS_OUT_MAX)
				abort();
			break;
		}
		if (out_len != 0 || (size_t)rc != n)
			abort();
		now += step;
	}

	if (rc < 0) {
		/* A failure is terminal, says why and keeps no secret. */
		if (rc == -EPROTO || rc == -EINVAL ||
		    rlpx_hs_state(&hs) != RLPX_HS_FAILED ||
		    rlpx_hs_error(&hs) != rc ||
		    !all_zero(hs.priv, sizeof(hs.priv)) ||
		    !all_zero(hs.eph_priv, sizeof(hs.eph_priv)) ||
		    !all_zero(&hs.secrets, sizeof(hs.secrets)))
			abort();
		if (rlpx_hs_feed(&hs, out, sizeof(out), &(size_t){ 0 }, data,
				 size, now) != -EPROTO)
			abort();
	} else if (rlpx_hs_state(&hs) == RLPX_HS_DONE) {
		struct rlpx_secrets s;
		uint8_t rpub[SECP_PUB_LEN];

		if (rlpx_hs_take(&hs, &s, rpub) != 0 || !secp_pub_check(rpub) ||
		    (initiator && memcmp(rpub, pub_b, sizeof(rpub))) ||
		    rlpx_hs_take(&hs, &s, rpub) != -EPROTO)
			abort();
		rlpx_secrets_wipe(&s);
	} else {
		/* Still waiting: everything buffered, the timer ends it. */
		if (rlpx_hs_on_timer(&hs, now + RLPX_HS_TIMEOUT_NS) !=
		    -ETIMEDOUT || rlpx_hs_state(&hs) != RLPX_HS_FAILED)
			abort();
	}
	rlpx_hs_fini(&hs);
	return 0;
}
