/* SPDX-License-Identifier: MIT */
/* control/store/crawlrows.c - the crawl store's database side: backlogs, one transaction per write, held visits, leases. */
#include "control/store/crawlrows.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A crawl_nodes row, owning its record text and key. */
struct nrow {
	struct crawldb_node n;          /* n.pub, n.record point below */
	uint8_t pub[CRAWLDB_PUB_LEN];
	bool has_pub;
	char *record;
	uint64_t order;                 /* arrival: the later row wins */
};

struct qrow {                           /* a node learnt: into the queue */
	struct crawldb_grant g;
	int64_t at;
};

struct nbr {                            /* from returned id */
	uint8_t from[CRAWLDB_ID_LEN];
	uint8_t id[CRAWLDB_ID_LEN];
};

/* Leased: the parts of a visit in flight, held until its finish. */
struct pvisit {
	uint8_t id[CRAWLDB_ID_LEN];
	bool has_disc;
	struct crawldb_disc disc;
	struct crawldb_rlpx *rlpx;      /* NULL: none (yet) */
};

/* A growable array. */
struct vec {
	void *p;
	size_t n, cap;
};

struct crawlrows {
	struct crawldb *db;
	struct crawldb_round round;
	bool leased, log_commits;
	uint64_t order;
	struct vec nodes;               /* struct nrow */
	struct vec seen;                /* struct qrow */
	struct vec disc;                /* struct crawldb_disc (unleased) */
	struct vec late;                /* uint8_t[32] (leased) */
	struct vec rlx;                 /* struct crawldb_rlpx (unleased) */
	struct vec nb;                  /* struct nbr */
	struct vec fin;                 /* uint8_t[32] (leased) */
	struct vec pv;                  /* struct pvisit (leased) */
	struct crawlrows_stats st;
};

#define AT(v, type, i) (&((type *)(v)->p)[i])

static const uint8_t *fin_at(const struct crawlrows *w, size_t i)
{
	return (const uint8_t *)w->fin.p + i * CRAWLDB_ID_LEN;
}

static int vec_push(struct crawlrows *w, struct vec *v, size_t elem,
		    const void *e)
{
	if (v->n >= CRAWLROWS_BACKLOG_MAX) {
		/* A long outage: drop the oldest (a node row owns text). */
		if (v == &w->nodes)
			free(AT(v, struct nrow, 0)->record);
		memmove(v->p, (char *)v->p + elem, (v->n - 1) * elem);
		v->n--;
		w->st.dropped++;
	}
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 64;
		void *np = realloc(v->p, nc * elem);

		if (!np) {
			w->st.dropped++;
			return -ENOMEM;
		}
		v->p = np;
		v->cap = nc;
	}
	memcpy((char *)v->p + v->n * elem, e, elem);
	v->n++;
	return 0;
}

int crawlrows_new(struct crawlrows **out, struct crawldb *db,
		  const struct crawldb_round *r, bool leased, bool log_commits)
{
	struct crawlrows *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->db = db;
	w->round = *r;
	w->leased = leased;
	w->log_commits = log_commits;
	*out = w;
	return 0;
}

static void pv_drop(struct crawlrows *w, size_t i)
{
	struct pvisit *v = AT(&w->pv, struct pvisit, 0);

	free(v[i].rlpx);
	v[i] = v[--w->pv.n];
}

void crawlrows_free(struct crawlrows *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nodes.n; i++)
		free(AT(&w->nodes, struct nrow, i)->record);
	while (w->pv.n)
		pv_drop(w, w->pv.n - 1);
	free(w->nodes.p);
	free(w->seen.p);
	free(w->disc.p);
	free(w->late.p);
	free(w->rlx.p);
	free(w->nb.p);
	free(w->fin.p);
	free(w->pv.p);
	free(w);
}

