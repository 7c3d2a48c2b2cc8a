/* SPDX-License-Identifier: MIT */
/* tests/control/store/test_crawldb.c - the crawl database: SQLite schema and migrations (fresh, from a schema 1 file, newer refused), crawls and crawlers, the leased work queue (disjoint, bounded, expiry, ownership at finish, renew, release), the crawl_nodes merge and neighbour sets; the same cases against PostgreSQL when DEVPLANE_TEST_PG names a database (tests/integration/test_crawl_fleet.sh starts one), plus concurrent leases over several connections. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/keccak.h"
#include "control/store/crawldb.h"
#include "control/store/crawlschema.h"
#include "control/store/nodedb.h"
#include "control/store/sqlitestore.h"

#define T0 1700000000000ll              /* ms */

static char g_dir[64];
static const char *g_pg;                /* DEVPLANE_TEST_PG, or NULL */
static bool g_on_pg;                    /* the group running */
static unsigned g_serial;

/* A database for one case: a fresh SQLite file, or the PostgreSQL one
 * (shared: each case names its crawls apart). */
static struct crawldb *open_db(void)
{
	struct crawldb *db;
	char path[128];

	if (g_on_pg) {
		assert_int_equal(crawldb_open(&db, g_pg), 0);
		return db;
	}
	snprintf(path, sizeof(path), "%s/c%u.sqlite", g_dir, g_serial++);
	unlink(path);
	assert_int_equal(crawldb_open(&db, path), 0);
	return db;
}

/* A round name no other case or run uses. */
static const char *round_name(const char *what)
{
	static char name[96];

	snprintf(name, sizeof(name), "%s-%d-%u-%lld", what, (int)getpid(),
		 g_serial++, (long long)time(NULL));
	return name;
}

static const struct crawldb_me me = { .host = "test", .pid = 1 };

static void grant_of(struct crawldb_grant *g, unsigned i)
{
	memset(g, 0, sizeof(*g));
	for (unsigned k = 0; k < CRAWLDB_PUB_LEN; k++)
		g->pub[k] = (uint8_t)(i * 131 + k * 7 + 1);
	memcpy(g->pub + 60, &i, sizeof(i));
	keccak256(g->id, g->pub, CRAWLDB_PUB_LEN);
	g->ip[10] = g->ip[11] = 0xff;
	g->ip[12] = 10;
	g->ip[14] = (uint8_t)(i >> 8);
	g->ip[15] = (uint8_t)i;
	g->udp = 30303;
	g->tcp = (uint16_t)(i % 2 ? 30303 : 0);
}

/* ---- reading rows back ---------------------------------------------------- */

static int int_row(void *user, const struct crawldb_val *c, size_t n)
{
	int64_t *out = user;

	for (size_t i = 0; i < n; i++)
		out[i] = c[i].type == CRAWLDB_INT ? c[i].i :
			 c[i].type == CRAWLDB_NULL ? -1 : -2;
	return 0;
}

