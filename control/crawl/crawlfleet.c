/* SPDX-License-Identifier: MIT */
/* control/crawl/crawlfleet.c - a crawler's side of a leased crawl round (sans-I/O). */
#include "control/crawl/crawlfleet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/discv4/kad.h"

/* A visit in flight: the parts it still waits for. */
struct visit {
	uint8_t id[CRAWLFLEET_ID_LEN];
	unsigned parts;                 /* 0: free slot */
};

struct crawlfleet {
	struct crawlfleet_config cfg;
	struct visit *v;                /* open addressing, linear probing */
	size_t cap;                     /* power of two, > 2 x in flight */
	size_t n;                       /* visits in flight */
	bool outstanding;               /* a request without answer */
	unsigned last_room;
	uint64_t next_poll;
	uint64_t dry_since;             /* 0: not dry */
	struct crawlfleet_stats st;
};

static size_t slot_of(const uint8_t id[CRAWLFLEET_ID_LEN], size_t cap)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));      /* keccak output: uniform */
	return (size_t)h & (cap - 1);
}

static struct visit *find(const struct crawlfleet *f,
			  const uint8_t id[CRAWLFLEET_ID_LEN])
{
	for (size_t i = slot_of(id, f->cap);; i = (i + 1) & (f->cap - 1)) {
		if (!f->v[i].parts)
			return NULL;
		if (!memcmp(f->v[i].id, id, CRAWLFLEET_ID_LEN))
			return &f->v[i];
	}
}

static void put(struct visit *tab, size_t cap, const struct visit *e)
{
	size_t i = slot_of(e->id, cap);

	while (tab[i].parts)
		i = (i + 1) & (cap - 1);
	tab[i] = *e;
}

/* Keeps the table at most half full, so probes stay short and a free
 * slot always ends them. */
static int reserve(struct crawlfleet *f)
{
	struct visit *nv;
	size_t cap;

	if ((f->n + 1) * 2 <= f->cap)
		return 0;
	cap = f->cap * 2;
	nv = calloc(cap, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	for (size_t i = 0; i < f->cap; i++)
		if (f->v[i].parts)
			put(nv, cap, &f->v[i]);
	free(f->v);
	f->v = nv;
	f->cap = cap;
	return 0;
}

/* Removes e, shifting back the entries of its probe run that would
 * otherwise become unreachable (no tombstones). */
static void remove_at(struct crawlfleet *f, struct visit *e)
{
	size_t i = (size_t)(e - f->v), j = i;

	f->v[i].parts = 0;
	for (;;) {
		size_t k;

		j = (j + 1) & (f->cap - 1);
		if (!f->v[j].parts)
			break;
		k = slot_of(f->v[j].id, f->cap);
		/* Entry j may move to the hole at i unless its home k lies
		 * cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		f->v[i] = f->v[j];
		f->v[j].parts = 0;
		i = j;
	}
	f->n--;
}

int crawlfleet_new(struct crawlfleet **out, const struct crawlfleet_config *cfg)
{
	struct crawlfleet *f;

	*out = NULL;
	if (!cfg || !cfg->start || !cfg->lease || !cfg->finish)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->cfg = *cfg;
	if (!f->cfg.max_visits)
		f->cfg.max_visits = CRAWLFLEET_DEFAULT_MAX_VISITS;
	if (!f->cfg.poll_ns)
		f->cfg.poll_ns = CRAWLFLEET_DEFAULT_POLL_NS;
	if (!f->cfg.linger_ns)
		f->cfg.linger_ns = CRAWLFLEET_DEFAULT_LINGER_NS;
	f->cap = 64;
	f->v = calloc(f->cap, sizeof(*f->v));
	if (!f->v) {
		free(f);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

void crawlfleet_free(struct crawlfleet *f)
{
	if (!f)
		return;
	free(f->v);
	free(f);
}

void crawlfleet_on_timer(struct crawlfleet *f, unsigned room, uint64_t now)
{
	size_t free_visits = f->cfg.max_visits > f->n ?
			     f->cfg.max_visits - f->n : 0;

	if (room > free_visits)
		room = (unsigned)free_visits;
	f->last_room = room;
	if (f->outstanding || !room || now < f->next_poll)
		return;
	f->outstanding = true;
	f->st.requests++;
	f->cfg.lease(f->cfg.user, room);
}

size_t crawlfleet_on_leased(struct crawlfleet *f,
			    const struct discv4_node *nodes, size_t n,
			    bool pending, bool leased, uint64_t now)
{
	size_t started = 0;

	f->outstanding = false;
	f->st.leased += n;
	if (!n) {
		f->st.empty++;
		f->next_poll = now + f->cfg.poll_ns;
		if (pending || leased || f->n)
			f->dry_since = 0;
		else if (!f->dry_since)
			f->dry_since = now ? now : 1;
		return 0;
	}
	f->next_poll = now;             /* more at once, if room */
	f->dry_since = 0;
	for (size_t i = 0; i < n; i++) {
		struct visit e = { .parts = 0 };

		kad_node_id(e.id, nodes[i].id);
		if (find(f, e.id)) {
			f->st.duplicates++;
			continue;
		}
		e.parts = f->cfg.start(f->cfg.user, &nodes[i], now) &
			  (CRAWLFLEET_DISC | CRAWLFLEET_RLPX);
		started++;
		if (!e.parts || reserve(f) < 0) {
			/* Nothing to wait for (or no memory to wait): the
			 * visit is what it is. */
			f->st.finished++;
			f->cfg.finish(f->cfg.user, e.id);
			continue;
		}
		put(f->v, f->cap, &e);
		f->n++;
	}
	return started;
}

bool crawlfleet_part_done(struct crawlfleet *f,
			  const uint8_t id[CRAWLFLEET_ID_LEN], unsigned part)
{
	struct visit *e = find(f, id);
	uint8_t done[CRAWLFLEET_ID_LEN];

	if (!e || !(e->parts & part))
		return false;
	e->parts &= ~part;
	if (e->parts)
		return true;
	memcpy(done, e->id, sizeof(done));
	remove_at(f, e);
	f->st.finished++;
	f->cfg.finish(f->cfg.user, done);
	return true;
}

uint64_t crawlfleet_next_deadline(const struct crawlfleet *f)
{
	uint64_t t = UINT64_MAX;

	if (!f->outstanding && f->last_room)
		t = f->next_poll;
	if (f->dry_since && f->dry_since + f->cfg.linger_ns < t)
		t = f->dry_since + f->cfg.linger_ns;
	return t;
}

bool crawlfleet_dry(const struct crawlfleet *f, uint64_t now)
{
	return f->dry_since && !f->n && now >= f->dry_since + f->cfg.linger_ns;
}

void crawlfleet_stats(const struct crawlfleet *f, struct crawlfleet_stats *st)
{
	*st = f->st;
	st->in_flight = f->n;
}
