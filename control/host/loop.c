/* SPDX-License-Identifier: MIT */
/* control/host/loop.c - the control process's event loop (epoll, timerfd,
 * signalfd, dataplane link, metrics HTTP listener). */
#include "control/host/loop.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control/host/loop_priv.h"

static_assert(LOOP_PRIV_CONNS == LOOP_MAX_CONNS, "loop_priv.h");
static_assert(LOOP_PRIV_SERVICES == LOOP_MAX_SERVICES, "loop_priv.h");

uint64_t loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t loop_unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Reads both clocks once per wake-up: engines turn their monotonic now
 * into Unix time with this offset (control/base/wallclock.h). */
static void refresh_wallclock(struct loop *l)
{
	uint64_t unix_ns = l->unix_clock ? l->unix_clock() : loop_unix_now();

	l->wc.unix_minus_mono_ns = (int64_t)(unix_ns - loop_now());
}

const struct wallclock *loop_wallclock(const struct loop *l)
{
	return &l->wc;
}

int loop_ep_add(struct loop *l, int fd, enum loop_tag t, uint32_t idx)
{
	struct epoll_event ev = {
		.events = EPOLLIN,
		.data.u64 = ((uint64_t)t << 32) | idx,
	};

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static void sockaddr_from(struct sockaddr_in6 *sa, const uint8_t addr[16],
			  uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons(port);
	memcpy(&sa->sin6_addr, addr, 16);
}

/* The metrics listener: a dual-stack TCP socket (IPv4 arrives mapped). */
static int metrics_listen(struct loop *l, const struct loop_cfg *cfg)
{
	struct sockaddr_in6 sa;
	socklen_t sl = sizeof(sa);
	int one = 1, zero = 0, fd;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	sockaddr_from(&sa, cfg->metrics_addr, cfg->metrics_port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		int e = -errno;

		close(fd);
		return e;
	}
	l->mfd = fd;
	l->mport = ntohs(sa.sin6_port);
	return loop_ep_add(l, fd, TAG_MLISTEN, 0);
}

/* send_netrestrict() gives the dataplane our --netrestrict list, every
 * time (an empty one too: it clears what a crashed predecessor left in
 * the shield). */
static int send_netrestrict(struct loop *l, const struct loop_cfg *cfg)
{
	struct dplink_prefix *p = NULL;
	unsigned installed = 0;
	int rc;

	if (cfg->n_netrestrict > DPLINK_MAX_ALLOW)
		return -E2BIG;
	if (cfg->n_netrestrict) {
		p = calloc(cfg->n_netrestrict, sizeof(*p));
		if (!p)
			return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_netrestrict; i++) {
		memcpy(p[i].addr, cfg->netrestrict[i].addr, sizeof(p[i].addr));
		p[i].bits = cfg->netrestrict[i].bits;
		p[i].v4 = cfg->netrestrict[i].v4;
	}
	rc = dplink_set_allow(l->dp, p, (unsigned)cfg->n_netrestrict,
			      &installed);
	free(p);
	if (rc == 0 && cfg->n_netrestrict && l->verbosity >= 3) {
		if (installed)
			fprintf(stderr, "devplane: --netrestrict: %u prefixes "
				"in the XDP shield's allow-list\n", installed);
		else
			fprintf(stderr, "devplane: --netrestrict: no XDP "
				"shield, applied by the engines only\n");
	}
	return rc;
}

int loop_new(struct loop **out, const struct loop_cfg *cfg)
{
	struct dplink_cfg dc = { 0 };
	struct loop *l;
	unsigned k;
	sigset_t s;
	int rc;

	if (!out || !cfg || cfg->n_listen > DPLINK_MAX_SOCKS ||
	    (!cfg->no_dataplane && (!cfg->n_listen || !cfg->listen)) ||
	    (cfg->no_dataplane && (cfg->n_listen || cfg->metrics)))
		return -EINVAL;
	for (unsigned i = 0; i < cfg->n_listen; i++)
		if (cfg->listen[i].sock_idx != i)
			return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->epfd = l->tfd = l->sfd = l->mfd = -1;
	for (unsigned i = 0; i < LOOP_MAX_CONNS; i++)
		l->conns[i].fd = -1;
	l->n = cfg->n_listen;
	l->db = cfg->db;
	l->verbosity = cfg->verbosity;
	l->unix_clock = cfg->unix_clock;
	refresh_wallclock(l);
	l->started_ns = loop_now();
	k = cfg->peers_per_ip ? cfg->peers_per_ip : 1;
	l->eng = calloc(l->n, sizeof(*l->eng));
	l->ports = calloc(l->n, sizeof(*l->ports));
	l->mbuf = malloc(METRICS_BUF);
	l->dpcnt = calloc(DPLINK_MAX_QUEUES, sizeof(*l->dpcnt));
	if (!l->eng || !l->ports || !l->mbuf || !l->dpcnt) {
		rc = -ENOMEM;
		goto out_free;
	}
	for (unsigned i = 0; i < l->n; i++) {
		l->ports[i].l = l;
		l->ports[i].idx = (uint16_t)i;
		l->eng[i].deadline = UINT64_MAX;
		l->eng[i].deadline5 = UINT64_MAX;
	}
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->epfd < 0 || l->tfd < 0) {
		rc = -errno;
		goto out_free;
	}
	rc = loop_ep_add(l, l->tfd, TAG_TIMER, 0);
	if (rc)
		goto out_free;

	/* The dataplane first: it inherits our signal mask across exec, and
	 * it handles SIGINT/SIGTERM itself through its own signalfd. */
	if (cfg->no_dataplane) {
		rc = 0;
	} else if (cfg->attach_path) {
		rc = dplink_attach(&l->dp, cfg->attach_path);
	} else {
		dc.dp_path = cfg->dp_path;
		dc.backend = cfg->backend ? cfg->backend : "socket";
		dc.eal = cfg->eal;
		dc.n_queues = cfg->n_queues;
		dc.listen = cfg->listen;
		dc.n_listen = cfg->n_listen;
		dc.ring_size = cfg->ring_size;
		dc.n_slots = cfg->n_slots;
		/* The dataplane's own protections (`devplane-dp --shm` has
		 * the same defaults): per-source budget, and the hash cache
		 * that is also its replay guard (dataplane/stage/discv4_rx.h). */
		dc.budget_rate = cfg->budget_set ? cfg->budget_rate :
			LOOP_DP_BUDGET_RATE * k;
		dc.budget_burst = cfg->budget_set ? cfg->budget_burst :
			LOOP_DP_BUDGET_BURST * k;
		dc.cache_slots = LOOP_DP_CACHE_SLOTS;
		dc.ban_sig_count = cfg->ban_sig_count;
		dc.ban_sig_window_s = cfg->ban_sig_window_s;
		dc.ban_secs = cfg->ban_secs;
		/* discv5's limits, scaled like the budget for a testnet's
		 * nodes behind one address (0: the dataplane's defaults). */
		if (k > 1) {
			dc.v5_hs_rate = DPLINK_V5_HS_RATE_DEFAULT * k;
			dc.v5_hs_burst = DPLINK_V5_HS_BURST_DEFAULT * k;
			dc.v5_way_rate = DPLINK_V5_WAY_RATE_DEFAULT * k;
			dc.v5_way_burst = DPLINK_V5_WAY_BURST_DEFAULT * k;
		}
		rc = dplink_spawn(&l->dp, &dc);
	}
	if (rc)
		goto out_free;
	if (l->dp) {
		rc = send_netrestrict(l, cfg);
		if (rc)
			goto out_free;
		if (dplink_n_listen(l->dp) < l->n) {
			rc = -EPROTO;   /* an attached dataplane has fewer sockets */
			goto out_free;
		}
		rc = loop_ep_add(l, dplink_notify_fd(l->dp), TAG_DP, 0);
		if (rc)
			goto out_free;
	}
	if (cfg->metrics) {
		rc = metrics_listen(l, cfg);
		if (rc)
			goto out_free;
	}

	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &s, &l->oldmask)) {
		rc = -errno;
		goto out_free;
	}
	l->masked = true;
	signal(SIGPIPE, SIG_IGN);
	l->sfd = signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sfd < 0) {
		rc = -errno;
		goto out_free;
	}
	rc = loop_ep_add(l, l->sfd, TAG_SIGNAL, 0);
	if (rc)
		goto out_free;
	if (l->db) {
		if (nodedb_begin(l->db) == 0)
			l->in_batch = true;
		l->next_commit = loop_now() + LOOP_COMMIT_NS;
	}
	*out = l;
	return 0;

