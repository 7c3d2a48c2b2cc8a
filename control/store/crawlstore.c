/* SPDX-License-Identifier: MIT */
/* control/store/crawlstore.c - the crawler's output: a coalescing queue filled by the crawler's thread, drained by a writer thread into the database and nodes.json. */
#include "control/store/crawlstore.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/enode.h"
#include "common/keccak.h"
#include "control/store/nodesjson.h"

/* One queued result of the crawler: its state, and the record text it
 * brought (owned; NULL: none new). */
struct qnode {
	struct crawl_out o;             /* o.record unused */
	char *record;
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
};

/* The thread's copy of one node. */
struct snode {
	uint8_t id[CRAWL_ID_LEN];
	struct discv4_node n;
	uint64_t seq;
	int score;
	int64_t first_response, last_response, last_check;
	char *record;                   /* latest text; NULL: the enode URL,
					 * cached here once in nodes.json */
	uint8_t db_state;               /* enum row_state */
};

enum row_state {
	ROW_CLEAN = 0,
	ROW_DIRTY,                      /* in s->dirty: row out of date */
	ROW_FAILED,                     /* its put failed in this write */
};

struct crawlstore {
	/* Set at creation, read-only after. */
	char *json_path;
	struct nodedb *db;
	uint64_t interval_ns;
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

	/* The thread's own. */
	struct queue *out;              /* being drained */
	struct snode *nodes;
	size_t n, cap;
	uint32_t *index;
	size_t index_cap;
	uint32_t *dirty;                /* snode indexes: rows to write */
	size_t n_dirty, cap_dirty;
	struct nodesjson_entry *es;     /* nodes.json scratch */
	size_t cap_es;
	bool json_dirty;                /* nodes.json out of date */
	uint64_t json_writes, json_errors, db_commits, db_errors, rlpx_rows;
	uint64_t in_output;
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

/* Takes one queued node into the thread's set. On ENOMEM the result is
 * lost (counted). */
static int apply_node(struct crawlstore *s, struct qnode *q)
{
	struct snode *sn;
	size_t k = set_find(s, q->o.id);

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
	return 0;
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

static void caps_text(char *out, size_t cap, const struct p2p_hello *h)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < h->n_caps && o < cap; i++) {
		int k = snprintf(out + o, cap - o, "%s%s/%u", i ? "," : "",
				 h->caps[i].name, h->caps[i].version);

		if (k < 0)
			break;
		o += (size_t)k;
	}
}

/* The rlpx table's row of one probe (schema: control/store/nodedb.h). */
static void rlpx_row(struct nodedb_rlpx *row, const struct rlpxprobe_result *r)
{
	memset(row, 0, sizeof(*row));
	keccak256(row->id, r->pub, 64);
	memcpy(row->pub, r->pub, 64);
	memcpy(row->ip, r->ip, 16);
	row->tcp = r->tcp;
	row->has_hello = r->has_hello;
	if (r->has_hello) {
		snprintf(row->client_id, sizeof(row->client_id), "%s",
			 r->hello.client_id);
		row->p2p_version = r->hello.version;
		caps_text(row->caps, sizeof(row->caps), &r->hello);
		row->listen_port = r->hello.listen_port;
	}
	/* The negotiated version; a result from elsewhere that lacks it
	 * but has a Status: the Status's (the same when the check passed). */
	row->eth_version = r->eth_version ? r->eth_version :
			   r->has_status ? r->status.version : 0;
	row->has_status = r->has_status;
	if (r->has_status) {
		row->network_id = r->status.network_id;
		memcpy(row->genesis, r->status.genesis, 32);
		row->fork_hash = r->status.forkid.hash;
		row->fork_next = r->status.forkid.next;
		snprintf(row->status_check, sizeof(row->status_check), "%s",
			 r->status_err == ETH_OK ? "ok" :
			 eth_err_name(r->status_err));
		/* Decoded in the negotiated version's layout. */
		if (row->eth_version >= ETH_VERSION_69) {
			memcpy(row->latest_hash, r->status.latest_hash, 32);
			row->has_block_range = true;
			row->earliest_block = r->status.earliest;
			row->latest_block = r->status.latest;
		} else {
			memcpy(row->latest_hash, r->status.head, 32);
		}
	}
	row->disc_reason = r->disc_reason == P2P_DISC_NONE ? -1 :
			   r->disc_reason;
	row->disc_remote = r->disc_remote;
	crawl_rlpx_error_class(r, row->error, sizeof(row->error));
	row->started_ms = (int64_t)(r->started_ns / 1000000ull);
	row->finished_ms = (int64_t)(r->finished_ns / 1000000ull);
}

/* Writes the rows of the nodes that changed and the queued RLPx rows in
 * one transaction. Rows stay queued until a commit stored them. */
