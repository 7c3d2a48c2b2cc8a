/* SPDX-License-Identifier: MIT */
/* control/host/session.c - RLPx session host: TCP accept/dial, handshake and Hello in control, handover to the dataplane, p2p over dplink; the node, the crawler's probes and rlpx ping. */
#include "control/host/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/enode.h"
#include "common/hex.h"
#include "common/nodekey.h"
#include "common/rlp.h"
#include "common/secp.h"
#include "common/snappy.h"
#include "control/peers/dial.h"
#include "control/rlpx/eth.h"
#include "control/rlpx/forkid.h"
#include "control/discv4/kad.h"
#include "control/host/loop.h"
#include "control/host/node.h"
#include "control/rlpx/p2p.h"
#include "control/rlpx/pingproto.h"
#include "control/rlpx/rlpx.h"
#include "control/peers/server.h"
#include "control/api/admin.h"
#include "control/host/dnshost.h"

#define SEC               1000000000ull
#define CTL_FRAME_MAX     (64u << 10)   /* largest frame read before handover */
#define STATS_NS          SEC
#define DIAL_TICK_NS      SEC

enum sess_state { S_CONNECTING, S_HANDSHAKE, S_HELLO, S_HANDED };

struct sess {
	struct sess *next;
	uint64_t id;
	int fd;
	enum sess_state st;
	bool inbound, pending_slot, dialing, in_server, p2p_started;
	bool dead;                      /* reap: close fd, tell p2p, free */
	bool close_retry;               /* dplink_rlpx_close got -ENOBUFS */
	uint8_t ip[16];
	uint16_t port;
	uint8_t remote[64];
	uint64_t deadline;              /* CONNECTING: dial timeout */
	struct rlpx_hs hs;
	struct rlpx_frame fr;
	bool fr_ok;
	size_t rneed, rhave;
	bool rbody;
	uint8_t *rbuf;                  /* CTL_FRAME_MAX + 64 */
	uint8_t *asm_buf;               /* MSG_RLPX_RX reassembly */
	size_t asm_cap;
	struct session_probe_result *pr;       /* probe mode: being learnt */
	int err;                        /* first failure seen (probe) */
	uint64_t probe_deadline;
	bool probe_quit;                /* timeout Disconnect sent */
	uint8_t lip[16];                /* local end of the TCP connection */
	uint16_t lport;
	uint64_t ping_sent;             /* our last keepalive Ping (loop_now) */
};

struct host {
	struct loop *loop;
	struct dplink *dp;
	struct p2p_host *h;
	struct server srv;
	struct dial dl;
	struct discv4 *disc;
	uint8_t priv[32], pub[64];
	int lfd;
	uint16_t port;
	uint64_t next_id;
	struct sess *list;
	uint64_t next_dial, next_stats;
	bool stats_dirty;
	int verbosity;
	struct eth eth;
	struct pingproto pp;
	uint64_t ping_seq;
	uint64_t hs_ok, hs_fail, hs_timeout, handovers;
	uint64_t hs_legacy;             /* of hs_ok: the remote spoke pre-EIP-8 */
	bool probe;                     /* a session_prober's host */
	session_probe_fn *probe_done;
	void *probe_user;
	size_t probes;                  /* in flight */
	struct sess *reaping;           /* unlinked, in p2p_peer_closed() */
	/* admin API (node only) */
	struct node *node;              /* discovery; NULL: --nodiscover */
	const struct forkid_chain *chain;
	char url[ENODE_URL_MAX + 1];
	uint8_t laddr[16];
};

static void idhex(char out[17], const uint8_t *id)
{
	hex_encode(out, id, 8);
	out[16] = '\0';
}