/* The integers of the first row of sql (NULL: -1); printf-style. */
static void ints(struct crawldb *db, int64_t *out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ints(struct crawldb *db, int64_t *out, const char *fmt, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	out[0] = -3;
	assert_int_equal(crawldb_query(db, sql, int_row, out), 0);
}

/* The first integer of sql, whose one conversion is the crawl id. */
static int64_t count(struct crawldb *db, const char *fmt, int64_t id)
	__attribute__((format(printf, 2, 0)));

static int64_t count(struct crawldb *db, const char *fmt, int64_t id)
{
	char sql[512];
	int64_t v[1];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(sql, sizeof(sql), fmt, (long long)id);
#pragma GCC diagnostic pop
	ints(db, v, "%s", sql);
	return v[0];
}

/* ---- SQLite: the schema and its migrations -------------------------------- */

static void test_crawldb_sqlite_fresh_schema(void **st)
{
	struct crawldb *db;
	int64_t v[3];

	(void)st;
	if (g_on_pg)
		skip();
	db = open_db();
	assert_int_equal(nodedb_version(sqlitestore_nodedb(db)),
			 CRAWLSCHEMA_VERSION);
	ints(db, v, "SELECT count(*), min(version), max(version) FROM "
	     "schema_version");
	assert_int_equal(v[0], 2);
	assert_int_equal(v[1], 1);
	assert_int_equal(v[2], 2);
	ints(db, v, "PRAGMA user_version");
	assert_int_equal(v[0], 2);
	ints(db, v, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	     "AND name IN ('crawl', 'rlpx')");
	assert_int_equal(v[0], 0);
	ints(db, v, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	     "AND name IN ('crawls', 'crawlers', 'crawl_nodes', 'crawl_queue',"
	     " 'visits', 'neighbors', 'nodes', 'kv')");
	assert_int_equal(v[0], 8);
	crawldb_close(db);
}

/* A file as devplane wrote it before the crawl schema (PRAGMA
 * user_version 1, no schema_version): its crawl and rlpx rows move into
 * crawl_nodes and the visits of one imported crawl; nodes and kv stay. */
static void test_crawldb_sqlite_migrates_schema_1(void **st)
{
	const struct crawlschema_migration *m;
	struct crawldb *db;
	char path[128], sql[1024];
	sqlite3 *h;
	size_t n;
	int64_t v[6];
	uint64_t seq;

	(void)st;
	if (g_on_pg)
		skip();
	snprintf(path, sizeof(path), "%s/v1.sqlite", g_dir);
	unlink(path);
	m = crawlschema_migrations(&n);
	assert_int_equal(m[0].version, 1);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, m[0].sql[CRAWLSCHEMA_SQLITE], NULL,
				      NULL, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql),
		 "PRAGMA user_version = 1;"
		 "INSERT INTO kv VALUES('local.seq', 7);"
		 "INSERT INTO nodes(pub, ip, udp, tcp, last_pong) VALUES("
		 "zeroblob(64), zeroblob(16), 1, 2, 3);"
		 "INSERT INTO crawl VALUES(x'%064x', 'enr:-abc', 5, 2, 1700000000,"
		 " 1700000100, 1700000200, zeroblob(16), 30303, 30303);"
		 "INSERT INTO crawl VALUES(x'%064x', 'enode://x', 0, 0, %lld,"
		 " %lld, 1700000300, zeroblob(16), 30303, 0);"
		 "INSERT INTO rlpx(id, pub, ip, tcp, client_id, p2p_version, caps,"
		 " eth_version, network_id, fork_hash, fork_next, error,"
		 " started_ms, finished_ms) VALUES(x'%064x', zeroblob(64),"
		 " zeroblob(16), 30303, 'Geth/v1.14.0/linux', 5, 'eth/68', 68, 1,"
		 " 'fc64ec04', 0, NULL, 1700000000000, 1700000000500);",
		 1, 2, (long long)INT64_MIN, (long long)INT64_MIN, 1);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	assert_int_equal(crawldb_open(&db, path), 0);
	assert_int_equal(nodedb_version(sqlitestore_nodedb(db)), 2);
	assert_int_equal(nodedb_get_u64(sqlitestore_nodedb(db), "local.seq",
					&seq), 0);
	assert_int_equal(seq, 7);
	assert_int_equal(nodedb_count(sqlitestore_nodedb(db), "nodes"), 1);
	ints(db, v, "SELECT count(*) FROM crawl_nodes");
	assert_int_equal(v[0], 2);
	ints(db, v, "SELECT seq, score, first_response, last_response, "
	     "last_check FROM crawl_nodes WHERE record = 'enr:-abc'");
	assert_int_equal(v[0], 5);
	assert_int_equal(v[1], 2);
	assert_int_equal(v[2], 1700000000000ll);
	assert_int_equal(v[3], 1700000100000ll);
	assert_int_equal(v[4], 1700000200000ll);
	ints(db, v, "SELECT first_response, last_response, last_check FROM "
	     "crawl_nodes WHERE record = 'enode://x'");
	assert_int_equal(v[0], -1);     /* Go's zero time: NULL */
	assert_int_equal(v[1], -1);
	assert_int_equal(v[2], 1700000300000ll);
	ints(db, v, "SELECT count(*), min(v.eth_version), min(v.network_id), "
	     "min(v.rlpx_finished_at - v.rlpx_started_at), "
	     "sum(v.client_name = 'Geth') FROM visits v JOIN crawls c ON "
	     "c.id = v.crawl_id WHERE c.name = 'schema 1 import'");
	assert_int_equal(v[0], 1);
	assert_int_equal(v[1], 68);
	assert_int_equal(v[2], 1);
	assert_int_equal(v[3], 500);
	assert_int_equal(v[4], 1);
	ints(db, v, "SELECT count(*) FROM sqlite_master WHERE name IN "
	     "('crawl', 'rlpx')");
	assert_int_equal(v[0], 0);
	ints(db, v, "SELECT count(*), sum(what LIKE 'found%%') FROM "
	     "schema_version");
	assert_int_equal(v[0], 2);
	assert_int_equal(v[1], 1);      /* version 1 was found, not applied */
	crawldb_close(db);
	/* Opening again applies nothing. */
	assert_int_equal(crawldb_open(&db, path), 0);
	ints(db, v, "SELECT count(*) FROM schema_version");
	assert_int_equal(v[0], 2);
	crawldb_close(db);
}