int crawlrows_node(struct crawlrows *w, const struct crawldb_node *n)
{
	struct nrow r = { .n = *n, .order = w->order++, .has_pub = !!n->pub };

	if (n->pub)
		memcpy(r.pub, n->pub, CRAWLDB_PUB_LEN);
	if (n->record && !(r.record = strdup(n->record))) {
		w->st.dropped++;
		return -ENOMEM;
	}
	r.n.record = NULL;              /* set at write: the vec moves */
	r.n.pub = NULL;
	if (vec_push(w, &w->nodes, sizeof(r), &r) < 0) {
		free(r.record);
		return -ENOMEM;
	}
	return 0;
}

int crawlrows_seen(struct crawlrows *w, const struct crawldb_grant *g,
		   int64_t at_ms)
{
	struct qrow r = { .g = *g, .at = at_ms };

	return vec_push(w, &w->seen, sizeof(r), &r);
}

/* The held parts of id's visit, created if absent; NULL on ENOMEM. */
static struct pvisit *pv_get(struct crawlrows *w,
			     const uint8_t id[CRAWLDB_ID_LEN])
{
	struct pvisit e = { .rlpx = NULL };

	for (size_t i = 0; i < w->pv.n; i++)
		if (!memcmp(AT(&w->pv, struct pvisit, i)->id, id,
			    CRAWLDB_ID_LEN))
			return AT(&w->pv, struct pvisit, i);
	memcpy(e.id, id, CRAWLDB_ID_LEN);
	if (vec_push(w, &w->pv, sizeof(e), &e) < 0)
		return NULL;
	return AT(&w->pv, struct pvisit, w->pv.n - 1);
}

int crawlrows_disc(struct crawlrows *w, const struct crawldb_disc *d)
{
	struct pvisit *v;

	if (!w->leased)
		return vec_push(w, &w->disc, sizeof(*d), d);
	v = pv_get(w, d->id);
	if (!v)
		return -ENOMEM;
	v->disc = *d;
	v->has_disc = true;
	return 0;
}

int crawlrows_late(struct crawlrows *w, const uint8_t id[CRAWLDB_ID_LEN])
{
	if (!w->leased)
		return -EPROTO;
	return vec_push(w, &w->late, CRAWLDB_ID_LEN, id);
}

int crawlrows_rlpx(struct crawlrows *w, const struct crawldb_rlpx *x)
{
	struct pvisit *v;

	if (!w->leased)
		return vec_push(w, &w->rlx, sizeof(*x), x);
	v = pv_get(w, x->id);
	if (!v)
		return -ENOMEM;
	if (!v->rlpx && !(v->rlpx = malloc(sizeof(*v->rlpx)))) {
		w->st.dropped++;
		return -ENOMEM;
	}
	*v->rlpx = *x;
	return 0;
}

int crawlrows_neighbor(struct crawlrows *w, const uint8_t from[CRAWLDB_ID_LEN],
		       const uint8_t id[CRAWLDB_ID_LEN])
{
	struct nbr e;

	memcpy(e.from, from, CRAWLDB_ID_LEN);
	memcpy(e.id, id, CRAWLDB_ID_LEN);
	return vec_push(w, &w->nb, sizeof(e), &e);
}

int crawlrows_finish(struct crawlrows *w, const uint8_t id[CRAWLDB_ID_LEN])
{
	if (!w->leased)
		return -EPROTO;
	return vec_push(w, &w->fin, CRAWLDB_ID_LEN, id);
}

bool crawlrows_pending(const struct crawlrows *w)
{
	return w->nodes.n || w->seen.n || w->disc.n || w->late.n ||
	       w->rlx.n || w->nb.n || w->fin.n;
}

static int cmp_nrow(const void *a, const void *b)
{
	const struct nrow *x = a, *y = b;
	int c = memcmp(x->n.id, y->n.id, CRAWLDB_ID_LEN);

	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_qrow(const void *a, const void *b)
{
	return memcmp(((const struct qrow *)a)->g.id,
		      ((const struct qrow *)b)->g.id, CRAWLDB_ID_LEN);
}

static int cmp_bytes64(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct nbr));
}

static int cmp_bytes32(const void *a, const void *b)
{
	return memcmp(a, b, CRAWLDB_ID_LEN);
}

/* The neighbours of one node: a run of pairs with the same from
 * (sorted, so repeats are adjacent and written once). */
