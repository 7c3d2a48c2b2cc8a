/* SPDX-License-Identifier: MIT */
/* control/store/pgstore.c - the crawl database's PostgreSQL backend (libpq, blocking; the writer thread's). */
#include "control/store/pgstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define MAX_PARAMS    32
#define MIGRATE_LOCK  "7308604897068083456"     /* pg_advisory lock key */

/* The type OIDs we send and read (pg_type.dat; stable since 7.x). */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21,
       OID_INT4 = 23, OID_TEXT = 25 };

struct pgstore {
	struct crawldb base;            /* first: the crawldb handed out */
	PGconn *conn;
	bool prepared[CS_MAX];
};

static struct pgstore *of(struct crawldb *db)
{
	return (struct pgstore *)db;
}

static int fail(struct pgstore *s, const char *what, const PGresult *r)
{
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn);

	snprintf(s->base.err, sizeof(s->base.err), "%s: %s", what,
		 msg && *msg ? msg : "failed");
	/* libpq messages end with a newline. */
	s->base.err[strcspn(s->base.err, "\n")] = '\0';
	return -EIO;
}

/* NOTICEs ("relation ... already exists, skipping") are not errors. */
static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* A connection that went away is reset before the next statement; the
 * new session has no prepared statements yet. */
static int ensure(struct pgstore *s)
{
	if (PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	PQreset(s->conn);
	memset(s->prepared, 0, sizeof(s->prepared));
	return PQstatus(s->conn) == CONNECTION_OK ? 0 :
	       fail(s, "reconnect", NULL);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hands each row of r to fn as typed values: integers and booleans as
 * CRAWLDB_INT, bytea (hex output, "\x...") decoded to CRAWLDB_BLOB, the
 * rest as text. */
static int rows(struct pgstore *s, PGresult *r, crawldb_row_fn *fn, void *user)
{
	struct crawldb_val cols[MAX_PARAMS];
	uint8_t *bufs[MAX_PARAMS];
	int nr = PQntuples(r), nc = PQnfields(r), rc = 0;

	(void)s;
	if (!fn)
		return 0;
	if (nc > MAX_PARAMS)
		nc = MAX_PARAMS;
	for (int i = 0; i < nr && !rc; i++) {
		memset(bufs, 0, sizeof(bufs));
		for (int c = 0; c < nc; c++) {
			struct crawldb_val *v = &cols[c];
			const char *t = PQgetvalue(r, i, c);
			size_t len = (size_t)PQgetlength(r, i, c);

			memset(v, 0, sizeof(*v));
			if (PQgetisnull(r, i, c))
				continue;
			switch (PQftype(r, c)) {
			case OID_BOOL:
				v->type = CRAWLDB_INT;
				v->i = t[0] == 't';
				break;
			case OID_INT2:
			case OID_INT4:
			case OID_INT8:
				v->type = CRAWLDB_INT;
				v->i = strtoll(t, NULL, 10);
				break;
			case OID_BYTEA:
				v->type = CRAWLDB_BLOB;
				if (len < 2 || t[0] != '\\' || t[1] != 'x' ||
				    !(bufs[c] = malloc(len / 2 + 1))) {
					rc = -ENOMEM;
					break;
				}
				for (size_t k = 2; k + 1 < len; k += 2)
					bufs[c][(k - 2) / 2] = (uint8_t)
						(hexval(t[k]) << 4 |
						 hexval(t[k + 1]));
				v->p = bufs[c];
				v->len = (len - 2) / 2;
				break;
			default:
				v->type = CRAWLDB_TEXT;
				v->p = t;
				v->len = len;
			}
		}
		if (!rc)
			rc = fn(user, cols, (size_t)nc);
		for (int c = 0; c < nc; c++)
			free(bufs[c]);
	}
	return rc;
}

static int result(struct pgstore *s, PGresult *r, const char *what,
		  crawldb_row_fn *fn, void *user)
{
	int rc;

	switch (PQresultStatus(r)) {
	case PGRES_TUPLES_OK:
		rc = rows(s, r, fn, user);
		break;
	case PGRES_COMMAND_OK:
		rc = 0;
		break;
	default:
		rc = fail(s, what, r);
	}
	PQclear(r);
	return rc;
}

static int p_exec(struct crawldb *db, enum crawlschema_stmt st,
		  const struct crawldb_val *args, size_t n_args,
		  crawldb_row_fn *fn, void *user)
{
	struct pgstore *s = of(db);
	const char *values[MAX_PARAMS];
	int lengths[MAX_PARAMS], formats[MAX_PARAMS];
	char ints[MAX_PARAMS][24], name[16];

	if ((unsigned)st >= CS_MAX || n_args > MAX_PARAMS)
		return -EINVAL;
	if (ensure(s))
		return -EIO;
	snprintf(name, sizeof(name), "cs%d", (int)st);
	if (!s->prepared[st]) {
		unsigned types[MAX_PARAMS];

		/* Explicit types: PostgreSQL then accepts a parameter the
		 * statement does not use (its clock replaces $now). */
		for (size_t i = 0; i < n_args; i++)
			types[i] = args[i].type == CRAWLDB_INT ? OID_INT8 :
				   args[i].type == CRAWLDB_TEXT ? OID_TEXT :
				   args[i].type == CRAWLDB_BLOB ? OID_BYTEA : 0;
		if (result(s, PQprepare(s->conn, name,
					crawlschema_stmt_sql(CRAWLSCHEMA_PG, st),
					(int)n_args, types), "prepare",
			   NULL, NULL))
			return -EIO;
		s->prepared[st] = true;
	}
	for (size_t i = 0; i < n_args; i++) {
		const struct crawldb_val *v = &args[i];

		lengths[i] = 0;
		formats[i] = 0;
		switch (v->type) {
		case CRAWLDB_INT:
			snprintf(ints[i], sizeof(ints[i]), "%lld",
				 (long long)v->i);
			values[i] = ints[i];
			break;
		case CRAWLDB_TEXT:
			values[i] = v->p;
			break;
		case CRAWLDB_BLOB:
			/* Binary: no escaping. A zero-length blob still
			 * needs a non-NULL pointer (NULL means SQL NULL). */
			values[i] = v->len ? v->p : "";
			lengths[i] = (int)v->len;
			formats[i] = 1;
			break;
		default:
			values[i] = NULL;
		}
	}
	return result(s, PQexecPrepared(s->conn, name, (int)n_args, values,
					lengths, formats, 0), name, fn, user);
}

static int p_query(struct crawldb *db, const char *sql, crawldb_row_fn *fn,
		   void *user)
{
	struct pgstore *s = of(db);

	if (ensure(s))
		return -EIO;
	return result(s, PQexec(s->conn, sql), "query", fn, user);
}

static int p_begin(struct crawldb *db)
{
	return p_query(db, "BEGIN", NULL, NULL);
}

static int p_commit(struct crawldb *db)
{
	struct pgstore *s = of(db);
	PGresult *r = PQexec(s->conn, "COMMIT");
	int rc = 0;

	/* COMMIT of a transaction an error aborted reports success with
	 * the tag ROLLBACK. */
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = fail(s, "commit", r);
	else if (!strcmp(PQcmdStatus(r), "ROLLBACK"))
		rc = fail(s, "commit (rolled back)", NULL);
	PQclear(r);
	return rc;
}

static void p_rollback(struct crawldb *db)
{
	struct pgstore *s = of(db);

	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		PQclear(PQexec(s->conn, "ROLLBACK"));
}

static void p_close(struct crawldb *db)
{
	struct pgstore *s = of(db);

	if (!s)
		return;
	PQfinish(s->conn);
	free(s);
}

static const struct crawldb_ops ops = {
	.exec = p_exec, .query = p_query, .begin = p_begin,
	.commit = p_commit, .rollback = p_rollback, .close = p_close,
};

bool pgstore_is_url(const char *target)
{
	return target && (!strncmp(target, "postgres://", 11) ||
			  !strncmp(target, "postgresql://", 13));
}

static int version_row(void *user, const struct crawldb_val *cols, size_t n)
{
	if (n >= 1 && cols[0].type == CRAWLDB_INT)
		*(int *)user = (int)cols[0].i;
	return 0;
}

/* Applies the missing migrations in one transaction, under a transaction
 * advisory lock: a second crawler starting at the same moment waits and
 * then finds them applied. */
static int migrate(struct pgstore *s)
{
	const struct crawlschema_migration *m;
	struct crawldb *db = &s->base;
	int version = 0, rc;
	size_t n;

	rc = p_query(db, "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ");"
		     " CREATE TABLE IF NOT EXISTS schema_version ("
		     " version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL,"
		     " what TEXT NOT NULL)", NULL, NULL);
	if (!rc)
		rc = p_query(db, "SELECT coalesce(max(version), 0)::bigint"
			     " FROM schema_version", version_row, &version);
	if (rc)
		goto out_rollback;
	if (version > CRAWLSCHEMA_VERSION) {
		fprintf(stderr, "pgstore: the database has schema %d, newer "
			"than %d\n", version, CRAWLSCHEMA_VERSION);
		p_rollback(db);
		return -EPROTO;
	}
	m = crawlschema_migrations(&n);
	for (size_t i = 0; i < n; i++) {
		char *sql;
		int len;

		if (m[i].version <= version)
			continue;
		if (m[i].sql[CRAWLSCHEMA_PG][0] &&
		    (rc = p_query(db, m[i].sql[CRAWLSCHEMA_PG], NULL, NULL)))
			goto out_rollback;
		len = snprintf(NULL, 0, "INSERT INTO schema_version VALUES(%d,"
			       " (extract(epoch from now()) * 1000)::bigint,"
			       " '%s')", m[i].version, m[i].what);
		sql = malloc((size_t)len + 1);
		if (!sql) {
			rc = -ENOMEM;
			goto out_rollback;
		}
		snprintf(sql, (size_t)len + 1, "INSERT INTO schema_version"
			 " VALUES(%d, (extract(epoch from now()) * 1000)::bigint,"
			 " '%s')", m[i].version, m[i].what);
		rc = p_query(db, sql, NULL, NULL);
		free(sql);
		if (rc)
			goto out_rollback;
	}
	return p_commit(db);
out_rollback:
	fprintf(stderr, "pgstore: migration: %s\n", db->err);
	p_rollback(db);
	return rc;
}

int pgstore_open(struct crawldb **out, const char *url)
{
	struct pgstore *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->base.ops = &ops;
	s->base.dialect = CRAWLSCHEMA_PG;
	s->conn = PQconnectdb(url);
	if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
		fprintf(stderr, "pgstore: %s", s->conn ?
			PQerrorMessage(s->conn) : "out of memory\n");
		p_close(&s->base);
		return -ECONNREFUSED;
	}
	PQsetNoticeProcessor(s->conn, quiet, NULL);
	rc = migrate(s);
	if (rc) {
		p_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}
