/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_discv4_rx.c - drives the dataplane's discv4 ingress stage
 * with the cache and the budget on, so replays and hits are exercised. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "dataplane/stage/discv4_rx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct discv4_rx *s;
	static _Alignas(64) uint8_t out[MSG_SLOT_SIZE];
	static const uint8_t src[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					 0xff, 0xff, 192, 0, 2, 1 };
	const struct msg_discv4_rx *m = (const struct msg_discv4_rx *)out;
	/* A fixed clock before every vector's expiration. */
	const uint64_t now = 1000000000ull * 1000000000ull;
	enum discv4_rx_verdict v;

	if (!s) {
		struct discv4_rx_cfg cfg = { .budget_rate = 1000000,
					     .budget_burst = 1000000,
					     .budget_slots = 16,
					     .cache_slots = 16 };

		if (discv4_rx_new(&s, &cfg) < 0)
			abort();
	}
	for (int pass = 0; pass < 2; pass++) {
		v = discv4_rx_process(s, data, size, src, 0x1234, now, now,
				      (struct msg_discv4_rx *)out, sizeof(out));
		if (v != DISCV4_RX_ACCEPT && v != DISCV4_RX_ACCEPT_CACHED)
			return 0;
		/* Accepted: the message must describe exactly this datagram. */
		if ((size_t)m->data_len + 98 != size ||
		    memcmp(m->data, data + 98, m->data_len) ||
		    memcmp(m->hash, data, 32) || m->ptype < 1 || m->ptype > 6 ||
		    m->hdr.len != sizeof(*m) - sizeof(m->hdr) + m->data_len)
			abort();
		/* The second pass of the same bytes is a cache hit. */
		if (pass == 1 && v != DISCV4_RX_ACCEPT_CACHED)
			abort();
	}
	return 0;
}
