/* SPDX-License-Identifier: MIT */
/* dataplane/daemon/dpd.c - the devplane-dp process: set-up, control link, stats. */
#include "dataplane/daemon/dpd.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/dplink_shm.h"
#include "common/shmring.h"
#include "config.h"
#include "dataplane/daemon/backend.h"
#include "dataplane/daemon/dpstats.h"
#include "dataplane/daemon/lcore.h"
#if HAVE_XDP
#include "dataplane/io/pktio_afxdp.h"
#include "dataplane/shield/shield_loader.h"
#endif

#define CONFIG_TIMEOUT_MS 10000

struct dpd {
	struct pktio *io;
	struct shmring *ring;
	struct dplink_shm *shm;
	size_t shm_len;
	int shm_fd;
	int ctl_efd;
	int tx_efd[DPLINK_MAX_QUEUES];
	unsigned n_queues;
	struct lcore *lc;
	struct dplink_listen *listen;   /* as bound */
	unsigned n_listen;
	volatile bool stop;
	/* xdp: the ban policy (struct dplink_msg_config, 0: defaults) */
	uint32_t ban_sig_count, ban_sig_window_s, ban_secs;
	struct dpd_shield_opts shield_opts;     /* attach mode's flags */
	const char *eal;                /* dpdk: EAL arguments */
	size_t rlpx_sess_mem, rlpx_mem; /* RLPx budgets; 0: defaults */
	/* discv5: the sockets' masking keys (V5 from control), shared by
	 * the workers, and their limits (CONFIG or the command line) */
	struct discv5_rx_keys *v5keys;
	uint32_t v5_hs_rate, v5_hs_burst, v5_way_rate, v5_way_burst;
#if HAVE_XDP
	struct shield_loader *shield;   /* xdp backend: the attached shield */
	bool allow_set;                 /* we hold netrestrict entries */
	bool v5_noted;                  /* said that the shield drops v5 */
#endif
};

static void dpd_init(struct dpd *d)
{
	memset(d, 0, sizeof(*d));
	d->shm_fd = -1;
	d->ctl_efd = -1;
	for (unsigned i = 0; i < DPLINK_MAX_QUEUES; i++)
		d->tx_efd[i] = -1;
}

static void stop_workers(struct dpd *d)
{
	static const uint64_t one = 1;

	d->stop = true;
	for (unsigned q = 0; d->lc && q < d->n_queues; q++)
		if (d->tx_efd[q] >= 0 && write(d->tx_efd[q], &one, 8) < 0)
			continue;       /* the worker sees stop within 100 ms */
	for (unsigned q = 0; d->lc && q < d->n_queues; q++)
		lcore_join(&d->lc[q]);
}

static void drop_allow(struct dpd *d);

static void dpd_fini(struct dpd *d)
{
	stop_workers(d);
	drop_allow(d);
	for (unsigned q = 0; d->lc && q < d->n_queues; q++) {
		discv4_rx_free(d->lc[q].stage);
		discv5_rx_free(d->lc[q].v5);
		rlpx_stage_free(d->lc[q].rlpx);
	}
	free(d->lc);
	discv5_rx_keys_free(d->v5keys);
	if (d->io)
		d->io->ops->close(d->io);
	shmring_free(d->ring);
	dplink_shm_unmap(d->shm, d->shm_len);
	if (d->shm_fd >= 0)
		close(d->shm_fd);
	if (d->ctl_efd >= 0)
		close(d->ctl_efd);
	for (unsigned i = 0; i < DPLINK_MAX_QUEUES; i++)
		if (d->tx_efd[i] >= 0)
			close(d->tx_efd[i]);
	free(d->listen);
#if HAVE_XDP
	/* The shield stays attached and pinned: it keeps dropping while no
	 * dataplane runs; `devplane-dp shield detach` removes it. */
	shield_loader_free(d->shield);
#endif
}

/* Many listen sockets times queues can pass the default soft limit. */
static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

static int map_shm(struct dpd *d, int fd, bool create)
{
	int rc = dplink_shm_map(&d->shm, &d->shm_len, fd, create, true);

	if (rc == 0)
		d->shm_fd = fd;
	return rc;
}

