/* SPDX-License-Identifier: MIT */
/* dataplane/stage/srcbudget.h - per-source token buckets (GCRA) in a
 * keyed set-associative table: the dataplane's per-source budgets. */
#ifndef DATAPLANE_SRCBUDGET_H
#define DATAPLANE_SRCBUDGET_H
#include <stdbool.h>
#include <stdint.h>

#include "common/msg.h"

/*
 * One table per worker and purpose (the discovery budget of
 * dataplane/stage/discv4_rx.h, which discv5 shares; discv5's handshake
 * budget and WHOAREYOU limiter of dataplane/stage/discv5_rx.h). A key is
 * an address as the XDP shield keys its per-source bucket (bpf/shield.h):
 * an IPv4 (mapped) address whole, an IPv6 address's /64, since a host
 * owns a /64.
 *
 * Each source has a token bucket of `rate` packets/s and depth `burst`,
 * kept as one timestamp (GCRA: the theoretical arrival time of the next
 * conforming packet), so the packet path has no division. The table is
 * hashed with a random key (a flooder cannot aim its sources at one set
 * to evict a victim) and a full set evicts the source with the oldest
 * timestamp, the one that would have the most credit anyway, so eviction
 * rarely forgives an active flooder.
 *
 * Time is any clock that does not step (CLOCK_MONOTONIC), in ns. No
 * locks: one thread owns a table.
 */

#define SRCBUDGET_SLOTS_DEFAULT 4096
#define SRCBUDGET_SLOTS_MAX     (1u << 24)

struct srcbudget;

/* srcbudget_new() allocates a table of slots sources (rounded up to a
 * power of two >= 4; 0: SRCBUDGET_SLOTS_DEFAULT) for rate packets/s and
 * burst. Returns 0, -EINVAL (rate 0, burst 0, slots over
 * SRCBUDGET_SLOTS_MAX) or -ENOMEM. */
int srcbudget_new(struct srcbudget **out, uint32_t rate, uint32_t burst,
		  uint32_t slots);

/* srcbudget_free() releases b; NULL is a no-op. */
void srcbudget_free(struct srcbudget *b);

/* srcbudget_take() charges one packet to the source addr (IPv6 or
 * IPv4-mapped) at now_ns. Returns true if it conforms (and was charged),
 * false if the source is over its budget (nothing charged). */
bool srcbudget_take(struct srcbudget *b, const uint8_t addr[MSG_ADDR_LEN],
		    uint64_t now_ns);

#endif /* DATAPLANE_SRCBUDGET_H */
