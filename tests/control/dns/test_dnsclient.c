/* SPDX-License-Identifier: MIT */
/* tests/control/dns/test_dnsclient.c - the sans-I/O DNS discovery client
 * against an in-memory zone and a fake clock: the spec's example tree
 * (geth's TestClientSyncTree), bad signatures, tampered entries, a branch
 * child with the wrong hash, links followed and dropped, the rate limit,
 * the 30-minute root re-check, timeouts, seq rollback and demand. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "common/secp.h"
#include "control/dns/dnsbuild.h"
#include "control/dns/dnsclient.h"
#include "tests/control/dns/dns_vectors.h"

#define S  1000000000ull
#define MS 1000000ull
#define MAX_RR    512
#define MAX_SEEN  256
#define MAX_LOG   4096

struct rr {
	char name[DNSCLIENT_NAME_MAX];
	char txt[2][DNSTREE_ENTRY_MAX];
	size_t n;
};

struct qlog {
	char name[DNSCLIENT_NAME_MAX];
	uint64_t at;
};

/* The zone, the clock and what the client did. */
struct sim {
	struct dnsclient *c;
	uint64_t now;
	struct rr rr[MAX_RR];
	size_t n_rr;
	bool silent;                    /* leave lookups unanswered */
	bool drain;                     /* take nodes from the client */
	struct qlog log[MAX_LOG];
	size_t n_log;
	char seen[MAX_SEEN][ENR_TEXT_MAX];
	size_t n_seen;
	size_t n_nodes;                 /* nodes taken, repeats included */
	uint64_t pending_id;            /* last unanswered lookup */
};

static struct sim *sim_new(const struct dnsclient_cfg *cfg)
{
	struct sim *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	assert_int_equal(dnsclient_new(&s->c, cfg), 0);
	s->drain = true;
	return s;
}

static void sim_free(struct sim *s)
{
	dnsclient_free(s->c);
	free(s);
}

static struct rr *sim_find(struct sim *s, const char *name)
{
	for (size_t i = 0; i < s->n_rr; i++)
		if (strcmp(s->rr[i].name, name) == 0)
			return &s->rr[i];
	return NULL;
}

/* Sets the TXT strings at name (replacing any). */
static void sim_put2(struct sim *s, const char *name, const char *t0,
		     const char *t1)
{
	struct rr *r = sim_find(s, name);

	if (!r) {
		assert_true(s->n_rr < MAX_RR);
		r = &s->rr[s->n_rr++];
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->txt[0], sizeof(r->txt[0]), "%s", t0);
	r->n = 1;
	if (t1) {
		snprintf(r->txt[1], sizeof(r->txt[1]), "%s", t1);
		r->n = 2;
	}
}

static void sim_put(struct sim *s, const char *name, const char *txt)
{
	sim_put2(s, name, txt, NULL);
}

static void sim_put_sub(struct sim *s, const char *hash, const char *domain,
			const char *txt)
{
	char name[DNSCLIENT_NAME_MAX];

	snprintf(name, sizeof(name), "%s.%s", hash, domain);
	sim_put(s, name, txt);
}

/* The spec's example tree at domain d. */
static void sim_put_spec(struct sim *s, const char *d)
{
	sim_put(s, d, SPEC_ROOT);
	for (size_t i = 0; i < sizeof(spec_tree) / sizeof(spec_tree[0]); i++)
		sim_put_sub(s, spec_tree[i].name, d, spec_tree[i].txt);
}

static void sim_put_tree(struct sim *s, const struct dnsbuild *b)
{
	char root[DNSTREE_ROOT_TEXT_MAX];

	assert_true(dnstree_format_root(root, sizeof(root), &b->root) > 0);
	sim_put(s, b->domain, root);
	for (size_t i = 0; i < b->n_ents; i++)
		sim_put_sub(s, b->ents[i].name, b->domain, b->ents[i].text);
}

static void take_node(struct sim *s, const struct dnsclient_node *n)
{
	char txt[ENR_TEXT_MAX];

	assert_true(enr_encode_text(txt, sizeof(txt), &n->enr) > 0);
	s->n_nodes++;
	for (size_t i = 0; i < s->n_seen; i++)
		if (strcmp(s->seen[i], txt) == 0)
			return;
	assert_true(s->n_seen < MAX_SEEN);
	strcpy(s->seen[s->n_seen++], txt);
}

