/* SPDX-License-Identifier: MIT */
/* control/peers/dial.c - dial scheduler (geth p2p/dial.go), sans-I/O. */
#include "control/peers/dial.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int dial_init(struct dial *d, const uint8_t self[DIAL_ID_LEN],
	      unsigned max_dialed, unsigned max_active)
{
	if (!d || !self)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	memcpy(d->self, self, DIAL_ID_LEN);
	d->max_dialed = max_dialed;
	d->max_active = max_active ? max_active : DIAL_MAX_ACTIVE;
	d->dialing = calloc(d->max_active, sizeof(*d->dialing));
	d->cap_conns = 16;
	d->conns = calloc(d->cap_conns, sizeof(*d->conns));
	if (!d->dialing || !d->conns) {
		dial_fini(d);
		return -ENOMEM;
	}
	return 0;
}

void dial_fini(struct dial *d)
{
	free(d->dialing);
	free(d->conns);
	d->dialing = NULL;
	d->conns = NULL;
	d->n_dialing = d->n_conns = d->cap_conns = 0;
}

bool dial_is_connected(const struct dial *d, const uint8_t id[DIAL_ID_LEN])
{
	for (size_t i = 0; i < d->n_conns; i++)
		if (!memcmp(d->conns[i].id, id, DIAL_ID_LEN))
			return true;
	return false;
}

bool dial_is_dialing(const struct dial *d, const uint8_t id[DIAL_ID_LEN])
{
	for (size_t i = 0; i < d->n_dialing; i++)
		if (!memcmp(d->dialing[i].t.id, id, DIAL_ID_LEN))
			return true;
	return false;
}

bool dial_in_history(const struct dial *d, const uint8_t id[DIAL_ID_LEN],
		     uint64_t now_ns)
{
	for (size_t i = 0; i < DIAL_HISTORY_SLOTS; i++)
		if (d->hist[i].until_ns > now_ns &&
		    !memcmp(d->hist[i].id, id, DIAL_ID_LEN))
			return true;
	return false;
}

static void hist_add(struct dial *d, const uint8_t id[DIAL_ID_LEN],
		     uint64_t now)
{
	struct dial_hist *best = &d->hist[0];

	for (size_t i = 0; i < DIAL_HISTORY_SLOTS; i++) {
		struct dial_hist *h = &d->hist[i];

		if (h->until_ns <= now || !memcmp(h->id, id, DIAL_ID_LEN)) {
			best = h;
			break;
		}
		if (h->until_ns < best->until_ns)
			best = h;
	}
	memcpy(best->id, id, DIAL_ID_LEN);
	best->until_ns = now + DIAL_HISTORY_NS;
}

static bool is_static(const struct dial *d, const uint8_t id[DIAL_ID_LEN])
{
	for (size_t i = 0; i < d->n_static; i++)
		if (!memcmp(d->statics[i].id, id, DIAL_ID_LEN))
			return true;
	return false;
}

int dial_add_static(struct dial *d, const struct dial_target *t)
{
	if (!t->tcp_port || !memcmp(t->id, d->self, DIAL_ID_LEN))
		return -EINVAL;
	if (is_static(d, t->id))
		return -EEXIST;
	if (d->n_static == DIAL_MAX_STATIC)
		return -ENOSPC;
	d->statics[d->n_static] = *t;
	d->statics[d->n_static++].is_static = true;
	return 0;
}

static bool dialable(const struct dial *d, const struct dial_target *t,
		     uint64_t now)
{
	return t->tcp_port && memcmp(t->id, d->self, DIAL_ID_LEN) &&
	       !dial_is_connected(d, t->id) && !dial_is_dialing(d, t->id) &&
	       !dial_in_history(d, t->id, now);
}

bool dial_add_candidate(struct dial *d, const struct dial_target *t,
			uint64_t now_ns)
{
	if (!dialable(d, t, now_ns) || is_static(d, t->id))
		return false;
	for (size_t i = 0; i < d->n_cands; i++)
		if (!memcmp(d->cands[i].id, t->id, DIAL_ID_LEN))
			return false;
	if (d->n_cands == DIAL_MAX_CANDS) {
		/* Keep the newest: drop the oldest. */
		memmove(&d->cands[0], &d->cands[1],
			(DIAL_MAX_CANDS - 1) * sizeof(d->cands[0]));
		d->n_cands--;
	}
	d->cands[d->n_cands] = *t;
	d->cands[d->n_cands++].is_static = false;
	return true;
}

unsigned dial_free_slots(const struct dial *d)
{
	unsigned slots;

	if (d->dialed_peers >= d->max_dialed)
		return 0;
	slots = (d->max_dialed - d->dialed_peers) * 2;
	if (slots > d->max_active)
		slots = d->max_active;
	return slots > d->n_dialing ? slots - (unsigned)d->n_dialing : 0;
}