#if HAVE_XDP
/* attach_shield() makes sure the shield runs on iface before the AF_XDP
 * sockets join its XSKMAP. A shield pinned there already (a restart, or
 * one an operator attached and tuned) is re-opened with its config as it
 * is, but for the settings given on our command line; the port follows
 * the socket we bind (shield_port()). A fresh one gets the defaults and
 * those settings. */
static int attach_shield(struct dpd *d, const char *iface, uint16_t port_be)
{
	const struct dpd_shield_opts *o = &d->shield_opts;
	struct shield_cfg sc, given;
	int rc;

	shield_default_cfg(&sc, port_be ? ntohs(port_be) :
				SHIELD_DEFAULT_PORT);
	given = sc;
	given.src_rate = o->src_rate;
	given.src_burst = o->src_burst;
	given.pfx_rate = o->pfx_rate;
	given.pfx_burst = o->pfx_burst;
	given.unk_rate = o->unk_rate;
	given.unk_burst = o->unk_burst;
	shield_cfg_merge(&sc, &given, o->set);
	rc = shield_loader_attach(&d->shield, iface, NULL, SHIELD_MODE_AUTO,
				  &sc, o->set);
	if (rc == -EINVAL && o->set)
		fprintf(stderr, "devplane-dp: the --shield-* settings do not "
				"fit the shield's config (a rate above 0 "
				"needs a burst above 0; at most %u)\n",
			SHIELD_MAX_RATE);
	return rc;
}

static int prefix_key(struct shield_lpm_key *k, const struct dplink_prefix *p)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	unsigned max = p->v4 ? 32 : 128;

	memset(k, 0, sizeof(*k));
	if (p->bits > max || p->v4 > 1 ||
	    (p->v4 && memcmp(p->addr, v4mapped, sizeof(v4mapped))))
		return -EINVAL;
	k->family = p->v4 ? SHIELD_FAM_V4 : SHIELD_FAM_V6;
	memcpy(k->addr, p->v4 ? p->addr + 12 : p->addr, max / 8);
	for (unsigned b = p->bits; b < max; b++)  /* host bits off */
		k->addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	k->prefixlen = 8 + p->bits;
	return 0;
}
#endif

/* set_allow() handles ALLOW: control's --netrestrict prefixes become the
 * shield's netrestrict allow-list entries, replacing any earlier ones
 * (also what a crashed predecessor left behind). The operator's entries
 * stay. Returns 0 or -errno; *installed is how many went in. */
static int set_allow(struct dpd *d, const struct dplink_msg_allow *m,
		     size_t len, uint32_t *installed)
{
	*installed = 0;
	if (len < sizeof(*m) || m->n > DPLINK_MAX_ALLOW ||
	    len != sizeof(*m) + m->n * sizeof(m->p[0]))
		return -EBADMSG;
#if HAVE_XDP
	if (d->shield) {
		struct shield_lpm_key *k = calloc(m->n ? m->n : 1, sizeof(*k));
		int rc = k ? 0 : -ENOMEM;

		for (uint32_t i = 0; rc == 0 && i < m->n; i++)
			rc = prefix_key(&k[i], &m->p[i]);
		if (rc == 0) {
			d->allow_set = true;
			rc = shield_maps_allow_replace(
				shield_loader_maps(d->shield),
				SHIELD_ALLOW_NETRESTRICT, k, m->n);
		}
		free(k);
		if (rc == 0)
			*installed = m->n;
		return rc;
	}
#else
	(void)d;
#endif
	return 0;       /* no shield: control applies --netrestrict itself */
}

/* drop_allow() removes our netrestrict entries when our control has gone
 * (or we exit): the restriction belonged to that control process. The
 * operator's own entries stay, and with them the allow-list if any. */
static void drop_allow(struct dpd *d)
{
#if HAVE_XDP
	if (d->shield && d->allow_set &&
	    shield_maps_allow_replace(shield_loader_maps(d->shield),
				      SHIELD_ALLOW_NETRESTRICT, NULL, 0) < 0)
		fprintf(stderr, "devplane-dp: could not remove the "
				"--netrestrict allow-list entries\n");
	d->allow_set = false;
#else
	(void)d;
#endif
}

#if HAVE_XDP
static int count_ban(void *arg, const struct shield_lpm_key *key,
		     const struct shield_block_val *val)
{
	uint64_t *c = arg;

	(void)key;
	if (!val->expires_ns || val->expires_ns > c[1])
		c[0]++;
	return 0;
}

