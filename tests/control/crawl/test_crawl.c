/* SPDX-License-Identifier: MIT */
/* tests/control/crawl/test_crawl.c - the crawler against simulated networks on a fake clock. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/enode.h"
#include "common/enr.h"
#include "control/crawl/crawl.h"
#include "control/crawl/crawl_rlpx.h"
#include "control/discv4/kad.h"
#include "control/base/localnode.h"
#include "control/store/crawlstore.h"
#include "control/store/crawldb.h"
#include "control/store/nodedb.h"
#include "control/store/sqlitestore.h"
#include "control/store/nodesjson.h"
#include "common/secp.h"
#include "tests/control/sim.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)

static struct kadtarget *g_kt;
static char g_dir[64];

static int group_setup(void **st)
{
	(void)st;
	snprintf(g_dir, sizeof(g_dir), "/tmp/test_crawl.XXXXXX");
	if (!mkdtemp(g_dir))
		return -1;
	return kadtarget_new(&g_kt, KADTARGET_DEFAULT_BITS, 42);
}

static int group_teardown(void **st)
{
	char cmd[128];

	(void)st;
	kadtarget_free(g_kt);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", g_dir, name);
}

/* ---- a nodes.json reader for geth's exact layout ---------------------- */

struct pnode {
	uint8_t id[32];
	uint64_t seq;
	char record[ENR_TEXT_MAX + ENODE_URL_MAX];
	int score;
	int64_t first, last, check;
};

static int64_t parse_time(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!strncmp(s, "0001-01-01T00:00:00Z", 20))
		return CRAWL_ZERO_TIME;
	if (!strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm))
		fail_msg("bad time %s", s);
	return (int64_t)timegm(&tm);
}

