/* SPDX-License-Identifier: MIT */
/* dataplane/flood/floodgen.h - discv4 flood generator: junk from ordinary UDP
 * sockets (sendmmsg bursts, no privileges) or over AF_XDP TX from spoofed
 * sources at rates the kernel UDP path cannot reach, plus legitimate
 * signed pings over ordinary sockets whose Pongs are counted. */
#ifndef DATAPLANE_FLOODGEN_H
#define DATAPLANE_FLOODGEN_H
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/flood/floodpay.h"
#include "dataplane/flood/floodramp.h"

/* The legitimate keys answer the node's Pings with Pongs, as real nodes
 * do, which completes the endpoint proof (and verifies their address in
 * the XDP shield, bpf/shield.h). */

#define FLOODGEN_MAX_LEGIT_SRC 1024
#define FLOODGEN_MAX_JUNK_SRC  1024
#define FLOODGEN_MAX_KEYS      4096

/* floodgen_step_fn is told each ramp step's measurements and verdict v
 * as soon as the step is judged (its end plus grace_ms), in the thread
 * that called floodgen_run(). */
typedef void floodgen_step_fn(void *arg, const struct floodramp *r,
			      unsigned k, const struct floodramp_step *s,
			      enum floodramp_verdict v);

struct floodgen_cfg {
	/* Junk leaves over AF_XDP TX through this interface (XDP builds),
	 * or, when NULL, from ordinary UDP sockets. */
	const char *iface;
	uint8_t dst_addr[16];           /* IPv4-mapped (IPv4 only over XDP) */
	uint16_t dst_port_be;
	uint64_t rate_pps;              /* junk; 0: as fast as possible */
	uint64_t count;                 /* junk packets; 0: until duration */
	uint32_t duration_ms;           /* hard bound on the whole run, > 0;
					 * 0 with a ramp: the ramp's length */
	unsigned mix[FLOODPAY_KIND_MAX];        /* weights; all 0: no junk */
	bool has_v5_id;                 /* the target's discv5 node id, for */
	uint8_t v5_id[32];              /* the v5hdr, v5hs, v5msg kinds */
	/* AF_XDP: spoofed IPv4 sources from this prefix (plen 8..32).
	 * Sockets cannot spoof: plen must be 0 there. */
	uint8_t spoof_addr[4];
	unsigned spoof_plen;
	bool copy;                      /* AF_XDP: force copy mode */
	/* Sockets: junk goes out from one socket bound to each of
	 * junk_src[0..n_junk_src), in turn (all of the dst_addr's family);
	 * none: one socket, the source the route gives. */
	const uint8_t (*junk_src)[16];
	unsigned n_junk_src;
	/* Legitimate pings: n_keys keys spread over the local addresses
	 * legit_src[0..n_legit_src), legit_rate pings/s in total. */
	unsigned n_keys;
	const uint8_t (*legit_src)[16];
	unsigned n_legit_src;
	uint32_t legit_rate;
	uint32_t grace_ms;              /* wait for late Pongs after the end
					 * (of each step, in a ramp) */
	/* A ramp instead of rate_pps and count (both 0): the junk rate
	 * rises in steps, each judged by the share of the legitimate pings
	 * sent in it that were answered within the step and grace_ms. */
	const struct floodramp_cfg *ramp;
	floodgen_step_fn *on_step;      /* may be NULL */
	void *on_step_arg;
};

struct floodgen_result {
	uint64_t junk_sent[FLOODPAY_KIND_MAX];  /* AF_XDP: completed by the
						 * kernel; sockets: sendmmsg
						 * took them */
	uint64_t junk_tx_err;           /* packets the kernel refused */
	uint64_t legit_sent, legit_answered;
	uint64_t legit_first_sent;      /* each key's first ping (included */
	uint64_t legit_first_answered;  /* in legit_sent / _answered) */
	uint64_t legit_pongs;           /* Pongs sent for the node's Pings */
	uint64_t legit_late;            /* ramp: Pongs after their step's
					 * grace window (not answered) */
	uint64_t elapsed_ns;            /* junk phase */
	bool zero_copy;                 /* AF_XDP in zero-copy mode */
	struct floodramp_lat legit_lat; /* without a ramp: latency of the
					 * answered pings */
	uint64_t step_junk[FLOODRAMP_MAX_STEPS];        /* ramp: junk sent in
							 * each step */
	struct floodramp ramp;          /* ramp: schedule, verdicts, knee */
};

/* floodgen_run() runs junk and legitimate traffic in parallel until count,
 * duration_ms or *stop (may be NULL), waits grace_ms for Pongs and fills
 * *out. With cfg->ramp it runs the ramp's steps back to back instead,
 * from the moment the junk sender is ready, calls cfg->on_step for each
 * as it is judged and stops as floodramp_judge() says (out->ramp says
 * why and where the knee is); it needs junk and legitimate pings. Junk over AF_XDP (cfg->iface) needs CAP_NET_RAW/CAP_NET_ADMIN and
 * CAP_BPF; over sockets it needs nothing. Returns 0, -EINVAL (bad cfg:
 * e.g. a spoof prefix for sockets, a ramp with a rate, a count or
 * without pings), -EOPNOTSUPP (iface in a build
 * without XDP) or -errno. */
int floodgen_run(struct floodgen_result *out, const struct floodgen_cfg *cfg,
		 volatile bool *stop);

#endif /* DATAPLANE_FLOODGEN_H */