/* A file from a newer build is refused, not rewritten. */
static void test_crawldb_sqlite_refuses_newer_schema(void **st)
{
	struct crawldb *db;
	char path[128];
	sqlite3 *h;

	(void)st;
	if (g_on_pg)
		skip();
	snprintf(path, sizeof(path), "%s/new.sqlite", g_dir);
	unlink(path);
	assert_int_equal(crawldb_open(&db, path), 0);
	crawldb_close(db);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO schema_version "
				      "VALUES(99, 0, 'future')", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(crawldb_open(&db, path), -EPROTO);
}

/* ---- crawls, crawlers -------------------------------------------------- */

static void test_crawldb_join_creates_then_joins(void **st)
{
	struct crawldb_round a, b, c, d;
	struct crawldb *db = open_db();
	const char *name = round_name("join");
	int64_t id;

	(void)st;
	assert_int_equal(crawldb_join(db, &a, name, &me, T0), 0);
	assert_true(a.created);
	assert_int_equal(crawldb_join(db, &b, name, &me, T0 + 1), 0);
	assert_false(b.created);
	assert_int_equal(a.crawl_id, b.crawl_id);
	assert_int_not_equal(a.crawler_id, b.crawler_id);
	assert_int_equal(crawldb_find(db, name, &id), 0);
	assert_int_equal(id, a.crawl_id);
	assert_int_equal(crawldb_find(db, "no such round, surely", &id),
			 -ENOENT);
	/* Unnamed: a crawl of its own each time. */
	assert_int_equal(crawldb_join(db, &c, NULL, &me, T0), 0);
	assert_int_equal(crawldb_join(db, &d, NULL, &me, T0), 0);
	assert_true(c.created && d.created);
	assert_int_not_equal(c.crawl_id, d.crawl_id);
	assert_int_equal(count(db, "SELECT count(*) FROM crawlers WHERE "
			       "crawl_id = %lld", a.crawl_id), 2);
	crawldb_close(db);
}

/* ---- the leased queue -------------------------------------------------- */

static bool has_id(const struct crawldb_grant *v, size_t n,
		   const uint8_t id[CRAWLDB_ID_LEN])
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(v[i].id, id, CRAWLDB_ID_LEN))
			return true;
	return false;
}

/* 50 nodes (learnt twice), two crawlers: leases are disjoint, bounded
 * by the request, and together cover the queue exactly once. */