static struct sess *sess_find(struct host *H, uint64_t id)
{
	for (struct sess *s = H->list; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static struct sess *sess_new(struct host *H, int fd, bool inbound,
			     const uint8_t ip[16], uint16_t port)
{
	struct sess *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->rbuf = malloc(CTL_FRAME_MAX + 64);
	if (!s->rbuf) {
		free(s);
		return NULL;
	}
	s->id = ++H->next_id;
	s->fd = fd;
	s->inbound = inbound;
	memcpy(s->ip, ip, 16);
	s->port = port;
	s->deadline = UINT64_MAX;
	s->next = H->list;
	H->list = s;
	H->stats_dirty = true;
	return s;
}

/* Ends a connection that is not (or no longer) the dataplane's. */
static void sess_kill(struct host *H, struct sess *s)
{
	(void)H;
	s->dead = true;
}

/* sess_kill() with the reason, kept for a probe's report. */
static void sess_fail(struct host *H, struct sess *s, int err)
{
	if (!s->err)
		s->err = err;
	sess_kill(H, s);
}

/* Reports a finished probe (from reap(), after p2p's on_closed). */
static void probe_report(struct host *H, struct sess *s, uint64_t now)
{
	struct session_probe_result *r = s->pr;

	s->pr = NULL;
	H->probes--;
	r->finished_ns = now;
	switch (s->st) {
	case S_CONNECTING:
		r->stage = SESSION_PROBE_CONNECT;
		break;
	case S_HANDSHAKE:
		r->stage = SESSION_PROBE_HANDSHAKE;
		break;
	case S_HELLO:
		r->stage = SESSION_PROBE_HELLO;
		break;
	default:
		r->stage = SESSION_PROBE_STATUS;
		break;
	}
	if (r->has_status)
		r->err = 0;
	else if (s->err)
		r->err = s->err;
	else if (r->disc_reason != P2P_DISC_NONE)
		r->err = -ECONNABORTED;
	else
		r->err = -ECONNRESET;
	if (H->probe_done)
		H->probe_done(H->probe_user, r);
	free(r);
}

static void sess_release_slots(struct host *H, struct sess *s, bool ok)
{
	if (s->pending_slot) {
		server_pending_end(&H->srv);
		s->pending_slot = false;
		H->stats_dirty = true;
	}
	if (s->dialing) {
		dial_done(&H->dl, s->remote, ok);
		s->dialing = false;
	}
}

static void reap(struct host *H, uint64_t now)
{
	struct sess **pp = &H->list;

	while (*pp) {
		struct sess *s = *pp;

		if (!s->dead) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		if (s->fd >= 0) {
			loop_fd_unwatch(H->loop, s->fd);
			close(s->fd);
			s->fd = -1;
		}
		sess_release_slots(H, s, false);
		if (s->p2p_started) {
			H->reaping = s;
			p2p_peer_closed(H->h, s->id, now);  /* on_closed */
			H->reaping = NULL;
		}
		else if (s->in_server) {
			server_remove_peer(&H->srv, s->id);
			dial_peer_removed(&H->dl, s->remote);
		}
		if (s->pr)
			probe_report(H, s, now);
		rlpx_hs_fini(&s->hs);
		if (s->fr_ok)
			rlpx_frame_fini(&s->fr);
		free(s->rbuf);
		free(s->asm_buf);
		free(s);
		H->stats_dirty = true;
	}
}

/* Blocking-ish write for the few control-phase messages (ack, Hello,
 * Disconnect): at most 1 s of waiting for buffer room. */
static int ctl_write(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, 1000) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Seals one message (rlp(code) || payload, the payload snappy-compressed
 * when snappy is on: any message after the Hellos with p2p >= 5) and
 * writes it. */
static int ctl_send_msg(struct rlpx_frame *fr, int fd, uint64_t code,
			const uint8_t *payload, size_t len, bool snappy)
{
	uint8_t *plain, *wire;
	struct rlp_buf b;
	size_t wl, pl;
	ssize_t cl, n;
	int rc;

	if (len > CTL_FRAME_MAX)
		return -EMSGSIZE;
	pl = snappy ? snappy_bound(len) : len;
	plain = malloc(pl + 16);
	wl = rlpx_frame_sealed_len(pl + 16);
	wire = malloc(wl);
	if (!plain || !wire) {
		free(plain);
		free(wire);
		return -ENOMEM;
	}
	rlp_buf_init(&b, plain, 16);
	rlp_put_u64(&b, code);
	cl = rlp_buf_finish(&b);
	if (snappy) {
		n = snappy_pack(plain + cl, pl, payload, len);
		if (n < 0) {
			free(plain);
			free(wire);
			return (int)n;
		}
		pl = (size_t)n;
	} else {
		memcpy(plain + cl, payload, len);
	}
	n = rlpx_frame_seal(fr, wire, wl, plain, (size_t)cl + pl);
	rc = n < 0 ? (int)n : ctl_write(fd, wire, (size_t)n);
	free(plain);
	free(wire);
	return rc;
}

static void ctl_disconnect_fr(struct rlpx_frame *fr, int fd, uint8_t reason,
			      bool snappy)
{
	uint8_t p[8];
	ssize_t n = p2p_disconnect_encode(p, sizeof(p), reason);

	if (n > 0)
		ctl_send_msg(fr, fd, P2P_MSG_DISCONNECT, p, (size_t)n,
			     snappy);
}

/* Before the Hellos (a refused handshake): never compressed. */
static void ctl_disconnect(struct sess *s, uint8_t reason)
{
	if (s->fr_ok)
		ctl_disconnect_fr(&s->fr, s->fd, reason, false);
}

/* ---- p2p host ops ------------------------------------------------------ */

static int op_send(void *user, uint64_t session, uint64_t code,
		   const uint8_t *payload, size_t len)
{
	struct host *H = user;
	struct sess *s = sess_find(H, session);
	struct p2p_peer *peer;

	if (!s || s->dead)
		return -ENOTCONN;
	if (s->st == S_HANDED && code == P2P_MSG_PING) {
		/* p2p's keepalive (every P2P_PING_INTERVAL_NS); the Pong comes
		 * back through on_rlpx(). */
		int rc = dplink_rlpx_send(H->dp, session, code, payload, len);

		if (rc == 0 && H->verbosity >= 4) {
			char x[17];

			idhex(x, s->remote);
			printf("p2p: ping peer=%s\n", x);
			fflush(stdout);
		}
		s->ping_sent = loop_now();
		return rc;
	}
	if (s->st == S_HANDED)
		return dplink_rlpx_send(H->dp, session, code, payload, len);
	if (s->st != S_HELLO)
		return -ENOTCONN;
	/* Our Hello, or a Disconnect: compressed once their Hello turned
	 * snappy on. */
	peer = p2p_peer_find(H->h, session);
	return ctl_send_msg(&s->fr, s->fd, code, payload, len,
			    code != P2P_MSG_HELLO && peer &&
			    p2p_peer_snappy(peer));
}

static void op_close(void *user, uint64_t session)
{
	struct host *H = user;
	struct sess *s = sess_find(H, session);

	if (!s)
		return;
	if (s->st == S_HANDED) {
		if (dplink_rlpx_close(H->dp, session, MSG_RLPX_REASON_NONE))
			s->close_retry = true;
		return;
	}
	sess_kill(H, s);        /* p2p_peer_closed from reap() */
}

static void op_hello(void *user, struct p2p_peer *peer,
		     const struct p2p_hello *hello)
{
	struct host *H = user;
	char id[17], caps[256] = "";
	size_t off = 0;
	struct sess *s = sess_find(H, p2p_peer_session(peer));

	if (s && s->pr) {
		s->pr->hello = *hello;
		s->pr->has_hello = true;
	}
	if (H->verbosity < 3)
		return;
	for (size_t i = 0; i < hello->n_caps && off < sizeof(caps) - 24; i++)
		off += (size_t)snprintf(caps + off, sizeof(caps) - off,
					"%s%s/%u", i ? "," : "",
					hello->caps[i].name,
					hello->caps[i].version);
	idhex(id, p2p_peer_id(peer));
	printf("hello: peer=%s client=%s p2p=%" PRIu64 " caps=%s\n", id,
	       hello->client_id, hello->version, caps);
	fflush(stdout);
}

static void op_active(void *user, struct p2p_peer *peer, bool snappy)
{
	struct host *H = user;
	struct sess *s = sess_find(H, p2p_peer_session(peer));
	int rc;

	if (!s || s->st != S_HELLO)
		return;
	loop_fd_unwatch(H->loop, s->fd);
	rc = dplink_rlpx_handover(H->dp, s->id, s->fd,
				  &s->fr, snappy ? MSG_RLPX_KEYS_F_SNAPPY : 0);
	s->fd = -1;             /* closed by dplink on every path */
	rlpx_frame_fini(&s->fr);
	s->fr_ok = false;
	sess_release_slots(H, s, true);
	if (rc) {
		if (H->verbosity >= 2)
			fprintf(stderr, "devplane: rlpx handover: %s\n",
				strerror(-rc));
		sess_kill(H, s);
		return;
	}
	s->st = S_HANDED;
	H->handovers++;
	H->stats_dirty = true;
}

static void op_closed(void *user, struct p2p_peer *peer, uint8_t reason,
		      bool remote)
{
	struct host *H = user;
	uint64_t sid = p2p_peer_session(peer);
	struct sess *s = H->reaping && H->reaping->id == sid ? H->reaping :
			 sess_find(H, sid);
	char id[17];

	if (s && s->pr && reason != P2P_DISC_NONE) {
		s->pr->disc_reason = reason;
		s->pr->disc_remote = remote;
	}
	if (server_remove_peer(&H->srv, sid) == 0)
		dial_peer_removed(&H->dl, p2p_peer_id(peer));
	H->stats_dirty = true;
	if (H->verbosity >= 3) {
		idhex(id, p2p_peer_id(peer));
		printf("closed: peer=%s reason=%s%s\n", id,
		       reason == P2P_DISC_NONE ? "none" :
		       p2p_disc_reason_name(reason), remote ? " (remote)" : "");
		fflush(stdout);
	}
}

/* ---- protocols: ping events, eth ------------------------------------- */

static void pp_pong(void *user, struct p2p_peer *peer, uint64_t id,
		    uint64_t rtt_ns)
{
	char x[17];

	(void)user;
	idhex(x, p2p_peer_id(peer));
	printf("ping: pong peer=%s id=%" PRIu64 " rtt=%" PRIu64 "us\n", x, id,
	       rtt_ns / 1000);
	fflush(stdout);
}

static void pp_added(void *user, struct p2p_peer *peer)
{
	struct host *H = user;
	char x[17];

	idhex(x, p2p_peer_id(peer));
	printf("event: added proto=ping peer=%s %s\n", x,
	       p2p_peer_inbound(peer) ? "inbound" : "outbound");
	fflush(stdout);
	pingproto_ping(&H->pp, peer, ++H->ping_seq, loop_now());
}

static int eth_status_cb(void *user, struct p2p_peer *peer,
			 const struct eth_status *st, enum eth_err err)
{
	struct host *H = user;
	char x[17], g[65];

	if (H->probe) {
		struct sess *s = sess_find(H, p2p_peer_session(peer));

		if (s && s->pr) {
			s->pr->status = *st;
			s->pr->status_err = err;
			s->pr->has_status = true;
		}
		/* Recorded whatever the verdict: leave politely. */
		return P2P_DISC_REQUESTED;
	}
	idhex(x, p2p_peer_id(peer));
	hex_encode(g, st->genesis, 32);
	g[64] = '\0';
	printf("eth: status peer=%s version=%u network=%" PRIu64
	       " genesis=%s forkid=%08x/%" PRIu64 " %s\n", x,
	       st->version, st->network_id, g, st->forkid.hash,
	       st->forkid.next, err == ETH_OK ? "ok" : eth_err_name(err));
	fflush(stdout);
	return -1;
}

/* ---- connection I/O ----------------------------------------------------- */

static void on_sess_io(void *user, int fd, uint32_t ev, uint64_t now);

/* Reads frames until the remote's Hello has been handled (and the session
 * handed over), never past the end of a frame. */
static void read_frames(struct host *H, struct sess *s, uint64_t now)
{
	while (!s->dead && s->st == S_HELLO) {
		ssize_t n = recv(s->fd, s->rbuf + s->rhave,
				 s->rneed - s->rhave, 0);
		struct rlp_item code_it;
		uint64_t code;
		size_t fsz, olen;
		ssize_t r;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			sess_fail(H, s, n < 0 ? -errno : -ECONNRESET);
			return;
		}
		s->rhave += (size_t)n;
		if (s->rhave < s->rneed)
			continue;
		if (!s->rbody) {
			r = rlpx_frame_open_header(&s->fr, &fsz, s->rbuf);
			if (r < 0 || fsz > CTL_FRAME_MAX) {
				sess_fail(H, s, r < 0 ? (int)r : -EMSGSIZE);
				return;
			}
			s->rbody = true;
			s->rneed = (size_t)r;
			s->rhave = 0;
			continue;
		}
		r = rlpx_frame_open_body(&s->fr, s->rbuf, CTL_FRAME_MAX + 64,
					 s->rbuf, s->rneed);
		s->rbody = false;
		s->rneed = RLPX_FRAME_HEAD_LEN;
		s->rhave = 0;
		if (r < 0) {
			sess_kill(H, s);
			return;
		}
		olen = (size_t)r;
		n = rlp_next(&code_it, s->rbuf, olen);
		if (n < 0 || code_it.is_list || rlp_to_u64(&code, &code_it)) {
			sess_kill(H, s);
			return;
		}
		p2p_on_msg(H->h, s->id, code, s->rbuf + n, olen - (size_t)n,
			   now);
	}
}

static void handshake_done(struct host *H, struct sess *s, uint64_t now)
{
	struct rlpx_secrets sec;
	int reason;

	H->hs_ok++;
	if (rlpx_hs_remote_legacy(&s->hs)) {
		/* A pre-EIP-8 auth (or ack): still accepted, as geth does. */
		H->hs_legacy++;
		H->stats_dirty = true;
	}
	if (rlpx_hs_take(&s->hs, &sec, s->remote) ||
	    rlpx_frame_init(&s->fr, &sec, 0)) {
		rlpx_secrets_wipe(&sec);
		sess_kill(H, s);
		return;
	}
	rlpx_secrets_wipe(&sec);
	rlpx_hs_fini(&s->hs);
	s->fr_ok = true;
	s->rneed = RLPX_FRAME_HEAD_LEN;
	s->rhave = 0;
	s->deadline = UINT64_MAX;
	{
		struct sockaddr_storage la;
		socklen_t ll = sizeof(la);

		if (!getsockname(s->fd, (struct sockaddr *)&la, &ll)) {
			const struct sockaddr_in6 *a6 = (void *)&la;
			const struct sockaddr_in *a4 = (void *)&la;

			if (la.ss_family == AF_INET6) {
				memcpy(s->lip, &a6->sin6_addr, 16);
				s->lport = ntohs(a6->sin6_port);
			} else if (la.ss_family == AF_INET) {
				s->lip[10] = s->lip[11] = 0xff;
				memcpy(s->lip + 12, &a4->sin_addr, 4);
				s->lport = ntohs(a4->sin_port);
			}
		}
	}
	reason = server_add_peer(&H->srv, s->remote, s->id, s->inbound);
	if (reason) {
		char x[17];

		if (H->verbosity >= 4) {
			idhex(x, s->remote);
			fprintf(stderr, "devplane: refusing %s: %s\n", x,
				p2p_disc_reason_name((unsigned)reason));
		}
		ctl_disconnect(s, (uint8_t)reason);
		if (s->pr) {
			s->pr->disc_reason = (uint8_t)reason;
			s->pr->disc_remote = false;
		}
		sess_fail(H, s, -ECONNABORTED);
		return;
	}
	s->in_server = true;
	dial_peer_added(&H->dl, s->remote,
			!s->inbound && !server_is_trusted(&H->srv, s->remote));
	if (s->dialing) {
		dial_done(&H->dl, s->remote, true);
		s->dialing = false;
	}
	s->st = S_HELLO;
	if (p2p_peer_start(H->h, NULL, s->id, s->remote, s->inbound, now)) {
		sess_kill(H, s);
		return;
	}
	s->p2p_started = true;
	read_frames(H, s, now);
}

static void read_handshake(struct host *H, struct sess *s, uint64_t now)
{
	uint8_t buf[RLPX_AUTH_MAX_LEN + 64], out[RLPX_HS_OUT_MAX], junk[256];
	size_t out_len = 0;
	ssize_t n, c;

	n = recv(s->fd, buf, sizeof(buf), MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		H->hs_fail++;
		sess_fail(H, s, n < 0 ? -errno : -ECONNRESET);
		return;
	}
	c = rlpx_hs_feed(&s->hs, out, sizeof(out), &out_len, buf, (size_t)n,
			 now);
	if (c < 0) {
		if (c == -ETIMEDOUT)
			H->hs_timeout++;
		else
			H->hs_fail++;
		sess_fail(H, s, (int)c);
		return;
	}
	/* Consume exactly what the handshake took: the rest is frames. */
	while (c > 0) {
		ssize_t k = recv(s->fd, junk, (size_t)c < sizeof(junk) ?
				 (size_t)c : sizeof(junk), 0);

		if (k <= 0) {
			sess_kill(H, s);
			return;
		}
		c -= k;
	}
	if (rlpx_hs_state(&s->hs) != RLPX_HS_DONE)
		return;
	if (out_len && ctl_write(s->fd, out, out_len)) {
		sess_kill(H, s);
		return;
	}
	handshake_done(H, s, now);
}

static void connected(struct host *H, struct sess *s, uint64_t now)
{
	uint8_t out[RLPX_HS_OUT_MAX];
	int err = loop_tcp_error(s->fd);
	ssize_t n;

	if (err) {
		sess_fail(H, s, err);
		return;
	}
	n = rlpx_hs_init_initiator(&s->hs, out, sizeof(out), H->priv,
				   s->remote, now);
	if (n < 0 || ctl_write(s->fd, out, (size_t)n) ||
	    loop_fd_watch(H->loop, s->fd, EPOLLIN, on_sess_io, H)) {
		sess_kill(H, s);
		return;
	}
	s->st = S_HANDSHAKE;
	s->deadline = UINT64_MAX;
}

static void on_sess_io(void *user, int fd, uint32_t ev, uint64_t now)
{
	struct host *H = user;
	struct sess *s;

	for (s = H->list; s; s = s->next)
		if (s->fd == fd && !s->dead)
			break;
	if (!s)
		return;
	if (s->st == S_CONNECTING && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		connected(H, s, now);
	else if (s->st == S_HANDSHAKE)
		read_handshake(H, s, now);
	else if (s->st == S_HELLO)
		read_frames(H, s, now);
	reap(H, now);
}

static void on_accept(void *user, int lfd, uint32_t ev, uint64_t now)
{
	struct host *H = user;

	(void)ev;
	for (int k = 0; k < 256; k++) {
		uint8_t ip[16];
		uint16_t port;
		int fd = loop_tcp_accept(lfd, ip, &port);
		struct sess *s;

		if (fd < 0)
			break;
		if (server_inbound_begin(&H->srv, ip, now) != SERVER_OK) {
			close(fd);
			H->stats_dirty = true;
			continue;
		}
		s = sess_new(H, fd, true, ip, port);
		if (!s) {
			server_pending_end(&H->srv);
			close(fd);
			continue;
		}
		s->pending_slot = true;
		s->st = S_HANDSHAKE;
		if (rlpx_hs_init_recipient(&s->hs, H->priv, now) ||
		    loop_fd_watch(H->loop, fd, EPOLLIN, on_sess_io, H))
			sess_kill(H, s);
	}
	reap(H, now);
}

static void dial_one(struct host *H, const struct dial_target *t,
		     uint64_t now)
{
	int fd = loop_tcp_connect(t->ip, t->tcp_port);
	struct sess *s;

	if (fd < 0) {
		dial_done(&H->dl, t->id, false);
		return;
	}
	s = sess_new(H, fd, false, t->ip, t->tcp_port);
	if (!s) {
		close(fd);
		dial_done(&H->dl, t->id, false);
		return;
	}
	memcpy(s->remote, t->id, 64);
	s->dialing = true;
	s->st = S_CONNECTING;
	s->deadline = now + DIAL_TIMEOUT_NS;
	dial_started(&H->dl, t->id, s->id);
	if (loop_fd_watch(H->loop, fd, EPOLLOUT, on_sess_io, H))
		sess_kill(H, s);
}

/* Random live candidates from the discovery table (never bucket heads). */
static void feed_candidates(struct host *H, uint64_t now)
{
	const struct kad_node *nodes[16];
	size_t n;

	if (!H->disc || !dial_free_slots(&H->dl))
		return;
	/* kad_random_nodes() only advances the table's PRNG. */
	n = kad_random_nodes((struct kad_table *)(uintptr_t)discv4_table(H->disc), nodes,
			     16);
	for (size_t i = 0; i < n; i++) {
		struct dial_target t = { 0 };

		if (!nodes[i]->live || !nodes[i]->tcp_port ||
		    !server_dial_allowed(&H->srv, nodes[i]->ip) ||
		    server_has_peer(&H->srv, nodes[i]->pub))
			continue;
		memcpy(t.id, nodes[i]->pub, 64);
		memcpy(t.ip, nodes[i]->ip, 16);
		t.tcp_port = nodes[i]->tcp_port;
		dial_add_candidate(&H->dl, &t, now);
	}
}

/* EIP-1459: a node of a DNS tree is a dial candidate, as geth mixes its
 * DNS iterators into the dialer's source (FairMix); it does not enter the
 * discovery table. */
static void dns_candidate(void *user, const struct dnsclient_node *dn,
			  uint64_t now)
{
	struct host *H = user;
	struct dial_target t = { 0 };

	if (dnshost_node_endpoint(&dn->enr, true, t.id, t.ip, &t.tcp_port) ||
	    !server_dial_allowed(&H->srv, t.ip) ||
	    server_has_peer(&H->srv, t.id))
		return;
	dial_add_candidate(&H->dl, &t, now);
}

/* ---- dataplane messages ------------------------------------------------- */

static void on_rlpx(void *user, const struct dplink_rx *rx, uint64_t now)
{
	struct host *H = user;
	struct sess *s;

	if (rx->kind == MSG_RLPX_CLOSED) {
		s = sess_find(H, rx->closed->session_id);
		if (!s)
			return;
		s->fd = -1;
		sess_kill(H, s);
		reap(H, now);
		return;
	}
	if (rx->kind != MSG_RLPX_RX)
		return;
	s = sess_find(H, rx->rlpx->session_id);
	if (!s || s->dead || s->st != S_HANDED)
		return;
	{
		const struct msg_rlpx_data *m = rx->rlpx;
		size_t end = (size_t)m->frag_off + m->data_len;

		if (end > m->total_len)
			return;
		if (m->total_len > s->asm_cap) {
			uint8_t *nb = realloc(s->asm_buf, m->total_len);

			if (!nb)
				return;
			s->asm_buf = nb;
			s->asm_cap = m->total_len;
		}
		memcpy(s->asm_buf + m->frag_off, m->data, m->data_len);
		if ((m->flags & MSG_RLPX_F_LAST) &&
		    m->msg_code == P2P_MSG_PONG && H->verbosity >= 4) {
			char x[17];

			idhex(x, s->remote);
			printf("p2p: pong peer=%s rtt=%" PRIu64 "us\n", x,
			       s->ping_sent && now > s->ping_sent ?
			       (now - s->ping_sent) / 1000 : 0);
			fflush(stdout);
		}
		if (m->flags & MSG_RLPX_F_LAST)
			p2p_on_msg(H->h, s->id, m->msg_code, s->asm_buf,
				   m->total_len, now);
	}
	reap(H, now);
}

/* ---- service timer ------------------------------------------------------ */

static uint64_t svc_deadline(void *user)
{
	struct host *H = user;
	uint64_t next = p2p_next_deadline(H->h);

	for (struct sess *s = H->list; s; s = s->next) {
		uint64_t d = s->st == S_HANDSHAKE ?
			     rlpx_hs_next_deadline(&s->hs) : s->deadline;

		if (d < next)
			next = d;
		if (s->pr && s->probe_deadline < next)
			next = s->probe_deadline;
	}
	if (H->next_dial < next)
		next = H->next_dial;
	if (H->next_stats < next)
		next = H->next_stats;
	return next;
}

/* A probe past its timeout: a session in the dataplane is asked to leave
 * (Disconnect Requested, closed after p2p's grace) and, if it is still
 * there a grace later, closed; any other is dropped at once. */
static void probe_expire(struct host *H, struct sess *s, uint64_t now)
{
	if (!s->err)
		s->err = -ETIMEDOUT;
	if (s->st != S_HANDED) {
		sess_kill(H, s);
		return;
	}
	if (!s->probe_quit) {
		s->probe_quit = true;
		p2p_disconnect(H->h, s->id, P2P_DISC_REQUESTED, now);
	} else if (dplink_rlpx_close(H->dp, s->id, MSG_RLPX_REASON_NONE)) {
		s->close_retry = true;
	}
	s->probe_deadline = now + P2P_DISC_GRACE_NS + SEC;
}

static void print_stats(struct host *H, FILE *f)
{
	const struct server_stats *st = &H->srv.st;

	fprintf(f, "rlpx stats: pending=%u pending_max=%u peers=%zu "
		"inbound=%u accepted=%" PRIu64 " refused_pending=%" PRIu64
		" refused_throttle=%" PRIu64 " hs_ok=%" PRIu64 " hs_legacy=%"
		PRIu64 " hs_fail=%" PRIu64 " hs_timeout=%" PRIu64
		" handovers=%" PRIu64 " dials=%" PRIu64 "\n", st->pending,
		st->pending_max, server_n_peers(&H->srv),
		server_n_inbound(&H->srv), st->accepted,
		st->refused[SERVER_REFUSE_PENDING],
		st->refused[SERVER_REFUSE_THROTTLE], H->hs_ok, H->hs_legacy,
		H->hs_fail, H->hs_timeout, H->handovers, H->dl.st.started);
	fflush(f);
}

static void svc_tick(void *user, uint64_t now)
{
	struct host *H = user;
	uint64_t handles[16];
	size_t n;

	for (struct sess *s = H->list; s; s = s->next) {
		if (s->dead)
			continue;
		if (s->pr && s->probe_deadline <= now) {
			probe_expire(H, s, now);
		} else if (s->st == S_HANDSHAKE &&
		    rlpx_hs_on_timer(&s->hs, now) == -ETIMEDOUT) {
			H->hs_timeout++;
			sess_fail(H, s, -ETIMEDOUT);
		} else if (s->st == S_CONNECTING && s->deadline <= now) {
			sess_fail(H, s, -ETIMEDOUT);
		} else if (s->close_retry &&
			   !dplink_rlpx_close(H->dp, s->id,
					      MSG_RLPX_REASON_NONE)) {
			s->close_retry = false;
		}
	}
	p2p_on_timer(H->h, now);
	n = dial_expired(&H->dl, handles, 16, now);
	for (size_t i = 0; i < n; i++) {
		struct sess *s = sess_find(H, handles[i]);

		if (s && s->dialing && s->st != S_HANDED) {
			s->dialing = false;
			sess_kill(H, s);
		}
	}
	if (H->next_dial <= now) {
		struct dial_target t[16];

		feed_candidates(H, now);
		n = dial_next(&H->dl, t, 16, now);
		for (size_t i = 0; i < n; i++)
			dial_one(H, &t[i], now);
		H->next_dial = now + DIAL_TICK_NS;
	}
	if (H->next_stats <= now) {
		if (H->stats_dirty && H->verbosity >= 3)
			print_stats(H, stderr);
		H->stats_dirty = false;
		H->next_stats = now + STATS_NS;
	}
	reap(H, now);
}

/* ---- admin API provider (control/api/admin.h) ------------------------------ */

static int static_idx(const struct host *H, const uint8_t id[64])
{
	for (size_t i = 0; i < H->dl.n_static; i++)
		if (!memcmp(H->dl.statics[i].id, id, 64))
			return (int)i;
	return -1;
}

/* set_enr_eth() puts the fork id of our head in the ENR's "eth" entry
 * (enr-entries/eth.md: [[forkHash, forkNext]]), so discovery tells peers
 * which chain we serve before they dial. Call it again (then
 * localnode_update()) after eth_set_head() moved the head. */
static void set_enr_eth(struct host *H, struct localnode *ln)
{
	uint8_t val[LOCALNODE_ETH_MAX];
	ssize_t len = eth_enr_entry(&H->eth, val, sizeof(val));

	if (len < 0 || localnode_set_eth(ln, val, (size_t)len) < 0)
		fprintf(stderr, "devplane node: could not set the ENR eth entry\n");
}

static int adm_node_info(void *user, struct admin_node_info *ni)
{
	struct host *H = user;
	struct enode e;
	ssize_t n = -EINVAL;

	memcpy(ni->pub, H->pub, 64);
	p2p_client_id(ni->name, sizeof(ni->name));
	snprintf(ni->enode, sizeof(ni->enode), "%s", H->url);
	if (enode_parse(&e, H->url, strlen(H->url)))
		return -EINVAL;
	memcpy(ni->ip, e.ip, 16);
	ni->discovery = H->node ? e.udp : 0;
	ni->listener = H->port;
	memcpy(ni->listen_ip, H->laddr, 16);
	ni->listen_port = H->port;
	if (H->node) {
		n = enr_encode_text(ni->enr, sizeof(ni->enr),
				    localnode_record(&H->node->ln));
	} else {
		/* No discovery: a record of the listen endpoint anyway, as
		 * geth keeps one with --nodiscover. */
		struct localnode *ln = calloc(1, sizeof(*ln));

		if (!ln)
			return -ENOMEM;
		if (!localnode_init(ln, H->priv, 0, H->port, H->port)) {
			localnode_set_static_ip(ln, e.ip);
			set_enr_eth(H, ln);
			if (localnode_update(ln, loop_now()) >= 0 &&
			    localnode_record(ln))
				n = enr_encode_text(ni->enr, sizeof(ni->enr),
						    localnode_record(ln));
			localnode_fini(ln);
		}
		free(ln);
	}
	if (n < 0)
		return (int)n;
	ni->has_eth = true;
	ni->network = H->chain->network_id;
	memcpy(ni->genesis, H->chain->genesis, 32);
	memcpy(ni->head, H->eth.cfg.head_hash, 32);
	if (!memcmp(ni->head, (uint8_t[32]){ 0 }, 32))
		memcpy(ni->head, H->chain->genesis, 32);
	return 0;
}

static void adm_peers(void *user, admin_peer_emit_fn *emit, void *ctx)
{
	struct host *H = user;

	for (struct sess *s = H->list; s; s = s->next) {
		struct p2p_peer *peer;
		struct admin_peer_info pi;

		if (s->dead || !s->in_server || !s->p2p_started ||
		    s->st != S_HANDED)
			continue;
		peer = p2p_peer_find(H->h, s->id);
		if (!peer || !p2p_peer_hello(peer))
			continue;
		memset(&pi, 0, sizeof(pi));
		memcpy(pi.pub, s->remote, 64);
		pi.hello = p2p_peer_hello(peer);
		pi.shared = p2p_peer_shared(peer, &pi.n_shared);
		memcpy(pi.local_ip, s->lip, 16);
		pi.local_port = s->lport;
		memcpy(pi.remote_ip, s->ip, 16);
		pi.remote_port = s->port;
		pi.inbound = s->inbound;
		pi.trusted = server_is_trusted(&H->srv, s->remote);
		pi.is_static = static_idx(H, s->remote) >= 0;
		emit(ctx, &pi);
	}
}

static int adm_add_peer(void *user, const struct enode *e)
{
	struct host *H = user;
	struct dial_target t = { .is_static = true };
	int rc;

	memcpy(t.id, e->pub, 64);
	memcpy(t.ip, e->ip, 16);
	t.tcp_port = e->tcp;
	if (!server_dial_allowed(&H->srv, t.ip))
		return -EPERM;          /* --netrestrict */
	rc = dial_add_static(&H->dl, &t);
	if (rc && rc != -EEXIST)
		return rc;
	H->next_dial = 0;               /* dial on the next service tick */
	return 0;
}

/* Drops e from the static set (dial.h has no removal: the array is
 * compacted here) and disconnects it (Requested) if connected. */
static int adm_remove_peer(void *user, const struct enode *e)
{
	struct host *H = user;
	uint64_t now = loop_now();
	int i = static_idx(H, e->pub);

	if (i >= 0) {
		memmove(&H->dl.statics[i], &H->dl.statics[i + 1],
			(H->dl.n_static - (size_t)i - 1) *
			sizeof(H->dl.statics[0]));
		H->dl.n_static--;
	}
	for (struct sess *s = H->list; s; s = s->next) {
		if (s->dead || memcmp(s->remote, e->pub, 64) ||
		    (s->st != S_HANDED && !s->in_server && !s->dialing))
			continue;
		if (s->p2p_started)
			p2p_disconnect(H->h, s->id, P2P_DISC_REQUESTED, now);
		else
			sess_kill(H, s);
	}
	reap(H, now);
	return 0;
}

/* ---- devplane node ------------------------------------------------------ */

static struct host *host_new(struct loop *l, const uint8_t priv[32],
			     const struct session_node_cfg *o,
			     const struct forkid_chain *chain, uint16_t port)
{
	struct host *H = calloc(1, sizeof(*H));
	struct p2p_host_config hc = { 0 };
	struct server_cfg sc = { 0 };
	struct eth_config ec = { 0 };

	if (!H)
		return NULL;
	H->loop = l;
	H->dp = loop_dplink(l);
	H->lfd = -1;
	H->verbosity = o->verbosity;
	memcpy(H->priv, priv, 32);
	if (secp_pub_from_priv(H->pub, priv))
		goto fail;
	hc.id = H->pub;
	hc.listen_port = port;
	hc.max_peers = o->max_peers + SERVER_MAX_TRUSTED + 8;
	hc.ops.send = op_send;
	hc.ops.close = op_close;
	hc.ops.on_hello = op_hello;
	hc.ops.on_active = op_active;
	hc.ops.on_closed = op_closed;
	hc.user = H;
	if (p2p_host_new(&H->h, &hc))
		goto fail;
	ec.chain = chain;
	ec.on_status = eth_status_cb;
	ec.user = H;
	if (eth_init(&H->eth, &ec) || eth_register(&H->eth, H->h))
		goto fail;
	pingproto_init(&H->pp, pp_pong, pp_added, H);
	if (pingproto_register(&H->pp, H->h))
		goto fail;
	sc.self_id = H->pub;
	sc.max_peers = o->max_peers;
	sc.max_pending = o->max_pending;
	sc.netrestrict = o->loop.netrestrict;
	sc.n_netrestrict = o->loop.n_netrestrict;
	if (server_init(&H->srv, &sc))
		goto fail;
	if (dial_init(&H->dl, H->pub, server_max_dialed(&H->srv), 0))
		goto fail;
	for (unsigned i = 0; i < o->n_trusted; i++)
		server_add_trusted(&H->srv, o->trusted[i].pub);
	for (unsigned i = 0; i < o->n_statics; i++) {
		struct dial_target t = { 0 };

		memcpy(t.id, o->statics[i].pub, 64);
		memcpy(t.ip, o->statics[i].ip, 16);
		t.tcp_port = o->statics[i].tcp;
		if (server_dial_allowed(&H->srv, t.ip))
			dial_add_static(&H->dl, &t);
	}
	return H;
fail:
	p2p_host_free(H->h);
	free(H);
	return NULL;
}

static void host_free(struct host *H)
{
	uint64_t now = loop_now();

	if (!H)
		return;
	for (struct sess *s = H->list; s; s = s->next) {
		if (s->st == S_HANDED)
			dplink_rlpx_close(H->dp, s->id, P2P_DISC_QUITTING);
		s->dead = true;
		s->p2p_started = false;         /* host freed below */
	}
	reap(H, now);
	if (H->lfd >= 0) {
		loop_fd_unwatch(H->loop, H->lfd);
		close(H->lfd);
	}
	p2p_host_free(H->h);
	server_fini(&H->srv);
	dial_fini(&H->dl);
	explicit_bzero(H->priv, sizeof(H->priv));
	free(H);
}
int session_node_run(const struct session_node_cfg *o)
{
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };
	const struct forkid_chain *chain = o->chain;
	struct dplink_listen listen;
	struct loop_cfg lc;
	struct loop *l = NULL;
	struct node *n = NULL;
	struct host *H = NULL;
	struct dnshost *dns = NULL;
	const uint8_t *priv = o->priv;
	char url[300];
	uint16_t port, udp_port;
	int lfd, rc, status = 1;

	memset(&listen, 0, sizeof(listen));
	memcpy(listen.addr, o->has_addr ? o->addr : any4, 16);
	listen.port_be = htons(o->port);
	lc = o->loop;
	lc.listen = &listen;
	lc.n_listen = 1;
	rc = loop_new(&l, &lc);
	if (rc) {
		fprintf(stderr, "devplane node: dataplane%s%s: %s\n",
			lc.attach_path ? " " : "",
			lc.attach_path ? lc.attach_path : "", strerror(-rc));
		goto out;
	}
	/* Discovery gets the UDP port the dataplane bound; RLPx listens on
	 * TCP at the same address and port, as geth does. An attached
	 * dataplane chose its address with its own --listen: TCP follows it,
	 * unless --addr names the TCP listener. */
	udp_port = loop_listen_port(l, 0);
	port = udp_port;
	if (lc.attach_path && !o->has_addr)
		loop_listen_addr(l, 0, listen.addr);
	else if (lc.attach_path)
		port = o->port;
	lfd = loop_tcp_listen(listen.addr, port, &port);
	if (lfd < 0) {
		fprintf(stderr, "devplane node: TCP listen on port %u: %s\n",
			port, strerror(-lfd));
		goto out;
	}
	H = host_new(l, priv, o, chain, port);
	if (!H) {
		fprintf(stderr, "devplane node: cannot set up the RLPx host\n");
		close(lfd);
		goto out;
	}
	H->lfd = lfd;
	if (loop_fd_watch(l, H->lfd, EPOLLIN, on_accept, H)) {
		fprintf(stderr, "devplane node: cannot watch the TCP listener\n");
		goto out;
	}
	H->port = port;
	if (!o->nodiscover) {
		struct node_cfg nc = {
			.priv = priv, .loop = l, .idx = 0,
			.has_extip = o->has_extip, .db = o->db,
			.netrestrict = o->loop.netrestrict,
			.n_netrestrict = o->loop.n_netrestrict,
			.verbosity = o->verbosity,
		};

		memcpy(nc.extip, o->extip, 16);
		n = calloc(1, sizeof(*n));
		if (!n || getrandom(&nc.seed, sizeof(nc.seed), 0) != (ssize_t)sizeof(nc.seed) ||
		    node_init(n, &nc, loop_now())) {
			fprintf(stderr, "devplane node: discovery setup failed\n");
			free(n);
			n = NULL;
			goto out;
		}
		if (o->db)
			(void)node_load_seeds(n, loop_now());
		localnode_set_tcp(&n->ln, port);
		set_enr_eth(H, &n->ln);
		(void)localnode_update(&n->ln, loop_now());  /* tcp, eth in the ENR now */
		for (unsigned i = 0; i < o->n_bootnodes; i++)
			node_add_bootnode(n, &o->bootnodes[i]);
		H->disc = n->d;
		rc = node_enode(n, url, sizeof(url)) < 0;
	} else {
		struct enode e = { 0 };

		memcpy(e.pub, H->pub, 64);
		memcpy(e.ip, listen.addr, 16);
		e.kind = ENODE_HOST_IP4;
		if (!memcmp(listen.addr, any4, 16))
			e.ip[12] = 127, e.ip[15] = 1;
		e.tcp = port;
		e.udp = udp_port;
		rc = enode_format(url, sizeof(url), &e) < 0;
	}
	if (rc)
		goto out;
	H->node = n;
	H->chain = chain;
	memcpy(H->laddr, listen.addr, 16);
	snprintf(H->url, sizeof(H->url), "%s", url);
	if (o->ipcpath) {
		struct admin_provider ap = {
			.user = H, .node_info = adm_node_info,
			.peers = adm_peers, .add_peer = adm_add_peer,
			.remove_peer = adm_remove_peer,
		};

		rc = loop_admin_listen(l, o->ipcpath, &ap);
		if (rc) {
			fprintf(stderr, "devplane node: --ipcpath %s: %s\n",
				o->ipcpath, strerror(-rc));
			goto out;
		}
	}
	loop_set_rlpx(l, on_rlpx, H);
	loop_set_service(l, svc_deadline, svc_tick, H);
	if (!o->nodiscover && o->n_dns) {
		struct dnshost_cfg dc = {
			.urls = o->dns_urls, .n_urls = o->n_dns,
			.has_server = o->has_dns_server,
			.server_port = o->dns_server_port,
			.on_node = dns_candidate, .user = H,
			.verbosity = o->verbosity,
		};

		memcpy(dc.server, o->dns_server, 16);
		rc = dnshost_new(&dns, l, &dc, NULL);
		if (rc) {
			fprintf(stderr, "devplane node: DNS discovery: %s\n",
				strerror(-rc));
			goto out;
		}
	}
	printf("%s\n", url);
	fflush(stdout);
	if (o->verbosity >= 3) {
		if (loop_metrics_port(l))
			fprintf(stderr, "devplane: metrics on port %u\n",
				loop_metrics_port(l));
		fprintf(stderr, "devplane: dataplane pid %d, rings on %s\n",
			loop_dp_pid(l), loop_dp_pages(l));
	}
	rc = loop_run(l);
	print_stats(H, stderr);
	if (dns) {
		char line[512];

		fprintf(stderr, "%s\n", dnshost_format_stats(dns, line,
							     sizeof(line)));
	}
	status = rc < 0 ? 1 : 0;
out:
	dnshost_free(dns);
	if (l) {
		loop_set_service(l, NULL, NULL, NULL);
		loop_set_rlpx(l, NULL, NULL);
	}
	host_free(H);
	if (n) {
		node_fini(n);
		free(n);
	}
	loop_free(l);
	return status;
}

/* ---- devplane rlpx ping -------------------------------------------------- */

/* Waits until fd is readable (or writable) or the absolute deadline. */
static int wait_fd(int fd, short ev, uint64_t deadline)
{
	uint64_t now = loop_now();
	struct pollfd p = { .fd = fd, .events = ev };
	int rc;

	if (now >= deadline)
		return -ETIMEDOUT;
	rc = poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1);
	return rc > 0 ? 0 : rc == 0 ? -ETIMEDOUT : -errno;
}

