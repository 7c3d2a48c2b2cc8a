/* SPDX-License-Identifier: MIT */
/* control/store/crawldb.c - the crawl database's operations, the same for both backends (the dialects differ in crawlschema.c's texts only). */
#include "control/store/crawldb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/store/pgstore.h"
#include "control/store/sqlitestore.h"

static struct crawldb_val v_int(int64_t i)
{
	return (struct crawldb_val){ .type = CRAWLDB_INT, .i = i };
}

/* A time, or NULL for CRAWLDB_NO_TIME. */
static struct crawldb_val v_time(int64_t t)
{
	return t == CRAWLDB_NO_TIME ? (struct crawldb_val){ 0 } : v_int(t);
}

/* Text, or NULL for NULL or "". */
static struct crawldb_val v_text(const char *s)
{
	if (!s || !*s)
		return (struct crawldb_val){ 0 };
	return (struct crawldb_val){ .type = CRAWLDB_TEXT, .p = s,
				     .len = strlen(s) };
}

static struct crawldb_val v_blob(const void *p, size_t len)
{
	if (!p)
		return (struct crawldb_val){ 0 };
	return (struct crawldb_val){ .type = CRAWLDB_BLOB, .p = p, .len = len };
}

static const struct crawldb_val v_null;

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int exec(struct crawldb *db, enum crawlschema_stmt st,
		const struct crawldb_val *args, size_t n, crawldb_row_fn *fn,
		void *user)
{
	return db->ops->exec(db, st, args, n, fn, user);
}

int crawldb_open(struct crawldb **out, const char *target)
{
	*out = NULL;
	if (!target || !*target)
		return -EINVAL;
	if (pgstore_is_url(target))
		return pgstore_open(out, target);
	return sqlitestore_open(out, target);
}

void crawldb_close(struct crawldb *db)
{
	if (db)
		db->ops->close(db);
}

const char *crawldb_error(const struct crawldb *db)
{
	return db->err;
}

int crawldb_begin(struct crawldb *db)
{
	return db->ops->begin(db);
}

int crawldb_commit(struct crawldb *db)
{
	return db->ops->commit(db);
}

void crawldb_rollback(struct crawldb *db)
{
	db->ops->rollback(db);
}

int crawldb_query(struct crawldb *db, const char *sql, crawldb_row_fn *fn,
		  void *user)
{
	return db->ops->query(db, sql, fn, user);
}

/* A row whose first column is an id: into *(int64_t *)user. */
static int id_row(void *user, const struct crawldb_val *c, size_t n)
{
	if (n < 1 || c[0].type != CRAWLDB_INT)
		return -EBADMSG;
	*(int64_t *)user = c[0].i;
	return 0;
}

int crawldb_find(struct crawldb *db, const char *name, int64_t *crawl_id)
{
	struct crawldb_val a[] = { v_text(name) };
	int64_t id = -1;
	int rc;

	if (name)
		rc = exec(db, CS_CRAWL_FIND, a, N(a), id_row, &id);
	else
		rc = exec(db, CS_CRAWL_LATEST, NULL, 0, id_row, &id);
	if (rc)
		return rc < 0 ? rc : -EIO;
	if (id < 0)
		return -ENOENT;
	*crawl_id = id;
	return 0;
}

int crawldb_join(struct crawldb *db, struct crawldb_round *out,
		 const char *name, const struct crawldb_me *me,
		 int64_t now_ms)
{
	struct crawldb_val a[] = {
		v_text(name), v_int(now_ms), v_text(me->host), v_int(me->pid),
		v_blob(me->node_id, CRAWLDB_ID_LEN), v_text(me->config),
	};
	int64_t id = -1;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = crawldb_begin(db);
	if (rc)
		return rc;
	/* Created here, or (a name that exists) found: ON CONFLICT DO
	 * NOTHING returns no row. */
	rc = exec(db, CS_CRAWL_NEW, a, N(a), id_row, &id);
	if (!rc && id >= 0)
		out->created = true;
	else if (!rc)
		rc = crawldb_find(db, name, &id);
	if (!rc) {
		struct crawldb_val c[] = {
			v_int(id), v_text(me->host), v_int(me->pid),
			v_blob(me->node_id, CRAWLDB_ID_LEN), v_int(now_ms),
		};

		out->crawl_id = id;
		out->crawler_id = -1;
		rc = exec(db, CS_CRAWLER_NEW, c, N(c), id_row,
			  &out->crawler_id);
		if (!rc && out->crawler_id < 0)
			rc = -EIO;
	}
	if (!rc)
		rc = crawldb_commit(db);
	if (rc)
		crawldb_rollback(db);
	return rc;
}