out_free:
	loop_free(l);
	return rc;
}

static void db_commit(struct loop *l, bool reopen)
{
	if (!l->db)
		return;
	if (l->in_batch) {
		if (nodedb_commit(l->db) == 0)
			l->commits++;
		else if (l->verbosity >= 2)
			fprintf(stderr, "devplane: node database commit failed\n");
		l->in_batch = false;
	}
	if (reopen && nodedb_begin(l->db) == 0)
		l->in_batch = true;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	db_commit(l, false);
	loop_admin_close(l);
	for (unsigned i = 0; i < LOOP_MAX_CONNS; i++)
		if (l->conns[i].fd >= 0)
			close(l->conns[i].fd);
	if (l->mfd >= 0)
		close(l->mfd);
	/* Stops a spawned devplane-dp (SHUTDOWN, EOF, then SIGKILL after
	 * 2 s) and reaps it. */
	dplink_close(l->dp);
	if (l->sfd >= 0)
		close(l->sfd);
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->masked)
		sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
	free(l->eng);
	free(l->ports);
	free(l->mbuf);
	free(l->dpcnt);
	free(l->watch);
	free(l);
}

uint16_t loop_listen_port(const struct loop *l, unsigned idx)
{
	const struct dplink_listen *e;

	e = idx < l->n ? dplink_listen_entry(l->dp, idx) : NULL;
	return e ? ntohs(e->port_be) : 0;
}

