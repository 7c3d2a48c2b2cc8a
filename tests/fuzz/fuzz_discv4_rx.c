/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_discv4_rx.c - drives the dataplane's discovery ingress:
 * the discv4 stage with the cache and the budget on, so replays and hits
 * are exercised, then the demux with discv5 on (dataplane/stage/disc_rx.h)
 * for a socket whose node id the corpus's discv5 packets are masked for. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dplink_proto.h"
#include "common/msg.h"
#include "dataplane/stage/disc_rx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The node id the corpus's discv5 packets are masked for
 * (tests/fuzz/corpus/discv4_rx/v5_*). */
static const uint8_t fuzz_v5_id[32] = { 0xf0, 0x0d, [31] = 0x55 };

/* demux() runs data through disc_rx_process() with discv5 on socket 0
 * and checks what it produced against the datagram. */
static void demux(const uint8_t *data, size_t size, const uint8_t src[16],
		  uint64_t now, uint8_t *out, size_t cap)
{
	static struct discv4_rx *s4;
	static struct discv5_rx_keys *keys;
	static struct discv5_rx *s5;
	struct disc_rx_result r;

	if (!s4) {
		struct discv4_rx_cfg c4 = { .budget_rate = 1000000,
					    .budget_burst = 1000000,
					    .budget_slots = 16,
					    .cache_slots = 16 };

		if (discv4_rx_new(&s4, &c4) < 0 ||
		    discv5_rx_keys_new(&keys, 1) < 0 ||
		    discv5_rx_keys_set(keys, 0, fuzz_v5_id) < 0 ||
		    discv5_rx_new(&s5, &(struct discv5_rx_cfg){
			    .keys = keys, .budget = discv4_rx_budget(s4),
			    .hs_rate = 1000000, .hs_burst = 1000000 }) < 0)
			abort();
	}
	r = disc_rx_process(s4, s5, data, size, src, 0x1234, 0, now, now, out,
			    cap);
	if (r.n_cnt < 1 || r.n_cnt > 2)
		abort();
	for (unsigned i = 0; i < r.n_cnt; i++)
		if (r.cnt[i] >= DP_CNT_MAX)
			abort();
	if (r.kind == MSG_DISCV5_RX) {
		const struct msg_discv5_rx *m = (const void *)out;

		if (m->data_len != size || memcmp(m->data, data, size) ||
		    m->flag > 2 || size < 63 || size > 1280 ||
		    m->hdr.len != sizeof(*m) - sizeof(m->hdr) + size ||
		    r.cnt[0] != DP_CNT_V5_ACCEPTED ||
		    (r.v4 != DISCV4_RX_DROP_SIZE &&
		     r.v4 != DISCV4_RX_DROP_HASH))
			abort();
	} else if (r.kind == MSG_DISCV4_RX) {
		if (r.v5 != DISCV5_RX_OFF)
			abort();
	} else if (r.kind) {
		abort();
	}
}

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
	demux(data, size, src, now, out, sizeof(out));
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
