/* SPDX-License-Identifier: MIT */
/* control/rlpx/rlpxconn.h - one RLPx connection's control phase, sans-I/O: the handshake bytes, then frames read and written until the session is handed over. */
#ifndef CONTROL_RLPXCONN_H
#define CONTROL_RLPXCONN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/rlpx_frame.h"
#include "control/rlpx/rlpx.h"

/*
 * What runs on a TCP connection before devplane-dp takes it (DESIGN.md, the
 * kernel-TLS split): the RLPx handshake (control/rlpx/rlpx.h) and then a
 * few frames (the two Hellos, perhaps a Disconnect). The caller owns the
 * socket and the clock: it feeds the bytes it read with rlpxconn_feed()
 * and writes what rlpxconn_out() shows, reporting how much went with
 * rlpxconn_out_done(). Nothing here touches a socket or reads a clock.
 *
 * Reading never goes past what the control phase needs: the handshake
 * consumes exactly its message, and the frame reader consumes at most up
 * to the end of the frame it is assembling and stops after each complete
 * frame (RLPXCONN_EV_MSG). A caller that hands the session over after a
 * message therefore leaves every later byte of the stream in the socket
 * for the dataplane.
 *
 * Writing goes into a bounded queue (wq_max bytes): the caller flushes it
 * without blocking, and must have flushed all of it before the frame
 * state is handed over (rlpxconn_frame() says when that is allowed).
 *
 *   INIT --dial/accept--> HANDSHAKE --auth/ack ok--> FRAMES
 *   any --bad bytes, deadline, cap--> FAILED (secrets wiped)
 *
 * Messages are framed one per frame as rlp(code) || payload; the payload
 * of a sent message is snappy-compressed when the caller says so (p2p >= 5
 * after the Hellos, EIP-706). Received payloads are passed on as they are.
 * One thread at a time per struct.
 */

#define RLPXCONN_FRAME_MAX   (64u << 10)        /* largest frame read here */
#define RLPXCONN_WQ_MAX      (64u << 10)        /* default queue cap */

enum rlpxconn_state {
	RLPXCONN_INIT = 0,              /* zeroed or fini'd */
	RLPXCONN_HANDSHAKE,             /* auth or ack due */
	RLPXCONN_FRAMES,                /* secrets in place: frames */
	RLPXCONN_FAILED,                /* terminal */
};

/* What a rlpxconn_feed() call completed. */
enum rlpxconn_event {
	RLPXCONN_EV_NONE = 0,           /* more bytes needed */
	RLPXCONN_EV_HANDSHAKE,          /* now in FRAMES; remote id known */
	RLPXCONN_EV_MSG,                /* one message: *msg is set */
};

/* A received message: a view into the connection's buffer, valid until
 * the next call on the connection. */
struct rlpxconn_msg {
	uint64_t code;
	const uint8_t *payload;
	size_t len;
};

/* Embedded by the caller; zero it (or rlpxconn_fini()) before an init
 * call. Treat as opaque. */
struct rlpxconn {
	enum rlpxconn_state state;
	int error;                      /* FAILED: why */
	bool legacy;                    /* the remote spoke pre-EIP-8 */
	uint8_t remote[SECP_PUB_LEN];   /* dialed id, or learnt from the auth */
	struct rlpx_hs hs;              /* HANDSHAKE */
	struct rlpx_frame fr;           /* FRAMES */
	/* Frame reader: header (rbody false) or body, rhave of rneed. */
	uint8_t *rbuf;
	size_t rcap, rneed, rhave;
	bool rbody;
	/* Write queue: wq[woff .. woff + wlen), at most wq_max bytes. */
	uint8_t *wq;
	size_t wcap, woff, wlen, wq_max;
};

/* rlpxconn_dial() starts the handshake as the initiator towards
 * remote_pub with our key priv: the auth message is queued. wq_max 0 means
 * RLPXCONN_WQ_MAX. Returns 0, -ENOBUFS (the auth does not fit wq_max),
 * -ENOMEM, or the errors of rlpx_hs_init_initiator(); on error c is back
 * in INIT. */
int rlpxconn_dial(struct rlpxconn *c, const uint8_t priv[SECP_PRIV_LEN],
		  const uint8_t remote_pub[SECP_PUB_LEN], size_t wq_max,
		  uint64_t now);

/* rlpxconn_accept() starts the handshake as the recipient. Returns 0 or
 * the errors of rlpx_hs_init_recipient(). */
int rlpxconn_accept(struct rlpxconn *c, const uint8_t priv[SECP_PRIV_LEN],
		    size_t wq_max, uint64_t now);

/* rlpxconn_feed() takes bytes buf[0..len) received at now, stopping after
 * the first event: *ev says what completed (RLPXCONN_EV_MSG fills *msg).
 * Returns the bytes consumed (call again with the rest after handling the
 * event; with RLPXCONN_EV_NONE everything was consumed), or an error,
 * after which the state is FAILED: the errors of rlpx_hs_feed() (the
 * recipient's ack is queued when its handshake completes, -ENOBUFS if it
 * does not fit), -EMSGSIZE (a frame above RLPXCONN_FRAME_MAX),
 * -EKEYREJECTED (a frame MAC), -EBADMSG (a message code that is not an
 * RLP integer), -ENOMEM; or -EPROTO (not in HANDSHAKE / FRAMES; nothing
 * changes). */
ssize_t rlpxconn_feed(struct rlpxconn *c, enum rlpxconn_event *ev,
		      struct rlpxconn_msg *msg, const uint8_t *buf, size_t len,
		      uint64_t now);

/* rlpxconn_send() frames message (code, payload[0..len)) into the write
 * queue, compressing the payload when snappy is set. Returns 0, or -EPROTO
 * (not in FRAMES), -EMSGSIZE (len over RLPXCONN_FRAME_MAX), -ENOBUFS (the
 * queue would exceed wq_max: nothing queued), -ENOMEM. */
int rlpxconn_send(struct rlpxconn *c, uint64_t code, const uint8_t *payload,
		  size_t len, bool snappy);

/* rlpxconn_out() points *p at the queued bytes and returns how many (0:
 * none). The view is valid until the next call on c. */
size_t rlpxconn_out(const struct rlpxconn *c, const uint8_t **p);

/* rlpxconn_out_done() drops the first n queued bytes (they were written);
 * n above the queued length drops them all. */
void rlpxconn_out_done(struct rlpxconn *c, size_t n);

/* rlpxconn_next_deadline() is the handshake deadline, or UINT64_MAX
 * outside HANDSHAKE. */
uint64_t rlpxconn_next_deadline(const struct rlpxconn *c);

/* rlpxconn_on_timer() checks the handshake deadline. Returns 0 or
 * -ETIMEDOUT (state now FAILED). */
int rlpxconn_on_timer(struct rlpxconn *c, uint64_t now);

/* rlpxconn_frame() is the frame state to hand over (dplink), or NULL when
 * that is not allowed now: not in FRAMES, a frame half read, or bytes
 * still queued. */
const struct rlpx_frame *rlpxconn_frame(const struct rlpxconn *c);

/* rlpxconn_fini() wipes every secret, frees the buffers and leaves c in
 * INIT; it does not free c. */
void rlpxconn_fini(struct rlpxconn *c);

#endif /* CONTROL_RLPXCONN_H */
