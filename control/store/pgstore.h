/* SPDX-License-Identifier: MIT */
/* control/store/pgstore.h - the crawl database's PostgreSQL backend (libpq): the store a crawl fleet shares. */
#ifndef CONTROL_PGSTORE_H
#define CONTROL_PGSTORE_H
#include <stdbool.h>

#include "control/store/crawlbackend.h"

/*
 * libpq is blocking: a pgstore is used from the crawl store's writer
 * thread (control/store/crawlstore.h) or from a command, never from the
 * event loop. A lost connection is reset at the next statement (the
 * statements are prepared again on the new session); what failed is
 * retried by the caller.
 */

/* pgstore_is_url() is true for a PostgreSQL connection URI
 * ("postgres://..." or "postgresql://..."). */
bool pgstore_is_url(const char *target);

/* pgstore_open() connects to url (libpq's URI form, e.g.
 * postgresql:///crawl?host=/run/postgresql) and applies the migrations of
 * control/store/crawlschema.h that the database lacks, under an advisory
 * lock so that crawlers starting together migrate once. Returns 0,
 * -ECONNREFUSED (no connection; libpq's message on stderr), -EPROTO (the
 * database's schema is newer than this build's), -EIO, -ENOMEM. */
int pgstore_open(struct crawldb **out, const char *url);

#endif /* CONTROL_PGSTORE_H */
