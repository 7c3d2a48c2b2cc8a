/* SPDX-License-Identifier: MIT */
/* tests/control/store/test_report.c - the crawl report's HTML: every chart an accessible SVG with its numbers as text and data attributes, labels escaped, the bar tail folded, histogram bins, no script or outside reference. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/store/report.h"

static size_t occurrences(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* Fails unless html contains what. */
static void expect(const char *html, const char *what)
{
	if (!strstr(html, what))
		fail_msg("missing: %s", what);
}

static void fill(struct report_data *d)
{
	struct report_group *g;
	static const uint64_t deg[][2] = { { 0, 1 }, { 1, 5 }, { 40, 2 } };

	memset(d, 0, sizeof(*d));
	snprintf(d->title, sizeof(d->title), "devplane crawl 7 (round <r&d>)");
	snprintf(d->subtitle, sizeof(d->subtitle), "a subtitle");
	d->seen = 30;
	d->visited = 28;
	d->answered = 27;
	d->verified = 25;
	d->hello = 4;
	d->status = 3;
	d->crawlers = 3;
	d->series = calloc(3, sizeof(*d->series));
	assert_non_null(d->series);
	d->n_series = 3;
	d->series[0] = (struct report_point){ 1000, 10, 5, 4 };
	d->series[1] = (struct report_point){ 2000, 20, 15, 14 };
	d->series[2] = (struct report_point){ 3000, 30, 27, 25 };
	/* Clients: three bars, one with every XML special in its label. */
	g = &d->groups[d->n_groups++];
	snprintf(g->id, sizeof(g->id), "clients");
	snprintf(g->title, sizeof(g->title), "Clients");
	snprintf(g->what, sizeof(g->what), "nodes");
	snprintf(g->category, sizeof(g->category), "client");
	g->bars = calloc(3, sizeof(*g->bars));
	assert_non_null(g->bars);
	g->n = 3;
	snprintf(g->bars[0].label, REPORT_LABEL_MAX, "Geth");
	g->bars[0].n = 2;
	snprintf(g->bars[1].label, REPORT_LABEL_MAX, "<b>&\"'x");
	g->bars[1].n = 1;
	snprintf(g->bars[2].label, REPORT_LABEL_MAX, "devplane");
	g->bars[2].n = 7;
	/* Keys: 25 bars, the tail folded into "other". */
	g = &d->groups[d->n_groups++];
	snprintf(g->id, sizeof(g->id), "enr-keys");
	snprintf(g->title, sizeof(g->title), "ENR keys");
	snprintf(g->what, sizeof(g->what), "records");
	snprintf(g->category, sizeof(g->category), "key");
	g->bars = calloc(25, sizeof(*g->bars));
	assert_non_null(g->bars);
	g->n = 25;
	for (unsigned i = 0; i < 25; i++) {
		snprintf(g->bars[i].label, REPORT_LABEL_MAX, "k%02u", i);
		g->bars[i].n = 100 - i;
	}
	/* An empty chart. */
	g = &d->groups[d->n_groups++];
	snprintf(g->id, sizeof(g->id), "eth");
	snprintf(g->title, sizeof(g->title), "eth versions");
	snprintf(g->what, sizeof(g->what), "nodes");
	snprintf(g->category, sizeof(g->category), "eth version");
	d->n_hists = 1;
	snprintf(d->hists[0].id, sizeof(d->hists[0].id), "degree-out");
	snprintf(d->hists[0].title, sizeof(d->hists[0].title), "Out-degree");
	snprintf(d->hists[0].what, sizeof(d->hists[0].what), "neighbours");
	snprintf(d->hists[0].counted, sizeof(d->hists[0].counted), "nodes");
	assert_int_equal(report_hist_bins(&d->hists[0], deg, 3), 0);
}

