/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_report.c - `devplane report DB --out FILE`: a crawl's HTML report from its database. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "control/cmd/cmdutil.h"
#include "control/store/crawldb.h"
#include "control/store/pgstore.h"
#include "control/store/reportdb.h"

static const enum flag_id takes[] = { F_OUT, F_CRAWL_ROUND, F_END };

static const struct flags_cmd report_cmd = {
	.path = "report",
	.synopsis = "DB",
	.min_args = 1,
	.max_args = 1,
	.summary = "Write the HTML report of a crawl in DB (a SQLite file, or "
		   "a postgres:// URL)\nto --out: coverage over time, clients "
		   "and versions, eth versions, networks\nand fork ids, ENR "
		   "keys, discovery and RLPx error classes, the neighbour\n"
		   "graph's degrees. One self-contained page: inline SVG, no "
		   "script, no network.",
	.accept = takes,
	.notes = "The crawl is --crawl-round NAME's, else the latest one.",
};

int cmd_report(int argc, char **argv)
{
	struct flags *o = malloc(sizeof(*o));
	struct crawldb *db = NULL;
	const char *target;
	int64_t id;
	int rc, status;

	if (!o)
		return 1;
	status = cmd_flags(o, &report_cmd, argc, argv);
	if (status >= 0)
		goto out;
	status = 2;
	if (!o->out) {
		fprintf(stderr, "devplane: report needs --out FILE\n");
		goto out;
	}
	status = 1;
	target = o->args[0];
	rc = crawldb_open(&db, target);
	if (rc) {
		cmd_err(pgstore_is_url(target) ? "store" : target, rc);
		goto out;
	}
	rc = crawldb_find(db, o->crawl_round, &id);
	if (rc) {
		if (rc == -ENOENT)
			fprintf(stderr, "devplane: report: no crawl%s%s in %s\n",
				o->crawl_round ? " named " : "",
				o->crawl_round ? o->crawl_round : "",
				pgstore_is_url(target) ? "the store" : target);
		else
			cmd_err("report", rc);
		goto out;
	}
	rc = reportdb_write(db, id, o->out);
	if (rc) {
		cmd_err(o->out, rc);
		goto out;
	}
	printf("report of crawl %" PRId64 ": %s\n", id, o->out);
	status = 0;
out:
	crawldb_close(db);
	free(o);
	return status;
}
