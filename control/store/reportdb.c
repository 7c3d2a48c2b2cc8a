/* SPDX-License-Identifier: MIT */
/* control/store/reportdb.c - the crawl report's figures by SQL aggregates over one crawl's rows. */
#include "control/store/reportdb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/store/atomicfile.h"

#define STEPS 60                        /* coverage points */

/* The SQL texts are this file's constant tables, formatted with numbers
 * only (the crawl id, times): no value of the database's or the user's
 * reaches them. */
#define SQL_MAX 1024
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

static int64_t int_of(const struct crawldb_val *v)
{
	return v->type == CRAWLDB_INT ? v->i :
	       v->type == CRAWLDB_TEXT ? strtoll(v->p, NULL, 10) : 0;
}

/* Runs sql with every "%1$lld" the crawl id. */
static int q(struct crawldb *db, int64_t id, const char *fmt,
	     crawldb_row_fn *fn, void *user)
{
	char sql[SQL_MAX];

	snprintf(sql, sizeof(sql), fmt, (long long)id);
	return crawldb_query(db, sql, fn, user);
}

/* ---- the crawl and its totals ------------------------------------------ */

struct head {
	struct report_data *d;
	bool found;
	int64_t started, ended;
};

static void utc(char *out, size_t cap, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* id, name, started_at, ended_at, host, config, crawlers */
static int head_row(void *user, const struct crawldb_val *c, size_t n)
{
	struct head *h = user;
	struct report_data *d = h->d;
	char start[40], end[40] = "still running";
	const char *name = n > 1 && c[1].type == CRAWLDB_TEXT ? c[1].p : NULL;
	const char *host = n > 4 && c[4].type == CRAWLDB_TEXT ? c[4].p : "?";
	const char *cfg = n > 5 && c[5].type == CRAWLDB_TEXT ? c[5].p : "";

	if (n < 7)
		return -EBADMSG;
	h->found = true;
	h->started = int_of(&c[2]);
	h->ended = c[3].type == CRAWLDB_NULL ? 0 : int_of(&c[3]);
	d->crawlers = (uint64_t)int_of(&c[6]);
	utc(start, sizeof(start), h->started);
	if (h->ended)
		utc(end, sizeof(end), h->ended);
	snprintf(d->title, sizeof(d->title), "devplane crawl %lld%s%.96s%s",
		 (long long)int_of(&c[0]), name ? " (round " : "",
		 name ? name : "", name ? ")" : "");
	snprintf(d->subtitle, sizeof(d->subtitle), "Started %s, ended %s; "
		 "%" PRIu64 " crawler%s (first: %.64s); %.160s", start, end,
		 d->crawlers, d->crawlers == 1 ? "" : "s", host, cfg);
	return 0;
}

static int totals_row(void *user, const struct crawldb_val *c, size_t n)
{
	struct report_data *d = user;

	if (n < 6)
		return -EBADMSG;
	d->seen = (uint64_t)int_of(&c[0]);
	d->visited = (uint64_t)int_of(&c[1]);
	d->answered = (uint64_t)int_of(&c[2]);
	d->verified = (uint64_t)int_of(&c[3]);
	d->hello = (uint64_t)int_of(&c[4]);
	d->status = (uint64_t)int_of(&c[5]);
	return 0;
}

static int one_int(void *user, const struct crawldb_val *c, size_t n)
{
	if (n >= 1 && c[0].type != CRAWLDB_NULL)
		*(int64_t *)user = int_of(&c[0]);
	return 0;
}

/* ---- coverage ------------------------------------------------------------ */

struct steps {
	uint64_t v[STEPS + 1];
};

/* step, count: counts per step (clamped into 0..STEPS). */
static int step_row(void *user, const struct crawldb_val *c, size_t n)
{
	struct steps *s = user;
	int64_t b;

	if (n < 2)
		return -EBADMSG;
	b = int_of(&c[0]);
	b = b < 0 ? 0 : b > STEPS ? STEPS : b;
	s->v[b] += (uint64_t)int_of(&c[1]);
	return 0;
}

static int coverage(struct report_data *d, struct crawldb *db, int64_t id,
		    int64_t start)
{
	static const char *const sql[3] = {
		"SELECT (added_at - %2$lld) / %3$lld, count(*) FROM crawl_queue"
		" WHERE crawl_id = %1$lld GROUP BY 1",
		"SELECT (finished_at - %2$lld) / %3$lld, count(*) FROM visits"
		" WHERE crawl_id = %1$lld AND answered = 1 AND finished_at IS"
		" NOT NULL GROUP BY 1",
		"SELECT (finished_at - %2$lld) / %3$lld, count(*) FROM visits"
		" WHERE crawl_id = %1$lld AND enr_verified = 1 AND finished_at"
		" IS NOT NULL GROUP BY 1",
	};
	struct steps s[3];
	int64_t end = start, step;
	char text[SQL_MAX];
	int rc;

	rc = q(db, id, "SELECT max(t) FROM (SELECT max(added_at) AS t FROM"
	       " crawl_queue WHERE crawl_id = %1$lld UNION ALL SELECT"
	       " max(finished_at) FROM visits WHERE crawl_id = %1$lld) AS m",
	       one_int, &end);
	if (rc)
		return rc;
	step = (end - start) / STEPS + 1;
	memset(s, 0, sizeof(s));
	for (int k = 0; k < 3 && !rc; k++) {
		snprintf(text, sizeof(text), sql[k], (long long)id,
			 (long long)start, (long long)step);
		rc = crawldb_query(db, text, step_row, &s[k]);
	}
	if (rc)
		return rc;
	d->series = calloc(STEPS + 1, sizeof(*d->series));
	if (!d->series)
		return -ENOMEM;
	d->n_series = STEPS + 1;
	for (int i = 0; i <= STEPS; i++) {
		struct report_point *p = &d->series[i];
		const struct report_point *prev = i ? p - 1 : NULL;

		/* Step i holds what happened before its end. */
		p->t_ms = (int64_t)(i + 1) * step;
		p->seen = (prev ? prev->seen : 0) + s[0].v[i];
		p->answered = (prev ? prev->answered : 0) + s[1].v[i];
		p->verified = (prev ? prev->verified : 0) + s[2].v[i];
	}
	return 0;
}

/* ---- categorical charts ---------------------------------------------- */

static int add_bar(struct report_group *g, const char *label, size_t len,
		   uint64_t n)
{
	struct report_bar *b;

	if (len >= REPORT_LABEL_MAX)
		len = REPORT_LABEL_MAX - 1;
	for (size_t i = 0; i < g->n; i++)
		if (strlen(g->bars[i].label) == len &&
		    !memcmp(g->bars[i].label, label, len)) {
			g->bars[i].n += n;
			return 0;
		}
	b = realloc(g->bars, (g->n + 1) * sizeof(*b));
	if (!b)
		return -ENOMEM;
	g->bars = b;
	b = &g->bars[g->n++];
	memcpy(b->label, label, len);
	b->label[len] = '\0';
	b->n = n;
	return 0;
}

/* label, count */
static int label_row(void *user, const struct crawldb_val *c, size_t n)
{
	char num[24];
	const char *l;

	if (n < 2)
		return -EBADMSG;
	if (c[0].type == CRAWLDB_TEXT) {
		l = c[0].p;
	} else if (c[0].type == CRAWLDB_INT) {
		snprintf(num, sizeof(num), "%lld", (long long)c[0].i);
		l = num;
	} else {
		l = "(none)";
	}
	return add_bar(user, l, strlen(l), (uint64_t)int_of(&c[1]));
}

/* text: comma-separated items, each counted once per row ("eth/68,snap/1"
 * or "eth,id,ip,secp256k1"). */
static int split_row(void *user, const struct crawldb_val *c, size_t n)
{
	const char *s, *e;
	int rc = 0;

	if (n < 1 || c[0].type != CRAWLDB_TEXT)
		return 0;
	for (s = c[0].p; *s && !rc; s = *e ? e + 1 : e) {
		e = strchr(s, ',');
		if (!e)
			e = s + strlen(s);
		if (e > s)
			rc = add_bar(user, s, (size_t)(e - s), 1);
	}
	return rc;
}

static struct report_group *group(struct report_data *d, const char *id,
				  const char *title, const char *what,
				  const char *category)
{
	struct report_group *g = &d->groups[d->n_groups++];

	memset(g, 0, sizeof(*g));
	snprintf(g->id, sizeof(g->id), "%s", id);
	snprintf(g->title, sizeof(g->title), "%s", title);
	snprintf(g->what, sizeof(g->what), "%s", what);
	snprintf(g->category, sizeof(g->category), "%s", category);
	return g;
}

static const struct {
	const char *id, *title, *what, *category, *sql;
	bool split;
} groups[] = {
	{ "clients", "Clients (Hello client name)", "nodes", "client",
	  "SELECT client_name, count(*) FROM visits WHERE crawl_id = %1$lld"
	  " AND client_name IS NOT NULL GROUP BY 1", false },
	{ "versions", "Client versions (name/version)", "nodes",
	  "client/version",
	  "SELECT client_name || '/' || coalesce(client_version, ''), count(*)"
	  " FROM visits WHERE crawl_id = %1$lld AND client_name IS NOT NULL"
	  " GROUP BY 1", false },
	{ "caps", "Capabilities (Hello)", "nodes", "capability",
	  "SELECT caps FROM visits WHERE crawl_id = %1$lld AND caps IS NOT"
	  " NULL", true },
	{ "eth", "eth versions (Status)", "nodes", "eth version",
	  "SELECT 'eth/' || CAST(eth_version AS TEXT), count(*) FROM visits"
	  " WHERE crawl_id = %1$lld AND eth_version IS NOT NULL GROUP BY 1",
	  false },
	{ "networks", "Networks (network id / genesis)", "nodes",
	  "network id / genesis",
	  "SELECT CAST(network_id AS TEXT) || ' / ' || substr(genesis, 1, 16),"
	  " count(*) FROM visits WHERE crawl_id = %1$lld AND network_id IS NOT"
	  " NULL GROUP BY 1", false },
	{ "forkids", "Fork ids (EIP-2124 hash / next)", "nodes",
	  "fork hash / next",
	  "SELECT fork_hash || ' / ' || CAST(fork_next AS TEXT), count(*) FROM"
	  " visits WHERE crawl_id = %1$lld AND fork_hash IS NOT NULL"
	  " GROUP BY 1", false },
	{ "enr-keys", "ENR keys (verified records)", "records", "key",
	  "SELECT enr_keys FROM visits WHERE crawl_id = %1$lld AND enr_keys IS"
	  " NOT NULL", true },
	{ "disc-errors", "Discovery outcomes (error classes)", "nodes",
	  "outcome",
	  "SELECT CASE WHEN disc_error IS NOT NULL THEN disc_error WHEN"
	  " answered = 1 THEN 'answered' ELSE 'no answer' END, count(*) FROM"
	  " visits WHERE crawl_id = %1$lld AND started_at IS NOT NULL"
	  " GROUP BY 1", false },
	{ "rlpx-errors", "RLPx outcomes (error classes)", "nodes", "outcome",
	  "SELECT coalesce(rlpx_error, 'status received'), count(*) FROM visits"
	  " WHERE crawl_id = %1$lld AND rlpx_tcp IS NOT NULL GROUP BY 1",
	  false },
};

/* ---- the neighbour graph -------------------------------------------------- */

struct pairs {
	uint64_t (*v)[2];
	size_t n;
};

/* value, count (values ascending) */
static int pair_row(void *user, const struct crawldb_val *c, size_t n)
{
	struct pairs *p = user;
	uint64_t (*nv)[2];

	if (n < 2)
		return -EBADMSG;
	nv = realloc(p->v, (p->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	p->v = nv;
	p->v[p->n][0] = (uint64_t)int_of(&c[0]);
	p->v[p->n][1] = (uint64_t)int_of(&c[1]);
	p->n++;
	return 0;
}

static int degrees(struct report_data *d, struct crawldb *db, int64_t id)
{
	/* [out, in][dialect]: SQLite keeps a row per pair, PostgreSQL an
	 * array per node. */
	static const char *const sql[2][2] = {
		{ "SELECT d, count(*) FROM (SELECT count(*) AS d FROM neighbors"
		  " WHERE crawl_id = %1$lld GROUP BY node_id) AS x GROUP BY d"
		  " ORDER BY d",
		  "SELECT cardinality(neighbor_ids) AS d, count(*) FROM neighbors"
		  " WHERE crawl_id = %1$lld GROUP BY d ORDER BY d" },
		{ "SELECT d, count(*) FROM (SELECT count(*) AS d FROM neighbors"
		  " WHERE crawl_id = %1$lld GROUP BY neighbor_id) AS x GROUP BY d"
		  " ORDER BY d",
		  "SELECT d, count(*) FROM (SELECT count(*) AS d FROM neighbors,"
		  " unnest(neighbor_ids) AS nb WHERE crawl_id = %1$lld GROUP BY"
		  " nb) AS x GROUP BY d ORDER BY d" },
	};
	static const char *const text[2][4] = {
		{ "degree-out", "Neighbour graph: out-degree",
		  "distinct nodes a node returned to FindNode", "nodes" },
		{ "degree-in", "Neighbour graph: in-degree",
		  "nodes that returned a node", "nodes" },
	};
	int rc = 0;

	for (int k = 0; k < 2 && !rc; k++) {
		struct report_hist *h = &d->hists[d->n_hists++];
		struct pairs p = { NULL, 0 };

		memset(h, 0, sizeof(*h));
		snprintf(h->id, sizeof(h->id), "%s", text[k][0]);
		snprintf(h->title, sizeof(h->title), "%s", text[k][1]);
		snprintf(h->what, sizeof(h->what), "%s", text[k][2]);
		snprintf(h->counted, sizeof(h->counted), "%s", text[k][3]);
		rc = q(db, id, sql[k][db->dialect == CRAWLSCHEMA_PG], pair_row,
		       &p);
		if (!rc)
			rc = report_hist_bins(h, (const uint64_t (*)[2])p.v, p.n);
		free(p.v);
	}
	return rc;
}

int reportdb_load(struct report_data *out, struct crawldb *db,
		  int64_t crawl_id)
{
	struct head h = { .d = out };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = q(db, crawl_id, "SELECT id, name, started_at, ended_at, host,"
	       " config, (SELECT count(*) FROM crawlers WHERE crawl_id ="
	       " %1$lld) FROM crawls WHERE id = %1$lld", head_row, &h);
	if (!rc && !h.found)
		rc = -ENOENT;
	if (!rc)
		rc = q(db, crawl_id, "SELECT"
		       " (SELECT count(*) FROM crawl_queue WHERE crawl_id = %1$lld),"
		       " (SELECT count(*) FROM visits WHERE crawl_id = %1$lld AND"
		       "  started_at IS NOT NULL),"
		       " (SELECT count(*) FROM visits WHERE crawl_id = %1$lld AND"
		       "  answered = 1),"
		       " (SELECT count(*) FROM visits WHERE crawl_id = %1$lld AND"
		       "  enr_verified = 1),"
		       " (SELECT count(*) FROM visits WHERE crawl_id = %1$lld AND"
		       "  client_id IS NOT NULL),"
		       " (SELECT count(*) FROM visits WHERE crawl_id = %1$lld AND"
		       "  eth_version IS NOT NULL)", totals_row, out);
	if (!rc)
		rc = coverage(out, db, crawl_id, h.started);
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]) && !rc; i++) {
		struct report_group *g = group(out, groups[i].id,
					       groups[i].title, groups[i].what,
					       groups[i].category);

		rc = q(db, crawl_id, groups[i].sql,
		       groups[i].split ? split_row : label_row, g);
	}
	if (!rc)
		rc = degrees(out, db, crawl_id);
	if (rc) {
		report_data_free(out);
		return rc == -ENOENT || rc == -ENOMEM ? rc : -EIO;
	}
	return 0;
}

int reportdb_write(struct crawldb *db, int64_t crawl_id, const char *path)
{
	struct report_data *d = calloc(1, sizeof(*d));
	char *html = NULL;
	size_t len = 0;
	int rc;

	if (!d)
		return -ENOMEM;
	rc = reportdb_load(d, db, crawl_id);
	if (rc) {
		if (rc == -EIO)
			fprintf(stderr, "report: %s\n", crawldb_error(db));
		free(d);
		return rc;
	}
	rc = report_html(&html, &len, d);
	if (!rc)
		rc = atomicfile_write_bytes(path, html, len);
	free(html);
	report_data_free(d);
	free(d);
	return rc;
}