static int read_exact(int fd, uint8_t *p, size_t len, uint64_t deadline)
{
	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int rc = wait_fd(fd, POLLIN, deadline);

			if (rc)
				return rc;
			continue;
		}
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void print_hello(const struct p2p_hello *h)
{
	char id[129];

	hex_encode(id, h->id, 64);
	printf("version %" PRIu64 "\nclient  %s\ncaps   ", h->version,
	       h->client_id);
	for (size_t i = 0; i < h->n_caps; i++)
		printf(" %s/%u", h->caps[i].name, h->caps[i].version);
	printf("\nport    %" PRIu64 "\nid      %s\n", h->listen_port, id);
}

static int rlpx_ping(const struct enode *e, const uint8_t priv[32],
		     uint64_t timeout_ns)
{
	static struct rlpx_hs hs;
	struct rlpx_secrets sec;
	struct rlpx_frame fr;
	struct p2p_hello *mine = calloc(1, sizeof(*mine));
	struct p2p_hello *theirs = calloc(1, sizeof(*theirs));
	uint8_t *buf = malloc(CTL_FRAME_MAX + 64), remote[64];
	uint64_t deadline = loop_now() + timeout_ns, code;
	struct rlp_item it;
	size_t fsz, out_len;
	ssize_t n;
	int fd = -1, rc;

	if (!mine || !theirs || !buf) {
		rc = -ENOMEM;
		goto out;
	}
	fd = loop_tcp_connect(e->ip, e->tcp);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = wait_fd(fd, POLLOUT, deadline);
	if (!rc)
		rc = loop_tcp_error(fd);
	if (rc)
		goto out;
	n = rlpx_hs_init_initiator(&hs, buf, RLPX_HS_OUT_MAX, priv, e->pub,
				   loop_now());
	if (n < 0 || (rc = ctl_write(fd, buf, (size_t)n))) {
		rc = n < 0 ? (int)n : rc;
		goto out;
	}
	while (rlpx_hs_state(&hs) != RLPX_HS_DONE) {
		uint8_t in[RLPX_AUTH_MAX_LEN];
		ssize_t c;

		n = recv(fd, in, sizeof(in), MSG_PEEK);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((rc = wait_fd(fd, POLLIN, deadline)))
				goto out;
			continue;
		}
		if (n <= 0) {
			rc = -ECONNRESET;
			goto out;
		}
		c = rlpx_hs_feed(&hs, NULL, 0, &out_len, in, (size_t)n,
				 loop_now());
		if (c < 0) {
			rc = (int)c;
			goto out;
		}
		if (c > 0 && (rc = read_exact(fd, in, (size_t)c, deadline)))
			goto out;
	}
	if ((rc = rlpx_hs_take(&hs, &sec, remote)) ||
	    (rc = rlpx_frame_init(&fr, &sec, 0))) {
		rlpx_secrets_wipe(&sec);
		goto out;
	}
	rlpx_secrets_wipe(&sec);
	mine->version = P2P_VERSION;
	mine->client_id_len = (size_t)p2p_client_id(mine->client_id,
						    sizeof(mine->client_id));
	for (uint32_t v = ETH_VERSION_MAX; v >= ETH_VERSION_MIN; v--) {
		strcpy(mine->caps[mine->n_caps].name, "eth");
		mine->caps[mine->n_caps++].version = v;
	}
	if (secp_pub_from_priv(mine->id, priv)) {
		rc = -EINVAL;
		goto out_fr;
	}
	n = p2p_hello_encode(buf, CTL_FRAME_MAX, mine);
	if (n < 0 || (rc = ctl_send_msg(&fr, fd, P2P_MSG_HELLO, buf,
					(size_t)n, false))) {
		rc = n < 0 ? (int)n : rc;
		goto out_fr;
	}
	if ((rc = read_exact(fd, buf, RLPX_FRAME_HEAD_LEN, deadline)))
		goto out_fr;
	n = rlpx_frame_open_header(&fr, &fsz, buf);
	if (n < 0 || fsz > CTL_FRAME_MAX) {
		rc = n < 0 ? (int)n : -EMSGSIZE;
		goto out_fr;
	}
	if ((rc = read_exact(fd, buf, (size_t)n, deadline)))
		goto out_fr;
	n = rlpx_frame_open_body(&fr, buf, CTL_FRAME_MAX + 64, buf, (size_t)n);
	if (n < 0) {
		rc = (int)n;
		goto out_fr;
	}
	fsz = (size_t)n;
	n = rlp_next(&it, buf, fsz);
	if (n < 0 || it.is_list || rlp_to_u64(&code, &it)) {
		rc = -EBADMSG;
		goto out_fr;
	}
	if (code == P2P_MSG_HELLO &&
	    p2p_hello_decode(theirs, buf + n, fsz - (size_t)n) > 0) {
		print_hello(theirs);
		rc = 0;
	} else if (code == P2P_MSG_DISCONNECT) {
		uint8_t reason = P2P_DISC_INVALID;

		p2p_disconnect_decode(&reason, buf + n, fsz - (size_t)n);
		printf("disconnect %u (%s)\n", reason,
		       p2p_disc_reason_name(reason));
		rc = -ECONNABORTED;
	} else {
		rc = -EBADMSG;
	}
	if (!rc)        /* leave politely, compressed as their Hello asks */
		ctl_disconnect_fr(&fr, fd, P2P_DISC_REQUESTED,
				  theirs->version >= P2P_SNAPPY_VERSION);
