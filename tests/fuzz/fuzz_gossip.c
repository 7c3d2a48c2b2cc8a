/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_gossip.c - gossip envelope decoding (control/service/gossip.h), and encode/decode agreement; the seen-cache fed the decoded ids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/service/gossip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[16] = { 1 };
	static struct gossip_seen seen;
	static bool init;
	static uint64_t now = 1;
	struct gossip_env e, back;
	uint8_t *out;
	bool clamped;
	ssize_t n, w;

	if (!init) {
		if (gossip_seen_init(&seen, 64, 1000, key))
			abort();
		init = true;
	}
	n = gossip_env_decode(&e, &clamped, data, size);
	if (n < 0)
		return 0;
	if ((size_t)n > size || e.ttl < 1 || e.ttl > GOSSIP_TTL_MAX ||
	    e.payload < data || e.payload + e.len > data + n)
		abort();
	out = malloc(e.len + GOSSIP_ENV_OVERHEAD);
	if (!out)
		return 0;
	w = gossip_env_encode(out, e.len + GOSSIP_ENV_OVERHEAD, &e);
	if (w < 0 || gossip_env_decode(&back, NULL, out, (size_t)w) != w ||
	    memcmp(back.id, e.id, GOSSIP_ID_LEN) || back.ttl != e.ttl ||
	    back.code != e.code || back.len != e.len ||
	    memcmp(back.payload, e.payload, e.len))
		abort();
	free(out);
	/* Twice in a row: the second is a duplicate. */
	now += 7;
	if (gossip_seen_add(&seen, e.id, now) &&
	    gossip_seen_add(&seen, e.id, now))
		abort();
	if (gossip_seen_len(&seen) > 64)
		abort();
	return 0;
}
