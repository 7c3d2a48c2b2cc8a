/* SPDX-License-Identifier: MIT */
/* control/store/crawlbackend.h - what a crawl database backend implements (SQLite: sqlitestore, PostgreSQL: pgstore); control/store/crawldb.h builds the crawl's operations on it. */
#ifndef CONTROL_CRAWLBACKEND_H
#define CONTROL_CRAWLBACKEND_H
#include <stddef.h>
#include <stdint.h>

#include "control/store/crawlschema.h"

/*
 * A backend runs the statements of control/store/crawlschema.h, prepared
 * once per connection, with typed parameters, and hands result rows to a
 * callback as typed values. Header only: the backends fill struct
 * crawldb's ops; crawldb.c calls them. A backend object is used by one
 * thread at a time (the crawl store's writer, or a command).
 */

enum crawldb_type { CRAWLDB_NULL = 0, CRAWLDB_INT, CRAWLDB_TEXT, CRAWLDB_BLOB };

/* A parameter or a result column. Text is NUL-terminated; p points into
 * the caller's memory (a parameter) or the backend's (a column, valid
 * during the row callback only). */
struct crawldb_val {
	enum crawldb_type type;
	int64_t i;
	const void *p;
	size_t len;
};

/* One result row; returns 0 to go on or -errno to stop (returned by the
 * call that ran the statement). */
typedef int crawldb_row_fn(void *user, const struct crawldb_val *cols,
			   size_t n);

struct crawldb;

struct crawldb_ops {
	/* Runs statement st with args[0..n_args) as $1..$n; each row to fn
	 * (may be NULL). Returns 0, what fn returned, or -EIO (the
	 * backend's message in db->err). */
	int (*exec)(struct crawldb *db, enum crawlschema_stmt st,
		    const struct crawldb_val *args, size_t n_args,
		    crawldb_row_fn *fn, void *user);
	/* Runs one SQL text without parameters (reports, tests). */
	int (*query)(struct crawldb *db, const char *sql, crawldb_row_fn *fn,
		     void *user);
	int (*begin)(struct crawldb *db);
	int (*commit)(struct crawldb *db);
	void (*rollback)(struct crawldb *db);
	void (*close)(struct crawldb *db);
};

/* The head of every backend's object. */
struct crawldb {
	const struct crawldb_ops *ops;
	enum crawlschema_dialect dialect;
	char err[256];                  /* the last backend error */
};

#endif /* CONTROL_CRAWLBACKEND_H */
