/* SPDX-License-Identifier: MIT */
/* control/crawl/enrsum.c - a crawl's records tallied by ENR key, eth fork id and eth2 fork digest. */
#include "control/crawl/enrsum.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rlp.h"
#include "control/rlpx/forkid.h"

void enrsum_init(struct enrsum *s)
{
	memset(s, 0, sizeof(*s));
}

static void count(struct enrsum_group *g, const char *name)
{
	for (unsigned i = 0; i < g->n; i++) {
		if (!strcmp(g->v[i].name, name)) {
			g->v[i].count++;
			return;
		}
	}
	if (g->n == ENRSUM_MAX_VALUES) {
		g->other++;
		return;
	}
	snprintf(g->v[g->n].name, ENRSUM_NAME_MAX, "%s", name);
	g->v[g->n++].count = 1;
}

uint64_t enrsum_count(const struct enrsum_group *g, const char *name)
{
	for (unsigned i = 0; i < g->n; i++)
		if (!strcmp(g->v[i].name, name))
			return g->v[i].count;
	return 0;
}

/* The "eth" entry's first fork id, as "0xHASH/NEXT". */
static int eth_name(char *out, size_t cap, const uint8_t *v, size_t len)
{
	struct rlp_item list, first;
	struct rlp_iter it;
	struct forkid id;

	if (rlp_next(&list, v, len) != (ssize_t)len || !list.is_list)
		return -EBADMSG;
	rlp_iter_init(&it, &list);
	if (rlp_iter_next(&it, &first) != 1 || !first.is_list ||
	    forkid_from_item(&id, &first) != 0)
		return -EBADMSG;
	snprintf(out, cap, "0x%08x/%llu", (unsigned)id.hash,
		 (unsigned long long)id.next);
	return 0;
}

/* The "eth2" entry's fork digest, as "0xDIGEST". */
static int eth2_name(char *out, size_t cap, const uint8_t *v, size_t len)
{
	struct rlp_item it;

	if (rlp_next(&it, v, len) != (ssize_t)len || it.is_list || it.len < 4)
		return -EBADMSG;
	snprintf(out, cap, "0x%02x%02x%02x%02x", it.p[0], it.p[1], it.p[2],
		 it.p[3]);
	return 0;
}

void enrsum_add(struct enrsum *s, const struct enr *r)
{
	char name[ENRSUM_NAME_MAX];
	const uint8_t *v;
	size_t len;

	s->records++;
	for (size_t i = 0; i < r->n; i++) {
		const struct enr_pair *p = &r->pairs[i];
		size_t k;

		for (k = 0; k < p->key_len && k < sizeof(name) - 1; k++) {
			unsigned char ch = r->kv[p->key_off + k];

			name[k] = ch < 0x21 || ch > 0x7e ? '?' : (char)ch;
		}
		name[k] = '\0';
		count(&s->keys, name);
	}
	if (enr_get_raw(r, "eth", &v, &len) == 0) {
		if (eth_name(name, sizeof(name), v, len) == 0)
			count(&s->eth, name);
		else
			s->eth_bad++;
	}
	if (enr_get_raw(r, "eth2", &v, &len) == 0) {
		if (eth2_name(name, sizeof(name), v, len) == 0)
			count(&s->eth2, name);
		else
			s->eth2_bad++;
	}
}

static size_t put(char *out, size_t cap, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t put(char *out, size_t cap, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (off >= cap)
		return off;
	va_start(ap, fmt);
	n = vsnprintf(out + off, cap - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return off;
	off += (size_t)n;
	return off < cap ? off : cap - 1;
}

static int by_count(const void *a, const void *b)
{
	const struct enrsum_value *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

static size_t put_group(char *out, size_t cap, size_t off,
			const struct enrsum_group *g, uint64_t bad)
{
	struct enrsum_value v[ENRSUM_MAX_VALUES];

	memcpy(v, g->v, g->n * sizeof(v[0]));
	qsort(v, g->n, sizeof(v[0]), by_count);
	if (!g->n && !g->other)
		off = put(out, cap, off, " -");
	for (unsigned i = 0; i < g->n; i++)
		off = put(out, cap, off, "%s %s x%llu", i ? "," : "",
			  v[i].name, (unsigned long long)v[i].count);
	if (g->other)
		off = put(out, cap, off, "%s other x%llu", g->n ? "," : "",
			  (unsigned long long)g->other);
	if (bad)
		off = put(out, cap, off, "; %llu undecodable",
			  (unsigned long long)bad);
	return off;
}

size_t enrsum_format(const struct enrsum *s, char *out, size_t cap)
{
	size_t off;

	if (!cap)
		return 0;
	out[0] = '\0';
	off = put(out, cap, 0, "enr keys (%llu records):",
		  (unsigned long long)s->records);
	off = put_group(out, cap, off, &s->keys, 0);
	off = put(out, cap, off, "\nenr eth fork ids:");
	off = put_group(out, cap, off, &s->eth, s->eth_bad);
	off = put(out, cap, off, "\nenr eth2 fork digests:");
	off = put_group(out, cap, off, &s->eth2, s->eth2_bad);
	return off;
}
