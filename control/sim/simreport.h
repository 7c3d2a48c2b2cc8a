/* SPDX-License-Identifier: MIT */
/* control/sim/simreport.h - a simulation's result as text: summary, CSV rows, an SVG chart. */
#ifndef CONTROL_SIMREPORT_H
#define CONTROL_SIMREPORT_H
#include <stdbool.h>
#include <stddef.h>

#include "control/sim/simnet.h"

/*
 * Each function formats into a new heap buffer (*out, NUL-terminated,
 * *len bytes without the NUL; the caller frees it) and touches no file:
 * control/cmd/cmd_sim.c writes them. Returns 0 or -ENOMEM.
 */

/* simreport_summary() is the human-readable summary `devplane sim`
 * prints. */
int simreport_summary(char **out, size_t *len, const struct simnet_cfg *cfg,
		      const struct simnet_result *r);

/* simreport_csv() is one CSV row for the run (the seed-004 table's
 * columns), preceded by the header line when header is set. */
int simreport_csv(char **out, size_t *len, const struct simnet_cfg *cfg,
		  const struct simnet_result *r, bool header);

/* simreport_fill_csv() is the table fill over time: t_s,mean,min. */
int simreport_fill_csv(char **out, size_t *len, const struct simnet_result *r);

/* simreport_svg() is a chart of the run: table fill over time (mean and
 * minimum, with the time every table was healthy), and bars of the p50,
 * p90 and p99 of lookup hops, lookup time and broadcast latency. */
int simreport_svg(char **out, size_t *len, const struct simnet_cfg *cfg,
		  const struct simnet_result *r);

#endif /* CONTROL_SIMREPORT_H */
