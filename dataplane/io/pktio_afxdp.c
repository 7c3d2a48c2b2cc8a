/* SPDX-License-Identifier: MIT */
/* dataplane/io/pktio_afxdp.c - the xdp backend: one AF_XDP socket per queue
 * behind the bpf/ shield, batched rings; framing in dataplane/io/ethudp.c. */
#include "dataplane/io/pktio_afxdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <xdp/xsk.h>

#include "bpf/shield.h"
#include "common/ct.h"
#include "common/discv4_wire.h"
#include "dataplane/io/neigh.h"
#include "dataplane/io/portres.h"
#include "dataplane/shield/shield_loader.h"

#define WAKE_TAG  UINT32_MAX
/* Sizing: the RX ring and the fill ring hold RX_RING descriptors, so the
 * kernel can queue RX_RING frames while the worker is busy (the shield's
 * global budget, whose depth is far below this, is what keeps the ring
 * from overflowing under a flood); the rest of the RX frames sit in
 * fill_pending or in the worker's hands. TX has its own pool and rings. */
#define RX_FRAMES (PKTIO_AFXDP_FRAMES * 3 / 4)
#define TX_FRAMES (PKTIO_AFXDP_FRAMES - RX_FRAMES)
#define RX_RING   8192                  /* rx and fill */
#define TX_RING   4096                  /* tx and completion */
/* Endpoint proof (bpf/shield.h "verified"): the last Ping sent to each
 * address, in a direct-mapped table; a Pong from that address carrying
 * its hash within PING_TTL_NS verifies the address for VERIFIED_TTL_NS. */
#define PING_SLOTS      4096
#define SIG_SLOTS       1024    /* bad-signature sources tracked per queue */
#define PING_TTL_NS     (20ull * 1000000000ull)
#define VERIFIED_TTL_NS (24ull * 3600 * 1000000000ull)
/* While frames wait for their next hop (neigh_park), wait() sleeps no
 * longer than this. */
#define UNRES_POLL_MS 2

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0xff, 0xff };

/* ---- the backend ---- */

/* The last Ping sent to an address (endpoint proof, see pong_seen()). The
 * table is shared by the queues: a Ping leaves through the worker control
 * hands it to (dplink: sock_idx % n_queues) while its Pong comes back on
 * whichever RX queue the NIC hashes the flow to, so every worker must
 * find every Ping. A slot is read and written under its own lock. */
struct ping_rec {
	uint32_t lock;                  /* 0 free, 1 held */
	uint8_t addr[16];
	uint8_t hash[32];
	uint64_t ts_ns;                 /* 0: empty or already proven */
};

struct xq {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	void *area;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	int ep;
	bool zc;
	uint64_t held[PKTIO_BURST];     /* rx frames handed out last burst */
	unsigned n_held;
	uint64_t *tx_free;              /* [TX_FRAMES] stack of tx addrs */
	unsigned n_tx_free;
	uint64_t *fill_pending;         /* [RX_FRAMES] not yet in the fill ring */
	unsigned n_fill_pending;
	struct sig_rec {
		uint8_t key[8];         /* /32 (v4, 4 bytes) or /64 (v6) */
		uint8_t fam;            /* SHIELD_FAM_*, 0: empty */
		uint32_t n;             /* failures since since_ns */
		uint64_t since_ns;
	} *sigs;                        /* [SIG_SLOTS] */
	struct neigh_cache *nc;
	struct neigh_park park;         /* TX frames (UMEM addresses), headers
					 * built but the destination MAC */
	struct pktio_afxdp_stats st;
};

struct afxdp_pktio {
	struct pktio io;
	struct neigh_if itf;
	struct dplink_listen *listen;   /* [n_listen], ports as reserved */
	int *port_fd;                   /* [n_listen] kernel sockets holding
					 * the ports (and the fallback path) */
	uint16_t *by_idx;               /* sock_idx -> listen index */
	int xskmap_fd;
	bool own_map_fd;
	int verified_fd;                /* the shield's "verified", or -1 */
	int blocklist_fd;               /* the shield's "blocklist", or -1 */
	struct shield_hints *hints;     /* the shield's "hints", or NULL */
	uint32_t ban_count;             /* 0: bans off */
	uint64_t ban_window_ns, ban_ns;
	struct ping_rec *pings;         /* [PING_SLOTS], all queues' */
	struct xq *q;                   /* [n_queues] */
};


