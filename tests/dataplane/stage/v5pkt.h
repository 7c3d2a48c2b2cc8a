/* SPDX-License-Identifier: MIT */
/* tests/dataplane/stage/v5pkt.h - discv5 datagrams made by hand for the
 * dataplane's tests: any header (right or wrong), masked for a node id. */
#ifndef TESTS_V5PKT_H
#define TESTS_V5PKT_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/discv5_wire.h"
#include "common/ipsecmb.h"

/* v5pkt() writes masking-iv || masked(static-header || authdata) || body
 * into out (DISCV5_PACKET_MAX + 64 bytes at least) for the node dest:
 * protocol-id "discv5", the given version, flag and authdata-size field
 * (auth_len), then auth_fill bytes of authdata (0xa5) and body_len bytes
 * of message (0x5a). iv_seed varies the masking IV. Returns the length,
 * or 0 if masking failed. */
static inline size_t v5pkt(uint8_t *out, const uint8_t dest[32],
			   uint16_t version, uint8_t flag, uint16_t auth_len,
			   size_t auth_fill, size_t body_len, uint8_t iv_seed)
{
	uint8_t plain[DISCV5_STATIC_HDR_LEN + 1280];
	struct discv5_mask_key k;
	size_t hl = DISCV5_STATIC_HDR_LEN + auth_fill;

	if (hl > sizeof(plain) || discv5_mask_key_init(&k, dest) < 0)
		return 0;
	for (unsigned i = 0; i < DISCV5_MASKING_IV_LEN; i++)
		out[i] = (uint8_t)(iv_seed * 31 + i);
	memcpy(plain, DISCV5_PROTOCOL_ID, DISCV5_PROTOCOL_ID_LEN);
	plain[6] = (uint8_t)(version >> 8);
	plain[7] = (uint8_t)version;
	plain[8] = flag;
	for (unsigned i = 0; i < DISCV5_GCM_NONCE_LEN; i++)
		plain[9 + i] = (uint8_t)(0x40 + i + iv_seed);
	plain[21] = (uint8_t)(auth_len >> 8);
	plain[22] = (uint8_t)auth_len;
	memset(plain + DISCV5_STATIC_HDR_LEN, 0xa5, auth_fill);
	if (ipsecmb_aes128_ctr(ipsecmb_thread_mgr(), out + DISCV5_MASKING_IV_LEN,
			       k.sched, out, plain, hl) < 0)
		return 0;
	memset(out + DISCV5_MASKING_IV_LEN + hl, 0x5a, body_len);
	return DISCV5_MASKING_IV_LEN + hl + body_len;
}

/* The three valid shapes: a WHOAREYOU (63 bytes), a message packet with
 * a 20-byte message, a handshake without a record and a 20-byte message. */
static inline size_t v5pkt_whoareyou(uint8_t *out, const uint8_t dest[32],
				     uint8_t seed)
{
	return v5pkt(out, dest, DISCV5_VERSION, DISCV5_FLAG_WHOAREYOU,
		     DISCV5_AUTH_WHOAREYOU_LEN, DISCV5_AUTH_WHOAREYOU_LEN, 0,
		     seed);
}

static inline size_t v5pkt_message(uint8_t *out, const uint8_t dest[32],
				   uint8_t seed)
{
	return v5pkt(out, dest, DISCV5_VERSION, DISCV5_FLAG_MESSAGE,
		     DISCV5_AUTH_MESSAGE_LEN, DISCV5_AUTH_MESSAGE_LEN, 20,
		     seed);
}

static inline size_t v5pkt_handshake(uint8_t *out, const uint8_t dest[32],
				     uint8_t seed)
{
	return v5pkt(out, dest, DISCV5_VERSION, DISCV5_FLAG_HANDSHAKE,
		     DISCV5_AUTH_HS_MIN_LEN, DISCV5_AUTH_HS_MIN_LEN, 20, seed);
}

#endif /* TESTS_V5PKT_H */