static void test_crawldb_leases_are_disjoint(void **st)
{
	struct crawldb_grant g, got[64], all[64];
	struct crawldb_round a, b;
	struct crawldb *db = open_db();
	const char *name = round_name("disjoint");
	size_t n_all = 0;
	bool pending, leased;
	ssize_t n;

	(void)st;
	assert_int_equal(crawldb_join(db, &a, name, &me, T0), 0);
	assert_int_equal(crawldb_join(db, &b, name, &me, T0), 0);
	for (unsigned i = 0; i < 50; i++) {
		grant_of(&g, i);
		assert_int_equal(crawldb_enqueue(db, &a, &g, T0 + i), 0);
		assert_int_equal(crawldb_enqueue(db, &b, &g, T0 + 100), 0);
	}
	assert_int_equal(count(db, "SELECT count(*) FROM crawl_queue WHERE "
			       "crawl_id = %lld", a.crawl_id), 50);
	assert_int_equal(crawldb_pool(db, &a, T0, &pending, &leased), 0);
	assert_true(pending);
	assert_false(leased);
	for (int k = 0; k < 3; k++) {
		struct crawldb_round *r = k == 1 ? &b : &a;

		n = crawldb_lease(db, r, got, 20, 60000, T0 + 10);
		assert_int_equal(n, k < 2 ? 20 : 10);
		for (ssize_t i = 0; i < n; i++) {
			assert_false(has_id(all, n_all, got[i].id));
			all[n_all++] = got[i];
		}
	}
	/* The oldest first (in any order within a lease), with their
	 * endpoints. */
	for (unsigned i = 0; i < 20; i++) {
		bool found = false;

		grant_of(&g, i);
		for (unsigned k = 0; k < 20; k++)
			if (!memcmp(&all[k], &g, sizeof(g)))
				found = true;
		assert_true(found);
	}
	assert_int_equal(crawldb_lease(db, &b, got, 20, 60000, T0 + 10), 0);
	assert_int_equal(crawldb_pool(db, &a, T0 + 10, &pending, &leased), 0);
	assert_false(pending);
	assert_true(leased);
	assert_int_equal(count(db, "SELECT count(*) FROM crawl_queue WHERE "
			       "crawl_id = %lld AND state = 1 AND attempts = 1",
			       a.crawl_id), 50);
	crawldb_close(db);
}

/* Waits (bounded) until r's queue shows pending nodes: PostgreSQL's
 * leases expire by its own clock. */
static void until_pending(struct crawldb *db, const struct crawldb_round *r,
			  int64_t now)
{
	bool pending = false, leased = true;

	for (int i = 0; i < 500 && !pending; i++) {
		assert_int_equal(crawldb_pool(db, r, now, &pending, &leased), 0);
		if (!pending)
			usleep(10000);
	}
	assert_true(pending);
}

/* A's lease expires (it stopped renewing, as a killed crawler does); B
 * gets the nodes; A's late finish is refused and writes no visit; B's
 * commits. Renewing keeps a lease; release puts it back at once. */