static void xq_close(struct xq *x)
{
	if (x->xsk)
		xsk_socket__delete(x->xsk);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area)
		munmap(x->area, (size_t)PKTIO_AFXDP_FRAMES *
				PKTIO_AFXDP_FRAME_SIZE);
	if (x->ep >= 0)
		close(x->ep);
	free(x->tx_free);
	free(x->fill_pending);
	free(x->sigs);
	neigh_cache_free(x->nc);
}

static void afxdp_close(struct pktio *io)
{
	struct afxdp_pktio *p = (struct afxdp_pktio *)io;

	if (!p)
		return;
	for (unsigned q = 0; p->q && q < io->n_queues; q++) {
		struct pktio_afxdp_stats st;

		if (p->q[q].xsk && !pktio_afxdp_get_stats(io, q, &st))
			fprintf(stderr, "xdp q%u: rx_dropped %llu rx_ring_full "
				"%llu rx_fill_empty %llu rx_invalid %llu "
				"tx_invalid %llu verified %llu bans %llu\n", q,
				(unsigned long long)st.rx_dropped,
				(unsigned long long)st.rx_ring_full,
				(unsigned long long)st.rx_fill_ring_empty,
				(unsigned long long)st.rx_invalid,
				(unsigned long long)st.tx_invalid,
				(unsigned long long)st.verified,
				(unsigned long long)st.bans);
	}
	for (unsigned q = 0; p->q && q < io->n_queues; q++) {
		/* Unregister first so the shield passes instead of
		 * redirecting into a closing socket. */
		uint32_t k = q;

		if (p->xskmap_fd > 0 && p->q[q].xsk)
			(void)bpf_map_delete_elem(p->xskmap_fd, &k);
		xq_close(&p->q[q]);
	}
	for (unsigned i = 0; p->port_fd && i < io->n_listen; i++)
		if (p->port_fd[i] >= 0)
			close(p->port_fd[i]);
	if (p->own_map_fd && p->xskmap_fd > 0)
		close(p->xskmap_fd);
	if (p->verified_fd >= 0)
		close(p->verified_fd);
	if (p->blocklist_fd >= 0)
		close(p->blocklist_fd);
	shield_maps_hints_munmap(p->hints);
	free(p->q);
	free(p->pings);
	free(p->listen);
	free(p->port_fd);
	free(p->by_idx);
	free(p);
}

static int open_map(struct afxdp_pktio *p, const struct pktio_cfg *cfg)
{
	char path[256];
	int fd;

	if (cfg->xskmap_fd > 0) {
		p->xskmap_fd = cfg->xskmap_fd;
		return 0;
	}
	if (snprintf(path, sizeof(path), "%s/%s/xsks", PKTIO_AFXDP_PIN_DIR,
		     cfg->iface) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno ? -errno : -ENOENT;
	p->xskmap_fd = fd;
	p->own_map_fd = true;
	return 0;
}

/* open_hints() maps the shield's pinned "hints", through which every
 * write to "verified" and the blocklist goes (bpf/shield.h). Without the
 * pin (a shield older than them) the maps are written as they are; a
 * hints map that exists but cannot be mapped leaves both unwritten
 * (false), since the program would skip what we wrote. */
static bool open_hints(struct afxdp_pktio *p, const struct pktio_cfg *cfg)
{
	char path[256];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s/hints", PKTIO_AFXDP_PIN_DIR,
		     cfg->iface) >= (int)sizeof(path))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT;
	p->hints = shield_maps_hints_mmap(fd);
	if (!p->hints)
		fprintf(stderr, "xdp: cannot map the shield's hints (%s): "
			"no verified sources, no bans\n", strerror(errno));
	close(fd);
	return p->hints != NULL;
}

/* open_verified() opens the shield's pinned "verified" map; without it
 * (an older shield, a test XSKMAP) there are no verified sources. */
static void open_verified(struct afxdp_pktio *p, const struct pktio_cfg *cfg)
{
	char path[256];

	if (snprintf(path, sizeof(path), "%s/%s/verified",
		     PKTIO_AFXDP_PIN_DIR, cfg->iface) < (int)sizeof(path))
		p->verified_fd = bpf_obj_get(path);
}