static void expect_hex(uint8_t *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* Parses the file line by line as nodesjson_fprint() lays it out; fails
 * the test on anything else. Returns the entries (malloc'd). */
static struct pnode *read_nodes(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	struct pnode *v = NULL, *cur = NULL;
	size_t cap = 0;
	char line[768];
	int lineno = 0;

	assert_non_null(f);
	*n = 0;
	while (fgets(line, sizeof(line), f)) {
		char *q;

		lineno++;
		if (lineno == 1) {
			assert_true(!strcmp(line, "{\n") || !strcmp(line, "{}"));
			continue;
		}
		if (!strcmp(line, "}"))
			break;
		if (!strncmp(line, "    \"", 5) && line[4 + 1 + 64] == '"') {
			assert_string_equal(line + 70, ": {\n");
			if (*n == cap) {
				cap = cap ? 2 * cap : 64;
				v = realloc(v, cap * sizeof(*v));
				assert_non_null(v);
			}
			cur = &v[(*n)++];
			memset(cur, 0, sizeof(*cur));
			expect_hex(cur->id, line + 5, 32);
			continue;
		}
		assert_non_null(cur);
		if (!strncmp(line, "    }", 5))
			continue;
		if (sscanf(line, "        \"seq\": %" SCNu64 ",", &cur->seq) == 1)
			continue;
		if (sscanf(line, "        \"score\": %d,", &cur->score) == 1)
			continue;
		if (!strncmp(line, "        \"record\": \"", 19)) {
			q = strchr(line + 19, '"');
			assert_non_null(q);
			*q = 0;
			snprintf(cur->record, sizeof(cur->record), "%s", line + 19);
			continue;
		}
		if (!strncmp(line, "        \"firstResponse\": \"", 26)) {
			cur->first = parse_time(line + 26);
			continue;
		}
		if (!strncmp(line, "        \"lastResponse\": \"", 25)) {
			cur->last = parse_time(line + 25);
			continue;
		}
		if (!strncmp(line, "        \"lastCheck\": \"", 22)) {
			cur->check = parse_time(line + 22);
			continue;
		}
		fail_msg("unexpected line %d: %s", lineno, line);
	}
	fclose(f);
	return v;
}

static const struct pnode *find_p(const struct pnode *v, size_t n,
				  const uint8_t pub[64])
{
	uint8_t id[32];

	kad_node_id(id, pub);
	for (size_t i = 0; i < n; i++)
		if (!memcmp(v[i].id, id, 32))
			return &v[i];
	return NULL;
}

/* The record is peer's signed ENR, or (want_enr false) may be its URL. */
static void check_record(const struct pnode *p, const struct sim_peer *pe,
			 bool want_enr)
{
	if (!strncmp(p->record, "enr:", 4)) {
		struct enr *r = malloc(sizeof(*r));
		uint8_t pub[64];

		assert_non_null(r);
		assert_true(enr_decode_text(r, p->record, strlen(p->record)) > 0);
		assert_int_equal(enr_verify(r), 0);
		assert_int_equal(enr_pubkey(pub, r), 0);
		assert_memory_equal(pub, pe->pub, 64);
		assert_int_equal(p->seq, r->seq);
		free(r);
		return;
	}
	assert_false(want_enr);
	struct enode e;

	assert_int_equal(enode_parse(&e, p->record, strlen(p->record)), 0);
	assert_memory_equal(e.pub, pe->pub, 64);
	assert_int_equal(e.udp, pe->port);
}

/* ---- simulated networks ------------------------------------------------- */

static void lo(uint8_t ip[16], uint8_t last)
{
	sim_ip4(ip, 127, 0, 0, last);
}

/* n engines on 127.0.0.1:20000+i, each bootstrapped from two earlier ones,
 * left to fill their tables for warm_ns. */
static void make_net(struct sim *s, unsigned n, uint64_t seed, uint64_t warm_ns)
{
	struct discv4_config c;
	uint8_t ip[16];

	memset(&c, 0, sizeof(c));
	sim_init(s, T0, seed);
	sim_set_net(s, 0, 1 * MS, 2 * MS);
	lo(ip, 1);
	for (unsigned i = 0; i < n; i++)
		assert_true(sim_add_engine(s, ip, (uint16_t)(20000 + i), &c) >= 0);
	for (unsigned i = 1; i < n; i++) {
		struct discv4_node b = sim_node(s, i - 1);

		assert_int_equal(discv4_add_bootnode(s->peers[i]->d, &b), 0);
		b = sim_node(s, (unsigned)(((uint64_t)i * 7919) % i));
		(void)discv4_add_bootnode(s->peers[i]->d, &b);
	}
	{
		struct discv4_node b = sim_node(s, n - 1);

		assert_int_equal(discv4_add_bootnode(s->peers[0]->d, &b), 0);
	}
	sim_run(s, warm_ns);
}

/* The crawler's own engine at 127.0.0.<last>:30303. */
static unsigned add_crawler(struct sim *s, uint8_t last)
{
	struct discv4_config c;
	uint8_t ip[16];
	int idx;

	memset(&c, 0, sizeof(c));
	c.no_refresh = true;
	lo(ip, last);
	idx = sim_add_engine(s, ip, 30303, &c);
	assert_true(idx >= 0);
	return (unsigned)idx;
}

static void run_crawl(struct sim *s, struct crawl *c, uint64_t max_ns)
{
	uint64_t end = s->now + max_ns;

	crawl_on_timer(c, s->now);
	while (!crawl_done(c) && s->now < end) {
		sim_run(s, 1 * MS);
		crawl_on_timer(c, s->now);
	}
}

/* The current test's output (nodes.json and the database), written by
 * the store's thread from the crawler's results, as in `devplane crawl`. */
static struct crawlstore *g_out;

static struct crawl_config base_cfg(const char *out, struct crawldb *db)
{
	struct crawlstore_config sc = { .json_path = out, .db = db };
	struct crawl_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.kt = g_kt;
	if (out || db) {
		assert_null(g_out);
		assert_int_equal(crawlstore_new(&g_out, &sc), 0);
		cfg.on_out = crawlstore_on_crawl;
		cfg.out_user = g_out;
	}
	return cfg;
}

/* Everything the crawler emitted so far, on disk. The store's thread is
 * idle afterwards until the next result, so the test may read the
 * database meanwhile. */
static int out_flush(void)
{
	return crawlstore_flush(g_out);
}

static void out_close(void)
{
	assert_int_equal(crawlstore_close(g_out), 0);
	g_out = NULL;
}

/* Frees the crawler, then closes the output (its last write). */
static void end_crawl(struct crawl *c)
{
	crawl_free(c);
	if (g_out)
		out_close();
}

static unsigned g_lines;

static void progress_cb(void *user, const char *line)
{
	(void)user;
	assert_non_null(strstr(line, "crawl: seen "));
	assert_non_null(strstr(line, "packets/s"));
	g_lines++;
}

/* 200 engines, one bootnode: every node found, answered, ENR verified, in
 * nodes.json with score 1 and its signed record, and in the database. */
static void test_crawl_finds_every_node_of_200(void **st)
{
	const unsigned N = 200;
	struct crawl_config cfg;
	struct crawl_stats cs;
	struct crawldb *db;
	struct crawl *c;
	struct pnode *v;
	struct sim s;
	char out[128], dbp[128], sum[1024];
	unsigned me, found = 0;
	struct discv4_node boot;
	size_t n;
	uint64_t t_start;

	(void)st;
	make_net(&s, N, 11, 30 * SEC);
	me = add_crawler(&s, 2);
	path_of(out, sizeof(out), "nodes200.json");
	path_of(dbp, sizeof(dbp), "crawl200.sqlite");
	assert_int_equal(crawldb_open(&db, dbp), 0);
	cfg = base_cfg(out, db);
	cfg.progress = progress_cb;
	cfg.progress_ns = 1 * SEC;
	assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
	boot = sim_node(&s, 0);
	assert_int_equal(crawl_add_seed(c, &boot), 0);
	assert_int_equal(crawl_add_seed(c, &boot), -EEXIST);
	boot = sim_node(&s, me);
	assert_int_equal(crawl_add_seed(c, &boot), -EINVAL);  /* ourselves */
	t_start = s.now;
	run_crawl(&s, c, 600 * SEC);
	assert_true(crawl_done(c));
	crawl_progress(c, &cs);
	crawl_format_summary(c, s.now, sum, sizeof(sum));
	print_message("%s\n(%.1f s simulated, %u progress lines)\n", sum,
		      (double)(s.now - t_start) / 1e9, g_lines);
	assert_false(cs.timed_out);
	assert_true(g_lines > 0);
	assert_int_equal(cs.seen, N);
	assert_int_equal(cs.queued, 0);
	assert_int_equal(cs.active, 0);
	assert_int_equal(cs.checked, N);
	assert_true(cs.answered >= N * 95 / 100);
	assert_true(cs.enr_verified >= N * 95 / 100);
	assert_int_equal(out_flush(), 0);

	v = read_nodes(out, &n);
	assert_int_equal(n, cs.in_output);
	for (unsigned i = 0; i < N; i++) {
		const struct pnode *p = find_p(v, n, s.peers[i]->pub);

		if (!p)
			continue;
		found++;
		check_record(p, s.peers[i], false);
		assert_int_equal(p->score, 1);
		assert_true(p->first >= (int64_t)(t_start / SEC));
		assert_true(p->first <= (int64_t)(s.now / SEC));
		assert_true(p->last >= p->first);
		assert_true(p->check <= p->first);
		assert_true(p->check >= (int64_t)(t_start / SEC));
	}
	assert_int_equal(found, n);
	assert_true(found >= N * 95 / 100);
	assert_int_equal(nodedb_count(sqlitestore_nodedb(db), "crawl_nodes"), N);
	free(v);
	sim_fini(&s);
	end_crawl(c);
	crawldb_close(db);
}

/* Seeds that never answer are given up after the retries (500 ms each)
 * while live nodes keep being crawled; the crawl ends on its own. */
static void test_crawl_dead_seeds_do_not_stall(void **st)
{
	const unsigned N = 30, DEAD = 40;
	struct crawl_config cfg;
	struct crawl_stats cs;
	struct crawl *c;
	struct sim s;
	unsigned me;
	uint64_t t0;

	(void)st;
	make_net(&s, N, 12, 30 * SEC);
	me = add_crawler(&s, 2);
	cfg = base_cfg(NULL, NULL);
	cfg.parallel = 4;
	assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
	for (unsigned i = 0; i < DEAD; i++) {
		uint8_t ip[16];
		int r;

		sim_ip4(ip, 127, 0, 1, (uint8_t)(i + 1));
		r = sim_add_raw(&s, ip, 40000);
		assert_true(r >= 0);
		struct discv4_node dn = sim_node(&s, (unsigned)r);

		assert_int_equal(crawl_add_seed(c, &dn), 0);
	}
	{
		struct discv4_node b = sim_node(&s, 5);

		assert_int_equal(crawl_add_seed(c, &b), 0);
	}
	t0 = s.now;
	run_crawl(&s, c, 300 * SEC);
	crawl_progress(c, &cs);
	assert_true(cs.done);
	assert_false(cs.timed_out);
	assert_int_equal(cs.fail[CRAWL_FAIL_TIMEOUT], DEAD);
	assert_int_equal(cs.answered, N);
	assert_int_equal(cs.enr_verified, N);
	/* 40 dead seeds x 2 attempts x ~0.5 s over 4 slots is ~10 s. */
	assert_true(s.now - t0 < 40 * SEC);
	sim_fini(&s);
	end_crawl(c);
}

/* A second crawl seeded from the first one's nodes.json: live nodes go to
 * score + 1 keeping firstResponse, a node that stopped answering is halved
 * (score 4 -> 2, times kept, lastCheck moved), one with score 1 is dropped
 * from nodes.json (kept in the database with score 0). */
static void test_crawl_scores_from_prior_nodes_json(void **st)
{
	const unsigned N = 12;
	struct crawl_config cfg;
	struct crawl_stats cs;
	struct crawl *c;
	struct crawldb *db;
	struct pnode *v1, *v2;
	struct sim s;
	char out1[128], out2[128], dbp[128];
	unsigned me;
	size_t n1, n2;
	const struct pnode *p, *q;

	(void)st;
	make_net(&s, N, 13, 30 * SEC);
	me = add_crawler(&s, 2);
	path_of(out1, sizeof(out1), "first.json");
	path_of(out2, sizeof(out2), "second.json");
	path_of(dbp, sizeof(dbp), "second.sqlite");
	cfg = base_cfg(out1, NULL);
	assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
	{
		struct discv4_node b = sim_node(&s, 0);

		assert_int_equal(crawl_add_seed(c, &b), 0);
	}
	run_crawl(&s, c, 120 * SEC);
	assert_true(crawl_done(c));
	assert_int_equal(out_flush(), 0);
	end_crawl(c);
	v1 = read_nodes(out1, &n1);
	assert_int_equal(n1, N);

	/* Two minutes later nodes 3 and 4 are gone (nothing listens there). */
	sim_run(&s, 120 * SEC);
	s.peers[3]->port = 1;
	s.peers[4]->port = 2;
	me = add_crawler(&s, 3);
	assert_int_equal(crawldb_open(&db, dbp), 0);
	cfg = base_cfg(out2, db);
	assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
	for (size_t i = 0; i < n1; i++) {
		struct crawl_prior e;

		memset(&e, 0, sizeof(e));
		memcpy(e.id, v1[i].id, 32);
		e.seq = v1[i].seq;
		e.record = v1[i].record;
		e.score = v1[i].score;
		e.first_response = v1[i].first;
		e.last_response = v1[i].last;
		e.last_check = v1[i].check;
		p = find_p(v1, n1, s.peers[3]->pub);
		if (p == &v1[i])
			e.score = 4;
		assert_int_equal(crawl_add_prior(c, &e), 0);
		assert_int_equal(crawl_add_prior(c, &e), -EEXIST);
	}
	{
		/* A record whose id does not match is refused. */
		struct crawl_prior e;

		memset(&e, 0, sizeof(e));
		e.record = v1[0].record;
		e.score = 1;
		assert_int_equal(crawl_add_prior(c, &e), -EKEYREJECTED);
		e.record = "enode://zz@127.0.0.1:1";
		assert_int_equal(crawl_add_prior(c, &e), -EINVAL);
	}
	run_crawl(&s, c, 120 * SEC);
	assert_true(crawl_done(c));
	crawl_progress(c, &cs);
	/* The first crawler's engine is in the nodes' tables by now, and
	 * it answers like any node: N - 2 + 1. */
	assert_int_equal(cs.seen, N + 1);
	assert_int_equal(cs.answered, N - 1);
	assert_int_equal(cs.fail[CRAWL_FAIL_TIMEOUT], 2);
	assert_int_equal(out_flush(), 0);
	v2 = read_nodes(out2, &n2);
	assert_int_equal(n2, N);                /* node 4 dropped */
	assert_null(find_p(v2, n2, s.peers[4]->pub));
	for (unsigned i = 0; i < N; i++) {
		if (i == 4)
			continue;
		p = find_p(v1, n1, s.peers[i]->pub);
		q = find_p(v2, n2, s.peers[i]->pub);
		assert_non_null(p);
		assert_non_null(q);
		check_record(q, s.peers[i], true);
		assert_int_equal(q->first, p->first);
		assert_true(q->check >= p->check + 120);
		if (i == 3) {
			assert_int_equal(q->score, 2);
			assert_int_equal(q->last, p->last);
		} else {
			assert_int_equal(q->score, 2);
			assert_true(q->last >= p->last + 120);
		}
	}
	assert_int_equal(nodedb_count(sqlitestore_nodedb(db), "crawl_nodes"), N + 1);
	free(v1);
	free(v2);
	sim_fini(&s);
	end_crawl(c);
	crawldb_close(db);
}

/* Interrupted: stop a crawl halfway, flush, and the file parses and holds
 * exactly the nodes answered so far; the database holds every node seen.
 * Then the timeout stops the crawl. */
static void test_crawl_interrupted_flush_and_timeout(void **st)
{
	const unsigned N = 80;
	struct crawl_config cfg;
	struct crawl_stats cs;
	struct crawldb *db;
	struct crawl *c;
	struct pnode *v;
	struct sim s;
	char out[128], dbp[128];
	unsigned me, answered = 0;
	size_t n;
	uint64_t t0;

	(void)st;
	make_net(&s, N, 14, 30 * SEC);
	me = add_crawler(&s, 2);
	path_of(out, sizeof(out), "partial.json");
	path_of(dbp, sizeof(dbp), "partial.sqlite");
	assert_int_equal(crawldb_open(&db, dbp), 0);
	cfg = base_cfg(out, db);
	cfg.parallel = 2;
	cfg.timeout_ns = 3 * SEC;
	assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
	{
		struct discv4_node b = sim_node(&s, 0);

		assert_int_equal(crawl_add_seed(c, &b), 0);
	}
	t0 = s.now;
	crawl_on_timer(c, s.now);
	do {
		sim_run(&s, 1 * MS);
		crawl_on_timer(c, s.now);
		crawl_progress(c, &cs);
	} while (cs.answered < 10);
	assert_false(crawl_done(c));
	assert_int_equal(out_flush(), 0);
	v = read_nodes(out, &n);
	assert_int_equal(n, cs.answered);
	for (size_t i = 0; i < n; i++) {
		int k = -1;

		for (unsigned j = 0; j < N; j++) {
			uint8_t id[32];

			kad_node_id(id, s.peers[j]->pub);
			if (!memcmp(id, v[i].id, 32))
				k = (int)j;
		}
		assert_true(k >= 0);
		check_record(&v[i], s.peers[k], false);
		assert_int_equal(v[i].score, 1);
		answered++;
	}
	free(v);
	assert_int_equal(nodedb_count(sqlitestore_nodedb(db), "crawl_nodes"), cs.seen);
	assert_true(cs.seen > answered);

	/* The timeout ends it before the 80 nodes are done with 2 slots. */
	run_crawl(&s, c, 60 * SEC);
	crawl_progress(c, &cs);
	assert_true(cs.done);
	assert_true(cs.timed_out);
	assert_true(s.now - t0 <= 3 * SEC + 2 * MS);
	assert_int_equal(crawl_next_deadline(c) == UINT64_MAX, true);
	assert_int_equal(out_flush(), 0);
	v = read_nodes(out, &n);
	assert_int_equal(n, cs.in_output);
	assert_true(n >= answered);
	free(v);
	sim_fini(&s);
	end_crawl(c);
	crawldb_close(db);
}

/* ---- ethereumjs-like peers: Pong, ping back, nothing else ------------ */

/* The engine's hooks, forwarded to the crawler as a host does. */
static struct crawl *g_hooked;

static void hook_seen(void *user, const struct discv4_node *n, uint64_t now)
{
	(void)user;
	crawl_on_node_seen(g_hooked, n, now);
}

static void hook_bond(void *user, const struct discv4_node *n, uint64_t now)
{
	(void)user;
	crawl_on_bond(g_hooked, n, now);
}

static unsigned add_hooked_crawler(struct sim *s, uint8_t last)
{
	struct discv4_config c;
	uint8_t ip[16];
	int idx;

	memset(&c, 0, sizeof(c));
	c.no_refresh = true;
	c.on_node_seen = hook_seen;
	c.on_bond = hook_bond;
	lo(ip, last);
	idx = sim_add_engine(s, ip, 30303, &c);
	assert_true(idx >= 0);
	return (unsigned)idx;
}

/* A raw peer playing ethereumjs 10's DPT as our dataplane sees it: it
 * answers Pings with a valid Pong and pings a new pinger back (it adds
 * every pinger to its table); its Neighbors are over 1280 bytes, which the
 * dataplane drops, and it has no EIP-868 (no enr-seq in its Ping and
 * Pong), so FindNode gets nothing and an ENRRequest is junk to it. With
 * eip868 set it plays a node that has it. */
struct ejs {
	unsigned idx;
	uint64_t up_at;                 /* silent (busy, offline) before */
	bool eip868;                    /* enr-seq in its Ping and Pong */
	uint64_t enr_from;              /* answers ENRRequests from then on
					 * (0: never, as ethereumjs) */
	bool pinged_back;
	unsigned pings, findnodes, enrreqs;
};

/* one_ejs() starts simulation s (seed, 1-2 ms links) with one scripted
 * ethereumjs-like peer on 127.0.0.1:20000, *e, all its behaviour zero. */
static void one_ejs(struct sim *s, struct ejs *e, uint64_t seed)
{
	uint8_t ip[16];
	int r;

	sim_init(s, T0, seed);
	sim_set_net(s, 0, 1 * MS, 2 * MS);
	lo(ip, 1);
	r = sim_add_raw(s, ip, 20000);
	assert_true(r >= 0);
	memset(e, 0, sizeof(*e));
	e->idx = (unsigned)r;
}

/* ejs_enr_response() answers ENRRequest rx with peer idx's signed record. */
static void ejs_enr_response(struct sim *s, unsigned idx,
			     const struct sim_rx *rx)
{
	struct discv4_packet p;
	struct localnode ln;
	ssize_t n;

	assert_int_equal(localnode_init(&ln, s->peers[idx]->priv, 0,
					sim_node(s, idx).ep.udp, 0), 0);
	assert_int_equal(localnode_update(&ln, s->now), 1);
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_ENRRESPONSE;
	memcpy(p.u.enrresponse.request_hash, rx->hash, 32);
	n = enr_encode(p.u.enrresponse.enr, sizeof(p.u.enrresponse.enr),
		       localnode_record(&ln));
	assert_true(n > 0);
	p.u.enrresponse.enr_len = (uint16_t)n;
	assert_int_equal(sim_send_raw(s, idx, rx->from, &p, NULL), 0);
	localnode_fini(&ln);
}

static void ejs_ping(struct sim *s, unsigned from, unsigned to, bool eip868)
{
	struct discv4_packet p;
	struct discv4_node me = sim_node(s, from), them = sim_node(s, to);

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PING;
	p.u.ping.version = 4;
	p.u.ping.from = me.ep;
	p.u.ping.to = them.ep;
	p.u.ping.expiration = s->now / SEC + 20;
	p.u.ping.has_enr_seq = eip868;
	p.u.ping.enr_seq = eip868 ? 1 : 0;
	assert_int_equal(sim_send_raw(s, from, to, &p, NULL), 0);
}

static void ejs_serve(struct sim *s, struct ejs *e, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		struct sim_peer *pe = s->peers[e[k].idx];

		for (size_t i = 0; i < pe->n_inbox && s->now >= e[k].up_at;
		     i++) {
			const struct sim_rx *rx = &pe->inbox[i];
			struct discv4_packet p;

			switch (rx->pkt.type) {
			case DISCV4_PING:
				e[k].pings++;
				memset(&p, 0, sizeof(p));
				p.type = DISCV4_PONG;
				p.u.pong.to = sim_node(s, rx->from).ep;
				memcpy(p.u.pong.ping_hash, rx->hash, 32);
				p.u.pong.expiration = s->now / SEC + 20;
				p.u.pong.has_enr_seq = e[k].eip868;
				p.u.pong.enr_seq = e[k].eip868 ? 1 : 0;
				assert_int_equal(sim_send_raw(s, e[k].idx,
							      rx->from, &p,
							      NULL), 0);
				if (!e[k].pinged_back) {
					e[k].pinged_back = true;
					ejs_ping(s, e[k].idx, rx->from,
						 e[k].eip868);
				}
				break;
			case DISCV4_FINDNODE:
				e[k].findnodes++;
				break;
			case DISCV4_ENRREQUEST:
				e[k].enrreqs++;
				if (e[k].enr_from && s->now >= e[k].enr_from)
					ejs_enr_response(s, e[k].idx, rx);
				break;
			default:
				break;
			}
		}
		pe->n_inbox = 0;
	}
}

static void run_ejs(struct sim *s, struct crawl *c, struct ejs *e, unsigned n,
		    uint64_t max_ns)
{
	uint64_t end = s->now + max_ns;

	crawl_on_timer(c, s->now);
	while (!crawl_done(c) && s->now < end) {
		sim_run(s, 1 * MS);
		ejs_serve(s, e, n);
		crawl_on_timer(c, s->now);
	}
}

/* A seed that only answers Pings (Neighbors dropped, no EIP-868) is a
 * live node: answered by Pong, score 1, its enode URL as record; it got
 * every FindNode attempt and, its Pong having no enr-seq, no ENRRequest
 * (no failure either). Without the on_bond hook the same node is a
 * failure (the test can fail). */
static void test_crawl_pong_only_node_is_live(void **st)
{
	struct crawl_config cfg;
	struct crawl_stats cs;
	struct ejs e[1];
	struct crawl *c;
	struct pnode *v;
	struct sim s;
	struct discv4_node dn;
	char out[128];
	unsigned me;
	size_t n;

	(void)st;
	one_ejs(&s, e, 21);
	me = add_hooked_crawler(&s, 2);
	path_of(out, sizeof(out), "ponly.json");
	cfg = base_cfg(out, NULL);
	assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
	g_hooked = c;
	dn = sim_node(&s, e[0].idx);
	assert_int_equal(crawl_add_seed(c, &dn), 0);
	run_ejs(&s, c, e, 1, 60 * SEC);
	g_hooked = NULL;
	crawl_progress(c, &cs);
	assert_true(cs.done);
	assert_false(cs.timed_out);
	assert_int_equal(cs.seen, 1);
	assert_int_equal(cs.answered, 1);
	assert_int_equal(cs.pong_only, 1);
	assert_int_equal(cs.enr_verified, 0);
	assert_int_equal(cs.findnode_ok, 0);
	assert_int_equal(cs.fail[CRAWL_FAIL_TIMEOUT], 0);
	assert_int_equal(cs.fail[CRAWL_FAIL_ENR_TIMEOUT], 0);
	assert_int_equal(cs.enr_skipped, 1);
	assert_int_equal(cs.enr_sent, 0);
	assert_int_equal(e[0].findnodes, 2);     /* first contact + retry */
	assert_int_equal(e[0].enrreqs, 0);       /* no EIP-868: not asked */
	assert_true(e[0].pings >= 1);
	assert_int_equal(cs.in_output, 1);
	assert_int_equal(out_flush(), 0);
	v = read_nodes(out, &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].score, 1);
	assert_int_equal(v[0].seq, 0);
	assert_int_equal(strncmp(v[0].record, "enode://", 8), 0);
	check_record(&v[0], s.peers[e[0].idx], false);
	assert_true(v[0].first >= v[0].check);
	free(v);
	sim_fini(&s);
	end_crawl(c);

	/* The same without the hooks: no proof of liveness, not answered. */
	one_ejs(&s, e, 21);
	me = add_crawler(&s, 2);
	cfg = base_cfg(NULL, NULL);
	assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
	dn = sim_node(&s, e[0].idx);
	assert_int_equal(crawl_add_seed(c, &dn), 0);
	run_ejs(&s, c, e, 1, 60 * SEC);
	crawl_progress(c, &cs);
	assert_true(cs.done);
	assert_int_equal(cs.answered, 0);
	assert_int_equal(cs.fail[CRAWL_FAIL_TIMEOUT], 1);
	sim_fini(&s);
	end_crawl(c);
}

