/* SPDX-License-Identifier: MIT */
/* control/host/testnet.h - `devplane testnet`: N discv4 nodes on one
 * address (127.0.0.1 by default) in one process over one dataplane. */
#ifndef CONTROL_TESTNET_H
#define CONTROL_TESTNET_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control/host/loop.h"

struct discv4;

struct testnet_cfg {
	unsigned nodes;                 /* 1..DPLINK_MAX_SOCKS */
	uint16_t base_port;             /* node i listens on base_port + i */
	uint8_t ip[16];                 /* on this address (IPv4-mapped; all
					 * zero: 127.0.0.1) */
	/* The dataplane, metrics and verbosity settings; listen and n_listen
	 * are set by testnet_run(). */
	struct loop_cfg loop;
	int verbosity;
	bool stats;                     /* print tables and counters at exit */
	void (*print_stats)(FILE *f, const char *who, const struct discv4 *d);
};

/*
 * testnet_run() starts cfg->nodes engines on cfg->ip:base_port..,
 * each bootstrapping from the node started before it and up to two random
 * earlier ones, admits their first refresh by measured latency (AIMD on a
 * probe Ping's round trip), prints node 0's enode URL on stdout and
 * progress on stderr (verbosity >= 3: every 5 s, and "healthy after Ns"
 * once every table holds 16 nodes), and runs until SIGINT/SIGTERM.
 * Returns 0, 1 (a failure, printed), -EINVAL (bad nodes/base_port).
 */
int testnet_run(const struct testnet_cfg *cfg);

#endif /* CONTROL_TESTNET_H */