/* open_blocklist() opens the shield's pinned "blocklist" and sets the ban
 * policy from cfg (dplink_proto.h defaults for 0s); without the map there
 * are no bans. */
static void open_blocklist(struct afxdp_pktio *p, const struct pktio_cfg *cfg)
{
	char path[256];

	p->ban_count = cfg->ban_sig_count ? cfg->ban_sig_count :
		       DPLINK_BAN_COUNT_DEFAULT;
	if (p->ban_count == DPLINK_BAN_OFF)
		p->ban_count = 0;
	p->ban_window_ns = (uint64_t)(cfg->ban_sig_window_s ?
				      cfg->ban_sig_window_s :
				      DPLINK_BAN_WINDOW_DEFAULT) * 1000000000ull;
	p->ban_ns = (uint64_t)(cfg->ban_secs ? cfg->ban_secs :
			       DPLINK_BAN_SECS_DEFAULT) * 1000000000ull;
	if (p->ban_count &&
	    snprintf(path, sizeof(path), "%s/%s/blocklist",
		     PKTIO_AFXDP_PIN_DIR, cfg->iface) < (int)sizeof(path))
		p->blocklist_fd = bpf_obj_get(path);
}

/* src_key() is the shield's per-source key of a v4-mapped or v6 address
 * (bpf/shield.h: /32 or /64). */
static void src_key(struct shield_bucket_key *k, const uint8_t src[16])
{
	memset(k, 0, sizeof(*k));
	if (!memcmp(src, v4mapped, 12)) {
		k->family = SHIELD_FAM_V4;
		k->plen = SHIELD_SRC_V4_PLEN;
		memcpy(k->addr, src + 12, 4);
	} else {
		k->family = SHIELD_FAM_V6;
		k->plen = SHIELD_SRC_V6_PLEN;
		memcpy(k->addr, src, 8);
	}
}

/*
 * Ban policy: every queue keeps a small direct-mapped table of sources
 * (/32, /64) whose packets failed signature recovery, a count and the
 * start of its window. ban_count failures within ban_window_ns ban the
 * source in the shield's blocklist for ban_ns (reason BAD_SIG); it is then
 * dropped in XDP. A colliding source takes the slot over when the old
 * window has ended or lost to a newer failure: an attacker flooding many
 * sources only evicts, it never bans anyone it does not send from. A
 * source that proved its endpoint (in "verified") is never banned: bad
 * signatures "from" it can be spoofed by anyone, and a flood must not get
 * real nodes cut off.
 */
static int afxdp_bad_source(struct pktio *io, unsigned q,
			    const uint8_t addr[16])
{
	struct afxdp_pktio *p = (struct afxdp_pktio *)io;
	struct shield_verified_val vv;
	struct shield_block_val bv;
	struct shield_bucket_key k;
	struct shield_lpm_key lk;
	struct sig_rec *r;
	uint32_t h = 2166136261u;
	uint64_t now;

	if (!p->ban_count || p->blocklist_fd < 0 || q >= io->n_queues ||
	    !p->q[q].sigs)
		return 0;
	src_key(&k, addr);
	for (unsigned i = 0; i < 8; i++)
		h = (h ^ k.addr[i]) * 16777619u;
	r = &p->q[q].sigs[(h ^ k.family) % SIG_SLOTS];
	now = pktio_mono_ns();
	if (r->fam != k.family || memcmp(r->key, k.addr, 8) ||
	    now - r->since_ns > p->ban_window_ns) {
		r->fam = k.family;
		memcpy(r->key, k.addr, 8);
		r->n = 0;
		r->since_ns = now;
	}
	if (++r->n < p->ban_count)
		return 0;
	r->fam = 0;                     /* banned: the slot is free again */
	if (p->verified_fd >= 0 &&
	    bpf_map_lookup_elem(p->verified_fd, &k, &vv) == 0 &&
	    vv.expires_ns > now)
		return 0;
	memset(&lk, 0, sizeof(lk));
	lk.family = k.family;
	lk.prefixlen = 8 + k.plen;
	memcpy(lk.addr, k.addr, 8);
	memset(&bv, 0, sizeof(bv));
	/* Shield time is CLOCK_MONOTONIC (see pong_seen()). */
	bv.expires_ns = now + p->ban_ns;
	bv.reason = SHIELD_BAN_BAD_SIG;
	if (shield_maps_block_put(p->blocklist_fd, p->hints, &lk, &bv) < 0)
		return 0;
	pktio_cnt_add(&p->q[q].st.bans, 1);
	return 1;
}

