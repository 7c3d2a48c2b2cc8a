/* SPDX-License-Identifier: MIT */
/* control/store/report.c - the crawl report as one HTML page with inline SVG charts, formatted into memory. */
#include "control/store/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W       900                     /* every chart's width */
#define LABEL_W 290                     /* bar charts: the labels' column */
#define BAR_W   470                     /* ... the longest bar */
#define ROW_H   24
#define BAR_TOP 26                      /* under the category heading */
#define PLOT_X0 90                      /* line chart, histograms */
#define PLOT_X1 860
#define PLOT_Y0 20
#define PLOT_Y1 290
#define PLOT_H  360

static const char css[] =
	"body{font-family:sans-serif;margin:2em auto;max-width:960px;"
	"color:#222;background:#fff}"
	"h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em}"
	"dl#totals{display:grid;grid-template-columns:max-content auto;"
	"gap:.2em 1em}dl#totals dt{font-weight:bold}dl#totals dd{margin:0}"
	"svg.chart{display:block;margin:.5em 0;font-size:12px}"
	"svg .bar rect,svg .bin rect{fill:#4a78b5}"
	"svg .axis{stroke:#444;stroke-width:1}svg .grid{stroke:#ddd}"
	"svg .axis-label{font-weight:bold}"
	"svg .series{fill:none;stroke-width:2}"
	"svg .series-seen{stroke:#4a78b5}svg .series-answered{stroke:#d9822b;"
	"stroke-dasharray:6 4}"
	"svg .series-verified{stroke:#3a9a4a}"
	"svg .legend-seen{fill:#4a78b5}svg .legend-answered{fill:#d9822b}"
	"svg .legend-verified{fill:#3a9a4a}"
	"table.data{border-collapse:collapse}table.data td,table.data th"
	"{border:1px solid #ccc;padding:2px 6px;text-align:right}"
	"p.note{color:#555}";

/* Writes s with the five XML specials escaped and control bytes as '?'. */
static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
		}
	}
}

/* The svg element's opening: id, classes, accessible name and
 * description. */
static void svg_open(FILE *f, const char *id, const char *cls, int h,
		     const char *title, const char *desc)
{
	fprintf(f, "<svg id=\"chart-%s\" class=\"chart %s\" role=\"img\" "
		"aria-labelledby=\"chart-%s-title chart-%s-desc\" "
		"xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n<title id=\"chart-%s-"
		"title\">", id, cls, id, id, W, h, W, h, id);
	esc(f, title);
	fprintf(f, "</title>\n<desc id=\"chart-%s-desc\">", id);
	esc(f, desc);
	fputs("</desc>\n", f);
}

static int cmp_bar(const void *a, const void *b)
{
	const struct report_bar *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->label, y->label);
}

/* Horizontal bars, largest first; the tail beyond REPORT_BARS_MAX folded
 * into one "other" bar. */
