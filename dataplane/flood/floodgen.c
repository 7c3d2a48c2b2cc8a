/* SPDX-License-Identifier: MIT */
/* dataplane/flood/floodgen.c - discv4 flood generator: junk from UDP sockets
 * in sendmmsg bursts (or over AF_XDP, dataplane/flood/floodgen_afxdp.c), signed
 * pings over sockets with Pong accounting. */
#include "dataplane/flood/floodgen.h"

#include "common/ipsecmb.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "common/discv4_wire.h"
#include "common/secp.h"
#if HAVE_XDP
#include "dataplane/flood/floodgen_afxdp.h"
#endif

#define SOCK_FRAMES 4096                /* prebuilt socket payloads */
#define SOCK_BATCH  64                  /* sendmmsg burst, at most */
#define LEGIT_HIST  8                   /* pings in flight per key, at least */

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0xff, 0xff };

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct run {
	const struct floodgen_cfg *cfg;
	struct floodgen_result *res;
	struct floodpay pay;            /* junk payloads; keys wiped at end */
	struct floodramp *ramp;         /* &res->ramp, or NULL */
	volatile bool *stop;
	bool junk_done;                 /* set after rc_junk (release) */
	uint64_t deadline;              /* CLOCK_MONOTONIC */
	int rc_junk, rc_legit;
};

static bool is_v4(const uint8_t a[16])
{
	return !memcmp(a, v4mapped, 12);
}

/* open_bound() opens a non-blocking UDP socket bound to src (port 0; the
 * unspecified address: the route's source) and reports its port. Returns
 * the fd or -errno. */
