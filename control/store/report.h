/* SPDX-License-Identifier: MIT */
/* control/store/report.h - the crawl report: one self-contained HTML page of inline SVG charts, formatted into memory. */
#ifndef CONTROL_REPORT_H
#define CONTROL_REPORT_H
#include <stddef.h>
#include <stdint.h>

/*
 * report_html() lays out the figures of one crawl (struct report_data,
 * which control/store/reportdb.h reads from a crawl database) as a page
 * that needs nothing else: no network, no script, inline CSS and SVG. It
 * only formats; writing the file is the caller's (reportdb_write()).
 *
 * Every chart is an <svg id="chart-ID" class="chart ..."> with role="img",
 * a <title> and a <desc>, axis labels, and the numbers as text next to
 * the marks; the marks carry their numbers as data attributes, so a test
 * (or a scraper) reads the same figures a person sees:
 *   - coverage over time (id "coverage", class "line-chart"): one
 *     <polyline class="series series-KEY" data-final="N"> per series
 *     (KEY: seen, answered, verified), cumulative; a table of the points;
 *   - categorical charts (class "bar-chart"): one <g class="bar"
 *     data-label="L" data-count="N"> per bar, largest first; beyond
 *     REPORT_BARS_MAX the rest is one bar labelled "other (K more)";
 *   - histograms (class "histogram"): one <g class="bin" data-lo="A"
 *     data-hi="B" data-count="N"> per bin of values A..B.
 * The totals are in <dl id="totals">, each <dd data-key="KEY">N</dd>.
 */

#define REPORT_LABEL_MAX  96
#define REPORT_BARS_MAX   20
#define REPORT_GROUPS_MAX 12
#define REPORT_HISTS_MAX  4
#define REPORT_BINS_MAX   32

struct report_bar {
	char label[REPORT_LABEL_MAX];
	uint64_t n;
};

/* A categorical chart. */
struct report_group {
	char id[32];                    /* svg id "chart-" + id */
	char title[96];
	char what[64];                  /* axis: what the bars count */
	char category[64];              /* axis: what a bar is */
	struct report_bar *bars;        /* any order; owned */
	size_t n;
};

/* A cumulative coverage point. */
struct report_point {
	int64_t t_ms;                   /* since the crawl's start */
	uint64_t seen, answered, verified;
};

struct report_bin {
	uint64_t lo, hi, n;
};

/* A histogram. */
struct report_hist {
	char id[32];
	char title[96];
	char what[64];                  /* x axis: the value binned */
	char counted[64];               /* y axis: what is counted */
	struct report_bin *bins;        /* owned */
	size_t n;
};

/* One crawl's figures. Strings are plain text (escaped here). */
struct report_data {
	char title[160];
	char subtitle[320];
	uint64_t seen, visited, answered, verified, hello, status;
	uint64_t crawlers;
	struct report_point *series;    /* owned, by time */
	size_t n_series;
	struct report_group groups[REPORT_GROUPS_MAX];
	size_t n_groups;
	struct report_hist hists[REPORT_HISTS_MAX];
	size_t n_hists;
};

/* report_html() formats d as the page into a malloc'd buffer (*out, NUL
 * terminated, *len bytes without the NUL; the caller frees). Returns 0 or
 * -ENOMEM. */
int report_html(char **out, size_t *len, const struct report_data *d);

/* report_hist_bins() bins the (value, count) pairs v[0..n) (values
 * ascending) into at most REPORT_BINS_MAX bins of equal width starting at
 * the smallest value, into h->bins (allocated). Returns 0 or -ENOMEM. */
int report_hist_bins(struct report_hist *h, const uint64_t (*v)[2], size_t n);

/* report_data_free() frees what d owns (not d). */
void report_data_free(struct report_data *d);

#endif /* CONTROL_REPORT_H */