/* Nodes nobody tells us about but that ping the crawler (as ethereumjs
 * nodes do once they learnt our endpoint) are learnt from their Pings,
 * checked and found live, also while the crawl lingers with an empty
 * queue; with CRAWL_NO_LINGER the crawl ends before the late pinger. */
static void test_crawl_learns_from_inbound_pings(void **st)
{
	const unsigned K = 4;
	struct crawl_config cfg;
	struct crawl_stats cs;
	struct ejs e[4];
	struct crawl *c;
	struct pnode *v;
	struct sim s;
	struct discv4_node dn;
	char out[128];
	unsigned me;
	size_t n;

	(void)st;
	for (int pass = 0; pass < 2; pass++) {
		uint64_t t0;
		bool late_sent = false;

		sim_init(&s, T0, 22);
		sim_set_net(&s, 0, 1 * MS, 2 * MS);
		memset(e, 0, sizeof(e));
		for (unsigned i = 0; i < K; i++) {
			uint8_t ip[16];
			int r;

			lo(ip, (uint8_t)(10 + i));
			r = sim_add_raw(&s, ip, 20000);
			assert_true(r >= 0);
			e[i].idx = (unsigned)r;
		}
		me = add_hooked_crawler(&s, 2);
		path_of(out, sizeof(out), "inbound.json");
		cfg = base_cfg(out, NULL);
		if (pass == 1)
			cfg.linger_ns = CRAWL_NO_LINGER;
		assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
		g_hooked = c;
		/* Only e[0] is a seed; e[1] and e[2] ping us at once (they
		 * learnt us elsewhere), e[3] 1 s after the queue ran dry. */
		dn = sim_node(&s, e[0].idx);
		assert_int_equal(crawl_add_seed(c, &dn), 0);
		t0 = s.now;
		ejs_ping(&s, e[1].idx, me, false);
		ejs_ping(&s, e[2].idx, me, false);
		e[1].pinged_back = e[2].pinged_back = true;
		crawl_on_timer(c, s.now);
		while (!crawl_done(c) && s.now < t0 + 60 * SEC) {
			sim_run(&s, 1 * MS);
			ejs_serve(&s, e, K);
			crawl_progress(c, &cs);
			if (!late_sent && cs.checked == 3 && cs.active == 0 &&
			    cs.queued == 0) {
				late_sent = true;
				sim_run(&s, 1 * SEC);
				ejs_ping(&s, e[3].idx, me, false);
				e[3].pinged_back = true;
			}
			crawl_on_timer(c, s.now);
		}
		g_hooked = NULL;
		crawl_progress(c, &cs);
		assert_true(cs.done);
		assert_false(cs.timed_out);
		if (pass == 1) {
			/* Done the moment the queue ran dry. */
			assert_int_equal(cs.seen, 3);
			assert_int_equal(cs.answered, 3);
			assert_int_equal(cs.inbound, 2);
			assert_int_equal(cs.linger_ns, 0);
			sim_fini(&s);
			end_crawl(c);
			break;
		}
		assert_true(late_sent);
		assert_int_equal(cs.seen, K);
		assert_int_equal(cs.inbound, K - 1);
		assert_int_equal(cs.answered, K);
		assert_int_equal(cs.pong_only, K);
		assert_int_equal(cs.checked, K);
		assert_int_equal(cs.linger_ns, CRAWL_DEFAULT_LINGER_NS);
		assert_int_equal(out_flush(), 0);
		v = read_nodes(out, &n);
		assert_int_equal(n, K);
		for (unsigned i = 0; i < K; i++) {
			const struct pnode *p = find_p(v, n,
						       s.peers[e[i].idx]->pub);

			assert_non_null(p);
			assert_int_equal(p->score, 1);
			check_record(p, s.peers[e[i].idx], false);
		}
		free(v);
		sim_fini(&s);
		end_crawl(c);
	}
}