static int open_bound(const uint8_t src[16], uint16_t *port)
{
	bool v4 = is_v4(src);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a6);
	int fd, rc;

	fd = socket(v4 ? AF_INET : AF_INET6,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (v4) {
		memcpy(&a4.sin_addr, src + 12, 4);
		rc = bind(fd, (struct sockaddr *)&a4, sizeof(a4));
	} else {
		memcpy(&a6.sin6_addr, src, 16);
		rc = bind(fd, (struct sockaddr *)&a6, sizeof(a6));
	}
	if (rc < 0 || getsockname(fd, (struct sockaddr *)&a6, &alen) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	*port = ntohs(a6.sin6_port);
	return fd;
}

/* The socket sender's state: SOCK_FRAMES payloads prebuilt in the mix's
 * proportions and replayed in a cycle, in blocks of blk consecutive
 * payloads per source socket, so that one sendmmsg() sends up to a block
 * and the sources take turns. */
struct sockjunk {
	unsigned n_sock, blk, n_frames;
	int *fd;                        /* [n_sock] */
	uint8_t *buf;                   /* [n_frames][FLOODPAY_MAX_LEN] */
	uint8_t *kind;                  /* [n_frames] */
	struct mmsghdr *msg;            /* [n_frames] */
	struct iovec *iov;              /* [n_frames] */
	struct sockaddr_in6 dst6;
	struct sockaddr_in dst4;
};

static void sockjunk_fini(struct sockjunk *j)
{
	for (unsigned i = 0; i < j->n_sock; i++)
		if (j->fd[i] >= 0)
			close(j->fd[i]);
	free(j->fd);
	free(j->buf);
	free(j->kind);
	free(j->msg);
	free(j->iov);
}

static int sockjunk_init(struct sockjunk *j, struct floodpay *pay,
			 const struct floodgen_cfg *c)
{
	static const uint8_t any6[16];
	bool v4 = is_v4(c->dst_addr);
	uint8_t any4[16] = { 0 };
	uint16_t *port = NULL;
	int rc = -ENOMEM;

	memset(j, 0, sizeof(*j));
	memcpy(any4, v4mapped, 12);
	j->n_sock = c->n_junk_src ? c->n_junk_src : 1;
	if (j->n_sock > FLOODGEN_MAX_JUNK_SRC)
		return -EINVAL;
	for (unsigned i = 0; i < c->n_junk_src; i++)
		if (is_v4(c->junk_src[i]) != v4)
			return -EINVAL;         /* no route between families */
	/* Every source gets at least one block (n_sock <= SOCK_FRAMES). */
	j->blk = SOCK_FRAMES / j->n_sock;
	if (j->blk > SOCK_BATCH)
		j->blk = SOCK_BATCH;
	j->n_frames = SOCK_FRAMES / j->blk * j->blk;
	j->dst4.sin_family = AF_INET;
	j->dst4.sin_port = c->dst_port_be;
	memcpy(&j->dst4.sin_addr, c->dst_addr + 12, 4);
	j->dst6.sin6_family = AF_INET6;
	j->dst6.sin6_port = c->dst_port_be;
	memcpy(&j->dst6.sin6_addr, c->dst_addr, 16);
	j->fd = malloc(j->n_sock * sizeof(*j->fd));
	if (!j->fd)
		return -ENOMEM;
	for (unsigned i = 0; i < j->n_sock; i++)
		j->fd[i] = -1;
	port = malloc(j->n_sock * sizeof(*port));
	j->buf = malloc((size_t)j->n_frames * FLOODPAY_MAX_LEN);
	j->kind = malloc(j->n_frames);
	j->msg = calloc(j->n_frames, sizeof(*j->msg));
	j->iov = calloc(j->n_frames, sizeof(*j->iov));
	if (!port || !j->buf || !j->kind || !j->msg || !j->iov)
		goto out_fini;
	for (unsigned i = 0; i < j->n_sock; i++) {
		rc = open_bound(c->n_junk_src ? c->junk_src[i] :
				v4 ? any4 : any6, &port[i]);
		if (rc < 0)
			goto out_fini;
		j->fd[i] = rc;
	}
	for (unsigned i = 0; i < j->n_frames; i++) {
		unsigned s = i / j->blk % j->n_sock, k = floodpay_pick(pay);
		uint8_t *b = j->buf + (size_t)i * FLOODPAY_MAX_LEN;
		ssize_t n;

		/* The signed kinds name their real source in `from`. */
		n = floodpay_build(pay, b, FLOODPAY_MAX_LEN, k,
				   c->n_junk_src ? c->junk_src[s] :
				   v4 ? any4 : any6, htons(port[s]));
		if (n < 0) {
			rc = (int)n;
			goto out_fini;
		}
		j->kind[i] = (uint8_t)k;
		j->iov[i].iov_base = b;
		j->iov[i].iov_len = (size_t)n;
		j->msg[i].msg_hdr.msg_iov = &j->iov[i];
		j->msg[i].msg_hdr.msg_iovlen = 1;
		if (v4) {
			j->msg[i].msg_hdr.msg_name = &j->dst4;
			j->msg[i].msg_hdr.msg_namelen = sizeof(j->dst4);
		} else {
			j->msg[i].msg_hdr.msg_name = &j->dst6;
			j->msg[i].msg_hdr.msg_namelen = sizeof(j->dst6);
		}
	}
	free(port);
	return 0;

out_fini:
	free(port);
	sockjunk_fini(j);
	return rc;
}

/* junk_sockets() sends the junk from ordinary UDP sockets: bursts of up
 * to a block through sendmmsg(), paced like the AF_XDP sender (by the
 * ramp's steps with a ramp, which starts when the sockets are ready). A
 * full send buffer waits for room; a refused packet (EPERM from a
 * firewall, no route, ...) is counted in junk_tx_err and skipped. Fills
 * the junk fields of r->res. */
static int junk_sockets(struct run *r)
{
	const struct floodgen_cfg *c = r->cfg;
	struct floodgen_result *out = r->res;
	struct floodramp *ramp = r->ramp;
	struct floodpay_pace pc = { .rate_pps = c->rate_pps,
				    .count = c->count };
	struct sockjunk j;
	unsigned fi = 0, k = 0;
	int rc;

	rc = sockjunk_init(&j, &r->pay, c);
	if (rc < 0)
		return rc;
	pc.t0_ns = now_ns(CLOCK_MONOTONIC);
	if (ramp)
		floodramp_start(ramp, pc.t0_ns);
	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC), wait;
		int fd = j.fd[fi / j.blk % j.n_sock], n;
		unsigned want;

		if ((r->stop && *r->stop) || now >= r->deadline ||
		    (c->count && pc.total >= c->count))
			break;
		if (ramp) {
			k = floodramp_pace(ramp, &pc, now);
			if (k >= ramp->n_steps)
				break;
		}
		want = floodpay_pace_want(&pc, now, j.blk - fi % j.blk);
		if (!want) {
			wait = floodpay_pace_wait_ns(&pc, now);
			if (wait > 20000)
				usleep((useconds_t)(wait < 1000000 ?
						    wait / 1000 : 1000));
			continue;
		}
		n = sendmmsg(fd, &j.msg[fi], want, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd p = { .fd = fd,
						    .events = POLLOUT };

				(void)poll(&p, 1, 1);
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {         /* the qdisc is full */
				usleep(50);
				continue;
			}
			out->junk_tx_err++;
			pc.total++;
			fi = (fi + 1) % j.n_frames;
			continue;
		}
		for (int i = 0; i < n; i++)
			out->junk_sent[j.kind[fi + (unsigned)i]]++;
		if (ramp)
			__atomic_add_fetch(&out->step_junk[k], (unsigned)n,
					   __ATOMIC_RELAXED);
		pc.total += (unsigned)n;
		fi = (fi + (unsigned)n) % j.n_frames;
	}
	out->elapsed_ns = now_ns(CLOCK_MONOTONIC) -
			  (ramp ? floodramp_t0(ramp) : pc.t0_ns);
	sockjunk_fini(&j);
	return 0;
}

