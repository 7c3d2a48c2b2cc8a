/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_test.c - `devplane test discv4`: the conformance suite. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/base/nodearg.h"
#include "control/cmd/cmdutil.h"
#include "control/tester/v4test.h"

static const enum flag_id takes[] = {
	F_TESTER_ADDR, F_FILTER, F_WAIT_MS, F_END
};

static const struct flags_cmd discv4_cmd = {
	.path = "test discv4", .synopsis = "ENODE", .min_args = 1,
	.max_args = 1,
	.summary = "Run the discv4 conformance suite (geth's `devp2p discv4 "
		   "test` cases)\nagainst any node; exit 0 when every case "
		   "passes.",
	.accept = takes,
	.notes = "The testers bind IP1 and IP2; both must be local addresses "
		 "from which the\nnode is reachable (e.g. two addresses on the "
		 "other end of a veth pair).",
};

int cmd_test_discv4(int argc, char **argv)
{
	struct v4test_cfg cfg;
	struct flags *o = malloc(sizeof(*o));
	struct enode e;
	int rc, status;

	if (!o)
		return 1;
	status = cmd_flags(o, &discv4_cmd, argc, argv);
	if (status >= 0)
		goto out;
	if (nodearg_parse(&e, o->args[0])) {
		fprintf(stderr, "devplane: invalid node %s\n", o->args[0]);
		status = 2;
		goto out;
	}
	v4test_cfg_default(&cfg, &e);
	if (flags_given(o, F_TESTER_ADDR)) {
		memcpy(cfg.l1, o->tester_addr[0], 16);
		memcpy(cfg.l2, o->tester_addr[1], 16);
	}
	cfg.filter = o->filter;
	cfg.wait_ms = o->wait_ms;
	rc = v4test_run(&cfg, stdout);
	if (rc < 0)
		fprintf(stderr, "devplane: test discv4: %s\n", strerror(-rc));
	status = rc == 0 ? 0 : 1;
out:
	free(o);
	return status;
}
