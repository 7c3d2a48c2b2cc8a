/* SPDX-License-Identifier: MIT */
/* control/tester/v5test.h - discv5 conformance suite (geth v5test and more). */
#ifndef CONTROL_V5TEST_H
#define CONTROL_V5TEST_H
#include <stdint.h>
#include <stdio.h>

#include "control/discv5/discv5.h"

/*
 * The suite plays discv5 peers against a node over real UDP sockets bound
 * to two tester addresses, speaking the wire protocol by hand with the
 * common/ codec (not with our engine, so that it can test our engine):
 *   Ping, PingLargeRequestID, PingMultiIP, HandshakeResend, TalkRequest,
 *   FindnodeZeroDistance, FindnodeResults      geth cmd/devp2p v5test
 *   FindnodeWrongIP, FindnodeHandshake,
 *   UnsolicitedNodes                            geth PR #34770
 *   TruncatedPacket, WrongProtocolID,
 *   ReplayedHandshake                           robustness: no answer, and
 *                                               the node still answers after
 * Each case uses a fresh node key and fresh sockets. A request the node
 * under test sends us while we wait (a revalidation PING, FINDNODE [0]) is
 * answered and skipped. FindnodeResults waits up to bystander_wait_s for
 * the node to revalidate five bystander nodes.
 *
 * Not thread-safe (one run at a time per process); blocks for about
 * 1 s per case, FindnodeResults up to a minute.
 */

#define V5TEST_WAIT_MS          500
#define V5TEST_BYSTANDERS       5
#define V5TEST_BYSTANDER_WAIT_S 60

struct v5test_cfg {
	struct discv5_node remote;      /* node under test: key, ip, udp */
	uint8_t l1[16];                 /* first tester address (mapped) */
	uint8_t l2[16];                 /* second tester address */
	uint32_t wait_ms;               /* reply timeout (0: V5TEST_WAIT_MS) */
	uint32_t bystander_wait_s;      /* 0: V5TEST_BYSTANDER_WAIT_S */
	const char *filter;             /* only cases whose name contains it */
};

/* v5test_cfg_default() fills *cfg with remote and the testers 127.0.0.1
 * and 127.0.0.2 (::1 twice for an IPv6 remote: the multi-IP cases then
 * fail with that reason). */
void v5test_cfg_default(struct v5test_cfg *cfg,
			const struct discv5_node *remote);

/* v5test_run() runs every case (or those matching cfg->filter), writing
 * "PASS name (ms)" or "FAIL name: reason" per case and a summary line
 * "N passed, M failed" to out. Returns the number of failed cases, or
 * -EINVAL (remote without key, IP or UDP port; no case matches). */
int v5test_run(const struct v5test_cfg *cfg, FILE *out);

#endif /* CONTROL_V5TEST_H */