/* A legitimate ping in flight: kept until its Pong, or until newer pings
 * of its key take its place. */
struct legit_ping {
	uint64_t sent_ns;               /* CLOCK_MONOTONIC, right before
					 * sendto() */
	uint8_t hash[8];                /* prefix of its hash: the Pong's
					 * ping-hash */
	uint16_t step;                  /* ramp step; LEGIT_FREE: answered or
					 * unused */
};

#define LEGIT_FREE      0xffffu
#define LEGIT_MAX_PINGS (1u << 22)      /* in flight, all keys together */

struct legit_key {
	uint8_t priv[32];
	int fd;
	uint8_t src[16];
	uint16_t sport;
	struct legit_ping *fl;          /* [n_fl], a ring: newest at hi - 1 */
	unsigned hi;
	/* enr-seq of the last ping: every ping is new bytes, as from a node
	 * that does not ping one peer several times a second (the dataplane
	 * drops fast identical copies as replays: discv4_rx.h). */
	uint64_t seq;
	uint8_t first[8];               /* hash prefix of the first ping */
};

/* The legitimate side: keys, pings in flight and what was measured per
 * ramp step (one bucket without a ramp). Owned by the calling thread. */
struct legit {
	struct run *r;
	struct legit_key *keys;
	struct legit_ping *fl;          /* [n_keys * n_fl] */
	unsigned n_fl;
	struct floodramp_step *acct;    /* [n_steps], or [1] */
	int ep;
	struct sockaddr_in6 d6;
	struct sockaddr_in d4;
	bool dst4;
};

/* legit_pong() answers a Ping as a node does (the endpoint proof that
 * lets the bootnode, and its shield, trust this address). */
static void legit_pong(struct legit_key *k, const uint8_t *ping,
		       const struct discv4_packet *p,
		       const struct sockaddr_storage *from, socklen_t flen,
		       struct floodgen_result *res)
{
	struct discv4_packet q;
	uint8_t out[DISCV4_MAX_LEN];
	ssize_t n;

