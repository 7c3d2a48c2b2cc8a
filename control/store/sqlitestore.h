/* SPDX-License-Identifier: MIT */
/* control/store/sqlitestore.h - the crawl database's SQLite backend: the crawl schema's statements on a node database file. */
#ifndef CONTROL_SQLITESTORE_H
#define CONTROL_SQLITESTORE_H

#include "control/store/crawlbackend.h"
#include "control/store/nodedb.h"

/* sqlitestore_open() opens (or creates and migrates) the SQLite file at
 * path with nodedb_open() and prepares the crawl statements. The node
 * tables stay usable through sqlitestore_nodedb(). SQLite has one writer
 * at a time: leases are correct between processes sharing the file
 * (BEGIN IMMEDIATE serialises them) but meant for one crawler. Returns
 * 0, -EPROTO (newer schema), -EIO, -ENOMEM. */
int sqlitestore_open(struct crawldb **out, const char *path);

/* sqlitestore_nodedb() returns the node database under db (a SQLite
 * crawldb), owned by db. */
struct nodedb *sqlitestore_nodedb(struct crawldb *db);

#endif /* CONTROL_SQLITESTORE_H */