static int put_nbr_run(struct crawlrows *w, const struct nbr *run, size_t n)
{
	uint8_t (*ids)[CRAWLDB_ID_LEN] = malloc(n * CRAWLDB_ID_LEN);
	size_t m = 0;
	int rc;

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!m || memcmp(ids[m - 1], run[i].id, CRAWLDB_ID_LEN))
			memcpy(ids[m++], run[i].id, CRAWLDB_ID_LEN);
	rc = crawldb_put_neighbors(w->db, w->round.crawl_id, run[0].from,
				   (const uint8_t (*)[CRAWLDB_ID_LEN])ids, m);
	free(ids);
	return rc;
}

/* A finished visit: its lease completes, then its parts (a visit with no
 * part says it was not visited). -ESTALE: the lease went to another
 * crawler, who writes the visit. */
static int put_finish(struct crawlrows *w, const uint8_t id[CRAWLDB_ID_LEN],
		      int64_t now)
{
	struct pvisit *v = NULL;
	int rc;

	for (size_t k = 0; k < w->pv.n; k++)
		if (!memcmp(AT(&w->pv, struct pvisit, k)->id, id,
			    CRAWLDB_ID_LEN))
			v = AT(&w->pv, struct pvisit, k);
	rc = crawldb_finish(w->db, &w->round, id, now);
	if (rc)
		return rc;
	if (!v || (!v->has_disc && !v->rlpx)) {
		struct crawldb_disc d = { .started_ms = now,
					  .finished_ms = now };

		memcpy(d.id, id, CRAWLDB_ID_LEN);
		snprintf(d.error, sizeof(d.error), "not visited");
		return crawldb_put_disc(w->db, &w->round, &d);
	}
	if (v->has_disc)
		rc = crawldb_put_disc(w->db, &w->round, &v->disc);
	if (!rc && v->rlpx)
		rc = crawldb_put_rlpx(w->db, &w->round, v->rlpx);
	return rc;
}

static int write_rows(struct crawlrows *w, int64_t now, uint64_t *visits,
		      uint64_t *lost)
{
	int rc = 0;

	for (size_t i = 0; i < w->nodes.n && !rc; i++) {
		struct nrow *r = AT(&w->nodes, struct nrow, i);
		struct crawldb_node n = r->n;

		n.pub = r->has_pub ? r->pub : NULL;
		n.record = r->record;
		rc = crawldb_put_node(w->db, &n);
	}
	for (size_t i = 0; i < w->seen.n && !rc; i++) {
		struct qrow *r = AT(&w->seen, struct qrow, i);

		rc = crawldb_enqueue(w->db, &w->round, &r->g, r->at);
	}
	for (size_t i = 0; i < w->disc.n && !rc; i++) {
		struct crawldb_disc *d = AT(&w->disc, struct crawldb_disc, i);

		rc = crawldb_put_disc(w->db, &w->round, d);
		if (!rc)
			rc = crawldb_mark_done(w->db, &w->round, d->id, now);
		if (!rc)
			(*visits)++;
	}
	for (size_t i = 0; i < w->rlx.n && !rc; i++)
		rc = crawldb_put_rlpx(w->db, &w->round,
				      AT(&w->rlx, struct crawldb_rlpx, i));
	for (size_t i = 0, j; i < w->nb.n && !rc; i = j) {
		struct nbr *b = w->nb.p;

		for (j = i + 1; j < w->nb.n &&
		     !memcmp(b[j].from, b[i].from, CRAWLDB_ID_LEN); j++)
			;
		rc = put_nbr_run(w, &b[i], j - i);
	}
	/* After the finishes: a late change of a visit finished in this
	 * very transaction comes after its row. */
	for (size_t i = 0; i < w->fin.n && !rc; i++) {
		rc = put_finish(w, fin_at(w, i), now);
		if (rc == -ESTALE) {
			(*lost)++;
			rc = 0;
		} else if (!rc) {
			(*visits)++;
		}
	}
	for (size_t i = 0; i < w->late.n && !rc; i++)
		rc = crawldb_answered_late(w->db, &w->round,
					   (const uint8_t *)w->late.p +
					   i * CRAWLDB_ID_LEN);
	return rc;
}