void loop_listen_addr(const struct loop *l, unsigned idx, uint8_t addr[16])
{
	const struct dplink_listen *e;

	e = idx < l->n ? dplink_listen_entry(l->dp, idx) : NULL;
	if (e)
		memcpy(addr, e->addr, 16);
	else
		memset(addr, 0, 16);
}

uint16_t loop_metrics_port(const struct loop *l)
{
	return l->mport;
}

int loop_dp_pid(const struct loop *l)
{
	return l->dp ? (int)dplink_pid(l->dp) : 0;
}

const char *loop_dp_pages(const struct loop *l)
{
	return l->dp && dplink_hugetlb(l->dp) ? "huge pages" : "normal pages";
}

void *loop_port(struct loop *l, unsigned idx)
{
	return idx < l->n ? &l->ports[idx] : NULL;
}

uint64_t loop_tx_drops(const struct loop *l)
{
	return l->tx_drops;
}

void loop_send(void *user, const uint8_t addr[16], uint16_t port,
	       const uint8_t *pkt, size_t len)
{
	struct loop_portctx *p = user;

	if (dplink_send_discv4(p->l->dp, p->idx, addr, htons(port), pkt,
			       len) < 0)
		p->l->tx_drops++;
}

void loop_send_v5(void *user, const uint8_t addr[16], uint16_t port,
		  const uint8_t *pkt, size_t len)
{
	struct loop_portctx *p = user;
	/* discv5_check_static(): a WHOAREYOU is exactly 63 bytes, and a
	 * packet with a message at least 87: the size says which it is. */
	uint8_t fl = len == DISCV5_PACKET_MIN ? MSG_TX_F_WHOAREYOU : 0;

	if (dplink_send_disc(p->l->dp, p->idx, addr, htons(port), pkt, len,
			     fl) < 0)
		p->l->tx_drops++;
}

int loop_attach(struct loop *l, unsigned idx, struct discv4 *d,
		uint64_t start_ns, loop_post_fn *post, void *user)
{
	if (idx >= l->n || !d)
		return -EINVAL;
	if (l->eng[idx].d)
		return -EBUSY;
	l->eng[idx].d = d;
	l->eng[idx].post = post;
	l->eng[idx].user = user;
	l->eng[idx].deadline = start_ns ? start_ns : loop_now();
	return 0;
}

void loop_detach(struct loop *l, unsigned idx)
{
	if (idx >= l->n)
		return;
	l->eng[idx].d = NULL;
	l->eng[idx].post = NULL;
	l->eng[idx].user = NULL;
	l->eng[idx].deadline = UINT64_MAX;
}