/* With a timeout the crawl runs until it: a seed that is silent at first
 * (a busy or restarting node) is checked again in a later round and
 * counted answered once, as is a node that joined our bootnode's table
 * after the first sweep. Without a timeout the crawl ends after the linger
 * and both are missed. */
static void test_crawl_rounds_until_timeout(void **st)
{
	const unsigned N = 10;
	struct crawl_config cfg;
	struct crawl_stats cs;
	struct ejs e[1];
	struct crawl *c;
	struct sim s;
	struct discv4_node dn;
	unsigned me, late;
	uint8_t ip[16];
	int r;

	(void)st;
	for (int pass = 0; pass < 2; pass++) {
		uint64_t t0;
		bool joined = false;

		make_net(&s, N, 23, 30 * SEC);
		sim_ip4(ip, 127, 0, 3, 1);
		r = sim_add_raw(&s, ip, 20000);
		assert_true(r >= 0);
		memset(e, 0, sizeof(e));
		e[0].idx = (unsigned)r;
		e[0].up_at = s.now + 3 * SEC;
		me = add_hooked_crawler(&s, 2);
		cfg = base_cfg(NULL, NULL);
		if (pass == 0)
			cfg.timeout_ns = 30 * SEC;
		assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
		g_hooked = c;
		dn = sim_node(&s, e[0].idx);
		assert_int_equal(crawl_add_seed(c, &dn), 0);
		dn = sim_node(&s, 0);
		assert_int_equal(crawl_add_seed(c, &dn), 0);
		t0 = s.now;
		late = N;
		crawl_on_timer(c, s.now);
		while (!crawl_done(c) && s.now < t0 + 60 * SEC) {
			sim_run(&s, 1 * MS);
			ejs_serve(&s, e, 1);
			if (!joined && s.now >= t0 + 4 * SEC) {
				/* A new node joins node 0's table only. */
				struct discv4_config dc;

				joined = true;
				memset(&dc, 0, sizeof(dc));
				dc.no_refresh = true;
				sim_ip4(ip, 127, 0, 4, 1);
				late = (unsigned)sim_add_engine(&s, ip, 20000,
								&dc);
				dn = sim_node(&s, late);
				assert_int_equal(discv4_add_bootnode(
					s.peers[0]->d, &dn), 0);
				discv4_refresh(s.peers[0]->d, s.now);
				sim_touch(&s, 0);
			}
			crawl_on_timer(c, s.now);
		}
		g_hooked = NULL;
		crawl_progress(c, &cs);
		assert_true(cs.done);
		if (pass == 0) {
			assert_true(cs.timed_out);
			assert_true(cs.rounds >= 1);
			assert_int_equal(cs.seen, N + 2);
			assert_int_equal(cs.answered, N + 2);
			assert_int_equal(cs.fail[CRAWL_FAIL_TIMEOUT], 0);
		} else {
			assert_false(cs.timed_out);
			assert_int_equal(cs.rounds, 0);
			assert_int_equal(cs.answered, N);
			assert_int_equal(cs.fail[CRAWL_FAIL_TIMEOUT], 1);
		}
		sim_fini(&s);
		end_crawl(c);
	}
}