static int bar_chart(FILE *f, const struct report_group *g)
{
	struct report_bar *v = NULL;
	size_t rows = g->n;
	uint64_t max = 0, total = 0;
	char desc[256];
	int h, axis_y;

	if (g->n) {
		v = malloc(g->n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memcpy(v, g->bars, g->n * sizeof(*v));
		qsort(v, g->n, sizeof(*v), cmp_bar);
	}
	if (rows > REPORT_BARS_MAX) {
		uint64_t rest = 0;

		for (size_t i = REPORT_BARS_MAX - 1; i < g->n; i++)
			rest += v[i].n;
		snprintf(v[REPORT_BARS_MAX - 1].label, REPORT_LABEL_MAX,
			 "other (%zu more)", g->n - (REPORT_BARS_MAX - 1));
		v[REPORT_BARS_MAX - 1].n = rest;
		rows = REPORT_BARS_MAX;
	}
	for (size_t i = 0; i < rows; i++) {
		total += v[i].n;
		if (v[i].n > max)
			max = v[i].n;
	}
	fprintf(f, "<section id=\"section-%s\">\n<h2>", g->id);
	esc(f, g->title);
	fputs("</h2>\n", f);
	axis_y = BAR_TOP + (int)(rows ? rows : 1) * ROW_H + 4;
	h = axis_y + 46;
	snprintf(desc, sizeof(desc), "Horizontal bar chart: %s per %s, "
		 "largest first, %" PRIu64 " in all; each bar's number is "
		 "written at its end.", g->what, g->category, total);
	svg_open(f, g->id, "bar-chart", h, g->title, desc);
	fprintf(f, "<g class=\"bars\" data-total=\"%" PRIu64 "\">\n", total);
	for (size_t i = 0; i < rows; i++) {
		int y = BAR_TOP + (int)i * ROW_H;
		int w = max ? (int)((double)v[i].n * BAR_W / (double)max) : 0;

		if (v[i].n && w < 1)
			w = 1;
		fputs("<g class=\"bar\" data-label=\"", f);
		esc(f, v[i].label);
		fprintf(f, "\" data-count=\"%" PRIu64 "\"><text class=\"label\" "
			"x=\"%d\" y=\"%d\" text-anchor=\"end\">", v[i].n,
			LABEL_W - 8, y + 16);
		esc(f, v[i].label);
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" "
			"height=\"16\"><title>", LABEL_W, y + 4, w);
		esc(f, v[i].label);
		fprintf(f, ": %" PRIu64 "</title></rect><text class=\"count\" "
			"x=\"%d\" y=\"%d\">%" PRIu64 "</text></g>\n", v[i].n,
			LABEL_W + w + 6, y + 16, v[i].n);
	}
	if (!rows)
		fprintf(f, "<text class=\"empty\" x=\"%d\" y=\"%d\">no data"
			"</text>\n", LABEL_W, BAR_TOP + 16);
	fputs("</g>\n", f);
	/* The count axis: 0, half, max (0 alone when empty). */
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\"/>\n", LABEL_W, axis_y, LABEL_W + BAR_W, axis_y);
	for (int k = 0; k <= (max ? 2 : 0); k++)
		fprintf(f, "<text class=\"tick\" x=\"%d\" y=\"%d\" "
			"text-anchor=\"middle\">%" PRIu64 "</text>\n",
			LABEL_W + k * BAR_W / 2, axis_y + 16, max * (uint64_t)k / 2);
	fprintf(f, "<text class=\"axis-label\" x=\"%d\" y=\"%d\" "
		"text-anchor=\"middle\">", LABEL_W + BAR_W / 2, axis_y + 36);
	esc(f, g->what);
	/* The category axis: a heading over the labels' column. */
	fprintf(f, "</text>\n<text class=\"axis-label\" x=\"%d\" y=\"16\" "
		"text-anchor=\"end\">", LABEL_W - 8);
	esc(f, g->category);
	fputs("</text>\n</svg>\n</section>\n", f);
	free(v);
	return 0;
}

static int x_of(int64_t t, int64_t tmax)
{
	return PLOT_X0 + (int)((double)t * (PLOT_X1 - PLOT_X0) / (double)tmax);
}

static int y_of(uint64_t v, uint64_t vmax)
{
	return PLOT_Y1 - (int)((double)v * (PLOT_Y1 - PLOT_Y0) / (double)vmax);
}

/* Coverage over time: three cumulative lines, with the final numbers in
 * the legend and every point in a table. */