static unsigned ping_slot(const uint8_t addr[16])
{
	uint32_t h = 2166136261u;

	for (unsigned i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h % PING_SLOTS;
}

static void rec_lock(struct ping_rec *r)
{
	while (__atomic_exchange_n(&r->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&r->lock, __ATOMIC_RELAXED))
			;       /* held for a 60-byte copy at most */
}

static void rec_unlock(struct ping_rec *r)
{
	__atomic_store_n(&r->lock, 0, __ATOMIC_RELEASE);
}

/* ping_sent() remembers the hash of a Ping we send to addr. */
static void ping_sent(struct afxdp_pktio *p, const struct pktio_pkt *pk,
		      uint64_t now)
{
	struct ping_rec *r;

	if (!p->pings || pk->len < 98 || pk->buf[97] != DISCV4_PING)
		return;
	r = &p->pings[ping_slot(pk->peer_addr)];
	rec_lock(r);
	memcpy(r->addr, pk->peer_addr, 16);
	memcpy(r->hash, pk->buf, 32);
	r->ts_ns = now;
	rec_unlock(r);
}

/* pong_seen() verifies src in the shield when buf is a Pong answering the
 * last Ping we sent there: only a host that receives at src saw that
 * Ping's hash, so spoofed sources cannot do this. The signature is not
 * needed for that proof (the ingress stage checks it anyway). */
static void pong_seen(struct afxdp_pktio *p, struct xq *x,
		      const uint8_t src[16], const uint8_t *buf, size_t len)
{
	struct shield_bucket_key k;
	struct discv4_packet d;
	struct ping_rec *r;
	uint64_t now;
	bool ok;

	if (p->verified_fd < 0 || !p->pings || len < 98 ||
	    buf[97] != DISCV4_PONG)
		return;
	if (discv4_decode(&d, buf, len) < 0 || d.type != DISCV4_PONG)
		return;
	r = &p->pings[ping_slot(src)];
	now = pktio_mono_ns();
	rec_lock(r);
	ok = r->ts_ns && !memcmp(r->addr, src, 16) &&
	     now - r->ts_ns <= PING_TTL_NS &&
	     ct_memeq(d.u.pong.ping_hash, r->hash, 32);
	if (ok)
		r->ts_ns = 0;           /* one proof per Ping */
	rec_unlock(r);
	if (!ok)
		return;
	memset(&k, 0, sizeof(k));
	if (!memcmp(src, v4mapped, 12)) {
		k.family = SHIELD_FAM_V4;
		k.plen = SHIELD_SRC_V4_PLEN;
		memcpy(k.addr, src + 12, 4);
	} else {
		k.family = SHIELD_FAM_V6;
		k.plen = SHIELD_SRC_V6_PLEN;
		memcpy(k.addr, src, 8);
	}
	/* Shield time is CLOCK_MONOTONIC (now_offset_ns is 0 outside the
	 * BPF unit tests). */
	if (shield_maps_verified_put(p->verified_fd, p->hints, &k,
				now + VERIFIED_TTL_NS) == 0)
		pktio_cnt_add(&x->st.verified, 1);
}

static int fill_ring_top_up(struct xq *x)
{
	unsigned n = x->n_fill_pending;
	uint32_t idx;

	if (!n)
		return 0;
	/* reserve() is all or nothing: ask for what the ring has room for
	 * (more RX frames exist than fill ring slots). */
	n = xsk_prod_nb_free(&x->fq, n);
	if (n > x->n_fill_pending)
		n = x->n_fill_pending;
	if (n)
		n = xsk_ring_prod__reserve(&x->fq, n, &idx);
	if (!n) {
		pktio_cnt_add(&x->st.fill_short, 1);
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) =
			x->fill_pending[--x->n_fill_pending];
	xsk_ring_prod__submit(&x->fq, n);
	return (int)n;
}

static int xq_open(struct afxdp_pktio *p, unsigned q,
		   const struct pktio_cfg *cfg)
{
	struct xq *x = &p->q[q];
	size_t size = (size_t)PKTIO_AFXDP_FRAMES * PKTIO_AFXDP_FRAME_SIZE;
	struct xsk_umem_config uc = {
		.fill_size = RX_RING, .comp_size = TX_RING,
		.frame_size = PKTIO_AFXDP_FRAME_SIZE,
		.frame_headroom = 0, .flags = 0,
	};
	struct xsk_socket_config sc = {
		.rx_size = RX_RING, .tx_size = TX_RING,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0,
	};
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 0 };
	uint32_t key = q;
	int rc, fd;

	x->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		return -errno;
	}
	rc = xsk_umem__create(&x->umem, x->area, size, &x->fq, &x->cq, &uc);
	if (rc)
		return rc < 0 ? rc : -rc;
	rc = -EINVAL;
	if (!(cfg->flags & PKTIO_F_COPY)) {
		sc.bind_flags = XDP_ZEROCOPY | XDP_USE_NEED_WAKEUP;
		rc = xsk_socket__create(&x->xsk, cfg->iface, q, x->umem,
					&x->rx, &x->tx, &sc);
		if (rc == 0) {
			x->zc = true;
		} else if (cfg->flags & PKTIO_F_ZEROCOPY) {
			rc = rc < 0 ? rc : -rc;
			fprintf(stderr, "xdp: %s queue %u: no zero-copy AF_XDP "
					"socket (%s): the driver may not "
					"support it; --copy, or neither flag to "
					"fall back to copy mode\n",
				cfg->iface, q, strerror(-rc));
			return rc;
		}
		if (rc) {
			/* A failed create leaves the UMEM's fill and
			 * completion rings unusable: make a fresh UMEM. */
			xsk_umem__delete(x->umem);
			x->umem = NULL;
			rc = xsk_umem__create(&x->umem, x->area, size, &x->fq,
					      &x->cq, &uc);
			if (rc)
				return rc < 0 ? rc : -rc;
		}
	}
	if (!x->xsk) {
		sc.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP;
		rc = xsk_socket__create(&x->xsk, cfg->iface, q, x->umem,
					&x->rx, &x->tx, &sc);
		if (rc)
			return rc < 0 ? rc : -rc;
	}
	fd = xsk_socket__fd(x->xsk);
	if (bpf_map_update_elem(p->xskmap_fd, &key, &fd, BPF_ANY) < 0)
		return -errno;
	x->tx_free = malloc(TX_FRAMES * sizeof(*x->tx_free));
	x->fill_pending = malloc(RX_FRAMES * sizeof(*x->fill_pending));
	x->sigs = calloc(SIG_SLOTS, sizeof(*x->sigs));
	if (!x->tx_free || !x->fill_pending || !x->sigs)
		return -ENOMEM;
	for (unsigned i = 0; i < TX_FRAMES; i++)
		x->tx_free[x->n_tx_free++] = (uint64_t)(RX_FRAMES + i) *
					     PKTIO_AFXDP_FRAME_SIZE;
	for (unsigned i = 0; i < RX_FRAMES; i++)
		x->fill_pending[x->n_fill_pending++] =
			(uint64_t)i * PKTIO_AFXDP_FRAME_SIZE;
	fill_ring_top_up(x);
	x->ep = epoll_create1(EPOLL_CLOEXEC);
	if (x->ep < 0)
		return -errno;
	if (epoll_ctl(x->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return neigh_cache_new(&x->nc, &p->itf);
}

static int afxdp_open(struct pktio **out, const struct pktio_cfg *cfg)
{
	struct afxdp_pktio *p;
	int rc;

	if (!cfg || !cfg->n_queues || cfg->n_queues > DPLINK_MAX_QUEUES ||
	    !cfg->n_listen || cfg->n_listen > DPLINK_MAX_SOCKS ||
	    !cfg->iface ||
	    (cfg->flags & PKTIO_F_COPY && cfg->flags & PKTIO_F_ZEROCOPY))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->io.ops = &pktio_afxdp_ops;
	p->io.n_queues = cfg->n_queues;
	p->io.n_listen = cfg->n_listen;
	p->listen = malloc(cfg->n_listen * sizeof(*p->listen));
	p->port_fd = malloc(cfg->n_listen * sizeof(*p->port_fd));
	p->q = calloc(cfg->n_queues, sizeof(*p->q));
	p->pings = calloc(PING_SLOTS, sizeof(*p->pings));
	rc = -ENOMEM;
	if (!p->listen || !p->port_fd || !p->q || !p->pings)
		goto out_close;
	for (unsigned q = 0; q < cfg->n_queues; q++)
		p->q[q].ep = -1;
	p->verified_fd = -1;
	p->blocklist_fd = -1;
	for (unsigned i = 0; i < cfg->n_listen; i++)
		p->port_fd[i] = -1;
	memcpy(p->listen, cfg->listen, cfg->n_listen * sizeof(*p->listen));
	rc = pktio_listen_index(&p->by_idx, p->listen, cfg->n_listen);
	if (rc < 0)
		goto out_close;
	rc = neigh_if_get(&p->itf, cfg->iface);
	if (rc < 0)
		goto out_close;
	for (unsigned i = 0; i < cfg->n_listen; i++) {
		rc = portres_bind(&p->listen[i], 0);
		if (rc < 0)
			goto out_close;
		p->port_fd[i] = rc;
	}
	rc = open_map(p, cfg);
	if (rc < 0)
		goto out_close;
	if (cfg->xskmap_fd <= 0 && open_hints(p, cfg)) {
		open_verified(p, cfg);
		open_blocklist(p, cfg);
	}
	for (unsigned q = 0; q < cfg->n_queues; q++) {
		rc = xq_open(p, q, cfg);
		if (rc < 0)
			goto out_close;
	}
	*out = &p->io;
	return 0;

out_close:
	afxdp_close(&p->io);
	return rc;
}

static void kick_fill(struct xq *x)
{
	if (xsk_ring_prod__needs_wakeup(&x->fq))
		(void)recvfrom(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT,
			       NULL, NULL);
}

static unsigned afxdp_rx_burst(struct pktio *io, unsigned q,
			       struct pktio_pkt *pkts, unsigned n)
{
	struct afxdp_pktio *p = (struct afxdp_pktio *)io;
	struct xq *x = &p->q[q];
	unsigned got = 0, nr;
	uint32_t idx;

	/* Frames of the previous burst are ours again: refill with them. */
	for (unsigned i = 0; i < x->n_held; i++)
		x->fill_pending[x->n_fill_pending++] = x->held[i];
	x->n_held = 0;
	fill_ring_top_up(x);
	kick_fill(x);
	if (n > PKTIO_BURST)
		n = PKTIO_BURST;
	nr = xsk_ring_cons__peek(&x->rx, n, &idx);
	for (unsigned i = 0; i < nr; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx,
								  idx + i);
		uint64_t addr = xsk_umem__extract_addr(d->addr);
		uint8_t *f = xsk_umem__get_data(x->area, d->addr);
		struct ethudp_l4 l;
		int li;

		x->held[x->n_held++] = addr - addr % PKTIO_AFXDP_FRAME_SIZE;
		if (ethudp_parse(&l, f, d->len) < 0 ||
		    (li = ethudp_match(p->listen, io->n_listen, &l)) < 0) {
			pktio_cnt_add(&x->st.rx_not_ours, 1);
			continue;
		}
		pong_seen(p, x, l.src_addr, f + l.payload_off, l.payload_len);
		pkts[got].buf = f + l.payload_off;
		pkts[got].len = l.payload_len;
		pkts[got].sock_idx = p->listen[li].sock_idx;
		pkts[got].local_port_be = l.dst_port_be;
		pkts[got].peer_port_be = l.src_port_be;
		memcpy(pkts[got].peer_addr, l.src_addr, 16);
		got++;
	}
	if (nr)
		xsk_ring_cons__release(&x->rx, nr);
	return got;
}