out_fr:
	rlpx_frame_fini(&fr);
out:
	rlpx_hs_fini(&hs);
	if (fd >= 0)
		close(fd);
	free(mine);
	free(theirs);
	free(buf);
	return rc;
}

int session_rlpx_ping(const struct enode *e, const uint8_t priv[32],
		      uint64_t timeout_ns)
{
	return rlpx_ping(e, priv, timeout_ns);
}

/* ---- probes (devplane crawl --rlpx) -------------------------------------- */

struct session_prober {
	struct host *H;
};

int session_prober_new(struct session_prober **out, struct loop *l,
		       const uint8_t priv[32],
		       const struct forkid_chain *chain,
		       session_probe_fn *done, void *user)
{
	struct session_prober *p;
	struct p2p_host_config hc = { 0 };
	struct server_cfg sc = { 0 };
	struct eth_config ec = { 0 };
	struct host *H;

	*out = NULL;
	if (!l || !priv || !chain || !loop_dplink(l))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	H = calloc(1, sizeof(*H));
	if (!p || !H)
		goto fail;
	H->loop = l;
	H->dp = loop_dplink(l);
	H->lfd = -1;
	H->probe = true;
	H->probe_done = done;
	H->probe_user = user;
	H->next_dial = UINT64_MAX;      /* no dial scheduler: probes only */
	H->next_stats = UINT64_MAX;
	memcpy(H->priv, priv, 32);
	if (secp_pub_from_priv(H->pub, priv))
		goto fail;
	hc.id = H->pub;
	hc.max_peers = 4096;
	hc.ops.send = op_send;
	hc.ops.close = op_close;
	hc.ops.on_hello = op_hello;
	hc.ops.on_active = op_active;
	hc.ops.on_closed = op_closed;
	hc.user = H;
	if (p2p_host_new(&H->h, &hc))
		goto fail;
	ec.chain = chain;
	ec.on_status = eth_status_cb;
	ec.user = H;
	if (eth_init(&H->eth, &ec) || eth_register(&H->eth, H->h))
		goto fail_h;
	/* The server's checks (self, duplicate) apply; its peer limit must
	 * not: every probe is a dialed peer, and only a third may be. */
	sc.self_id = H->pub;
	sc.max_peers = 3 * 4096;
	sc.max_pending = 1;
	if (server_init(&H->srv, &sc))
		goto fail_h;
	if (dial_init(&H->dl, H->pub, server_max_dialed(&H->srv), 0)) {
		server_fini(&H->srv);
		goto fail_h;
	}
	p->H = H;
	loop_set_rlpx(l, on_rlpx, H);
	loop_set_service(l, svc_deadline, svc_tick, H);
	*out = p;
	return 0;
fail_h:
	p2p_host_free(H->h);
fail:
	if (H)
		explicit_bzero(H->priv, sizeof(H->priv));
	free(H);
	free(p);
	return -ENOMEM;
}

