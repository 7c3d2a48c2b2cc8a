/* SPDX-License-Identifier: MIT */
/* control/store/crawlschema.h - the crawl database's logical schema: versioned migrations and statements, in SQLite's and PostgreSQL's dialects side by side. */
#ifndef CONTROL_CRAWLSCHEMA_H
#define CONTROL_CRAWLSCHEMA_H
#include <stddef.h>

/*
 * One logical schema, two dialects. SQLite (the embedded default: one file
 * that also holds the node database's "nodes" and "kv" tables of
 * control/store/nodedb.h) and PostgreSQL (a crawl fleet sharing one
 * database) get the same tables with the same columns; they differ only
 * in types (BLOB/BYTEA, INTEGER/BIGINT), in how a row id is generated,
 * and in the neighbors table (a child row per neighbour in SQLite, one
 * BYTEA[] per node in PostgreSQL, nebula's shape). Every time is Unix
 * milliseconds; unsigned 64-bit values (seq, network id, fork next, block
 * numbers) are stored bit for bit as signed 64-bit integers.
 *
 *   crawls       one row per crawl (a fleet's shared round included): name
 *                (unique; NULL for a crawl of its own), started/ended,
 *                the creator's identity (host, pid, node id), config text,
 *                counts (updated as crawlers end)
 *   crawlers     one row per crawler process of a crawl: identity, start
 *                and end, leases taken, visits committed, leases lost
 *   crawl_nodes  one row per node id: latest record and seq, score,
 *                first/last seen, first/last response, last check, ip
 *                (16 bytes, IPv4-mapped) and ports
 *   crawl_queue  the work queue of a crawl: one row per node learnt in it;
 *                state 0 pending, 1 leased (lease_owner = crawlers.id
 *                until lease_until), 2 done; attempts = leases taken
 *   visits       one row per (crawl, node): the discovery outcome (answered,
 *                ENR verified and its keys, failure class, neighbours) and
 *                the RLPx outcome (Hello, Status with fork id and eth/69
 *                block range, Disconnect, error class), with timings
 *   neighbors    who returned whom in a crawl, for graph analysis
 *   schema_version  the migrations applied (version, applied_at, what)
 *
 * Migrations are applied in order at open, each in one transaction with
 * its schema_version row (control/store/nodedb.c for SQLite, pgstore.c for
 * PostgreSQL). Version 1 is the node database as it was before the crawl
 * schema (nodes, kv and the old crawl and rlpx tables; SQLite only, its
 * PRAGMA user_version 1 files have no schema_version table); version 2
 * creates the crawl schema and moves the old crawl rows into crawl_nodes
 * and the old rlpx rows into visits of one imported crawl, then drops the
 * old tables. SQLite files also carry the version in PRAGMA user_version,
 * which older devplane builds check and refuse when it is newer.
 */

#define CRAWLSCHEMA_VERSION 2

enum crawlschema_dialect { CRAWLSCHEMA_SQLITE = 0, CRAWLSCHEMA_PG };

struct crawlschema_migration {
	int version;
	const char *what;               /* one line for schema_version */
	const char *sql[2];             /* by dialect; "" : nothing to do */
};

/* crawlschema_migrations() returns the migrations, versions 1..
 * CRAWLSCHEMA_VERSION in order; *n is set. */
const struct crawlschema_migration *crawlschema_migrations(size_t *n);

/* The statements the crawl store runs (control/store/crawldb.c). Their
 * parameters are $1, $2, ... in both dialects (SQLite binds "$N" by
 * name). */
enum crawlschema_stmt {
	CS_CRAWL_NEW,           /* name, now, host, pid, node id, config -> id */
	CS_CRAWL_FIND,          /* name -> id */
	CS_CRAWL_LATEST,        /* -> id of the latest crawl */
	CS_CRAWLER_NEW,         /* crawl, host, pid, node id, now -> id */
	CS_NODE_PUT,            /* crawl_nodes upsert, merging (see .c) */
	CS_QUEUE_ADD,           /* crawl, node, pub, ip, udp, tcp, by, now */
	CS_QUEUE_LEASE,         /* crawl, crawler, lease ms, now, max -> rows */
	CS_QUEUE_RECLAIM,       /* crawl, now: expired leases back to pending */
	CS_QUEUE_FINISH,        /* crawl, crawler, node, now -> node if ours */
	CS_QUEUE_DONE,          /* crawl, crawler, node, now (no lease) */
	CS_QUEUE_POOL,          /* crawl, now -> any pending, any leased */
	CS_QUEUE_RENEW,         /* crawl, crawler, lease ms, now */
	CS_QUEUE_RELEASE,       /* crawl, crawler */
	CS_VISIT_DISC,          /* the discovery part of a visit */
	CS_VISIT_RLPX,          /* the RLPx part of a visit */
	CS_VISIT_ANSWERED,      /* crawl, node, crawler: answered late */
	CS_NEIGHBORS,           /* crawl, node, ids (SQLite: one; PG: n x 32) */
	CS_CRAWLER_END,         /* crawler, now, leased, visits, lost */
	CS_CRAWL_COUNTS,        /* crawl */
	CS_CRAWL_END,           /* crawl, now, force */
	CS_MAX
};

/* crawlschema_stmt_sql() returns statement st's text in dialect d. */
const char *crawlschema_stmt_sql(enum crawlschema_dialect d,
				 enum crawlschema_stmt st);

#endif /* CONTROL_CRAWLSCHEMA_H */