static bool seen(const struct sim *s, const char *txt)
{
	for (size_t i = 0; i < s->n_seen; i++)
		if (strcmp(s->seen[i], txt) == 0)
			return true;
	return false;
}

/* Runs the host loop until the fake clock reaches until: lookups are
 * answered at once from the zone (a missing name is a failure), nodes are
 * drained, and the clock jumps to the client's next deadline. A deadline
 * in the past with nothing to do would be a busy loop: it fails. */
static void sim_run(struct sim *s, uint64_t until)
{
	for (unsigned guard = 0; guard < 10000000; guard++) {
		struct dnsclient_query q;
		struct dnsclient_node n;
		bool did = false;
		uint64_t d;

		while (dnsclient_next_query(s->c, &q, s->now) == 0) {
			struct rr *r = sim_find(s, q.name);

			did = true;
			if (s->n_log < MAX_LOG) {
				strcpy(s->log[s->n_log].name, q.name);
				s->log[s->n_log++].at = s->now;
			}
			if (s->silent) {
				s->pending_id = q.id;
				continue;
			}
			if (r) {
				const char *t[2] = { r->txt[0], r->txt[1] };
				size_t l[2] = { strlen(r->txt[0]), strlen(r->txt[1]) };

				assert_int_equal(dnsclient_on_answer(s->c, q.id, t, l,
								     r->n, s->now), 0);
			} else {
				assert_int_equal(dnsclient_on_failure(s->c, q.id,
								      s->now), 0);
			}
		}
		while (s->drain && dnsclient_next_node(s->c, &n) == 0) {
			take_node(s, &n);
			did = true;
		}
		if (did)
			continue;
		d = dnsclient_next_deadline(s->c);
		if (d == UINT64_MAX || d > until) {
			s->now = until;
			return;
		}
		assert_true(d > s->now);        /* no busy loop */
		s->now = d;
	}
	fail_msg("sim_run did not reach its end time");
}

/* Lookups of name in the log, and the time of the k-th one. */
static size_t count_q(const struct sim *s, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_log; i++)
		n += strcmp(s->log[i].name, name) == 0;
	return n;
}

static uint64_t q_time(const struct sim *s, const char *name, size_t k)
{
	for (size_t i = 0; i < s->n_log; i++)
		if (strcmp(s->log[i].name, name) == 0 && k-- == 0)
			return s->log[i].at;
	fail_msg("no lookup %zu of %s", k, name);
	return 0;
}

static void priv_for(uint8_t priv[32], unsigned i)
{
	memset(priv, 0, 32);
	priv[30] = (uint8_t)((i + 1) >> 8);
	priv[31] = (uint8_t)(i + 1);
}

static void make_enr(struct enr *r, unsigned i)
{
	uint8_t priv[32], ip[4] = { 10, 1, (uint8_t)(i >> 8), (uint8_t)i };

	priv_for(priv, 1000 + i);
	enr_init(r);
	assert_int_equal(enr_set_ip(r, ip), 0);
	assert_int_equal(enr_set_udp(r, 30303), 0);
	assert_int_equal(enr_set_tcp(r, 30303), 0);
	assert_int_equal(enr_sign(r, priv), 0);
}

static void spec_priv(uint8_t priv[32])
{
	assert_int_equal(hex_decode(priv, 32, SPEC_PRIV_HEX, 64), 32);
}

/* A signed tree of records first..first+n-1 at domain, with links. */
static void build(struct dnsbuild *b, unsigned first, size_t n,
		  const char *const *links, size_t n_links, uint64_t seq,
		  const uint8_t priv[32], const char *domain)
{
	struct enr *recs = calloc(n + 1, sizeof(*recs));

	for (size_t i = 0; i < n; i++)
		make_enr(&recs[i], first + (unsigned)i);
	assert_int_equal(dnsbuild_make(b, recs, n, links, n_links, seq), 0);
	assert_int_equal(dnsbuild_sign(b, priv, domain), 0);
	free(recs);
}

