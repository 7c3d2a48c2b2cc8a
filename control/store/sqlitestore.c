/* SPDX-License-Identifier: MIT */
/* control/store/sqlitestore.c - the crawl database's SQLite backend. */
#include "control/store/sqlitestore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#define MAX_PARAMS 32

struct sqlitestore {
	struct crawldb base;            /* first: the crawldb handed out */
	struct nodedb *ndb;
	sqlite3 *h;
	sqlite3_stmt *st[CS_MAX];
	/* Index of "$N" in st[i] (0: unused), N = 1..MAX_PARAMS. */
	unsigned char idx[CS_MAX][MAX_PARAMS + 1];
};

static struct sqlitestore *of(struct crawldb *db)
{
	return (struct sqlitestore *)db;
}

static int fail(struct sqlitestore *s, const char *what)
{
	snprintf(s->base.err, sizeof(s->base.err), "%s: %s", what,
		 sqlite3_errmsg(s->h));
	return -EIO;
}

static int bind(struct sqlitestore *s, sqlite3_stmt *st, int i,
		const struct crawldb_val *v)
{
	int rc;

	switch (v->type) {
	case CRAWLDB_INT:
		rc = sqlite3_bind_int64(st, i, v->i);
		break;
	case CRAWLDB_TEXT:
		rc = sqlite3_bind_text(st, i, v->p, -1, SQLITE_STATIC);
		break;
	case CRAWLDB_BLOB:
		rc = sqlite3_bind_blob(st, i, v->p, (int)v->len, SQLITE_STATIC);
		break;
	default:
		rc = sqlite3_bind_null(st, i);
	}
	return rc == SQLITE_OK ? 0 : fail(s, "bind");
}

/* Steps st to its end, each row to fn. */
static int run(struct sqlitestore *s, sqlite3_stmt *st, crawldb_row_fn *fn,
	       void *user)
{
	struct crawldb_val cols[MAX_PARAMS];
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int n = sqlite3_column_count(st);

		if (n > MAX_PARAMS)
			n = MAX_PARAMS;
		for (int c = 0; c < n; c++) {
			struct crawldb_val *v = &cols[c];

			memset(v, 0, sizeof(*v));
			switch (sqlite3_column_type(st, c)) {
			case SQLITE_INTEGER:
				v->type = CRAWLDB_INT;
				v->i = sqlite3_column_int64(st, c);
				break;
			case SQLITE_FLOAT:
				v->type = CRAWLDB_INT;
				v->i = (int64_t)sqlite3_column_double(st, c);
				break;
			case SQLITE_TEXT:
				v->type = CRAWLDB_TEXT;
				v->p = sqlite3_column_text(st, c);
				v->len = (size_t)sqlite3_column_bytes(st, c);
				break;
			case SQLITE_BLOB:
				v->type = CRAWLDB_BLOB;
				v->p = sqlite3_column_blob(st, c);
				v->len = (size_t)sqlite3_column_bytes(st, c);
				break;
			default:
				v->type = CRAWLDB_NULL;
			}
		}
		if (fn) {
			int r = fn(user, cols, (size_t)n);

			if (r)
				return r;
		}
	}
	return rc == SQLITE_DONE ? 0 : fail(s, "step");
}

static int s_exec(struct crawldb *db, enum crawlschema_stmt st,
		  const struct crawldb_val *args, size_t n_args,
		  crawldb_row_fn *fn, void *user)
{
	struct sqlitestore *s = of(db);
	sqlite3_stmt *q;
	int rc = 0;

	if ((unsigned)st >= CS_MAX || n_args > MAX_PARAMS)
		return -EINVAL;
	q = s->st[st];
	for (size_t i = 0; i < n_args && !rc; i++)
		if (s->idx[st][i + 1])
			rc = bind(s, q, s->idx[st][i + 1], &args[i]);
	if (!rc)
		rc = run(s, q, fn, user);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc;
}

static int s_query(struct crawldb *db, const char *sql, crawldb_row_fn *fn,
		   void *user)
{
	struct sqlitestore *s = of(db);
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(s->h, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(s, "prepare");
	rc = run(s, q, fn, user);
	sqlite3_finalize(q);
	return rc;
}

static int s_begin(struct crawldb *db)
{
	struct sqlitestore *s = of(db);

	return nodedb_begin(s->ndb) ? fail(s, "begin") : 0;
}

static int s_commit(struct crawldb *db)
{
	struct sqlitestore *s = of(db);

	return nodedb_commit(s->ndb) ? fail(s, "commit") : 0;
}

static void s_rollback(struct crawldb *db)
{
	nodedb_rollback(of(db)->ndb);
}

static void s_close(struct crawldb *db)
{
	struct sqlitestore *s = of(db);

	if (!s)
		return;
	for (int i = 0; i < CS_MAX; i++)
		sqlite3_finalize(s->st[i]);
	nodedb_close(s->ndb);
	free(s);
}

static const struct crawldb_ops ops = {
	.exec = s_exec, .query = s_query, .begin = s_begin,
	.commit = s_commit, .rollback = s_rollback, .close = s_close,
};

int sqlitestore_open(struct crawldb **out, const char *path)
{
	struct sqlitestore *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->base.ops = &ops;
	s->base.dialect = CRAWLSCHEMA_SQLITE;
	rc = nodedb_open(&s->ndb, path);
	if (rc) {
		free(s);
		return rc;
	}
	s->h = nodedb_sqlite(s->ndb);
	for (int i = 0; i < CS_MAX; i++) {
		const char *sql = crawlschema_stmt_sql(CRAWLSCHEMA_SQLITE, i);

		if (sqlite3_prepare_v3(s->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
				       &s->st[i], NULL) != SQLITE_OK) {
			fprintf(stderr, "sqlitestore: statement %d: %s\n", i,
				sqlite3_errmsg(s->h));
			s_close(&s->base);
			return -EIO;
		}
		for (int k = 1; k <= MAX_PARAMS; k++) {
			char name[8];

			snprintf(name, sizeof(name), "$%d", k);
			s->idx[i][k] = (unsigned char)
				sqlite3_bind_parameter_index(s->st[i], name);
		}
	}
	*out = &s->base;
	return 0;
}

struct nodedb *sqlitestore_nodedb(struct crawldb *db)
{
	return db && db->dialect == CRAWLSCHEMA_SQLITE ? of(db)->ndb : NULL;
}
