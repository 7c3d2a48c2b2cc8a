/* SPDX-License-Identifier: MIT */
/* control/store/crawlschema.c - the crawl database's migrations and statements in both dialects (the schema is described in crawlschema.h). */
#include "control/store/crawlschema.h"

/* PostgreSQL decides lease times by its own clock, so that crawlers on
 * machines whose clocks disagree share one notion of "expired". SQLite is
 * one machine's file: the caller's clock ($4) is the clock. */
#define PG_NOW "(extract(epoch from clock_timestamp()) * 1000)::bigint"

/* Version 1: the node database before the crawl schema (nodedb.c of that
 * time, verbatim), so that a fresh file goes through the same migration
 * as an old one. */
static const char v1_sqlite[] =
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
	"CREATE TABLE IF NOT EXISTS rlpx ("
	" id BLOB PRIMARY KEY, pub BLOB NOT NULL, ip BLOB, tcp INTEGER,"
	" client_id TEXT, p2p_version INTEGER, caps TEXT, listen_port INTEGER,"
	" eth_version INTEGER, network_id INTEGER, genesis TEXT,"
	" fork_hash TEXT, fork_next INTEGER, status_check TEXT,"
	" disc_reason INTEGER, disc_remote INTEGER, error TEXT,"
	" started_ms INTEGER, finished_ms INTEGER);";

/* Version 2, the crawl schema. The same columns in both dialects; only
 * the types and the neighbors table's shape differ. */
#define CRAWL_TABLES(ID, INT, BIG, BLOB, NEIGHBORS)                          \
	"CREATE TABLE crawls ("                                             \
	" id " ID ", name TEXT UNIQUE, started_at " BIG " NOT NULL,"        \
	" ended_at " BIG ", host TEXT, pid " INT ", node_id " BLOB ","      \
	" config TEXT, nodes_seen " BIG " NOT NULL DEFAULT 0,"              \
	" visited " BIG " NOT NULL DEFAULT 0,"                              \
	" answered " BIG " NOT NULL DEFAULT 0,"                             \
	" enr_verified " BIG " NOT NULL DEFAULT 0,"                         \
	" rlpx_status " BIG " NOT NULL DEFAULT 0);"                         \
	"CREATE TABLE crawlers ("                                           \
	" id " ID ", crawl_id " BIG " NOT NULL REFERENCES crawls(id),"      \
	" host TEXT, pid " INT ", node_id " BLOB ","                        \
	" started_at " BIG " NOT NULL, ended_at " BIG ","                   \
	" leased " BIG " NOT NULL DEFAULT 0,"                               \
	" visits " BIG " NOT NULL DEFAULT 0,"                               \
	" leases_lost " BIG " NOT NULL DEFAULT 0);"                         \
	"CREATE INDEX crawlers_crawl ON crawlers(crawl_id);"                \
	"CREATE TABLE crawl_nodes ("                                        \
	" id " BLOB " PRIMARY KEY, pubkey " BLOB ", record TEXT,"           \
	" seq " BIG ", score " INT " NOT NULL DEFAULT 0,"                   \
	" first_seen " BIG ", last_seen " BIG ","                           \
	" first_response " BIG ", last_response " BIG ","                   \
	" last_check " BIG ", ip " BLOB ", udp " INT ", tcp " INT ");"      \
	"CREATE TABLE crawl_queue ("                                        \
	" crawl_id " BIG " NOT NULL, node_id " BLOB " NOT NULL,"            \
	" pubkey " BLOB " NOT NULL, ip " BLOB " NOT NULL,"                  \
	" udp " INT " NOT NULL, tcp " INT " NOT NULL,"                      \
	" state " INT " NOT NULL DEFAULT 0, lease_owner " BIG ","           \
	" lease_until " BIG ", attempts " INT " NOT NULL DEFAULT 0,"        \
	" added_by " BIG ", added_at " BIG " NOT NULL, done_at " BIG ","    \
	" PRIMARY KEY (crawl_id, node_id));"                                \
	"CREATE INDEX crawl_queue_pending ON crawl_queue(crawl_id, added_at)" \
	" WHERE state = 0;"                                                 \
	"CREATE INDEX crawl_queue_leased ON crawl_queue(crawl_id, lease_until)" \
	" WHERE state = 1;"                                                 \
	"CREATE TABLE visits ("                                             \
	" crawl_id " BIG " NOT NULL, node_id " BLOB " NOT NULL,"            \
	" crawler_id " BIG ", started_at " BIG ", finished_at " BIG ","     \
	" answered " INT ", replied " INT ", enr_verified " INT ","         \
	" enr_seq " BIG ", enr_keys TEXT, disc_error TEXT,"                 \
	" neighbors " INT ", rlpx_tcp " INT ", client_id TEXT,"             \
	" client_name TEXT, client_version TEXT, p2p_version " BIG ","      \
	" caps TEXT, listen_port " BIG ", eth_version " INT ","             \
	" network_id " BIG ", genesis TEXT, fork_hash TEXT,"                \
	" fork_next " BIG ", block_earliest " BIG ", block_latest " BIG "," \
	" block_latest_hash TEXT, status_check TEXT,"                       \
	" disc_reason " INT ", disc_remote " INT ", rlpx_error TEXT,"       \
	" rlpx_started_at " BIG ", rlpx_finished_at " BIG ","               \
	" PRIMARY KEY (crawl_id, node_id));"                                \
	"CREATE INDEX visits_crawler ON visits(crawler_id);"                \
	NEIGHBORS