static void reap_completions(struct xq *x)
{
	uint32_t idx;
	unsigned n = xsk_ring_cons__peek(&x->cq, TX_RING, &idx);

	for (unsigned i = 0; i < n; i++)
		x->tx_free[x->n_tx_free++] =
			*xsk_ring_cons__comp_addr(&x->cq, idx + i);
	if (n)
		xsk_ring_cons__release(&x->cq, n);
}

static void tx_kick(struct xq *x, unsigned sent)
{
	if (!sent)
		return;
	xsk_ring_prod__submit(&x->tx, sent);
	if (!x->zc || xsk_ring_prod__needs_wakeup(&x->tx))
		(void)sendto(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT,
			     NULL, 0);
}

/* A parked frame whose next hop resolved: sent alone, so the ring index
 * stays in order; no descriptor free, it is dropped (tx_no_neigh). */
static void park_ready(void *ctx, const struct neigh_parked *e)
{
	struct xq *x = ctx;
	struct xdp_desc *d;
	uint32_t idx;

	if (xsk_ring_prod__reserve(&x->tx, 1, &idx) != 1) {
		pktio_cnt_add(&x->st.tx_no_neigh, 1);
		x->tx_free[x->n_tx_free++] = e->handle;
		return;
	}
	d = xsk_ring_prod__tx_desc(&x->tx, idx);
	d->addr = e->handle;
	d->len = e->len;
	d->options = 0;
	tx_kick(x, 1);
}