	memset(&q, 0, sizeof(q));
	q.type = DISCV4_PONG;
	q.u.pong.to = p->u.ping.from;
	memcpy(q.u.pong.ping_hash, ping, DISCV4_HASH_LEN);
	q.u.pong.expiration = (uint64_t)time(NULL) + 20;
	q.u.pong.has_enr_seq = true;
	q.u.pong.enr_seq = k->seq ? k->seq : 1;
	n = discv4_encode(out, sizeof(out), k->priv, &q);
	if (n > 0 && sendto(k->fd, out, (size_t)n, 0,
			    (const struct sockaddr *)from, flen) == n)
		res->legit_pongs++;
}

/* legit_answered() books the Pong to the ping whose hash starts with h,
 * if it is one of k's in flight: newest first, where a node that keeps
 * up has its answers. A Pong after its step was judged is late, not
 * answered. */
static void legit_answered(struct legit *l, struct legit_key *k,
			   const uint8_t h[8], uint64_t now)
{
	struct floodgen_result *res = l->r->res;
	const struct floodramp *ramp = l->r->ramp;

	for (unsigned i = 1; i <= l->n_fl; i++) {
		struct legit_ping *p = &k->fl[(k->hi + l->n_fl - i) %
					      l->n_fl];
		struct floodramp_step *s;

		if (p->step == LEGIT_FREE || memcmp(p->hash, h, 8))
			continue;
		res->legit_answered++;
		if (!memcmp(k->first, h, 8))
			res->legit_first_answered++;
		if (ramp && p->step < ramp->n_judged) {
			res->legit_late++;
		} else {
			s = &l->acct[p->step];
			s->legit_answered++;
			floodramp_lat_add(&s->lat, now - p->sent_ns);
		}
		p->step = LEGIT_FREE;
		return;
	}
}

static void legit_recv(struct legit *l, struct legit_key *k)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	uint8_t buf[1500];
	struct discv4_packet p;
	ssize_t n;

	while ((n = recvfrom(k->fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &flen)) > 0) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		int t = discv4_packet_type(buf, (size_t)n);

		if ((t != DISCV4_PONG && t != DISCV4_PING) ||
		    discv4_decode(&p, buf, (size_t)n) < 0) {
			flen = sizeof(from);
			continue;
		}
		if (t == DISCV4_PING)
			legit_pong(k, buf, &p, &from, flen, l->r->res);
		else
			legit_answered(l, k, p.u.pong.ping_hash, now);
		flen = sizeof(from);
	}
}

/* legit_poll() takes what arrived within timeout_ms. */
static void legit_poll(struct legit *l, int timeout_ms)
{
	struct epoll_event ev[64];
	int n = epoll_wait(l->ep, ev, 64, timeout_ms);

	for (int i = 0; i < n; i++)
		legit_recv(l, &l->keys[ev[i].data.u32]);
}

/* legit_send() sends the pings due by now at legit_rate since t0, each
 * booked to step (always 0 without a ramp); *sent counts them. */
static void legit_send(struct legit *l, uint64_t t0, uint64_t now,
		       unsigned step, uint64_t *sent)
{
	const struct floodgen_cfg *c = l->r->cfg;
	struct floodgen_result *res = l->r->res;
	uint64_t el = now - t0;
	uint64_t due = el / 1000000000ull * c->legit_rate +
		       el % 1000000000ull * c->legit_rate / 1000000000ull;

	while (*sent < due) {
		struct legit_key *k = &l->keys[*sent % c->n_keys];
		struct legit_ping *fp = &k->fl[k->hi];
		uint8_t pkt[DISCV4_MAX_LEN];
		uint64_t at;
		ssize_t len;

		(*sent)++;
		k->seq++;
		len = floodpay_ping(pkt, sizeof(pkt), k->priv, k->src,
				    k->sport, c->dst_addr,
				    ntohs(c->dst_port_be),
				    (uint64_t)time(NULL) + 20, k->seq);
		if (len < 0)
			continue;
		if (k->seq == 1) {
			memcpy(k->first, pkt, 8);
			res->legit_first_sent++;
		}
		at = now_ns(CLOCK_MONOTONIC);
		if (l->dst4)
			len = sendto(k->fd, pkt, (size_t)len, 0,
				     (struct sockaddr *)&l->d4, sizeof(l->d4));
		else
			len = sendto(k->fd, pkt, (size_t)len, 0,
				     (struct sockaddr *)&l->d6, sizeof(l->d6));
		if (len < 0)
			continue;
		/* In flight only once it left. */
		fp->sent_ns = at;
		memcpy(fp->hash, pkt, 8);
		fp->step = (uint16_t)step;
		k->hi = (k->hi + 1) % l->n_fl;
		res->legit_sent++;
		l->acct[step].legit_sent++;
	}
}