static void test_report_html_charts_and_numbers(void **st)
{
	struct report_data d;
	char *html, *p;
	size_t len;
	uint64_t other = 0;

	(void)st;
	fill(&d);
	assert_int_equal(report_html(&html, &len, &d), 0);
	assert_int_equal(strlen(html), len);
	/* Self-contained: no script, no outside reference but the SVG
	 * namespace name. */
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href="));
	assert_int_equal(occurrences(html, "http"),
			 occurrences(html, "http://www.w3.org/2000/svg"));
	/* Every chart: an svg with an accessible name and description. */
	assert_int_equal(occurrences(html, "<svg "), 5);
	assert_int_equal(occurrences(html, "role=\"img\""), 5);
	assert_int_equal(occurrences(html, "<desc id=\"chart-"), 5);
	expect(html, "<svg id=\"chart-coverage\" class=\"chart line-chart\"");
	expect(html, "<svg id=\"chart-clients\" class=\"chart bar-chart\"");
	expect(html, "<svg id=\"chart-degree-out\" class=\"chart histogram\"");
	expect(html, "<title id=\"chart-clients-title\">Clients</title>");
	/* Totals. */
	expect(html, "<dd data-key=\"seen\">30</dd>");
	expect(html, "<dd data-key=\"verified\">25</dd>");
	expect(html, "<dd data-key=\"crawlers\">3</dd>");
	/* Coverage: final numbers as attributes and legend text. */
	expect(html, "class=\"series series-seen\" data-key=\"seen\" "
		     "data-final=\"30\"");
	expect(html, "class=\"series series-answered\" data-key=\"answered\" "
		     "data-final=\"27\"");
	expect(html, ">verified: 25</text>");
	expect(html, "<td>3.0</td><td>30</td><td>27</td><td>25</td>");
	expect(html, "time since the crawl started (s)");
	/* Bars: largest first, numbers next to them, labels escaped. */
	p = strstr(html, "id=\"chart-clients\"");
	assert_non_null(p);
	assert_true(strstr(p, "data-label=\"devplane\" data-count=\"7\"") <
		    strstr(p, "data-label=\"Geth\" data-count=\"2\""));
	expect(html, "data-label=\"&lt;b&gt;&amp;&quot;&#39;x\" "
		     "data-count=\"1\"");
	assert_null(strstr(html, "<b>&"));
	assert_null(strstr(html, "<r&d>"));
	expect(html, ">devplane</text>");
	expect(html, "x=\"766\" y=\"42\">7</text>");       /* 290 + 470 + 6 */
	/* The tail: 19 bars and one "other (6 more)" with their sum. */
	for (unsigned i = 19; i < 25; i++)
		other += 100 - i;
	{
		char want[96];

		snprintf(want, sizeof(want), "data-label=\"other (6 more)\" "
			 "data-count=\"%" PRIu64 "\"", other);
		expect(html, want);
	}
	p = strstr(html, "id=\"chart-enr-keys\"");
	assert_non_null(p);
	assert_int_equal(occurrences(p, "<g class=\"bar\""), 20);
	/* The empty chart says so. */
	p = strstr(html, "id=\"chart-eth\"");
	assert_non_null(p);
	assert_true(strstr(p, ">no data</text>") < strstr(p, "</svg>"));
	/* Histogram bins with their ranges and counts. */
	expect(html, "class=\"bin\" data-lo=\"0\" data-hi=\"1\" "
		     "data-count=\"6\"");
	expect(html, "class=\"bin\" data-lo=\"40\" data-hi=\"41\" "
		     "data-count=\"2\"");
	expect(html, "<g class=\"bins\" data-total=\"8\">");
	free(html);
	report_data_free(&d);
}

static void test_report_hist_bins(void **st)
{
	static const uint64_t small[][2] = { { 3, 1 }, { 4, 2 }, { 9, 3 } };
	static const uint64_t wide[][2] = { { 0, 1 }, { 1000, 2 } };
	struct report_hist h;
	uint64_t total = 0;

	(void)st;
	memset(&h, 0, sizeof(h));
	/* A small range: one bin per value from the smallest. */
	assert_int_equal(report_hist_bins(&h, small, 3), 0);
	assert_int_equal(h.n, 7);
	assert_int_equal(h.bins[0].lo, 3);
	assert_int_equal(h.bins[0].hi, 3);
	assert_int_equal(h.bins[1].n, 2);
	assert_int_equal(h.bins[6].lo, 9);
	assert_int_equal(h.bins[6].n, 3);
	/* A wide one: at most REPORT_BINS_MAX equal bins, nothing lost. */
	assert_int_equal(report_hist_bins(&h, wide, 2), 0);
	assert_true(h.n <= REPORT_BINS_MAX);
	for (size_t i = 0; i < h.n; i++) {
		total += h.bins[i].n;
		if (i)
			assert_int_equal(h.bins[i].lo, h.bins[i - 1].hi + 1);
	}
	assert_int_equal(total, 3);
	assert_true(h.bins[h.n - 1].hi >= 1000);
	assert_int_equal(h.bins[h.n - 1].n, 2);
	/* Nothing: no bins. */
	assert_int_equal(report_hist_bins(&h, NULL, 0), 0);
	assert_int_equal(h.n, 0);
	free(h.bins);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_html_charts_and_numbers),
		cmocka_unit_test(test_report_hist_bins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
