/* SPDX-License-Identifier: MIT */
/* control/crawl/crawl_rlpx.c - the crawler's RLPx pass: probe queue, concurrency bound, results out and summary groups. */
#include "control/crawl/crawl_rlpx.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"

#define INDEX_MIN   64
#define KEY_MAX     96                  /* a summary group's value */

enum pstate { P_QUEUED, P_ACTIVE, P_DONE };

struct pnode {
	uint8_t pub[64];
	uint8_t ip[16];
	uint16_t tcp;
	enum pstate st;
};

/* One summary group: distinct values and their counts. */
struct group {
	struct gval {
		char key[KEY_MAX];
		uint64_t n;
	} *v;
	size_t n, cap;
};

enum grp { G_CLIENT, G_NETWORK, G_FORK, G_ETHVER, G_ERROR, G_MAX };

struct crawl_rlpx {
	struct crawl_rlpx_config cfg;
	struct pnode *nodes;
	size_t n, cap;
	uint32_t *index;                /* open addressing, node index + 1 */
	size_t index_cap;               /* power of two, > 2 * n */
	uint32_t *queue;                /* FIFO of node indices */
	size_t q_head, q_len, q_cap;
	struct crawl_rlpx_stats st;
	struct group g[G_MAX];
};

static size_t slot_of(const struct crawl_rlpx *c, const uint8_t pub[64])
{
	uint64_t h;

	/* Public keys are uniform enough: their first bytes are the hash. */
	memcpy(&h, pub, sizeof(h));
	return (size_t)h & (c->index_cap - 1);
}

static struct pnode *find(const struct crawl_rlpx *c, const uint8_t pub[64])
{
	for (size_t i = slot_of(c, pub); c->index[i];
	     i = (i + 1) & (c->index_cap - 1)) {
		struct pnode *p = &c->nodes[c->index[i] - 1];

		if (!memcmp(p->pub, pub, 64))
			return p;
	}
	return NULL;
}

