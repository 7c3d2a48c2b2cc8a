/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_dns.c - `devplane dns build|verify`: EIP-1459 node
 * trees, built and signed as geth's `devp2p dns sign` + `to-txt` do, and
 * walked through a real DNS server. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/hex.h"
#include "common/nodekey.h"
#include "control/cmd/cmdutil.h"
#include "control/dns/dnsbuild.h"
#include "control/host/dnshost.h"
#include "control/store/nodesjson.h"

#define SEC              1000000000ull
#define VERIFY_CHECK_NS  (50 * 1000000ull)
#define VERIFY_TIMEOUT   60000          /* ms, without --timeout */
#define VERIFY_ROOT_TRIES 3

static const enum flag_id build_flags[] = {
	F_DOMAIN, F_KEY, F_LINKS, F_SEQ, F_OUT, F_VERBOSITY, F_END
};
static const enum flag_id verify_flags[] = {
	F_DNS_SERVER, F_TIMEOUT, F_OUT, F_VERBOSITY, F_END
};

static const struct flags_cmd build_cmd = {
	.path = "dns build", .synopsis = "NODES.JSON", .min_args = 1,
	.max_args = 1,
	.summary = "Build the EIP-1459 tree of the records in NODES.JSON "
		   "(geth's node set) and\n--links, sign it with --key for "
		   "--domain, write it to --out DIR (default .)\nas txt.json "
		   "(geth's `devp2p dns to-txt`), DOMAIN.zone (a zone file NSD "
		   "or\nKnot loads) and enrtree-info.json (devp2p dns sign's); "
		   "print its URL.",
	.accept = build_flags,
	.notes = "Every record must be a signed enr: record whose node id is "
		 "its key in the file\nand whose seq is its \"seq\", as geth "
		 "checks. The zone names ns1.DOMAIN as\nits server, without "
		 "glue.",
};

static const struct flags_cmd verify_cmd = {
	.path = "dns verify", .synopsis = "URL...", .min_args = 1,
	.max_args = FLAGS_MAX_ARGS,
	.summary = "Walk the trees at the enrtree:// URLs, and every tree "
		   "they link, through DNS\n(--dns.server, else "
		   "/etc/resolv.conf) with the client devplane node and crawl\n"
		   "use; print each tree's seq, entries, records and links. "
		   "Exit 1 on any error\n(bad root signature, an entry that "
		   "does not hash to its name or does not\nparse, a failed "
		   "lookup) or when the walk is not done by --timeout "
		   "(default 60s).",
	.accept = verify_flags,
	.notes = "--out FILE writes the records found as a node set (geth's "
		 "nodes.json).",
};

/* ---- dns build ---------------------------------------------------------- */

static int write_file(const char *dir, const char *name, const char *buf,
		      size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "devplane: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	return 0;
}

/* The records of a node set, checked as geth's loadTreeDefinition does
 * (nodeSet.verify: the key is the record's node id, seq its seq). */
static int load_records(const char *path, struct enr **out, size_t *n_out)
{
	struct nodesjson_set set;
	struct enr *recs;
	char err[256], hex[2 * NODESJSON_ID_LEN + 1];
	int rc;

	rc = nodesjson_read(&set, path, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "devplane: %s: %s\n", path, err);
		return rc;
	}
	recs = calloc(set.n + 1, sizeof(*recs));
	if (!recs) {
		nodesjson_set_free(&set);
		return -ENOMEM;
	}
	for (size_t i = 0; i < set.n; i++) {
		const struct nodesjson_entry *e = &set.entries[i];
		uint8_t id[ENR_ID_LEN];

		hex_encode(hex, e->id, NODESJSON_ID_LEN);
		if (strncmp(e->record, ENR_TEXT_PREFIX, 4) ||
		    enr_decode_text(&recs[i], e->record,
				    strlen(e->record)) < 0) {
			fprintf(stderr, "devplane: %s: node %s: not an enr: "
				"record\n", path, hex);
			rc = -EINVAL;
			break;
		}
		if (enr_node_id(id, &recs[i]) ||
		    memcmp(id, e->id, ENR_ID_LEN)) {
			fprintf(stderr, "devplane: invalid node %s: ID does "
				"not match ID in record\n", hex);
			rc = -EINVAL;
			break;
		}
		if (recs[i].seq != e->seq) {
			fprintf(stderr, "devplane: invalid node %s: 'seq' does "
				"not match seq from record\n", hex);
			rc = -EINVAL;
			break;
		}
	}
	*n_out = set.n;
	nodesjson_set_free(&set);
	if (rc) {
		free(recs);
		return rc;
	}
	*out = recs;
	return 0;
}