int loop_attach_v5(struct loop *l, unsigned idx, struct discv5 *d5,
		   const uint8_t node_id[32], uint64_t start_ns,
		   loop_post_fn *post, void *user)
{
	struct dplink_v5_sock vs = { .sock_idx = (uint16_t)idx, .on = 1 };
	int rc;

	if (idx >= l->n || !d5 || !node_id)
		return -EINVAL;
	if (l->eng[idx].d5)
		return -EBUSY;
	memcpy(vs.node_id, node_id, sizeof(vs.node_id));
	rc = dplink_set_v5(l->dp, &vs, 1, NULL);
	if (rc < 0)
		return rc;
	l->eng[idx].d5 = d5;
	l->eng[idx].post5 = post;
	l->eng[idx].user5 = user;
	l->eng[idx].deadline5 = start_ns ? start_ns : loop_now();
	return 0;
}

void loop_detach_v5(struct loop *l, unsigned idx)
{
	struct dplink_v5_sock vs = { .sock_idx = (uint16_t)idx };

	if (idx >= l->n || !l->eng[idx].d5)
		return;
	/* Best effort: a dataplane that is gone drops them anyway. */
	(void)dplink_set_v5(l->dp, &vs, 1, NULL);
	l->eng[idx].d5 = NULL;
	l->eng[idx].post5 = NULL;
	l->eng[idx].user5 = NULL;
	l->eng[idx].deadline5 = UINT64_MAX;
}

struct discv5 *loop_engine_v5(const struct loop *l, unsigned idx)
{
	return idx < l->n ? l->eng[idx].d5 : NULL;
}

void loop_touch_v5(struct loop *l, unsigned idx)
{
	if (idx < l->n && l->eng[idx].d5) {
		uint64_t d = discv5_next_deadline(l->eng[idx].d5);

		if (d < l->eng[idx].deadline5)
			l->eng[idx].deadline5 = d;
	}
}

struct discv4 *loop_engine(const struct loop *l, unsigned idx)
{
	return idx < l->n ? l->eng[idx].d : NULL;
}

void loop_touch(struct loop *l, unsigned idx)
{
	if (idx < l->n && l->eng[idx].d) {
		uint64_t d = discv4_next_deadline(l->eng[idx].d);

		/* Never move a pending start later than the engine wants. */
		if (d < l->eng[idx].deadline)
			l->eng[idx].deadline = d;
	}
}

void loop_alarm(struct loop *l, uint64_t at_ns, loop_alarm_fn *fn, void *arg)
{
	l->alarm_fn = fn;
	l->alarm_arg = arg;
	l->alarm_at = fn ? at_ns : 0;
}

void loop_stop(struct loop *l, int rc)
{
	l->stop = true;
	l->rc = rc;
}

static void after_engine(struct loop_engine *e, uint64_t now)
{
	e->deadline = discv4_next_deadline(e->d);
	if (e->post)
		e->post(e->user, now);
}

static void after_engine_v5(struct loop_engine *e, uint64_t now)
{
	e->deadline5 = discv5_next_deadline(e->d5);
	if (e->post5)
		e->post5(e->user5, now);
}

/* on_v5() hands a MSG_DISCV5_RX (control's private copy) to the discv5
 * engine of its socket. */
static void on_v5(struct loop *l, const struct msg_discv5_rx *m, uint64_t now)
{
	struct loop_engine *e;

	if (m->sock_idx >= l->n || !l->eng[m->sock_idx].d5)
		return;
	e = &l->eng[m->sock_idx];
	/* Errors are counted in the engine's stats. */
	(void)discv5_on_packet(e->d5, m->src_addr, ntohs(m->src_port_be),
			       m->data, m->data_len, now);
	after_engine_v5(e, now);
}

static void drain_dp(struct loop *l)
{
	struct dplink_rx rx[RX_BURST];

	for (unsigned b = 0; b < RX_MAX_BURSTS; b++) {
		unsigned n = dplink_rx_burst(l->dp, rx, RX_BURST);
		uint64_t now = loop_now();

		for (unsigned i = 0; i < n; i++) {
			uint16_t idx;
			struct loop_engine *e;

			if (rx[i].kind == MSG_DISCV5_RX) {
				on_v5(l, rx[i].v5, now);
				continue;
			}
			if (rx[i].kind != MSG_DISCV4_RX) {
				if (l->rlpx_fn)
					l->rlpx_fn(l->rlpx_user, &rx[i], now);
				continue;
			}
			idx = rx[i].msg->sock_idx;
			if (idx >= l->n || !l->eng[idx].d)
				continue;
			e = &l->eng[idx];
			/* Errors are counted in the engine's stats. */
			discv4_on_packet(e->d, rx[i].msg, now);
			after_engine(e, now);
		}
		dplink_rx_free(l->dp, rx, n);
		if (n < RX_BURST)
			break;
	}
}

