/* SPDX-License-Identifier: MIT */
/* tests/control/store/test_nodesjson.c - nodes.json byte-compatible with geth. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/store/nodesjson.h"

/* What geth's json.MarshalIndent(nodeSet, "", "    ") prints for the two
 * entries below: map keys sorted, nodeJSON's field order, "score" omitted
 * when zero (omitempty), zero time.Time printed in full (omitempty does not
 * apply to structs), no trailing newline. */
static const char golden[] =
	"{\n"
	"    \"0a00000000000000000000000000000000000000000000000000000000000001\": {\n"
	"        \"seq\": 0,\n"
	"        \"record\": \"enode://aa@127.0.0.1:30303?discport=30301\",\n"
	"        \"firstResponse\": \"0001-01-01T00:00:00Z\",\n"
	"        \"lastResponse\": \"0001-01-01T00:00:00Z\",\n"
	"        \"lastCheck\": \"2020-09-13T12:26:40Z\"\n"
	"    },\n"
	"    \"ff00000000000000000000000000000000000000000000000000000000000002\": {\n"
	"        \"seq\": 18446744073709551615,\n"
	"        \"record\": \"enr:-IS4QHCYrYZbAKW\",\n"
	"        \"score\": 3,\n"
	"        \"firstResponse\": \"1970-01-01T00:00:00Z\",\n"
	"        \"lastResponse\": \"2038-01-19T03:14:08Z\",\n"
	"        \"lastCheck\": \"2038-01-19T03:14:08Z\"\n"
	"    }\n"
	"}";

static void fill(struct nodesjson_entry e[2])
{
	memset(e, 0, 2 * sizeof(*e));
	/* Deliberately out of order: the writer sorts by id. */
	e[0].id[0] = 0xff;
	e[0].id[31] = 2;
	e[0].seq = UINT64_MAX;
	e[0].record = "enr:-IS4QHCYrYZbAKW";
	e[0].score = 3;
	e[0].first_response = 0;
	e[0].last_response = 2147483648;
	e[0].last_check = 2147483648;
	e[1].id[0] = 0x0a;
	e[1].id[31] = 1;
	e[1].record = "enode://aa@127.0.0.1:30303?discport=30301";
	e[1].first_response = NODESJSON_ZERO_TIME;
	e[1].last_response = NODESJSON_ZERO_TIME;
	e[1].last_check = 1600000000;
}

static void test_nodesjson_matches_geth_layout(void **state)
{
	struct nodesjson_entry e[2];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	fill(e);
	assert_int_equal(nodesjson_fprint(f, e, 2), 0);
	fclose(f);
	assert_int_equal(len, strlen(golden));
	assert_string_equal(buf, golden);
	free(buf);
}

static void test_nodesjson_empty_set(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(nodesjson_fprint(f, NULL, 0), 0);
	fclose(f);
	assert_string_equal(buf, "{}");
	free(buf);
}

static void test_nodesjson_escapes_like_go(void **state)
{
	struct nodesjson_entry e = {.record = "a<b>&\"\\\x01",
				    .first_response = NODESJSON_ZERO_TIME,
				    .last_response = NODESJSON_ZERO_TIME,
				    .last_check = NODESJSON_ZERO_TIME};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(nodesjson_fprint(f, &e, 1), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"record\": \"a\\u003cb\\u003e\\u0026\\\"\\\\\\u0001\","));
	free(buf);
}

static void test_nodesjson_write_is_atomic(void **state)
{
	char dir[] = "/tmp/nodesjson-XXXXXX", path[128], buf[4096];
	struct nodesjson_entry e[2];
	struct stat st;
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nodes.json", dir);
	fill(e);
	assert_int_equal(nodesjson_write(path, e, 2), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	assert_string_equal(buf, golden);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);

	/* A failed write leaves the previous file whole and no temporary. */
	assert_int_equal(chmod(dir, 0500), 0);
	if (geteuid() != 0)     /* root ignores directory permissions */
		assert_int_equal(nodesjson_write(path, e, 1), -EACCES);
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);        /* fails if a temporary was left */
}

static void test_nodesjson_write_reports_bad_dir(void **state)
{
	struct nodesjson_entry e[2];

	(void)state;
	fill(e);
	assert_int_equal(nodesjson_write("/nonexistent-dir/nodes.json", e, 2), -ENOENT);
}

/* The temporary files of killed writers of that path go, nothing else:
 * not another path's, not the file itself, not look-alike names. */
static void test_nodesjson_clean_temps(void **state)
{
	static const char *const names[] = {
		"nodes.json.tmp.a1B2c3", "nodes.json.tmp.zzzzzz",    /* go */
		"nodes.json", "other.json.tmp.a1B2c3",               /* stay */
		"nodes.json.tmp.abc", "nodes.json.tmp.a1B2c3x",
	};
	char dir[] = "/tmp/nodesjson-XXXXXX", path[160], cmd[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		f = fopen(path, "w");
		assert_non_null(f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/nodes.json", dir);
	assert_int_equal(nodesjson_clean_temps(path), 2);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[160];

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		assert_int_equal(access(p, F_OK) == 0, i >= 2);
	}
	assert_int_equal(nodesjson_clean_temps(path), 0);
	snprintf(path, sizeof(path), "%s/none/nodes.json", dir);
	assert_int_equal(nodesjson_clean_temps(path), -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodesjson_matches_geth_layout),
		cmocka_unit_test(test_nodesjson_empty_set),
		cmocka_unit_test(test_nodesjson_escapes_like_go),
		cmocka_unit_test(test_nodesjson_write_is_atomic),
		cmocka_unit_test(test_nodesjson_write_reports_bad_dir),
		cmocka_unit_test(test_nodesjson_clean_temps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