static bool junk_done(const struct run *r)
{
	return __atomic_load_n(&r->junk_done, __ATOMIC_ACQUIRE);
}

static bool run_stopped(const struct run *r, uint64_t now)
{
	return (r->stop && *r->stop) || now >= r->deadline;
}

/* legit_plain() sends pings at legit_rate until the junk is done (or
 * the deadline, or *stop), then waits grace_ms for late Pongs. */
static void legit_plain(struct legit *l)
{
	struct run *r = l->r;
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), sent = 0, end;

	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);

		if (run_stopped(r, now) || junk_done(r))
			break;
		legit_send(l, t0, now, 0, &sent);
		legit_poll(l, 1);
	}
	end = now_ns(CLOCK_MONOTONIC) + (uint64_t)r->cfg->grace_ms * 1000000ull;
	while (now_ns(CLOCK_MONOTONIC) < end)
		legit_poll(l, 10);
	r->res->legit_lat = l->acct[0].lat;
}

/* legit_ramp() waits for the junk sender to start the ramp, then sends
 * pings booked to the step they leave in, and judges each step once its
 * end plus grace_ms has passed, until the judge stops the ramp. */
static void legit_ramp(struct legit *l)
{
	struct run *r = l->r;
	const struct floodgen_cfg *c = r->cfg;
	struct floodramp *ramp = r->ramp;
	uint64_t t0, sent = 0;

	while (!(t0 = floodramp_t0(ramp))) {
		if (run_stopped(r, now_ns(CLOCK_MONOTONIC)) || junk_done(r)) {
			floodramp_interrupt(ramp);
			return;
		}
		usleep(1000);
	}
	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		unsigned step;

		/* A junk sender that ended on its own has either run the
		 * schedule (the last steps are still to judge) or failed. */
		if (run_stopped(r, now) || (junk_done(r) && r->rc_junk < 0)) {
			floodramp_interrupt(ramp);
			return;
		}
		while (ramp->stop == FLOODRAMP_GOING &&
		       now >= floodramp_judge_at_ns(ramp, c->grace_ms)) {
			unsigned k = ramp->n_judged;
			struct floodramp_step *s = &l->acct[k];
			enum floodramp_verdict v;

			s->junk_sent = __atomic_load_n(&r->res->step_junk[k],
						       __ATOMIC_RELAXED);
			v = floodramp_judge(ramp, s);
			if (c->on_step)
				c->on_step(c->on_step_arg, ramp, k, s, v);
		}
		if (ramp->stop != FLOODRAMP_GOING)
			return;
		step = floodramp_step_at(ramp, now);
		if (step < ramp->n_steps)
			legit_send(l, t0, now, step, &sent);
		legit_poll(l, 1);
	}
}

/* in_flight() is how many pings each key keeps in flight: enough for
 * every ping of the window a Pong still counts in (a step and its grace,
 * or the grace), at least LEGIT_HIST. */
static unsigned in_flight(const struct floodgen_cfg *c)
{
	uint64_t per_key = (c->legit_rate + c->n_keys - 1) / c->n_keys;
	uint64_t win_ms = (uint64_t)c->grace_ms +
			  (c->ramp ? c->ramp->step_ms : 0);
	uint64_t n = (per_key * win_ms + 999) / 1000 + 2;

	if (n * c->n_keys > LEGIT_MAX_PINGS)
		n = LEGIT_MAX_PINGS / c->n_keys;
	return n < LEGIT_HIST ? LEGIT_HIST : (unsigned)n;
}

