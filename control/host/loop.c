/* SPDX-License-Identifier: MIT */
/* control/host/loop.c - the control process's event loop (epoll, timerfd,
 * signalfd, dataplane link, metrics HTTP listener; the admin socket's
 * server is control/host/adminipc.c). */
#include "control/host/loop.h"

#include <arpa/inet.h>
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
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "control/api/metrics.h"
#include "control/host/adminipc.h"

#define RX_BURST        32
#define RX_MAX_BURSTS   64      /* then back to epoll: timers must run too */
#define CONN_BUF        2048
#define METRICS_BUF     (256 * 1024)
#define LOOP_DP_BUDGET_RATE  500        /* packets/s per source IP */
#define LOOP_DP_BUDGET_BURST 1000
#define LOOP_DP_CACHE_SLOTS  16384      /* hash cache = replay guard */

enum tag { TAG_TIMER = 1, TAG_SIGNAL, TAG_DP, TAG_MLISTEN, TAG_CONN, TAG_FD };

struct loop_watch {                     /* loop_fd_watch(), indexed by fd */
	loop_fd_fn *fn;
	void *user;
};

struct loop_engine {
	struct discv4 *d;
	uint64_t deadline;              /* cached discv4_next_deadline() */
	loop_post_fn *post;
	void *user;
};

struct loop_portctx {                   /* loop_port(): the send context */
	struct loop *l;
	uint16_t idx;
};

struct conn {
	int fd;                         /* -1: free */
	size_t len;
	char buf[CONN_BUF];
};

struct loop {
	int epfd, tfd, sfd, mfd;
	struct dplink *dp;
	unsigned n;                     /* sockets == engine slots */
	struct loop_engine *eng;
	struct loop_portctx *ports;
	struct nodedb *db;
	bool in_batch;
	uint64_t next_commit, commits;
	uint64_t alarm_at;
	loop_alarm_fn *alarm_fn;
	void *alarm_arg;
	uint64_t armed;                 /* timerfd setting; 0: disarmed */
	uint64_t started_ns;
	uint64_t tx_drops;
	bool stop;
	int rc;
	int verbosity;
	uint16_t mport;
	sigset_t oldmask;
	bool masked;
	struct conn conns[LOOP_MAX_CONNS];
	char *mbuf;                     /* METRICS_BUF bytes */
	uint64_t (*dpcnt)[DP_CNT_MAX];  /* per queue, for metrics */
	struct loop_watch *watch;       /* n_watch entries, by fd */
	size_t n_watch;
	loop_rlpx_fn *rlpx_fn;
	void *rlpx_user;
	loop_deadline_fn *svc_deadline;
	loop_tick_fn *svc_tick;
	void *svc_user;
	struct loop_svc {               /* loop_add_service(); tick NULL: free */
		loop_deadline_fn *deadline;
		loop_tick_fn *tick;
		void *user;
	} svcs[LOOP_MAX_SERVICES];
	struct adminipc *admin;         /* loop_admin_listen(); NULL: off */
};

uint64_t loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int ep_add(struct loop *l, int fd, enum tag t, uint32_t idx)
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
	return ep_add(l, fd, TAG_MLISTEN, 0);
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

	if (!out || !cfg || !cfg->n_listen || !cfg->listen ||
	    cfg->n_listen > DPLINK_MAX_SOCKS)
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
	}
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->epfd < 0 || l->tfd < 0) {
		rc = -errno;
		goto out_free;
	}
	rc = ep_add(l, l->tfd, TAG_TIMER, 0);
	if (rc)
		goto out_free;

	/* The dataplane first: it inherits our signal mask across exec, and
	 * it handles SIGINT/SIGTERM itself through its own signalfd. */
	if (cfg->attach_path) {
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
		rc = dplink_spawn(&l->dp, &dc);
	}
	if (rc)
		goto out_free;
	rc = send_netrestrict(l, cfg);
	if (rc)
		goto out_free;
	if (dplink_n_listen(l->dp) < l->n) {
		rc = -EPROTO;           /* an attached dataplane has fewer sockets */
		goto out_free;
	}
	rc = ep_add(l, dplink_notify_fd(l->dp), TAG_DP, 0);
	if (rc)
		goto out_free;
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
	rc = ep_add(l, l->sfd, TAG_SIGNAL, 0);
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
	adminipc_free(l->admin);        /* before the epoll fd closes */
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
	return (int)dplink_pid(l->dp);
}