int crawlrows_write(struct crawlrows *w, int64_t now)
{
	uint64_t visits = 0, lost = 0;
	int rc;

	if (!crawlrows_pending(w))
		return 0;
	if (w->nodes.n > 1)
		qsort(w->nodes.p, w->nodes.n, sizeof(struct nrow), cmp_nrow);
	if (w->seen.n > 1)
		qsort(w->seen.p, w->seen.n, sizeof(struct qrow), cmp_qrow);
	if (w->nb.n > 1)
		qsort(w->nb.p, w->nb.n, sizeof(struct nbr), cmp_bytes64);
	if (w->fin.n > 1)
		qsort(w->fin.p, w->fin.n, CRAWLDB_ID_LEN, cmp_bytes32);
	rc = crawldb_begin(w->db);
	if (!rc)
		rc = write_rows(w, now, &visits, &lost);
	if (!rc)
		rc = crawldb_commit(w->db);
	if (rc) {
		crawldb_rollback(w->db);
		w->st.errors++;
		fprintf(stderr, "crawlstore: write failed (kept for the next "
			"one): %s\n", crawldb_error(w->db));
		return rc < 0 ? rc : -EIO;
	}
	w->st.commits++;
	w->st.rlpx_rows += w->rlx.n;
	for (size_t i = 0; i < w->fin.n; i++)
		for (size_t k = 0; k < w->pv.n; k++) {
			struct pvisit *v = AT(&w->pv, struct pvisit, k);

			if (memcmp(v->id, fin_at(w, i), CRAWLDB_ID_LEN))
				continue;
			if (v->rlpx)
				w->st.rlpx_rows++;
			pv_drop(w, k);
			break;
		}
	for (size_t i = 0; i < w->nodes.n; i++)
		free(AT(&w->nodes, struct nrow, i)->record);
	w->nodes.n = w->seen.n = w->disc.n = w->late.n = w->rlx.n = 0;
	w->nb.n = 0;
	w->fin.n = 0;
	w->st.visits += visits;
	w->st.lost += lost;
	if (w->log_commits && (visits || lost))
		fprintf(stderr, "crawlstore: crawler %" PRId64 " committed %"
			PRIu64 " visits (%" PRIu64 " this write, %" PRIu64
			" leases lost)\n", w->round.crawler_id, w->st.visits,
			visits, w->st.lost);
	return 0;
}

size_t crawlrows_lease(struct crawlrows *w, struct crawldb_grant *out,
		       size_t max, int64_t lease_ms, bool *pending,
		       bool *leased, int64_t now)
{
	ssize_t n = crawldb_lease(w->db, &w->round, out, max, lease_ms, now);

	*pending = *leased = true;
	if (n < 0) {
		w->st.errors++;
		fprintf(stderr, "crawlstore: lease failed: %s\n",
			crawldb_error(w->db));
		return 0;
	}
	if (n == 0 && crawldb_pool(w->db, &w->round, now, pending, leased)) {
		w->st.errors++;
		*pending = *leased = true;
	}
	w->st.leased += (uint64_t)n;
	return (size_t)n;
}

int crawlrows_renew(struct crawlrows *w, int64_t lease_ms, int64_t now)
{
	int rc = crawldb_renew(w->db, &w->round, lease_ms, now);

	if (rc)
		w->st.errors++;
	return rc;
}

int crawlrows_end(struct crawlrows *w, int64_t now)
{
	struct crawldb_counts k = { .leased = w->st.leased,
				    .visits = w->st.visits,
				    .lost = w->st.lost };

	/* Leases of visits not finished go back to the pool at once, not
	 * after the lease time. */
	if ((w->leased && crawldb_release(w->db, &w->round)) ||
	    crawldb_end(w->db, &w->round, &k, !w->leased, now)) {
		fprintf(stderr, "crawlstore: end of crawl: %s\n",
			crawldb_error(w->db));
		return -EIO;
	}
	return 0;
}

void crawlrows_stats(const struct crawlrows *w, struct crawlrows_stats *st)
{
	*st = w->st;
}
