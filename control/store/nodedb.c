/* SPDX-License-Identifier: MIT */
/* control/store/nodedb.c - the node database over SQLite (WAL, batched writes). */
#include "control/store/nodedb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "control/store/crawlschema.h"

enum stmt {
	ST_PUT_NODE,
	ST_GET_NODE,
	ST_SEEDS,
	ST_EXPIRE,
	ST_GET_KV,
	ST_PUT_KV,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_MAX
};

static const char *const stmt_sql[ST_MAX] = {
	[ST_PUT_NODE] =
		"INSERT INTO nodes(pub, ip, udp, tcp, last_pong, last_ping, "
		"findnode_fails, enr_seq, enr) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) "
		"ON CONFLICT(pub, ip) DO UPDATE SET udp=?3, tcp=?4, last_pong=?5, "
		"last_ping=?6, findnode_fails=?7, enr_seq=?8, enr=?9",
	[ST_GET_NODE] =
		"SELECT pub, ip, udp, tcp, last_pong, last_ping, findnode_fails, "
		"enr_seq, enr FROM nodes WHERE pub=?1 AND ip=?2",
	[ST_SEEDS] =
		"SELECT pub, ip, udp, tcp, last_pong, last_ping, findnode_fails, "
		"enr_seq, enr FROM nodes WHERE last_pong >= ?1 "
		"ORDER BY last_pong DESC LIMIT ?2",
	[ST_EXPIRE] =
		"DELETE FROM nodes WHERE max(last_pong, last_ping) < ?1",
	[ST_GET_KV] = "SELECT v FROM kv WHERE k=?1",
	[ST_PUT_KV] = "INSERT INTO kv(k, v) VALUES(?1, ?2) "
		      "ON CONFLICT(k) DO UPDATE SET v=?2",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

struct nodedb {
	sqlite3 *h;
	sqlite3_stmt *st[ST_MAX];
	bool in_batch;
	int version;
};

static int fail(struct nodedb *db, const char *what)
{
	fprintf(stderr, "nodedb: %s: %s\n", what, sqlite3_errmsg(db->h));
	return -EIO;
}

/* Runs a prepared statement that returns no rows, then resets it. */
static int exec_stmt(struct nodedb *db, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : fail(db, what);
}

/* The schema version of the file: the highest schema_version row, or for
 * a file without that table its PRAGMA user_version (a schema 1 file, or
 * 0: a new one). */
static int read_version(struct nodedb *db, int *out)
{
	sqlite3_stmt *s;
	bool table = false;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT count(*) FROM sqlite_master WHERE"
			       " type = 'table' AND name = 'schema_version'",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW)
		table = sqlite3_column_int(s, 0) > 0;
	sqlite3_finalize(s);
	rc = sqlite3_prepare_v2(db->h, table ?
				"SELECT coalesce(max(version), 0) FROM schema_version" :
				"PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return -EIO;
	*out = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Applies migration m in one transaction with its schema_version row and
 * PRAGMA user_version (which older builds check). from: the version the
 * file had before, recorded as found when schema_version is new. */
static int apply(struct nodedb *db, const struct crawlschema_migration *m,
		 int from)
{
	char sql[256];

	if (sqlite3_exec(db->h, "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS"
			 " schema_version (version INTEGER PRIMARY KEY,"
			 " applied_at INTEGER NOT NULL, what TEXT NOT NULL)",
			 NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	for (int v = 1; v <= from; v++) {
		snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO schema_version"
			 " VALUES(%d, %lld, 'found (PRAGMA user_version %d)')",
			 v, (long long)now_ms(), from);
		if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
			goto out_rollback;
	}
	if (sqlite3_exec(db->h, m->sql[CRAWLSCHEMA_SQLITE], NULL, NULL,
			 NULL) != SQLITE_OK)
		goto out_rollback;
	snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES(%d, %lld,"
		 " '%s'); PRAGMA user_version = %d", m->version,
		 (long long)now_ms(), m->what, m->version);
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto out_rollback;
	return 0;
out_rollback:
	fail(db, m->what);
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return -EIO;
}

static int migrate(struct nodedb *db, const char *path)
{
	const struct crawlschema_migration *m;
	size_t n;
	int version, rc;

	if (read_version(db, &version) < 0)
		return fail(db, "schema version");
	if (version > CRAWLSCHEMA_VERSION) {
		fprintf(stderr, "nodedb: %s has schema %d, newer than %d\n",
			path, version, CRAWLSCHEMA_VERSION);
		return -EPROTO;
	}
	m = crawlschema_migrations(&n);
	for (size_t i = 0; i < n; i++) {
		if (m[i].version <= version)
			continue;
		rc = apply(db, &m[i], version);
		if (rc < 0)
			return rc;
		version = m[i].version;
	}
	db->version = version;
	return 0;
}

int nodedb_open(struct nodedb **out, const char *path)
{
	struct nodedb *db = calloc(1, sizeof(*db));
	int rc;

	if (!db)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto out_fail;
	sqlite3_busy_timeout(db->h, 2000);
	/* WAL survives kill -9 at any point: a torn write is just an
	 * uncommitted frame at the tail of the log. */
	if (sqlite3_exec(db->h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
			 NULL, NULL, NULL) != SQLITE_OK)
		goto out_fail;
	rc = migrate(db, path);
	if (rc < 0) {
		nodedb_close(db);
		return rc;
	}
	for (int i = 0; i < ST_MAX; i++)
		if (sqlite3_prepare_v3(db->h, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &db->st[i], NULL) != SQLITE_OK)
			goto out_fail;
	*out = db;
	return 0;
out_fail:
	fail(db, path);
	nodedb_close(db);
	return -EIO;
}

void nodedb_close(struct nodedb *db)
{
	if (!db)
		return;
	if (db->in_batch)
		nodedb_commit(db);
	for (int i = 0; i < ST_MAX; i++)
		sqlite3_finalize(db->st[i]);
	sqlite3_close(db->h);
	free(db);
}

int nodedb_begin(struct nodedb *db)
{
	int rc;

	if (db->in_batch)
		return -EPROTO;
	rc = exec_stmt(db, db->st[ST_BEGIN], "begin");
	db->in_batch = rc == 0;
	return rc;
}

int nodedb_commit(struct nodedb *db)
{
	if (!db->in_batch)
		return -EPROTO;
	db->in_batch = false;
	return exec_stmt(db, db->st[ST_COMMIT], "commit");
}

void nodedb_rollback(struct nodedb *db)
{
	if (!db->in_batch)
		return;
	db->in_batch = false;
	/* SQLite may have rolled back already (some errors do that). */
	if (sqlite3_get_autocommit(db->h) == 0)
		(void)exec_stmt(db, db->st[ST_ROLLBACK], "rollback");
}

int nodedb_version(const struct nodedb *db)
{
	return db->version;
}

struct sqlite3 *nodedb_sqlite(struct nodedb *db)
{
	return db->h;
}

int nodedb_put_node(struct nodedb *db, const struct nodedb_node *n)
{
	sqlite3_stmt *s = db->st[ST_PUT_NODE];

	sqlite3_bind_blob(s, 1, n->pub, NODEDB_PUB_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, n->ip, NODEDB_ADDR_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, n->udp);
	sqlite3_bind_int(s, 4, n->tcp);
	sqlite3_bind_int64(s, 5, n->last_pong);
	sqlite3_bind_int64(s, 6, n->last_ping);
	sqlite3_bind_int64(s, 7, n->findnode_fails);
	sqlite3_bind_int64(s, 8, (int64_t)n->enr_seq);
	if (n->enr_len)
		sqlite3_bind_blob(s, 9, n->enr, (int)n->enr_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 9);
	return exec_stmt(db, s, "put node");
}

static int row_to_node(struct nodedb_node *out, sqlite3_stmt *s)
{
	const void *enr = sqlite3_column_blob(s, 8);
	int enr_len = sqlite3_column_bytes(s, 8);

	if (sqlite3_column_bytes(s, 0) != NODEDB_PUB_LEN ||
	    sqlite3_column_bytes(s, 1) != NODEDB_ADDR_LEN || enr_len > NODEDB_ENR_MAX)
		return -EBADMSG;        /* a row not written by us */
	memset(out, 0, sizeof(*out));
	memcpy(out->pub, sqlite3_column_blob(s, 0), NODEDB_PUB_LEN);
	memcpy(out->ip, sqlite3_column_blob(s, 1), NODEDB_ADDR_LEN);
	out->udp = (uint16_t)sqlite3_column_int(s, 2);
	out->tcp = (uint16_t)sqlite3_column_int(s, 3);
	out->last_pong = sqlite3_column_int64(s, 4);
	out->last_ping = sqlite3_column_int64(s, 5);
	out->findnode_fails = (uint32_t)sqlite3_column_int64(s, 6);
	out->enr_seq = (uint64_t)sqlite3_column_int64(s, 7);
	if (enr && enr_len > 0) {
		memcpy(out->enr, enr, (size_t)enr_len);
		out->enr_len = (size_t)enr_len;
	}
	return 0;
}

int nodedb_get_node(struct nodedb *db, struct nodedb_node *out,
		    const uint8_t pub[NODEDB_PUB_LEN], const uint8_t ip[NODEDB_ADDR_LEN])
{
	sqlite3_stmt *s = db->st[ST_GET_NODE];
	int rc;

	sqlite3_bind_blob(s, 1, pub, NODEDB_PUB_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, ip, NODEDB_ADDR_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = row_to_node(out, s);
	else if (rc == SQLITE_DONE)
		rc = -ENOENT;
	else
		rc = fail(db, "get node");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

ssize_t nodedb_seeds(struct nodedb *db, struct nodedb_node *out, size_t max,
		     int64_t now, int64_t max_age)
{
	sqlite3_stmt *s = db->st[ST_SEEDS];
	size_t n = 0;
	int rc;

	sqlite3_bind_int64(s, 1, now - max_age);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		if (row_to_node(&out[n], s) == 0)
			n++;
	if (n < max && rc != SQLITE_DONE) {
		sqlite3_reset(s);
		return fail(db, "seeds");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return (ssize_t)n;
}

ssize_t nodedb_expire(struct nodedb *db, int64_t cutoff)
{
	sqlite3_stmt *s = db->st[ST_EXPIRE];
	int rc;

	sqlite3_bind_int64(s, 1, cutoff);
	rc = exec_stmt(db, s, "expire");
	return rc < 0 ? rc : sqlite3_changes(db->h);
}

int nodedb_get_u64(struct nodedb *db, const char *key, uint64_t *out)
{
	sqlite3_stmt *s = db->st[ST_GET_KV];
	int rc;

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = (uint64_t)sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : fail(db, "get kv");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

int nodedb_put_u64(struct nodedb *db, const char *key, uint64_t v)
{
	sqlite3_stmt *s = db->st[ST_PUT_KV];

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)v);
	return exec_stmt(db, s, "put kv");
}

ssize_t nodedb_count(struct nodedb *db, const char *table)
{
	sqlite3_stmt *s;
	ssize_t n = -EIO;

	static const char *const tables[] = {
		"nodes", "kv", "crawls", "crawlers", "crawl_nodes",
		"crawl_queue", "visits", "neighbors", "schema_version",
	};
	char sql[64];
	size_t i;

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (!strcmp(table, tables[i]))
			break;
	if (i == sizeof(tables) / sizeof(tables[0]))
		return -EINVAL;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(db, "count");
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}