static void run_timers(struct loop *l)
{
	uint64_t now = loop_now();

	for (unsigned i = 0; i < l->n; i++) {
		struct loop_engine *e = &l->eng[i];

		if (e->d && e->deadline <= now) {
			discv4_on_timer(e->d, now);
			after_engine(e, now);
		}
		if (e->d5 && e->deadline5 <= now) {
			discv5_on_timer(e->d5, now);
			after_engine_v5(e, now);
		}
	}
	if (l->alarm_fn && l->alarm_at <= now) {
		loop_alarm_fn *fn = l->alarm_fn;

		l->alarm_fn = NULL;
		fn(l->alarm_arg, now);
	}
	if (l->svc_tick && l->svc_deadline(l->svc_user) <= now)
		l->svc_tick(l->svc_user, now);
	for (unsigned i = 0; i < LOOP_MAX_SERVICES; i++) {
		struct loop_svc *sv = &l->svcs[i];

		if (sv->tick && sv->deadline(sv->user) <= now)
			sv->tick(sv->user, now);
	}
	if (l->db && l->next_commit <= now) {
		db_commit(l, true);
		l->next_commit = now + LOOP_COMMIT_NS;
	}
}

static void arm_timer(struct loop *l)
{
	uint64_t next = UINT64_MAX;
	struct itimerspec its = { 0 };

	for (unsigned i = 0; i < l->n; i++) {
		if (l->eng[i].d && l->eng[i].deadline < next)
			next = l->eng[i].deadline;
		if (l->eng[i].d5 && l->eng[i].deadline5 < next)
			next = l->eng[i].deadline5;
	}
	if (l->alarm_fn && l->alarm_at < next)
		next = l->alarm_at;
	if (l->db && l->next_commit < next)
		next = l->next_commit;
	if (l->svc_deadline) {
		uint64_t d = l->svc_deadline(l->svc_user);

		if (d < next)
			next = d;
	}
	for (unsigned i = 0; i < LOOP_MAX_SERVICES; i++) {
		if (l->svcs[i].tick) {
			uint64_t d = l->svcs[i].deadline(l->svcs[i].user);

			if (d < next)
				next = d;
		}
	}
	if (next == l->armed)
		return;
	if (next != UINT64_MAX) {
		/* 0 would disarm: a past deadline fires at once at 1 ns. */
		if (!next)
			next = 1;
		its.it_value.tv_sec = (time_t)(next / 1000000000ull);
		its.it_value.tv_nsec = (long)(next % 1000000000ull);
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
	l->armed = next == UINT64_MAX ? 0 : next;
}

static void on_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (l->verbosity >= 3)
			fprintf(stderr, "devplane: signal %u, shutting down\n",
				si.ssi_signo);
		loop_stop(l, (int)si.ssi_signo);
	}
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event ev[16];
	int n;

	run_timers(l);
	if (!l->stop) {
		arm_timer(l);
		n = epoll_wait(l->epfd, ev, 16, timeout_ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		refresh_wallclock(l);
		for (int i = 0; i < n && !l->stop; i++) {
			uint32_t t = (uint32_t)(ev[i].data.u64 >> 32);
			uint32_t idx = (uint32_t)ev[i].data.u64;
			uint64_t exp;

			switch (t) {
			case TAG_TIMER:
				if (read(l->tfd, &exp, sizeof(exp)) < 0)
					(void)0;        /* EAGAIN: raced */
				l->armed = 0;
				break;
			case TAG_SIGNAL:
				on_signal(l);
				break;
			case TAG_DP:
				drain_dp(l);
				break;
			case TAG_MLISTEN:
				loop_conn_accept(l);
				break;
			case TAG_CONN:
				loop_conn_read(l, idx);
				break;
			case TAG_FD:
				if (idx < l->n_watch && l->watch[idx].fn)
					l->watch[idx].fn(l->watch[idx].user,
							 (int)idx, ev[i].events,
							 loop_now());
				break;
			}
		}
		if (!l->stop)
			run_timers(l);
	}
	if (!l->stop)
		return 0;
	l->stop = false;                /* reported once */
	return 1;
}