static void test_crawldb_expired_leases_go_to_others(void **st)
{
	struct crawldb_grant g, got[8];
	struct crawldb_round a, b;
	struct crawldb *db = open_db();
	const char *name = round_name("expiry");
	struct crawldb_disc d = { .answered = true };
	int64_t lease = g_on_pg ? 300 : 1000;
	int64_t now = T0;
	bool pending, leased;

	(void)st;
	assert_int_equal(crawldb_join(db, &a, name, &me, now), 0);
	assert_int_equal(crawldb_join(db, &b, name, &me, now), 0);
	for (unsigned i = 0; i < 4; i++) {
		grant_of(&g, i);
		assert_int_equal(crawldb_enqueue(db, &a, &g, now), 0);
	}
	assert_int_equal(crawldb_lease(db, &a, got, 8, lease, now), 4);
	/* Not expired yet: nothing for B (SQLite at the given time). */
	if (!g_on_pg) {
		assert_int_equal(crawldb_lease(db, &b, got, 8, lease,
					       now + 500), 0);
		assert_int_equal(crawldb_pool(db, &b, now + 500, &pending,
					      &leased), 0);
		assert_false(pending);
		assert_true(leased);
		/* A renews at +900: still A's at +1500. */
		assert_int_equal(crawldb_renew(db, &a, lease, now + 900), 0);
		assert_int_equal(crawldb_lease(db, &b, got, 8, lease,
					       now + 1500), 0);
		now += 900;
	}
	until_pending(db, &b, now + lease + 1);
	assert_int_equal(crawldb_lease(db, &b, got, 8, lease,
				       now + lease + 1), 4);
	memcpy(d.id, got[0].id, CRAWLDB_ID_LEN);
	/* A's late finish: the lease is B's now. */
	assert_int_equal(crawldb_begin(db), 0);
	assert_int_equal(crawldb_finish(db, &a, got[0].id, now + lease + 2),
			 -ESTALE);
	assert_int_equal(crawldb_finish(db, &b, got[0].id, now + lease + 2), 0);
	assert_int_equal(crawldb_put_disc(db, &b, &d), 0);
	assert_int_equal(crawldb_commit(db), 0);
	/* A finished node is not leased again. */
	assert_int_equal(crawldb_finish(db, &b, got[0].id, now + lease + 3),
			 -ESTALE);
	assert_int_equal(count(db, "SELECT count(*) FROM visits WHERE "
			       "crawl_id = %lld", a.crawl_id), 1);
	assert_int_equal(count(db, "SELECT crawler_id FROM visits WHERE "
			       "crawl_id = %lld", a.crawl_id), b.crawler_id);
	assert_int_equal(count(db, "SELECT sum(attempts) FROM crawl_queue WHERE "
			       "crawl_id = %lld", a.crawl_id), 8);
	/* B stops early: its three other leases go back at once. */
	assert_int_equal(crawldb_release(db, &b), 0);
	assert_int_equal(crawldb_lease(db, &a, got, 8, 60000,
				       now + lease + 4), 3);
	crawldb_close(db);
}