static void record_text(char out[ENR_TEXT_MAX], unsigned i)
{
	struct enr r;

	make_enr(&r, i);
	assert_true(enr_encode_text(out, ENR_TEXT_MAX, &r) > 0);
}

/* geth TestClientSyncTree: the spec's example tree under the AKPYQ... URL
 * gives its three records, and its link makes a second tree, whose root
 * the client then looks up. */
static void test_dnsclient_syncs_spec_tree(void **state)
{
	struct sim *s = sim_new(NULL);
	const struct dnsclient_stats *st = dnsclient_stats(s->c);

	(void)state;
	sim_put_spec(s, "n");
	assert_int_equal(dnsclient_add_tree(s->c, SPEC_URL), 0);
	assert_int_equal(dnsclient_add_tree(s->c, SPEC_URL), -EEXIST);
	assert_int_equal(dnsclient_add_tree(s->c, "enrtree://x@n"), -EBADMSG);
	sim_run(s, 60 * S);
	assert_int_equal(s->n_seen, 3);
	assert_true(seen(s, SPEC_ENR0));
	assert_true(seen(s, SPEC_ENR1));
	assert_true(seen(s, SPEC_ENR2));
	assert_int_equal(dnsclient_tree_count(s->c), 2);
	assert_true(count_q(s, "morenodes.example.org") >= 1);
	/* The link subtree is walked before any record is looked up. */
	assert_true(count_q(s, "C7HRFPF3BLGF3YR4DY5KX3SMBE.n") == 1);
	for (size_t i = 0; i < s->n_log; i++) {
		if (strcmp(s->log[i].name, "C7HRFPF3BLGF3YR4DY5KX3SMBE.n") == 0)
			break;
		assert_null(strstr(s->log[i].name, "JWXY"));
	}
	assert_int_equal(st->links, 1);
	assert_int_equal(st->hash_mismatch, 0);
	assert_int_equal(st->bad_entries, 0);
	/* Entries are cached: each is looked up once, then served from the
	 * cache as the walk starts over. */
	assert_int_equal(count_q(s, "2XS2367YHAXJFGLZHVAWLQD4ZY.n"), 1);
	assert_true(st->cache_hits > 10);
	sim_free(s);
}

/* The spec's root checked against the key the spec prose gives (the
 * linked tree's): refused, and nothing below the root is looked up. The
 * root is retried at once 5 times, then every 5 s, then every 10 s. */
static void test_dnsclient_bad_root_signature(void **state)
{
	struct sim *s = sim_new(NULL);
	const struct dnsclient_stats *st = dnsclient_stats(s->c);
	char url[DNSTREE_LINK_TEXT_MAX];
	size_t n;

	(void)state;
	sim_put_spec(s, "n");
	snprintf(url, sizeof(url), "%.63s@n", SPEC_LINK);
	assert_int_equal(dnsclient_add_tree(s->c, url), 0);
	sim_run(s, 200 * S);
	assert_int_equal(s->n_seen, 0);
	n = count_q(s, "n");
	assert_int_equal(n, s->n_log);          /* roots only */
	assert_int_equal(st->bad_roots, n);
	assert_int_equal(st->roots, 0);
	for (size_t k = 0; k < 6; k++)
		assert_int_equal(q_time(s, "n", k), 0);
	for (size_t k = 6; k < 21; k++)
		assert_int_equal(q_time(s, "n", k) - q_time(s, "n", k - 1), 5 * S);
	for (size_t k = 21; k < n; k++)
		assert_int_equal(q_time(s, "n", k) - q_time(s, "n", k - 1), 10 * S);
	/* 6 at once, 15 over 75 s, then one per 10 s until 200 s */
	assert_int_equal(n, 6 + 15 + 12);
	sim_free(s);
}

/* A record entry replaced by another valid record: its hash no longer
 * matches its name, so it is refused, and the others still come. */
static void test_dnsclient_tampered_entry_rejected(void **state)
{
	struct sim *s = sim_new(NULL);
	const struct dnsclient_stats *st = dnsclient_stats(s->c);
	char other[ENR_TEXT_MAX];

	(void)state;
	sim_put_spec(s, "n");
	record_text(other, 7);
	sim_put_sub(s, "H4FHT4B454P6UXFD7JCYQ5PWDY", "n", other);
	assert_int_equal(dnsclient_add_tree(s->c, SPEC_URL), 0);
	sim_run(s, 120 * S);
	assert_true(seen(s, SPEC_ENR0));
	assert_true(seen(s, SPEC_ENR2));
	assert_false(seen(s, SPEC_ENR1));
	assert_false(seen(s, other));
	assert_int_equal(s->n_seen, 2);
	assert_true(st->hash_mismatch >= 1);
	sim_free(s);
}