int crawldb_put_node(struct crawldb *db, const struct crawldb_node *n)
{
	struct crawldb_val a[] = {
		v_blob(n->id, CRAWLDB_ID_LEN), v_blob(n->pub, CRAWLDB_PUB_LEN),
		v_text(n->record), v_int((int64_t)n->seq), v_int(n->score),
		v_time(n->seen_ms), v_time(n->first_response),
		v_time(n->last_response), v_time(n->last_check),
		v_blob(n->ip, 16), v_int(n->udp), v_int(n->tcp),
	};

	return exec(db, CS_NODE_PUT, a, N(a), NULL, NULL);
}

int crawldb_enqueue(struct crawldb *db, const struct crawldb_round *r,
		    const struct crawldb_grant *g, int64_t now_ms)
{
	struct crawldb_val a[] = {
		v_int(r->crawl_id), v_blob(g->id, CRAWLDB_ID_LEN),
		v_blob(g->pub, CRAWLDB_PUB_LEN), v_blob(g->ip, 16),
		v_int(g->udp), v_int(g->tcp), v_int(r->crawler_id),
		v_int(now_ms),
	};

	return exec(db, CS_QUEUE_ADD, a, N(a), NULL, NULL);
}

struct lease_out {
	struct crawldb_grant *v;
	size_t n, max;
	size_t extra;                   /* rows beyond max: a bug */
};

/* node_id, pubkey, ip, udp, tcp: anything else is not our row. */
static int lease_row(void *user, const struct crawldb_val *c, size_t n)
{
	struct lease_out *o = user;
	struct crawldb_grant *g;

	if (n < 5 || c[0].type != CRAWLDB_BLOB || c[0].len != CRAWLDB_ID_LEN ||
	    c[1].type != CRAWLDB_BLOB || c[1].len != CRAWLDB_PUB_LEN ||
	    c[2].type != CRAWLDB_BLOB || c[2].len != 16 ||
	    c[3].type != CRAWLDB_INT || c[4].type != CRAWLDB_INT)
		return -EBADMSG;
	if (o->n == o->max) {
		o->extra++;             /* LIMIT max: must not happen */
		return 0;
	}
	g = &o->v[o->n++];
	memcpy(g->id, c[0].p, CRAWLDB_ID_LEN);
	memcpy(g->pub, c[1].p, CRAWLDB_PUB_LEN);
	memcpy(g->ip, c[2].p, 16);
	g->udp = (uint16_t)c[3].i;
	g->tcp = (uint16_t)c[4].i;
	return 0;
}

ssize_t crawldb_lease(struct crawldb *db, const struct crawldb_round *r,
		      struct crawldb_grant *out, size_t max, int64_t lease_ms,
		      int64_t now_ms)
{
	struct crawldb_val rc_args[] = { v_int(r->crawl_id), v_int(now_ms) };
	struct crawldb_val a[] = {
		v_int(r->crawl_id), v_int(r->crawler_id), v_int(lease_ms),
		v_int(now_ms), v_int((int64_t)max),
	};
	struct lease_out o = { .v = out, .max = max };
	int rc;

	if (!max)
		return 0;
	rc = exec(db, CS_QUEUE_RECLAIM, rc_args, N(rc_args), NULL, NULL);
	if (!rc)
		rc = exec(db, CS_QUEUE_LEASE, a, N(a), lease_row, &o);
	if (!rc && o.extra) {
		/* Leased but not handed over: they would be renewed and
		 * never visited. Put them back (and ours in flight with
		 * them: they are leased again). */
		snprintf(db->err, sizeof(db->err), "lease returned %zu rows "
			 "over its limit %zu", o.extra, max);
		(void)crawldb_release(db, r);
		return -EPROTO;
	}
	return rc ? rc : (ssize_t)o.n;
}