/* A node whose ENRResponses were all lost in the first round (it answers
 * Pings, never FindNode) has its ENR asked again in a re-check round and
 * verified; each round asks it at most 1 + retries times. */
static void test_crawl_recheck_asks_enr_again(void **st)
{
	struct crawl_config cfg;
	struct crawl_stats cs;
	struct ejs e[1];
	struct crawl *c;
	struct sim s;
	struct discv4_node dn;
	unsigned me;

	(void)st;
	one_ejs(&s, e, 29);
	e[0].eip868 = true;
	e[0].enr_from = s.now + 8 * SEC;        /* after round one gave up */
	me = add_hooked_crawler(&s, 2);
	cfg = base_cfg(NULL, NULL);
	cfg.timeout_ns = 30 * SEC;
	assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
	g_hooked = c;
	dn = sim_node(&s, e[0].idx);
	assert_int_equal(crawl_add_seed(c, &dn), 0);
	run_ejs(&s, c, e, 1, 60 * SEC);
	g_hooked = NULL;
	crawl_progress(c, &cs);
	assert_true(cs.done);
	assert_true(cs.rounds >= 1);
	assert_int_equal(cs.answered, 1);
	assert_int_equal(cs.enr_verified, 1);
	assert_int_equal(cs.fail[CRAWL_FAIL_ENR_TIMEOUT], 0);
	assert_true(e[0].enrreqs > 2);          /* round one asked twice */
	sim_fini(&s);
	end_crawl(c);
}

/* Two Pong-only seeds, one without EIP-868 (no enr-seq in its Ping and
 * Pong: ethereumjs) and one with it: only the second gets ENRRequests
 * and ends with its verified record; the first is still a live node, with
 * its enode URL, and no ENR failure is counted for it. */
static void test_crawl_asks_enr_only_with_enr_seq(void **st)
{
	struct crawl_config cfg;
	struct crawl_stats cs;
	struct ejs e[2];
	struct crawl *c;
	struct pnode *v;
	struct sim s;
	char out[128];
	unsigned me;
	size_t n;

	(void)st;
	sim_init(&s, T0, 31);
	sim_set_net(&s, 0, 1 * MS, 2 * MS);
	memset(e, 0, sizeof(e));
	for (unsigned i = 0; i < 2; i++) {
		uint8_t ip[16];
		int r;

		lo(ip, (uint8_t)(20 + i));
		r = sim_add_raw(&s, ip, 20000);
		assert_true(r >= 0);
		e[i].idx = (unsigned)r;
	}
	e[1].eip868 = true;
	e[1].enr_from = s.now;
	me = add_hooked_crawler(&s, 2);
	path_of(out, sizeof(out), "eip868.json");
	cfg = base_cfg(out, NULL);
	assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
	g_hooked = c;
	for (unsigned i = 0; i < 2; i++) {
		struct discv4_node dn = sim_node(&s, e[i].idx);

		assert_int_equal(crawl_add_seed(c, &dn), 0);
	}
	run_ejs(&s, c, e, 2, 60 * SEC);
	g_hooked = NULL;
	crawl_progress(c, &cs);
	assert_true(cs.done);
	assert_int_equal(cs.answered, 2);
	assert_int_equal(e[0].enrreqs, 0);
	assert_true(e[1].enrreqs >= 1);
	assert_int_equal(cs.enr_sent, e[1].enrreqs);
	assert_int_equal(cs.enr_skipped, 1);
	assert_int_equal(cs.enr_verified, 1);
	assert_int_equal(cs.fail[CRAWL_FAIL_ENR_TIMEOUT], 0);
	assert_int_equal(cs.fail[CRAWL_FAIL_ENR_INVALID], 0);
	assert_int_equal(out_flush(), 0);
	v = read_nodes(out, &n);
	assert_int_equal(n, 2);
	for (unsigned i = 0; i < 2; i++) {
		const struct pnode *p = find_p(v, n, s.peers[e[i].idx]->pub);

		assert_non_null(p);
		check_record(p, s.peers[e[i].idx], false);
		assert_non_null(strstr(p->record, i ? "enr:" : "enode://"));
		assert_true(strstr(p->record, i ? "enr:" : "enode://") ==
			    p->record);
	}
	free(v);
	sim_fini(&s);
	end_crawl(c);
}

/* ---- a hostile node: every FindNode answered with fresh node ids ----- */

struct hostile {
	unsigned idx;
	unsigned findnodes;
	uint32_t next_key;              /* fresh keys: 1, 2, 3, ... */
	bool pinged_back;
};

/* A valid public key nobody in the simulation has. */
static void fresh_node(struct discv4_node *n, struct hostile *h)
{
	uint8_t priv[32] = { 0 };
	uint32_t k = ++h->next_key;

	priv[0] = 0x55;                 /* away from the sim's keys */
	memcpy(priv + 28, &k, sizeof(k));
	memset(n, 0, sizeof(*n));
	assert_int_equal(secp_pub_from_priv(n->id, priv), 0);
	sim_ip4(n->ep.ip, 127, 0, (uint8_t)(100 + (k >> 8) % 100), (uint8_t)k);
	n->ep.ip_len = 4;
	n->ep.udp = (uint16_t)(20000 + k % 20000);
	n->ep.tcp = n->ep.udp;
}

/* Pongs and one ping-back, as any node; every FindNode gets 16 nodes
 * nobody ever heard of (12 + 4, geth's split), none of which exists. */
static void hostile_serve(struct sim *s, struct hostile *h)
{
	struct sim_peer *pe = s->peers[h->idx];

	for (size_t i = 0; i < pe->n_inbox; i++) {
		const struct sim_rx *rx = &pe->inbox[i];
		struct discv4_packet p;

		memset(&p, 0, sizeof(p));
		if (rx->pkt.type == DISCV4_PING) {
			p.type = DISCV4_PONG;
			p.u.pong.to = sim_node(s, rx->from).ep;
			memcpy(p.u.pong.ping_hash, rx->hash, 32);
			p.u.pong.expiration = s->now / SEC + 20;
			assert_int_equal(sim_send_raw(s, h->idx, rx->from, &p,
						      NULL), 0);
			if (!h->pinged_back) {
				h->pinged_back = true;
				ejs_ping(s, h->idx, rx->from, false);
			}
		} else if (rx->pkt.type == DISCV4_FINDNODE) {
			h->findnodes++;
			for (unsigned part = 0; part < 2; part++) {
				memset(&p, 0, sizeof(p));
				p.type = DISCV4_NEIGHBORS;
				p.u.neighbors.n = part ? 4 : 12;
				for (unsigned j = 0; j < p.u.neighbors.n; j++)
					fresh_node(&p.u.neighbors.nodes[j], h);
				p.u.neighbors.expiration = s->now / SEC + 20;
				assert_int_equal(sim_send_raw(s, h->idx,
							      rx->from, &p,
							      NULL), 0);
			}
		}
	}
	pe->n_inbox = 0;
}

/* Crawls a hostile seed for 60 s (re-check rounds re-sweep it) with a
 * node cap of max_nodes; fills *cs and the output's stats *os. */
static void crawl_hostile(unsigned max_nodes, struct crawl_stats *cs,
			  struct crawlstore_stats *os, unsigned *findnodes)
{
	struct crawl_config cfg;
	struct hostile h;
	struct crawl *c;
	struct sim s;
	struct discv4_node dn;
	char out[128];
	uint8_t ip[16];
	unsigned me;
	uint64_t end;
	int r;

	sim_init(&s, T0, 33);
	sim_set_net(&s, 0, 1 * MS, 2 * MS);
	lo(ip, 66);
	r = sim_add_raw(&s, ip, 20000);
	assert_true(r >= 0);
	memset(&h, 0, sizeof(h));
	h.idx = (unsigned)r;
	me = add_hooked_crawler(&s, 2);
	path_of(out, sizeof(out), "hostile.json");
	cfg = base_cfg(out, NULL);
	cfg.max_nodes = max_nodes;
	cfg.full_sweep = true;          /* every bucket: the most it can send */
	cfg.timeout_ns = 60 * SEC;
	cfg.parallel = 64;
	assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
	g_hooked = c;
	dn = sim_node(&s, h.idx);
	assert_int_equal(crawl_add_seed(c, &dn), 0);
	end = s.now + 120 * SEC;
	crawl_on_timer(c, s.now);
	while (!crawl_done(c) && s.now < end) {
		sim_run(&s, 1 * MS);
		hostile_serve(&s, &h);
		crawl_on_timer(c, s.now);
	}
	g_hooked = NULL;
	crawl_progress(c, cs);
	assert_true(cs->done);
	assert_int_equal(out_flush(), 0);
	crawlstore_stats(g_out, os);
	*findnodes = h.findnodes;
	sim_fini(&s);
	end_crawl(c);
}

