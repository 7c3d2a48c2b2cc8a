/* SPDX-License-Identifier: MIT */
/* control/tester/v4test.h - discv4 conformance suite (geth's v4test cases and more). */
#ifndef CONTROL_V4TEST_H
#define CONTROL_V4TEST_H
#include <stdint.h>
#include <stdio.h>

#include "common/enode.h"

/*
 * The suite plays one or two remote peers against a discv4 node and checks
 * what the spec (discv4.md, EIP-8, EIP-868) requires of it: Pong mirrors the
 * ping hash and the real source endpoint, 'from'/'to' and trailing data in a
 * Ping are ignored, expired and unknown packets get no answer, no Neighbors
 * or ENRResponse to an endpoint that has not proved itself (by answering our
 * Ping from the same node id and IP), and Neighbors never echoes unsolicited
 * nodes. Each case runs with a fresh key and fresh sockets, so cases don't
 * share bonds. Case names follow go-ethereum's cmd/devp2p v4test where a
 * case exists there.
 *
 * Not thread-safe (one run at a time per process); blocks for about
 * 1 s per case.
 */

#define V4TEST_WAIT_MS 500      /* geth's v4test waitTime */

struct v4test_cfg {
	struct enode remote;    /* node under test: pub, ip, udp (not a name) */
	uint8_t l1[16];         /* first tester address (IPv4-mapped) */
	uint8_t l2[16];         /* second tester address, same node id */
	uint32_t wait_ms;       /* reply timeout per read (0: V4TEST_WAIT_MS) */
	const char *filter;     /* run only cases whose name contains it */
};

/* v4test_cfg_default() fills *cfg with remote and the testers 127.0.0.1
 * and 127.0.0.2 (for a remote on IPv6: ::1 twice, so the WrongIP case
 * cannot run and fails with that reason). */
void v4test_cfg_default(struct v4test_cfg *cfg, const struct enode *remote);

/* v4test_run() runs every case (or those matching cfg->filter), writing one
 * "PASS name (ms)" or "FAIL name: reason" line per case and a summary line
 * to out. Returns the number of failed cases (0: all passed), or -EINVAL
 * (remote has no IP or UDP port, no case matches the filter). */
int v4test_run(const struct v4test_cfg *cfg, FILE *out);

#endif /* CONTROL_V4TEST_H */