int loop_run(struct loop *l)
{
	int rc;

	l->stop = false;
	while (!(rc = loop_run_once(l, -1)))
		;
	return rc < 0 ? rc : l->rc;
}

int loop_fd(const struct loop *l)
{
	return l->epfd;
}

/* ---- RLPx hosting ------------------------------------------------------ */

int loop_fd_watch(struct loop *l, int fd, uint32_t events, loop_fd_fn *fn,
		  void *user)
{
	struct epoll_event ev = {
		.events = events,
		.data.u64 = ((uint64_t)TAG_FD << 32) | (uint32_t)fd,
	};
	bool known;

	if (fd < 0 || !fn)
		return -EINVAL;
	if ((size_t)fd >= l->n_watch) {
		size_t n = (size_t)fd * 2 + 64;
		struct loop_watch *w = realloc(l->watch, n * sizeof(*w));

		if (!w)
			return -ENOMEM;
		memset(w + l->n_watch, 0, (n - l->n_watch) * sizeof(*w));
		l->watch = w;
		l->n_watch = n;
	}
	known = l->watch[fd].fn != NULL;
	if (epoll_ctl(l->epfd, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	l->watch[fd].fn = fn;
	l->watch[fd].user = user;
	return 0;
}

void loop_fd_unwatch(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->n_watch || !l->watch[fd].fn)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->watch[fd].fn = NULL;
	l->watch[fd].user = NULL;
}

int loop_tcp_listen(const uint8_t addr[16], uint16_t port, uint16_t *bound)
{
	struct sockaddr_in6 sa;
	socklen_t sl = sizeof(sa);
	int one = 1, zero = 0, fd;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	sockaddr_from(&sa, addr, port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 1024) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		int e = -errno;

		close(fd);
		return e;
	}
	if (bound)
		*bound = ntohs(sa.sin6_port);
	return fd;
}

int loop_tcp_accept(int lfd, uint8_t addr[16], uint16_t *port)
{
	struct sockaddr_in6 sa;
	socklen_t sl = sizeof(sa);
	int fd, one = 1;

	fd = accept4(lfd, (struct sockaddr *)&sa, &sl,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memcpy(addr, &sa.sin6_addr, 16);
	*port = ntohs(sa.sin6_port);
	return fd;
}

int loop_tcp_connect(const uint8_t addr[16], uint16_t port)
{
	struct sockaddr_in6 sa;
	int fd, one = 1;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sockaddr_from(&sa, addr, port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    errno != EINPROGRESS) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

int loop_tcp_error(int fd)
{
	int e = 0;
	socklen_t sl = sizeof(e);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl))
		return -errno;
	return -e;
}

void loop_set_rlpx(struct loop *l, loop_rlpx_fn *fn, void *user)
{
	l->rlpx_fn = fn;
	l->rlpx_user = user;
}

void loop_set_service(struct loop *l, loop_deadline_fn *deadline,
		      loop_tick_fn *tick, void *user)
{
	l->svc_deadline = deadline;
	l->svc_tick = tick;
	l->svc_user = user;
}

int loop_add_service(struct loop *l, loop_deadline_fn *deadline,
		     loop_tick_fn *tick, void *user)
{
	if (!deadline || !tick)
		return -EINVAL;
	for (unsigned i = 0; i < LOOP_MAX_SERVICES; i++) {
		if (!l->svcs[i].tick) {
			l->svcs[i] = (struct loop_svc){ deadline, tick, user };
			return 0;
		}
	}
	return -ENOSPC;
}

void loop_del_service(struct loop *l, void *user)
{
	for (unsigned i = 0; i < LOOP_MAX_SERVICES; i++)
		if (l->svcs[i].tick && l->svcs[i].user == user)
			memset(&l->svcs[i], 0, sizeof(l->svcs[i]));
}

struct dplink *loop_dplink(struct loop *l)
{
	return l->dp;
}