struct pool_out {
	bool *pending, *leased;
	bool got;
};

static int pool_row(void *user, const struct crawldb_val *c, size_t n)
{
	struct pool_out *o = user;

	if (n < 2 || c[0].type != CRAWLDB_INT || c[1].type != CRAWLDB_INT)
		return -EBADMSG;
	*o->pending = c[0].i != 0;
	*o->leased = c[1].i != 0;
	o->got = true;
	return 0;
}

int crawldb_pool(struct crawldb *db, const struct crawldb_round *r,
		 int64_t now_ms, bool *pending, bool *leased)
{
	struct crawldb_val a[] = { v_int(r->crawl_id), v_int(now_ms) };
	struct pool_out o = { pending, leased, false };
	int rc = exec(db, CS_QUEUE_POOL, a, N(a), pool_row, &o);

	return rc ? rc : o.got ? 0 : -EIO;
}

int crawldb_renew(struct crawldb *db, const struct crawldb_round *r,
		  int64_t lease_ms, int64_t now_ms)
{
	struct crawldb_val a[] = {
		v_int(r->crawl_id), v_int(r->crawler_id), v_int(lease_ms),
		v_int(now_ms),
	};

	return exec(db, CS_QUEUE_RENEW, a, N(a), NULL, NULL);
}

static int count_row(void *user, const struct crawldb_val *c, size_t n)
{
	(void)c;
	(void)n;
	(*(size_t *)user)++;
	return 0;
}

int crawldb_finish(struct crawldb *db, const struct crawldb_round *r,
		   const uint8_t id[CRAWLDB_ID_LEN], int64_t now_ms)
{
	struct crawldb_val a[] = {
		v_int(r->crawl_id), v_int(r->crawler_id),
		v_blob(id, CRAWLDB_ID_LEN), v_int(now_ms),
	};
	size_t hit = 0;
	int rc = exec(db, CS_QUEUE_FINISH, a, N(a), count_row, &hit);

	return rc ? rc : hit ? 0 : -ESTALE;
}

int crawldb_mark_done(struct crawldb *db, const struct crawldb_round *r,
		      const uint8_t id[CRAWLDB_ID_LEN], int64_t now_ms)
{
	struct crawldb_val a[] = {
		v_int(r->crawl_id), v_int(r->crawler_id),
		v_blob(id, CRAWLDB_ID_LEN), v_int(now_ms),
	};

	return exec(db, CS_QUEUE_DONE, a, N(a), NULL, NULL);
}

int crawldb_release(struct crawldb *db, const struct crawldb_round *r)
{
	struct crawldb_val a[] = { v_int(r->crawl_id), v_int(r->crawler_id) };

	return exec(db, CS_QUEUE_RELEASE, a, N(a), NULL, NULL);
}