static const char v2_sqlite[] =
	CRAWL_TABLES("INTEGER PRIMARY KEY", "INTEGER", "INTEGER", "BLOB",
		     "CREATE TABLE neighbors (crawl_id INTEGER NOT NULL,"
		     " node_id BLOB NOT NULL, neighbor_id BLOB NOT NULL,"
		     " PRIMARY KEY (crawl_id, node_id, neighbor_id))"
		     " WITHOUT ROWID;")
	/* Schema 1's crawl rows (Unix seconds, Go's zero time as INT64_MIN)
	 * become crawl_nodes rows (milliseconds, NULL). */
	"INSERT INTO crawl_nodes(id, record, seq, score, first_response,"
	" last_response, last_check, ip, udp, tcp)"
	" SELECT id, record, seq, coalesce(score, 0),"
	" CASE WHEN first_response < 0 THEN NULL ELSE first_response * 1000 END,"
	" CASE WHEN last_response < 0 THEN NULL ELSE last_response * 1000 END,"
	" CASE WHEN last_check < 0 THEN NULL ELSE last_check * 1000 END,"
	" ip, udp, tcp FROM crawl;"
	/* Schema 1's rlpx rows (one per node, no crawl) become the RLPx part
	 * of the visits of one imported crawl. */
	"INSERT INTO crawls(name, started_at, ended_at, config)"
	" SELECT 'schema 1 import', min(started_ms), max(finished_ms),"
	" 'the rows of the schema 1 table rlpx' FROM rlpx HAVING count(*) > 0;"
	"INSERT INTO visits(crawl_id, node_id, rlpx_tcp, client_id,"
	" client_name, p2p_version, caps, listen_port, eth_version, network_id,"
	" genesis, fork_hash, fork_next, status_check, disc_reason,"
	" disc_remote, rlpx_error, rlpx_started_at, rlpx_finished_at)"
	" SELECT (SELECT id FROM crawls WHERE name = 'schema 1 import'), id,"
	" tcp, client_id, CASE WHEN instr(client_id, '/') > 0 THEN"
	" substr(client_id, 1, instr(client_id, '/') - 1) ELSE client_id END,"
	" p2p_version, caps, listen_port, eth_version, network_id, genesis,"
	" fork_hash, fork_next, status_check, disc_reason, disc_remote, error,"
	" started_ms, finished_ms FROM rlpx;"
	"DROP TABLE crawl;"
	"DROP TABLE rlpx;";

static const char v2_pg[] =
	CRAWL_TABLES("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
		     "INTEGER", "BIGINT", "BYTEA",
		     "CREATE TABLE neighbors (crawl_id BIGINT NOT NULL,"
		     " node_id BYTEA NOT NULL, neighbor_ids BYTEA[] NOT NULL,"
		     " PRIMARY KEY (crawl_id, node_id));");

static const struct crawlschema_migration migrations[] = {
	{ 1, "node database: nodes, kv, crawl, rlpx", { v1_sqlite, "" } },
	{ 2, "crawl schema: crawls, crawlers, crawl_nodes, crawl_queue, "
	     "visits, neighbors", { v2_sqlite, v2_pg } },
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
	       CRAWLSCHEMA_VERSION, "one migration per version");

const struct crawlschema_migration *crawlschema_migrations(size_t *n)
{
	*n = sizeof(migrations) / sizeof(migrations[0]);
	return migrations;
}

/* crawl_nodes: one row per node, written by every crawler that learns the
 * node. The merge keeps the best of both: the record with the higher seq
 * (an "enr:" record over an enode URL at the same seq), the score of the
 * latest check (a crawler that only heard of the node has none, so never
 * overrides the one that visited it), the earliest first_* and latest
 * last_* times, and the endpoint last seen. */