static int dns_build(const struct flags *o)
{
	const char *dir = o->out ? o->out : ".";
	struct dnsbuild_zone_cfg zcfg = { 0 };
	struct dnsbuild b;
	struct enr *recs = NULL;
	struct timespec ts;
	char name[DNSTREE_DOMAIN_MAX + 8];
	uint8_t priv[32];
	size_t n_recs = 0, len;
	char *text;
	int rc, status = 1;

	if (!o->domain || !o->key) {
		fprintf(stderr, "devplane dns build: needs --domain and "
			"--key\n");
		return 2;
	}
	rc = nodekey_load(priv, o->key);
	if (rc) {
		fprintf(stderr, "devplane: --key %s: %s\n", o->key,
			rc == -EBADMSG ? "not a key file" : strerror(-rc));
		return 1;
	}
	if (load_records(o->args[0], &recs, &n_recs))
		goto out_key;
	rc = dnsbuild_make(&b, recs, n_recs, o->links, o->n_links, o->seq);
	if (rc) {
		if (rc == -EINVAL && b.bad_index >= n_recs)
			fprintf(stderr, "devplane: invalid link %s\n",
				o->links[b.bad_index - n_recs]);
		else if (rc == -EINVAL)
			fprintf(stderr, "devplane: can't add record %zu: bad "
				"signature or port\n", b.bad_index);
		else
			cmd_err("dns build", rc);
		goto out_recs;
	}
	rc = dnsbuild_sign(&b, priv, o->domain);
	if (rc) {
		fprintf(stderr, "devplane: can't sign for domain %s\n",
			o->domain);
		goto out_tree;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		cmd_err(dir, -errno);
		goto out_tree;
	}
	if (dnsbuild_txt_json(&b, &text, &len))
		goto out_tree;
	rc = write_file(dir, "txt.json", text, len);
	free(text);
	if (rc || dnsbuild_zone(&b, &zcfg, &text, &len))
		goto out_tree;
	snprintf(name, sizeof(name), "%s.zone", o->domain);
	rc = write_file(dir, name, text, len);
	free(text);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (rc || dnsbuild_info_json(&b, ts.tv_sec, (uint32_t)ts.tv_nsec,
				     &text, &len))
		goto out_tree;
	rc = write_file(dir, "enrtree-info.json", text, len);
	free(text);
	if (rc)
		goto out_tree;
	printf("%s\n", b.url);
	if (o->verbosity >= 3)
		fprintf(stderr, "dns build: %zu records, %zu links, seq %"
			PRIu64 ", %zu entries and the root in %s\n", n_recs,
			b.n_links, o->seq, b.n_ents, dir);
	status = 0;
out_tree:
	dnsbuild_fini(&b);
out_recs:
	free(recs);
out_key:
	explicit_bzero(priv, sizeof(priv));
	return status;
}

int cmd_dns_build(int argc, char **argv)
{
	struct flags *o = malloc(sizeof(*o));
	int status;

	if (!o)
		return 1;
	status = cmd_flags(o, &build_cmd, argc, argv);
	if (status < 0)
		status = dns_build(o);
	free(o);
	return status;
}

/* ---- dns verify --------------------------------------------------------- */

struct found {
	uint8_t id[ENR_ID_LEN];
	uint64_t seq;
	char text[ENR_TEXT_MAX];
};

struct verify {
	struct loop *l;
	struct dnshost *h;
	struct found *found;
	size_t n_found, cap_found;
	uint64_t deadline;
	bool timed_out, failed;
};

