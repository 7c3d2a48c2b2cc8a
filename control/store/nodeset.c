/* SPDX-License-Identifier: MIT */
/* control/store/nodeset.c - geth's `devp2p nodeset filter` and `nodeset
 * info` (cmd/devp2p/nodesetcmd.go) on a node set. */
#include "control/store/nodeset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/enode.h"
#include "common/enr.h"
#include "common/rlp.h"

#define NS_PER_S 1000000000ll

/* A record as geth sees it: an ENR, or the one enode.NewV4 makes of an
 * enode:// URL (keys, ip and ports only). */
struct rec {
	bool is_enr;
	struct enr enr;
	struct enode url;
};

static int rec_load(struct rec *r, const char *text)
{
	size_t len = strlen(text);

	memset(r, 0, sizeof(*r));
	if (len > 4 && !memcmp(text, ENR_TEXT_PREFIX, 4)) {
		r->is_enr = true;
		return enr_decode_text(&r->enr, text, len) < 0 ? -EBADMSG : 0;
	}
	return enode_parse(&r->url, text, len) ? -EBADMSG : 0;
}

static bool url_has_ip(const struct enode *u)
{
	return u->kind == ENODE_HOST_IP4 || u->kind == ENODE_HOST_IP6;
}

/* The keys NewV4 sets, sorted as in a record. */
static size_t url_keys(const struct enode *u, const char *keys[5])
{
	size_t n = 0;

	if (url_has_ip(u))
		keys[n++] = u->kind == ENODE_HOST_IP4 ? "ip" : "ip6";
	keys[n++] = "secp256k1";
	if (u->tcp)
		keys[n++] = "tcp";
	if (u->udp)
		keys[n++] = "udp";
	return n;
}

static bool has_list_entry(const struct rec *r, const char *key)
{
	const uint8_t *v;
	size_t len;
	struct rlp_item it;

	/* geth loads struct{ Tail []rlp.RawValue `rlp:"tail"` }: a list. */
	return r->is_enr && enr_get_raw(&r->enr, key, &v, &len) == 0 &&
	       rlp_next(&it, v, len) == (ssize_t)len && it.is_list;
}

/* The "eth" entry's fork id: [[hash, next], ...]. */
static bool eth_ok(const struct rec *r, const struct forkid_chain *c)
{
	const uint8_t *v;
	size_t len;
	struct rlp_item list, first;
	struct rlp_iter iter;
	struct forkid id;

	if (!r->is_enr || enr_get_eth(&r->enr, &v, &len) != 0 ||
	    rlp_next(&list, v, len) != (ssize_t)len || !list.is_list)
		return false;
	rlp_iter_init(&iter, &list);
	if (rlp_iter_next(&iter, &first) != 1 || !first.is_list ||
	    forkid_from_item(&id, &first) != 0)
		return false;
	return forkid_validate(c, 0, 0, &id) == FORKID_OK;
}

static uint16_t port_of(const struct rec *r,
			int (*get)(const struct enr *, uint16_t *))
{
	uint16_t p;

	return get(&r->enr, &p) == 0 ? p : 0;
}

/* quic and quic6 have no typed getter: a big-endian uint16. */
static uint16_t raw_port(const struct rec *r, const char *key)
{
	const uint8_t *v;
	size_t len;
	struct rlp_item it;
	uint64_t p;

	if (enr_get_raw(&r->enr, key, &v, &len) != 0 ||
	    rlp_next(&it, v, len) != (ssize_t)len || it.is_list ||
	    rlp_to_u64(&p, &it) != 0 || p > 65535)
		return 0;
	return (uint16_t)p;
}

static bool dialable(const struct rec *r)
{
	if (!r->is_enr)
		return r->url.tcp != 0;
	return port_of(r, enr_get_tcp) || port_of(r, enr_get_tcp6) ||
	       raw_port(r, "quic") || raw_port(r, "quic6");
}

