/* SPDX-License-Identifier: MIT */
/* control/nat/natmap.c - NAT port mapping decisions, sans-I/O. */
#include "control/nat/natmap.h"

#include <errno.h>
#include <string.h>

#define SEC_NS 1000000000ull

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				       0xff, 0xff };

const char *natmap_mech_name(enum natmap_mech mech)
{
	switch (mech) {
	case NATMAP_NONE:
		return "none";
	case NATMAP_EXTIP:
		return "extip";
	case NATMAP_UPNP:
		return "upnp";
	case NATMAP_PMP:
		return "pmp";
	case NATMAP_ANY:
		return "any";
	}
	return "?";
}

/* splitmix64: random external ports need no more than this. */
static uint64_t rnd(struct natmap *m)
{
	uint64_t z = (m->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void emit(struct natmap *m, const struct natmap_event *e)
{
	if (m->ev_len == NATMAP_EV_QUEUE) {
		m->ev_dropped++;
		return;
	}
	m->ev[(m->ev_head + m->ev_len) % NATMAP_EV_QUEUE] = *e;
	m->ev_len++;
}

static void emit_map(struct natmap *m, enum natmap_ev_type t,
		     const struct natmap_mapping *mp, uint16_t ext_port,
		     int err, uint64_t at_ns)
{
	struct natmap_event e = {
		.type = t, .mech = m->found, .proto = mp->proto,
		.int_port = mp->int_port, .ext_port = ext_port, .err = err,
		.retries = mp->retries, .at_ns = at_ns,
	};

	emit(m, &e);
}

/* Queues a request with a flight slot for its result. The callers keep
 * at most two discoveries, one external-IP read and one request per
 * mapping in flight, fewer than NATMAP_MAX_INFLIGHT: a full table is a
 * bug, reported as -ENOBUFS and never hit by the tests' schedules. */
static int queue(struct natmap *m, const struct natmap_req *r, int map)
{
	struct natmap_flight *f = NULL;
	struct natmap_req *q;

	for (unsigned i = 0; i < NATMAP_MAX_INFLIGHT; i++) {
		if (!m->fl[i].id) {
			f = &m->fl[i];
			break;
		}
	}
	if (!f || m->rq_len == NATMAP_MAX_INFLIGHT)
		return -ENOBUFS;
	if (++m->next_id == 0)
		m->next_id = 1;
	f->id = m->next_id;
	f->op = r->op;
	f->mech = r->mech;
	f->map = map;
	f->ext_port = r->ext_port;
	q = &m->rq[(m->rq_head + m->rq_len) % NATMAP_MAX_INFLIGHT];
	*q = *r;
	q->id = f->id;
	m->rq_len++;
	return 0;
}

static void start_discovery(struct natmap *m)
{
	struct natmap_req r = { .op = NATMAP_OP_DISCOVER };

	m->state = NATMAP_S_DISCOVER;
	m->disc_left = 0;
	if (m->cfg.mech == NATMAP_UPNP || m->cfg.mech == NATMAP_ANY) {
		r.mech = NATMAP_UPNP;
		if (queue(m, &r, -1) == 0)
			m->disc_left++;
	}
	if (m->cfg.mech == NATMAP_PMP || m->cfg.mech == NATMAP_ANY) {
		r.mech = NATMAP_PMP;
		if (queue(m, &r, -1) == 0)
			m->disc_left++;
	}
}

static void queue_map(struct natmap *m, int i, uint64_t now_ns)
{
	struct natmap_mapping *mp = &m->map[i];
	struct natmap_req r = {
		.op = NATMAP_OP_MAP, .mech = m->found, .proto = mp->proto,
		.int_port = mp->int_port,
		.lifetime_s = (uint32_t)(m->lease_ns / SEC_NS),
	};

	/* geth: AddMapping(proto, m.extPort, m.port), extport 0 meaning
	 * the internal port. */
	r.ext_port = mp->ext_port ? mp->ext_port :
		     mp->try_port ? mp->try_port : mp->int_port;
	if (queue(m, &r, i) == 0)
		mp->pending = true;
	else
		mp->next_ns = now_ns + m->retry_ns;
}

static void queue_unmap(struct natmap *m, int i, uint16_t ext_port)
{
	struct natmap_mapping *mp = &m->map[i];
	struct natmap_req r = {
		.op = NATMAP_OP_UNMAP, .mech = m->found, .proto = mp->proto,
		.int_port = mp->int_port, .ext_port = ext_port,
	};

	if (queue(m, &r, i) == 0)
		mp->pending = true;
}

/* Queues everything due at now_ns; every entry point ends here, so the
 * deadline only ever names the future. */
static void pump(struct natmap *m, uint64_t now_ns)
{
	if (m->state == NATMAP_S_WAIT && now_ns >= m->disc_next_ns) {
		start_discovery(m);
		return;
	}
	if (m->state != NATMAP_S_READY)
		return;
	if (!m->extip_pending && now_ns >= m->extip_next_ns) {
		struct natmap_req r = { .op = NATMAP_OP_EXTIP,
					.mech = m->found };

		/* geth schedules the next read when this one starts. */
		m->extip_next_ns = now_ns + m->extip_ns;
		if (queue(m, &r, -1) == 0)
			m->extip_pending = true;
	}
	for (int i = 0; i < NATMAP_MAX_MAPPINGS; i++) {
		struct natmap_mapping *mp = &m->map[i];

		if (mp->used && !mp->pending && now_ns >= mp->next_ns)
			queue_map(m, i, now_ns);
	}
}

int natmap_init(struct natmap *m, const struct natmap_cfg *cfg,
		uint64_t now_ns)
{
	memset(m, 0, sizeof(*m));
	if (cfg->mech > NATMAP_ANY)
		return -EINVAL;
	m->cfg = *cfg;
	m->lease_ns = cfg->lease_ns ? cfg->lease_ns : NATMAP_LEASE_NS;
	if (m->lease_ns < 5 * SEC_NS)
		return -EINVAL;
	m->refresh_ns = m->lease_ns / 5 * 4;
	m->retry_ns = m->lease_ns / 2;
	m->extip_ns = m->lease_ns / 5;
	m->rng = cfg->seed;
	switch (cfg->mech) {
	case NATMAP_NONE:
		break;
	case NATMAP_EXTIP: {
		struct natmap_event e = { .type = NATMAP_EV_EXTIP,
					  .mech = NATMAP_EXTIP };

		memcpy(e.ip, cfg->extip, 16);
		memcpy(m->ip, cfg->extip, 16);
		m->has_ip = true;
		emit(m, &e);
		break;
	}
	default:
		start_discovery(m);
		break;
	}
	pump(m, now_ns);
	return 0;
}

int natmap_add(struct natmap *m, enum natmap_proto proto, uint16_t int_port,
	       uint64_t now_ns)
{
	struct natmap_mapping *slot = NULL;

	if (!int_port || (proto != NATMAP_UDP && proto != NATMAP_TCP) ||
	    m->state == NATMAP_S_STOPPING)
		return -EINVAL;
	if (m->cfg.mech == NATMAP_NONE || m->cfg.mech == NATMAP_EXTIP)
		return 0;
	for (int i = 0; i < NATMAP_MAX_MAPPINGS; i++) {
		if (m->map[i].used && m->map[i].proto == proto)
			return -EEXIST;
		if (!m->map[i].used && !slot)
			slot = &m->map[i];
	}
	if (!slot)
		return -ENOSPC;
	memset(slot, 0, sizeof(*slot));
	slot->used = true;
	slot->proto = proto;
	slot->int_port = int_port;
	slot->next_ns = now_ns;
	pump(m, now_ns);
	return 0;
}

bool natmap_next_req(struct natmap *m, struct natmap_req *out)
{
	if (!m->rq_len)
		return false;
	*out = m->rq[m->rq_head];
	m->rq_head = (m->rq_head + 1) % NATMAP_MAX_INFLIGHT;
	m->rq_len--;
	return true;
}

bool natmap_next_event(struct natmap *m, struct natmap_event *out)
{
	if (!m->ev_len)
		return false;
	*out = m->ev[m->ev_head];
	m->ev_head = (m->ev_head + 1) % NATMAP_EV_QUEUE;
	m->ev_len--;
	return true;
}

static bool ip_unspecified(const uint8_t ip[16])
{
	static const uint8_t zero[16];

	if (memcmp(ip, v4_prefix, sizeof(v4_prefix)) == 0)
		return memcmp(ip + 12, zero, 4) == 0;
	return memcmp(ip, zero, 16) == 0;
}

static void on_discover(struct natmap *m, const struct natmap_flight *f,
			const struct natmap_res *res, uint64_t now_ns)
{
	struct natmap_event e = { .mech = f->mech };

	if (m->state != NATMAP_S_DISCOVER)
		return;                 /* the slower of "any": ignored */
	if (m->disc_left)
		m->disc_left--;
	if (res->err == 0) {
		/* geth's Any(): the first mechanism that answers. */
		m->state = NATMAP_S_READY;
		m->found = f->mech;
		m->extip_next_ns = now_ns;
		for (int i = 0; i < NATMAP_MAX_MAPPINGS; i++)
			m->map[i].next_ns = now_ns;
		e.type = NATMAP_EV_FOUND;
		emit(m, &e);
		return;
	}
	if (m->disc_left)
		return;                 /* the other one may still answer */
	m->state = NATMAP_S_WAIT;
	m->disc_next_ns = now_ns + m->retry_ns;
	e.type = NATMAP_EV_NOT_FOUND;
	e.mech = m->cfg.mech;
	e.err = res->err;
	e.at_ns = m->disc_next_ns;
	emit(m, &e);
}

static void on_extip(struct natmap *m, const struct natmap_res *res,
		     uint64_t now_ns)
{
	struct natmap_event e = { .mech = m->found };
	int err = res->err;

	m->extip_pending = false;
	if (m->state != NATMAP_S_READY)
		return;
	if (!err && ip_unspecified(res->ip))
		err = -EADDRNOTAVAIL;   /* a gateway without an address */
	if (err) {
		/* geth: lastExtIP = nil, so the next answer counts as a
		 * change; the record keeps the IP it has. */
		m->has_ip = false;
		e.type = NATMAP_EV_EXTIP_FAILED;
		e.err = err;
		e.at_ns = m->extip_next_ns;
		emit(m, &e);
		return;
	}
	if (m->has_ip && memcmp(m->ip, res->ip, 16) == 0)
		return;
	memcpy(m->ip, res->ip, 16);
	m->has_ip = true;
	e.type = NATMAP_EV_EXTIP;
	memcpy(e.ip, res->ip, 16);
	emit(m, &e);
	/* Maybe a new network: renew every mapping now. */
	for (int i = 0; i < NATMAP_MAX_MAPPINGS; i++)
		m->map[i].next_ns = now_ns;
}

static void on_map(struct natmap *m, int i, const struct natmap_flight *f,
		   const struct natmap_res *res, uint64_t now_ns)
{
	struct natmap_mapping *mp = &m->map[i];
	uint64_t next;
	uint16_t ext;

	mp->pending = false;
	if (res->err == 0) {
		ext = res->ext_port ? res->ext_port : f->ext_port;
		if (m->state == NATMAP_S_STOPPING) {
			/* Granted while we were stopping: give it back. */
			mp->ext_port = 0;
			queue_unmap(m, i, ext);
			return;
		}
		mp->retries = 0;
		mp->random_tries = 0;
		mp->try_port = 0;
		next = m->refresh_ns;
		if (res->lifetime_s &&
		    (uint64_t)res->lifetime_s * SEC_NS / 5 * 4 < next)
			next = (uint64_t)res->lifetime_s * SEC_NS / 5 * 4;
		if (next < SEC_NS)
			next = SEC_NS;
		mp->next_ns = now_ns + next;
		if (ext != mp->ext_port) {
			mp->ext_port = ext;
			emit_map(m, NATMAP_EV_MAPPED, mp, ext, 0, mp->next_ns);
		} else {
			emit_map(m, NATMAP_EV_RENEWED, mp, ext, 0, mp->next_ns);
		}
		return;
	}
	if (m->state == NATMAP_S_STOPPING)
		return;
	if (!mp->ext_port) {
		if (res->err == -EADDRINUSE &&
		    mp->random_tries < NATMAP_RANDOM_TRIES) {
			/* geth addAnyPortMapping: random ports next. */
			mp->random_tries++;
			mp->try_port = (uint16_t)(NATMAP_RANDOM_MIN +
				rnd(m) % (65535 - NATMAP_RANDOM_MIN));
			mp->next_ns = now_ns;
			return;
		}
		mp->random_tries = 0;
		mp->try_port = 0;
		mp->next_ns = now_ns + m->retry_ns;
		emit_map(m, NATMAP_EV_MAP_FAILED, mp, 0, res->err, mp->next_ns);
		return;
	}
	/* A failed renewal need not mean the mapping is gone (gateways are
	 * buggy and the lease outlives the retry): keep the port, retry
	 * sooner, and start over after too many failures (geth). */
	mp->retries++;
	mp->next_ns = now_ns + m->retry_ns;
	emit_map(m, NATMAP_EV_MAP_FAILED, mp, mp->ext_port, res->err,
		 mp->next_ns);
	if (mp->retries > NATMAP_MAX_RETRIES) {
		uint16_t old = mp->ext_port;

		mp->retries = 0;
		mp->ext_port = 0;
		queue_unmap(m, i, old);
	}
}

static void on_unmap(struct natmap *m, int i, const struct natmap_flight *f,
		     const struct natmap_res *res)
{
	struct natmap_mapping *mp = &m->map[i];

	mp->pending = false;
	emit_map(m, NATMAP_EV_UNMAPPED, mp, f->ext_port, res->err, 0);
}

int natmap_on_result(struct natmap *m, const struct natmap_res *res,
		     uint64_t now_ns)
{
	struct natmap_flight f;
	int k = -1;

	if (!res->id)
		return -ENOENT;
	for (int i = 0; i < NATMAP_MAX_INFLIGHT; i++) {
		if (m->fl[i].id == res->id) {
			k = i;
			break;
		}
	}
	if (k < 0)
		return -ENOENT;
	f = m->fl[k];
	m->fl[k].id = 0;
	switch (f.op) {
	case NATMAP_OP_DISCOVER:
		on_discover(m, &f, res, now_ns);
		break;
	case NATMAP_OP_EXTIP:
		on_extip(m, res, now_ns);
		break;
	case NATMAP_OP_MAP:
		on_map(m, f.map, &f, res, now_ns);
		break;
	case NATMAP_OP_UNMAP:
		on_unmap(m, f.map, &f, res);
		break;
	}
	pump(m, now_ns);
	return 0;
}

uint64_t natmap_next_deadline(const struct natmap *m)
{
	uint64_t next = UINT64_MAX;

	if (m->state == NATMAP_S_WAIT)
		return m->disc_next_ns;
	if (m->state != NATMAP_S_READY)
		return UINT64_MAX;
	if (!m->extip_pending)
		next = m->extip_next_ns;
	for (int i = 0; i < NATMAP_MAX_MAPPINGS; i++)
		if (m->map[i].used && !m->map[i].pending &&
		    m->map[i].next_ns < next)
			next = m->map[i].next_ns;
	return next;
}

void natmap_on_timer(struct natmap *m, uint64_t now_ns)
{
	pump(m, now_ns);
}

/* Drops the queued requests that stopping makes moot (everything but
 * UNMAP), with their flights. */
static void drop_queued(struct natmap *m)
{
	struct natmap_req keep[NATMAP_MAX_INFLIGHT];
	unsigned n = 0;
	struct natmap_req r;

	while (natmap_next_req(m, &r)) {
		if (r.op == NATMAP_OP_UNMAP) {
			keep[n++] = r;
			continue;
		}
		for (int i = 0; i < NATMAP_MAX_INFLIGHT; i++) {
			if (m->fl[i].id != r.id)
				continue;
			if (m->fl[i].map >= 0)
				m->map[m->fl[i].map].pending = false;
			m->fl[i].id = 0;
		}
		if (r.op == NATMAP_OP_EXTIP)
			m->extip_pending = false;
	}
	for (unsigned i = 0; i < n; i++)
		m->rq[i] = keep[i];
	m->rq_head = 0;
	m->rq_len = n;
}

void natmap_stop(struct natmap *m)
{
	if (m->state == NATMAP_S_STOPPING)
		return;
	m->state = NATMAP_S_STOPPING;
	drop_queued(m);
	for (int i = 0; i < NATMAP_MAX_MAPPINGS; i++) {
		struct natmap_mapping *mp = &m->map[i];
		uint16_t ext = mp->ext_port;

		if (!mp->used || mp->pending || !ext)
			continue;
		mp->ext_port = 0;
		queue_unmap(m, i, ext);
	}
}

bool natmap_done(const struct natmap *m)
{
	if (m->state != NATMAP_S_STOPPING)
		return false;
	for (int i = 0; i < NATMAP_MAX_INFLIGHT; i++)
		if (m->fl[i].id && (m->fl[i].op == NATMAP_OP_MAP ||
				    m->fl[i].op == NATMAP_OP_UNMAP))
			return false;
	return true;
}
