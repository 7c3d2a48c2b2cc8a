/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_nodeset.c - `devplane nodeset filter|info`: geth's
 * `devp2p nodeset` on a node set (nodes.json). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/cmd/cmdutil.h"
#include "control/store/nodeset.h"

static const enum flag_id filter_flags[] = {
	F_ETH_NETWORK, F_LIMIT, F_MIN_AGE, F_SNAP, F_LES_SERVER, F_DIALABLE,
	F_IP, F_OUT, F_END
};
static const enum flag_id none[] = { F_END };

static const struct flags_cmd filter_cmd = {
	.path = "nodeset filter", .synopsis = "NODES.JSON", .min_args = 1,
	.max_args = 1,
	.summary = "Write the nodes of NODES.JSON (\"-\": standard input) "
		   "that pass every filter,\nas geth's `devp2p nodeset filter` "
		   "does, to standard output (or --out).",
	.accept = filter_flags,
	.notes = "geth's single-dash spelling works too: -eth-network "
		 "mainnet -limit 10.\n--ip takes a CIDR here.",
};

static const struct flags_cmd info_cmd = {
	.path = "nodeset info", .synopsis = "NODES.JSON", .min_args = 1,
	.max_args = 1,
	.summary = "Print how many nodes NODES.JSON holds and how many of "
		   "their records have\neach ENR key, as geth's `devp2p "
		   "nodeset info`.",
	.accept = none,
};

static int load(struct nodesjson_set *set, const char *path)
{
	char err[256];
	int rc = nodesjson_read(set, path, err, sizeof(err));

	if (rc)
		fprintf(stderr, "devplane: %s\n", err);
	return rc;
}

static int nodeset_filter_run(const struct flags *o)
{
	struct nodeset_filter f = { .limit = o->limit };
	struct nodesjson_set set;
	int rc;

	if (o->eth_network)
		f.eth = forkid_chain_by_name(o->eth_network);
	f.snap = o->snap;
	f.les = o->les_server;
	f.dialable = o->dialable;
	if (flags_given(o, F_IP) && !o->has_ip_net) {
		fprintf(stderr, "devplane nodeset filter: --ip wants a CIDR\n");
		return 2;
	}
	f.has_ip = o->has_ip_net;
	f.ip = o->ip_net;
	f.has_min_age = flags_given(o, F_MIN_AGE);
	f.min_age_ns = (uint64_t)o->min_age_ms * 1000000ull;
	if (load(&set, o->args[0]))
		return 1;
	nodeset_filter(&set, &f);
	if (o->out)
		rc = nodesjson_write(o->out, set.entries, set.n);
	else
		rc = nodesjson_fprint(stdout, set.entries, set.n);
	if (rc)
		cmd_err(o->out ? o->out : "stdout", rc);
	nodesjson_set_free(&set);
	return rc ? 1 : 0;
}

int cmd_nodeset_filter(int argc, char **argv)
{
	struct flags *o = malloc(sizeof(*o));
	int status;

	if (!o)
		return 1;
	status = cmd_flags(o, &filter_cmd, argc, argv);
	if (status < 0)
		status = nodeset_filter_run(o);
	free(o);
	return status;
}

int cmd_nodeset_info(int argc, char **argv)
{
	struct flags *o = malloc(sizeof(*o));
	struct nodesjson_set set;
	int status;

	if (!o)
		return 1;
	status = cmd_flags(o, &info_cmd, argc, argv);
	if (status < 0) {
		status = 1;
		if (!load(&set, o->args[0])) {
			status = nodeset_fprint_info(stdout, &set) ? 1 : 0;
			nodesjson_set_free(&set);
		}
	}
	free(o);
	return status;
}