static void line_chart(FILE *f, const struct report_data *d)
{
	/* Answered last and dashed: it shows over verified when equal. */
	static const char *const keys[3] = { "seen", "verified", "answered" };
	const struct report_point *p = d->series;
	size_t n = d->n_series;
	int64_t tmax = n && p[n - 1].t_ms > 0 ? p[n - 1].t_ms : 1;
	uint64_t vmax = 1, fin[3] = { 0, 0, 0 };

	if (n) {
		fin[0] = p[n - 1].seen;
		fin[1] = p[n - 1].verified;
		fin[2] = p[n - 1].answered;
	}
	for (int k = 0; k < 3; k++)
		if (fin[k] > vmax)
			vmax = fin[k];
	fputs("<section id=\"section-coverage\">\n<h2>Coverage over time</h2>\n",
	      f);
	svg_open(f, "coverage", "line-chart", PLOT_H, "Coverage over time",
		 "Line chart: nodes seen, answered and ENR-verified, "
		 "cumulative, against the time since the crawl started; the "
		 "final numbers are in the legend and every point in the "
		 "table below.");
	for (int k = 0; k <= 4; k++) {
		int y = y_of(vmax * (uint64_t)k / 4, vmax);
		int x = x_of(tmax * k / 4, tmax);

		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
			"y2=\"%d\"/><text class=\"tick\" x=\"%d\" y=\"%d\" "
			"text-anchor=\"end\">%" PRIu64 "</text>\n", PLOT_X0, y,
			PLOT_X1, y, PLOT_X0 - 6, y + 4, vmax * (uint64_t)k / 4);
		fprintf(f, "<text class=\"tick\" x=\"%d\" y=\"%d\" "
			"text-anchor=\"middle\">%.1f</text>\n", x, PLOT_Y1 + 16,
			(double)(tmax * k / 4) / 1000.0);
	}
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\"/><line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\"/>\n", PLOT_X0, PLOT_Y1, PLOT_X1, PLOT_Y1, PLOT_X0,
		PLOT_Y0, PLOT_X0, PLOT_Y1);
	for (int k = 0; k < 3; k++) {
		fprintf(f, "<polyline class=\"series series-%s\" data-key=\"%s\" "
			"data-final=\"%" PRIu64 "\" points=\"%d,%d", keys[k],
			keys[k], fin[k], PLOT_X0, PLOT_Y1);
		for (size_t i = 0; i < n; i++) {
			uint64_t v = k == 0 ? p[i].seen : k == 1 ?
				     p[i].verified : p[i].answered;

			fprintf(f, " %d,%d", x_of(p[i].t_ms, tmax),
				y_of(v, vmax));
		}
		fprintf(f, "\"><title>%s: %" PRIu64 "</title></polyline>\n",
			keys[k], fin[k]);
		fprintf(f, "<text class=\"legend legend-%s\" x=\"%d\" y=\"%d\">"
			"%s: %" PRIu64 "</text>\n", keys[k], PLOT_X0 + 10 +
			k * 170, PLOT_H - 12, keys[k], fin[k]);
	}
	fprintf(f, "<text class=\"axis-label\" x=\"%d\" y=\"%d\" "
		"text-anchor=\"middle\">time since the crawl started (s)"
		"</text>\n<text class=\"axis-label\" x=\"16\" y=\"%d\" "
		"transform=\"rotate(-90 16 %d)\" text-anchor=\"middle\">nodes"
		"</text>\n</svg>\n", (PLOT_X0 + PLOT_X1) / 2, PLOT_Y1 + 34,
		(PLOT_Y0 + PLOT_Y1) / 2, (PLOT_Y0 + PLOT_Y1) / 2);
	fputs("<details><summary>Coverage data</summary>\n<table class=\"data\" "
	      "id=\"coverage-data\"><tr><th>time (s)</th><th>seen</th>"
	      "<th>answered</th><th>verified</th></tr>\n", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<tr><td>%.1f</td><td>%" PRIu64 "</td><td>%" PRIu64
			"</td><td>%" PRIu64 "</td></tr>\n",
			(double)p[i].t_ms / 1000.0, p[i].seen, p[i].answered,
			p[i].verified);
	fputs("</table></details>\n</section>\n", f);
}

/* Vertical bins with their counts above them. */
static void histogram(FILE *f, const struct report_hist *h)
{
	uint64_t max = 1, total = 0;
	int slot = h->n ? (PLOT_X1 - PLOT_X0) / (int)h->n : PLOT_X1 - PLOT_X0;
	char desc[256];

	for (size_t i = 0; i < h->n; i++) {
		total += h->bins[i].n;
		if (h->bins[i].n > max)
			max = h->bins[i].n;
	}
	fprintf(f, "<section id=\"section-%s\">\n<h2>", h->id);
	esc(f, h->title);
	fputs("</h2>\n", f);
	snprintf(desc, sizeof(desc), "Histogram: %s (x) against %s (y), %"
		 PRIu64 " in all; each bin's count is written above it.",
		 h->what, h->counted, total);
	svg_open(f, h->id, "histogram", PLOT_H, h->title, desc);
	fprintf(f, "<g class=\"bins\" data-total=\"%" PRIu64 "\">\n", total);
	for (size_t i = 0; i < h->n; i++) {
		const struct report_bin *b = &h->bins[i];
		int x = PLOT_X0 + (int)i * slot;
		int y = y_of(b->n, max);
		char range[48];

		if (b->lo == b->hi)
			snprintf(range, sizeof(range), "%" PRIu64, b->lo);
		else
			snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64,
				 b->lo, b->hi);
		fprintf(f, "<g class=\"bin\" data-lo=\"%" PRIu64 "\" data-hi=\"%"
			PRIu64 "\" data-count=\"%" PRIu64 "\"><rect x=\"%d\" "
			"y=\"%d\" width=\"%d\" height=\"%d\"><title>%s: %" PRIu64
			"</title></rect><text class=\"count\" x=\"%d\" y=\"%d\" "
			"text-anchor=\"middle\">%" PRIu64 "</text><text "
			"class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
			"%s</text></g>\n", b->lo, b->hi, b->n, x + 1, y,
			slot > 2 ? slot - 2 : 1, PLOT_Y1 - y, range, b->n,
			x + slot / 2, y - 4, b->n, x + slot / 2, PLOT_Y1 + 16,
			range);
	}
	if (!h->n)
		fprintf(f, "<text class=\"empty\" x=\"%d\" y=\"%d\">no data"
			"</text>\n", PLOT_X0 + 10, PLOT_Y0 + 20);
	fprintf(f, "</g>\n<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\"/><line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\"/>\n<text class=\"tick\" x=\"%d\" y=\"%d\" "
		"text-anchor=\"end\">%" PRIu64 "</text>\n", PLOT_X0, PLOT_Y1,
		PLOT_X1, PLOT_Y1, PLOT_X0, PLOT_Y0, PLOT_X0, PLOT_Y1,
		PLOT_X0 - 6, PLOT_Y0 + 4, max);
	fprintf(f, "<text class=\"axis-label\" x=\"%d\" y=\"%d\" "
		"text-anchor=\"middle\">", (PLOT_X0 + PLOT_X1) / 2, PLOT_Y1 + 40);
	esc(f, h->what);
	fprintf(f, "</text>\n<text class=\"axis-label\" x=\"16\" y=\"%d\" "
		"transform=\"rotate(-90 16 %d)\" text-anchor=\"middle\">",
		(PLOT_Y0 + PLOT_Y1) / 2, (PLOT_Y0 + PLOT_Y1) / 2);
	esc(f, h->counted);
	fputs("</text>\n</svg>\n</section>\n", f);
}