static int index_grow(struct crawl_rlpx *c)
{
	size_t cap = c->index_cap * 2;
	uint32_t *ix = calloc(cap, sizeof(*ix));

	if (!ix)
		return -ENOMEM;
	free(c->index);
	c->index = ix;
	c->index_cap = cap;
	for (size_t k = 0; k < c->n; k++) {
		size_t i = slot_of(c, c->nodes[k].pub);

		while (c->index[i])
			i = (i + 1) & (cap - 1);
		c->index[i] = (uint32_t)(k + 1);
	}
	return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t nc = *cap ? *cap : 16;
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

int crawl_rlpx_new(struct crawl_rlpx **out,
		   const struct crawl_rlpx_config *cfg)
{
	struct crawl_rlpx *c;

	*out = NULL;
	if (!cfg || !cfg->start)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	if (!c->cfg.parallel)
		c->cfg.parallel = CRAWL_RLPX_DEFAULT_PARALLEL;
	if (!c->cfg.timeout_ns)
		c->cfg.timeout_ns = CRAWL_RLPX_DEFAULT_TIMEOUT_NS;
	c->index_cap = INDEX_MIN;
	c->index = calloc(c->index_cap, sizeof(*c->index));
	if (!c->index) {
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void crawl_rlpx_free(struct crawl_rlpx *c)
{
	if (!c)
		return;
	for (int i = 0; i < G_MAX; i++)
		free(c->g[i].v);
	free(c->nodes);
	free(c->index);
	free(c->queue);
	free(c);
}

int crawl_rlpx_add(struct crawl_rlpx *c, const uint8_t pub[64],
		   const uint8_t ip[16], uint16_t tcp)
{
	struct pnode *p;
	size_t i;

	if (!tcp)
		return -EINVAL;
	if (find(c, pub))
		return -EEXIST;
	if ((c->n + 1) * 2 > c->index_cap && index_grow(c) < 0)
		return -ENOMEM;
	if (grow((void **)&c->nodes, &c->cap, c->n + 1, sizeof(*c->nodes)) ||
	    grow((void **)&c->queue, &c->q_cap, c->q_head + c->q_len + 1,
		 sizeof(*c->queue)))
		return -ENOMEM;
	p = &c->nodes[c->n];
	memcpy(p->pub, pub, 64);
	memcpy(p->ip, ip, 16);
	p->tcp = tcp;
	p->st = P_QUEUED;
	for (i = slot_of(c, pub); c->index[i]; i = (i + 1) & (c->index_cap - 1))
		;
	c->index[i] = (uint32_t)(c->n + 1);
	c->queue[c->q_head + c->q_len++] = (uint32_t)c->n;
	c->n++;
	c->st.queued++;
	return 0;
}

void crawl_rlpx_on_timer(struct crawl_rlpx *c, uint64_t now_ns)
{
	while (c->q_len && c->st.active < c->cfg.parallel) {
		uint32_t k = c->queue[c->q_head];
		struct pnode *p = &c->nodes[k];
		int rc;

		c->q_head++;
		c->q_len--;
		c->st.queued--;
		p->st = P_ACTIVE;
		c->st.active++;
		rc = c->cfg.start(c->cfg.start_user, p->pub, p->ip, p->tcp,
				  c->cfg.timeout_ns, now_ns);
		p = &c->nodes[k];       /* start may have reported already */
		if (rc && p->st == P_ACTIVE) {
			struct rlpxprobe_result *r = calloc(1, sizeof(*r));

			if (!r) {       /* counted, not recorded */
				p->st = P_DONE;
				c->st.active--;
				c->st.done++;
				c->st.failed++;
				continue;
			}
			memcpy(r->pub, p->pub, 64);
			memcpy(r->ip, p->ip, 16);
			r->tcp = p->tcp;
			r->err = rc;
			r->disc_reason = P2P_DISC_NONE;
			r->started_ns = r->finished_ns = now_ns;
			crawl_rlpx_on_result(c, r);
			free(r);
		}
	}
	/* Reclaim the consumed head of the queue once it is empty. */
	if (!c->q_len)
		c->q_head = 0;
}

/* Counts one value of a group. */
static void group_add(struct group *g, const char *key)
{
	for (size_t i = 0; i < g->n; i++) {
		if (!strcmp(g->v[i].key, key)) {
			g->v[i].n++;
			return;
		}
	}
	if (grow((void **)&g->v, &g->cap, g->n + 1, sizeof(*g->v)))
		return;
	snprintf(g->v[g->n].key, KEY_MAX, "%s", key);
	g->v[g->n].n = 1;
	g->n++;
}

void crawl_rlpx_client_key(const char *client_id, char *out, size_t cap)
{
	size_t o = 0;
	int slashes = 0;

	if (!cap)
		return;
	for (const char *p = client_id; *p && o + 1 < cap; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '/' && ++slashes == 2)
			break;
		out[o++] = (ch < 0x20 || ch > 0x7e) ? '?' : (char)ch;
	}
	out[o] = '\0';
	if (!o)
		snprintf(out, cap, "(empty)");
}

void crawl_rlpx_error_class(const struct rlpxprobe_result *r, char *out,
			    size_t cap)
{
	if (r->has_status) {
		snprintf(out, cap, "%s", "");
		return;
	}
	if (r->disc_reason != P2P_DISC_NONE) {
		snprintf(out, cap, "%s%s", p2p_disc_reason_name(r->disc_reason),
			 r->disc_remote ? "" : " (ours)");
		return;
	}
	switch (r->err) {
	case -ETIMEDOUT:
		snprintf(out, cap, "timeout");
		return;
	case -ECONNREFUSED:
		snprintf(out, cap, "refused");
		return;
	case -ENETUNREACH:
	case -EHOSTUNREACH:
		snprintf(out, cap, "unreachable");
		return;
	default:
		break;
	}
	if (r->stage == RLPXPROBE_HANDSHAKE)
		snprintf(out, cap, "handshake failed");
	else if (r->err == -ECONNRESET || r->err == -EPIPE || !r->err)
		snprintf(out, cap, "closed");
	else
		snprintf(out, cap, "%s", strerror(-r->err));
}

void crawl_rlpx_on_result(struct crawl_rlpx *c,
			  const struct rlpxprobe_result *r)
{
	struct pnode *p = find(c, r->pub);
	char key[KEY_MAX], g[65];

	if (!p || p->st != P_ACTIVE)
		return;
	p->st = P_DONE;
	c->st.active--;
	c->st.done++;
	if (r->has_hello) {
		c->st.hello++;
		crawl_rlpx_client_key(r->hello.client_id, key, sizeof(key));
		group_add(&c->g[G_CLIENT], key);
	}
	if (r->eth_version) {
		snprintf(key, sizeof(key), "%" PRIu32, r->eth_version);
		group_add(&c->g[G_ETHVER], key);
	}
	if (r->has_status) {
		c->st.status++;
		if (r->status_err == ETH_OK)
			c->st.status_ok++;
		hex_encode(g, r->status.genesis, 32);
		g[64] = '\0';
		snprintf(key, sizeof(key), "%" PRIu64 "/%.8s", r->status.network_id,
			 g);
		group_add(&c->g[G_NETWORK], key);
		snprintf(key, sizeof(key), "%08x/%" PRIu64,
			 r->status.forkid.hash, r->status.forkid.next);
		group_add(&c->g[G_FORK], key);
	} else {
		c->st.failed++;
		crawl_rlpx_error_class(r, key, sizeof(key));
		group_add(&c->g[G_ERROR], key);
	}
	if (c->cfg.on_result)
		c->cfg.on_result(c->cfg.result_user, r);
}

bool crawl_rlpx_idle(const struct crawl_rlpx *c)
{
	return !c->q_len && !c->st.active;
}

void crawl_rlpx_stats(const struct crawl_rlpx *c, struct crawl_rlpx_stats *st)
{
	*st = c->st;
}

static size_t put(char *out, size_t cap, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t put(char *out, size_t cap, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (off + 1 >= cap)
		return off;
	va_start(ap, fmt);
	n = vsnprintf(out + off, cap - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return off;
	return off + (size_t)n < cap ? off + (size_t)n : cap - 1;
}

static int by_count(const void *a, const void *b)
{
	const struct gval *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

static size_t put_group(char *out, size_t cap, size_t off, const char *name,
			const struct group *g)
{
	struct gval *v;

	off = put(out, cap, off, "\nrlpx %s:", name);
	if (!g->n)
		return put(out, cap, off, " none");
	v = malloc(g->n * sizeof(*v));
	if (!v)
		return off;
	memcpy(v, g->v, g->n * sizeof(*v));
	qsort(v, g->n, sizeof(*v), by_count);
	for (size_t i = 0; i < g->n; i++)
		off = put(out, cap, off, "%s %s x%" PRIu64, i ? "," : "",
			  v[i].key, v[i].n);
	free(v);
	return off;
}

size_t crawl_rlpx_format_summary(const struct crawl_rlpx *c, char *out,
				 size_t cap)
{
	const struct crawl_rlpx_stats *st = &c->st;
	size_t off = 0;

	if (!cap)
		return 0;
	out[0] = '\0';
	off = put(out, cap, off, "rlpx: %" PRIu64 " probed, %" PRIu64
		  " hello, %" PRIu64 " status (%" PRIu64 " compatible), %"
		  PRIu64 " failed", st->done, st->hello, st->status,
		  st->status_ok, st->failed);
	if (st->queued || st->active)
		off = put(out, cap, off, ", %" PRIu64 " not finished",
			  st->queued + st->active);
	off = put_group(out, cap, off, "clients", &c->g[G_CLIENT]);
	off = put_group(out, cap, off, "networks", &c->g[G_NETWORK]);
	off = put_group(out, cap, off, "fork ids", &c->g[G_FORK]);
	off = put_group(out, cap, off, "eth versions", &c->g[G_ETHVER]);
	off = put_group(out, cap, off, "errors", &c->g[G_ERROR]);
	return off;
}
