/* SPDX-License-Identifier: MIT */
/* control/store/crawlstore.c - the crawler's output: a coalescing queue filled by the crawler's thread, drained by a writer thread into the crawl database and nodes.json; leases for a shared crawl round. */
#include "control/store/crawlstore.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/enode.h"
#include "common/keccak.h"
#include "control/base/netutil.h"
#include "control/store/crawlrows.h"
#include "control/store/nodesjson.h"
#include "control/store/visitrow.h"

/* One queued result of the crawler: its state, and the record text it
 * brought (owned; NULL: none new). */
struct qnode {
	struct crawl_out o;             /* o.record unused */
	char *record;
};

/* One neighbour pair: from returned id. */
struct nbr {
	uint8_t from[CRAWL_ID_LEN];
	uint8_t id[CRAWL_ID_LEN];
};

/* A queue. The producer fills one while the thread drains the other; a
 * node queued again replaces its entry (found through index), so a queue
 * holds at most one entry per node. */
struct queue {
	struct qnode *v;
	size_t n, cap;
	uint32_t *index;                /* open addressing: entry + 1 */
	size_t index_cap;               /* power of two, >= 2 * cap */
	struct rlpxprobe_result *rl;
	size_t n_rl, cap_rl;
	struct nbr *nb;
	size_t n_nb, cap_nb;
	uint8_t (*fin)[CRAWL_ID_LEN];   /* leased: visits finished */
	size_t n_fin, cap_fin;
	unsigned lease_want;            /* a lease request: how many */
};

/* The thread's copy of one node. */
struct snode {
	uint8_t id[CRAWL_ID_LEN];
	struct discv4_node n;
	uint64_t seq;
	int score;
	int64_t first_response, last_response, last_check;
	int64_t first_seen;             /* ms, the thread's clock */
	char *record;                   /* latest text; NULL: the enode URL,
					 * cached here once in nodes.json */
	uint8_t db_state;               /* enum row_state */
	bool visited;                   /* leased: its visit finished here */
};

enum row_state {
	ROW_CLEAN = 0,
	ROW_DIRTY,                      /* in s->dirty: row out of date */
};

struct crawlstore {
	/* Set at creation, read-only after. */
	char *json_path;
	struct crawldb *db;
	uint64_t interval_ns;
	bool leased;
	uint64_t lease_ns;
	struct crawldb_round round;
	struct crawlrows *rows;         /* the thread's (NULL: no db) */
	int efd;                        /* leased: answers ready */
	pthread_t thread;

	/* Under mu. */
	pthread_mutex_t mu;
	pthread_cond_t wake;            /* the thread: work, flush or stop */
	pthread_cond_t done;            /* flushers: a write finished */
	struct queue *in;               /* the producer's queue */
	uint64_t put_gen;               /* results queued so far */
	uint64_t taken_gen;             /* of which the thread took */
	uint64_t started, finished;     /* writes (the thread's cycles) */
	uint64_t want;                  /* flush: cycle to run now */
	bool stop;
	int last_rc;                    /* of the last finished write */
	struct crawlstore_stats st;
	bool lease_out;                 /* a request not yet taken back */
	bool ans_ready, ans_pending, ans_leased;
	struct crawldb_grant *ans;
	size_t n_ans, cap_ans;

	/* The thread's own. */
	struct queue *out;              /* being drained */
	struct snode *nodes;
	size_t n, cap;
	uint32_t *index;
	size_t index_cap;
	uint32_t *dirty;                /* snode indexes: rows to write */
	size_t n_dirty, cap_dirty;
	struct crawldb_grant *grants;   /* lease scratch */
	size_t cap_grants;
	struct nodesjson_entry *es;     /* nodes.json scratch */
	size_t cap_es;
	bool json_dirty;                /* nodes.json out of date */
	uint64_t last_json, last_renew; /* monotonic ns */
	uint64_t json_writes, json_errors;
	uint64_t in_output;
	uint64_t rows_dropped;          /* crawlrows' count, in st */
};