/* A branch listing a child whose TXT does not hash to it (a signed tree
 * with one wrong hash): that child is refused, the others come, and after
 * more than 5 failed leaf lookups the root is resolved again. A branch
 * entry that was itself changed is refused, and nothing below it comes. */
static void test_dnsclient_branch_with_wrong_hash_child(void **state)
{
	struct sim *s = sim_new(NULL);
	const struct dnsclient_stats *st = dnsclient_stats(s->c);
	struct dnstree_root r = { 0 };
	char branch[256], bname[DNSTREE_HASH_TEXT_LEN + 1], root[DNSTREE_ROOT_TEXT_MAX];
	char rec[3][ENR_TEXT_MAX], rname[3][DNSTREE_HASH_TEXT_LEN + 1];
	char url[DNSTREE_LINK_TEXT_MAX], bad_name[DNSTREE_HASH_TEXT_LEN + 1];
	uint8_t priv[32], pub[64];

	(void)state;
	spec_priv(priv);
	assert_int_equal(secp_pub_from_priv(pub, priv), 0);
	for (int i = 0; i < 3; i++) {
		record_text(rec[i], (unsigned)i);
		dnstree_name(rname[i], rec[i], strlen(rec[i]));
	}
	/* The third child's name is the hash of a record not in the tree;
	 * its subdomain serves record 2. */
	{
		char x[ENR_TEXT_MAX];

		record_text(x, 99);
		dnstree_name(bad_name, x, strlen(x));
	}
	snprintf(branch, sizeof(branch), "enrtree-branch:%s,%s,%s", rname[0],
		 rname[1], bad_name);
	dnstree_name(bname, branch, strlen(branch));
	snprintf(r.eroot, sizeof(r.eroot), "%s", bname);
	dnstree_name(r.lroot, "enrtree-branch:", 15);
	r.seq = 1;
	assert_int_equal(dnstree_root_sign(&r, priv), 0);
	assert_true(dnstree_format_root(root, sizeof(root), &r) > 0);
	sim_put(s, "w.example", root);
	sim_put_sub(s, bname, "w.example", branch);
	sim_put_sub(s, r.lroot, "w.example", "enrtree-branch:");
	sim_put_sub(s, rname[0], "w.example", rec[0]);
	sim_put_sub(s, rname[1], "w.example", rec[1]);
	sim_put_sub(s, bad_name, "w.example", rec[2]);
	assert_true(dnstree_format_link(url, sizeof(url), pub, "w.example") > 0);
	assert_int_equal(dnsclient_add_tree(s->c, url), 0);
	sim_run(s, 60 * S);
	assert_true(seen(s, rec[0]));
	assert_true(seen(s, rec[1]));
	assert_false(seen(s, rec[2]));
	assert_int_equal(s->n_seen, 2);
	assert_true(st->hash_mismatch >= 6);
	/* Re-resolved after 6 failures (geth: more than 5). */
	assert_true(count_q(s, "w.example") >= 2);
	sim_free(s);

	/* The branch itself altered (a child dropped): its hash fails. */
	s = sim_new(NULL);
	sim_put(s, "w.example", root);
	snprintf(branch, sizeof(branch), "enrtree-branch:%s,%s", rname[0], rname[1]);
	sim_put_sub(s, bname, "w.example", branch);
	sim_put_sub(s, r.lroot, "w.example", "enrtree-branch:");
	sim_put_sub(s, rname[0], "w.example", rec[0]);
	sim_put_sub(s, rname[1], "w.example", rec[1]);
	assert_int_equal(dnsclient_add_tree(s->c, url), 0);
	sim_run(s, 60 * S);
	assert_int_equal(s->n_seen, 0);
	assert_true(dnsclient_stats(s->c)->hash_mismatch >= 6);
	sim_free(s);
}

