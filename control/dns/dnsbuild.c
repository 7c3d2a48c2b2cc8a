/* SPDX-License-Identifier: MIT */
/* control/dns/dnsbuild.c - builds and signs an EIP-1459 node tree as
 * geth's MakeTree + Sign, and writes its TXT JSON, zone file and
 * enrtree-info.json. */
#include "control/dns/dnsbuild.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/b64url.h"
#include "common/rlp.h"
#include "common/secp.h"

/* Every entry made while building, in creation order; indices stay valid
 * while the array grows. */
struct work {
	struct dnsbuild_entry *e;
	size_t n, cap;
};

static int work_add(struct work *w, char *text, size_t *idx)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct dnsbuild_entry *e = realloc(w->e, cap * sizeof(*e));

		if (!e) {
			free(text);
			return -ENOMEM;
		}
		w->e = e;
		w->cap = cap;
	}
	w->e[w->n].text = text;
	dnstree_name(w->e[w->n].name, text, strlen(text));
	*idx = w->n++;
	return 0;
}

static void work_free(struct work *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->e[i].text);
	free(w->e);
}

static int make_branch(struct work *w, const size_t *idx, size_t n,
		       size_t *out)
{
	size_t plen = sizeof(DNSTREE_BRANCH_PREFIX) - 1, pos = plen;
	char *t = malloc(plen + n * (DNSTREE_HASH_TEXT_LEN + 1) + 1);

	if (!t)
		return -ENOMEM;
	memcpy(t, DNSTREE_BRANCH_PREFIX, plen);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			t[pos++] = ',';
		memcpy(t + pos, w->e[idx[i]].name, DNSTREE_HASH_TEXT_LEN);
		pos += DNSTREE_HASH_TEXT_LEN;
	}
	t[pos] = '\0';
	return work_add(w, t, out);
}

/* geth's Tree.build: one entry is itself; up to DNSTREE_MAX_CHILDREN make
 * a branch; more are cut into groups of DNSTREE_MAX_CHILDREN from the
 * front (the last one shorter), each group built on its own, and the
 * group results built again. Depth grows as log13(n), so recursion is
 * shallow. */
static int build(struct work *w, const size_t *idx, size_t n, size_t *out)
{
	size_t nsub, *subs;
	int rc = 0;

	if (n == 1) {
		*out = idx[0];
		return 0;
	}
	if (n <= DNSTREE_MAX_CHILDREN)
		return make_branch(w, idx, n, out);
	nsub = (n + DNSTREE_MAX_CHILDREN - 1) / DNSTREE_MAX_CHILDREN;
	subs = malloc(nsub * sizeof(*subs));
	if (!subs)
		return -ENOMEM;
	for (size_t i = 0; i < nsub && rc == 0; i++) {
		size_t off = i * DNSTREE_MAX_CHILDREN;
		size_t cnt = n - off < DNSTREE_MAX_CHILDREN ?
			     n - off : DNSTREE_MAX_CHILDREN;

		rc = build(w, idx + off, cnt, &subs[i]);
	}
	if (rc == 0)
		rc = build(w, subs, nsub, out);
	free(subs);
	return rc;
}

/* geth's checkRecordPorts: a port entry that is present must decode as a
 * uint16 (canonical RLP integer < 65536). */
static bool ports_ok(const struct enr *r)
{
	static const char *const keys[] = {
		"tcp", "tcp6", "udp", "udp6", "quic", "quic6",
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const uint8_t *v;
		size_t vlen;
		struct rlp_item it;
		uint64_t port;

		if (enr_get_raw(r, keys[i], &v, &vlen) < 0)
			continue;
		if (rlp_next(&it, v, vlen) != (ssize_t)vlen ||
		    rlp_to_u64(&port, &it) < 0 || port > 65535)
			return false;
	}
	return true;
}

struct rec_order {
	uint8_t id[ENR_ID_LEN];
	size_t i;
};

static int by_id(const void *a, const void *b)
{
	const struct rec_order *x = a, *y = b;

	return memcmp(x->id, y->id, ENR_ID_LEN);
}

