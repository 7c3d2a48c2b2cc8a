/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_rlpx_codec.c - the RLPx codec's ingress path (buffering,
 * frame open, message code, snappy) on arbitrary input. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/rlpx_frame.h"
#include "dataplane/stage/rlpx_codec.h"

/*
 * Input: a flags byte, then records (u16 BE length, bytes).
 *   flags & 1   snappy on (MSG_RLPX_KEYS_F_SNAPPY)
 *   flags & 2   records are raw wire bytes pushed into the receiver
 *               (garbage after the handshake); otherwise each record is a
 *               frame plaintext (rlp(code) || data) that the peer seals
 *               with the fixed secrets, so the fuzzer reaches the code and
 *               snappy decoders behind valid MACs.
 *   flags >> 2  chunk size - 1 for pushing the wire bytes (1..64).
 * Invariant: without snappy, an opened message is exactly its plaintext.
 */

#define FUZZ_CAP (1u << 16)

static void fixed_codecs(struct rlpx_frame *tx, struct rlpx_codec *rx,
			 uint32_t flags)
{
	static const uint8_t auth[] = "stage auth", ack[] = "stage ack";
	uint8_t shared[32], ni[32], nr[32];
	struct rlpx_secrets s;
	struct rlpx_frame f;
	struct msg_rlpx_keys k;

	for (int i = 0; i < 32; i++) {
		shared[i] = (uint8_t)(i * 5 + 2);
		ni[i] = (uint8_t)(0x30 + i);
		nr[i] = (uint8_t)(0xc3 ^ i);
	}
	rlpx_secrets_from_shared(&s, shared, ni, nr, auth, sizeof(auth), ack,
				 sizeof(ack), RLPX_INITIATOR);
	if (rlpx_frame_init(tx, &s, 0))
		abort();
	rlpx_secrets_from_shared(&s, shared, ni, nr, auth, sizeof(auth), ack,
				 sizeof(ack), RLPX_RECIPIENT);
	if (rlpx_frame_init(&f, &s, 0))
		abort();
	memset(&k, 0, sizeof(k));
	if (rlpx_frame_export(&k, &f) || rlpx_codec_init(rx, &k, FUZZ_CAP,
							 flags, NULL))
		abort();
	rlpx_frame_fini(&f);
	rlpx_secrets_wipe(&s);
}

/* push() feeds w[0..len) in chunks, draining messages. Returns 0 or the
 * session-ending error. */
static int push(struct rlpx_codec *rx, const uint8_t *w, size_t len,
		size_t chunk, const uint8_t *plain, size_t plain_len)
{
	size_t off = 0;

	for (;;) {
		struct rlpx_msg m;
		int rc = rlpx_codec_rx_next(rx, &m);

		if (rc == 0) {
			if (plain && !rx->snappy) {
				/* message = plaintext minus the code */
				if (m.len > plain_len ||
				    memcmp(m.data, plain + plain_len - m.len,
					   m.len))
					abort();
			}
			continue;
		}
		if (rc != -EAGAIN)
			return rc;
		if (off == len)
			return 0;
		size_t k = len - off < chunk ? len - off : chunk;
		ssize_t n = rlpx_codec_rx_push(rx, w + off, k);

		if (n < 0)
			return (int)n;
		off += (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t wire[RLPX_FRAME_HEAD_LEN + 65536 + 32];
	struct rlpx_frame tx;
	struct rlpx_codec rx;
	uint8_t flags;
	size_t chunk;

	if (size < 1)
		return 0;
	flags = data[0];
	chunk = (size_t)(flags >> 2) + 1;
	data++;
	size--;
	fixed_codecs(&tx, &rx, flags & 1 ? MSG_RLPX_KEYS_F_SNAPPY : 0);
	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];
		int rc;

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (flags & 2) {
			rc = push(&rx, data, len, chunk, NULL, 0);
		} else {
			ssize_t n = rlpx_frame_seal(&tx, wire, sizeof(wire),
						    data, len);

			if (n < 0)
				abort();
			rc = push(&rx, wire, (size_t)n, chunk, data, len);
		}
		data += len;
		size -= len;
		if (rc < 0)
			break;
	}
	rlpx_codec_fini(&rx);
	rlpx_frame_fini(&tx);
	return 0;
}
