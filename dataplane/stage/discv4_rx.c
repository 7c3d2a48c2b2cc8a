/* SPDX-License-Identifier: MIT */
/* dataplane/stage/discv4_rx.c - discv4 ingress checks, cheapest first. */
#include "dataplane/stage/discv4_rx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv4_wire.h"
#include "common/dplink_proto.h"
#include "dataplane/stage/srcbudget.h"

#define CACHE_WAYS  2
#define MAX_SLOTS   (1u << 24)
#define NS          1000000000ull

/* Cache times are CLOCK_MONOTONIC. */
struct cache_ent {
	uint8_t hash[DISCV4_HASH_LEN];
	uint8_t node_id[MSG_NODE_ID_LEN];
	uint8_t src[MSG_ADDR_LEN];      /* the source it was accepted from */
	uint32_t copies;                /* accepted copies so far */
	uint64_t added_ns;              /* when the entry went in */
	uint16_t dst;                   /* destination socket (key) */
	uint64_t expires_ns;            /* 0: slot unused; else at most
					 * added_ns + DISCV4_RX_CACHE_TTL_NS */
};

struct discv4_rx {
	struct discv4_rx_cfg cfg;
	uint32_t cache_mask;            /* sets - 1 */
	struct srcbudget *budget;       /* NULL: off */
	struct cache_ent *cache;        /* cache_mask + 1 sets of WAYS */
};

static uint32_t pow2_at_least(uint32_t v, uint32_t min)
{
	uint32_t p = min;

	while (p < v)
		p <<= 1;
	return p;
}

int discv4_rx_new(struct discv4_rx **out, const struct discv4_rx_cfg *cfg)
{
	struct discv4_rx *s;
	uint32_t cslots;
	int rc;

	if (!out || !cfg || (cfg->budget_rate && !cfg->budget_burst) ||
	    cfg->budget_slots > MAX_SLOTS || cfg->cache_slots > MAX_SLOTS)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	if (cfg->budget_rate) {
		rc = srcbudget_new(&s->budget, cfg->budget_rate,
				   cfg->budget_burst, cfg->budget_slots ?
				   cfg->budget_slots : DISCV4_RX_BUDGET_SLOTS);
		if (rc < 0) {
			discv4_rx_free(s);
			return rc;
		}
	}
	if (cfg->cache_slots) {
		cslots = pow2_at_least(cfg->cache_slots, CACHE_WAYS);
		s->cache_mask = cslots / CACHE_WAYS - 1;
		s->cache = calloc(cslots, sizeof(*s->cache));
		if (!s->cache)
			goto out_free;
	}
	*out = s;
	return 0;

out_free:
	discv4_rx_free(s);
	return -ENOMEM;
}

void discv4_rx_free(struct discv4_rx *s)
{
	if (!s)
		return;
	srcbudget_free(s->budget);
	free(s->cache);
	free(s);
}

struct srcbudget *discv4_rx_budget(struct discv4_rx *s)
{
	return s->budget;
}

static struct cache_ent *cache_set(const struct discv4_rx *s,
				   const uint8_t *hash, uint16_t dst)
{
	uint32_t h;

	/* The key is a keccak output: its bits are already uniform. */
	memcpy(&h, hash, sizeof(h));
	h ^= (uint32_t)dst * 0x9e3779b1u;
	return &s->cache[(size_t)(h & s->cache_mask) * CACHE_WAYS];
}

static struct cache_ent *cache_find(const struct discv4_rx *s,
				     const uint8_t *hash, uint16_t dst,
				     uint64_t now)
{
	struct cache_ent *c = cache_set(s, hash, dst);

	for (unsigned i = 0; i < CACHE_WAYS; i++)
		if (c[i].expires_ns >= now && c[i].dst == dst &&
		    !memcmp(c[i].hash, hash, DISCV4_HASH_LEN))
			return &c[i];
	return NULL;
}

/* cache_put() stores a packet until expires_ns (already clamped to now +
 * DISCV4_RX_CACHE_TTL_NS), in a free or expired way, else in place of the
 * way inserted first: how long an entry stays is the stage's choice, not
 * the signer's (an expiration far in the future would otherwise win every
 * eviction). */
static void cache_put(struct discv4_rx *s, const uint8_t *hash,
		      uint16_t dst, const uint8_t *id, const uint8_t *src,
		      uint64_t now, uint64_t expires_ns)
{
	struct cache_ent *c = cache_set(s, hash, dst), *v = NULL;

	for (unsigned i = 0; i < CACHE_WAYS && !v; i++)
		if (c[i].expires_ns < now)      /* unused (0) or expired */
			v = &c[i];
	if (!v) {                       /* all live: the oldest goes */
		v = &c[0];
		for (unsigned i = 1; i < CACHE_WAYS; i++)
			if (c[i].added_ns < v->added_ns)
				v = &c[i];
	}
	memcpy(v->hash, hash, DISCV4_HASH_LEN);
	memcpy(v->node_id, id, MSG_NODE_ID_LEN);
	memcpy(v->src, src, MSG_ADDR_LEN);
	v->copies = 1;
	v->added_ns = now;
	v->dst = dst;
	v->expires_ns = expires_ns;
}

enum discv4_rx_verdict discv4_rx_process(struct discv4_rx *s,
					 const uint8_t *buf, size_t len,
					 const uint8_t src_addr[MSG_ADDR_LEN],
					 uint16_t src_port_be, uint64_t mono_ns,
					 uint64_t unix_ns,
					 struct msg_discv4_rx *out,
					 size_t out_cap)
{
	return discv4_rx_process_to(s, buf, len, src_addr, src_port_be, 0,
				    mono_ns, unix_ns, out, out_cap);
}

