/* SPDX-License-Identifier: MIT */
/* dataplane/io/pktio_dpdk.h - the DPDK ethdev backend ("dpdk"). This header
 * includes nothing from DPDK; only pktio_dpdk.c does. */
#ifndef DATAPLANE_PKTIO_DPDK_H
#define DATAPLANE_PKTIO_DPDK_H
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/io/pktio.h"

/*
 * EAL: open() calls rte_eal_init() with cfg->eal split at white space,
 * plus, unless the arguments already say otherwise:
 *   --in-memory        no files in /dev/hugepages or /var/run/dpdk, no
 *                      multi-process channel, so no clash with another
 *                      DPDK process or with our own ring region (which
 *                      is a memfd or --shm PATH, never EAL memory); with
 *                      --no-huge (DPDK refuses --in-memory there):
 *                      --no-shconf. Not added when the arguments name
 *                      --in-memory, --no-shconf or --file-prefix.
 *   --no-telemetry     (unless --telemetry/--no-telemetry is given): the
 *                      telemetry socket of a second process on the same
 *                      runtime directory would fail EAL init.
 *   --no-pci           when --vdev is given and none of -a/--allow,
 *                      -b/--block, --no-pci: only the named virtual
 *                      devices, no probing of the host's PCI NICs.
 *   -l CPU             (unless -l, -c or --lcores is given): the first
 *                      CPU we may run on; EAL pins its main thread there,
 *                      open() gives the thread its old CPU set back so
 *                      the workers are not all pinned to one core.
 * The EAL lives once per process: a second open() returns -EALREADY.
 * Huge pages: with --in-memory EAL takes 2 MiB pages straight from the
 * kernel's pool (vm.nr_hugepages; no hugetlbfs mount needed): about 10
 * per queue for the mbuf pool plus a few for EAL itself. --no-huge works
 * with net_af_packet and net_af_xdp (normal pages; give -m MB).
 *
 * Port: the first ethdev EAL probed (narrow with -a/--allow or name only
 * one --vdev). Convenience rewrites of --vdev arguments:
 *   net_af_packet...  gets qpairs=N (N = cfg->n_queues) and framecnt=
 *                     PKTIO_DPDK_AFP_FRAMES when absent (the PMD's 512
 *                     frames overflow while an idle worker naps);
 *   net_af_xdp...     gets queue_count=N when absent and, in xdp builds,
 *                     xdp_prog=<bpf/xsksteer.bpf.c, embedded> when absent.
 * One RX/TX queue pair per worker; one mbuf pool per port of
 * PKTIO_DPDK_MBUFS_PER_Q mbufs per queue; RSS on the IP addresses (not
 * the ports: every datagram of a source reaches the same worker, whose
 * per-source budget and replay cache then see all of it) when N > 1 and
 * the device hashes (net_af_packet spreads with PACKET_FANOUT_HASH,
 * net_af_xdp by the NIC's own RSS).
 *
 * Kernel interface (next-hop MACs from its neighbour table, source
 * address of wildcard listen entries): cfg->iface, else the interface
 * owning the first specific listen address, else the port's own
 * interface (dev_info.if_index: net_af_packet, net_af_xdp). Frames leave
 * with the port's MAC; a next hop the kernel has not resolved yet makes
 * the kernel resolve it while the frame waits (neigh_park: at most
 * NEIGH_PARK_MAX frames per queue, NEIGH_PARK_TTL_NS).
 *
 * The kernel's own traffic (the exception path):
 *   net_af_packet  the kernel receives every frame itself. Each listen
 *                  port is held by a kernel UDP socket whose filter drops
 *                  everything (portres.h, PORTRES_F_DROP), so a discovery
 *                  datagram does not also draw an ICMP port unreachable.
 *   net_af_xdp     bpf/xsksteer.bpf.c redirects only UDP to the listen
 *                  ports into the AF_XDP sockets and passes all else to
 *                  the kernel; open() marks the ports in the program's
 *                  map after the PMD attached it, and detaches a stale
 *                  xsksteer program left by a dataplane that died.
 *   other PMDs     (a NIC bound to vfio-pci) the kernel sees nothing;
 *                  not supported yet: it needs a net_tap exception port.
 *
 * Idle: DPDK ports are polled. A worker whose burst came back empty sleeps
 * PKTIO_DPDK_IDLE_US in wait() (or until a wake fd fires), about 5,000
 * wake-ups a second per idle worker instead of a spinning core.
 */
