/* SPDX-License-Identifier: MIT */
/* tests/control/api/test_metrics.c - Prometheus text exposition of the counters. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/api/metrics.h"

static char buf[64 * 1024];

static void fill(struct metrics_input *in, uint64_t (*dp)[DP_CNT_MAX])
{
	memset(in, 0, sizeof(*in));
	memset(dp, 0, 2 * sizeof(*dp));
	dp[0][DP_CNT_DROP_HASH] = 7;
	dp[1][DP_CNT_DROP_HASH] = 9;
	dp[1][DP_CNT_DROP_SIG] = 3;
	dp[0][DP_CNT_RX_PKTS] = 1234567890123ull;
	dp[1][DP_CNT_RLPX_PONGS] = 4;
	dp[0][DP_CNT_RLPX_SESSIONS] = 2;
	in->n_queues = 2;
	in->dp = (const uint64_t(*)[DP_CNT_MAX])dp;
	in->n_engines = 3;
	in->eng.rx[DISCV4_PING] = 11;
	in->eng.tx[DISCV4_NEIGHBORS] = 22;
	in->eng.drop[DISCV4_DROP_UNBONDED] = 5;
	in->eng.bonds = 4;
	in->eng.pending_refused[DISCV4_CAP_PINGBACK] = 6;
	in->eng.pending_max = 4096;
	in->table_nodes = 40;
	in->table_min = 10;
	in->table_max = 17;
	dp[0][DP_CNT_V5_ACCEPTED] = 31;
	dp[1][DP_CNT_V5_DROP_HS_BUDGET] = 32;
	dp[0][DP_CNT_V5_DROP_PROTO] = 33;
	dp[1][DP_CNT_WHOAREYOU_LIMITED] = 34;
	in->n_v5 = 1;
	in->v5.rx[DISCV5_MSG_FINDNODE] = 41;
	in->v5.tx[DISCV5_MSG_NODES] = 42;
	in->v5.tx_whoareyou = 43;
	in->v5.drop[DISCV5_DROP_HS_UNEXPECTED] = 44;
	in->v5.hs_accepted = 45;
	in->v5_sessions = 46;
	in->v5_table_nodes = 47;
}

static void test_metrics_format_samples(void **state)
{
	uint64_t dp[2][DP_CNT_MAX];
	struct metrics_input in;
	ssize_t n;

	(void)state;
	fill(&in, dp);
	n = metrics_format(buf, sizeof(buf), &in);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf,
		"devplane_dp_drops_total{reason=\"hash\",queue=\"0\"} 7\n"));
	assert_non_null(strstr(buf,
		"devplane_dp_drops_total{reason=\"hash\",queue=\"1\"} 9\n"));
	assert_non_null(strstr(buf,
		"devplane_dp_drops_total{reason=\"sig\",queue=\"1\"} 3\n"));
	assert_non_null(strstr(buf,
		"devplane_dp_rx_packets_total{queue=\"0\"} 1234567890123\n"));
	assert_non_null(strstr(buf,
		"devplane_dp_rlpx_pings_answered_total{queue=\"1\"} 4\n"));
	assert_non_null(strstr(buf,
		"devplane_dp_rlpx_pings_answered_total{queue=\"0\"} 0\n"));
	assert_non_null(strstr(buf,
		"devplane_dp_rlpx_sessions_total{queue=\"0\"} 2\n"));
	assert_non_null(strstr(buf, "devplane_discv4_engines 3\n"));
	assert_non_null(strstr(buf, "devplane_discv4_table_nodes 40\n"));
	assert_non_null(strstr(buf, "devplane_discv4_table_nodes_min 10\n"));
	assert_non_null(strstr(buf, "devplane_discv4_bonds_total 4\n"));
	assert_non_null(strstr(buf,
		"devplane_discv4_packets_in_total{type=\"ping\"} 11\n"));
	assert_non_null(strstr(buf,
		"devplane_discv4_packets_out_total{type=\"neighbors\"} 22\n"));
	assert_non_null(strstr(buf,
		"devplane_discv4_drops_total{reason=\"unbonded\"} 5\n"));
	assert_non_null(strstr(buf,
		"devplane_discv4_pending_refused_total{cap=\"pingback\"} 6\n"));
	assert_non_null(strstr(buf,
		"devplane_discv4_pending_refused_total{cap=\"total\"} 0\n"));
	assert_non_null(strstr(buf, "devplane_discv4_pending_requests_max 4096\n"));
	assert_non_null(strstr(buf,
		"# TYPE devplane_dp_drops_total counter\n"));
	assert_non_null(strstr(buf,
		"# TYPE devplane_discv4_table_nodes gauge\n"));
	/* discv5: the dataplane's verdicts and the engines'. */
	assert_non_null(strstr(buf,
		"devplane_dp_v5_accepted_total{queue=\"0\"} 31\n"));
	assert_non_null(strstr(buf, "devplane_dp_v5_drops_total{reason="
			       "\"handshake_budget\",queue=\"1\"} 32\n"));
	assert_non_null(strstr(buf, "devplane_dp_v5_protocol_mismatch_total"
			       "{queue=\"0\"} 33\n"));
	assert_non_null(strstr(buf, "devplane_dp_whoareyou_limited_total"
			       "{queue=\"1\"} 34\n"));
	assert_non_null(strstr(buf, "devplane_discv5_engines 1\n"));
	assert_non_null(strstr(buf, "devplane_discv5_sessions 46\n"));
	assert_non_null(strstr(buf, "devplane_discv5_table_nodes 47\n"));
	assert_non_null(strstr(buf,
		"devplane_discv5_packets_in_total{type=\"findnode\"} 41\n"));
	assert_non_null(strstr(buf,
		"devplane_discv5_packets_out_total{type=\"nodes\"} 42\n"));
	assert_non_null(strstr(buf,
		"devplane_discv5_packets_out_total{type=\"whoareyou\"} 43\n"));
	assert_non_null(strstr(buf, "devplane_discv5_drops_total{reason="
			       "\"handshake_unexpected\"} 44\n"));
	assert_non_null(strstr(buf, "devplane_discv5_handshakes_total{role="
			       "\"recipient\"} 45\n"));
	/* Without discv5 engines, no discv5 engine family. */
	in.n_v5 = 0;
	assert_true(metrics_format(buf, sizeof(buf), &in) > 0);
	assert_null(strstr(buf, "devplane_discv5_"));
}