/* A round ends with its last lease; its counts add up. */
static void test_crawldb_end_counts(void **st)
{
	struct crawldb_grant g, got[4];
	struct crawldb_round a;
	struct crawldb *db = open_db();
	const char *name = round_name("end");
	struct crawldb_counts k = { .leased = 2, .visits = 1 };
	struct crawldb_disc d = { .answered = true, .enr_verified = true,
				  .enr_seq = 3 };
	struct crawldb_rlpx x;
	int64_t v[6];

	(void)st;
	assert_int_equal(crawldb_join(db, &a, name, &me, T0), 0);
	for (unsigned i = 0; i < 2; i++) {
		grant_of(&g, i);
		assert_int_equal(crawldb_enqueue(db, &a, &g, T0), 0);
	}
	assert_int_equal(crawldb_lease(db, &a, got, 4, 60000, T0), 2);
	memset(&x, 0, sizeof(x));
	memcpy(x.id, got[0].id, CRAWLDB_ID_LEN);
	x.has_hello = x.has_status = x.has_range = true;
	snprintf(x.client_id, sizeof(x.client_id), "Geth/v1.17.10/linux");
	snprintf(x.client_name, sizeof(x.client_name), "Geth");
	x.eth_version = 69;
	x.latest = 1000;
	x.disc_reason = -1;
	memcpy(d.id, got[0].id, CRAWLDB_ID_LEN);
	d.started_ms = T0;
	d.finished_ms = T0 + 5;
	assert_int_equal(crawldb_begin(db), 0);
	assert_int_equal(crawldb_finish(db, &a, got[0].id, T0 + 5), 0);
	assert_int_equal(crawldb_put_disc(db, &a, &d), 0);
	assert_int_equal(crawldb_put_rlpx(db, &a, &x), 0);
	assert_int_equal(crawldb_commit(db), 0);
	/* One lease still out: the round goes on. */
	assert_int_equal(crawldb_end(db, &a, &k, false, T0 + 10), 0);
	ints(db, v, "SELECT ended_at, nodes_seen, visited, answered, "
	     "enr_verified, rlpx_status FROM crawls WHERE id = %lld",
	     (long long)a.crawl_id);
	assert_int_equal(v[0], -1);
	assert_int_equal(v[1], 2);
	assert_int_equal(v[2], 1);
	assert_int_equal(v[3], 1);
	assert_int_equal(v[4], 1);
	assert_int_equal(v[5], 1);
	ints(db, v, "SELECT leased, visits, leases_lost, ended_at FROM "
	     "crawlers WHERE id = %lld", (long long)a.crawler_id);
	assert_int_equal(v[0], 2);
	assert_int_equal(v[1], 1);
	assert_int_equal(v[2], 0);
	assert_int_equal(v[3], T0 + 10);
	ints(db, v, "SELECT block_latest, block_earliest, eth_version FROM "
	     "visits WHERE crawl_id = %lld", (long long)a.crawl_id);
	assert_int_equal(v[0], 1000);
	assert_int_equal(v[1], 0);
	assert_int_equal(v[2], 69);
	/* The last lease done: the round ends. */
	assert_int_equal(crawldb_begin(db), 0);
	assert_int_equal(crawldb_finish(db, &a, got[1].id, T0 + 20), 0);
	assert_int_equal(crawldb_commit(db), 0);
	assert_int_equal(crawldb_end(db, &a, &k, false, T0 + 30), 0);
	ints(db, v, "SELECT ended_at FROM crawls WHERE id = %lld",
	     (long long)a.crawl_id);
	assert_int_equal(v[0], T0 + 30);
	crawldb_close(db);
}

/* ---- crawl_nodes merge and neighbours --------------------------------- */

/* A crawler that only heard of a node does not undo what its visitor
 * wrote: the newer record, the score of the latest check, the earliest
 * first and latest last times stay. */
static void test_crawldb_node_rows_merge(void **st)
{
	struct crawldb *db = open_db();
	struct crawldb_grant g;
	struct crawldb_node n;
	char hex[65], lit[96];
	int64_t v[6];

	(void)st;
	grant_of(&g, 900 + g_serial++);
	memset(&n, 0, sizeof(n));
	memcpy(n.id, g.id, CRAWLDB_ID_LEN);
	n.pub = g.pub;
	n.record = "enode://first";
	n.seen_ms = T0 + 10;
	n.first_response = n.last_response = n.last_check = CRAWLDB_NO_TIME;
	assert_int_equal(crawldb_put_node(db, &n), 0);
	/* The visitor: a verified record, a check, an answer. */
	n.record = "enr:-visited";
	n.seq = 3;
	n.score = 1;
	n.seen_ms = T0 + 20;
	n.first_response = n.last_response = T0 + 21;
	n.last_check = T0 + 20;
	assert_int_equal(crawldb_put_node(db, &n), 0);
	/* Another crawler, which only heard of it, later. */
	n.record = "enode://heard";
	n.seq = 0;
	n.score = 0;
	n.seen_ms = T0 + 5;
	n.first_response = n.last_response = n.last_check = CRAWLDB_NO_TIME;
	assert_int_equal(crawldb_put_node(db, &n), 0);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", g.id[i]);
	snprintf(lit, sizeof(lit), g_on_pg ? "decode('%s', 'hex')" : "x'%s'",
		 hex);
	ints(db, v, "SELECT seq, score, first_seen, last_seen, first_response,"
	     " last_check FROM crawl_nodes WHERE id = %s", lit);
	assert_int_equal(v[0], 3);
	assert_int_equal(v[1], 1);
	assert_int_equal(v[2], T0 + 5);
	assert_int_equal(v[3], T0 + 20);
	assert_int_equal(v[4], T0 + 21);
	assert_int_equal(v[5], T0 + 20);
	ints(db, v, "SELECT count(*) FROM crawl_nodes WHERE id = %s AND "
	     "record = 'enr:-visited'", lit);
	assert_int_equal(v[0], 1);
	crawldb_close(db);
}