/* Entry lookups, cache hits included, stay within 3/s after a burst of
 * 10; root lookups are not counted against it. */
static void test_dnsclient_rate_limit(void **state)
{
	struct sim *s = sim_new(NULL);
	const struct dnsclient_stats *st = dnsclient_stats(s->c);
	struct dnsbuild b;
	uint8_t priv[32];
	struct dnsclient_query q;
	uint64_t lookups;

	(void)state;
	spec_priv(priv);
	build(&b, 0, 60, NULL, 0, 1, priv, "rate.example");
	sim_put_tree(s, &b);
	assert_int_equal(dnsclient_add_tree(s->c, b.url), 0);
	dnsbuild_fini(&b);

	/* At t = 0 without moving the clock: the root, then 10 entries. */
	sim_run(s, 0);
	assert_int_equal(count_q(s, "rate.example"), 1);
	assert_int_equal(st->queries - 1 + st->cache_hits, 10);
	assert_int_equal(dnsclient_next_query(s->c, &q, 0), -EAGAIN);
	assert_int_equal(dnsclient_next_deadline(s->c), 1000000000ull / 3);

	/* Over 20 s: 10 + 3 per second, one more at exactly 20 s. */
	sim_run(s, 20 * S);
	lookups = st->queries - count_q(s, "rate.example") + st->cache_hits;
	assert_int_equal(lookups, 10 + 60);
	/* Consecutive lookups after the burst are 1/3 s apart. */
	for (size_t i = 12; i < s->n_log; i++)
		if (strcmp(s->log[i].name, "rate.example") != 0 &&
		    strcmp(s->log[i - 1].name, "rate.example") != 0)
			assert_true(s->log[i].at - s->log[i - 1].at >= 333333333);
	assert_int_equal(s->n_seen, 60);
	sim_free(s);
}

/* The root is looked up again 30 min after the last check, not before;
 * a new root (seq 2) with other records is then walked. */
static void test_dnsclient_root_recheck_after_30min(void **state)
{
	struct sim *s = sim_new(NULL);
	struct dnsbuild b1, b2;
	uint8_t priv[32];
	char r10[ENR_TEXT_MAX];
	uint64_t t1;

	(void)state;
	spec_priv(priv);
	build(&b1, 0, 3, NULL, 0, 1, priv, "re.example");
	build(&b2, 10, 3, NULL, 0, 2, priv, "re.example");
	record_text(r10, 10);
	sim_put_tree(s, &b1);
	assert_int_equal(dnsclient_add_tree(s->c, b1.url), 0);
	sim_run(s, 29 * 60 * S);
	assert_int_equal(count_q(s, "re.example"), 1);
	assert_int_equal(s->n_seen, 3);
	/* The new tree is published; the client finds it at 30 min. */
	sim_put_tree(s, &b2);
	sim_run(s, 31 * 60 * S);
	assert_int_equal(count_q(s, "re.example"), 2);
	t1 = q_time(s, "re.example", 1);
	assert_true(t1 >= 30 * 60 * S && t1 < 30 * 60 * S + S);
	assert_true(seen(s, r10));
	assert_int_equal(s->n_seen, 6);
	assert_int_equal(dnsclient_stats(s->c)->roots, 2);
	dnsbuild_fini(&b1);
	dnsbuild_fini(&b2);
	sim_free(s);
}

/* A root with a lower seq than one already accepted is refused. */
static void test_dnsclient_seq_rollback_rejected(void **state)
{
	struct sim *s = sim_new(NULL);
	struct dnsbuild b1, b2;
	uint8_t priv[32];

	(void)state;
	spec_priv(priv);
	build(&b2, 0, 2, NULL, 0, 5, priv, "seq.example");
	build(&b1, 20, 2, NULL, 0, 4, priv, "seq.example");
	sim_put_tree(s, &b2);
	assert_int_equal(dnsclient_add_tree(s->c, b2.url), 0);
	sim_run(s, 60 * S);
	assert_int_equal(s->n_seen, 2);
	sim_put_tree(s, &b1);
	sim_run(s, 31 * 60 * S);
	assert_int_equal(dnsclient_stats(s->c)->roots, 1);
	assert_true(dnsclient_stats(s->c)->bad_roots >= 1);
	assert_int_equal(s->n_seen, 2);         /* still the seq 5 records */
	dnsbuild_fini(&b1);
	dnsbuild_fini(&b2);
	sim_free(s);
}