static int write_db(struct crawlstore *s, struct queue *q)
{
	union {
		struct nodedb_crawl c;
		struct nodedb_rlpx r;
	} *row;
	size_t keep = 0;
	bool batch;
	int rc = 0, r;

	if (!s->db || (!s->n_dirty && !q->n_rl))
		return 0;
	row = malloc(sizeof(*row));
	if (!row)
		return -ENOMEM;
	batch = nodedb_begin(s->db) == 0;
	for (size_t i = 0; i < s->n_dirty; i++) {
		struct snode *sn = &s->nodes[s->dirty[i]];

		memset(&row->c, 0, sizeof(row->c));
		memcpy(row->c.id, sn->id, sizeof(row->c.id));
		if (sn->record)
			snprintf(row->c.record, sizeof(row->c.record), "%s",
				 sn->record);
		else if (url_of(row->c.record, sizeof(row->c.record), sn) < 0)
			continue;       /* cannot happen with a valid node */
		row->c.seq = sn->seq;
		row->c.score = sn->score;
		row->c.first_response = sn->first_response;
		row->c.last_response = sn->last_response;
		row->c.last_check = sn->last_check;
		memcpy(row->c.ip, sn->n.ep.ip, sizeof(row->c.ip));
		row->c.udp = sn->n.ep.udp;
		row->c.tcp = sn->n.ep.tcp;
		r = nodedb_put_crawl(s->db, &row->c);
		if (r < 0) {
			sn->db_state = ROW_FAILED;
			s->db_errors++;
			if (!rc)
				rc = r;
		}
	}
	for (size_t i = 0; i < q->n_rl; i++) {
		rlpx_row(&row->r, &q->rl[i]);
		r = nodedb_put_rlpx(s->db, &row->r);
		if (r < 0) {
			s->db_errors++;
			if (!rc)
				rc = r;
		} else {
			s->rlpx_rows++;
		}
	}
	free(row);
	if (batch) {
		r = nodedb_commit(s->db);
		if (r < 0) {
			/* Nothing stored: the node rows are written again
			 * next time (the RLPx rows are counted lost). */
			for (size_t i = 0; i < s->n_dirty; i++)
				s->nodes[s->dirty[i]].db_state = ROW_DIRTY;
			s->db_errors++;
			return rc ? rc : r;
		}
		s->db_commits++;
	}
	/* Stored, but for the rows whose put failed: tried again next time. */
	for (size_t i = 0; i < s->n_dirty; i++) {
		struct snode *sn = &s->nodes[s->dirty[i]];

		if (sn->db_state == ROW_FAILED) {
			sn->db_state = ROW_DIRTY;
			s->dirty[keep++] = s->dirty[i];
		} else {
			sn->db_state = ROW_CLEAN;
		}
	}
	s->n_dirty = keep;
	return rc;
}

/* Replaces nodes.json with the thread's current set, if it changed or
 * (force: a flush) in any case. */
static int write_json(struct crawlstore *s, bool force)
{
	char url[ENODE_URL_MAX + 1];
	size_t m = 0;
	int rc;

	if (!s->json_path || (!s->json_dirty && !force))
		return 0;
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

/* One write: takes the drained queue q into the set, then the database,
 * then nodes.json. Returns 0 or the first -errno. */
static int write_all(struct crawlstore *s, struct queue *q, bool force)
{
	uint64_t lost = 0;
	int rc = 0, r;

	for (size_t i = 0; i < q->n; i++)
		if (apply_node(s, &q->v[i]) < 0)
			lost++;
	if (lost)
		rc = -ENOMEM;
	r = write_db(s, q);
	if (r < 0 && !rc)
		rc = r;
	r = write_json(s, force);
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
	return s->put_gen > s->taken_gen || s->json_dirty || s->n_dirty;
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
 * a flush or the close asks for one, swaps the queues and writes. */
static void *writer(void *arg)
{
	struct crawlstore *s = arg;
	uint64_t last = 0;              /* monotonic time of the last write */

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct queue *q;
		bool force;
		int rc;

		while (!s->stop && s->want <= s->started) {
			if (!has_work(s))
				pthread_cond_wait(&s->wake, &s->mu);
			else if (s->started && mono_ns() < last + s->interval_ns)
				wait_until(s, last + s->interval_ns);
			else
				break;
		}
		force = s->want > s->started;   /* a flush asked for it */
		/* Swap: the producer fills the empty queue meanwhile. */
		q = s->in;
		s->in = s->out;
		s->out = q;
		s->taken_gen = s->put_gen;
		s->started++;
		pthread_mutex_unlock(&s->mu);

		rc = write_all(s, q, force);
		last = mono_ns();

		pthread_mutex_lock(&s->mu);
		s->finished = s->started;
		s->last_rc = rc;
		s->st.nodes = s->n;
		s->st.in_output = s->in_output;
		s->st.json_writes = s->json_writes;
		s->st.json_errors = s->json_errors;
		s->st.db_commits = s->db_commits;
		s->st.db_errors = s->db_errors;
		s->st.rlpx_rows = s->rlpx_rows;
		s->st.last_err = rc;
		pthread_cond_broadcast(&s->done);
		if (s->stop && s->put_gen == s->taken_gen)
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
	free(s->nodes);
	free(s->index);
	free(s->dirty);
	free(s->es);
	free(s->json_path);
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
	if (!cfg || (!cfg->json_path && !cfg->db))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->db = cfg->db;
	s->interval_ns = cfg->interval_ns ? cfg->interval_ns :
			 CRAWLSTORE_DEFAULT_INTERVAL_NS;
	s->in = calloc(1, sizeof(*s->in));
	s->out = calloc(1, sizeof(*s->out));
	if (!s->in || !s->out ||
	    (cfg->json_path && !(s->json_path = strdup(cfg->json_path)))) {
		store_free(s);
		return -ENOMEM;
	}
	/* What a killed predecessor left next to nodes.json. */
	if (s->json_path)
		(void)nodesjson_clean_temps(s->json_path);
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

int crawlstore_put_rlpx(struct crawlstore *s,
			const struct rlpxprobe_result *r)
{
	struct queue *q;
	int rc = 0;

	if (!s->db)
		return 0;
	pthread_mutex_lock(&s->mu);
	q = s->in;
	if (grow((void **)&q->rl, &q->cap_rl, q->n_rl + 1, sizeof(*q->rl)) < 0) {
		s->st.dropped++;
		rc = -ENOMEM;
	} else {
		q->rl[q->n_rl++] = *r;
		queued(s);
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