/* A node that answers every FindNode with fresh node ids cannot grow the
 * crawler past its cap: the set stops at max_nodes, the rest is refused
 * and counted, memory stays under max_nodes * CRAWL_NODE_BYTES (plus the
 * empty crawler's), and so does the output's node count. Without the cap
 * the same node pushes the set far beyond it (the test can fail). */
static void test_crawl_node_cap_bounds_hostile_node(void **st)
{
	const unsigned CAP = 100;
	struct crawlstore_stats os;
	struct crawl_stats cs;
	unsigned findnodes;

	(void)st;
	crawl_hostile(CAP, &cs, &os, &findnodes);
	print_message("cap %u: %llu seen, %llu refused, %u FindNodes to the "
		      "hostile node, %llu bytes\n", CAP,
		      (unsigned long long)cs.seen,
		      (unsigned long long)cs.refused, findnodes,
		      (unsigned long long)cs.mem_bytes);
	assert_int_equal(cs.seen, CAP);
	assert_true(cs.refused >= 16ull * findnodes - CAP);
	assert_true(findnodes >= 2 * (KAD_HASH_BITS -
				      kadtarget_min_distance(g_kt)));
	assert_true(cs.mem_bytes <= CAP * CRAWL_NODE_BYTES + 16384);
	assert_true(os.nodes <= CAP);
	assert_true(os.nodes >= 1);

	crawl_hostile(1000000, &cs, &os, &findnodes);
	print_message("no cap: %llu seen, %llu refused, %llu bytes\n",
		      (unsigned long long)cs.seen,
		      (unsigned long long)cs.refused,
		      (unsigned long long)cs.mem_bytes);
	assert_int_equal(cs.refused, 0);
	assert_true(cs.seen > 10 * CAP);
	assert_true(cs.mem_bytes > CAP * CRAWL_NODE_BYTES + 16384);
}

/* ---- the RLPx probe driver (control/crawl/crawl_rlpx.h), with a fake start ---- */

struct fake_probes {
	struct crawl_rlpx *cr;
	unsigned started;
	uint8_t pub[16][64];
	uint16_t tcp[16];
	uint64_t timeout_ns;
	int fail_rc;                    /* returned by start */
	bool report_inline;             /* report -ECONNREFUSED from start */
};

static int fake_start(void *user, const uint8_t pub[64], const uint8_t ip[16],
		      uint16_t tcp, uint64_t timeout_ns, uint64_t now_ns)
{
	struct fake_probes *f = user;

	(void)ip;
	assert_true(f->started < 16);
	memcpy(f->pub[f->started], pub, 64);
	f->tcp[f->started] = tcp;
	f->started++;
	f->timeout_ns = timeout_ns;
	if (f->report_inline) {
		struct rlpxprobe_result r = { 0 };

		memcpy(r.pub, pub, 64);
		r.tcp = tcp;
		r.err = -ECONNREFUSED;
		r.disc_reason = P2P_DISC_NONE;
		r.started_ns = r.finished_ns = now_ns;
		crawl_rlpx_on_result(f->cr, &r);
	}
	return f->fail_rc;
}

static void fake_pub(uint8_t pub[64], unsigned i)
{
	for (unsigned k = 0; k < 64; k++)
		pub[k] = (uint8_t)(i * 37 + k * 11 + 1);
}

static void test_crawl_rlpx_bounds_parallel_and_probes_once(void **st)
{
	struct fake_probes f = { 0 };
	struct crawl_rlpx_config cfg = { .parallel = 2, .start = fake_start,
					 .start_user = &f };
	struct crawl_rlpx_stats s;
	uint8_t pub[64], ip[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 };

	(void)st;
	assert_int_equal(crawl_rlpx_new(&f.cr, &cfg), 0);
	for (unsigned i = 0; i < 5; i++) {
		fake_pub(pub, i);
		assert_int_equal(crawl_rlpx_add(f.cr, pub, ip,
						(uint16_t)(30300 + i)), 0);
	}
	fake_pub(pub, 3);
	assert_int_equal(crawl_rlpx_add(f.cr, pub, ip, 30303), -EEXIST);
	fake_pub(pub, 9);
	assert_int_equal(crawl_rlpx_add(f.cr, pub, ip, 0), -EINVAL);
	assert_false(crawl_rlpx_idle(f.cr));
	crawl_rlpx_on_timer(f.cr, T0);
	assert_int_equal(f.started, 2);
	assert_int_equal(f.timeout_ns, CRAWL_RLPX_DEFAULT_TIMEOUT_NS);
	crawl_rlpx_on_timer(f.cr, T0);
	assert_int_equal(f.started, 2);         /* bound held */
	for (unsigned done = 0; done < 5; done++) {
		struct rlpxprobe_result r = { 0 };

		memcpy(r.pub, f.pub[done], 64);
		r.err = -ETIMEDOUT;
		r.disc_reason = P2P_DISC_NONE;
		crawl_rlpx_on_result(f.cr, &r);
		crawl_rlpx_on_result(f.cr, &r); /* duplicate: ignored */
		crawl_rlpx_on_timer(f.cr, T0 + done);
		crawl_rlpx_stats(f.cr, &s);
		assert_true(s.active <= 2);
		assert_int_equal(s.done, done + 1);
	}
	assert_int_equal(f.started, 5);
	for (unsigned i = 0; i < 5; i++) {     /* FIFO, each once */
		fake_pub(pub, i);
		assert_memory_equal(f.pub[i], pub, 64);
		assert_int_equal(f.tcp[i], 30300 + i);
	}
	assert_true(crawl_rlpx_idle(f.cr));
	crawl_rlpx_stats(f.cr, &s);
	assert_int_equal(s.failed, 5);
	crawl_rlpx_free(f.cr);
}

static void hello_of(struct rlpxprobe_result *r, const char *client)
{
	r->has_hello = true;
	r->hello.version = 5;
	snprintf(r->hello.client_id, sizeof(r->hello.client_id), "%s", client);
	strcpy(r->hello.caps[0].name, "eth");
	r->hello.caps[0].version = 68;
	r->hello.n_caps = 1;
	r->hello.listen_port = 30303;
}

/* A Status of eth/version, negotiated as such: eth/68 with head hash
 * 0xhh.., eth/69+ with block range [3, 1000] and latest hash 0xhh... */
static void status_of(struct rlpxprobe_result *r, uint32_t version,
		      uint64_t network, uint8_t genesis0, uint32_t fork,
		      uint64_t next)
{
	r->eth_version = version;
	r->has_status = true;
	r->status.version = version;
	if (version >= ETH_VERSION_69) {
		r->status.earliest = 3;
		r->status.latest = 1000;
		memset(r->status.latest_hash, 0xab, 32);
	} else {
		memset(r->status.head, 0xcd, 32);
	}
	r->status.network_id = network;
	memset(r->status.genesis, genesis0, 32);
	r->status.forkid.hash = fork;
	r->status.forkid.next = next;
	r->disc_reason = P2P_DISC_REQUESTED;
	r->disc_remote = false;
}

