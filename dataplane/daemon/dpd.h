/* SPDX-License-Identifier: MIT */
/* dataplane/daemon/dpd.h - the devplane-dp process: set-up, control link, stats. */
#ifndef DATAPLANE_DPD_H
#define DATAPLANE_DPD_H
#include <stdbool.h>
#include <stdint.h>

#include "common/dplink_proto.h"

/* Attach mode, xdp backend: shield settings from the command line
 * (--shield-rate ...). set names the ones given (SHIELD_SET_* of
 * dataplane/shield/shield_loader.h): a shield already pinned on the interface
 * keeps all the others as they are (an operator's `devplane-dp shield
 * attach` survives a restart), a fresh one gets the defaults for them. */
struct dpd_shield_opts {
	uint32_t set;
	uint32_t src_rate, src_burst;   /* per source */
	uint32_t pfx_rate, pfx_burst;   /* per prefix */
	uint32_t unk_rate, unk_burst;   /* unverified sources' budget */
};

/* What main.c parsed. Child mode: control_fd >= 0 and everything else
 * comes over the socket. Attach mode: shm_path set, the rest from here. */
struct dpd_opts {
	int control_fd;                 /* -1 unless --control-fd */
	const char *shm_path;           /* --shm: long-running, named region */
	const char *sock_path;          /* --control-socket; default PATH.sock */
	bool hugepages;                 /* --hugepages: ring region in a
					 * hugetlb memfd, not at PATH */
	const char *backend;            /* "socket", "xdp[:IFNAME]" or
					 * "dpdk[:IFNAME]" */
	const char *iface;              /* xdp: --iface (or from backend);
					 * dpdk: the kernel interface for
					 * next hops (optional) */
	const char *eal;                /* dpdk: --eal ARGS (both modes) */
	uint32_t pktio_flags;           /* PKTIO_F_ZEROCOPY / PKTIO_F_COPY */
	unsigned n_queues;
	const struct dplink_listen *listen;
	unsigned n_listen;
	uint32_t budget_rate, budget_burst, budget_slots, cache_slots;
	uint32_t ring_size, n_slots;    /* attach mode region geometry */
	uint32_t rlpx_frame_cap;        /* attach mode; 0: 16 MiB */
	/* RLPx memory budgets (both modes; 0: the stage's defaults,
	 * RLPX_STAGE_SESS_MEM and RLPX_STAGE_MEM) */
	size_t rlpx_sess_mem, rlpx_mem;
	struct dpd_shield_opts shield;  /* attach mode, xdp backend */
	/* attach mode: discv5 handshakes per source and WHOAREYOUs per
	 * destination, packets/s and burst (as struct dplink_msg_config:
	 * 0 the default, DPLINK_V5_OFF no limit) */
	uint32_t v5_hs_rate, v5_hs_burst, v5_way_rate, v5_way_burst;
};

#define DPD_DEFAULT_RING_SIZE 2048
#define DPD_DEFAULT_SLOTS_PER_QUEUE 4096
#define DPD_DEFAULT_BUDGET_RATE 500     /* packets/s per source IP */
#define DPD_DEFAULT_BUDGET_BURST 1000
#define DPD_DEFAULT_CACHE_SLOTS 4096

/* dpd_run() runs the dataplane until control says SHUTDOWN, the control
 * socket closes (child mode), or SIGTERM/SIGINT. Returns 0 or -errno. */
int dpd_run(const struct dpd_opts *o);

#endif /* DATAPLANE_DPD_H */
