/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_testnet.c - `devplane testnet`: a loopback discovery
 * network in one process. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/cmd/cmdutil.h"
#include "control/host/testnet.h"

static const enum flag_id takes[] = {
	F_NODES, F_BASE_PORT, F_IP, F_METRICS_ADDR, F_STATS, F_DATAPLANE,
	F_DP_QUEUES, F_DP_EAL, F_VERBOSITY, F_END
};

static const struct flags_cmd testnet_cmd = {
	.path = "testnet",
	.summary = "Run --nodes N discv4 nodes on --ip (default 127.0.0.1) "
		   "ports BASE-PORT.. in one\nprocess over one dataplane; "
		   "print node 0's enode URL and progress until\ninterrupted.",
	.accept = takes,
};

int cmd_testnet(int argc, char **argv)
{
	struct flags *o = malloc(sizeof(*o));
	struct testnet_cfg tc = { 0 };
	int status;

	if (!o)
		return 1;
	status = cmd_flags(o, &testnet_cmd, argc, argv);
	if (status >= 0)
		goto out;
	status = 2;
	if (!o->nodes) {
		fprintf(stderr, "devplane: testnet needs --nodes N\n");
		goto out;
	}
	if ((unsigned)o->base_port + o->nodes - 1 > 65535) {
		fprintf(stderr, "devplane: ports %u..%u out of range\n",
			o->base_port, o->base_port + o->nodes - 1);
		goto out;
	}
	tc.nodes = o->nodes;
	tc.base_port = o->base_port;
	memcpy(tc.ip, o->ip, 16);
	cmd_loop_cfg(&tc.loop, o, NULL, 0, NULL);
	tc.verbosity = o->verbosity;
	tc.stats = o->stats;
	tc.print_stats = cmd_print_engine_stats;
	status = testnet_run(&tc) ? 1 : 0;
out:
	free(o);
	return status;
}