/* ---- small helpers ---------------------------------------------------- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t nc = *cap ? *cap : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	np = realloc(*p, nc * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = nc;
	return 0;
}

static size_t slot_of(const uint8_t id[CRAWL_ID_LEN], size_t cap)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));      /* keccak output: uniform */
	return (size_t)h & (cap - 1);
}

static void index_put(uint32_t *index, size_t index_cap,
		      const uint8_t id[CRAWL_ID_LEN], size_t pos)
{
	size_t i;

	for (i = slot_of(id, index_cap); index[i]; i = (i + 1) & (index_cap - 1))
		;
	index[i] = (uint32_t)(pos + 1);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the queue (producer side, under mu) -------------------------------- */

static void queue_free(struct queue *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->n; i++)
		free(q->v[i].record);
	free(q->v);
	free(q->index);
	free(q->rl);
	free(q->nb);
	free(q->fin);
	free(q);
}

/* Empties q for reuse (the thread, after draining it). */
static void queue_reset(struct queue *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->v[i].record);
		q->v[i].record = NULL;
	}
	if (q->n)
		memset(q->index, 0, q->index_cap * sizeof(*q->index));
	q->n = 0;
	q->n_rl = 0;
	q->n_nb = 0;
	q->n_fin = 0;
	q->lease_want = 0;
}

/* The queued entry of id, or SIZE_MAX. */
static size_t queue_find(const struct queue *q, const uint8_t id[CRAWL_ID_LEN])
{
	if (!q->n)
		return SIZE_MAX;
	for (size_t i = slot_of(id, q->index_cap); q->index[i];
	     i = (i + 1) & (q->index_cap - 1))
		if (!memcmp(q->v[q->index[i] - 1].o.id, id, CRAWL_ID_LEN))
			return q->index[i] - 1;
	return SIZE_MAX;
}