int crawldb_put_disc(struct crawldb *db, const struct crawldb_round *r,
		     const struct crawldb_disc *v)
{
	struct crawldb_val a[] = {
		v_int(r->crawl_id), v_blob(v->id, CRAWLDB_ID_LEN),
		v_int(r->crawler_id), v_time(v->started_ms),
		v_time(v->finished_ms), v_int(v->answered), v_int(v->replied),
		v_int(v->enr_verified),
		v->enr_verified ? v_int((int64_t)v->enr_seq) : v_null,
		v_text(v->enr_keys), v_text(v->error), v_int(v->neighbors),
	};

	return exec(db, CS_VISIT_DISC, a, N(a), NULL, NULL);
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int crawldb_put_rlpx(struct crawldb *db, const struct crawldb_round *r,
		     const struct crawldb_rlpx *v)
{
	char genesis[65], fork[9], latest[65];
	bool h = v->has_hello, s = v->has_status, g = s && v->has_range;
	bool e = v->eth_version != 0;
	bool d = v->disc_reason >= 0;

	hex(genesis, v->genesis, 32);
	hex(latest, v->latest_hash, 32);
	snprintf(fork, sizeof(fork), "%08x", v->fork_hash);
	struct crawldb_val a[] = {
		v_int(r->crawl_id), v_blob(v->id, CRAWLDB_ID_LEN),
		v_int(r->crawler_id), v_int(v->tcp),
		h ? v_text(v->client_id) : v_null,
		h ? v_text(v->client_name) : v_null,
		h ? v_text(v->client_version) : v_null,
		h ? v_int((int64_t)v->p2p_version) : v_null,
		h ? v_text(v->caps) : v_null,
		h ? v_int((int64_t)v->listen_port) : v_null,
		e ? v_int(v->eth_version) : v_null,
		s ? v_int((int64_t)v->network_id) : v_null,
		s ? v_text(genesis) : v_null,
		s ? v_text(fork) : v_null,
		s ? v_int((int64_t)v->fork_next) : v_null,
		g ? v_int((int64_t)v->earliest) : v_null,
		g ? v_int((int64_t)v->latest) : v_null,
		s ? v_text(latest) : v_null,
		s ? v_text(v->status_check) : v_null,
		d ? v_int(v->disc_reason) : v_null,
		d ? v_int(v->disc_remote) : v_null,
		v_text(v->error), v_time(v->started_ms), v_time(v->finished_ms),
	};

	return exec(db, CS_VISIT_RLPX, a, N(a), NULL, NULL);
}

int crawldb_answered_late(struct crawldb *db, const struct crawldb_round *r,
			  const uint8_t id[CRAWLDB_ID_LEN])
{
	struct crawldb_val a[] = {
		v_int(r->crawl_id), v_blob(id, CRAWLDB_ID_LEN),
		v_int(r->crawler_id),
	};

	return exec(db, CS_VISIT_ANSWERED, a, N(a), NULL, NULL);
}

int crawldb_put_neighbors(struct crawldb *db, int64_t crawl_id,
			  const uint8_t from[CRAWLDB_ID_LEN],
			  const uint8_t (*ids)[CRAWLDB_ID_LEN], size_t n)
{
	int rc = 0;

	if (!n)
		return 0;
	if (db->dialect == CRAWLSCHEMA_PG) {
		/* One row per node: the ids back to back in one bytea. */
		struct crawldb_val a[] = {
			v_int(crawl_id), v_blob(from, CRAWLDB_ID_LEN),
			v_blob(ids, n * CRAWLDB_ID_LEN),
		};

		return exec(db, CS_NEIGHBORS, a, N(a), NULL, NULL);
	}
	for (size_t i = 0; i < n && !rc; i++) {
		struct crawldb_val a[] = {
			v_int(crawl_id), v_blob(from, CRAWLDB_ID_LEN),
			v_blob(ids[i], CRAWLDB_ID_LEN),
		};

		rc = exec(db, CS_NEIGHBORS, a, N(a), NULL, NULL);
	}
	return rc;
}

int crawldb_end(struct crawldb *db, const struct crawldb_round *r,
		const struct crawldb_counts *k, bool own, int64_t now_ms)
{
	struct crawldb_val a[] = {
		v_int(r->crawler_id), v_int(now_ms), v_int((int64_t)k->leased),
		v_int((int64_t)k->visits), v_int((int64_t)k->lost),
	};
	struct crawldb_val c[] = { v_int(r->crawl_id) };
	struct crawldb_val e[] = { v_int(r->crawl_id), v_int(now_ms),
				   v_int(own) };
	int rc = crawldb_begin(db);

	if (!rc)
		rc = exec(db, CS_CRAWLER_END, a, N(a), NULL, NULL);
	if (!rc)
		rc = exec(db, CS_CRAWL_COUNTS, c, N(c), NULL, NULL);
	if (!rc)
		rc = exec(db, CS_CRAWL_END, e, N(e), NULL, NULL);
	if (!rc)
		rc = crawldb_commit(db);
	if (rc)
		crawldb_rollback(db);
	return rc;
}
