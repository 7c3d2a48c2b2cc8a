/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_test.c - `devplane test discv4|discv5`: the conformance
 * suites. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/base/nodearg.h"
#include "control/cmd/cmdutil.h"
#include "control/tester/v4test.h"
#include "control/tester/v5test.h"

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

static const struct flags_cmd discv5_cmd = {
	.path = "test discv5", .synopsis = "ENR", .min_args = 1,
	.max_args = 1,
	.summary = "Run the discv5 conformance suite (geth's `devp2p discv5 "
		   "test` cases, those\ngeth has in review, and robustness "
		   "cases) against any node; exit 0 when\nevery case passes.",
	.accept = takes,
	.notes = "ENR is an enr: record or an enode URL (its key and UDP "
		 "endpoint). The testers\nbind IP1 and IP2; both must be local "
		 "addresses from which the node is\nreachable. FindnodeResults "
		 "waits up to a minute for the node to revalidate\nits "
		 "bystanders.",
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

int cmd_test_discv5(int argc, char **argv)
{
	struct v5test_cfg cfg;
	struct discv5_node n;
	struct flags *o = malloc(sizeof(*o));
	const char *arg;
	struct enode e;
	int rc, status;

	if (!o)
		return 1;
	status = cmd_flags(o, &discv5_cmd, argc, argv);
	if (status >= 0)
		goto out;
	arg = o->args[0];
	/* An enr: record is kept whole; an enode URL gives key and UDP
	 * endpoint, all a handshake needs. */
	if (!strncmp(arg, "enr:", 4))
		rc = discv5_node_from_text(&n, arg, strlen(arg));
	else if ((rc = nodearg_parse(&e, arg)) == 0)
		discv5_node_from_addr(&n, NULL, e.pub, e.ip, e.udp);
	if (rc || !n.udp) {
		fprintf(stderr, "devplane: invalid node %s\n", arg);
		status = 2;
		goto out;
	}
	v5test_cfg_default(&cfg, &n);
	if (flags_given(o, F_TESTER_ADDR)) {
		memcpy(cfg.l1, o->tester_addr[0], 16);
		memcpy(cfg.l2, o->tester_addr[1], 16);
	}
	cfg.filter = o->filter;
	cfg.wait_ms = o->wait_ms;
	rc = v5test_run(&cfg, stdout);
	if (rc < 0)
		fprintf(stderr, "devplane: test discv5: %s\n", strerror(-rc));
	status = rc == 0 ? 0 : 1;
out:
	free(o);
	return status;
}
