/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_sim.c - `devplane sim`: a whole network in one process on a virtual clock (control/sim/simnet.h); prints a summary, writes CSV and SVG. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/cmd/cmdutil.h"
#include "control/sim/simnet.h"
#include "control/sim/simreport.h"

static const enum flag_id sim_flags[] = {
	F_NODES, F_LOSS, F_DELAY, F_JITTER, F_CHURN, F_PARTITION, F_DURATION,
	F_SEED, F_V4, F_V5, F_LOOKUPS, F_BROADCASTS, F_NO_RLPX, F_P2P, F_OUT,
	F_END
};

static const struct flags_cmd sim_cmd = {
	.path = "sim",
	.summary = "Simulate N discovery v4 (or, with --v5, v5) nodes with "
		   "RLPx gossip and send-by-id in one process on a virtual "
		   "clock.",
	.accept = sim_flags,
	.notes = "Every datagram passes the dataplane's ingress checks (hash, "
		 "signature, expiration, replay, per-source budget; with "
		 "--v5 the discovery demux and discv5's static-header, "
		 "budget and WHOAREYOU checks). Lookups are the discovery "
		 "step of send-by-id requests to nodes outside the sender's "
		 "table; hops count FindNode (FINDNODE) queries. "
		 "A table is healthy when it holds min(16, live nodes - 1) "
		 "entries. --out PREFIX writes PREFIX.csv (one row), "
		 "PREFIX-fill.csv (table fill over time) and PREFIX.svg.",
};

static int write_file(const char *prefix, const char *suffix, const char *s,
		      size_t len)
{
	char path[4096];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s%s", prefix, suffix);
	f = fopen(path, "w");
	if (!f || fwrite(s, 1, len, f) != len)
		rc = -errno;
	if (f && fclose(f) != 0 && !rc)
		rc = -errno;
	if (rc)
		fprintf(stderr, "devplane sim: %s: %s\n", path, strerror(-rc));
	return rc ? rc : 0;
}

int cmd_sim(int argc, char **argv)
{
	struct simnet_result *r = calloc(1, sizeof(*r));
	struct flags *o = malloc(sizeof(*o));
	struct simnet_cfg c;
	char *txt = NULL;
	size_t len = 0;
	int status = 1, rc;

	if (!o || !r)
		goto out;
	status = cmd_flags(o, &sim_cmd, argc, argv);
	if (status >= 0)
		goto out;
	status = 1;
	memset(&c, 0, sizeof(c));
	c.nodes = flags_given(o, F_NODES) ? o->nodes : 100;
	c.loss_ppm = o->loss_ppm;
	c.delay_ns = o->delay_ms * 1000000ull;
	c.jitter_ns = o->jitter_ms * 1000000ull;
	c.churn_pct = o->churn_pct;
	c.part_from_ns = o->part_from_ms * 1000000ull;
	c.part_to_ns = o->part_to_ms * 1000000ull;
	c.duration_ns = o->duration_ms * 1000000ull;
	c.seed = o->sim_seed;
	c.lookups = o->lookups;
	c.broadcasts = o->broadcasts;
	c.no_rlpx = o->no_rlpx;
	c.v5 = o->sim_v5;
	c.p2p = o->sim_p2p;
	rc = simnet_run(r, &c);
	if (rc < 0) {
		fprintf(stderr, "devplane sim: %s\n", strerror(-rc));
		goto out;
	}
	if (simreport_summary(&txt, &len, &c, r) < 0)
		goto out;
	fputs(txt, stdout);
	free(txt);
	txt = NULL;
	status = 0;
	if (!o->out)
		goto out;
	if (simreport_csv(&txt, &len, &c, r, true) < 0 ||
	    write_file(o->out, ".csv", txt, len) < 0)
		status = 1;
	free(txt);
	txt = NULL;
	if (simreport_fill_csv(&txt, &len, r) < 0 ||
	    write_file(o->out, "-fill.csv", txt, len) < 0)
		status = 1;
	free(txt);
	txt = NULL;
	if (simreport_svg(&txt, &len, &c, r) < 0 ||
	    write_file(o->out, ".svg", txt, len) < 0)
		status = 1;
out:
	free(txt);
	free(o);
	free(r);
	return status;
}