static int by_name(const void *a, const void *b)
{
	const struct dnsbuild_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int add_leaves(struct dnsbuild *b, struct work *w, size_t *leaf,
		      const struct enr *recs, size_t n_recs,
		      const char *const *links, size_t n_links)
{
	struct rec_order *ord = calloc(n_recs ? n_recs : 1, sizeof(*ord));
	int rc = 0;

	if (!ord)
		return -ENOMEM;
	for (size_t i = 0; i < n_recs; i++) {
		if (!recs[i].has_sig || enr_verify(&recs[i]) < 0 ||
		    enr_node_id(ord[i].id, &recs[i]) < 0 ||
		    !ports_ok(&recs[i])) {
			b->bad_index = i;
			rc = -EINVAL;
			goto out;
		}
		ord[i].i = i;
	}
	qsort(ord, n_recs, sizeof(*ord), by_id);
	for (size_t i = 0; i < n_recs; i++) {
		char *t = malloc(ENR_TEXT_MAX);

		if (!t) {
			rc = -ENOMEM;
			goto out;
		}
		if (enr_encode_text(t, ENR_TEXT_MAX, &recs[ord[i].i]) < 0) {
			free(t);
			b->bad_index = ord[i].i;
			rc = -EINVAL;
			goto out;
		}
		rc = work_add(w, t, &leaf[i]);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < n_links; i++) {
		struct dnstree_link l;
		char *t;

		if (dnstree_parse_link(&l, links[i], strlen(links[i])) < 0) {
			b->bad_index = n_recs + i;
			rc = -EINVAL;
			goto out;
		}
		t = strdup(links[i]);
		b->links[i] = strdup(links[i]);
		b->n_links = i + 1;             /* freed on error, even NULL */
		if (!t || !b->links[i]) {
			free(t);
			rc = -ENOMEM;
			goto out;
		}
		rc = work_add(w, t, &leaf[n_recs + i]);
		if (rc < 0)
			goto out;
	}
out:
	free(ord);
	return rc;
}

int dnsbuild_make(struct dnsbuild *b, const struct enr *recs, size_t n_recs,
		  const char *const *links, size_t n_links, uint64_t seq)
{
	struct work w = { 0 };
	size_t *leaf, eroot, lroot, o = 0;
	int rc;

	memset(b, 0, sizeof(*b));
	leaf = calloc(n_recs + n_links + 1, sizeof(*leaf));
	b->links = calloc(n_links + 1, sizeof(*b->links));
	if (!leaf || !b->links) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = add_leaves(b, &w, leaf, recs, n_recs, links, n_links);
	if (rc < 0)
		goto out_free;
	/* An empty list is built as the empty branch, as geth's build([])
	 * makes "enrtree-branch:". */
	rc = build(&w, leaf, n_recs, &eroot);
	if (rc == 0)
		rc = build(&w, leaf + n_recs, n_links, &lroot);
	if (rc < 0)
		goto out_free;
	strcpy(b->root.eroot, w.e[eroot].name);
	strcpy(b->root.lroot, w.e[lroot].name);
	b->root.seq = seq;
	/* geth's Tree.entries is a map by name: equal texts (the same record
	 * twice, or both subtrees empty) are one entry. */
	qsort(w.e, w.n, sizeof(*w.e), by_name);
	for (size_t i = 0; i < w.n; i++) {
		if (o > 0 && strcmp(w.e[o - 1].name, w.e[i].name) == 0) {
			free(w.e[i].text);
			continue;
		}
		w.e[o++] = w.e[i];
	}
	b->ents = w.e;
	b->n_ents = o;
	free(leaf);
	return 0;

out_free:
	work_free(&w);
	free(leaf);
	for (size_t i = 0; i < b->n_links; i++)
		free(b->links[i]);
	free(b->links);
	{
		size_t bad = b->bad_index;

		memset(b, 0, sizeof(*b));
		b->bad_index = bad;
	}
	return rc;
}

int dnsbuild_sign(struct dnsbuild *b, const uint8_t priv[32],
		  const char *domain)
{
	uint8_t pub[SECP_PUB_LEN];
	ssize_t n;

	if (strlen(domain) > DNSTREE_DOMAIN_MAX ||
	    secp_pub_from_priv(pub, priv) < 0)
		return -EINVAL;
	n = dnstree_format_link(b->url, sizeof(b->url), pub, domain);
	if (n < 0)
		return -EINVAL;
	if (dnstree_root_sign(&b->root, priv) < 0)
		return -EINVAL;
	strcpy(b->domain, domain);
	b->signed_ = true;
	return 0;
}

void dnsbuild_fini(struct dnsbuild *b)
{
	for (size_t i = 0; i < b->n_ents; i++)
		free(b->ents[i].text);
	free(b->ents);
	for (size_t i = 0; i < b->n_links; i++)
		free(b->links[i]);
	free(b->links);
	memset(b, 0, sizeof(*b));
}

/* A JSON string as Go's encoder writes it, including its escaping of <, >
 * and & (none of our texts has them, but stay exact). Texts are ASCII:
 * records are base64url, the domain is checked by dnstree_format_link(). */
static void put_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == '<' || c == '>' || c == '&')
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