static void start(struct dial *d, const struct dial_target *t, uint64_t now)
{
	struct dial_inflight *f = &d->dialing[d->n_dialing++];

	f->t = *t;
	f->started_ns = now;
	f->handle = 0;
	hist_add(d, t->id, now);
	d->st.started++;
	if (t->is_static)
		d->st.started_static++;
}

size_t dial_next(struct dial *d, struct dial_target *out, size_t n,
		 uint64_t now_ns)
{
	unsigned free_slots = dial_free_slots(d);
	size_t k = 0;

	if (n > free_slots)
		n = free_slots;
	for (size_t i = 0; i < d->n_static && k < n; i++) {
		if (!dialable(d, &d->statics[i], now_ns))
			continue;
		out[k] = d->statics[i];
		start(d, &out[k], now_ns);
		k++;
	}
	while (k < n && d->n_cands) {
		struct dial_target t = d->cands[0];

		memmove(&d->cands[0], &d->cands[1],
			(d->n_cands - 1) * sizeof(d->cands[0]));
		d->n_cands--;
		if (!dialable(d, &t, now_ns)) {
			if (dial_is_connected(d, t.id))
				d->st.skipped_connected++;
			else
				d->st.skipped_history++;
			continue;
		}
		out[k] = t;
		start(d, &out[k], now_ns);
		k++;
	}
	return k;
}

static struct dial_inflight *inflight(struct dial *d,
				      const uint8_t id[DIAL_ID_LEN])
{
	for (size_t i = 0; i < d->n_dialing; i++)
		if (!memcmp(d->dialing[i].t.id, id, DIAL_ID_LEN))
			return &d->dialing[i];
	return NULL;
}

int dial_started(struct dial *d, const uint8_t id[DIAL_ID_LEN],
		 uint64_t handle)
{
	struct dial_inflight *f = inflight(d, id);

	if (!f)
		return -ENOENT;
	f->handle = handle;
	return 0;
}

static void drop_inflight(struct dial *d, struct dial_inflight *f)
{
	*f = d->dialing[--d->n_dialing];
}

int dial_done(struct dial *d, const uint8_t id[DIAL_ID_LEN], bool ok)
{
	struct dial_inflight *f = inflight(d, id);

	if (!f)
		return -ENOENT;
	if (ok)
		d->st.succeeded++;
	else
		d->st.failed++;
	drop_inflight(d, f);
	return 0;
}

size_t dial_expired(struct dial *d, uint64_t *handles, size_t n,
		    uint64_t now_ns)
{
	size_t k = 0;

	for (size_t i = 0; i < d->n_dialing && k < n;) {
		struct dial_inflight *f = &d->dialing[i];

		if (now_ns - f->started_ns < DIAL_TIMEOUT_NS ||
		    now_ns < f->started_ns) {
			i++;
			continue;
		}
		handles[k++] = f->handle;
		d->st.timed_out++;
		drop_inflight(d, f);
	}
	return k;
}

uint64_t dial_next_deadline(const struct dial *d)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < d->n_dialing; i++)
		if (d->dialing[i].started_ns + DIAL_TIMEOUT_NS < next)
			next = d->dialing[i].started_ns + DIAL_TIMEOUT_NS;
	for (size_t s = 0; s < d->n_static; s++) {
		const uint8_t *id = d->statics[s].id;

		if (dial_is_connected(d, id) || dial_is_dialing(d, id))
			continue;
		for (size_t i = 0; i < DIAL_HISTORY_SLOTS; i++)
			if (d->hist[i].until_ns &&
			    !memcmp(d->hist[i].id, id, DIAL_ID_LEN) &&
			    d->hist[i].until_ns < next)
				next = d->hist[i].until_ns;
	}
	return next;
}

int dial_peer_added(struct dial *d, const uint8_t id[DIAL_ID_LEN],
		    bool dialed)
{
	if (d->n_conns == d->cap_conns) {
		size_t nc = d->cap_conns * 2;
		struct dial_conn *c = realloc(d->conns, nc * sizeof(*c));

		if (!c)
			return -ENOMEM;
		d->conns = c;
		d->cap_conns = nc;
	}
	memcpy(d->conns[d->n_conns].id, id, DIAL_ID_LEN);
	d->conns[d->n_conns++].dialed = dialed;
	if (dialed)
		d->dialed_peers++;
	return 0;
}

int dial_peer_removed(struct dial *d, const uint8_t id[DIAL_ID_LEN])
{
	for (size_t i = 0; i < d->n_conns; i++) {
		if (memcmp(d->conns[i].id, id, DIAL_ID_LEN))
			continue;
		if (d->conns[i].dialed)
			d->dialed_peers--;
		d->conns[i] = d->conns[--d->n_conns];
		return 0;
	}
	return -ENOENT;
}
