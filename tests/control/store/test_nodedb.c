/* SPDX-License-Identifier: MIT */
/* tests/control/store/test_nodedb.c - node database: round trips, seeds, batches,
 * and survival of kill -9 in the middle of writing. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "control/store/nodedb.h"

static void make_node(struct nodedb_node *n, unsigned i, int64_t pong)
{
	memset(n, 0, sizeof(*n));
	for (unsigned k = 0; k < NODEDB_PUB_LEN; k++)
		n->pub[k] = (uint8_t)(i * 7 + k);
	n->ip[10] = n->ip[11] = 0xff;
	n->ip[12] = 127;
	n->ip[15] = (uint8_t)i;
	n->udp = (uint16_t)(30000 + i);
	n->tcp = (uint16_t)(31000 + i);
	n->last_pong = pong;
	n->enr_seq = i;
	n->enr_len = 3;
	n->enr[0] = 0xc2;
	n->enr[1] = 0x01;
	n->enr[2] = (uint8_t)i;
}

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/nodedb-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_nodedb_put_get_roundtrip(void **state)
{
	struct nodedb *db;
	struct nodedb_node n, got;
	uint64_t v;

	(void)state;
	assert_int_equal(nodedb_open(&db, ":memory:"), 0);
	make_node(&n, 5, 1000);
	assert_int_equal(nodedb_put_node(db, &n), 0);
	assert_int_equal(nodedb_get_node(db, &got, n.pub, n.ip), 0);
	assert_memory_equal(&got, &n, sizeof(n));
	n.udp = 1;
	n.findnode_fails = 3;
	assert_int_equal(nodedb_put_node(db, &n), 0);   /* update, not insert */
	assert_int_equal(nodedb_count(db, "nodes"), 1);
	assert_int_equal(nodedb_get_node(db, &got, n.pub, n.ip), 0);
	assert_int_equal(got.udp, 1);
	assert_int_equal(got.findnode_fails, 3);
	n.ip[15] = 99;
	assert_int_equal(nodedb_get_node(db, &got, n.pub, n.ip), -ENOENT);

	assert_int_equal(nodedb_get_u64(db, "local.seq", &v), -ENOENT);
	assert_int_equal(nodedb_put_u64(db, "local.seq", 42), 0);
	assert_int_equal(nodedb_put_u64(db, "local.seq", 43), 0);
	assert_int_equal(nodedb_get_u64(db, "local.seq", &v), 0);
	assert_true(v == 43);
	assert_int_equal(nodedb_count(db, "bogus; drop table nodes"), -EINVAL);
	nodedb_close(db);
	nodedb_close(NULL);
}

static void test_nodedb_seeds_newest_first_within_age(void **state)
{
	struct nodedb *db;
	struct nodedb_node n, out[8];

	(void)state;
	assert_int_equal(nodedb_open(&db, ":memory:"), 0);
	assert_int_equal(nodedb_begin(db), 0);
	assert_int_equal(nodedb_begin(db), -EPROTO);
	for (unsigned i = 0; i < 6; i++) {
		make_node(&n, i, 1000 + 100 * i);   /* 1000 .. 1500 */
		assert_int_equal(nodedb_put_node(db, &n), 0);
	}
	assert_int_equal(nodedb_commit(db), 0);
	assert_int_equal(nodedb_commit(db), -EPROTO);
	/* now = 1550, max age 300: pongs at 1300, 1400, 1500 qualify. */
	assert_int_equal(nodedb_seeds(db, out, 8, 1550, 300), 3);
	assert_int_equal(out[0].last_pong, 1500);
	assert_int_equal(out[2].last_pong, 1300);
	assert_int_equal(nodedb_seeds(db, out, 2, 1550, 300), 2);
	assert_int_equal(nodedb_expire(db, 1250), 3);
	assert_int_equal(nodedb_count(db, "nodes"), 3);
	nodedb_close(db);
}

static void test_nodedb_persists_across_reopen(void **state)
{
	char path[128];
	struct nodedb *db;
	struct nodedb_node n, got;

	(void)state;
	snprintf(path, sizeof(path), "%s/persist.sqlite", dir);
	assert_int_equal(nodedb_open(&db, path), 0);
	make_node(&n, 9, 77);
	assert_int_equal(nodedb_put_node(db, &n), 0);
	nodedb_close(db);
	assert_int_equal(nodedb_open(&db, path), 0);
	assert_int_equal(nodedb_get_node(db, &got, n.pub, n.ip), 0);
	assert_int_equal(got.last_pong, 77);
	nodedb_close(db);
}

/* A child writes committed batches as fast as it can and reports each
 * committed batch number down a pipe; we kill -9 it mid-stream. Everything
 * it reported must be there, and the file must pass integrity_check. */
static void test_nodedb_survives_kill9(void **state)
{
	char path[128];
	int fds[2];
	pid_t pid;
	unsigned committed = 0, batch;
	struct nodedb *db;
	sqlite3 *h;
	sqlite3_stmt *s;
	ssize_t rows;

	(void)state;
	snprintf(path, sizeof(path), "%s/kill9.sqlite", dir);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct nodedb_node n;

		close(fds[0]);
		if (nodedb_open(&db, path))
			_exit(2);
		for (batch = 1; batch < 100000; batch++) {
			nodedb_begin(db);
			for (unsigned i = 0; i < 50; i++) {
				make_node(&n, batch * 50 + i, batch);
				n.pub[0] = (uint8_t)(batch >> 8);
				n.pub[1] = (uint8_t)batch;
				n.pub[2] = (uint8_t)(batch >> 16);
				nodedb_put_node(db, &n);
			}
			if (nodedb_commit(db))
				_exit(3);
			if (write(fds[1], &batch, sizeof(batch)) != sizeof(batch))
				_exit(4);
		}
		_exit(0);
	}
	close(fds[1]);
	/* Let it run for a while, then kill it without warning. */
	for (int i = 0; i < 200 && committed < 40; i++) {
		if (read(fds[0], &batch, sizeof(batch)) == sizeof(batch))
			committed = batch;
	}
	kill(pid, SIGKILL);
	while (read(fds[0], &batch, sizeof(batch)) == sizeof(batch))
		committed = batch;
	close(fds[0]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_true(committed >= 40);

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	sqlite3_close(h);

	assert_int_equal(nodedb_open(&db, path), 0);
	rows = nodedb_count(db, "nodes");
	/* Whole batches only: a commit is all or nothing. */
	assert_true(rows >= (ssize_t)committed * 50);
	assert_int_equal(rows % 50, 0);
	nodedb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodedb_put_get_roundtrip),
		cmocka_unit_test(test_nodedb_seeds_newest_first_within_age),
		cmocka_unit_test(test_nodedb_persists_across_reopen),
		cmocka_unit_test(test_nodedb_survives_kill9),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