/* A linked tree is synced; when the linking tree's new root drops the
 * link, the linked tree is dropped too. */
static void test_dnsclient_link_followed_and_dropped(void **state)
{
	struct sim *s = sim_new(NULL);
	struct dnsbuild a1, a2, bt;
	uint8_t pa[32], pb[32];
	char b0[ENR_TEXT_MAX], a0[ENR_TEXT_MAX];
	const char *links[1];

	(void)state;
	priv_for(pa, 1);
	priv_for(pb, 2);
	build(&bt, 50, 2, NULL, 0, 1, pb, "b.example");
	links[0] = bt.url;
	build(&a1, 0, 2, links, 1, 1, pa, "a.example");
	build(&a2, 0, 2, NULL, 0, 2, pa, "a.example");
	record_text(a0, 0);
	record_text(b0, 50);
	sim_put_tree(s, &a1);
	sim_put_tree(s, &bt);
	assert_int_equal(dnsclient_add_tree(s->c, a1.url), 0);
	sim_run(s, 60 * S);
	assert_true(seen(s, a0));
	assert_true(seen(s, b0));
	assert_int_equal(s->n_seen, 4);
	assert_int_equal(dnsclient_tree_count(s->c), 2);
	sim_put_tree(s, &a2);
	sim_run(s, 32 * 60 * S);
	assert_int_equal(dnsclient_tree_count(s->c), 1);
	assert_int_equal(dnsclient_stats(s->c)->links, 1);
	dnsbuild_fini(&a1);
	dnsbuild_fini(&a2);
	dnsbuild_fini(&bt);
	sim_free(s);
}

static const struct dnsclient_tree_info *info_of(const struct sim *s,
						const char *domain)
{
	static struct dnsclient_tree_info ti;

	for (size_t i = 0; dnsclient_tree_info(s->c, i, &ti) == 0; i++)
		if (strcmp(ti.domain, domain) == 0)
			return &ti;
	return NULL;
}

/* What a verifier reads: not synced until every tree, the linked one
 * included, was walked to its end; then the counts of each tree's walk
 * (40 records, 4 branches, one link). A
 * tampered record keeps its tree from syncing. */
static void test_dnsclient_synced_and_tree_info(void **state)
{
	struct sim *s = sim_new(NULL);
	struct dnsbuild a, b;
	uint8_t pa[32], pb[32];
	const struct dnsclient_tree_info *ti;
	const char *links[1];

	(void)state;
	priv_for(pa, 5);
	priv_for(pb, 6);
	build(&b, 100, 3, NULL, 0, 9, pb, "b.example");
	links[0] = b.url;
	build(&a, 0, 40, links, 1, 7, pa, "a.example");
	sim_put_tree(s, &a);
	assert_int_equal(dnsclient_add_tree(s->c, a.url), 0);
	assert_false(dnsclient_synced(s->c));
	sim_run(s, 40 * S);
	/* b.example is not served: a is walked, b never gets a root. */
	assert_false(dnsclient_synced(s->c));
	ti = info_of(s, "a.example");
	assert_non_null(ti);
	assert_true(ti->synced);
	assert_int_equal(ti->seq, 7);
	assert_int_equal(ti->records, 40);
	assert_int_equal(ti->links, 1);
	/* 40 leaves in groups of 13, 13, 13 and 1 (a group of one is the
	 * leaf itself) under the root branch, and the link subtree's single
	 * leaf as its own root. */
	assert_int_equal(ti->entries, 40 + 3 + 1 + 1);
	assert_string_equal(ti->url, a.url);
	ti = info_of(s, "b.example");
	assert_non_null(ti);
	assert_false(ti->has_root);
	assert_false(ti->synced);
	sim_put_tree(s, &b);
	sim_run(s, 80 * S);
	assert_true(dnsclient_synced(s->c));
	ti = info_of(s, "b.example");
	assert_true(ti->synced);
	assert_int_equal(ti->records, 3);
	assert_int_equal(ti->entries, 3 + 1 + 1);  /* leaves, branch, empty l= */
	assert_int_equal(ti->seq, 9);
	assert_int_equal(dnsclient_tree_info(s->c, 2, (void *)&ti), -ENOENT);
	sim_free(s);

	/* One record's text changed: its hash no longer matches. */
	s = sim_new(NULL);
	sim_put_tree(s, &b);
	{
		struct rr *r = sim_find(s, "b.example");
		char name[DNSCLIENT_NAME_MAX];
		size_t k;

		assert_non_null(r);
		for (k = 0; k < b.n_ents; k++)
			if (!strncmp(b.ents[k].text, "enr:", 4))
				break;
		snprintf(name, sizeof(name), "%s.b.example", b.ents[k].name);
		r = sim_find(s, name);
		assert_non_null(r);
		r->txt[0][10] ^= 1;
	}
	assert_int_equal(dnsclient_add_tree(s->c, b.url), 0);
	sim_run(s, 30 * S);
	assert_false(dnsclient_synced(s->c));
	assert_true(dnsclient_stats(s->c)->hash_mismatch > 0);
	dnsbuild_fini(&a);
	dnsbuild_fini(&b);
	sim_free(s);
}