static void park_drop(void *ctx, const struct neigh_parked *e)
{
	struct xq *x = ctx;

	pktio_cnt_add(&x->st.tx_no_neigh, 1);
	x->tx_free[x->n_tx_free++] = e->handle;
}

static unsigned afxdp_tx_burst(struct pktio *io, unsigned q,
			       const struct pktio_pkt *pkts, unsigned n)
{
	struct afxdp_pktio *p = (struct afxdp_pktio *)io;
	struct xq *x = &p->q[q];
	struct ethudp_hdrs h;
	uint64_t now = pktio_mono_ns();
	unsigned sent = 0, want = 0, parked = 0;
	uint32_t idx;
	int rc;

	reap_completions(x);
	neigh_park_poll(&x->park, x->nc, now, park_ready, park_drop, x);
	if (n > PKTIO_BURST)
		n = PKTIO_BURST;
	if (!n)
		return 0;
	want = n < x->n_tx_free ? n : x->n_tx_free;
	if (want)
		want = xsk_ring_prod__reserve(&x->tx, want, &idx);
	memcpy(h.src_mac, p->itf.mac, 6);
	h.ttl = 64;
	for (unsigned i = 0; i < n && sent < want; i++) {
		const struct pktio_pkt *pk = &pkts[i];
		uint16_t li = p->by_idx[pk->sock_idx];
		struct xdp_desc *d;
		uint64_t addr;
		ssize_t len;

		if (li == PKTIO_NO_IDX ||
		    ethudp_src_addr(h.src_addr, &p->listen[li], pk->peer_addr,
				    &p->itf) < 0)
			continue;
		rc = neigh_cache_get(x->nc, h.dst_mac, pk->peer_addr, now);
		if (rc && (rc != -EAGAIN || x->n_tx_free <= want - sent)) {
			pktio_cnt_add(&x->st.tx_no_neigh, 1);
			continue;
		}
		if (rc)
			memset(h.dst_mac, 0, 6);
		memcpy(h.dst_addr, pk->peer_addr, 16);
		h.src_port_be = p->listen[li].port_be;
		h.dst_port_be = pk->peer_port_be;
		addr = x->tx_free[x->n_tx_free - 1];
		len = ethudp_build(xsk_umem__get_data(x->area, addr),
					PKTIO_AFXDP_FRAME_SIZE, &h, pk->buf,
					pk->len);
		if (len < 0)
			continue;
		x->n_tx_free--;
		ping_sent(p, pk, now);
		if (rc) {
			/* Counted as sent: it leaves when the kernel has
			 * resolved the next hop, or tx_no_neigh counts it. */
			struct neigh_parked e = {
				.handle = addr, .len = (uint32_t)len,
				.frame = xsk_umem__get_data(x->area, addr),
				.since_ns = now,
			}, old;

			memcpy(e.dst, pk->peer_addr, 16);
			if (neigh_park_add(&x->park, &e, &old))
				park_drop(x, &old);
			parked++;
			continue;
		}
		d = xsk_ring_prod__tx_desc(&x->tx, idx + sent);
		d->addr = addr;
		d->len = (uint32_t)len;
		d->options = 0;
		sent++;
	}
	if (want > sent) {
		/* Give back the reserved descriptors we did not fill. */
		x->tx.cached_prod -= want - sent;
	}
	tx_kick(x, sent);
	if (want < n)
		pktio_cnt_add(&x->st.tx_no_frame, n - want);
	return sent + parked;
}

