/* SPDX-License-Identifier: MIT */
/* control/store/nodedb.c - the node database over SQLite (WAL, batched writes). */
#include "control/store/nodedb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#define SCHEMA_VERSION 2

enum stmt {
	ST_PUT_NODE,
	ST_GET_NODE,
	ST_SEEDS,
	ST_EXPIRE,
	ST_GET_KV,
	ST_PUT_KV,
	ST_PUT_CRAWL,
	ST_PUT_RLPX,
	ST_BEGIN,
	ST_COMMIT,
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
	[ST_PUT_CRAWL] =
		"INSERT OR REPLACE INTO crawl(id, record, seq, score, first_response, "
		"last_response, last_check, ip, udp, tcp) "
		"VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
	[ST_PUT_RLPX] =
		"INSERT OR REPLACE INTO rlpx(id, pub, ip, tcp, client_id, "
		"p2p_version, caps, listen_port, eth_version, network_id, genesis, "
		"fork_hash, fork_next, status_check, disc_reason, disc_remote, "
		"error, started_ms, finished_ms, latest_hash, earliest_block, "
		"latest_block) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,"
		"?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS nodes ("
	" pub BLOB NOT NULL, ip BLOB NOT NULL, udp INTEGER, tcp INTEGER,"
	" last_pong INTEGER, last_ping INTEGER, findnode_fails INTEGER,"
	" enr_seq INTEGER, enr BLOB, PRIMARY KEY(pub, ip));"
	"CREATE INDEX IF NOT EXISTS nodes_last_pong ON nodes(last_pong);"
	"CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v INTEGER);"
	"CREATE TABLE IF NOT EXISTS crawl ("
	" id BLOB PRIMARY KEY, record TEXT NOT NULL, seq INTEGER, score INTEGER,"
	" first_response INTEGER, last_response INTEGER, last_check INTEGER,"
	" ip BLOB, udp INTEGER, tcp INTEGER);"
	/* The crawler's RLPx probes: NULL columns were not learnt (no Hello,
	 * no Status, no Disconnect). Added without a schema bump: it only
	 * adds a table. Schema 2 adds the last three columns (rlpx_migrate()
	 * for a schema 1 file). */
	"CREATE TABLE IF NOT EXISTS rlpx ("
	" id BLOB PRIMARY KEY, pub BLOB NOT NULL, ip BLOB, tcp INTEGER,"
	" client_id TEXT, p2p_version INTEGER, caps TEXT, listen_port INTEGER,"
	" eth_version INTEGER, network_id INTEGER, genesis TEXT,"
	" fork_hash TEXT, fork_next INTEGER, status_check TEXT,"
	" disc_reason INTEGER, disc_remote INTEGER, error TEXT,"
	" started_ms INTEGER, finished_ms INTEGER,"
	" latest_hash TEXT, earliest_block INTEGER, latest_block INTEGER);";

/* Columns schema 2 added to a schema 1 rlpx table. */
static const char *const rlpx_v2_columns[] = {
	"latest_hash TEXT", "earliest_block INTEGER", "latest_block INTEGER",
};

struct nodedb {
	sqlite3 *h;
	sqlite3_stmt *st[ST_MAX];
	bool in_batch;
};

static int fail(struct nodedb *db, const char *what)
{
	fprintf(stderr, "nodedb: %s: %s\n", what, sqlite3_errmsg(db->h));
	return -EIO;
}

/* Whether table rlpx has column name (a schema 1 file lacks the v2 ones). */
static int rlpx_has_column(struct nodedb *db, const char *name, bool *has)
{
	sqlite3_stmt *s;
	int rc;

	*has = false;
	if (sqlite3_prepare_v2(db->h, "SELECT name FROM pragma_table_info('rlpx')",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (!strcmp((const char *)sqlite3_column_text(s, 0), name))
			*has = true;
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Brings a schema 1 rlpx table to schema 2: ALTER TABLE ADD COLUMN for
 * each column it lacks (old rows get NULL: not learnt). */
static int rlpx_migrate(struct nodedb *db)
{
	for (size_t i = 0; i < sizeof(rlpx_v2_columns) /
			       sizeof(rlpx_v2_columns[0]); i++) {
		char name[32], sql[96];
		bool has;

		snprintf(name, sizeof(name), "%s", rlpx_v2_columns[i]);
		name[strcspn(name, " ")] = '\0';
		if (rlpx_has_column(db, name, &has))
			return -EIO;
		if (has)
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE rlpx ADD COLUMN %s",
			 rlpx_v2_columns[i]);
		if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
			return -EIO;
	}
	return 0;
}

/* Runs a prepared statement that returns no rows, then resets it. */
static int exec_stmt(struct nodedb *db, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : fail(db, what);
}

int nodedb_open(struct nodedb **out, const char *path)
{
	struct nodedb *db = calloc(1, sizeof(*db));
	int version = 0;
	sqlite3_stmt *s;

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
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		goto out_fail;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > SCHEMA_VERSION) {
		fprintf(stderr, "nodedb: %s has schema %d, newer than %d\n", path,
			version, SCHEMA_VERSION);
		sqlite3_close(db->h);
		free(db);
		return -EPROTO;
	}
	if (sqlite3_exec(db->h, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    rlpx_migrate(db) ||
	    sqlite3_exec(db->h, "PRAGMA user_version=2", NULL, NULL, NULL) != SQLITE_OK)
		goto out_fail;
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

int nodedb_put_crawl(struct nodedb *db, const struct nodedb_crawl *c)
{
	sqlite3_stmt *s = db->st[ST_PUT_CRAWL];

	sqlite3_bind_blob(s, 1, c->id, sizeof(c->id), SQLITE_STATIC);
	sqlite3_bind_text(s, 2, c->record, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)c->seq);
	sqlite3_bind_int(s, 4, c->score);
	sqlite3_bind_int64(s, 5, c->first_response);
	sqlite3_bind_int64(s, 6, c->last_response);
	sqlite3_bind_int64(s, 7, c->last_check);
	sqlite3_bind_blob(s, 8, c->ip, NODEDB_ADDR_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 9, c->udp);
	sqlite3_bind_int(s, 10, c->tcp);
	return exec_stmt(db, s, "put crawl");
}

int nodedb_put_rlpx(struct nodedb *db, const struct nodedb_rlpx *r)
{
	static const char hexd[] = "0123456789abcdef";
	sqlite3_stmt *s = db->st[ST_PUT_RLPX];
	char genesis[65], latest[65], fork[9];

	for (int i = 0; i < 32; i++) {
		genesis[2 * i] = hexd[r->genesis[i] >> 4];
		genesis[2 * i + 1] = hexd[r->genesis[i] & 15];
		latest[2 * i] = hexd[r->latest_hash[i] >> 4];
		latest[2 * i + 1] = hexd[r->latest_hash[i] & 15];
	}
	genesis[64] = '\0';
	latest[64] = '\0';
	snprintf(fork, sizeof(fork), "%08x", r->fork_hash);
	/* Unbound parameters are NULL (exec_stmt clears the bindings). */
	sqlite3_bind_blob(s, 1, r->id, sizeof(r->id), SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, r->pub, NODEDB_PUB_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, r->ip, NODEDB_ADDR_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, r->tcp);
	if (r->has_hello) {
		sqlite3_bind_text(s, 5, r->client_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 6, (int64_t)r->p2p_version);
		sqlite3_bind_text(s, 7, r->caps, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 8, (int64_t)r->listen_port);
	}
	if (r->eth_version)
		sqlite3_bind_int64(s, 9, (int64_t)r->eth_version);
	if (r->has_status) {
		sqlite3_bind_int64(s, 10, (int64_t)r->network_id);
		sqlite3_bind_text(s, 11, genesis, 64, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 12, fork, 8, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 13, (int64_t)r->fork_next);
		sqlite3_bind_text(s, 14, r->status_check, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 20, latest, 64, SQLITE_TRANSIENT);
		if (r->has_block_range) {
			sqlite3_bind_int64(s, 21, (int64_t)r->earliest_block);
			sqlite3_bind_int64(s, 22, (int64_t)r->latest_block);
		}
	}
	if (r->disc_reason >= 0) {
		sqlite3_bind_int(s, 15, r->disc_reason);
		sqlite3_bind_int(s, 16, r->disc_remote);
	}
	if (r->error[0])
		sqlite3_bind_text(s, 17, r->error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 18, r->started_ms);
	sqlite3_bind_int64(s, 19, r->finished_ms);
	return exec_stmt(db, s, "put rlpx");
}

ssize_t nodedb_count(struct nodedb *db, const char *table)
{
	sqlite3_stmt *s;
	ssize_t n = -EIO;

	if (strcmp(table, "nodes") && strcmp(table, "crawl") &&
	    strcmp(table, "rlpx"))
		return -EINVAL;
	char sql[64];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(db, "count");
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}