/* What a node returned, over several FindNodes, is a set. */
static void test_crawldb_neighbors_are_a_set(void **st)
{
	struct crawldb *db = open_db();
	struct crawldb_round a;
	struct crawldb_grant g[4];
	uint8_t ids[3][CRAWLDB_ID_LEN];
	int64_t n;

	(void)st;
	assert_int_equal(crawldb_join(db, &a, round_name("nbr"), &me, T0), 0);
	for (unsigned i = 0; i < 4; i++)
		grant_of(&g[i], i);
	memcpy(ids[0], g[1].id, CRAWLDB_ID_LEN);
	memcpy(ids[1], g[2].id, CRAWLDB_ID_LEN);
	assert_int_equal(crawldb_put_neighbors(db, a.crawl_id, g[0].id,
		(const uint8_t (*)[CRAWLDB_ID_LEN])ids, 2), 0);
	memcpy(ids[0], g[2].id, CRAWLDB_ID_LEN);
	memcpy(ids[1], g[3].id, CRAWLDB_ID_LEN);
	memcpy(ids[2], g[3].id, CRAWLDB_ID_LEN);
	assert_int_equal(crawldb_put_neighbors(db, a.crawl_id, g[0].id,
		(const uint8_t (*)[CRAWLDB_ID_LEN])ids, 3), 0);
	assert_int_equal(crawldb_put_neighbors(db, a.crawl_id, g[1].id,
		(const uint8_t (*)[CRAWLDB_ID_LEN])ids, 1), 0);
	if (g_on_pg) {
		n = count(db, "SELECT sum(cardinality(neighbor_ids)) FROM "
			  "neighbors WHERE crawl_id = %lld", a.crawl_id);
		assert_int_equal(count(db, "SELECT count(*) FROM neighbors "
				       "WHERE crawl_id = %lld", a.crawl_id), 2);
	} else {
		n = count(db, "SELECT count(*) FROM neighbors WHERE crawl_id ="
			  " %lld", a.crawl_id);
	}
	assert_int_equal(n, 4);         /* {1, 2, 3} and {2} */
	crawldb_close(db);
}

/* ---- PostgreSQL: crawlers leasing at the same moment -------------------- */

#define PG_THREADS 4
#define PG_NODES   400

struct leaser {
	const char *name;
	uint8_t (*got)[CRAWLDB_ID_LEN];
	size_t n;
	int rc;
};

/* One crawler on its own connection, leasing 7 at a time until the queue
 * is empty. */
static void *lease_loop(void *arg)
{
	struct leaser *l = arg;
	struct crawldb_grant g[7];
	struct crawldb_round r;
	struct crawldb *db;
	ssize_t n;

	l->rc = crawldb_open(&db, g_pg);
	if (l->rc)
		return NULL;
	l->rc = crawldb_join(db, &r, l->name, &me, T0);
	while (!l->rc && (n = crawldb_lease(db, &r, g, 7, 60000, T0)) > 0)
		for (ssize_t i = 0; i < n; i++)
			memcpy(l->got[l->n++], g[i].id, CRAWLDB_ID_LEN);
	if (!l->rc && n < 0)
		l->rc = (int)n;
	crawldb_close(db);
	return NULL;
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, CRAWLDB_ID_LEN);
}