/* Two trees linking to each other: each is synced once, no loop. */
static void test_dnsclient_link_cycle(void **state)
{
	struct sim *s = sim_new(NULL);
	struct dnsbuild a, b;
	uint8_t pa[32], pb[32], pub[64];
	char aurl[DNSTREE_LINK_TEXT_MAX], burl[DNSTREE_LINK_TEXT_MAX];
	const char *la[1] = { burl }, *lb[1] = { aurl };

	(void)state;
	priv_for(pa, 3);
	priv_for(pb, 4);
	assert_int_equal(secp_pub_from_priv(pub, pa), 0);
	assert_true(dnstree_format_link(aurl, sizeof(aurl), pub, "a.example") > 0);
	assert_int_equal(secp_pub_from_priv(pub, pb), 0);
	assert_true(dnstree_format_link(burl, sizeof(burl), pub, "b.example") > 0);
	build(&a, 0, 1, la, 1, 1, pa, "a.example");
	build(&b, 5, 1, lb, 1, 1, pb, "b.example");
	sim_put_tree(s, &a);
	sim_put_tree(s, &b);
	assert_int_equal(dnsclient_add_tree(s->c, aurl), 0);
	sim_run(s, 60 * S);
	assert_int_equal(dnsclient_tree_count(s->c), 2);
	assert_int_equal(s->n_seen, 2);
	assert_int_equal(count_q(s, "a.example"), 1);
	assert_int_equal(count_q(s, "b.example"), 1);
	dnsbuild_fini(&a);
	dnsbuild_fini(&b);
	sim_free(s);
}

/* An unanswered lookup fails after 5 s; its answer is then refused. */
static void test_dnsclient_timeout(void **state)
{
	struct sim *s = sim_new(NULL);
	const struct dnsclient_stats *st = dnsclient_stats(s->c);
	const char *t[1] = { SPEC_ROOT };
	size_t l[1] = { strlen(SPEC_ROOT) };
	struct dnsclient_query q;
	uint64_t id;

	(void)state;
	sim_put_spec(s, "n");
	s->silent = true;
	assert_int_equal(dnsclient_add_tree(s->c, SPEC_URL), 0);
	sim_run(s, 0);
	assert_int_equal(s->n_log, 1);
	id = s->pending_id;
	assert_int_equal(dnsclient_next_deadline(s->c), 5 * S);
	assert_int_equal(dnsclient_next_query(s->c, &q, 5 * S - 1), -EAGAIN);
	assert_int_equal(st->timeouts, 0);
	/* At 5 s: timed out, and the root is asked again at once. */
	assert_int_equal(dnsclient_next_query(s->c, &q, 5 * S), 0);
	assert_int_equal(st->timeouts, 1);
	assert_string_equal(q.name, "n");
	assert_int_equal(dnsclient_on_answer(s->c, id, t, l, 1, 5 * S), -ENOENT);
	assert_int_equal(dnsclient_on_failure(s->c, id, 5 * S), -ENOENT);
	assert_int_equal(st->late, 2);
	assert_int_equal(dnsclient_on_answer(s->c, q.id, t, l, 1, 5 * S), 0);
	assert_int_equal(st->roots, 1);
	sim_free(s);
}