struct kv {
	char *key;                      /* owned */
	const char *val;
};

static int by_key(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/* Closes the memstream and hands its buffer out, or frees it on error. */
static int finish(FILE *f, char **buf, size_t *blen, char **out, size_t *len)
{
	int err = ferror(f);

	if (fclose(f) != 0 || err) {
		free(*buf);
		return -ENOMEM;
	}
	*out = *buf;
	*len = *blen;
	return 0;
}

int dnsbuild_txt_json(const struct dnsbuild *b, char **out, size_t *len)
{
	char root[DNSTREE_ROOT_TEXT_MAX], *buf = NULL;
	size_t n = b->n_ents + 1, blen = 0, dlen = strlen(b->domain);
	struct kv *kv;
	FILE *f;
	int rc = -ENOMEM;

	if (!b->signed_)
		return -EPROTO;
	if (dnstree_format_root(root, sizeof(root), &b->root) < 0)
		return -EPROTO;
	kv = calloc(n, sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	kv[0].key = strdup(b->domain);
	kv[0].val = root;
	for (size_t i = 0; i < b->n_ents; i++) {
		/* geth ToTXT: "<hash>.<domain>", or the bare hash when the
		 * domain is empty (it never is here). */
		kv[i + 1].key = malloc(DNSTREE_HASH_TEXT_LEN + 1 + dlen + 1);
		if (kv[i + 1].key)
			sprintf(kv[i + 1].key, "%s.%s", b->ents[i].name,
				b->domain);
		kv[i + 1].val = b->ents[i].text;
	}
	for (size_t i = 0; i < n; i++)
		if (!kv[i].key)
			goto out;
	qsort(kv, n, sizeof(*kv), by_key);
	f = open_memstream(&buf, &blen);
	if (!f)
		goto out;
	fputs("{\n", f);
	for (size_t i = 0; i < n; i++) {
		fputs("    ", f);
		put_json_string(f, kv[i].key);
		fputs(": ", f);
		put_json_string(f, kv[i].val);
		fputs(i + 1 < n ? ",\n" : "\n", f);
	}
	fputc('}', f);
	rc = finish(f, &buf, &blen, out, len);
out:
	for (size_t i = 0; i < n; i++)
		free(kv[i].key);
	free(kv);
	return rc;
}

/* One TXT RDATA: quoted character-strings of at most DNSBUILD_TXT_CHUNK
 * bytes each (RFC 1035 §3.3.14), '"' and '\' escaped, other bytes outside
 * printable ASCII as \DDD (RFC 1035 §5.1). The limit counts the bytes on
 * the wire, not the escapes. */
static void put_txt(FILE *f, const char *s)
{
	size_t len = strlen(s);

	for (size_t off = 0; off < len || off == 0; off += DNSBUILD_TXT_CHUNK) {
		size_t end = off + DNSBUILD_TXT_CHUNK < len ?
			     off + DNSBUILD_TXT_CHUNK : len;

		if (off > 0)
			fputc(' ', f);
		fputc('"', f);
		for (size_t i = off; i < end; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '"' || c == '\\')
				fprintf(f, "\\%c", c);
			else if (c < 0x20 || c > 0x7e)
				fprintf(f, "\\%03u", c);
			else
				fputc(c, f);
		}
		fputc('"', f);
		if (len == 0)
			break;
	}
}

int dnsbuild_zone(const struct dnsbuild *b, const struct dnsbuild_zone_cfg *cfg,
		  char **out, size_t *len)
{
	static const struct dnsbuild_zone_cfg none = { 0 };
	char root[DNSTREE_ROOT_TEXT_MAX], ns[DNSTREE_DOMAIN_MAX + 8];
	char hm[DNSTREE_DOMAIN_MAX + 16], *buf = NULL;
	const char *rrtype = NULL;
	uint8_t addr[16];
	uint32_t serial;
	size_t blen = 0, nslen, dlen = strlen(b->domain);
	FILE *f;

	if (!cfg)
		cfg = &none;
	if (!b->signed_ ||
	    dnstree_format_root(root, sizeof(root), &b->root) < 0)
		return -EPROTO;
	if (cfg->ns_addr) {
		if (inet_pton(AF_INET, cfg->ns_addr, addr) == 1)
			rrtype = "A";
		else if (inet_pton(AF_INET6, cfg->ns_addr, addr) == 1)
			rrtype = "AAAA";
		else
			return -EINVAL;
	}
	if (cfg->ns)
		snprintf(ns, sizeof(ns), "%s", cfg->ns);
	else
		snprintf(ns, sizeof(ns), "ns1.%s.", b->domain);
	if (cfg->hostmaster)
		snprintf(hm, sizeof(hm), "%s", cfg->hostmaster);
	else
		snprintf(hm, sizeof(hm), "hostmaster.%s.", b->domain);
	serial = cfg->serial ? cfg->serial : (uint32_t)b->root.seq;
	if (serial == 0)
		serial = 1;

	f = open_memstream(&buf, &blen);
	if (!f)
		return -ENOMEM;
	fprintf(f, "; EIP-1459 node list %s seq=%llu\n", b->url,
		(unsigned long long)b->root.seq);
	fprintf(f, "$ORIGIN %s.\n$TTL %d\n", b->domain, DNSBUILD_NODE_TTL);
	/* refresh 1 h, retry 15 min, expire 2 weeks, negative TTL: the
	 * root's, so a name missing during an update is not cached longer
	 * than the root that will name it. */
	fprintf(f, "@\t%d\tIN\tSOA\t%s %s %u 3600 900 1209600 %d\n",
		DNSBUILD_ROOT_TTL, ns, hm, serial, DNSBUILD_ROOT_TTL);
	fprintf(f, "@\t%d\tIN\tNS\t%s\n", DNSBUILD_ROOT_TTL, ns);
	/* Glue only when the name server's name is inside the zone. */
	nslen = strlen(ns);
	if (rrtype && nslen > dlen + 2 && ns[nslen - 1] == '.' &&
	    ns[nslen - dlen - 2] == '.' &&
	    strncasecmp(ns + nslen - dlen - 1, b->domain, dlen) == 0)
		fprintf(f, "%.*s\t%d\tIN\t%s\t%s\n", (int)(nslen - dlen - 2),
			ns, DNSBUILD_ROOT_TTL, rrtype, cfg->ns_addr);
	fprintf(f, "@\t%d\tIN\tTXT\t", DNSBUILD_ROOT_TTL);
	put_txt(f, root);
	fputc('\n', f);
	for (size_t i = 0; i < b->n_ents; i++) {
		fprintf(f, "%s\t%d\tIN\tTXT\t", b->ents[i].name,
			DNSBUILD_NODE_TTL);
		put_txt(f, b->ents[i].text);
		fputc('\n', f);
	}
	return finish(f, &buf, &blen, out, len);
}

/* Go's time.Time JSON form (RFC 3339 with nanoseconds, trailing zeros of
 * the fraction dropped, none when zero), in UTC. */
static void put_go_time(FILE *f, int64_t sec, uint32_t nsec)
{
	char frac[16];
	time_t t = (time_t)sec;
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	fprintf(f, "\"%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (nsec > 0 && nsec < 1000000000u) {
		n = snprintf(frac, sizeof(frac), "%09u", nsec);
		while (n > 0 && frac[n - 1] == '0')
			frac[--n] = '\0';
		fprintf(f, ".%s", frac);
	}
	fputs("Z\"", f);
}

int dnsbuild_info_json(const struct dnsbuild *b, int64_t mtime_sec,
		       uint32_t mtime_nsec, char **out, size_t *len)
{
	char sig[DNSTREE_SIG_TEXT_LEN + 1], *buf = NULL;
	size_t blen = 0;
	FILE *f;

	if (!b->signed_)
		return -EPROTO;
	b64url_encode(sig, b->root.sig, DNSTREE_SIG_LEN);
	sig[DNSTREE_SIG_TEXT_LEN] = '\0';
	f = open_memstream(&buf, &blen);
	if (!f)
		return -ENOMEM;
	/* geth's dnsMetaJSON field order; url and signature are
	 * omitempty but always set once signed. Links: geth writes
	 * t.Links(), a walk of a Go map (random order), and its to-txt
	 * rebuilds the link subtree in file order, so with two links or
	 * more geth can refuse its own file. We keep the input order, the
	 * one the signature covers. */
	fputs("{\n    \"url\": ", f);
	put_json_string(f, b->url);
	fprintf(f, ",\n    \"seq\": %llu,\n    \"signature\": ",
		(unsigned long long)b->root.seq);
	put_json_string(f, sig);
	fputs(",\n    \"links\": [", f);
	for (size_t i = 0; i < b->n_links; i++) {
		fputs(i ? ",\n        " : "\n        ", f);
		put_json_string(f, b->links[i]);
	}
	fputs(b->n_links ? "\n    ],\n" : "],\n", f);
	fputs("    \"lastModified\": ", f);
	put_go_time(f, mtime_sec, mtime_nsec);
	fputs("\n}", f);
	return finish(f, &buf, &blen, out, len);
}