static int afxdp_wait(struct pktio *io, unsigned q, int timeout_ms)
{
	struct afxdp_pktio *p = (struct afxdp_pktio *)io;
	struct xq *x = &p->q[q];
	struct epoll_event ev[8];
	int n;

	fill_ring_top_up(x);
	kick_fill(x);
	neigh_park_poll(&x->park, x->nc, pktio_mono_ns(), park_ready, park_drop, x);
	/* Frames already waiting: no sleep (peek would consume them). */
	if (__atomic_load_n(x->rx.producer, __ATOMIC_ACQUIRE) !=
	    *x->rx.consumer)
		return 0;
	if (x->park.n && (timeout_ms < 0 || timeout_ms > UNRES_POLL_MS))
		timeout_ms = UNRES_POLL_MS;
	n = epoll_wait(x->ep, ev, 8, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	reap_completions(x);
	return 0;
}

static int afxdp_add_wake_fd(struct pktio *io, unsigned q, int fd)
{
	struct afxdp_pktio *p = (struct afxdp_pktio *)io;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = WAKE_TAG };

	if (q >= io->n_queues)
		return -EINVAL;
	return epoll_ctl(p->q[q].ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static uint16_t afxdp_local_port(const struct pktio *io, unsigned i)
{
	const struct afxdp_pktio *p = (const struct afxdp_pktio *)io;

	return i < io->n_listen ? p->listen[i].port_be : 0;
}

int pktio_afxdp_get_stats(const struct pktio *io, unsigned q,
			  struct pktio_afxdp_stats *out)
{
	const struct afxdp_pktio *p = (const struct afxdp_pktio *)io;
	const struct pktio_afxdp_stats *s;

	if (!io || io->ops != &pktio_afxdp_ops || q >= io->n_queues)
		return -EINVAL;
	s = &p->q[q].st;
	out->rx_not_ours = __atomic_load_n(&s->rx_not_ours, __ATOMIC_RELAXED);
	out->tx_no_neigh = __atomic_load_n(&s->tx_no_neigh, __ATOMIC_RELAXED);
	out->tx_no_frame = __atomic_load_n(&s->tx_no_frame, __ATOMIC_RELAXED);
	out->fill_short = __atomic_load_n(&s->fill_short, __ATOMIC_RELAXED);
	out->verified = __atomic_load_n(&s->verified, __ATOMIC_RELAXED);
	out->bans = __atomic_load_n(&s->bans, __ATOMIC_RELAXED);
	{
		struct xdp_statistics xs;
		socklen_t sl = sizeof(xs);

		memset(&xs, 0, sizeof(xs));
		if (p->q[q].xsk &&
		    getsockopt(xsk_socket__fd(p->q[q].xsk), SOL_XDP,
			       XDP_STATISTICS, &xs, &sl) < 0)
			return -errno;
		out->rx_dropped = xs.rx_dropped;
		out->rx_invalid = xs.rx_invalid_descs;
		out->tx_invalid = xs.tx_invalid_descs;
		out->rx_ring_full = xs.rx_ring_full;
		out->rx_fill_ring_empty = xs.rx_fill_ring_empty_descs;
	}
	return 0;
}

bool pktio_afxdp_zero_copy(const struct pktio *io, unsigned q)
{
	const struct afxdp_pktio *p = (const struct afxdp_pktio *)io;

	if (!io || io->ops != &pktio_afxdp_ops || q >= io->n_queues)
		return false;
	return p->q[q].zc;
}

const struct pktio_ops pktio_afxdp_ops = {
	.name = "xdp",
	.open = afxdp_open,
	.close = afxdp_close,
	.rx_burst = afxdp_rx_burst,
	.tx_burst = afxdp_tx_burst,
	.wait = afxdp_wait,
	.add_wake_fd = afxdp_add_wake_fd,
	.local_port = afxdp_local_port,
	.bad_source = afxdp_bad_source,
};