/* TXT strings without an entry prefix are skipped (geth: unknown entry),
 * a root answer may carry other TXT strings too, and an answer with no
 * entry at all is a failure. */
static void test_dnsclient_skips_unknown_txt(void **state)
{
	struct sim *s = sim_new(NULL);

	(void)state;
	sim_put_spec(s, "n");
	sim_put2(s, "n", "v=spf1 -all", SPEC_ROOT);
	sim_put2(s, "2XS2367YHAXJFGLZHVAWLQD4ZY.n", "hello", SPEC_ENR0);
	sim_put(s, "MHTDO6TMUBRIA2XWG5LUDACK24.n", "no entry here");
	assert_int_equal(dnsclient_add_tree(s->c, SPEC_URL), 0);
	sim_run(s, 60 * S);
	assert_true(seen(s, SPEC_ENR0));
	assert_true(seen(s, SPEC_ENR1));
	assert_false(seen(s, SPEC_ENR2));
	assert_true(dnsclient_stats(s->c)->bad_entries >= 1);
	sim_free(s);
}

/* Lookups stop while the node queue is full, and resume once drained. */
static void test_dnsclient_demand(void **state)
{
	struct dnsclient_cfg cfg = { .queue_len = 2 };
	struct sim *s = sim_new(&cfg);
	struct dnsbuild b;
	uint8_t priv[32];
	struct dnsclient_query q;
	size_t before;

	(void)state;
	spec_priv(priv);
	build(&b, 0, 8, NULL, 0, 1, priv, "d.example");
	sim_put_tree(s, &b);
	assert_int_equal(dnsclient_add_tree(s->c, b.url), 0);
	s->drain = false;
	sim_run(s, 30 * S);
	before = s->n_log;
	assert_int_equal(dnsclient_next_deadline(s->c), UINT64_MAX);
	assert_int_equal(dnsclient_next_query(s->c, &q, 60 * S), -EAGAIN);
	s->drain = true;
	sim_run(s, 60 * S);
	assert_true(s->n_log > before);
	assert_int_equal(s->n_seen, 8);
	dnsbuild_fini(&b);
	sim_free(s);
}

/* An empty tree (no records, no links) is not polled: the next thing to
 * do is the root re-check. */
static void test_dnsclient_empty_tree_waits_for_recheck(void **state)
{
	struct sim *s = sim_new(NULL);
	struct dnsbuild b;
	uint8_t priv[32];

	(void)state;
	spec_priv(priv);
	build(&b, 0, 0, NULL, 0, 1, priv, "e.example");
	sim_put_tree(s, &b);
	assert_int_equal(dnsclient_add_tree(s->c, b.url), 0);
	sim_run(s, 10 * S);
	/* The root, then the empty branch that is both subtree roots:
	 * once from DNS, once from the cache. */
	assert_int_equal(s->n_log, 2);
	assert_int_equal(dnsclient_stats(s->c)->cache_hits, 1);
	assert_int_equal(dnsclient_next_deadline(s->c), 30 * 60 * S);
	dnsbuild_fini(&b);
	sim_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnsclient_syncs_spec_tree),
		cmocka_unit_test(test_dnsclient_bad_root_signature),
		cmocka_unit_test(test_dnsclient_tampered_entry_rejected),
		cmocka_unit_test(test_dnsclient_branch_with_wrong_hash_child),
		cmocka_unit_test(test_dnsclient_rate_limit),
		cmocka_unit_test(test_dnsclient_root_recheck_after_30min),
		cmocka_unit_test(test_dnsclient_seq_rollback_rejected),
		cmocka_unit_test(test_dnsclient_link_followed_and_dropped),
		cmocka_unit_test(test_dnsclient_link_cycle),
		cmocka_unit_test(test_dnsclient_synced_and_tree_info),
		cmocka_unit_test(test_dnsclient_timeout),
		cmocka_unit_test(test_dnsclient_skips_unknown_txt),
		cmocka_unit_test(test_dnsclient_demand),
		cmocka_unit_test(test_dnsclient_empty_tree_waits_for_recheck),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
