/* SPDX-License-Identifier: MIT */
/* dataplane/flood/floodgen_afxdp.h - the flood generator's AF_XDP junk sender
 * (XDP builds only): spoofed sources, frames prebuilt in a UMEM. */
#ifndef DATAPLANE_FLOODGEN_AFXDP_H
#define DATAPLANE_FLOODGEN_AFXDP_H
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/flood/floodgen.h"
#include "dataplane/flood/floodpay.h"

/* floodgen_afxdp_junk() sends pay's junk over AF_XDP TX on cfg->iface to
 * cfg->dst_addr (IPv4), each frame from a random source in cfg's spoof
 * prefix, at cfg's rate until cfg->count, deadline_ns (CLOCK_MONOTONIC)
 * or *stop (may be NULL); with ramp (may be NULL), which it starts once
 * the socket is ready, at each step's rate until the ramp is over. It
 * writes out->junk_sent, step_junk, junk_tx_err, elapsed_ns and
 * zero_copy only: the legitimate side fills the rest at the same time.
 * Needs CAP_NET_RAW/CAP_NET_ADMIN and CAP_BPF. Returns 0 or -errno. */
int floodgen_afxdp_junk(struct floodgen_result *out,
			struct floodpay *pay, const struct floodgen_cfg *cfg,
			struct floodramp *ramp, uint64_t deadline_ns,
			volatile bool *stop);

#endif /* DATAPLANE_FLOODGEN_AFXDP_H */
