/* SPDX-License-Identifier: MIT */
/* tests/control/store/test_nodeset.c - nodeset filter and info
 * (control/store/nodeset.c) and the nodes.json reader
 * (control/store/nodesjson.c) on a fixture geth made, byte for byte
 * against geth v1.17.10's `devp2p nodeset` output for it
 * (tests/vectors/nodeset_vectors.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/base/netutil.h"
#include "control/store/nodeset.h"
#include "tests/vectors/nodeset_vectors.h"

/* Parses the fixture, filters with f, prints as nodesjson_fprint(). */
static char *filtered(const struct nodeset_filter *f, size_t *n)
{
	struct nodesjson_set set;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *m;

	assert_int_equal(nodesjson_parse(&set, NODESET_FIXTURE,
					 strlen(NODESET_FIXTURE), err,
					 sizeof(err)), 0);
	assert_int_equal(set.n, 26);
	*n = nodeset_filter(&set, f);
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_int_equal(nodesjson_fprint(m, set.entries, set.n), 0);
	fclose(m);
	nodesjson_set_free(&set);
	return buf;
}

static void check(const struct nodeset_filter *f, const char *want)
{
	size_t n;
	char *got = filtered(f, &n);

	assert_string_equal(got, want);
	free(got);
}

static struct nodeset_filter none(void)
{
	struct nodeset_filter f = { .limit = -1 };

	return f;
}

/* geth re-marshals every field: times with their fraction and offset,
 * the zero time, scores omitted at 0, enode:// records as given. */
static void test_nodeset_roundtrip_is_geths(void **state)
{
	struct nodeset_filter f = none();

	(void)state;
	check(&f, NODESET_GETH_ALL);
}

static void test_nodeset_filters_match_geth(void **state)
{
	struct nodeset_filter f;

	(void)state;
	f = none();
	f.eth = forkid_chain_by_name("mainnet");
	check(&f, NODESET_GETH_ETH_MAINNET);
	f.eth = forkid_chain_by_name("sepolia");
	check(&f, NODESET_GETH_ETH_SEPOLIA);
	f = none();
	f.snap = true;
	check(&f, NODESET_GETH_SNAP);
	f = none();
	f.les = true;
	check(&f, NODESET_GETH_LES);
	f = none();
	f.dialable = true;
	check(&f, NODESET_GETH_DIALABLE);
	f = none();
	f.has_ip = true;
	assert_int_equal(netutil_prefix_parse(&f.ip, "10.1.0.0/16", 11), 0);
	check(&f, NODESET_GETH_IP4);
	assert_int_equal(netutil_prefix_parse(&f.ip, "2001:db8::/32", 13), 0);
	check(&f, NODESET_GETH_IP6);
	f = none();
	f.has_min_age = true;
	f.min_age_ns = 24ull * 3600 * 1000000000ull;
	check(&f, NODESET_GETH_MIN_AGE);
	f = none();
	f.limit = 4;    /* 10, 10, 9, 9: no tie at the cut (geth: random) */
	check(&f, NODESET_GETH_LIMIT);
	f = none();
	f.eth = forkid_chain_by_name("mainnet");
	f.has_min_age = true;
	f.min_age_ns = 3600ull * 1000000000ull;
	f.dialable = true;
	check(&f, NODESET_GETH_COMBO);
	f = none();
	f.eth = forkid_chain_by_name("hoodi");
	check(&f, "{}");
}

static void test_nodeset_info_is_geths(void **state)
{
	struct nodesjson_set set;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *m;

	(void)state;
	assert_int_equal(nodesjson_parse(&set, NODESET_FIXTURE,
					 strlen(NODESET_FIXTURE), err,
					 sizeof(err)), 0);
	m = open_memstream(&buf, &len);
	assert_int_equal(nodeset_fprint_info(m, &set), 0);
	fclose(m);
	assert_string_equal(buf, NODESET_GETH_INFO);
	free(buf);
	nodesjson_set_free(&set);
}

/* What geth's loader refuses, the reader refuses. */
static void test_nodesjson_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"zz\": {\"record\": \"enode://00@1.2.3.4:1\"}}",
		"{\"0101010101010101010101010101010101010101010101010101010101010101\": {}}",
		"{\"0101010101010101010101010101010101010101010101010101010101010101\": "
		"{\"record\": \"enr:-AAA\"}}",
		"{\"0101010101010101010101010101010101010101010101010101010101010101\": "
		"{\"record\": \"enode://ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f@127.0.0.1:30303\", "
		"\"firstResponse\": \"2026-13-01T00:00:00Z\"}}",
		"{\"0101010101010101010101010101010101010101010101010101010101010101\": "
		"{\"record\": \"enode://ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f@127.0.0.1:30303\", "
		"\"seq\": -1}}",
	};
	struct nodesjson_set set;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(nodesjson_parse(&set, bad[i], strlen(bad[i]),
						 err, sizeof(err)), -EBADMSG);
		assert_null(set.entries);
	}
	assert_int_equal(nodesjson_parse(&set, "{}", 2, err, sizeof(err)), 0);
	assert_int_equal(set.n, 0);
	nodesjson_set_free(&set);
}

/* Go's time.Time JSON text, both ways. */
static void test_nodesjson_times(void **state)
{
	static const char *const ok[] = {
		"2026-03-01T12:00:00Z",
		"2026-03-01T14:00:00.123456789+02:00",
		"2026-03-01T12:00:00.5Z",
		"1999-12-31T23:59:59-05:30",
		"0001-01-01T00:00:00Z",
		"2024-02-29T00:00:00Z",
	};
	static const char *const bad[] = {
		"2026-03-01 12:00:00Z", "2026-03-01T12:00:00", "2026-02-30T00:00:00Z",
		"2023-02-29T00:00:00Z", "2026-03-01T24:00:00Z", "2026-03-01T12:00:00.Z",
		"2026-03-01T12:00:00.1234567890Z", "2026-03-01T12:00:00+0200",
	};
	int64_t t;
	uint32_t ns;
	int32_t off;
	char out[40];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(nodesjson_parse_time(&t, &ns, &off, ok[i],
						      strlen(ok[i])), 0);
		assert_string_equal(nodesjson_format_time_ext(out, t, ns, off),
				    ok[i]);
	}
	assert_int_equal(nodesjson_parse_time(&t, &ns, &off, ok[1],
					      strlen(ok[1])), 0);
	assert_int_equal(t, 1772366400);        /* 2026-03-01T12:00:00Z */
	assert_int_equal(ns, 123456789);
	assert_int_equal(off, 7200);
	assert_int_equal(nodesjson_parse_time(&t, &ns, &off, ok[4],
					      strlen(ok[4])), 0);
	assert_true(t == NODESJSON_ZERO_TIME);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nodesjson_parse_time(&t, &ns, &off, bad[i],
						      strlen(bad[i])), -EINVAL);
	/* A zero offset prints as Z, as Go's RFC 3339 does. */
	assert_int_equal(nodesjson_parse_time(&t, &ns, &off,
					      "2026-03-01T12:00:00+00:00", 25), 0);
	assert_string_equal(nodesjson_format_time_ext(out, t, ns, off),
			    "2026-03-01T12:00:00Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodeset_roundtrip_is_geths),
		cmocka_unit_test(test_nodeset_filters_match_geth),
		cmocka_unit_test(test_nodeset_info_is_geths),
		cmocka_unit_test(test_nodesjson_parse_rejects),
		cmocka_unit_test(test_nodesjson_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