static int legit_run(struct run *r)
{
	const struct floodgen_cfg *c = r->cfg;
	struct legit l = { .r = r, .ep = -1 };
	int rc = 0;

	if (!c->n_keys || !c->legit_rate)
		return 0;
	if (!c->n_legit_src || c->n_keys > FLOODGEN_MAX_KEYS)
		return -EINVAL;
	l.d4.sin_family = AF_INET;
	l.d4.sin_port = c->dst_port_be;
	memcpy(&l.d4.sin_addr, c->dst_addr + 12, 4);
	l.d6.sin6_family = AF_INET6;
	l.d6.sin6_port = c->dst_port_be;
	memcpy(&l.d6.sin6_addr, c->dst_addr, 16);
	l.dst4 = is_v4(c->dst_addr);
	l.n_fl = in_flight(c);
	l.keys = calloc(c->n_keys, sizeof(*l.keys));
	l.fl = calloc((size_t)c->n_keys * l.n_fl, sizeof(*l.fl));
	l.acct = calloc(r->ramp ? r->ramp->n_steps : 1, sizeof(*l.acct));
	l.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!l.keys || !l.fl || !l.acct || l.ep < 0) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < (size_t)c->n_keys * l.n_fl; i++)
		l.fl[i].step = LEGIT_FREE;
	for (unsigned i = 0; i < c->n_keys; i++) {
		l.keys[i].fd = -1;
		l.keys[i].fl = &l.fl[(size_t)i * l.n_fl];
	}
	for (unsigned i = 0; i < c->n_keys && rc == 0; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		struct legit_key *k = &l.keys[i];

		memcpy(k->src, c->legit_src[i % c->n_legit_src], 16);
		rc = secp_priv_generate(k->priv);
		if (rc == 0)
			rc = open_bound(k->src, &k->sport);
		if (rc >= 0) {
			k->fd = rc;
			rc = epoll_ctl(l.ep, EPOLL_CTL_ADD, k->fd, &ev) < 0 ?
			     -errno : 0;
		}
	}
	if (rc < 0)
		goto out;
	if (r->ramp)
		legit_ramp(&l);
	else
		legit_plain(&l);
out:
	for (unsigned i = 0; l.keys && i < c->n_keys; i++) {
		if (l.keys[i].fd >= 0)
			close(l.keys[i].fd);
		explicit_bzero(l.keys[i].priv, sizeof(l.keys[i].priv));
	}
	free(l.keys);
	free(l.fl);
	free(l.acct);
	if (l.ep >= 0)
		close(l.ep);
	return rc;
}