/* Makes room for one more entry, rebuilding the index when it grows. */
static int queue_reserve(struct queue *q)
{
	size_t icap;
	uint32_t *ni;

	if (grow((void **)&q->v, &q->cap, q->n + 1, sizeof(*q->v)) < 0)
		return -ENOMEM;
	if (q->index_cap >= 2 * q->cap)
		return 0;
	icap = q->index_cap ? q->index_cap : 128;
	while (icap < 2 * q->cap)
		icap *= 2;
	ni = calloc(icap, sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	free(q->index);
	q->index = ni;
	q->index_cap = icap;
	for (size_t k = 0; k < q->n; k++)
		index_put(q->index, icap, q->v[k].o.id, k);
	return 0;
}

static int queue_node(struct queue *q, const struct crawl_out *o, char *rec)
{
	struct qnode *e;
	unsigned ev;
	size_t k = queue_find(q, o->id);

	if (k == SIZE_MAX) {
		if (queue_reserve(q) < 0)
			return -ENOMEM;
		k = q->n++;
		e = &q->v[k];
		e->record = NULL;
		e->o.events = 0;
		index_put(q->index, q->index_cap, o->id, k);
	} else {
		e = &q->v[k];
	}
	/* A sighting after a finished check not yet written is another
	 * crawler's (crawl --v4 --v5: both emit the node): it must not
	 * replace the check's state, whose visit the DONE event writes. */
	if ((e->o.events & CRAWL_EV_DONE) && !(o->events & CRAWL_EV_DONE)) {
		if (rec && o->seq > e->o.seq) {
			free(e->record);
			e->record = rec;
			e->o.seq = o->seq;
		} else {
			free(rec);
		}
		e->o.events |= o->events;
		return 0;
	}
	/* The latest state wins; a record text stays until a newer one. */
	if (rec) {
		free(e->record);
		e->record = rec;
	}
	ev = e->o.events | o->events;
	e->o = *o;
	e->o.events = ev;
	e->o.record = NULL;
	return 0;
}

/* ---- the thread: apply, database, nodes.json ---------------------------- */

/* The thread's node of id, or SIZE_MAX. */
static size_t set_find(const struct crawlstore *s,
		       const uint8_t id[CRAWL_ID_LEN])
{
	if (!s->n)
		return SIZE_MAX;
	for (size_t i = slot_of(id, s->index_cap); s->index[i];
	     i = (i + 1) & (s->index_cap - 1))
		if (!memcmp(s->nodes[s->index[i] - 1].id, id, CRAWL_ID_LEN))
			return s->index[i] - 1;
	return SIZE_MAX;
}

static int index_grow(struct crawlstore *s)
{
	size_t icap = s->index_cap ? s->index_cap * 2 : 1024;
	uint32_t *ni = calloc(icap, sizeof(*ni));

	if (!ni)
		return -ENOMEM;
	free(s->index);
	s->index = ni;
	s->index_cap = icap;
	for (size_t k = 0; k < s->n; k++)
		index_put(ni, icap, s->nodes[k].id, k);
	return 0;
}

static void mark_dirty(struct crawlstore *s, size_t k)
{
	if (!s->db || s->nodes[k].db_state != ROW_CLEAN)
		return;
	s->nodes[k].db_state = ROW_DIRTY;
	s->dirty[s->n_dirty++] = (uint32_t)k;  /* cap_dirty >= cap */
}

/* Takes one queued node into the thread's set (its visit's discovery
 * part too, when its check finished). On ENOMEM the result is lost
 * (counted). */
static int apply_node(struct crawlstore *s, struct qnode *q, int64_t now_ms)
{
	struct snode *sn;
	size_t k = set_find(s, q->o.id);
	int rc = 0;

	if (k == SIZE_MAX) {
		if ((s->n + 1) * 2 > s->index_cap && index_grow(s) < 0)
			return -ENOMEM;
		if (grow((void **)&s->nodes, &s->cap, s->n + 1,
			 sizeof(*s->nodes)) < 0 ||
		    grow((void **)&s->dirty, &s->cap_dirty, s->cap,
			 sizeof(*s->dirty)) < 0)
			return -ENOMEM;
		k = s->n++;
		sn = &s->nodes[k];
		memset(sn, 0, sizeof(*sn));
		memcpy(sn->id, q->o.id, CRAWL_ID_LEN);
		index_put(s->index, s->index_cap, sn->id, k);
		sn->first_seen = now_ms;
	}
	sn = &s->nodes[k];
	sn->n = q->o.n;
	sn->seq = q->o.seq;
	sn->score = q->o.score;
	sn->first_response = q->o.first_response;
	sn->last_response = q->o.last_response;
	sn->last_check = q->o.last_check;
	if (q->record) {
		free(sn->record);
		sn->record = q->record;
		q->record = NULL;       /* taken */
	}
	mark_dirty(s, k);
	s->json_dirty = true;
	if (s->rows && (q->o.events & CRAWL_EV_SEEN)) {
		struct crawldb_grant g = { .udp = sn->n.ep.udp,
					   .tcp = sn->n.ep.tcp };

		memcpy(g.id, sn->id, CRAWL_ID_LEN);
		memcpy(g.pub, sn->n.id, CRAWLDB_PUB_LEN);
		memcpy(g.ip, sn->n.ep.ip, 16);
		rc = crawlrows_seen(s->rows, &g, sn->first_seen);
	}
	if (s->rows && (q->o.events & CRAWL_EV_DONE)) {
		struct crawldb_disc d;

		visitrow_disc(&d, &q->o, sn->record);
		rc |= crawlrows_disc(s->rows, &d);
	} else if (s->rows && sn->visited && q->o.answered &&
		   (q->o.events & CRAWL_EV_ANSWERED)) {
		/* Leased, after its visit was committed: a late Pong
		 * (crawl_on_bond()) made it answered. */
		rc |= crawlrows_late(s->rows, sn->id);
	}
	return rc;
}

/* The enode URL of a node without a record, into out[0..cap). */
static int url_of(char *out, size_t cap, const struct snode *sn)
{
	struct enode e;

	memset(&e, 0, sizeof(e));
	memcpy(e.pub, sn->n.id, sizeof(e.pub));
	e.kind = sn->n.ep.ip_len == 16 ? ENODE_HOST_IP6 : ENODE_HOST_IP4;
	memcpy(e.ip, sn->n.ep.ip, 16);
	e.udp = sn->n.ep.udp;
	e.tcp = sn->n.ep.tcp;
	return enode_format(out, cap, &e) < 0 ? -EINVAL : 0;
}

/* Hands the rows of the nodes that changed to the database side and
 * writes its transaction. */
static int write_db(struct crawlstore *s, int64_t now)
{
	char rec[ENR_TEXT_MAX + ENODE_URL_MAX];
	int rc = 0;

	if (!s->rows)
		return 0;
	for (size_t i = 0; i < s->n_dirty; i++) {
		struct snode *sn = &s->nodes[s->dirty[i]];
		struct crawldb_node row = {
			.pub = sn->n.id, .record = rec, .seq = sn->seq,
			.score = sn->score, .seen_ms = now,
			.udp = sn->n.ep.udp, .tcp = sn->n.ep.tcp,
		};

		sn->db_state = ROW_CLEAN;       /* the rows side has it */
		memcpy(row.id, sn->id, CRAWL_ID_LEN);
		memcpy(row.ip, sn->n.ep.ip, 16);
		if (sn->record)
			snprintf(rec, sizeof(rec), "%s", sn->record);
		else if (url_of(rec, sizeof(rec), sn) < 0)
			continue;       /* cannot happen with a valid node */
		/* Go's zero time: none; the rest seconds to ms. */
		row.first_response = sn->first_response == CRAWL_ZERO_TIME ?
			CRAWLDB_NO_TIME : sn->first_response * 1000;
		row.last_response = sn->last_response == CRAWL_ZERO_TIME ?
			CRAWLDB_NO_TIME : sn->last_response * 1000;
		row.last_check = sn->last_check == CRAWL_ZERO_TIME ?
			CRAWLDB_NO_TIME : sn->last_check * 1000;
		if (sn->first_seen < row.seen_ms)
			row.seen_ms = sn->first_seen;
		if (crawlrows_node(s->rows, &row) < 0)
			rc = -ENOMEM;
	}
	s->n_dirty = 0;
	return crawlrows_write(s->rows, now) ? -EIO : rc;
}

/* Leases up to want nodes and posts the answer (a failed lease answers
 * "no nodes, but do not take the round for dry"). */
static void lease_now(struct crawlstore *s, unsigned want)
{
	bool pending = true, leased = true;
	size_t n = 0;

	if (grow((void **)&s->grants, &s->cap_grants, want,
		 sizeof(*s->grants)) == 0)
		n = crawlrows_lease(s->rows, s->grants, want,
				    (int64_t)(s->lease_ns / 1000000), &pending,
				    &leased, wall_ms());
	pthread_mutex_lock(&s->mu);
	if (grow((void **)&s->ans, &s->cap_ans, n ? n : 1, sizeof(*s->ans)) < 0)
		n = 0;                  /* leased, not handed over: expires */
	memcpy(s->ans, s->grants, n * sizeof(*s->ans));
	s->n_ans = n;
	s->ans_pending = pending;
	s->ans_leased = leased;
	s->ans_ready = true;
	pthread_mutex_unlock(&s->mu);
	(void)!write(s->efd, &(uint64_t){ 1 }, sizeof(uint64_t));
}

/* Replaces nodes.json with the thread's current set, if it changed or
 * (force: a flush) in any case. */
static int write_json(struct crawlstore *s, bool force, bool last,
		      uint64_t now)
{
	char url[ENODE_URL_MAX + 1];
	size_t m = 0;
	int rc;

	if (!s->json_path || (!s->json_dirty && !force))
		return 0;
	/* Leases make writes frequent; nodes.json stays once an interval
	 * (but for a flush, and the last write). */
	if (!force && !last && s->last_json &&
	    now < s->last_json + s->interval_ns)
		return 0;
	s->last_json = now;
	for (size_t k = 0; k < s->n; k++)
		if (s->nodes[k].score > 0)
			m++;
	if (grow((void **)&s->es, &s->cap_es, m ? m : 1, sizeof(*s->es)) < 0)
		return -ENOMEM;
	m = 0;
	for (size_t k = 0; k < s->n; k++) {
		struct snode *sn = &s->nodes[k];
		struct nodesjson_entry *e = &s->es[m];

		if (sn->score <= 0)
			continue;
		if (!sn->record) {
			/* Cached: a node in the output stays there mostly. */
			if (url_of(url, sizeof(url), sn) < 0)
				continue;
			sn->record = strdup(url);
			if (!sn->record)
				return -ENOMEM;
		}
		memset(e, 0, sizeof(*e));       /* UTC, whole seconds */
		memcpy(e->id, sn->id, NODESJSON_ID_LEN);
		e->seq = sn->seq;
		e->record = sn->record;
		e->score = sn->score;
		e->first_response = sn->first_response;
		e->last_response = sn->last_response;
		e->last_check = sn->last_check;
		m++;
	}
	rc = nodesjson_write(s->json_path, s->es, m);
	if (rc < 0) {
		s->json_errors++;
		return rc;
	}
	s->json_writes++;
	s->json_dirty = false;
	s->in_output = m;
	return 0;
}

/* One write: takes the drained queue q into the set and the backlogs,
 * then the database, a lease request, the lease renewal, nodes.json.
 * Returns 0 or the first -errno. */
static int write_all(struct crawlstore *s, struct queue *q, bool force,
		     bool last)
{
	uint64_t lost = 0, now = mono_ns();
	int64_t wall = wall_ms();
	unsigned want = q->lease_want;
	int rc = 0, r;

	for (size_t i = 0; i < q->n; i++)
		if (apply_node(s, &q->v[i], wall) < 0)
			lost++;
	if (s->rows) {
		struct crawldb_rlpx *x = malloc(sizeof(*x));

		for (size_t i = 0; i < q->n_rl; i++) {
			if (x)
				visitrow_rlpx(x, &q->rl[i]);
			if (!x || crawlrows_rlpx(s->rows, x) < 0)
				lost++;
		}
		free(x);
		for (size_t i = 0; i < q->n_nb; i++)
			if (crawlrows_neighbor(s->rows, q->nb[i].from,
					       q->nb[i].id) < 0)
				lost++;
		/* After the parts: a finish finds its visit's parts. */
		for (size_t i = 0; i < q->n_fin; i++) {
			size_t k = set_find(s, q->fin[i]);

			if (k != SIZE_MAX)
				s->nodes[k].visited = true;
			if (crawlrows_finish(s->rows, q->fin[i]) < 0)
				lost++;
		}
	}
	if (lost)
		rc = -ENOMEM;
	r = write_db(s, wall);
	if (r < 0 && !rc)
		rc = r;
	if (want)
		lease_now(s, want);
	if (s->leased && now >= s->last_renew + s->lease_ns / 3) {
		s->last_renew = now;
		(void)crawlrows_renew(s->rows, (int64_t)(s->lease_ns / 1000000),
				      wall_ms());
	}
	r = write_json(s, force, last, now);
	if (r < 0 && !rc)
		rc = r;
	queue_reset(q);
	pthread_mutex_lock(&s->mu);
	s->st.dropped += lost;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* Something to write: results not taken yet, or a write that failed
 * (the thread's own fields; read by the thread only). */
static bool has_work(const struct crawlstore *s)
{
	return s->put_gen > s->taken_gen || s->json_dirty || s->n_dirty ||
	       (s->rows && crawlrows_pending(s->rows));
}

static void wait_until(struct crawlstore *s, uint64_t at)
{
	struct timespec ts = {
		.tv_sec = (time_t)(at / 1000000000ull),
		.tv_nsec = (long)(at % 1000000000ull),
	};

	pthread_cond_timedwait(&s->wake, &s->mu, &ts);
}

/* The writer: waits for work, keeps writes cfg.interval_ns apart unless
 * a flush, a lease request or the close asks for one (or the leases are
 * due for renewal), swaps the queues and writes. */
static void *writer(void *arg)
{
	struct crawlstore *s = arg;
	uint64_t last = 0;              /* monotonic time of the last write */

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct queue *q;
		bool force, final;
		int rc;

		while (!s->stop && s->want <= s->started && !s->in->lease_want) {
			uint64_t at = UINT64_MAX, now = mono_ns();

			if (has_work(s))
				at = s->started ? last + s->interval_ns : now;
			if (s->leased && s->last_renew + s->lease_ns / 3 < at)
				at = s->last_renew + s->lease_ns / 3;
			if (at <= now)
				break;
			if (at == UINT64_MAX)
				pthread_cond_wait(&s->wake, &s->mu);
			else
				wait_until(s, at);
		}
		force = s->want > s->started;   /* a flush asked for it */
		final = s->stop;
		/* Swap: the producer fills the empty queue meanwhile. */
		q = s->in;
		s->in = s->out;
		s->out = q;
		s->taken_gen = s->put_gen;
		s->started++;
		pthread_mutex_unlock(&s->mu);

		rc = write_all(s, q, force, final);
		last = mono_ns();

		pthread_mutex_lock(&s->mu);
		s->finished = s->started;
		s->last_rc = rc;
		s->st.nodes = s->n;
		s->st.in_output = s->in_output;
		s->st.json_writes = s->json_writes;
		s->st.json_errors = s->json_errors;
		if (s->rows) {
			struct crawlrows_stats w;

			crawlrows_stats(s->rows, &w);
			s->st.db_commits = w.commits;
			s->st.db_errors = w.errors;
			s->st.rlpx_rows = w.rlpx_rows;
			s->st.visits = w.visits;
			s->st.leased = w.leased;
			s->st.leases_lost = w.lost;
			s->st.dropped += w.dropped - s->rows_dropped;
			s->rows_dropped = w.dropped;
		}
		s->st.last_err = rc;
		pthread_cond_broadcast(&s->done);
		if (s->stop && s->put_gen == s->taken_gen && !s->in->lease_want)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- public API ------------------------------------------------------- */

static void store_free(struct crawlstore *s)
{
	queue_free(s->in);
	queue_free(s->out);
	for (size_t k = 0; k < s->n; k++)
		free(s->nodes[k].record);
	crawlrows_free(s->rows);
	free(s->nodes);
	free(s->index);
	free(s->dirty);
	free(s->grants);
	free(s->ans);
	free(s->es);
	free(s->json_path);
	if (s->efd >= 0)
		close(s->efd);
	free(s);
}

int crawlstore_new(struct crawlstore **out,
		   const struct crawlstore_config *cfg)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	struct crawlstore *s;
	int rc;

	*out = NULL;
	if (!cfg || (!cfg->json_path && !cfg->db) || (cfg->leased && !cfg->db))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->efd = -1;
	s->db = cfg->db;
	s->leased = cfg->leased;
	s->lease_ns = cfg->lease_ns ? cfg->lease_ns : CRAWLSTORE_DEFAULT_LEASE_NS;
	s->round.crawl_id = s->round.crawler_id = -1;
	s->interval_ns = cfg->interval_ns ? cfg->interval_ns :
			 CRAWLSTORE_DEFAULT_INTERVAL_NS;
	s->in = calloc(1, sizeof(*s->in));
	s->out = calloc(1, sizeof(*s->out));
	if (!s->in || !s->out ||
	    (cfg->json_path && !(s->json_path = strdup(cfg->json_path)))) {
		store_free(s);
		return -ENOMEM;
	}
	if (s->leased && (s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		rc = -errno;
		store_free(s);
		return rc;
	}
	/* The crawl's rows, before the loop runs: blocking is fine here. */
	if (s->db && (rc = crawldb_join(s->db, &s->round, cfg->round, &cfg->me,
					wall_ms()))) {
		fprintf(stderr, "crawlstore: crawl rows: %s\n",
			crawldb_error(s->db));
		store_free(s);
		return rc < 0 ? rc : -EIO;
	}
	if (s->db && (rc = crawlrows_new(&s->rows, s->db, &s->round,
					 s->leased, cfg->log_commits))) {
		store_free(s);
		return rc;
	}
	s->st.crawl_id = s->round.crawl_id;
	s->st.crawler_id = s->round.crawler_id;
	/* What a killed predecessor left next to nodes.json. */
	if (s->json_path)
		(void)nodesjson_clean_temps(s->json_path);
	s->last_renew = mono_ns();
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&s->done, NULL);
	/* The thread takes no signal: SIGINT and SIGTERM must reach the
	 * host's signalfd (a process-directed signal goes to any thread
	 * that does not block it, whose default action ends the process
	 * without the last write). It inherits the mask set here. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&s->thread, NULL, writer, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!rc)
		pthread_setname_np(s->thread, "crawlstore");
	if (rc) {
		pthread_cond_destroy(&s->wake);
		pthread_cond_destroy(&s->done);
		pthread_mutex_destroy(&s->mu);
		store_free(s);
		return -rc;
	}
	*out = s;
	return 0;
}

/* Counts a queued result and wakes the thread if it was idle. */
static void queued(struct crawlstore *s)
{
	if (s->put_gen++ == s->taken_gen)
		pthread_cond_signal(&s->wake);
	s->st.puts++;
}

int crawlstore_put_node(struct crawlstore *s, const struct crawl_out *o)
{
	char *rec = NULL;
	int rc;

	if (o->record && !(rec = strdup(o->record))) {
		pthread_mutex_lock(&s->mu);
		s->st.dropped++;
		pthread_mutex_unlock(&s->mu);
		return -ENOMEM;
	}
	pthread_mutex_lock(&s->mu);
	rc = queue_node(s->in, o, rec);
	if (rc < 0) {
		free(rec);
		s->st.dropped++;
	} else {
		queued(s);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* Appends one element to a producer-side array, under mu. */
static int queue_add(struct crawlstore *s, void **p, size_t *n, size_t *cap,
		     size_t elem, const void *e)
{
	if (grow(p, cap, *n + 1, elem) < 0) {
		s->st.dropped++;
		return -ENOMEM;
	}
	memcpy((char *)*p + *n * elem, e, elem);
	(*n)++;
	queued(s);
	return 0;
}

int crawlstore_put_rlpx(struct crawlstore *s,
			const struct rlpxprobe_result *r)
{
	struct queue *q;
	int rc;

	if (!s->db)
		return 0;
	pthread_mutex_lock(&s->mu);
	q = s->in;
	rc = queue_add(s, (void **)&q->rl, &q->n_rl, &q->cap_rl, sizeof(*r), r);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int crawlstore_put_neighbors(struct crawlstore *s,
			     const uint8_t from[CRAWL_ID_LEN],
			     const uint8_t (*ids)[CRAWL_ID_LEN], unsigned n)
{
	struct queue *q;
	int rc = 0;

	if (!s->db)
		return 0;
	pthread_mutex_lock(&s->mu);
	q = s->in;
	for (unsigned i = 0; i < n && !rc; i++) {
		struct nbr e;

		memcpy(e.from, from, CRAWL_ID_LEN);
		memcpy(e.id, ids[i], CRAWL_ID_LEN);
		rc = queue_add(s, (void **)&q->nb, &q->n_nb, &q->cap_nb,
			       sizeof(e), &e);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void crawlstore_on_crawl(void *user, const struct crawl_out *o)
{
	(void)crawlstore_put_node(user, o);
}

void crawlstore_on_rlpx(void *user, const struct rlpxprobe_result *r)
{
	(void)crawlstore_put_rlpx(user, r);
}

void crawlstore_on_neighbors(void *user, const uint8_t from[CRAWL_ID_LEN],
			     const uint8_t (*ids)[CRAWL_ID_LEN], unsigned n)
{
	(void)crawlstore_put_neighbors(user, from, ids, n);
}

int crawlstore_fd(const struct crawlstore *s)
{
	return s->efd;
}

int crawlstore_lease(struct crawlstore *s, unsigned n)
{
	int rc = 0;

	if (!s->leased)
		return -EPROTO;
	if (!n)
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	if (s->lease_out) {
		rc = -EBUSY;
	} else {
		s->lease_out = true;
		s->in->lease_want = n;
		pthread_cond_signal(&s->wake);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

ssize_t crawlstore_take_leased(struct crawlstore *s, struct discv4_node *out,
			       size_t max, bool *pending, bool *leased)
{
	uint64_t v;
	size_t n;

	if (s->efd >= 0)
		(void)!read(s->efd, &v, sizeof(v));     /* clears it */
	pthread_mutex_lock(&s->mu);
	if (!s->ans_ready) {
		pthread_mutex_unlock(&s->mu);
		return -EAGAIN;
	}
	n = s->n_ans < max ? s->n_ans : max;
	for (size_t i = 0; i < n; i++) {
		const struct crawldb_grant *g = &s->ans[i];
		struct discv4_node *d = &out[i];

		memset(d, 0, sizeof(*d));
		memcpy(d->id, g->pub, DISCV4_PUB_LEN);
		memcpy(d->ep.ip, g->ip, 16);
		d->ep.ip_len = netutil_addr_is_v4(g->ip) ? 4 : 16;
		d->ep.udp = g->udp;
		d->ep.tcp = g->tcp;
	}
	*pending = s->ans_pending;
	*leased = s->ans_leased;
	s->ans_ready = false;
	s->lease_out = false;
	pthread_mutex_unlock(&s->mu);
	return (ssize_t)n;
}

int crawlstore_finish(struct crawlstore *s, const uint8_t id[CRAWL_ID_LEN])
{
	struct queue *q;
	int rc;

	if (!s->leased)
		return -EPROTO;
	pthread_mutex_lock(&s->mu);
	q = s->in;
	rc = queue_add(s, (void **)&q->fin, &q->n_fin, &q->cap_fin,
		       CRAWL_ID_LEN, id);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int crawlstore_flush(struct crawlstore *s)
{
	uint64_t target;
	int rc;

	pthread_mutex_lock(&s->mu);
	/* The next write to start takes everything queued until now. */
	target = s->started + 1;
	if (s->want < target)
		s->want = target;
	pthread_cond_signal(&s->wake);
	while (s->finished < target)
		pthread_cond_wait(&s->done, &s->mu);
	rc = s->last_rc;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void crawlstore_stats(struct crawlstore *s, struct crawlstore_stats *st)
{
	pthread_mutex_lock(&s->mu);
	*st = s->st;
	pthread_mutex_unlock(&s->mu);
}

int crawlstore_close(struct crawlstore *s)
{
	int rc;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	rc = s->last_rc;
	/* The thread is gone: the database is ours. Leases of visits not
	 * finished go back to the pool at once (not after the lease time),
	 * then the crawler's row and the crawl's end. */
	if (s->rows && crawlrows_end(s->rows, wall_ms()) && !rc)
		rc = -EIO;
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->done);
	pthread_mutex_destroy(&s->mu);
	store_free(s);
	return rc;
}

/* CRAWLSTORE_NODE_BYTES bounds a node's share: its struct, and at most
 * twice its slots in the index (2 x 4 bytes) and the dirty list (4). */
_Static_assert(sizeof(struct snode) + 2 * (8 + 4) <= CRAWLSTORE_NODE_BYTES,
	       "CRAWLSTORE_NODE_BYTES too small");