/* ban_gauge() deletes expired bans and publishes how many are left
 * (DP_CNT_BANS_ACTIVE in worker 0's slot: this thread is its only
 * writer). Called about once a second from the main loop. */
static void ban_gauge(struct dpd *d)
{
	uint64_t c[2] = { 0, 0 };

	if (!d->shield || !d->shm)
		return;
	c[1] = shield_loader_now(d->shield);
	(void)shield_maps_gc(shield_loader_maps(d->shield), c[1]);
	if (shield_maps_bans(shield_loader_maps(d->shield), count_ban, c) == 0)
		__atomic_store_n(&d->shm->w[0].cnt[DP_CNT_BANS_ACTIVE], c[0],
				 __ATOMIC_RELAXED);
}

/* shield_port() points the shield at the port the backend bound. */
static int shield_port(struct dpd *d, uint16_t port_be)
{
	struct shield_cfg sc;
	int rc = shield_loader_get_cfg(d->shield, &sc);

	if (rc < 0 || sc.discv4_port_be == port_be)
		return rc;
	sc.discv4_port_be = port_be;
	return shield_loader_set_cfg(d->shield, &sc);
}
#endif

/* v5_limit() is a CONFIG limit as the stage takes it: 0 the default,
 * DPLINK_V5_OFF none (rate 0). */
static void v5_limit(uint32_t *rate, uint32_t *burst, uint32_t r, uint32_t b,
		     uint32_t def_r, uint32_t def_b)
{
	if (r == DPLINK_V5_OFF) {
		*rate = *burst = 0;
		return;
	}
	*rate = r ? r : def_r;
	*burst = b ? b : def_b;
}

/* set_v5() handles V5: discv5 on or off on the sockets named. The whole
 * message is checked before anything changes. With the xdp backend, a
 * shield this dataplane attached lets discv5 through from the first
 * socket on (SHIELD_F_DISCV5); a pinned one keeps its settings and we
 * say once if it drops discv5. Returns 0 or -errno; *n_on is the
 * sockets with discv5 now. */
static int set_v5(struct dpd *d, const struct dplink_msg_v5 *m, size_t len,
		  uint32_t *n_on)
{
	int rc = 0;

	*n_on = discv5_rx_keys_on(d->v5keys);
	if (len < sizeof(*m) || m->n > DPLINK_V5_CHUNK ||
	    len != sizeof(*m) + m->n * sizeof(m->s[0]))
		return -EBADMSG;
	if (!d->v5keys)
		return -EPROTO;
	for (uint32_t i = 0; i < m->n; i++)
		if (m->s[i].sock_idx >= d->n_listen || m->s[i].on > 1)
			return -EINVAL;
	for (uint32_t i = 0; rc == 0 && i < m->n; i++)
		rc = discv5_rx_keys_set(d->v5keys, m->s[i].sock_idx,
					m->s[i].on ? m->s[i].node_id : NULL);
	*n_on = discv5_rx_keys_on(d->v5keys);
#if HAVE_XDP
	if (rc == 0 && d->shield && *n_on) {
		struct shield_cfg sc;

		if (shield_loader_get_cfg(d->shield, &sc) < 0 ||
		    (sc.flags & SHIELD_F_DISCV5))
			return 0;
		if (!shield_loader_reattached(d->shield)) {
			sc.flags |= SHIELD_F_DISCV5;
			rc = shield_loader_set_cfg(d->shield, &sc);
		} else if (!d->v5_noted) {
			d->v5_noted = true;
			fprintf(stderr, "devplane-dp: the pinned shield drops "
				"discv5 (devplane-dp shield attach --discv5 "
				"lets it through)\n");
		}
	}
#endif
	return rc;
}

/* drop_v5() turns discv5 off on every socket (an attached dataplane's
 * control has gone; the next one says again). */
static void drop_v5(struct dpd *d)
{
	for (unsigned i = 0; d->v5keys && i < d->n_listen; i++)
		(void)discv5_rx_keys_set(d->v5keys, i, NULL);
}

/* split_backend() turns "xdp:IFNAME" (or "dpdk:IFNAME") into the name and
 * IFNAME. */
