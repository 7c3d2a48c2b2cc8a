/* SPDX-License-Identifier: MIT */
/* dataplane/io/pktio_afxdp.h - the AF_XDP backend ("xdp"). */
#ifndef DATAPLANE_PKTIO_AFXDP_H
#define DATAPLANE_PKTIO_AFXDP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dataplane/io/ethudp.h"
#include "dataplane/io/pktio.h"

/*
 * One AF_XDP socket per queue q (RX queue q of cfg->iface), each with its
 * own UMEM of PKTIO_AFXDP_FRAMES frames: the first half feeds the fill
 * ring, the second half is the TX pool. The XSKs are created with
 * XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD and registered in the shield's XSKMAP
 * (bpf/shield.h "xsks"): cfg->xskmap_fd if > 0, else the map pinned at
 * PKTIO_AFXDP_PIN_DIR/<iface>/xsks. The shield must already be attached.
 * Zero-copy is tried first unless PKTIO_F_COPY; PKTIO_F_ZEROCOPY makes a
 * driver without it an error instead of a fallback to copy mode.
 *
 * Endpoint proof: the backend remembers the hash of the last Ping sent to
 * each address; a Pong from that address quoting it marks the address
 * verified in the shield's pinned "verified" map (bpf/shield.h), which
 * exempts it from the per-prefix bucket and the global redirect budget.
 *
 * Ban policy: cfg->ban_sig_count signature failures (bad_source(), from
 * the worker) within cfg->ban_sig_window_s seconds from one /32 or /64 put
 * it in the shield's pinned "blocklist" for cfg->ban_secs seconds (reason
 * SHIELD_BAN_BAD_SIG), unless it is verified. Per-queue fixed table of
 * SIG_SLOTS sources; nothing is allocated per packet.
 */
#define PKTIO_AFXDP_FRAMES     16384   /* 32 MiB of UMEM per queue */
#define PKTIO_AFXDP_FRAME_SIZE 2048
#define PKTIO_AFXDP_PIN_DIR    "/sys/fs/bpf/devplane"

/* Counters of the backend that struct dp_cnt has no slot for, per queue.
 * Written by queue q's worker, read relaxed by anyone. */
struct pktio_afxdp_stats {
	uint64_t rx_not_ours;           /* not UDP to a listen address */
	uint64_t tx_no_neigh;           /* next hop MAC unresolved: dropped */
	uint64_t tx_no_frame;           /* TX pool or ring full: dropped */
	uint64_t fill_short;            /* fill ring had no room */
	uint64_t verified;              /* sources verified (endpoint proof) */
	uint64_t bans;                  /* sources banned for bad signatures */
	/* The socket's own XDP_STATISTICS (getsockopt), read on demand: */
	uint64_t rx_dropped;            /* kernel dropped (no frame, etc.) */
	uint64_t rx_invalid;
	uint64_t tx_invalid;
	uint64_t rx_ring_full;          /* RX ring full: frame lost */
	uint64_t rx_fill_ring_empty;    /* fill ring empty when one arrived */
};

/* pktio_afxdp_get_stats() copies queue q's counters. Returns 0 or
 * -EINVAL (not an xdp handle, bad q). */
int pktio_afxdp_get_stats(const struct pktio *p, unsigned q,
			  struct pktio_afxdp_stats *out);

/* pktio_afxdp_zero_copy() says whether queue q's socket is bound in
 * zero-copy mode (false: copy mode). */
bool pktio_afxdp_zero_copy(const struct pktio *p, unsigned q);

extern const struct pktio_ops pktio_afxdp_ops;

#endif /* DATAPLANE_PKTIO_AFXDP_H */
