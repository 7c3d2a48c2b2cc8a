/* SPDX-License-Identifier: MIT */
/* dataplane/stage/rlpx_codec.h - the RLPx session's pure byte work: frames
 * in (buffering, open, message code, snappy), messages out (code, snappy,
 * seal). No sockets, no clock; unit-tested and fuzzed on (buf, len). */
#ifndef DATAPLANE_RLPX_CODEC_H
#define DATAPLANE_RLPX_CODEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/msg.h"
#include "common/rlpx_frame.h"
#include "dataplane/stage/rlpx_budget.h"

/*
 * One codec per session, owned by one thread. It continues the frame
 * streams control set up in the handshake (rlpx.md, Framing), so a frame
 * is opened or sealed exactly once and in order: a fatal error poisons
 * it. Memory: an input buffer (RLPX_CODEC_IBUF_MIN, grown to the frame
 * being read, at most the frame cap) and a snappy output buffer (grown to
 * the message being decoded, at most RLPX_MSG_CAP), both charged to a
 * budget (dataplane/stage/rlpx_budget.h) when one is given, and given
 * back by rlpx_codec_trim().
 */

#define RLPX_CODEC_IBUF_MIN (64u << 10)
#define RLPX_MSG_CAP        (16u << 20)         /* largest message, decoded */

#define RLPX_P2P_DISCONNECT 0x01
#define RLPX_P2P_PING       0x02
#define RLPX_P2P_PONG       0x03

/* One decoded message: code and payload (uncompressed). data points into
 * the codec and is valid until the next rlpx_codec_rx_* call. */
struct rlpx_msg {
	uint64_t code;
	const uint8_t *data;
	size_t len;
};

/* The socket-free part of a session: frame state, input buffer, snappy.
 * Pure bytes in, messages out; unit-tested and fuzzed directly. */
struct rlpx_codec {
	struct rlpx_frame f;
	bool snappy;
	uint8_t *ibuf;                  /* [ioff, ilen) buffered wire bytes */
	size_t icap, ioff, ilen;
	size_t body_need;               /* 0: a header is due */
	size_t ibuf_max;                /* largest frame body + header */
	uint8_t *dbuf;                  /* snappy output */
	size_t dcap;
	size_t opened;                  /* a frame opened at ioff whose
					 * message the budget held back:
					 * its plaintext length, or 0 */
	struct rlpx_budget *budget;     /* ibuf and dbuf are charged here */
};

/* rlpx_codec_init() continues the streams described by the secret fields
 * of k (rlpx_frame_import()) with frame-size capped at frame_cap (0: 16
 * MiB) and snappy on if MSG_RLPX_KEYS_F_SNAPPY is in flags. Its buffers
 * are charged to b (NULL: no budget), which must outlive it. Allocates
 * the first input buffer. Returns 0, -EBADMSG (bad state), -EDQUOT (the
 * budget refused that buffer), -ENOMEM. */
int rlpx_codec_init(struct rlpx_codec *c, const struct msg_rlpx_keys *k,
		    size_t frame_cap, uint32_t flags, struct rlpx_budget *b);

/* rlpx_codec_fini() wipes and frees (giving the budget back); safe on a
 * zeroed or finished codec. */
void rlpx_codec_fini(struct rlpx_codec *c);

/* rlpx_codec_trim() gives back what an idle codec holds beyond its
 * resting size: the input buffer, once nothing is buffered, down to
 * RLPX_CODEC_IBUF_MIN; a snappy buffer above that size. The last message
 * returned is gone afterwards. */
void rlpx_codec_trim(struct rlpx_codec *c);

/* rlpx_codec_rx_space() makes room for the next read and returns where to
 * put bytes (*p) and how many fit, or -ENOMEM, -EDQUOT (the budget
 * refuses the room the frame being read needs: try again once memory is
 * back), -EPROTO, or -ENOBUFS (a whole frame is buffered: call
 * rlpx_codec_rx_next() first). */
ssize_t rlpx_codec_rx_space(struct rlpx_codec *c, uint8_t **p);

/* rlpx_codec_rx_commit() records n bytes written at rx_space()'s *p. */
void rlpx_codec_rx_commit(struct rlpx_codec *c, size_t n);

/* rlpx_codec_rx_push() copies buf[0..len) in (tests, fuzzing). Returns
 * bytes taken (less than len when a whole frame is buffered) or -errno. */
ssize_t rlpx_codec_rx_push(struct rlpx_codec *c, const uint8_t *buf,
			   size_t len);

/* rlpx_codec_rx_next() opens the next buffered frame into *m. Returns 0,
 * -EAGAIN (need more bytes), -EDQUOT (the frame is open but the budget
 * refuses its snappy buffer: call again later, the message comes then),
 * or a fatal error that ends the session:
 * -EKEYREJECTED (header or frame MAC), -EMSGSIZE (frame-size above the
 * cap, or a snappy length above RLPX_MSG_CAP: checked before inflating),
 * -EBADMSG (no message code, corrupt snappy), -ENOMEM, -EPROTO. */
int rlpx_codec_rx_next(struct rlpx_codec *c, struct rlpx_msg *m);

/* rlpx_codec_rx_next_batch() is rc[i] = rlpx_codec_rx_next(c[i], &m[i])
 * for every i < n, the frame opens of the codecs run as frame batches
 * (rlpx_frame_open_header_batch / _open_body_batch: their keccak MACs
 * side by side). The codecs must be distinct. */
void rlpx_codec_rx_next_batch(struct rlpx_codec *const c[],
			      struct rlpx_msg m[], int rc[], size_t n);

/* rlpx_codec_scratch_len() is the scratch rlpx_codec_seal() needs for a
 * len-byte message; rlpx_codec_sealed_max() bounds its output. */
size_t rlpx_codec_scratch_len(size_t len);
size_t rlpx_codec_sealed_max(size_t len);

/* rlpx_codec_seal() frames message (code, data[0..len)) into out: rlp(code)
 * || data (snappy-compressed when on), sealed. scratch holds the plain
 * frame. Returns bytes written, -ENOBUFS (out or scratch too small),
 * -EMSGSIZE (over the frame cap or RLPX_MSG_CAP), -EPROTO (poisoned). */
ssize_t rlpx_codec_seal(struct rlpx_codec *c, uint8_t *out, size_t out_cap,
			uint8_t *scratch, size_t scratch_cap, uint64_t code,
			const uint8_t *data, size_t len);

/* One message for rlpx_codec_seal_batch(): the arguments and the result
 * of one rlpx_codec_seal() call. */
struct rlpx_codec_tx {
	struct rlpx_codec *c;
	uint8_t *out;
	size_t out_cap;
	uint8_t *scratch;               /* its own, for the whole batch */
	size_t scratch_cap;
	uint64_t code;
	const uint8_t *data;
	size_t len;
	ssize_t rc;                     /* what rlpx_codec_seal() returns */
};

/* rlpx_codec_seal_batch() is tx[i].rc = rlpx_codec_seal(...) for every
 * i < n, the frames sealed as frame batches (rlpx_frame_seal_batch()).
 * A codec may appear more than once: its messages go out in array
 * order. Buffers of different entries may not overlap, except data. */
void rlpx_codec_seal_batch(struct rlpx_codec_tx *tx, size_t n);

#endif /* DATAPLANE_RLPX_CODEC_H */
