/* SPDX-License-Identifier: MIT */
/* dataplane/stage/srcbudget.c - per-source GCRA token buckets. */
#include "dataplane/stage/srcbudget.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define WAYS 4                          /* sources per hash set */
#define NS   1000000000ull

/* A source's bucket in GCRA form: tat is the theoretical arrival time of
 * the next conforming packet. A packet at `now` conforms when tat - now
 * <= (burst - 1) * interval; it then moves tat by one interval. */
struct ent {
	uint8_t addr[MSG_ADDR_LEN];
	uint64_t tat;                   /* 0: slot unused */
};

struct srcbudget {
	uint64_t interval_ns;           /* 1e9 / rate */
	uint64_t tolerance_ns;          /* (burst - 1) * interval */
	uint64_t seed[2];               /* keys the set hash */
	uint32_t mask;                  /* sets - 1 */
	struct ent *e;                  /* (mask + 1) * WAYS */
};

int srcbudget_new(struct srcbudget **out, uint32_t rate, uint32_t burst,
		  uint32_t slots)
{
	struct srcbudget *b;
	uint32_t n = WAYS;

	if (!out || !rate || !burst || slots > SRCBUDGET_SLOTS_MAX)
		return -EINVAL;
	if (!slots)
		slots = SRCBUDGET_SLOTS_DEFAULT;
	while (n < slots)
		n <<= 1;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->e = calloc(n, sizeof(*b->e));
	if (!b->e) {
		free(b);
		return -ENOMEM;
	}
	b->mask = n / WAYS - 1;
	b->interval_ns = NS / rate;
	if (!b->interval_ns)
		b->interval_ns = 1;
	b->tolerance_ns = (uint64_t)(burst - 1) * b->interval_ns;
	/* A weak seed only costs the protection against aimed evictions. */
	if (getrandom(b->seed, sizeof(b->seed), GRND_NONBLOCK) !=
	    sizeof(b->seed)) {
		b->seed[0] = (uint64_t)(uintptr_t)b * 0x9e3779b97f4a7c15ull;
		b->seed[1] = ~b->seed[0];
	}
	*out = b;
	return 0;
}

void srcbudget_free(struct srcbudget *b)
{
	if (!b)
		return;
	free(b->e);
	free(b);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* key() is the source a bucket is kept for: an IPv4 (mapped) address
 * whole, an IPv6 address's /64 (bpf/shield.h: SHIELD_SRC_V6_PLEN). */
static void key(uint8_t k[MSG_ADDR_LEN], const uint8_t src[MSG_ADDR_LEN])
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	memcpy(k, src, MSG_ADDR_LEN);
	if (memcmp(src, v4mapped, sizeof(v4mapped)))
		memset(k + 8, 0, MSG_ADDR_LEN - 8);
}

bool srcbudget_take(struct srcbudget *b, const uint8_t addr[MSG_ADDR_LEN],
		    uint64_t now)
{
	uint8_t k[MSG_ADDR_LEN];
	struct ent *set, *e = NULL, *victim;
	uint64_t lo, hi, tat;

	key(k, addr);
	memcpy(&lo, k, 8);
	memcpy(&hi, k + 8, 8);
	set = &b->e[(size_t)((uint32_t)mix(mix(lo ^ b->seed[0]) ^ hi ^
					   b->seed[1]) & b->mask) * WAYS];
	victim = &set[0];
	for (unsigned i = 0; i < WAYS; i++) {
		if (set[i].tat && !memcmp(set[i].addr, k, MSG_ADDR_LEN)) {
			e = &set[i];
			break;
		}
		if (set[i].tat < victim->tat)
			victim = &set[i];
	}
	if (!e) {
		e = victim;
		memcpy(e->addr, k, MSG_ADDR_LEN);
		e->tat = 0;
	}
	tat = e->tat > now ? e->tat : now;
	if (tat - now > b->tolerance_ns)
		return false;
	e->tat = tat + b->interval_ns;
	if (!e->tat)
		e->tat = 1;
	return true;
}