void session_prober_free(struct session_prober *p)
{
	if (!p)
		return;
	loop_set_service(p->H->loop, NULL, NULL, NULL);
	loop_set_rlpx(p->H->loop, NULL, NULL);
	for (struct sess *s = p->H->list; s; s = s->next) {
		free(s->pr);            /* not reported */
		s->pr = NULL;
	}
	host_free(p->H);
	free(p);
}

int session_probe(struct session_prober *p, const uint8_t pub[P2P_ID_LEN],
		  const uint8_t ip[16], uint16_t tcp, uint64_t timeout_ns,
		  uint64_t now_ns)
{
	struct host *H = p->H;
	struct session_probe_result *r;
	struct sess *s;
	int fd;

	if (!tcp)
		return -EINVAL;
	for (s = H->list; s; s = s->next)
		if (s->pr && !memcmp(s->remote, pub, P2P_ID_LEN))
			return -EEXIST;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	memcpy(r->pub, pub, P2P_ID_LEN);
	memcpy(r->ip, ip, 16);
	r->tcp = tcp;
	r->disc_reason = P2P_DISC_NONE;
	r->started_ns = now_ns;
	fd = loop_tcp_connect(ip, tcp);
	if (fd < 0) {
		r->err = fd;
		r->finished_ns = now_ns;
		if (H->probe_done)
			H->probe_done(H->probe_user, r);
		free(r);
		return 0;
	}
	s = sess_new(H, fd, false, ip, tcp);
	if (!s) {
		close(fd);
		free(r);
		return -ENOMEM;
	}
	memcpy(s->remote, pub, P2P_ID_LEN);
	s->st = S_CONNECTING;
	s->pr = r;
	s->probe_deadline = now_ns + timeout_ns;
	s->deadline = s->probe_deadline;
	H->probes++;
	if (loop_fd_watch(H->loop, fd, EPOLLOUT, on_sess_io, H))
		sess_fail(H, s, -EBADF);
	reap(H, now_ns);
	return 0;
}

size_t session_probes_active(const struct session_prober *p)
{
	return p->H->probes;
}