static void test_crawl_rlpx_records_rows_and_summary(void **st)
{
	struct fake_probes f = { 0 };
	struct crawl_rlpx_config cfg = { .parallel = 16, .start = fake_start,
					 .start_user = &f };
	uint8_t ip[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 };
	struct rlpxprobe_result r[7];
	struct crawldb *db;
	char text[2048], path[128];
	sqlite3 *h;
	sqlite3_stmt *q;

	(void)st;
	snprintf(path, sizeof(path), "%s/rlpx.db", g_dir);
	unlink(path);
	assert_int_equal(crawldb_open(&db, path), 0);
	{
		struct crawlstore_config sc = { .db = db };

		assert_int_equal(crawlstore_new(&g_out, &sc), 0);
	}
	cfg.on_result = crawlstore_on_rlpx;
	cfg.result_user = g_out;
	assert_int_equal(crawl_rlpx_new(&f.cr, &cfg), 0);
	memset(r, 0, sizeof(r));
	for (unsigned i = 0; i < 7; i++) {
		fake_pub(r[i].pub, i);
		memcpy(r[i].ip, ip, 16);
		r[i].tcp = (uint16_t)(30300 + i);
		r[i].disc_reason = P2P_DISC_NONE;
		r[i].started_ns = T0;
		r[i].finished_ns = T0 + 5 * MS;
		assert_int_equal(crawl_rlpx_add(f.cr, r[i].pub, ip, r[i].tcp), 0);
	}
	crawl_rlpx_on_timer(f.cr, T0);
	assert_int_equal(f.started, 7);
	/* Two devplane nodes on sepolia (our check: network mismatch), one
	 * ethereumjs on mainnet, a timeout, a refusal, a remote Disconnect
	 * before Status, a node we dropped as useless. */
	hello_of(&r[0], "devplane/v0.1.0/linux-amd64/gcc12.2.0");
	status_of(&r[0], 72, 11155111, 0x25, 0xfe3366e7, 1735371);
	r[0].status_err = ETH_ERR_NETWORK;
	hello_of(&r[1], "devplane/v0.1.0/linux-amd64/clang14.0.6");
	status_of(&r[1], 72, 11155111, 0x25, 0xfe3366e7, 1735371);
	r[1].status_err = ETH_ERR_NETWORK;
	hello_of(&r[2], "ethereumjs-devp2p/linux-x64/nodejs");
	status_of(&r[2], 68, 1, 0xd4, 0xfc64ec04, 1150000);
	r[3].err = -ETIMEDOUT;
	r[3].stage = RLPXPROBE_HANDSHAKE;
	r[4].err = -ECONNREFUSED;
	hello_of(&r[5], "Geth/v1.14.0-stable/linux-amd64/go1.22");
	r[5].err = -ECONNABORTED;
	r[5].stage = RLPXPROBE_STATUS;
	r[5].disc_reason = P2P_DISC_TOO_MANY_PEERS;
	r[5].disc_remote = true;
	r[5].eth_version = 69;          /* negotiated, then dropped */
	hello_of(&r[6], "nethermind/v1.25.0");
	r[6].err = -ECONNABORTED;
	r[6].disc_reason = P2P_DISC_USELESS_PEER;
	for (unsigned i = 0; i < 7; i++)
		crawl_rlpx_on_result(f.cr, &r[i]);
	assert_true(crawl_rlpx_idle(f.cr));
	crawl_rlpx_format_summary(f.cr, text, sizeof(text));
	assert_string_equal(text,
		"rlpx: 7 probed, 5 hello, 3 status (1 compatible), 4 failed\n"
		"rlpx clients: devplane/v0.1.0 x2, Geth/v1.14.0-stable x1, "
		"ethereumjs-devp2p/linux-x64 x1, nethermind/v1.25.0 x1\n"
		"rlpx networks: 11155111/25252525 x2, 1/d4d4d4d4 x1\n"
		"rlpx fork ids: fe3366e7/1735371 x2, fc64ec04/1150000 x1\n"
		"rlpx eth versions: 72 x2, 68 x1, 69 x1\n"
		"rlpx errors: refused x1, timeout x1, too many peers x1, "
		"useless peer (ours) x1");
	out_close();                    /* its last write */
	assert_int_equal(nodedb_count(sqlitestore_nodedb(db), "visits"), 7);
	crawldb_close(db);

	/* The rows, read back with SQLite itself. */
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h,
		"SELECT client_id, p2p_version, caps, listen_port, eth_version, "
		"network_id, genesis, fork_hash, fork_next, status_check, "
		"disc_reason, disc_remote, rlpx_error, rlpx_tcp, "
		"rlpx_finished_at - rlpx_started_at, block_latest_hash, "
		"block_earliest, block_latest "
		"FROM visits ORDER BY rlpx_tcp", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);          /* r[0] */
	assert_string_equal((const char *)sqlite3_column_text(q, 0),
			    "devplane/v0.1.0/linux-amd64/gcc12.2.0");
	assert_int_equal(sqlite3_column_int(q, 1), 5);
	assert_string_equal((const char *)sqlite3_column_text(q, 2), "eth/68");
	assert_int_equal(sqlite3_column_int(q, 3), 30303);
	assert_int_equal(sqlite3_column_int(q, 4), 72);
	assert_int_equal(sqlite3_column_int64(q, 5), 11155111);
	assert_string_equal((const char *)sqlite3_column_text(q, 6),
		"2525252525252525252525252525252525252525252525252525252525252525");
	assert_string_equal((const char *)sqlite3_column_text(q, 7), "fe3366e7");
	assert_int_equal(sqlite3_column_int64(q, 8), 1735371);
	assert_string_equal((const char *)sqlite3_column_text(q, 9),
			    "network id mismatch");
	assert_int_equal(sqlite3_column_int(q, 10), 0);         /* requested */
	assert_int_equal(sqlite3_column_int(q, 11), 0);
	assert_int_equal(sqlite3_column_type(q, 12), SQLITE_NULL);
	assert_int_equal(sqlite3_column_int(q, 14), 5);
	assert_string_equal((const char *)sqlite3_column_text(q, 15),
		"abababababababababababababababababababababababababababababababab");
	assert_int_equal(sqlite3_column_int64(q, 16), 3);
	assert_int_equal(sqlite3_column_int64(q, 17), 1000);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);          /* r[1] */
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);          /* r[2] */
	/* eth/68: the head's hash, no block range. */
	assert_int_equal(sqlite3_column_int(q, 4), 68);
	assert_string_equal((const char *)sqlite3_column_text(q, 15),
		"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd");
	assert_int_equal(sqlite3_column_type(q, 16), SQLITE_NULL);
	assert_int_equal(sqlite3_column_type(q, 17), SQLITE_NULL);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);          /* r[3] */
	/* r[3]: timeout, nothing learnt. */
	assert_int_equal(sqlite3_column_type(q, 0), SQLITE_NULL);
	assert_int_equal(sqlite3_column_type(q, 4), SQLITE_NULL);
	assert_int_equal(sqlite3_column_type(q, 5), SQLITE_NULL);
	assert_int_equal(sqlite3_column_type(q, 15), SQLITE_NULL);
	assert_int_equal(sqlite3_column_type(q, 10), SQLITE_NULL);
	assert_string_equal((const char *)sqlite3_column_text(q, 12), "timeout");
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);          /* r[4] */
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);          /* r[5] */
	assert_string_equal((const char *)sqlite3_column_text(q, 0),
			    "Geth/v1.14.0-stable/linux-amd64/go1.22");
	/* Negotiated eth/69, then dropped before Status. */
	assert_int_equal(sqlite3_column_int(q, 4), 69);
	assert_int_equal(sqlite3_column_type(q, 5), SQLITE_NULL);
	assert_int_equal(sqlite3_column_int(q, 10), P2P_DISC_TOO_MANY_PEERS);
	assert_int_equal(sqlite3_column_int(q, 11), 1);
	assert_string_equal((const char *)sqlite3_column_text(q, 12),
			    "too many peers");
	sqlite3_finalize(q);
	sqlite3_close(h);
	crawl_rlpx_free(f.cr);
}

static void test_crawl_rlpx_start_failures_are_counted(void **st)
{
	struct fake_probes f = { .fail_rc = -EMFILE };
	struct crawl_rlpx_config cfg = { .parallel = 1, .start = fake_start,
					 .start_user = &f };
	uint8_t pub[64], ip[16] = { 0 };
	char text[1024];

	(void)st;
	assert_int_equal(crawl_rlpx_new(&f.cr, &cfg), 0);
	for (unsigned i = 0; i < 3; i++) {
		fake_pub(pub, i);
		assert_int_equal(crawl_rlpx_add(f.cr, pub, ip, 1), 0);
	}
	/* A start that fails is recorded at once, so the bound of one does
	 * not stall the queue. */
	crawl_rlpx_on_timer(f.cr, T0);
	assert_int_equal(f.started, 3);
	assert_true(crawl_rlpx_idle(f.cr));
	/* A start that reports from inside (connect refused at once). */
	f.fail_rc = 0;
	f.report_inline = true;
	fake_pub(pub, 7);
	assert_int_equal(crawl_rlpx_add(f.cr, pub, ip, 1), 0);
	crawl_rlpx_on_timer(f.cr, T0);
	assert_int_equal(f.started, 4);
	assert_true(crawl_rlpx_idle(f.cr));
	crawl_rlpx_format_summary(f.cr, text, sizeof(text));
	assert_non_null(strstr(text, "rlpx: 4 probed, 0 hello, 0 status "
				     "(0 compatible), 4 failed"));
	assert_non_null(strstr(text, "rlpx errors: "));
	assert_non_null(strstr(text, "refused x1"));
	assert_non_null(strstr(text, " x3"));   /* EMFILE's text */
	assert_non_null(strstr(text, "rlpx clients: none"));
	assert_non_null(strstr(text, "rlpx eth versions: none"));
	crawl_rlpx_free(f.cr);
}