static void verify_node(void *user, const struct dnsclient_node *n,
			uint64_t now)
{
	struct verify *v = user;
	struct found *f = NULL;
	uint8_t id[ENR_ID_LEN];

	(void)now;
	if (enr_node_id(id, &n->enr))
		goto out;
	for (size_t i = 0; i < v->n_found; i++)
		if (!memcmp(v->found[i].id, id, ENR_ID_LEN))
			f = &v->found[i];
	if (f && f->seq >= n->enr.seq)
		goto out;
	if (!f) {
		if (v->n_found == v->cap_found) {
			size_t cap = v->cap_found ? 2 * v->cap_found : 64;
			struct found *m = realloc(v->found, cap * sizeof(*m));

			if (!m)
				goto out;
			v->found = m;
			v->cap_found = cap;
		}
		f = &v->found[v->n_found++];
	}
	memcpy(f->id, id, ENR_ID_LEN);
	f->seq = n->enr.seq;
	if (enr_encode_text(f->text, sizeof(f->text), &n->enr) < 0)
		f->text[0] = '\0';
out:
	if (dnsclient_synced(dnshost_client(v->h))) {
		dnshost_pause(v->h);    /* the walk starts over: enough */
		loop_stop(v->l, 0);
	}
}

/* What a correct tree never gives, whatever the network does. */
static bool tree_errors(const struct verify *v)
{
	const struct dnsclient_stats *c = dnsclient_stats(dnshost_client(v->h));

	return c->hash_mismatch || c->bad_entries || c->refused_links;
}

/* Any error: those, or a failed lookup (the client retries those, so the
 * walk may still end). */
static bool errors_seen(const struct verify *v)
{
	const struct dnsclient_stats *c = dnsclient_stats(dnshost_client(v->h));
	const struct dnshost_stats *s = dnshost_stats(v->h);

	return tree_errors(v) || c->bad_roots || c->timeouts ||
	       c->failures || s->nxdomain || s->nodata || s->servfail ||
	       s->timeouts || s->other;
}

/* Every tree walked to its end, or given up: its root refused or not
 * found VERIFY_ROOT_TRIES times in a row. */
static bool all_settled(const struct verify *v)
{
	const struct dnsclient *c = dnshost_client(v->h);
	struct dnsclient_tree_info ti;

	if (dnsclient_synced(c))
		return true;
	if (!dnsclient_tree_count(c))
		return false;
	for (size_t i = 0; dnsclient_tree_info(c, i, &ti) == 0; i++)
		if (!ti.synced && ti.root_failures < VERIFY_ROOT_TRIES)
			return false;
	return true;
}

static void verify_tick(void *arg, uint64_t now)
{
	struct verify *v = arg;

	if (tree_errors(v) || all_settled(v)) {
		v->failed = errors_seen(v);
		loop_stop(v->l, 0);
	} else if (now >= v->deadline) {
		v->timed_out = true;
		loop_stop(v->l, 0);
	} else {
		loop_alarm(v->l, now + VERIFY_CHECK_NS, verify_tick, v);
	}
}

static void print_errors(const struct verify *v)
{
	const struct dnsclient_stats *c = dnsclient_stats(dnshost_client(v->h));
	const struct dnshost_stats *s = dnshost_stats(v->h);

	if (c->bad_roots)
		printf("error: %" PRIu64 " bad root(s): no root, malformed, "
		       "signature not by the URL's key, or an older seq\n",
		       c->bad_roots);
	if (c->hash_mismatch)
		printf("error: %" PRIu64 " entr%s whose text does not hash "
		       "to its name\n", c->hash_mismatch,
		       c->hash_mismatch == 1 ? "y" : "ies");
	if (c->bad_entries)
		printf("error: %" PRIu64 " entr%s malformed, of an unknown "
		       "kind or in the wrong subtree\n", c->bad_entries,
		       c->bad_entries == 1 ? "y" : "ies");
	if (c->refused_links)
		printf("error: %" PRIu64 " link(s) over the client's limits\n",
		       c->refused_links);
	if (s->nxdomain || s->nodata || s->servfail || s->timeouts ||
	    s->other || c->timeouts)
		printf("error: failed lookups: %" PRIu64 " no such name, %"
		       PRIu64 " no TXT, %" PRIu64 " server failures, %" PRIu64
		       " timeouts, %" PRIu64 " other (last: %s)\n",
		       s->nxdomain, s->nodata, s->servfail,
		       s->timeouts + c->timeouts, s->other,
		       s->last_failure[0] ? s->last_failure : "-");
}

