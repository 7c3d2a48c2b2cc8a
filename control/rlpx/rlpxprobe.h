/* SPDX-License-Identifier: MIT */
/* control/rlpx/rlpxprobe.h - what one RLPx probe (TCP connect, handshake, Hello, eth Status) learnt about a node. */
#ifndef CONTROL_RLPXPROBE_H
#define CONTROL_RLPXPROBE_H
#include <stdbool.h>
#include <stdint.h>

#include "control/rlpx/eth.h"
#include "control/rlpx/p2p.h"

/*
 * A plain record shared by the code that runs probes (the session host's
 * prober, control/host/session.h) and the code that uses their results
 * (the crawler's RLPx pass, control/crawl/crawl_rlpx.h, and the crawl
 * output store, control/store/crawlstore.h), so that neither includes the
 * other. Header only: no functions.
 */

enum rlpxprobe_stage {
	RLPXPROBE_CONNECT = 0,          /* TCP connect */
	RLPXPROBE_HANDSHAKE,            /* RLPx auth/ack */
	RLPXPROBE_HELLO,                /* Hello exchange */
	RLPXPROBE_STATUS,               /* session up, waiting for Status */
	RLPXPROBE_STAGE_MAX
};

/* What one probe learnt. */
struct rlpxprobe_result {
	uint8_t pub[P2P_ID_LEN];
	uint8_t ip[16];
	uint16_t tcp;
	int err;                        /* 0: Status received; else -errno
					 * of the failure: -ETIMEDOUT,
					 * -ECONNREFUSED, -ECONNRESET
					 * (closed), -ECONNABORTED (a
					 * Disconnect before Status),
					 * -EKEYREJECTED / -EBADMSG
					 * (handshake or framing) ... */
	enum rlpxprobe_stage stage;     /* the last stage reached */
	bool has_hello;
	struct p2p_hello hello;
	uint32_t eth_version;           /* eth version the Hellos negotiated
					 * (the highest both sides have; our
					 * Status is of this version); 0:
					 * none (no Hello, or no eth in
					 * common) */
	bool has_status;
	struct eth_status status;
	enum eth_err status_err;        /* our check of their Status */
	uint8_t disc_reason;            /* P2P_DISC_NONE: no Disconnect */
	bool disc_remote;               /* they sent it */
	uint64_t started_ns, finished_ns;       /* the session host: monotonic;
						 * handed on: Unix */
};

#endif /* CONTROL_RLPXPROBE_H */
