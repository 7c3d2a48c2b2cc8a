/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_discv5_packet.c - discv5 static-header check, header
 * decode and message open on arbitrary packets to node B of the spec's
 * vectors, with re-encoding round trips.
 *
 * Input: one mode byte, then the packet. Mode bit 0 clear: the packet as
 * it came off the wire (masked). Set: the packet unmasked (masking-iv ||
 * header || message), masked here before decoding, so the fuzzer can
 * mutate header fields directly. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv5_msg.h"
#include "common/discv5_wire.h"
#include "common/ecies.h"
#include "tests/vectors/discv5_vectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NKEYS 3

/* Re-encodes *h with key and the plaintext it opened to; the packet must
 * come back byte for byte, as nothing in the format is free. */
static void reencode(const struct discv5_header *h, const uint8_t *pkt,
		     size_t len, const uint8_t key[DISCV5_KEY_LEN],
		     const uint8_t *pt, size_t pt_len)
{
	static uint8_t out[DISCV5_PACKET_MAX];
	const uint8_t *dest = discv5_vec_packets[0].dest_id;
	struct discv5_handshake_auth auth;
	ssize_t n;

	if (h->flag == DISCV5_FLAG_MESSAGE) {
		n = discv5_encode_message(out, sizeof(out), dest, pkt,
					  h->nonce, h->src_id, key, pt, pt_len);
	} else {
		memcpy(auth.src_id, h->src_id, sizeof(auth.src_id));
		memcpy(auth.id_sig, h->id_sig, sizeof(auth.id_sig));
		memcpy(auth.eph_pub, h->eph_pub, sizeof(auth.eph_pub));
		auth.record = h->record_len ? h->raw + h->record_off : NULL;
		auth.record_len = h->record_len;
		n = discv5_encode_handshake(out, sizeof(out), dest, pkt,
					    h->nonce, &auth, key, pt, pt_len);
	}
	if (n < 0 || (size_t)n != len || memcmp(out, pkt, len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct discv5_mask_key kb;
	static struct discv5_header h;
	static uint8_t buf[DISCV5_PACKET_MAX + 64], pt[DISCV5_PACKET_MAX];
	static int ready;
	/* The read keys of the vectors: ping (zero key) and both
	 * handshakes, so their seeds reach a successful open. */
	const uint8_t *keys[NKEYS] = {
		discv5_vec_packets[DISCV5_VEC_PING].read_key,
		discv5_vec_packets[DISCV5_VEC_HANDSHAKE].read_key,
		discv5_vec_packets[DISCV5_VEC_HANDSHAKE_ENR].read_key,
	};
	struct discv5_static s;
	const uint8_t *pkt;
	ssize_t cs, n;

	if (!ready) {
		if (discv5_mask_key_init(&kb, discv5_vec_packets[0].dest_id))
			abort();
		ready = 1;
	}
	if (size < 1 || size - 1 > sizeof(buf))
		return 0;
	pkt = data + 1;
	size--;
	if (data[0] & 1) {
		/* Mask what fits a header: the ordering of the checks is
		 * what is under test, not the masking. */
		memcpy(buf, pkt, size);
		if (size > 16 &&
		    ecies_aes128_ctr(buf + 16, discv5_vec_packets[0].dest_id,
				     buf, buf + 16, size - 16) < 0)
			abort();
		pkt = buf;
	}

	cs = discv5_check_static(&s, &kb, pkt, size);
	n = discv5_decode_header(&h, &kb, pkt, size);
	/* The two agree, but for the handshake sizes only decode sees. */
	if (cs != n && !(cs > 0 && n == -EBADMSG && s.flag == 2))
		abort();
	if (n < 0)
		return 0;
	if ((size_t)n > size || h.hdr_len != n || h.msg != pkt + n ||
	    h.msg_len != size - (size_t)n || h.flag != s.flag ||
	    h.authdata_len != s.authdata_len ||
	    memcmp(h.nonce, s.nonce, sizeof(h.nonce)) != 0 ||
	    memcmp(h.raw, pkt, 16) != 0)
		abort();

	if (h.flag == DISCV5_FLAG_WHOAREYOU) {
		uint8_t out[DISCV5_CHALLENGE_LEN], ch[DISCV5_CHALLENGE_LEN];

		if (discv5_encode_whoareyou(out, sizeof(out), ch,
					    discv5_vec_packets[0].dest_id, pkt,
					    h.nonce, h.id_nonce, h.enr_seq) !=
		    DISCV5_CHALLENGE_LEN ||
		    memcmp(out, pkt, sizeof(out)) != 0 ||
		    memcmp(ch, h.raw, sizeof(ch)) != 0)
			abort();
		return 0;
	}
	if (h.flag == DISCV5_FLAG_HANDSHAKE &&
	    h.record_off + h.record_len != h.hdr_len)
		abort();
	for (int k = 0; k < NKEYS; k++) {
		struct discv5_msg m;

		n = discv5_open_message(pt, sizeof(pt), &h, keys[k]);
		if (n == -EKEYREJECTED)
			continue;
		if (n == -EBADMSG)
			break;          /* empty plaintext */
		if (n <= 0 || (size_t)n != h.msg_len - DISCV5_GCM_TAG_LEN)
			abort();
		reencode(&h, pkt, size, keys[k], pt, (size_t)n);
		(void)discv5_msg_decode(&m, pt, (size_t)n);
		break;
	}
	return 0;
}