static int write_found(const struct verify *v, const char *path)
{
	struct nodesjson_entry *e = calloc(v->n_found + 1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < v->n_found; i++) {
		memcpy(e[i].id, v->found[i].id, NODESJSON_ID_LEN);
		e[i].seq = v->found[i].seq;
		e[i].record = v->found[i].text;
		e[i].first_response = e[i].last_response = e[i].last_check =
			NODESJSON_ZERO_TIME;
	}
	rc = nodesjson_write(path, e, v->n_found);
	free(e);
	return rc;
}

static int dns_verify(const struct flags *o)
{
	struct loop_cfg lc = { .no_dataplane = true,
			       .verbosity = o->verbosity };
	struct dnshost_cfg hc;
	struct verify v = { 0 };
	const struct dnsclient *c;
	size_t bad = 0;
	bool ok;
	int rc, status = 1;

	rc = loop_new(&v.l, &lc);
	if (rc) {
		cmd_err("event loop", rc);
		return 1;
	}
	cmd_dns_cfg(&hc, o);
	hc.urls = o->args;
	hc.n_urls = o->n_args;
	/* A verifier walks the whole tree at once: 1000 lookups/s instead of
	 * geth's 3 (a 3000-record tree in about 4 s). A tree walked to its
	 * end starts over from the cache at that rate too, and that is
	 * what the rate keeps cheap until the other trees are done. */
	hc.client.rate = 1000;
	hc.client.burst = 100;
	hc.client.queue_len = 64;
	hc.on_node = verify_node;
	hc.user = &v;
	rc = dnshost_new(&v.h, v.l, &hc, &bad);
	if (rc == -EBADMSG) {
		fprintf(stderr, "devplane dns verify: not an "
			"enrtree://KEY@DOMAIN URL: %s\n", o->args[bad]);
		status = 2;
		goto out;
	}
	if (rc) {
		cmd_err("dns", rc);
		goto out;
	}
	v.deadline = loop_now() + (uint64_t)(flags_given(o, F_TIMEOUT) ?
			o->timeout_ms : VERIFY_TIMEOUT) * 1000000ull;
	loop_alarm(v.l, loop_now() + VERIFY_CHECK_NS, verify_tick, &v);
	rc = loop_run(v.l);
	if (rc) {
		printf("interrupted\n");
		v.failed = true;
	}
	c = dnshost_client(v.h);
	for (size_t i = 0; i < dnsclient_tree_count(c); i++) {
		struct dnsclient_tree_info ti;

		if (dnsclient_tree_info(c, i, &ti))
			continue;
		if (!ti.has_root)
			printf("tree %s: no valid root\n", ti.url);
		else
			printf("tree %s: seq %" PRIu64 ", %zu entries, %zu "
			       "records, %zu links%s\n", ti.url, ti.seq,
			       ti.entries, ti.records, ti.links,
			       ti.synced ? "" : " (walk not finished)");
	}
	print_errors(&v);
	ok = !v.failed && !errors_seen(&v) && !v.timed_out &&
	     dnsclient_synced(c);
	if (v.timed_out)
		printf("error: not walked to the end in %u ms\n",
		       flags_given(o, F_TIMEOUT) ? o->timeout_ms :
		       VERIFY_TIMEOUT);
	printf("%s: %zu records in %zu trees\n", ok ? "ok" : "FAIL",
	       v.n_found, dnsclient_tree_count(c));
	if (o->verbosity >= 4) {
		char line[512];

		fprintf(stderr, "%s\n", dnshost_format_stats(v.h, line,
							     sizeof(line)));
	}
	if (o->out && (rc = write_found(&v, o->out))) {
		cmd_err(o->out, rc);
		ok = false;
	}
	status = ok ? 0 : 1;
out:
	dnshost_free(v.h);
	loop_free(v.l);
	free(v.found);
	return status;
}

int cmd_dns_verify(int argc, char **argv)
{
	struct flags *o = malloc(sizeof(*o));
	int status;

	if (!o)
		return 1;
	status = cmd_flags(o, &verify_cmd, argc, argv);
	if (status < 0)
		status = dns_verify(o);
	free(o);
	return status;
}