static void total(FILE *f, const char *key, const char *name, uint64_t v)
{
	fprintf(f, "<dt>%s</dt><dd data-key=\"%s\">%" PRIu64 "</dd>\n", name,
		key, v);
}

int report_html(char **out, size_t *len, const struct report_data *d)
{
	FILE *f;
	int rc = 0;

	*out = NULL;
	*len = 0;
	f = open_memstream(out, len);
	if (!f)
		return -ENOMEM;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset="
	      "\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-"
	      "width\">\n<title>", f);
	esc(f, d->title);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
	esc(f, d->title);
	fputs("</h1>\n<p class=\"note\">", f);
	esc(f, d->subtitle);
	fputs("</p>\n<dl id=\"totals\">\n", f);
	total(f, "seen", "Nodes seen", d->seen);
	total(f, "visited", "Nodes visited", d->visited);
	total(f, "answered", "Answered (discovery)", d->answered);
	total(f, "verified", "ENR verified", d->verified);
	total(f, "hello", "RLPx Hello received", d->hello);
	total(f, "status", "eth Status received", d->status);
	total(f, "crawlers", "Crawlers", d->crawlers);
	fputs("</dl>\n", f);
	line_chart(f, d);
	for (size_t i = 0; i < d->n_groups && !rc; i++)
		rc = bar_chart(f, &d->groups[i]);
	for (size_t i = 0; i < d->n_hists; i++)
		histogram(f, &d->hists[i]);
	fputs("<p class=\"note\">Written by devplane report.</p>\n</body>\n"
	      "</html>\n", f);
	if (fclose(f) || rc) {
		free(*out);
		*out = NULL;
		*len = 0;
		return -ENOMEM;
	}
	return 0;
}

int report_hist_bins(struct report_hist *h, const uint64_t (*v)[2], size_t n)
{
	uint64_t lo, hi, width;
	size_t nb;

	free(h->bins);
	h->bins = NULL;
	h->n = 0;
	if (!n)
		return 0;
	lo = v[0][0];
	hi = v[n - 1][0];
	width = (hi - lo) / REPORT_BINS_MAX + 1;
	nb = (size_t)((hi - lo) / width + 1);
	h->bins = calloc(nb, sizeof(*h->bins));
	if (!h->bins)
		return -ENOMEM;
	for (size_t i = 0; i < nb; i++) {
		h->bins[i].lo = lo + i * width;
		h->bins[i].hi = lo + (i + 1) * width - 1;
	}
	for (size_t i = 0; i < n; i++)
		h->bins[(v[i][0] - lo) / width].n += v[i][1];
	h->n = nb;
	return 0;
}

void report_data_free(struct report_data *d)
{
	free(d->series);
	d->series = NULL;
	for (size_t i = 0; i < d->n_groups; i++)
		free(d->groups[i].bars);
	for (size_t i = 0; i < d->n_hists; i++)
		free(d->hists[i].bins);
	d->n_groups = d->n_hists = 0;
}