static void test_crawl_rlpx_error_classes(void **st)
{
	static const struct {
		int err;
		enum rlpxprobe_stage stage;
		uint8_t reason;
		bool remote;
		const char *want;
	} rows[] = {
		{ -ETIMEDOUT, RLPXPROBE_CONNECT, P2P_DISC_NONE, 0, "timeout" },
		{ -ETIMEDOUT, RLPXPROBE_STATUS, P2P_DISC_NONE, 0, "timeout" },
		{ -ECONNREFUSED, RLPXPROBE_CONNECT, P2P_DISC_NONE, 0, "refused" },
		{ -EHOSTUNREACH, RLPXPROBE_CONNECT, P2P_DISC_NONE, 0, "unreachable" },
		{ -EKEYREJECTED, RLPXPROBE_HANDSHAKE, P2P_DISC_NONE, 0, "handshake failed" },
		{ -ECONNRESET, RLPXPROBE_HANDSHAKE, P2P_DISC_NONE, 0, "handshake failed" },
		{ -ECONNRESET, RLPXPROBE_HELLO, P2P_DISC_NONE, 0, "closed" },
		{ -ECONNABORTED, RLPXPROBE_HELLO, P2P_DISC_TOO_MANY_PEERS, 1, "too many peers" },
		{ -ECONNABORTED, RLPXPROBE_HELLO, P2P_DISC_USELESS_PEER, 0, "useless peer (ours)" },
		{ -ECONNABORTED, RLPXPROBE_STATUS, P2P_DISC_SUBPROTOCOL_ERROR, 1, "subprotocol error" },
	};
	struct rlpxprobe_result r;
	char out[48];

	(void)st;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.err = rows[i].err;
		r.stage = rows[i].stage;
		r.disc_reason = rows[i].reason;
		r.disc_remote = rows[i].remote;
		crawl_rlpx_error_class(&r, out, sizeof(out));
		assert_string_equal(out, rows[i].want);
	}
	memset(&r, 0, sizeof(r));
	r.has_status = true;
	r.disc_reason = P2P_DISC_TOO_MANY_PEERS;
	crawl_rlpx_error_class(&r, out, sizeof(out));
	assert_string_equal(out, "");           /* a Status is no error */
	crawl_rlpx_client_key("devplane/v0.1.0/linux-amd64/gcc", out, sizeof(out));
	assert_string_equal(out, "devplane/v0.1.0");
	crawl_rlpx_client_key("erigon", out, sizeof(out));
	assert_string_equal(out, "erigon");
	crawl_rlpx_client_key("a\x01" "b/c\xff/d", out, sizeof(out));
	assert_string_equal(out, "a?b/c?");
	crawl_rlpx_client_key("", out, sizeof(out));
	assert_string_equal(out, "(empty)");
}

/* ---- leased mode ---------------------------------------------------------- */

/* What a leased crawler emitted, and the neighbour lists it reported. */
struct leased_out {
	unsigned seen, done, nbr_calls;
	uint8_t done_id[8][CRAWL_ID_LEN];
	uint8_t nbr_from[CRAWL_ID_LEN];
	unsigned nbr_total;
};

static void leased_on_out(void *user, const struct crawl_out *o)
{
	struct leased_out *lo_ = user;

	if (o->events & CRAWL_EV_SEEN)
		lo_->seen++;
	if ((o->events & CRAWL_EV_DONE) && lo_->done < 8) {
		memcpy(lo_->done_id[lo_->done++], o->id, CRAWL_ID_LEN);
		assert_true(o->answered);
		assert_true(o->replied);
		assert_true(o->check_ns > 0 && o->done_ns >= o->check_ns);
		assert_true(o->neighbors > 0);
	}
}

static void leased_on_nbr(void *user, const uint8_t from[CRAWL_ID_LEN],
			  const uint8_t (*ids)[CRAWL_ID_LEN], unsigned n)
{
	struct leased_out *lo_ = user;

	(void)ids;
	assert_true(n > 0 && n <= 16);
	lo_->nbr_calls++;
	memcpy(lo_->nbr_from, from, CRAWL_ID_LEN);      /* the last one */
	lo_->nbr_total += n;
}

/* A leased crawler visits the nodes it is granted and no other: seeds and
 * the nodes they return are emitted as learnt, never checked; a grant is
 * checked once (a second grant while it runs is -EBUSY), its neighbours
 * reported; crawl_wants() counts the slots; only crawl_stop() ends it. */
static void test_crawl_leased_visits_only_grants(void **st)
{
	const unsigned N = 30;
	struct leased_out out = { 0 };
	struct crawl_config cfg;
	struct crawl_stats cs;
	struct discv4_node seed;
	struct crawl *c;
	struct sim s;
	uint8_t id[CRAWL_ID_LEN];
	unsigned me;

	(void)st;
	make_net(&s, N, 21, 20 * SEC);
	me = add_crawler(&s, 2);
	memset(&cfg, 0, sizeof(cfg));
	cfg.kt = g_kt;
	cfg.leased = true;
	cfg.parallel = 4;
	cfg.on_out = leased_on_out;
	cfg.out_user = &out;
	cfg.on_neighbors = leased_on_nbr;
	cfg.neighbors_user = &out;
	assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
	seed = sim_node(&s, 0);
	assert_int_equal(crawl_add_seed(c, &seed), 0);
	assert_int_equal(crawl_wants(c), 4);
	/* Nothing granted: learnt, not checked, however long. */
	run_crawl(&s, c, 30 * SEC);
	assert_false(crawl_done(c));
	crawl_progress(c, &cs);
	assert_int_equal(cs.seen, 1);
	assert_int_equal(cs.findnode_sent, 0);
	assert_int_equal(out.seen, 1);
	assert_int_equal(out.done, 0);
	/* The seed granted: checked once, the others it returns learnt. */
	assert_int_equal(crawl_grant(c, &seed), 0);
	assert_int_equal(crawl_grant(c, &seed), -EBUSY);
	assert_int_equal(crawl_wants(c), 3);
	seed = sim_node(&s, me);
	assert_int_equal(crawl_grant(c, &seed), -EINVAL);     /* ourselves */
	run_crawl(&s, c, 30 * SEC);
	assert_false(crawl_done(c));
	crawl_progress(c, &cs);
	assert_int_equal(cs.checked, 1);
	assert_int_equal(cs.answered, 1);
	assert_int_equal(cs.queued, 0);
	assert_true(cs.seen > 1);
	assert_int_equal(out.seen, cs.seen);
	assert_int_equal(out.done, 1);
	kad_node_id(id, s.peers[0]->pub);
	assert_memory_equal(out.done_id[0], id, CRAWL_ID_LEN);
	assert_memory_equal(out.nbr_from, id, CRAWL_ID_LEN);
	assert_true(out.nbr_total >= cs.seen - 1);
	assert_int_equal(crawl_wants(c), 4);
	out.nbr_calls = 0;
	/* A node learnt from it, granted by id: checked too. */
	seed = sim_node(&s, 5);
	assert_int_equal(crawl_grant(c, &seed), 0);
	run_crawl(&s, c, 30 * SEC);
	assert_int_equal(out.done, 2);
	kad_node_id(id, s.peers[5]->pub);
	assert_memory_equal(out.done_id[1], id, CRAWL_ID_LEN);
	assert_true(out.nbr_calls > 0);
	assert_memory_equal(out.nbr_from, id, CRAWL_ID_LEN);
	crawl_stop(c);
	assert_int_equal(crawl_wants(c), 0);
	assert_int_equal(crawl_grant(c, &seed), -EPROTO);
	crawl_on_timer(c, s.now);
	assert_true(crawl_done(c));
	sim_fini(&s);
	crawl_free(c);
	/* An unleased crawler takes no grant. */
	make_net(&s, 2, 22, 1 * SEC);
	me = add_crawler(&s, 2);
	cfg.leased = false;
	cfg.on_out = NULL;
	cfg.on_neighbors = NULL;
	assert_int_equal(crawl_new(&c, s.peers[me]->d, &cfg, s.now), 0);
	seed = sim_node(&s, 0);
	assert_int_equal(crawl_grant(c, &seed), -EPROTO);
	assert_int_equal(crawl_wants(c), 0);
	sim_fini(&s);
	crawl_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crawl_finds_every_node_of_200),
		cmocka_unit_test(test_crawl_dead_seeds_do_not_stall),
		cmocka_unit_test(test_crawl_scores_from_prior_nodes_json),
		cmocka_unit_test(test_crawl_interrupted_flush_and_timeout),
		cmocka_unit_test(test_crawl_pong_only_node_is_live),
		cmocka_unit_test(test_crawl_learns_from_inbound_pings),
		cmocka_unit_test(test_crawl_rounds_until_timeout),
		cmocka_unit_test(test_crawl_recheck_asks_enr_again),
		cmocka_unit_test(test_crawl_asks_enr_only_with_enr_seq),
		cmocka_unit_test(test_crawl_node_cap_bounds_hostile_node),
		cmocka_unit_test(test_crawl_rlpx_bounds_parallel_and_probes_once),
		cmocka_unit_test(test_crawl_rlpx_records_rows_and_summary),
		cmocka_unit_test(test_crawl_rlpx_start_failures_are_counted),
		cmocka_unit_test(test_crawl_rlpx_error_classes),
		cmocka_unit_test(test_crawl_leased_visits_only_grants),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