#define NODE_PUT_HEAD                                                        \
	"INSERT INTO crawl_nodes(id, pubkey, record, seq, score, first_seen," \
	" last_seen, first_response, last_response, last_check, ip, udp, tcp)" \
	" VALUES($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12)"      \
	" ON CONFLICT(id) DO UPDATE SET"                                       \
	" record = CASE WHEN crawl_nodes.record IS NULL"                       \
	"  OR excluded.seq > crawl_nodes.seq OR (excluded.seq = crawl_nodes.seq" \
	"  AND excluded.record LIKE 'enr:%') THEN excluded.record"            \
	"  ELSE crawl_nodes.record END,"                                       \
	" score = CASE WHEN coalesce(excluded.last_check, 0) >="              \
	"  coalesce(crawl_nodes.last_check, 0) THEN excluded.score"           \
	"  ELSE crawl_nodes.score END,"                                        \
	" pubkey = coalesce(excluded.pubkey, crawl_nodes.pubkey),"            \
	" ip = excluded.ip, udp = excluded.udp, tcp = excluded.tcp,"

/* SQLite's scalar min()/max() return NULL when an argument is NULL. */
#define SQ_MIN(c) " " c " = min(coalesce(crawl_nodes." c ", excluded." c "), " \
	"coalesce(excluded." c ", crawl_nodes." c "))"
#define SQ_MAX(c) " " c " = max(coalesce(crawl_nodes." c ", excluded." c "), " \
	"coalesce(excluded." c ", crawl_nodes." c "))"
/* PostgreSQL's LEAST/GREATEST ignore NULLs. */
#define PG_MIN(c) " " c " = LEAST(crawl_nodes." c ", excluded." c ")"
#define PG_MAX(c) " " c " = GREATEST(crawl_nodes." c ", excluded." c ")"

#define VISIT_DISC                                                           \
	"INSERT INTO visits(crawl_id, node_id, crawler_id, started_at,"       \
	" finished_at, answered, replied, enr_verified, enr_seq, enr_keys,"   \
	" disc_error, neighbors)"                                             \
	" VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"          \
	" ON CONFLICT(crawl_id, node_id) DO UPDATE SET"                        \
	" crawler_id = excluded.crawler_id, started_at = excluded.started_at," \
	" finished_at = excluded.finished_at, answered = excluded.answered,"  \
	" replied = excluded.replied, enr_verified = excluded.enr_verified,"  \
	" enr_seq = excluded.enr_seq, enr_keys = excluded.enr_keys,"          \
	" disc_error = excluded.disc_error, neighbors = excluded.neighbors"

#define VISIT_RLPX                                                           \
	"INSERT INTO visits(crawl_id, node_id, crawler_id, rlpx_tcp,"         \
	" client_id, client_name, client_version, p2p_version, caps,"        \
	" listen_port, eth_version, network_id, genesis, fork_hash,"         \
	" fork_next, block_earliest, block_latest, block_latest_hash,"       \
	" status_check, disc_reason, disc_remote, rlpx_error,"               \
	" rlpx_started_at, rlpx_finished_at)"                                 \
	" VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"     \
	" $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"             \
	" ON CONFLICT(crawl_id, node_id) DO UPDATE SET"                        \
	" crawler_id = coalesce(visits.crawler_id, excluded.crawler_id),"     \
	" rlpx_tcp = excluded.rlpx_tcp, client_id = excluded.client_id,"      \
	" client_name = excluded.client_name,"                                \
	" client_version = excluded.client_version,"                          \
	" p2p_version = excluded.p2p_version, caps = excluded.caps,"          \
	" listen_port = excluded.listen_port,"                                \
	" eth_version = excluded.eth_version,"                                \
	" network_id = excluded.network_id, genesis = excluded.genesis,"      \
	" fork_hash = excluded.fork_hash, fork_next = excluded.fork_next,"    \
	" block_earliest = excluded.block_earliest,"                          \
	" block_latest = excluded.block_latest,"                              \
	" block_latest_hash = excluded.block_latest_hash,"                    \
	" status_check = excluded.status_check,"                              \
	" disc_reason = excluded.disc_reason,"                                \
	" disc_remote = excluded.disc_remote,"                                \
	" rlpx_error = excluded.rlpx_error,"                                  \
	" rlpx_started_at = excluded.rlpx_started_at,"                        \
	" rlpx_finished_at = excluded.rlpx_finished_at"