static void *junk_thread(void *arg)
{
	struct run *r = arg;

#if HAVE_XDP
	if (r->cfg->iface) {
		const struct floodgen_cfg *c = r->cfg;
		struct floodgen_afxdp_cfg xc = {
			.iface = c->iface, .dst_port_be = c->dst_port_be,
			.rate_pps = c->rate_pps, .count = c->count,
			.spoof_plen = c->spoof_plen, .copy = c->copy,
		};
		struct floodgen_afxdp_out xo = {
			.junk_sent = r->res->junk_sent,
			.step_junk = r->res->step_junk,
		};

		memcpy(xc.dst_addr, c->dst_addr, sizeof(xc.dst_addr));
		memcpy(xc.spoof_addr, c->spoof_addr, sizeof(xc.spoof_addr));
		r->rc_junk = floodgen_afxdp_junk(&xo, &r->pay, &xc, r->ramp,
						 r->deadline, r->stop);
		r->res->junk_tx_err = xo.junk_tx_err;
		r->res->elapsed_ns = xo.elapsed_ns;
		r->res->zero_copy = xo.zero_copy;
	} else
#endif
	{
		r->rc_junk = junk_sockets(r);
	}
	ipsecmb_thread_fini();          /* the discv5 kinds' masking */
	__atomic_store_n(&r->junk_done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* check_cfg() refuses what the chosen junk sender cannot do. */
static int check_cfg(const struct floodgen_cfg *c, unsigned wsum)
{
	/* A ramp paces the junk itself and is judged by the pings. */
	if (c->ramp && (!wsum || c->rate_pps || c->count || !c->n_keys ||
			!c->legit_rate))
		return -EINVAL;
	if (!c->duration_ms && !c->ramp)
		return -EINVAL;
	if (!wsum)
		return 0;
	if (c->iface) {
#if HAVE_XDP
		if (!is_v4(c->dst_addr) || c->spoof_plen < 8 ||
		    c->spoof_plen > 32 || c->n_junk_src)
			return -EINVAL;
		return 0;
#else
		return -EOPNOTSUPP;
#endif
	}
	/* Sockets send from local addresses only: no spoofing. */
	if (c->spoof_plen || c->copy || c->n_junk_src > FLOODGEN_MAX_JUNK_SRC)
		return -EINVAL;
	return 0;
}

int floodgen_run(struct floodgen_result *out, const struct floodgen_cfg *cfg,
		 volatile bool *stop)
{
	uint32_t duration_ms = cfg->duration_ms;
	struct run *r;
	unsigned wsum = 0;
	pthread_t th;
	int rc;

	memset(out, 0, sizeof(*out));
	for (unsigned k = 0; k < FLOODPAY_KIND_MAX; k++)
		wsum += cfg->mix[k];
	rc = check_cfg(cfg, wsum);
	if (rc < 0)
		return rc;
	if (cfg->ramp) {
		uint64_t len_ms;

		rc = floodramp_init(&out->ramp, cfg->ramp);
		if (rc < 0)
			return rc;
		/* Every step, the last one's grace and a minute for the
		 * senders to get ready (AF_XDP: the neighbour, the UMEM). */
		len_ms = (uint64_t)out->ramp.n_steps * cfg->ramp->step_ms +
			 cfg->grace_ms + 60000;
		if (!duration_ms)
			duration_ms = len_ms > UINT32_MAX ? UINT32_MAX :
				      (uint32_t)len_ms;
	}
	rc = secp_init();
	if (rc < 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = cfg;
	r->res = out;
	r->ramp = cfg->ramp ? &out->ramp : NULL;
	r->stop = stop;
	r->deadline = now_ns(CLOCK_MONOTONIC) +
		      (uint64_t)duration_ms * 1000000ull;
	if (!wsum) {
		/* No junk: the legitimate side runs to the end. */
		rc = legit_run(r);
		goto out_free;
	}
	rc = floodpay_init(&r->pay, cfg->mix, cfg->dst_addr, cfg->dst_port_be,
			   (uint64_t)time(NULL), duration_ms);
	if (rc < 0)
		goto out_free;
	if (cfg->has_v5_id) {
		rc = floodpay_set_v5(&r->pay, cfg->v5_id);
		if (rc < 0)
			goto out_fini;
	} else if (cfg->mix[FLOODPAY_V5HDR] || cfg->mix[FLOODPAY_V5HS] ||
		   cfg->mix[FLOODPAY_V5MSG]) {
		rc = -EINVAL;           /* those kinds need the target's id */
		goto out_fini;
	}
	rc = pthread_create(&th, NULL, junk_thread, r);
	if (rc) {
		rc = -rc;
		goto out_fini;
	}
	r->rc_legit = legit_run(r);
	if (r->ramp)            /* the junk sender ends with the ramp */
		floodramp_interrupt(r->ramp);
	pthread_join(th, NULL);
	rc = r->rc_junk < 0 ? r->rc_junk : r->rc_legit;
out_fini:
	floodpay_fini(&r->pay);
out_free:
	free(r);
	return rc;
}