static int split_backend(char name[16], const char **iface,
			 const char *backend)
{
	const char *colon = backend ? strchr(backend, ':') : NULL;

	if (!backend)
		backend = "socket";
	if (!colon) {
		if (strlen(backend) >= 16)
			return -EINVAL;
		strcpy(name, backend);
		return 0;
	}
	if ((size_t)(colon - backend) >= 16 || !colon[1])
		return -EINVAL;
	memcpy(name, backend, (size_t)(colon - backend));
	name[colon - backend] = 0;
	*iface = colon + 1;
	return 0;
}

static int start_workers(struct dpd *d, const char *backend,
			 const char *iface, uint32_t flags,
			 const struct dplink_listen *listen, unsigned n_listen,
			 const struct discv4_rx_cfg *scfg, uint32_t rlpx_cap)
{
	struct pktio_cfg pc = { .n_queues = d->n_queues, .listen = listen,
				.n_listen = n_listen, .flags = flags,
				.ban_sig_count = d->ban_sig_count,
				.ban_sig_window_s = d->ban_sig_window_s,
				.ban_secs = d->ban_secs, .eal = d->eal };
	const struct pktio_ops *ops;
	char name[16];
	int rc;

	rc = split_backend(name, &iface, backend);
	if (rc < 0)
		return rc;
	ops = backend_find(name);
	if (!ops)
		return -ENOTSUP;
	if (shmring_n_rings(d->ring) < 2 * d->n_queues)
		return -EINVAL;
	pc.iface = iface;
	if (!strcmp(name, "xdp")) {
#if HAVE_XDP
		if (!iface)
			return -EINVAL;
		rc = attach_shield(d, iface, listen[0].port_be);
		if (rc < 0)
			return rc;
#endif
	}
	rc = ops->open(&d->io, &pc);
	if (rc < 0)
		return rc;
#if HAVE_XDP
	if (d->shield) {
		unsigned zc = 0;

		rc = shield_port(d, ops->local_port(d->io, 0));
		if (rc < 0)
			return rc;
		/* Without --zero-copy or --copy each queue takes what the
		 * driver offers: tell the operator which it got. */
		for (unsigned q = 0; q < d->n_queues; q++)
			zc += pktio_afxdp_zero_copy(d->io, q);
		fprintf(stderr, "devplane-dp: xdp on %s, %u queue%s, %s\n",
			iface, d->n_queues, d->n_queues == 1 ? "" : "s",
			zc == d->n_queues ? "zero-copy" :
			zc ? "zero-copy on some queues" : "copy mode");
	}
#endif
	d->n_listen = n_listen;
	d->listen = malloc(n_listen * sizeof(*d->listen));
	d->lc = calloc(d->n_queues, sizeof(*d->lc));
	if (!d->listen || !d->lc)
		return -ENOMEM;
	for (unsigned i = 0; i < n_listen; i++) {
		d->listen[i] = listen[i];
		d->listen[i].port_be = ops->local_port(d->io, i);
	}
	d->shm->n_queues = d->n_queues;
	d->shm->n_socks = n_listen;
	memcpy(d->shm->backend, ops->name,
	       strnlen(ops->name, sizeof(d->shm->backend)));
	d->shm->dp_pid = (uint32_t)getpid();
	rc = discv5_rx_keys_new(&d->v5keys, n_listen);
	if (rc < 0)
		return rc;
	for (unsigned q = 0; q < d->n_queues; q++) {
		struct lcore *l = &d->lc[q];
		struct discv5_rx_cfg v5c = { .keys = d->v5keys };

		rc = discv4_rx_new(&l->stage, scfg);
		if (rc < 0)
			return rc;
		v5c.budget = discv4_rx_budget(l->stage);
		v5_limit(&v5c.hs_rate, &v5c.hs_burst, d->v5_hs_rate,
			 d->v5_hs_burst, DPLINK_V5_HS_RATE_DEFAULT,
			 DPLINK_V5_HS_BURST_DEFAULT);
		v5_limit(&v5c.way_rate, &v5c.way_burst, d->v5_way_rate,
			 d->v5_way_burst, DPLINK_V5_WAY_RATE_DEFAULT,
			 DPLINK_V5_WAY_BURST_DEFAULT);
		v5c.slots = scfg->budget_slots;
		rc = discv5_rx_new(&l->v5, &v5c);
		if (rc < 0)
			return rc;
		rc = ops->add_wake_fd(d->io, q, d->tx_efd[q]);
		if (rc < 0)
			return rc;
		l->q = q;
		l->io = d->io;
		l->ring = d->ring;
		l->rxq = shmring_ring(d->ring, shmring_ring_idx(q,
							       SHMRING_TO_CTL));
		l->txq = shmring_ring(d->ring, shmring_ring_idx(q,
							       SHMRING_TO_DP));
		l->shm = d->shm;
		l->cnt = d->shm->w[q].cnt;
		l->ctl_efd = d->ctl_efd;
		l->tx_efd = d->tx_efd[q];
		l->stop = &d->stop;
		rc = rlpx_stage_new(&l->rlpx, &(struct rlpx_stage_cfg){
			.ring = d->ring, .rxq = l->rxq, .cnt = l->cnt,
			.seq = &l->seq, .notify_fn = lcore_wake_ctl,
			.notify_arg = l, .frame_cap = rlpx_cap,
			.sess_mem_max = d->rlpx_sess_mem,
			.mem_max = d->rlpx_mem });
		if (rc < 0)
			return rc;
		rc = ops->add_wake_fd(d->io, q, rlpx_stage_fd(l->rlpx));
		if (rc < 0)
			return rc;
	}
	for (unsigned q = 0; q < d->n_queues; q++) {
		rc = lcore_start(&d->lc[q]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* send_listen() sends the table in LISTEN chunks. */
static int send_listen(int sock, const struct dplink_listen *l, unsigned n)
{
	size_t cap = sizeof(struct dplink_msg_listen) +
		     DPLINK_LISTEN_CHUNK * sizeof(struct dplink_listen);
	struct dplink_msg_listen *m = malloc(cap);
	int rc = 0;

	if (!m)
		return -ENOMEM;
	for (unsigned off = 0; off < n && rc == 0;) {
		unsigned k = n - off < DPLINK_LISTEN_CHUNK ?
			     n - off : DPLINK_LISTEN_CHUNK;
		size_t len = sizeof(*m) + k * sizeof(*l);

		dplink_hdr_init(&m->hdr, DPLINK_OP_LISTEN, len);
		m->n = k;
		m->pad0 = 0;
		memcpy(m->l, l + off, k * sizeof(*l));
		rc = dplink_send(sock, m, len, NULL, 0);
		off += k;
	}
	free(m);
	return rc;
}

static int send_ready(struct dpd *d, int sock, int status, const int *fds,
		      unsigned nfds)
{
	struct dplink_msg_ready r = { 0 };
	int rc;

	dplink_hdr_init(&r.hdr, DPLINK_OP_READY, sizeof(r));
	r.status = status;
	r.n_queues = d->n_queues;
	r.n_listen = status == 0 ? d->n_listen : 0;
	r.pid = (uint32_t)getpid();
	rc = dplink_send(sock, &r, sizeof(r), fds, nfds);
	if (rc == 0 && status == 0)
		rc = send_listen(sock, d->listen, d->n_listen);
	return rc;
}

/* block_signals() routes SIGTERM/SIGINT/SIGHUP to a signalfd; called
 * before any thread starts so the workers inherit the mask. */
static int block_signals(void)
{
	sigset_t s;
	int fd;

	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &s, NULL))
		return -EINVAL;
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* give_rlpx_fd() passes a handed-over RLPx socket to its worker, waiting
 * (up to 2 s, waking it) while that worker's inbox is full. */
static void give_rlpx_fd(struct dpd *d, const struct dplink_msg_rlpx_fd *m,
			 int fd)
{
	static const uint64_t one = 1;
	struct lcore *l;

	if (m->queue >= d->n_queues || !d->lc || !d->lc[m->queue].rlpx) {
		close(fd);
		return;
	}
	l = &d->lc[m->queue];
	for (int i = 0; i < 2000; i++) {
		if (rlpx_stage_give_fd(l->rlpx, m->session_id, fd) == 0) {
			if (write(l->tx_efd, &one, sizeof(one)) < 0)
				break;  /* it polls within 100 ms anyway */
			return;
		}
		if (write(l->tx_efd, &one, sizeof(one)) < 0)
			continue;
		usleep(1000);
	}
	close(fd);      /* the keys will wait in vain: control times out */
}

/* ctl_msg() handles one control-socket message after READY. Returns 1 on
 * SHUTDOWN, 0 to go on, or -errno when the connection is gone or broken. */
static int ctl_msg(struct dpd *d, int sock)
{
	union {
		struct dplink_msg_hdr h;
		struct dplink_msg_rlpx_fd fd;
		struct dplink_msg_allow al;
		struct dplink_msg_v5 v5;
		uint8_t b[sizeof(struct dplink_msg_allow) +
			  DPLINK_MAX_ALLOW * sizeof(struct dplink_prefix)];
		uint8_t b5[sizeof(struct dplink_msg_v5) +
			   DPLINK_V5_CHUNK * sizeof(struct dplink_v5_sock)];
	} u;
	unsigned nfds = 0;
	int fd = -1;
	ssize_t n = dplink_recv(sock, &u, sizeof(u), &fd, 1, &nfds, 0);

	if (n == -EAGAIN || n == -ETIMEDOUT)
		return 0;
	if (n < 0)
		return (int)n;
	if (u.h.op == DPLINK_OP_SHUTDOWN) {
		if (nfds)
			close(fd);
		return 1;
	}
	if (u.h.op == DPLINK_OP_RLPX_FD && (size_t)n == sizeof(u.fd) &&
	    nfds == 1) {
		give_rlpx_fd(d, &u.fd, fd);
		return 0;
	}
	if (u.h.op == DPLINK_OP_ALLOW) {
		struct dplink_msg_allow_done r = { 0 };

		if (nfds)
			close(fd);
		dplink_hdr_init(&r.hdr, DPLINK_OP_ALLOW_DONE, sizeof(r));
		r.status = set_allow(d, &u.al, (size_t)n, &r.installed);
		return dplink_send(sock, &r, sizeof(r), NULL, 0);
	}
	if (u.h.op == DPLINK_OP_V5) {
		struct dplink_msg_v5_done r = { 0 };

		if (nfds)
			close(fd);
		dplink_hdr_init(&r.hdr, DPLINK_OP_V5_DONE, sizeof(r));
		r.status = set_v5(d, &u.v5, (size_t)n, &r.n_on);
		return dplink_send(sock, &r, sizeof(r), NULL, 0);
	}
	if (nfds)
		close(fd);
	return 0;               /* unknown ops are ignored */
}

/* recv_config() reads CONFIG and its LISTEN chunks in child mode. */
static int recv_config(struct dpd *d, int sock, struct dplink_msg_config *cfg,
		       struct dplink_listen **listen)
{
	size_t cap = sizeof(struct dplink_msg_listen) +
		     DPLINK_LISTEN_CHUNK * sizeof(struct dplink_listen);
	int fds[DPLINK_MAX_FDS];
	struct dplink_msg_listen *m;
	struct dplink_listen *l;
	unsigned nfds, got = 0;
	ssize_t n;
	int rc;

	n = dplink_recv(sock, cfg, sizeof(*cfg), fds, DPLINK_MAX_FDS, &nfds,
			CONFIG_TIMEOUT_MS);
	if (n < 0)
		return (int)n;
	rc = -EBADMSG;
	if ((size_t)n != sizeof(*cfg) || cfg->hdr.op != DPLINK_OP_CONFIG ||
	    !cfg->n_queues || cfg->n_queues > DPLINK_MAX_QUEUES ||
	    !cfg->n_listen || cfg->n_listen > DPLINK_MAX_SOCKS ||
	    nfds != DPLINK_FD_TX_EFD0 + cfg->n_queues) {
		while (nfds)
			close(fds[--nfds]);
		return rc;
	}
	d->n_queues = cfg->n_queues;
	rc = map_shm(d, fds[DPLINK_FD_SHARED], false);
	if (rc < 0)
		d->shm_fd = fds[DPLINK_FD_SHARED];      /* closed by fini */
	d->ctl_efd = fds[DPLINK_FD_CTL_EFD];
	for (unsigned q = 0; q < d->n_queues; q++)
		d->tx_efd[q] = fds[DPLINK_FD_TX_EFD0 + q];
	if (rc == 0)
		rc = shmring_attach(&d->ring, fds[DPLINK_FD_REGION]);
	close(fds[DPLINK_FD_REGION]);
	if (rc < 0)
		return rc;

	m = malloc(cap);
	l = calloc(cfg->n_listen, sizeof(*l));
	rc = -ENOMEM;
	if (!m || !l)
		goto out;
	while (got < cfg->n_listen) {
		n = dplink_recv(sock, m, cap, NULL, 0, NULL,
				CONFIG_TIMEOUT_MS);
		rc = (int)n;
		if (n < 0)
			goto out;
		rc = -EBADMSG;
		if (m->hdr.op != DPLINK_OP_LISTEN ||
		    (size_t)n < sizeof(*m) || m->n > DPLINK_LISTEN_CHUNK ||
		    sizeof(*m) + m->n * sizeof(*l) != (size_t)n ||
		    m->n > cfg->n_listen - got)
			goto out;
		memcpy(l + got, m->l, m->n * sizeof(*l));
		got += m->n;
	}
	*listen = l;
	l = NULL;
	rc = 0;
out:
	free(m);
	free(l);
	return rc;
}

static int run_child(const struct dpd_opts *o)
{
	struct dplink_msg_config cfg;
	struct dplink_listen *listen = NULL;
	struct dpd d;
	int sock = o->control_fd, sfd, rc;

	/* The child dies with control: the parent-death signal, and EOF on
	 * the control socket below. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	dpd_init(&d);
	d.eal = o->eal;
	d.rlpx_sess_mem = o->rlpx_sess_mem;
	d.rlpx_mem = o->rlpx_mem;
	sfd = block_signals();
	if (sfd < 0)
		return sfd;
	raise_nofile();
	rc = recv_config(&d, sock, &cfg, &listen);
	if (rc == 0) {
		struct discv4_rx_cfg scfg = {
			.budget_rate = cfg.budget_rate,
			.budget_burst = cfg.budget_burst,
			.budget_slots = cfg.budget_slots,
			.cache_slots = cfg.cache_slots,
		};
		char backend[sizeof(cfg.backend) + 1] = { 0 };

		memcpy(backend, cfg.backend, sizeof(cfg.backend));
		d.ban_sig_count = cfg.ban_sig_count;
		d.ban_sig_window_s = cfg.ban_sig_window_s;
		d.ban_secs = cfg.ban_secs;
		d.v5_hs_rate = cfg.v5_hs_rate;
		d.v5_hs_burst = cfg.v5_hs_burst;
		d.v5_way_rate = cfg.v5_way_rate;
		d.v5_way_burst = cfg.v5_way_burst;
		rc = start_workers(&d, backend, NULL, cfg.flags, listen,
				   cfg.n_listen, &scfg, cfg.rlpx_frame_cap);
	}
	free(listen);
	if (send_ready(&d, sock, rc, NULL, 0) < 0 && rc == 0)
		rc = -EPIPE;
	while (rc == 0) {
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };

		int np = poll(p, 2, 1000);

		if (np < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
#if HAVE_XDP
		ban_gauge(&d);
#endif
		if (!np)
			continue;
		if (p[1].revents)
			break;
		/* EOF (control gone), a broken message or SHUTDOWN: exit. */
		if (p[0].revents && ctl_msg(&d, sock) != 0)
			break;
	}
	dpd_fini(&d);
	close(sfd);
	return rc;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);           /* a stale socket from a previous run */
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 4) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static int run_attach(const struct dpd_opts *o)
{
	/* Control receives the region's fd over the socket, so with huge
	 * pages it can be an anonymous hugetlb memfd (normal pages when the
	 * host reserved none), needing no hugetlbfs mount. */
	struct shmring_cfg rc_cfg = {
		.path = o->hugepages ? NULL : o->shm_path,
		.flags = o->hugepages ? SHMRING_F_HUGETLB : 0,
		.n_rings = 2 * o->n_queues,
		.ring_size = o->ring_size ? o->ring_size :
			     DPD_DEFAULT_RING_SIZE,
		.n_slots = o->n_slots ? o->n_slots :
			   DPD_DEFAULT_SLOTS_PER_QUEUE * o->n_queues,
	};
	struct discv4_rx_cfg scfg = {
		.budget_rate = o->budget_rate, .budget_burst = o->budget_burst,
		.budget_slots = o->budget_slots, .cache_slots = o->cache_slots,
	};
	char stats[4096], sockbuf[4096];
	const char *sock_path = o->sock_path;
	int fds[DPLINK_MAX_FDS];
	int lfd = -1, conn = -1, sfd, sfd_rc, fd, rc;
	struct dpd d;

	dpd_init(&d);
	d.eal = o->eal;
	d.rlpx_sess_mem = o->rlpx_sess_mem;
	d.rlpx_mem = o->rlpx_mem;
	if (!o->n_queues || o->n_queues > DPLINK_MAX_QUEUES || !o->n_listen)
		return -EINVAL;
	d.n_queues = o->n_queues;
	d.shield_opts = o->shield;
	d.v5_hs_rate = o->v5_hs_rate;
	d.v5_hs_burst = o->v5_hs_burst;
	d.v5_way_rate = o->v5_way_rate;
	d.v5_way_burst = o->v5_way_burst;
	rc = dpd_stats_path(stats, sizeof(stats), o->shm_path);
	if (rc < 0)
		return rc;
	if (!sock_path) {
		if (snprintf(sockbuf, sizeof(sockbuf), "%s.sock",
			     o->shm_path) >= (int)sizeof(sockbuf))
			return -ENAMETOOLONG;
		sock_path = sockbuf;
	}
	sfd = sfd_rc = block_signals();
	if (sfd < 0)
		return sfd;
	raise_nofile();
	rc = shmring_create(&d.ring, &rc_cfg);
	if (rc < 0)
		goto out;
	if (o->hugepages && !shmring_is_hugetlb(d.ring))
		fprintf(stderr, "devplane-dp: no free huge pages; the ring "
			"region uses normal pages\n");
	fd = open(stats, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0660);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = map_shm(&d, fd, true);
	if (rc < 0) {
		if (!d.shm)
			close(fd);
		goto out;
	}
	d.ctl_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d.ctl_efd < 0) {
		rc = -errno;
		goto out;
	}
	for (unsigned q = 0; q < d.n_queues; q++) {
		d.tx_efd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d.tx_efd[q] < 0) {
			rc = -errno;
			goto out;
		}
	}
	rc = start_workers(&d, o->backend, o->iface, o->pktio_flags,
			   o->listen, o->n_listen, &scfg, o->rlpx_frame_cap);
	if (rc < 0)
		goto out;
	lfd = listen_unix(sock_path);
	if (lfd < 0) {
		rc = lfd;
		goto out;
	}
	fds[DPLINK_FD_REGION] = shmring_fd(d.ring);
	fds[DPLINK_FD_SHARED] = d.shm_fd;
	fds[DPLINK_FD_CTL_EFD] = d.ctl_efd;
	for (unsigned q = 0; q < d.n_queues; q++)
		fds[DPLINK_FD_TX_EFD0 + q] = d.tx_efd[q];
	/* One control process at a time; a later one may attach after the
	 * first left. Slots the old one held stay lost (TODO(#3): reclaim). */
	for (;;) {
		struct pollfd p[3] = { { .fd = sfd, .events = POLLIN },
				       { .fd = lfd, .events = POLLIN },
				       { .fd = conn, .events = POLLIN } };

		int np = poll(p, 3, 1000);

		if (np < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
#if HAVE_XDP
		ban_gauge(&d);
#endif
		if (!np)
			continue;
		if (p[0].revents)
			break;
		if (p[1].revents) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0 && conn >= 0) {
				close(c);       /* busy */
			} else if (c >= 0) {
				conn = c;
				if (send_ready(&d, conn, 0, fds,
					       DPLINK_FD_TX_EFD0 +
					       d.n_queues) < 0) {
					close(conn);
					conn = -1;
				}
			}
		}
		if (conn >= 0 && p[2].revents) {
			int r = ctl_msg(&d, conn);

			if (r > 0)
				break;
			if (r < 0) {    /* control left: its --netrestrict too */
				drop_allow(&d);
				drop_v5(&d);
				close(conn);
				conn = -1;
			}
		}
	}
	unlink(sock_path);
	unlink(o->shm_path);
	unlink(stats);
out:
	if (conn >= 0)
		close(conn);
	if (lfd >= 0)
		close(lfd);
	dpd_fini(&d);
	if (sfd_rc >= 0)
		close(sfd);
	return rc;
}

int dpd_run(const struct dpd_opts *o)
{
	if (o->control_fd >= 0)
		return run_child(o);
	if (o->shm_path)
		return run_attach(o);
	return -EINVAL;
}