#define PKTIO_DPDK_MBUFS_PER_Q 8191    /* about 19 MiB per queue */
#define PKTIO_DPDK_RX_DESC     4096    /* net_af_xdp: its RX ring */
#define PKTIO_DPDK_TX_DESC     1024
#define PKTIO_DPDK_AFP_FRAMES  4096    /* net_af_packet ring: 8 MiB each
					 * way per queue, 10 ms at 400k/s */
#define PKTIO_DPDK_IDLE_US     200
#define PKTIO_DPDK_MAX_ARGS    64      /* EAL arguments, ours included */

/* The EAL command line open() uses (exposed for tests). */
struct pktio_dpdk_eal {
	int argc;
	char *argv[PKTIO_DPDK_MAX_ARGS + 1];    /* NULL-terminated */
	char xdp_iface[16];             /* net_af_xdp's iface=, or "" */
	bool own_prog;                  /* we added xdp_prog= */
};

/* pktio_dpdk_eal_build() splits args at white space behind argv[0]
 * "devplane-dp", rewrites the --vdev arguments and appends the defaults
 * described above, for n_queues queues; prog_fd >= 0 is the memfd of the
 * steering program (-1: no xdp_prog= is added). Returns 0, -E2BIG (more
 * than PKTIO_DPDK_MAX_ARGS) or -ENOMEM; free with pktio_dpdk_eal_free(). */
int pktio_dpdk_eal_build(struct pktio_dpdk_eal *e, const char *args,
			 unsigned n_queues, int prog_fd);

/* pktio_dpdk_eal_free() frees e's strings and zeroes it. */
void pktio_dpdk_eal_free(struct pktio_dpdk_eal *e);

/* Counters of one queue (written by its worker, read relaxed by anyone),
 * or of the port (q == PKTIO_DPDK_PORT in get_stats()). */
struct pktio_dpdk_stats {
	uint64_t rx_frames;             /* frames the port handed us */
	uint64_t rx_malformed;          /* lengths that lie, truncated, bad
					 * checksum flagged by the NIC,
					 * chained mbufs: dropped */
	uint64_t rx_not_ours;           /* not UDP to a listen address */
	uint64_t tx_no_neigh;           /* next hop unresolved: dropped */
	uint64_t tx_no_mbuf;            /* pool empty: dropped */
	uint64_t tx_full;               /* TX ring full: dropped */
	/* Port only: rte_eth_stats_get() and bpf/xsksteer's counters. */
	uint64_t ipackets, opackets, imissed, ierrors, oerrors, rx_nombuf;
	uint64_t steer_redirect, steer_no_xsk, steer_pass;
};
#define PKTIO_DPDK_PORT UINT32_MAX

/* pktio_dpdk_get_stats() copies queue q's counters, or with
 * PKTIO_DPDK_PORT the sum over queues plus the port's own. Returns 0 or
 * -EINVAL (not a dpdk handle, bad q). */
int pktio_dpdk_get_stats(const struct pktio *p, uint32_t q,
			 struct pktio_dpdk_stats *out);

/* pktio_dpdk_port() is the ethdev port id the backend runs on. */
uint16_t pktio_dpdk_port(const struct pktio *p);

extern const struct pktio_ops pktio_dpdk_ops;

#endif /* DATAPLANE_PKTIO_DPDK_H */