enum discv4_rx_verdict discv4_rx_process_to(struct discv4_rx *s,
					    const uint8_t *buf, size_t len,
					    const uint8_t src_addr[MSG_ADDR_LEN],
					    uint16_t src_port_be, uint16_t dst,
					    uint64_t mono_ns, uint64_t unix_ns,
					    struct msg_discv4_rx *out,
					    size_t out_cap)
{
	struct discv4_packet pkt;
	enum discv4_rx_verdict v = DISCV4_RX_ACCEPT;
	struct cache_ent *ce;
	uint64_t exp, expires_ns;
	size_t data_len;
	int type;

	/* discv4.md: packets are 98..1280 bytes; a shorter one cannot hold
	 * hash || signature || type, a longer one is not discv4. */
	if (len < DISCV4_MIN_LEN || len > DISCV4_MAX_LEN)
		return DISCV4_RX_DROP_SIZE;
	data_len = len - DISCV4_MIN_LEN;
	if (out_cap < sizeof(*out) + data_len)
		return DISCV4_RX_DROP_SIZE;
	/* Replay guard (see discv4_rx.h), before any hashing: a packet whose
	 * hash field names a cached packet is either a copy of it or has a
	 * wrong hash. Copies from another source or too many are dropped for
	 * the cost of one lookup, as replays; the rest go on to the hash
	 * check and skip the recovery. */
	ce = s->cache ? cache_find(s, buf, dst, mono_ns) : NULL;
	if (ce && (memcmp(ce->src, src_addr, MSG_ADDR_LEN) ||
		   ce->copies >= DISCV4_RX_DUP_MAX))
		return DISCV4_RX_DROP_REPLAY;
	if (discv4_check_hash(buf, len) < 0)
		return DISCV4_RX_DROP_HASH;
	type = discv4_packet_type(buf, len);
	if (type < 0)
		return DISCV4_RX_DROP_TYPE;
	if (discv4_decode(&pkt, buf, len) < 0)
		return DISCV4_RX_DROP_RLP;
	/* discv4.md: expiration is a Unix time; a packet whose time has
	 * passed is dropped (geth: time.Unix(exp, 0).Before(now)). The
	 * cache keeps it on the monotonic clock for what is left of that,
	 * at most DISCV4_RX_CACHE_TTL_NS. */
	expires_ns = mono_ns + DISCV4_RX_CACHE_TTL_NS;
	if (discv4_expiration(&pkt, &exp)) {
		uint64_t left;

		if (discv4_expired(exp, unix_ns))
			return DISCV4_RX_DROP_EXPIRED;
		left = exp < UINT64_MAX / NS && exp * NS > unix_ns ?
		       exp * NS - unix_ns : DISCV4_RX_CACHE_TTL_NS;
		if (left < DISCV4_RX_CACHE_TTL_NS)
			expires_ns = mono_ns + left;
	}
	if (s->budget && !srcbudget_take(s->budget, src_addr, mono_ns))
		return DISCV4_RX_DROP_BUDGET;

	if (ce) {
		/* The bytes are the cached packet's (hash checked above). */
		ce->copies++;
		memcpy(out->node_id, ce->node_id, MSG_NODE_ID_LEN);
		v = DISCV4_RX_ACCEPT_CACHED;
	} else {
		if (discv4_recover(out->node_id, buf, len) < 0)
			return DISCV4_RX_DROP_SIG;
		if (s->cache)
			cache_put(s, buf, dst, out->node_id, src_addr, mono_ns,
				  expires_ns);
	}

	out->hdr.type = MSG_DISCV4_RX;
	out->hdr.len = (uint16_t)(sizeof(*out) - sizeof(out->hdr) + data_len);
	out->hdr.seq = 0;
	out->hdr.rx_tsc = 0;
	memcpy(out->src_addr, src_addr, MSG_ADDR_LEN);
	out->src_port_be = src_port_be;
	out->ptype = (uint8_t)type;
	memset(out->pad0, 0, sizeof(out->pad0));
	memcpy(out->hash, buf, MSG_HASH_LEN);
	out->dst_port_be = 0;
	out->sock_idx = 0;
	out->queue = 0;
	out->data_len = (uint16_t)data_len;
	memcpy(out->data, buf + DISCV4_MIN_LEN, data_len);
	return v;
}

unsigned discv4_rx_verdict_cnt(enum discv4_rx_verdict v)
{
	switch (v) {
	case DISCV4_RX_ACCEPT:
	case DISCV4_RX_ACCEPT_CACHED:
		return DP_CNT_ACCEPTED;
	case DISCV4_RX_DROP_SIZE:
		return DP_CNT_DROP_SIZE;
	case DISCV4_RX_DROP_HASH:
		return DP_CNT_DROP_HASH;
	case DISCV4_RX_DROP_TYPE:
		return DP_CNT_DROP_TYPE;
	case DISCV4_RX_DROP_RLP:
		return DP_CNT_DROP_RLP;
	case DISCV4_RX_DROP_EXPIRED:
		return DP_CNT_DROP_EXPIRED;
	case DISCV4_RX_DROP_BUDGET:
		return DP_CNT_DROP_BUDGET;
	case DISCV4_RX_DROP_SIG:
		return DP_CNT_DROP_SIG;
	case DISCV4_RX_DROP_REPLAY:
		return DP_CNT_DROP_REPLAY;
	}
	return DP_CNT_DROP_RLP;
}