/* geth's localityScore: the more global address wins. */
static int locality(const uint8_t a[16])
{
	if (netutil_is_unspecified(a))
		return 0;
	if (netutil_is_loopback(a))
		return 1;
	if (netutil_addr_is_v4(a) ? (a[12] == 169 && a[13] == 254) :
	    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
		return 2;
	if (netutil_addr_is_v4(a) ?
	    (a[12] == 10 || (a[12] == 172 && (a[13] & 0xf0) == 16) ||
	     (a[12] == 192 && a[13] == 168)) : (a[0] & 0xfe) == 0xfc)
		return 3;
	return 4;
}

static bool multicast(const uint8_t a[16])
{
	return netutil_addr_is_v4(a) ? (a[12] & 0xf0) == 0xe0 : a[0] == 0xff;
}

/* geth's Node.IPAddr(): ip or ip6, whichever is more global (ip on a
 * tie), multicast ignored. */
static bool node_ip(const struct rec *r, uint8_t out[16])
{
	uint8_t ip4[4], a4[16] = { [10] = 0xff, [11] = 0xff }, a6[16];
	bool v4, v6;

	if (!r->is_enr) {
		memcpy(out, r->url.ip, 16);
		return url_has_ip(&r->url);
	}
	v4 = enr_get_ip(&r->enr, ip4) == 0;
	if (v4)
		memcpy(a4 + 12, ip4, 4);
	v6 = enr_get_ip6(&r->enr, a6) == 0;
	v4 = v4 && !multicast(a4);
	v6 = v6 && !multicast(a6);
	if (v4 && (!v6 || locality(a4) >= locality(a6)))
		memcpy(out, a4, 16);
	else if (v6)
		memcpy(out, a6, 16);
	return v4 || v6;
}

/* Nanoseconds since 1970 (128 bits: year 1 does not fit 64). */
static __int128 ns_of(int64_t t, uint32_t nsec)
{
	if (t == NODESJSON_ZERO_TIME)
		t = -62135596800ll;
	return (__int128)t * NS_PER_S + nsec;
}

bool nodeset_match(const struct nodesjson_entry *e,
		   const struct nodeset_filter *f)
{
	struct rec *r = malloc(sizeof(*r));
	uint8_t ip[16];
	bool ok = false;

	if (!r || rec_load(r, e->record))
		goto out;
	if (f->eth && !eth_ok(r, f->eth))
		goto out;
	if (f->snap && !has_list_entry(r, "snap"))
		goto out;
	if (f->les && !has_list_entry(r, "les"))
		goto out;
	if (f->dialable && !dialable(r))
		goto out;
	if (f->has_ip && (!node_ip(r, ip) ||
			  !netutil_prefix_contains(&f->ip, ip)))
		goto out;
	/* geth's Sub saturates at about 292 years; exact here, same
	 * verdict for any min-age that fits a uint64 of nanoseconds. */
	if (f->has_min_age &&
	    ns_of(e->last_response, e->nsec[1]) -
	    ns_of(e->first_response, e->nsec[0]) < (__int128)f->min_age_ns)
		goto out;
	ok = true;
out:
	free(r);
	return ok;
}

static int by_score(const void *a, const void *b)
{
	const struct nodesjson_entry *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return memcmp(x->id, y->id, NODESJSON_ID_LEN);
}

size_t nodeset_filter(struct nodesjson_set *set,
		      const struct nodeset_filter *f)
{
	size_t o = 0;

	for (size_t i = 0; i < set->n; i++)
		if (nodeset_match(&set->entries[i], f))
			set->entries[o++] = set->entries[i];
	set->n = o;
	if (f->limit >= 0 && (size_t)f->limit < set->n) {
		qsort(set->entries, set->n, sizeof(*set->entries), by_score);
		set->n = (size_t)f->limit;
	}
	return set->n;
}

struct keycount {
	char key[64];
	size_t n;
};

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct keycount *)a)->key,
		      ((const struct keycount *)b)->key);
}

static int count_key(struct keycount **kc, size_t *n, size_t *cap,
		     const char *key, size_t len)
{
	if (len >= sizeof((*kc)->key))
		len = sizeof((*kc)->key) - 1;
	for (size_t i = 0; i < *n; i++)
		if (strlen((*kc)[i].key) == len &&
		    !memcmp((*kc)[i].key, key, len)) {
			(*kc)[i].n++;
			return 0;
		}
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct keycount *m = realloc(*kc, c * sizeof(*m));

		if (!m)
			return -ENOMEM;
		*kc = m;
		*cap = c;
	}
	memcpy((*kc)[*n].key, key, len);
	(*kc)[*n].key[len] = '\0';
	(*kc)[(*n)++].n = 1;
	return 0;
}

int nodeset_fprint_info(FILE *f, const struct nodesjson_set *set)
{
	struct keycount *kc = NULL;
	struct rec *r = malloc(sizeof(*r));
	size_t n = 0, cap = 0, width = 0;
	int rc = 0;

	if (!r)
		return -ENOMEM;
	fprintf(f, "Set contains %zu nodes.\n", set->n);
	for (size_t i = 0; i < set->n && !rc; i++) {
		if (rec_load(r, set->entries[i].record))
			continue;       /* nodesjson_parse() checked it */
		if (r->is_enr) {
			for (uint16_t k = 0; k < r->enr.n && !rc; k++)
				rc = count_key(&kc, &n, &cap,
					       (const char *)r->enr.kv +
					       r->enr.pairs[k].key_off,
					       r->enr.pairs[k].key_len);
		} else {
			const char *keys[5];
			size_t m = url_keys(&r->url, keys);

			for (size_t k = 0; k < m && !rc; k++)
				rc = count_key(&kc, &n, &cap, keys[k],
					       strlen(keys[k]));
		}
	}
	if (!rc) {
		if (n)
			qsort(kc, n, sizeof(*kc), by_key);
		for (size_t i = 0; i < n; i++)
			if (strlen(kc[i].key) > width)
				width = strlen(kc[i].key);
		fputs("ENR attribute counts:\n", f);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%*s: %zu\n", (int)width + 1, kc[i].key,
				kc[i].n);
		if (ferror(f))
			rc = -EIO;
	}
	free(kc);
	free(r);
	return rc;
}