/* [st][dialect]; NULL for PostgreSQL: the SQLite text serves both. */
static const char *const stmts[CS_MAX][2] = {
	[CS_CRAWL_NEW] = {
		"INSERT INTO crawls(name, started_at, host, pid, node_id, config)"
		" VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT(name) DO NOTHING"
		" RETURNING id", NULL },
	[CS_CRAWL_FIND] = { "SELECT id FROM crawls WHERE name = $1", NULL },
	[CS_CRAWL_LATEST] = {
		"SELECT id FROM crawls ORDER BY started_at DESC, id DESC"
		" LIMIT 1", NULL },
	[CS_CRAWLER_NEW] = {
		"INSERT INTO crawlers(crawl_id, host, pid, node_id, started_at)"
		" VALUES($1, $2, $3, $4, $5) RETURNING id", NULL },
	[CS_NODE_PUT] = {
		NODE_PUT_HEAD " seq = max(coalesce(crawl_nodes.seq, 0),"
		" excluded.seq)," SQ_MIN("first_seen") "," SQ_MAX("last_seen")
		"," SQ_MIN("first_response") "," SQ_MAX("last_response") ","
		SQ_MAX("last_check"),
		NODE_PUT_HEAD " seq = GREATEST(crawl_nodes.seq, excluded.seq),"
		PG_MIN("first_seen") "," PG_MAX("last_seen") ","
		PG_MIN("first_response") "," PG_MAX("last_response") ","
		PG_MAX("last_check") },
	[CS_QUEUE_ADD] = {
		"INSERT INTO crawl_queue(crawl_id, node_id, pubkey, ip, udp, tcp,"
		" added_by, added_at) VALUES($1, $2, $3, $4, $5, $6, $7, $8)"
		" ON CONFLICT(crawl_id, node_id) DO NOTHING", NULL },
	/* Pending nodes in the order they were learnt (the partial index
	 * crawl_queue_pending); expired leases were put back by
	 * CS_QUEUE_RECLAIM just before. PostgreSQL skips the rows another
	 * crawler is leasing at this moment instead of waiting for them. */
	[CS_QUEUE_LEASE] = {
		"UPDATE crawl_queue SET state = 1, lease_owner = $2,"
		" lease_until = $4 + $3, attempts = attempts + 1"
		" WHERE crawl_id = $1 AND node_id IN (SELECT node_id FROM"
		" crawl_queue WHERE crawl_id = $1 AND state = 0"
		" ORDER BY added_at LIMIT $5)"
		" RETURNING node_id, pubkey, ip, udp, tcp",
		/* MATERIALIZED: a subquery in FROM may be scanned again by
		 * the join, and each scan with SKIP LOCKED and LIMIT picks
		 * other rows: more than $5 rows leased, found in testing. */
		"WITH p AS MATERIALIZED (SELECT node_id FROM crawl_queue"
		" WHERE crawl_id = $1 AND state = 0 ORDER BY added_at LIMIT $5"
		" FOR UPDATE SKIP LOCKED)"
		" UPDATE crawl_queue q SET state = 1, lease_owner = $2,"
		" lease_until = " PG_NOW " + $3, attempts = q.attempts + 1"
		" FROM p WHERE q.crawl_id = $1 AND q.node_id = p.node_id"
		" RETURNING q.node_id, q.pubkey, q.ip, q.udp, q.tcp" },
	[CS_QUEUE_RECLAIM] = {
		"UPDATE crawl_queue SET state = 0, lease_owner = NULL,"
		" lease_until = NULL WHERE crawl_id = $1 AND state = 1"
		" AND lease_until < $2",
		"WITH p AS MATERIALIZED (SELECT node_id FROM crawl_queue"
		" WHERE crawl_id = $1 AND state = 1 AND lease_until < " PG_NOW
		" FOR UPDATE SKIP LOCKED)"
		" UPDATE crawl_queue q SET state = 0, lease_owner = NULL,"
		" lease_until = NULL FROM p"
		" WHERE q.crawl_id = $1 AND q.node_id = p.node_id" },
	/* Only while the lease is ours: a lease that expired and went to
	 * another crawler is theirs to finish. */
	[CS_QUEUE_FINISH] = {
		"UPDATE crawl_queue SET state = 2, done_at = $4,"
		" lease_until = NULL WHERE crawl_id = $1 AND node_id = $3"
		" AND state = 1 AND lease_owner = $2 RETURNING node_id", NULL },
	[CS_QUEUE_DONE] = {
		"UPDATE crawl_queue SET state = 2, done_at = $4,"
		" lease_owner = $2, attempts = attempts + 1"
		" WHERE crawl_id = $1 AND node_id = $3", NULL },
	[CS_QUEUE_POOL] = {
		"SELECT EXISTS(SELECT 1 FROM crawl_queue WHERE crawl_id = $1"
		" AND (state = 0 OR (state = 1 AND lease_until < $2))),"
		" EXISTS(SELECT 1 FROM crawl_queue WHERE crawl_id = $1"
		" AND state = 1 AND lease_until >= $2)",
		"SELECT EXISTS(SELECT 1 FROM crawl_queue WHERE crawl_id = $1"
		" AND (state = 0 OR (state = 1 AND lease_until < " PG_NOW "))),"
		" EXISTS(SELECT 1 FROM crawl_queue WHERE crawl_id = $1"
		" AND state = 1 AND lease_until >= " PG_NOW ")" },
	[CS_QUEUE_RENEW] = {
		"UPDATE crawl_queue SET lease_until = $4 + $3 WHERE"
		" crawl_id = $1 AND state = 1 AND lease_owner = $2",
		"UPDATE crawl_queue SET lease_until = " PG_NOW " + $3 WHERE"
		" crawl_id = $1 AND state = 1 AND lease_owner = $2" },
	[CS_QUEUE_RELEASE] = {
		"UPDATE crawl_queue SET state = 0, lease_owner = NULL,"
		" lease_until = NULL WHERE crawl_id = $1 AND state = 1"
		" AND lease_owner = $2", NULL },
	[CS_VISIT_DISC] = { VISIT_DISC, NULL },
	[CS_VISIT_RLPX] = { VISIT_RLPX, NULL },
	/* A Pong after the visit was committed: still this crawler's. */
	[CS_VISIT_ANSWERED] = {
		"UPDATE visits SET answered = 1 WHERE crawl_id = $1 AND"
		" node_id = $2 AND crawler_id = $3", NULL },
	[CS_NEIGHBORS] = {
		"INSERT INTO neighbors(crawl_id, node_id, neighbor_id)"
		" VALUES($1, $2, $3) ON CONFLICT DO NOTHING",
		/* $3: the ids back to back, 32 bytes each; the array is the
		 * union of what the node returned in the crawl. */
		"INSERT INTO neighbors AS nb (crawl_id, node_id, neighbor_ids)"
		" SELECT $1, $2, ARRAY(SELECT DISTINCT substring($3::bytea FROM"
		" 32 * i + 1 FOR 32) FROM generate_series(0,"
		" length($3::bytea) / 32 - 1) AS i)"
		" ON CONFLICT (crawl_id, node_id) DO UPDATE SET neighbor_ids ="
		" ARRAY(SELECT DISTINCT x FROM unnest(nb.neighbor_ids ||"
		" excluded.neighbor_ids) AS x)" },
	[CS_CRAWLER_END] = {
		"UPDATE crawlers SET ended_at = $2, leased = $3, visits = $4,"
		" leases_lost = $5 WHERE id = $1", NULL },
	[CS_CRAWL_COUNTS] = {
		"UPDATE crawls SET"
		" nodes_seen = (SELECT count(*) FROM crawl_queue"
		"  WHERE crawl_id = $1),"
		" visited = (SELECT count(*) FROM visits WHERE crawl_id = $1"
		"  AND started_at IS NOT NULL),"
		" answered = (SELECT count(*) FROM visits WHERE crawl_id = $1"
		"  AND answered = 1),"
		" enr_verified = (SELECT count(*) FROM visits WHERE"
		"  crawl_id = $1 AND enr_verified = 1),"
		" rlpx_status = (SELECT count(*) FROM visits WHERE"
		"  crawl_id = $1 AND eth_version IS NOT NULL)"
		" WHERE id = $1", NULL },
	/* A shared round ends when nothing is pending or leased; a crawl of
	 * its own ($3 = 1) when its crawler ends. */
	[CS_CRAWL_END] = {
		"UPDATE crawls SET ended_at = $2 WHERE id = $1 AND ended_at IS"
		" NULL AND ($3 = 1 OR NOT EXISTS(SELECT 1 FROM crawl_queue"
		" WHERE crawl_id = $1 AND state < 2))", NULL },
};

const char *crawlschema_stmt_sql(enum crawlschema_dialect d,
				 enum crawlschema_stmt st)
{
	if ((unsigned)st >= CS_MAX)
		return NULL;
	if (d == CRAWLSCHEMA_PG && stmts[st][1])
		return stmts[st][1];
	return stmts[st][0];
}
