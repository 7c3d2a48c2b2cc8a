/* SPDX-License-Identifier: MIT */
/* dataplane/flood/floodgen_afxdp.h - the flood generator's AF_XDP junk sender
 * (XDP builds only): spoofed sources, frames prebuilt in a UMEM. */
#ifndef DATAPLANE_FLOODGEN_AFXDP_H
#define DATAPLANE_FLOODGEN_AFXDP_H
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/flood/floodpay.h"
#include "dataplane/flood/floodramp.h"

/* What the AF_XDP sender needs of the run's configuration
 * (dataplane/flood/floodgen.h fills it from its struct floodgen_cfg). */
struct floodgen_afxdp_cfg {
	const char *iface;
	uint8_t dst_addr[16];           /* IPv4-mapped */
	uint16_t dst_port_be;
	uint64_t rate_pps;              /* 0: as fast as possible */
	uint64_t count;                 /* 0: until the deadline */
	uint8_t spoof_addr[4];          /* sources: this IPv4 prefix */
	unsigned spoof_plen;            /* 8..32 */
	bool copy;                      /* force copy mode */
};

/* What it reports. The two arrays are the caller's, read by the run's
 * legitimate side while the junk goes out (step_junk atomically). */
struct floodgen_afxdp_out {
	uint64_t *junk_sent;            /* [FLOODPAY_KIND_MAX] */
	uint64_t *step_junk;            /* [FLOODRAMP_MAX_STEPS] */
	uint64_t junk_tx_err;           /* refused or never completed */
	uint64_t elapsed_ns;
	bool zero_copy;
};

/* floodgen_afxdp_junk() sends pay's junk over AF_XDP TX on cfg->iface to
 * cfg->dst_addr (IPv4), each frame from a random source in cfg's spoof
 * prefix, at cfg's rate until cfg->count, deadline_ns (CLOCK_MONOTONIC)
 * or *stop (may be NULL); with ramp (may be NULL), which it starts once
 * the socket is ready, at each step's rate until the ramp is over. It
 * counts into out->junk_sent and out->step_junk and fills the rest of
 * *out. Needs CAP_NET_RAW/CAP_NET_ADMIN and CAP_BPF. Returns 0 or
 * -errno. */
int floodgen_afxdp_junk(struct floodgen_afxdp_out *out,
			struct floodpay *pay,
			const struct floodgen_afxdp_cfg *cfg,
			struct floodramp *ramp, uint64_t deadline_ns,
			volatile bool *stop);

#endif /* DATAPLANE_FLOODGEN_AFXDP_H */