/* metrics_v5_add() sums every counter. */
static void test_metrics_v5_add(void **state)
{
	struct discv5_stats a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	b.rx[DISCV5_MSG_PING] = 1;
	b.drop[DISCV5_DROP_TALK_BUSY] = 2;
	b.random_errors = 3;
	b.hs_initiated = 4;
	metrics_v5_add(&a, &b);
	metrics_v5_add(&a, &b);
	assert_int_equal(a.rx[DISCV5_MSG_PING], 2);
	assert_int_equal(a.drop[DISCV5_DROP_TALK_BUSY], 4);
	assert_int_equal(a.random_errors, 6);
	assert_int_equal(a.hs_initiated, 8);
}

/* Every line is a comment or "name[{labels}] value"; every sample's
 * family has exactly one HELP and one TYPE line, before its samples. */
static void test_metrics_format_well_formed(void **state)
{
	uint64_t dp[2][DP_CNT_MAX];
	struct metrics_input in;
	char *save = NULL, *line, *copy;
	char typed[200][80];
	unsigned n_typed = 0;

	(void)state;
	fill(&in, dp);
	assert_true(metrics_format(buf, sizeof(buf), &in) > 0);
	assert_int_equal(buf[strlen(buf) - 1], '\n');
	copy = strdup(buf);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[80];
		const char *sp;
		size_t nl;
		unsigned k;

		if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(sscanf(line + 7, "%79s", name), 1);
			for (k = 0; k < n_typed; k++)
				assert_string_not_equal(typed[k], name);
			assert_true(n_typed < 200);
			strcpy(typed[n_typed++], name);
			assert_true(strstr(line, " counter") ||
				    strstr(line, " gauge"));
			continue;
		}
		if (!strncmp(line, "# HELP ", 7))
			continue;
		assert_true(line[0] >= 'a' && line[0] <= 'z');
		nl = strcspn(line, "{ ");
		assert_true(nl < sizeof(name));
		memcpy(name, line, nl);
		name[nl] = '\0';
		for (k = 0; k < n_typed; k++)
			if (!strcmp(typed[k], name))
				break;
		assert_true(k < n_typed);       /* TYPE came first */
		if (strstr(name, "_total"))
			assert_non_null(strstr(buf, "counter"));
		sp = strrchr(line, ' ');
		assert_non_null(sp);
		for (sp++; *sp; sp++)
			assert_true(*sp >= '0' && *sp <= '9');
	}
	free(copy);
	assert_true(n_typed > 20);
}

static void test_metrics_format_too_small(void **state)
{
	uint64_t dp[2][DP_CNT_MAX];
	struct metrics_input in;
	char small[100];

	(void)state;
	fill(&in, dp);
	assert_int_equal(metrics_format(small, sizeof(small), &in), -EMSGSIZE);
	assert_int_equal(metrics_format(small, 0, &in), -EMSGSIZE);
}

static void test_metrics_no_dataplane(void **state)
{
	struct metrics_input in = { 0 };

	(void)state;
	assert_true(metrics_format(buf, sizeof(buf), &in) > 0);
	assert_null(strstr(buf, "devplane_dp_"));
	assert_non_null(strstr(buf, "devplane_discv4_engines 0\n"));
}

static void test_metrics_stats_add(void **state)
{
	struct discv4_stats a = { 0 }, b = { 0 };

	(void)state;
	a.rx[DISCV4_PONG] = 2;
	a.bonds = 1;
	b.rx[DISCV4_PONG] = 3;
	b.drop[DISCV4_DROP_SELF] = 4;
	b.lookups_done = 6;
	a.pending_refused[DISCV4_CAP_PEER] = 1;
	b.pending_refused[DISCV4_CAP_PEER] = 2;
	a.pending_max = 9;
	b.pending_max = 7;
	metrics_stats_add(&a, &b);
	assert_int_equal(a.pending_refused[DISCV4_CAP_PEER], 3);
	assert_int_equal(a.pending_max, 9);     /* a high-water mark: max */
	assert_int_equal(a.rx[DISCV4_PONG], 5);
	assert_int_equal(a.drop[DISCV4_DROP_SELF], 4);
	assert_int_equal(a.lookups_done, 6);
	assert_int_equal(a.bonds, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_format_samples),
		cmocka_unit_test(test_metrics_v5_add),
		cmocka_unit_test(test_metrics_format_well_formed),
		cmocka_unit_test(test_metrics_format_too_small),
		cmocka_unit_test(test_metrics_no_dataplane),
		cmocka_unit_test(test_metrics_stats_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
