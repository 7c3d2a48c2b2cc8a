/* SPDX-License-Identifier: MIT */
/* dataplane/io/pktio.h - packet I/O backend interface (socket, xdp, dpdk). */
#ifndef DATAPLANE_PKTIO_H
#define DATAPLANE_PKTIO_H
#include <stdint.h>
#include <time.h>

#include "common/dplink_proto.h"

/*
 * A backend owns the datagram sockets (or NIC queues) of the dataplane.
 * It has n_queues queues; queue q is used by worker thread q only, so no
 * operation on one queue locks against another. Every local address
 * (struct dplink_listen) is reachable on every queue under its sock_idx:
 * the backend spreads sources over queues (SO_REUSEPORT, RSS) and any
 * queue may send from any sock_idx.
 *
 * The backends (pktio_socket.h, pktio_afxdp.h, pktio_dpdk.h) include this
 * header and nothing of each other; dataplane/daemon/backend.h is the one
 * place that lists them.
 */

#define PKTIO_BURST 32
#define PKTIO_BUF_SIZE 2048             /* > DISCV4_MAX_LEN: oversize shows */

/* One datagram. On rx, buf belongs to the backend and stays valid until
 * the next rx_burst() on the same queue; on tx it belongs to the caller. */
struct pktio_pkt {
	uint8_t *buf;
	uint16_t len;                   /* datagram length (capped at 65535) */
	uint16_t sock_idx;              /* local socket it came in / goes out */
	uint16_t local_port_be;         /* rx: the local port */
	uint16_t peer_port_be;          /* rx: source; tx: destination */
	uint8_t peer_addr[16];          /* IPv6 or IPv4-mapped */
};

struct pktio_cfg {
	unsigned n_queues;              /* 1..DPLINK_MAX_QUEUES */
	const struct dplink_listen *listen;     /* port 0: pick one */
	unsigned n_listen;              /* sock_idx must be unique */
	const char *iface;              /* xdp: the interface; dpdk: the
					 * kernel interface whose neighbour
					 * table resolves next hops (NULL:
					 * pktio_dpdk.h) */
	const char *eal;                /* dpdk: EAL arguments, separated by
					 * white space */
	uint32_t flags;                 /* PKTIO_F_* */
	int xskmap_fd;                  /* xdp: > 0, or the shield's pin */
	/* xdp: ban policy for sources failing signature checks (bad_source
	 * below); 0: DPLINK_BAN_*_DEFAULT, ban_sig_count DPLINK_BAN_OFF:
	 * none. */
	uint32_t ban_sig_count;
	uint32_t ban_sig_window_s;
	uint32_t ban_secs;
};

#define PKTIO_F_ZEROCOPY (1u << 0)      /* xdp: zero-copy or fail */
#define PKTIO_F_COPY     (1u << 1)      /* xdp: copy mode only */

struct pktio;

struct pktio_ops {
	const char *name;
	/* open() creates the queues and binds every listen address. Returns 0
	 * and *out, -EINVAL (bad cfg), -EADDRINUSE, or -errno. */
	int (*open)(struct pktio **out, const struct pktio_cfg *cfg);
	/* close() releases everything; close(NULL) is a no-op. */
	void (*close)(struct pktio *p);
	/* rx_burst() returns up to n received datagrams of queue q without
	 * blocking; 0 means call wait(). */
	unsigned (*rx_burst)(struct pktio *p, unsigned q,
			     struct pktio_pkt *pkts, unsigned n);
	/* tx_burst() sends pkts[0..n) from queue q without blocking. Returns
	 * how many went out; the caller counts the rest as errors. */
	unsigned (*tx_burst)(struct pktio *p, unsigned q,
			     const struct pktio_pkt *pkts, unsigned n);
	/* wait() blocks up to timeout_ms until queue q can receive or a wake
	 * fd added with add_wake_fd() becomes readable (a polling backend
	 * returns at once). Returns 0 or -errno. */
	int (*wait)(struct pktio *p, unsigned q, int timeout_ms);
	/* add_wake_fd() adds fd (an eventfd) to queue q's wait set. */
	int (*add_wake_fd)(struct pktio *p, unsigned q, int fd);
	/* local_port() is the bound port of listen entry i (0..n_listen-1, in
	 * cfg order), network byte order. */
	uint16_t (*local_port)(const struct pktio *p, unsigned i);
	/* bad_source() (optional, NULL in backends without a blocklist) is
	 * told by queue q's worker that a datagram from addr failed its
	 * signature check. Returns 1 if that banned the source, else 0. */
	int (*bad_source)(struct pktio *p, unsigned q, const uint8_t addr[16]);
};

/* Every backend's handle starts with this. */
struct pktio {
	const struct pktio_ops *ops;
	unsigned n_queues;
	unsigned n_listen;
};

/* pktio_parse_listen() parses "IP:PORT" or "[IPv6]:PORT" into l's addr
 * (IPv4 as IPv4-mapped) and port_be; sock_idx is untouched. Returns 0 or
 * -EINVAL. */
int pktio_parse_listen(struct dplink_listen *l, const char *s);

/* ---- for the backends ---- */

#define PKTIO_NO_IDX UINT16_MAX

/* pktio_listen_index() builds the table from sock_idx to the index of its
 * entry in l[0..n) (PKTIO_NO_IDX where none): 65536 entries, *out to be
 * free()d. Returns 0, -EINVAL (a sock_idx repeated or PKTIO_NO_IDX) or
 * -ENOMEM. */
int pktio_listen_index(uint16_t **out, const struct dplink_listen *l,
		       unsigned n);

/* Counters are written by their queue's worker only and read by stats
 * from another thread: a relaxed store keeps the read untorn. */
static inline void pktio_cnt_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

static inline uint64_t pktio_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* DATAPLANE_PKTIO_H */
