/* SPDX-License-Identifier: MIT */
/* control/host/rlpxhost.c - runs the sans-I/O RLPx session host on the event loop. */
#include "control/host/rlpxhost.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/escape.h"
#include "common/hex.h"
#include "control/discv4/kad.h"

#define READ_CHUNK      16384           /* peeked per recv() */
#define READS_PER_EVENT 64              /* then back to the loop */
#define ACCEPTS_PER_EVENT 256

/* One socket of ours (the engine's connection id names it). */
struct rconn {
	struct rconn *next;
	struct rlpxhost *r;
	uint64_t id;
	int fd;
	bool connecting;                /* DIAL in progress */
	uint32_t events;                /* watched now */
};

struct rlpxhost {
	struct loop *loop;
	struct dplink *dp;
	struct sesshost *sh;
	struct discv4 *disc;
	int verbosity;
	bool node;
	rlpxhost_probe_fn *probe_done;
	void *probe_user;
	rlpxhost_event_fn *on_event;
	void *event_user;
	int lfd;
	struct rconn *conns;
	bool draining;
	uint64_t next_feed;             /* node: candidates from discovery */
};

static void idhex(char out[17], const uint8_t *id)
{
	hex_encode(out, id, 8);
	out[16] = '\0';
}

static struct rconn *rconn_find(const struct rlpxhost *r, uint64_t id)
{
	for (struct rconn *c = r->conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static struct rconn *rconn_new(struct rlpxhost *r, uint64_t id, int fd)
{
	struct rconn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->r = r;
	c->id = id;
	c->fd = fd;
	c->next = r->conns;
	r->conns = c;
	return c;
}

/* Forgets c; the caller has closed or given away its fd. */
static void rconn_free(struct rlpxhost *r, struct rconn *c)
{
	struct rconn **pp = &r->conns;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	free(c);
}

static void rconn_close(struct rlpxhost *r, struct rconn *c)
{
	loop_fd_unwatch(r->loop, c->fd);
	close(c->fd);
	rconn_free(r, c);
}

static void on_conn_io(void *user, int fd, uint32_t ev, uint64_t now);

/* Polls c's socket for what the engine wants (EPOLLOUT while connecting
 * or while bytes wait). The last thing a caller does with c. */
static void rearm(struct rlpxhost *r, struct rconn *c)
{
	unsigned want = sesshost_interest(r->sh, c->id);
	uint32_t ev = (want & SESSHOST_WANT_READ ? EPOLLIN : 0) |
		      (want & SESSHOST_WANT_WRITE ? EPOLLOUT : 0);
	int rc;

	if (c->connecting)
		ev = EPOLLOUT;
	if (ev == c->events)
		return;
	rc = loop_fd_watch(r->loop, c->fd, ev, on_conn_io, c);
	if (!rc) {
		c->events = ev;
		return;
	}
	/* Unwatchable: give it up (c may be freed here). */
	sesshost_on_closed(r->sh, c->id, rc, loop_now());
	rlpxhost_flush(r, loop_now());
}

static void local_ep(int fd, struct sesshost_ep *ep)
{
	struct sockaddr_storage la;
	socklen_t ll = sizeof(la);

	memset(ep, 0, sizeof(*ep));
	if (getsockname(fd, (struct sockaddr *)&la, &ll))
		return;
	if (la.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const void *)&la;

		memcpy(ep->ip, &a6->sin6_addr, 16);
		ep->port = ntohs(a6->sin6_port);
	} else if (la.ss_family == AF_INET) {
		const struct sockaddr_in *a4 = (const void *)&la;

		ep->ip[10] = ep->ip[11] = 0xff;
		memcpy(ep->ip + 12, &a4->sin_addr, 4);
		ep->port = ntohs(a4->sin_port);
	}
}

/* Writes what the engine queued until the socket is full. */
static void flush_conn(struct rlpxhost *r, struct rconn *c, uint64_t now)
{
	for (;;) {
		const uint8_t *p;
		size_t n = sesshost_out(r->sh, c->id, &p);
		ssize_t w;

		if (!n)
			return;
		w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;                 /* EPOLLOUT does the rest */
		if (w <= 0) {
			sesshost_on_closed(r->sh, c->id,
					   w < 0 ? -errno : -EPIPE, now);
			return;
		}
		sesshost_out_done(r->sh, c->id, (size_t)w, now);
	}
}

/* Reads while the engine takes bytes: peek, hand over, then take from
 * the kernel exactly what it consumed. */
static void read_conn(struct rlpxhost *r, struct rconn *c, uint64_t now)
{
	uint8_t buf[READ_CHUNK];

	for (int k = 0; k < READS_PER_EVENT; k++) {
		ssize_t n, used;

		if (!(sesshost_interest(r->sh, c->id) & SESSHOST_WANT_READ))
			return;
		n = recv(c->fd, buf, sizeof(buf), MSG_PEEK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			sesshost_on_closed(r->sh, c->id,
					   n < 0 ? -errno : -ECONNRESET, now);
			return;
		}
		used = sesshost_on_bytes(r->sh, c->id, buf, (size_t)n, now);
		if (used <= 0)
			return;
		/* Peeked bytes are there: this takes exactly them. */
		if (recv(c->fd, buf, (size_t)used, 0) != used) {
			sesshost_on_closed(r->sh, c->id, -EIO, now);
			return;
		}
		if (used < n)
			return;                 /* the rest is not ours */
	}
}

/* ---- events ---------------------------------------------------------------- */

static void print_hello(const struct sesshost_action *a)
{
	const struct p2p_hello *h = a->hello;
	char id[17], client[ESCAPE_BUF_LEN(P2P_CLIENT_ID_MAX)];
	char caps[P2P_MAX_CAPS * (ESCAPE_BUF_LEN(P2P_CAP_NAME_MAX) + 12)];
	size_t off = 0;

	caps[0] = '\0';
	for (size_t i = 0; i < h->n_caps; i++) {
		char name[ESCAPE_BUF_LEN(P2P_CAP_NAME_MAX)];

		escape_bytes(name, sizeof(name), h->caps[i].name,
			     strlen(h->caps[i].name));
		off += (size_t)snprintf(caps + off, sizeof(caps) - off,
					"%s%s/%u", i ? "," : "", name,
					h->caps[i].version);
	}
	escape_bytes(client, sizeof(client), h->client_id, h->client_id_len);
	idhex(id, a->id);
	printf("hello: peer=%s client=%s p2p=%" PRIu64 " caps=%s\n", id,
	       client, h->version, caps);
}

static void print_status(const struct sesshost_action *a)
{
	const struct eth_status *st = a->status;
	char x[17], g[65];

	idhex(x, a->id);
	hex_encode(g, st->genesis, 32);
	printf("eth: status peer=%s version=%u network=%" PRIu64
	       " genesis=%s forkid=%08x/%" PRIu64, x, st->version,
	       st->network_id, g, st->forkid.hash, st->forkid.next);
	if (st->version >= ETH_VERSION_69) {
		hex_encode(g, st->latest_hash, 32);
		printf(" range=%" PRIu64 "-%" PRIu64 " latest=%s",
		       st->earliest, st->latest, g);
	}
	printf(" %s\n", a->status_err == ETH_OK ? "ok" :
	       eth_err_name(a->status_err));
}

/* Prints (or hands on) one event; node output as it always was. */
static void on_event(struct rlpxhost *r, const struct sesshost_action *a,
		     uint64_t now)
{
	int v = r->verbosity;
	char x[17];

	if (r->on_event)
		r->on_event(r->event_user, a, now);
	idhex(x, a->id);
	switch (a->kind) {
	case SESSHOST_EV_HELLO:
		if (v >= 3)
			print_hello(a);
		break;
	case SESSHOST_EV_STATUS:
		print_status(a);
		break;
	case SESSHOST_EV_PING_ADDED:
		printf("event: added proto=ping peer=%s %s\n", x,
		       a->inbound ? "inbound" : "outbound");
		break;
	case SESSHOST_EV_PING_PONG:
		printf("ping: pong peer=%s id=%" PRIu64 " rtt=%" PRIu64 "us\n",
		       x, a->value, a->rtt_ns / 1000);
		break;
	case SESSHOST_EV_KEEPALIVE:
		if (v >= 4)
			printf("p2p: ping peer=%s\n", x);
		break;
	case SESSHOST_EV_KEEPALIVE_PONG:
		if (v >= 4)
			printf("p2p: pong peer=%s rtt=%" PRIu64 "us\n", x,
			       a->rtt_ns / 1000);
		break;
	case SESSHOST_EV_CLOSED:
		if (v >= 3)
			printf("closed: peer=%s reason=%s%s\n", x,
			       a->reason == P2P_DISC_NONE ? "none" :
			       p2p_disc_reason_name(a->reason),
			       a->remote ? " (remote)" : "");
		break;
	case SESSHOST_EV_REFUSED:
		if (v >= 4)
			fprintf(stderr, "devplane: refusing %s: %s\n", x,
				p2p_disc_reason_name(a->reason));
		break;
	case SESSHOST_EV_STATS:
		if (v >= 3)
			rlpxhost_print_stats(r, stderr);
		break;
	case SESSHOST_EV_PROBE:
		if (r->probe_done)
			r->probe_done(r->probe_user, a->probe);
		break;
	default:
		return;
	}
	fflush(stdout);
}

/* ---- actions ---------------------------------------------------------------- */

static void do_dial(struct rlpxhost *r, const struct sesshost_action *a,
		    uint64_t now)
{
	int fd = loop_tcp_connect(a->ep.ip, a->ep.port);
	struct rconn *c;

	if (fd < 0) {
		sesshost_on_connected(r->sh, a->conn, fd, NULL, now);
		return;
	}
	c = rconn_new(r, a->conn, fd);
	if (!c) {
		close(fd);
		sesshost_on_connected(r->sh, a->conn, -ENOMEM, NULL, now);
		return;
	}
	c->connecting = true;
	rearm(r, c);
}

static void do_close(struct rlpxhost *r, const struct sesshost_action *a)
{
	struct rconn *c = rconn_find(r, a->conn);

	if (!c)
		return;
	/* Best effort, never waiting: a refusal's Disconnect. */
	if (a->len && send(c->fd, a->data, a->len,
			   MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* The peer reads the close instead. */
	}
	rconn_close(r, c);
}

static void do_handover(struct rlpxhost *r, const struct sesshost_action *a,
			uint64_t now)
{
	struct rconn *c = rconn_find(r, a->conn);
	int rc = -EBADF;

	if (c) {
		loop_fd_unwatch(r->loop, c->fd);
		/* The fd is closed by dplink on every path. */
		rc = dplink_rlpx_handover(r->dp, a->conn, c->fd, a->frame,
					  a->flags);
		rconn_free(r, c);
	}
	if (rc && r->verbosity >= 2)
		fprintf(stderr, "devplane: rlpx handover: %s\n",
			strerror(-rc));
	sesshost_on_handover(r->sh, a->conn, rc, now);
}

static void act(struct rlpxhost *r, const struct sesshost_action *a,
		uint64_t now)
{
	struct rconn *c;
	int rc;

	switch (a->kind) {
	case SESSHOST_A_DIAL:
		do_dial(r, a, now);
		break;
	case SESSHOST_A_WRITE:
		c = rconn_find(r, a->conn);
		if (c && !c->connecting) {
			flush_conn(r, c, now);
			rearm(r, c);
		}
		break;
	case SESSHOST_A_CLOSE:
		do_close(r, a);
		break;
	case SESSHOST_A_HANDOVER:
		do_handover(r, a, now);
		break;
	case SESSHOST_A_DP_SEND:
		rc = dplink_rlpx_send(r->dp, a->conn, a->code, a->data, a->len);
		if (rc)
			sesshost_on_dp_failed(r->sh, a->kind, a->conn, 0, rc,
					      now);
		break;
	case SESSHOST_A_DP_CLOSE:
		rc = dplink_rlpx_close(r->dp, a->conn, a->reason);
		if (rc)
			sesshost_on_dp_failed(r->sh, a->kind, a->conn,
					      a->reason, rc, now);
		break;
	default:
		on_event(r, a, now);
		break;
	}
}

void rlpxhost_flush(struct rlpxhost *r, uint64_t now)
{
	const struct sesshost_action *a;

	/* Actions queued while one is carried out join this loop. */
	if (r->draining)
		return;
	r->draining = true;
	while ((a = sesshost_next_action(r->sh)))
		act(r, a, now);
	r->draining = false;
}

/* ---- loop callbacks ------------------------------------------------------ */

static void on_conn_io(void *user, int fd, uint32_t ev, uint64_t now)
{
	struct rconn *c = user;
	struct rlpxhost *r = c->r;
	uint64_t id = c->id;
	struct sesshost_ep local;
	int err;

	(void)fd;
	if (c->connecting) {
		c->connecting = false;
		err = loop_tcp_error(c->fd);
		if (err) {
			rconn_close(r, c);
			sesshost_on_connected(r->sh, id, err, NULL, now);
		} else {
			local_ep(c->fd, &local);
			sesshost_on_connected(r->sh, id, 0, &local, now);
		}
	} else {
		if (ev & EPOLLOUT)
			flush_conn(r, c, now);
		if (sesshost_interest(r->sh, id) & SESSHOST_WANT_READ) {
			if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
				read_conn(r, c, now);
		} else if (ev & (EPOLLERR | EPOLLHUP)) {
			/* Hung up while we do not read (the handover waits
			 * for our queue): nothing more will come of it. */
			err = loop_tcp_error(c->fd);
			sesshost_on_closed(r->sh, id, err ? err : -ECONNRESET,
					   now);
		}
	}
	rlpxhost_flush(r, now);
	c = rconn_find(r, id);          /* the actions may have freed it */
	if (c)
		rearm(r, c);
}

static void on_accept(void *user, int lfd, uint32_t ev, uint64_t now)
{
	struct rlpxhost *r = user;

	(void)ev;
	for (int k = 0; k < ACCEPTS_PER_EVENT; k++) {
		struct sesshost_ep remote, local;
		uint64_t id;
		struct rconn *c;
		int fd = loop_tcp_accept(lfd, remote.ip, &remote.port);

		if (fd < 0)
			break;
		local_ep(fd, &local);
		if (sesshost_on_accept(r->sh, &id, &remote, &local, now)) {
			close(fd);              /* refused (counted) */
			continue;
		}
		c = rconn_new(r, id, fd);
		if (!c) {
			close(fd);
			sesshost_on_closed(r->sh, id, -ENOMEM, now);
			continue;
		}
		rearm(r, c);
	}
	rlpxhost_flush(r, now);
}

static void on_rlpx(void *user, const struct dplink_rx *rx, uint64_t now)
{
	struct rlpxhost *r = user;

	if (rx->kind == MSG_RLPX_CLOSED)
		sesshost_on_dp_closed(r->sh, rx->closed, now);
	else if (rx->kind == MSG_RLPX_RX)
		sesshost_on_dp_rx(r->sh, rx->rlpx, now);
	rlpxhost_flush(r, now);
}

/* Random live candidates from the discovery table (never bucket heads). */
static void feed_candidates(struct rlpxhost *r, uint64_t now)
{
	const struct kad_node *nodes[16];
	size_t n;

	if (!r->disc || !sesshost_dial_free_slots(r->sh))
		return;
	/* kad_random_nodes() only advances the table's PRNG. */
	n = kad_random_nodes((struct kad_table *)(uintptr_t)
			     discv4_table(r->disc), nodes, 16);
	for (size_t i = 0; i < n; i++)
		if (nodes[i]->live)
			sesshost_add_candidate(r->sh, nodes[i]->pub,
					       nodes[i]->ip,
					       nodes[i]->tcp_port, now);
}

static uint64_t svc_deadline(void *user)
{
	struct rlpxhost *r = user;
	uint64_t d = sesshost_next_deadline(r->sh);

	return r->node && r->next_feed < d ? r->next_feed : d;
}

static void svc_tick(void *user, uint64_t now)
{
	struct rlpxhost *r = user;

	if (r->node && r->next_feed <= now) {
		feed_candidates(r, now);
		r->next_feed = now + SESSHOST_DIAL_TICK_NS;
	}
	sesshost_tick(r->sh, now);
	rlpxhost_flush(r, now);
}

/* ---- set-up -------------------------------------------------------------- */

int rlpxhost_new(struct rlpxhost **out, const struct rlpxhost_cfg *cfg)
{
	struct rlpxhost *r;
	int rc;

	*out = NULL;
	if (!cfg->loop || !loop_dplink(cfg->loop))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	rc = sesshost_new(&r->sh, &cfg->engine);
	if (rc) {
		free(r);
		return rc;
	}
	r->loop = cfg->loop;
	r->dp = loop_dplink(cfg->loop);
	r->verbosity = cfg->verbosity;
	r->node = cfg->engine.mode == SESSHOST_NODE;
	r->probe_done = cfg->probe_done;
	r->probe_user = cfg->probe_user;
	r->on_event = cfg->on_event;
	r->event_user = cfg->event_user;
	r->lfd = -1;
	loop_set_rlpx(r->loop, on_rlpx, r);
	loop_set_service(r->loop, svc_deadline, svc_tick, r);
	*out = r;
	return 0;
}

void rlpxhost_free(struct rlpxhost *r)
{
	if (!r)
		return;
	loop_set_service(r->loop, NULL, NULL, NULL);
	loop_set_rlpx(r->loop, NULL, NULL);
	sesshost_shutdown(r->sh, loop_now());
	r->verbosity = 0;               /* no events on the way out */
	r->probe_done = NULL;
	r->on_event = NULL;
	rlpxhost_flush(r, loop_now());
	while (r->conns)
		rconn_close(r, r->conns);
	if (r->lfd >= 0) {
		loop_fd_unwatch(r->loop, r->lfd);
		close(r->lfd);
	}
	sesshost_free(r->sh);
	free(r);
}

int rlpxhost_listen(struct rlpxhost *r, int lfd)
{
	int rc = loop_fd_watch(r->loop, lfd, EPOLLIN, on_accept, r);

	if (rc) {
		close(lfd);
		return rc;
	}
	r->lfd = lfd;
	return 0;
}

void rlpxhost_set_discovery(struct rlpxhost *r, struct discv4 *d)
{
	r->disc = d;
}

struct sesshost *rlpxhost_engine(const struct rlpxhost *r)
{
	return r->sh;
}

void rlpxhost_print_stats(const struct rlpxhost *r, FILE *f)
{
	struct sesshost_stats st;

	sesshost_get_stats(r->sh, &st);
	fprintf(f, "rlpx stats: pending=%u pending_max=%u peers=%zu "
		"inbound=%u accepted=%" PRIu64 " refused_pending=%" PRIu64
		" refused_throttle=%" PRIu64 " hs_ok=%" PRIu64 " hs_legacy=%"
		PRIu64 " hs_fail=%" PRIu64 " hs_timeout=%" PRIu64
		" handovers=%" PRIu64 " dials=%" PRIu64 " handover_fail=%"
		PRIu64 " wq_over_conn=%" PRIu64 " wq_over_total=%" PRIu64
		" wq_bytes=%zu\n", st.pending, st.pending_max, st.peers,
		st.inbound, st.accepted, st.refused_pending,
		st.refused_throttle, st.hs_ok, st.hs_legacy, st.hs_fail,
		st.hs_timeout, st.handovers, st.dials, st.handover_fail,
		st.wq_over_conn, st.wq_over_total, st.wq_bytes);
	fflush(f);
}