static void test_crawldb_pg_concurrent_leases(void **st)
{
	struct leaser l[PG_THREADS];
	pthread_t th[PG_THREADS];
	uint8_t (*all)[CRAWLDB_ID_LEN] = calloc(PG_NODES, CRAWLDB_ID_LEN);
	const char *name = round_name("concurrent");
	struct crawldb_round r;
	struct crawldb_grant g;
	struct crawldb *db = open_db();
	size_t n = 0;

	(void)st;
	if (!g_on_pg)
		skip();
	assert_non_null(all);
	assert_int_equal(crawldb_join(db, &r, name, &me, T0), 0);
	assert_int_equal(crawldb_begin(db), 0);
	for (unsigned i = 0; i < PG_NODES; i++) {
		grant_of(&g, 1000 + i);
		assert_int_equal(crawldb_enqueue(db, &r, &g, T0 + i), 0);
	}
	assert_int_equal(crawldb_commit(db), 0);
	for (int i = 0; i < PG_THREADS; i++) {
		l[i] = (struct leaser){ .name = name };
		l[i].got = calloc(PG_NODES, CRAWLDB_ID_LEN);
		assert_non_null(l[i].got);
		assert_int_equal(pthread_create(&th[i], NULL, lease_loop,
						&l[i]), 0);
	}
	for (int i = 0; i < PG_THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(l[i].rc, 0);
		print_message("leaser %d: %zu nodes\n", i, l[i].n);
		memcpy(all[n], l[i].got, l[i].n * CRAWLDB_ID_LEN);
		n += l[i].n;
		free(l[i].got);
	}
	/* Every node exactly once. */
	assert_int_equal(n, PG_NODES);
	qsort(all, n, CRAWLDB_ID_LEN, cmp_id);
	for (size_t i = 1; i < n; i++)
		assert_true(memcmp(all[i - 1], all[i], CRAWLDB_ID_LEN) < 0);
	assert_int_equal(count(db, "SELECT count(*) FROM crawl_queue WHERE "
			       "crawl_id = %lld AND attempts = 1 AND state = 1",
			       r.crawl_id), PG_NODES);
	free(all);
	crawldb_close(db);
}

static int group_setup(void **st)
{
	(void)st;
	snprintf(g_dir, sizeof(g_dir), "/tmp/test_crawldb.XXXXXX");
	return mkdtemp(g_dir) ? 0 : -1;
}

static int group_teardown(void **st)
{
	char cmd[128];

	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int pg_setup(void **st)
{
	(void)st;
	g_on_pg = true;
	return 0;
}

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = {
		cmocka_unit_test(test_crawldb_sqlite_fresh_schema),
		cmocka_unit_test(test_crawldb_sqlite_migrates_schema_1),
		cmocka_unit_test(test_crawldb_sqlite_refuses_newer_schema),
		cmocka_unit_test(test_crawldb_join_creates_then_joins),
		cmocka_unit_test(test_crawldb_leases_are_disjoint),
		cmocka_unit_test(test_crawldb_expired_leases_go_to_others),
		cmocka_unit_test(test_crawldb_end_counts),
		cmocka_unit_test(test_crawldb_node_rows_merge),
		cmocka_unit_test(test_crawldb_neighbors_are_a_set),
	};
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test(test_crawldb_join_creates_then_joins),
		cmocka_unit_test(test_crawldb_leases_are_disjoint),
		cmocka_unit_test(test_crawldb_expired_leases_go_to_others),
		cmocka_unit_test(test_crawldb_end_counts),
		cmocka_unit_test(test_crawldb_node_rows_merge),
		cmocka_unit_test(test_crawldb_neighbors_are_a_set),
		cmocka_unit_test(test_crawldb_pg_concurrent_leases),
	};
	int rc;

	g_pg = getenv("DEVPLANE_TEST_PG");
	/* Without a database the PostgreSQL group is not run at all (it
	 * is not counted as passed): test_crawl_fleet.sh runs it. */
	if (g_pg && *g_pg)
		return cmocka_run_group_tests_name("postgresql", pg_tests,
						   pg_setup, NULL);
	rc = cmocka_run_group_tests_name("sqlite", sqlite_tests, group_setup,
					 group_teardown);
	return rc;
}
