/* SPDX-License-Identifier: MIT */
/* control/sim/simreport.c - a simulation's result as text: summary, CSV rows, an SVG chart. */
#include "control/sim/simreport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Formatting goes to open_memstream() only: the caller writes files. */

static int done(FILE *f, char **out)
{
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

static double pct(unsigned a, unsigned b)
{
	return b ? 100.0 * a / b : 0;
}

int simreport_summary(char **out, size_t *len, const struct simnet_cfg *c,
		      const struct simnet_result *r)
{
	FILE *f = open_memstream(out, len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "devplane sim: discv%c%s, %u nodes (%u boot), loss %.1f %%, "
		"delay %.0f ms + jitter %.0f ms, churn %u %% (%u nodes), "
		"%.0f s, seed %llu\n", c->v5 ? '5' : '4',
		c->p2p ? " + p2p sessions" : "", r->nodes, r->n_boot,
		c->loss_ppm / 1e4,
		c->delay_ns / 1e6, c->jitter_ns / 1e6, c->churn_pct,
		r->churned, c->duration_ns / 1e9,
		(unsigned long long)c->seed);
	fprintf(f, "lookups      %u, target found %u (%.1f %%), target known "
		"to its neighbourhood %u (%.1f %%), served by it %u "
		"(%.1f %%)\n", r->lookups,
		r->converged, pct(r->converged, r->lookups),
		r->targets_known, pct(r->targets_known, r->lookups),
		r->targets_served, pct(r->targets_served, r->lookups));
	fprintf(f, "  hops       p50 %.0f  p90 %.0f  p99 %.0f  max %.0f "
		"(FindNode queries)\n", r->hops.p50, r->hops.p90,
		r->hops.p99, r->hops.max);
	fprintf(f, "  time ms    p50 %.0f  p90 %.0f  p99 %.0f  max %.0f\n",
		r->lookup_ms.p50, r->lookup_ms.p90, r->lookup_ms.p99,
		r->lookup_ms.max);
	fprintf(f, "send-by-id   %u/%u delivered; ms p50 %.0f  p99 %.0f\n",
		r->sends_ok, r->sends, r->send_ms.p50, r->send_ms.p99);
	fprintf(f, "tables       healthy (>= min(16, live-1) entries) "
		"at %.2f s", r->healthy_s);
	if (r->churned)
		fprintf(f, "; again %.2f s after the churned nodes returned",
			r->reheal_s);
	fprintf(f, "\n");
	if (r->n_samples)
		fprintf(f, "  fill       at %.0f s mean %.1f min %u\n",
			r->fill_t_s[r->n_samples - 1],
			r->fill_mean[r->n_samples - 1],
			r->fill_min[r->n_samples - 1]);
	fprintf(f, "broadcast    %u messages, coverage min %.1f %% mean "
		"%.1f %%; latency ms p50 %.0f  p90 %.0f  p99 %.0f\n",
		r->bcasts, 100 * r->coverage_min, 100 * r->coverage_mean,
		r->bcast_ms.p50, r->bcast_ms.p90, r->bcast_ms.p99);
	fprintf(f, "rlpx         %u sessions, %u failed\n", r->rlpx_sessions,
		r->rlpx_failed);
	fprintf(f, "ingress      accepted %llu; dropped: expired %llu, "
		"budget %llu, replay %llu, other %llu; network lost %llu "
		"of %llu\n", (unsigned long long)r->rx_accept,
		(unsigned long long)r->rx_drop_expired,
		(unsigned long long)r->rx_drop_budget,
		(unsigned long long)r->rx_drop_replay,
		(unsigned long long)r->rx_drop_other,
		(unsigned long long)r->dgrams_lost,
		(unsigned long long)r->dgrams);
	return done(f, out);
}

int simreport_csv(char **out, size_t *len, const struct simnet_cfg *c,
		  const struct simnet_result *r, bool header)
{
	FILE *f = open_memstream(out, len);

	if (!f)
		return -ENOMEM;
	if (header)
		fprintf(f, "nodes,boot,loss_pct,delay_ms,jitter_ms,churn_pct,"
			"duration_s,seed,lookups,hops_p50,hops_p90,hops_p99,"
			"lookup_ms_p50,lookup_ms_p90,lookup_ms_p99,"
			"converged_pct,known_pct,sends_ok_pct,send_ms_p50,send_ms_p99,"
			"healthy_s,reheal_s,bcasts,coverage_min_pct,"
			"coverage_mean_pct,bcast_ms_p50,bcast_ms_p90,"
			"bcast_ms_p99,rx_accept,drop_expired,drop_budget,"
			"drop_replay,dgrams,dgrams_lost,proto,served_pct\n");
	fprintf(f, "%u,%u,%.1f,%.0f,%.0f,%u,%.0f,%llu,%u,%.0f,%.0f,%.0f,"
		"%.0f,%.0f,%.0f,%.1f,%.1f,%.1f,%.0f,%.0f,%.2f,%.2f,%u,%.1f,%.1f,"
		"%.0f,%.0f,%.0f,%llu,%llu,%llu,%llu,%llu,%llu,v%c%s,%.1f\n",
		r->nodes, r->n_boot, c->loss_ppm / 1e4, c->delay_ns / 1e6,
		c->jitter_ns / 1e6, c->churn_pct, c->duration_ns / 1e9,
		(unsigned long long)c->seed, r->lookups, r->hops.p50,
		r->hops.p90, r->hops.p99, r->lookup_ms.p50,
		r->lookup_ms.p90, r->lookup_ms.p99,
		pct(r->converged, r->lookups),
		pct(r->targets_known, r->lookups), pct(r->sends_ok, r->sends),
		r->send_ms.p50, r->send_ms.p99, r->healthy_s, r->reheal_s,
		r->bcasts, 100 * r->coverage_min, 100 * r->coverage_mean,
		r->bcast_ms.p50, r->bcast_ms.p90, r->bcast_ms.p99,
		(unsigned long long)r->rx_accept,
		(unsigned long long)r->rx_drop_expired,
		(unsigned long long)r->rx_drop_budget,
		(unsigned long long)r->rx_drop_replay,
		(unsigned long long)r->dgrams,
		(unsigned long long)r->dgrams_lost, c->v5 ? '5' : '4',
		c->p2p ? "+p2p" : "", pct(r->targets_served, r->lookups));
	return done(f, out);
}

int simreport_fill_csv(char **out, size_t *len, const struct simnet_result *r)
{
	FILE *f = open_memstream(out, len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "t_s,mean,min\n");
	for (unsigned i = 0; i < r->n_samples; i++)
		fprintf(f, "%.2f,%.2f,%u\n", r->fill_t_s[i], r->fill_mean[i],
			r->fill_min[i]);
	return done(f, out);
}

/* One panel of bars: groups of three (p50, p90, p99) in a box at x0. */
static void bars(FILE *f, int x0, const char *title, const char *const *names,
		 const struct simnet_dist *const *d, unsigned n)
{
	static const char *const col[3] = { "#4c78a8", "#f58518", "#e45756" };
	double top = 1;

	for (unsigned i = 0; i < n; i++)
		if (d[i]->p99 > top)
			top = d[i]->p99;
	fprintf(f, "<g transform='translate(%d,30)'>"
		"<text x='0' y='-8'>%s (max %.0f)</text>"
		"<rect width='260' height='200' fill='none' stroke='#999'/>",
		x0, title, top);
	for (unsigned i = 0; i < n; i++) {
		double v[3] = { d[i]->p50, d[i]->p90, d[i]->p99 };
		int gx = 20 + (int)i * (240 / (int)n);

		for (unsigned k = 0; k < 3; k++) {
			double h = 190 * v[k] / top;

			fprintf(f, "<rect x='%d' y='%.1f' width='18' "
				"height='%.1f' fill='%s'><title>%s p%s %.0f"
				"</title></rect>", gx + (int)k * 20, 200 - h,
				h, col[k], names[i],
				k == 0 ? "50" : k == 1 ? "90" : "99", v[k]);
		}
		fprintf(f, "<text x='%d' y='215'>%s</text>", gx, names[i]);
	}
	fprintf(f, "</g>\n");
}

int simreport_svg(char **out, size_t *len, const struct simnet_cfg *c,
		  const struct simnet_result *r)
{
	const char *hn[1] = { "hops" };
	const struct simnet_dist *hd[1] = { &r->hops };
	const char *tn[3] = { "lookup", "send", "bcast" };
	const struct simnet_dist *td[3] = { &r->lookup_ms, &r->send_ms,
					    &r->bcast_ms };
	double tmax = c->duration_ns / 1e9, ymax = 1;
	FILE *f = open_memstream(out, len);

	if (!f)
		return -ENOMEM;
	for (unsigned i = 0; i < r->n_samples; i++)
		if (r->fill_mean[i] > ymax)
			ymax = r->fill_mean[i];
	fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='900' "
		"height='270' font-family='sans-serif' font-size='11'>\n"
		"<text x='10' y='262'>devplane sim: %u nodes, loss %.1f %%, "
		"delay %.0f+%.0f ms, churn %u %%, seed %llu; bars: p50 "
		"p90 p99</text>\n", r->nodes, c->loss_ppm / 1e4,
		c->delay_ns / 1e6, c->jitter_ns / 1e6, c->churn_pct,
		(unsigned long long)c->seed);
	/* table fill over time */
	fprintf(f, "<g transform='translate(20,30)'><text x='0' y='-8'>"
		"table fill (mean, min) over %.0f s, max %.0f</text>"
		"<rect width='300' height='200' fill='none' stroke='#999'/>",
		tmax, ymax);
	for (unsigned pass = 0; pass < 2; pass++) {
		fprintf(f, "<polyline fill='none' stroke='%s' points='",
			pass ? "#e45756" : "#4c78a8");
		for (unsigned i = 0; i < r->n_samples; i++)
			fprintf(f, "%.1f,%.1f ", 300 * r->fill_t_s[i] / tmax,
				200 - 200 * (pass ? r->fill_min[i] :
						    r->fill_mean[i]) / ymax);
		fprintf(f, "'/>");
	}
	if (r->healthy_s >= 0)
		fprintf(f, "<line x1='%.1f' x2='%.1f' y1='0' y2='200' "
			"stroke='#54a24b' stroke-dasharray='4'><title>all "
			"healthy at %.2f s</title></line>",
			300 * r->healthy_s / tmax, 300 * r->healthy_s / tmax,
			r->healthy_s);
	fprintf(f, "</g>\n");
	bars(f, 350, "lookup hops", hn, hd, 1);
	bars(f, 630, "time ms", tn, td, 3);
	fprintf(f, "</svg>\n");
	return done(f, out);
}