const char *loop_dp_pages(const struct loop *l)
{
	return dplink_hugetlb(l->dp) ? "huge pages" : "normal pages";
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
	if (idx < l->n)
		memset(&l->eng[idx], 0, sizeof(l->eng[idx]));
	if (idx < l->n)
		l->eng[idx].deadline = UINT64_MAX;
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

static void drain_dp(struct loop *l)
{
	struct dplink_rx rx[RX_BURST];

	for (unsigned b = 0; b < RX_MAX_BURSTS; b++) {
		unsigned n = dplink_rx_burst(l->dp, rx, RX_BURST);
		uint64_t now = loop_now();

		for (unsigned i = 0; i < n; i++) {
			uint16_t idx;
			struct loop_engine *e;

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

	for (unsigned i = 0; i < l->n; i++)
		if (l->eng[i].d && l->eng[i].deadline < next)
			next = l->eng[i].deadline;
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

ssize_t loop_metrics_text(struct loop *l, char *out, size_t cap)
{
	struct metrics_input in = { 0 };
	uint64_t now = loop_now();
	bool first = true;

	in.n_queues = dplink_n_queues(l->dp);
	if (in.n_queues > DPLINK_MAX_QUEUES)
		in.n_queues = DPLINK_MAX_QUEUES;
	for (unsigned q = 0; q < in.n_queues; q++)
		if (dplink_stats(l->dp, q, l->dpcnt[q]))
			memset(l->dpcnt[q], 0, sizeof(l->dpcnt[q]));
	in.dp = (const uint64_t(*)[DP_CNT_MAX])l->dpcnt;
	for (unsigned i = 0; i < l->n; i++) {
		const struct discv4 *d = l->eng[i].d;
		uint64_t sz;

		if (!d)
			continue;
		in.n_engines++;
		metrics_stats_add(&in.eng, discv4_stats(d));
		sz = discv4_table_size(d);
		in.table_nodes += sz;
		in.pending += discv4_pending(d);
		if (first || sz < in.table_min)
			in.table_min = sz;
		if (first || sz > in.table_max)
			in.table_max = sz;
		first = false;
	}
	in.db_commits = l->commits;
	adminipc_counters(l->admin, &in.admin_refused, &in.admin_over_cap);
	in.admin_subs_dropped = adminipc_subs_dropped(l->admin);
	in.uptime_s = (now - l->started_ns) / 1000000000ull;
	return metrics_format(out, cap, &in);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static void conn_accept(struct loop *l)
{
	for (;;) {
		int fd = accept4(l->mfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		unsigned i;

		if (fd < 0)
			return;
		for (i = 0; i < LOOP_MAX_CONNS; i++)
			if (l->conns[i].fd < 0)
				break;
		if (i == LOOP_MAX_CONNS ||
		    ep_add(l, fd, TAG_CONN, i)) {
			close(fd);      /* over the limit: shed */
			continue;
		}
		l->conns[i].fd = fd;
		l->conns[i].len = 0;
	}
}

static void write_all(int fd, const char *p, size_t len)
{
	struct timeval tv = { .tv_sec = 1 };
	int fl = fcntl(fd, F_GETFL);

	/* A response is a few tens of KiB: block for at most a second
	 * rather than keep per-connection write state. */
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void respond(struct loop *l, struct conn *c)
{
	char hdr[256];
	const char *status = "200 OK", *body;
	ssize_t blen;
	int hl;

	if (!strncmp(c->buf, "GET /metrics ", 13) ||
	    !strncmp(c->buf, "GET /metrics?", 13)) {
		blen = loop_metrics_text(l, l->mbuf, METRICS_BUF);
		body = l->mbuf;
		if (blen < 0) {
			status = "500 Internal Server Error";
			body = "metrics too large\n";
			blen = (ssize_t)strlen(body);
		}
	} else if (strncmp(c->buf, "GET ", 4)) {
		status = "405 Method Not Allowed";
		body = "only GET /metrics\n";
		blen = (ssize_t)strlen(body);
	} else {
		status = "404 Not Found";
		body = "try /metrics\n";
		blen = (ssize_t)strlen(body);
	}
	hl = snprintf(hdr, sizeof(hdr),
		      "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
		      "Content-Length: %zd\r\nConnection: close\r\n\r\n",
		      status, METRICS_CONTENT_TYPE, blen);
	write_all(c->fd, hdr, (size_t)hl);
	write_all(c->fd, body, (size_t)blen);
	conn_close(c);
}

static void conn_read(struct loop *l, unsigned i)
{
	struct conn *c = &l->conns[i];
	ssize_t n;

	if (i >= LOOP_MAX_CONNS || c->fd < 0)
		return;
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (strstr(c->buf, "\r\n\r\n") || strstr(c->buf, "\n\n"))
		respond(l, c);
	else if (c->len >= sizeof(c->buf) - 1)
		conn_close(c);  /* request head too long */
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
				conn_accept(l);
				break;
			case TAG_CONN:
				conn_read(l, idx);
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

/* ---- admin API on a Unix socket (control/host/adminipc.h) ---------------- */

static int admin_watch(void *ctx, int fd, uint32_t events,
		       adminipc_ready_fn *fn, void *user)
{
	return loop_fd_watch(ctx, fd, events, fn, user);
}

static void admin_unwatch(void *ctx, int fd)
{
	loop_fd_unwatch(ctx, fd);
}

int loop_admin_listen(struct loop *l, const char *path,
		      const struct admin_provider *p)
{
	struct adminipc_io io = { .watch = admin_watch,
				  .unwatch = admin_unwatch, .ctx = l };

	if (!l || l->admin)
		return -EINVAL;
	return adminipc_new(&l->admin, &io, path, p);
}

struct adminipc *loop_adminipc(const struct loop *l)
{
	return l->admin;
}
