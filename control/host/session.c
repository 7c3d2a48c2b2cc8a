/* SPDX-License-Identifier: MIT */
/* control/host/session.c - the RLPx session host for the commands: devplane node (discovery, admin API), the crawler's probes, devplane rlpx ping. */
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

#include "common/escape.h"
#include "common/hex.h"
#include "common/rlp.h"
#include "common/secp.h"
#include "control/api/admin.h"
#include "control/api/pingsvc.h"
#include "control/host/devnode.h"
#include "control/host/dnshost.h"
#include "control/host/node.h"
#include "control/host/rlpxhost.h"
#include "control/rlpx/rlpxconn.h"

/* ---- devplane node ----------------------------------------------------------
 * Built on the protocol API like any node (control/api/devplane.h and its
 * host side control/host/devnode.h): eth and ping/1 are registered
 * through it; the command's extras (dataplane details, netrestrict, NAT,
 * the node database) go in struct devnode_opts. */

static void ping_added(void *user, const uint8_t *id, bool inbound)
{
	char x[17];

	(void)user;
	hex_encode(x, id, 8);
	x[16] = '\0';
	printf("event: added proto=ping peer=%s %s\n", x,
	       inbound ? "inbound" : "outbound");
	fflush(stdout);
}

static void ping_pong(void *user, const uint8_t *id, uint64_t ping_id,
		      uint64_t rtt_ns)
{
	char x[17];

	(void)user;
	hex_encode(x, id, 8);
	x[16] = '\0';
	printf("ping: pong peer=%s id=%" PRIu64 " rtt=%" PRIu64 "us\n", x,
	       ping_id, rtt_ns / 1000);
	fflush(stdout);
}

/* EIP-1459: a node of a DNS tree is a dial candidate, as geth mixes its
 * DNS iterators into the dialer's source (FairMix); it does not enter the
 * discovery table. */
static void dns_candidate(void *user, const struct dnsclient_node *dn,
			  uint64_t now)
{
	struct devplane *n = user;
	uint8_t pub[64], ip[16];
	uint16_t tcp;

	if (dnshost_node_endpoint(&dn->enr, true, pub, ip, &tcp))
		return;
	(void)sesshost_add_candidate(rlpxhost_engine(devnode_rlpxhost(n)),
				     pub, ip, tcp, now);
}

/* --nodiscover aside, the DNS trees' nodes become dial candidates. */
static int node_dns(struct devplane *n, const struct session_node_cfg *o,
		    struct dnshost **out)
{
	struct dnshost_cfg dc = {
		.urls = o->dns_urls, .n_urls = o->n_dns,
		.has_server = o->has_dns_server,
		.server_port = o->dns_server_port,
		.on_node = dns_candidate, .user = n,
		.verbosity = o->verbosity,
	};
	int rc;

	*out = NULL;
	if (o->nodiscover || !o->n_dns)
		return 0;
	memcpy(dc.server, o->dns_server, 16);
	rc = dnshost_new(out, devnode_loop(n), &dc, NULL);
	if (rc)
		fprintf(stderr, "devplane node: DNS discovery: %s\n",
			strerror(-rc));
	return rc;
}

/* The parsed nodes as URLs for struct devplane_config. */
static char **node_urls(const struct enode *e, unsigned n)
{
	char **v = calloc(n + 1, sizeof(*v));

	for (unsigned i = 0; v && i < n; i++) {
		char url[ENODE_URL_MAX + 1];

		if (enode_format(url, sizeof(url), &e[i]) < 0 ||
		    !(v[i] = strdup(url))) {
			for (unsigned k = 0; k < i; k++)
				free(v[k]);
			free(v);
			return NULL;
		}
	}
	return v;
}

static void urls_free(char **v, unsigned n)
{
	for (unsigned i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int session_node_run(const struct session_node_cfg *o)
{
	struct devnode_opts opts = {
		.loop = &o->loop, .exact_max_peers = true,
		.max_pending = o->max_pending, .has_extip = o->has_extip,
		.db = o->db, .nat = &o->nat, .print_url = true,
		.no_v4 = o->no_v4, .v5 = o->v5,
	};
	struct devplane_config dc = {
		.key = o->priv, .chain = o->chain, .max_peers = o->max_peers,
		.no_discovery = o->nodiscover, .ipc_path = o->ipcpath,
		.verbosity = o->verbosity,
	};
	struct pingsvc ps = { .on_added = ping_added, .on_pong = ping_pong };
	char **boot = node_urls(o->bootnodes, o->n_bootnodes);
	char **statics = node_urls(o->statics, o->n_statics);
	char **trusted = node_urls(o->trusted, o->n_trusted);
	struct devplane *n = NULL;
	struct dnshost *dns = NULL;
	char listen[INET6_ADDRSTRLEN + 10];
	int rc, status = 1;

	memcpy(opts.extip, o->extip, 16);
	if (!boot || !statics || !trusted)
		goto out;
	if (o->has_addr &&
	    admin_format_addr(listen, sizeof(listen), o->addr, o->port) > 0)
		dc.listen = listen;
	dc.bootnodes = (const char *const *)boot;
	dc.n_bootnodes = o->n_bootnodes;
	dc.static_nodes = (const char *const *)statics;
	dc.n_static_nodes = o->n_statics;
	dc.trusted_nodes = (const char *const *)trusted;
	dc.n_trusted_nodes = o->n_trusted;
	rc = devnode_new(&n, &dc, &opts);
	if (rc) {
		fprintf(stderr, "devplane node: %s%s%s\n",
			o->loop.attach_path ? "dataplane " : "",
			o->loop.attach_path ? o->loop.attach_path : "",
			strerror(-rc));
		goto out;
	}
	rc = devplane_register_eth(n);
	if (!rc)
		rc = pingsvc_register(&ps, n);
	if (rc) {
		fprintf(stderr, "devplane node: protocols: %s\n",
			strerror(-rc));
		goto out;
	}
	if (o->has_head) {
		rc = devplane_set_head(n, o->head_number, o->head_time,
				       o->head_hash);
		if (rc < 0) {
			fprintf(stderr, "devplane node: --head: %s\n",
				strerror(-rc));
			goto out;
		}
	}
	rc = devplane_start(n);         /* prints the enode URL */
	if (rc) {
		fprintf(stderr, "devplane node: start%s%s: %s\n",
			o->ipcpath ? " (--ipcpath " : "",
			o->ipcpath ? o->ipcpath : "", strerror(-rc));
		goto out;
	}
	if (node_dns(n, o, &dns))
		goto out;
	if (o->verbosity >= 3) {
		struct loop *l = devnode_loop(n);

		if (loop_metrics_port(l))
			fprintf(stderr, "devplane: metrics on port %u\n",
				loop_metrics_port(l));
		fprintf(stderr, "devplane: dataplane pid %d, rings on %s\n",
			loop_dp_pid(l), loop_dp_pages(l));
	}
	rc = devplane_run(n);
	rlpxhost_print_stats(devnode_rlpxhost(n), stderr);
	if (dns) {
		char line[512];

		fprintf(stderr, "%s\n", dnshost_format_stats(dns, line,
							     sizeof(line)));
	}
	status = rc < 0 ? 1 : 0;
out:
	dnshost_free(dns);      /* before the node's loop goes */
	devplane_free(n);
	urls_free(boot, o->n_bootnodes);
	urls_free(statics, o->n_statics);
	urls_free(trusted, o->n_trusted);
	return status;
}

/* ---- probes (devplane crawl --rlpx) ---------------------------------------- */

struct session_prober {
	struct rlpxhost *rh;
};

int session_prober_new(struct session_prober **out, struct loop *l,
		       const uint8_t priv[32],
		       const struct forkid_chain *chain,
		       session_probe_fn *done, void *user)
{
	struct rlpxhost_cfg rc = { .loop = l, .probe_done = done,
				   .probe_user = user };
	struct session_prober *p;
	int err;

	*out = NULL;
	if (!l || !priv || !chain || !loop_dplink(l))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	rc.engine.mode = SESSHOST_PROBE;
	rc.engine.priv = priv;
	rc.engine.chain = chain;
	err = rlpxhost_new(&p->rh, &rc);
	if (err) {
		free(p);
		return err == -EINVAL ? -EINVAL : -ENOMEM;
	}
	*out = p;
	return 0;
}

void session_prober_free(struct session_prober *p)
{
	if (!p)
		return;
	rlpxhost_free(p->rh);           /* probes in flight: not reported */
	free(p);
}

int session_probe(struct session_prober *p, const uint8_t pub[P2P_ID_LEN],
		  const uint8_t ip[16], uint16_t tcp, uint64_t timeout_ns,
		  uint64_t now_ns)
{
	int rc = sesshost_probe(rlpxhost_engine(p->rh), pub, ip, tcp,
				timeout_ns, now_ns);

	/* A connect that fails at once reports from in here. */
	rlpxhost_flush(p->rh, now_ns);
	return rc;
}

size_t session_probes_active(const struct session_prober *p)
{
	struct sesshost_stats st;

	sesshost_get_stats(rlpxhost_engine(p->rh), &st);
	return st.probes;
}

/* ---- devplane rlpx ping -------------------------------------------------------
 * A blocking one-shot client, not on the event loop: the connection's
 * control phase is the same rlpxconn the session host drives; only the
 * waiting (poll with a deadline) is its own. */

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

/* Writes everything c queued before the deadline. */
static int ping_flush(struct rlpxconn *c, int fd, uint64_t deadline)
{
	const uint8_t *p;
	size_t n;
	int rc;

	while ((n = rlpxconn_out(c, &p))) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rc = wait_fd(fd, POLLOUT, deadline);
			if (rc)
				return rc;
			continue;
		}
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		rlpxconn_out_done(c, (size_t)w);
	}
	return 0;
}

static void ping_print_hello(const struct p2p_hello *h)
{
	char id[129], client[ESCAPE_BUF_LEN(P2P_CLIENT_ID_MAX)];

	hex_encode(id, h->id, 64);
	escape_bytes(client, sizeof(client), h->client_id, h->client_id_len);
	printf("version %" PRIu64 "\nclient  %s\ncaps   ", h->version, client);
	for (size_t i = 0; i < h->n_caps; i++) {
		char name[ESCAPE_BUF_LEN(P2P_CAP_NAME_MAX)];

		escape_bytes(name, sizeof(name), h->caps[i].name,
			     strlen(h->caps[i].name));
		printf(" %s/%u", name, h->caps[i].version);
	}
	printf("\nport    %" PRIu64 "\nid      %s\n", h->listen_port, id);
}

/* Our Hello: p2p 5, eth/68 and eth/69, no listening port. */
static int ping_hello(struct rlpxconn *c, const uint8_t priv[32])
{
	struct p2p_hello *mine = calloc(1, sizeof(*mine));
	uint8_t buf[1024];
	ssize_t n;
	int rc;

	if (!mine)
		return -ENOMEM;
	mine->version = P2P_VERSION;
	mine->client_id_len = (size_t)p2p_client_id(mine->client_id,
						    sizeof(mine->client_id));
	for (uint32_t v = ETH_VERSION_MAX; v >= ETH_VERSION_MIN; v--) {
		strcpy(mine->caps[mine->n_caps].name, "eth");
		mine->caps[mine->n_caps++].version = v;
	}
	rc = secp_pub_from_priv(mine->id, priv) ? -EINVAL : 0;
	n = rc ? rc : p2p_hello_encode(buf, sizeof(buf), mine);
	if (n >= 0)
		rc = rlpxconn_send(c, P2P_MSG_HELLO, buf, (size_t)n, false);
	free(mine);
	return n < 0 ? (int)n : rc;
}

/* The remote's first message after the handshake: its Hello (printed;
 * then we leave politely, compressed as its Hello asks) or a Disconnect.
 * Returns 0, -ECONNABORTED (Disconnect) or -EBADMSG. */
static int ping_answer(struct rlpxconn *c, const struct rlpxconn_msg *m)
{
	struct p2p_hello *theirs = calloc(1, sizeof(*theirs));
	uint8_t reason = P2P_DISC_INVALID, p[8];
	int rc = -EBADMSG;
	ssize_t n;

	if (!theirs)
		return -ENOMEM;
	if (m->code == P2P_MSG_HELLO &&
	    p2p_hello_decode(theirs, m->payload, m->len) > 0) {
		ping_print_hello(theirs);
		n = p2p_disconnect_encode(p, sizeof(p), P2P_DISC_REQUESTED);
		if (n > 0)
			(void)rlpxconn_send(c, P2P_MSG_DISCONNECT, p,
					    (size_t)n, theirs->version >=
					    P2P_SNAPPY_VERSION);
		rc = 0;
	} else if (m->code == P2P_MSG_DISCONNECT) {
		p2p_disconnect_decode(&reason, m->payload, m->len);
		printf("disconnect %u (%s)\n", reason,
		       p2p_disc_reason_name(reason));
		rc = -ECONNABORTED;
	}
	free(theirs);
	return rc;
}

int session_rlpx_ping(const struct enode *e, const uint8_t priv[32],
		      uint64_t timeout_ns)
{
	uint64_t deadline = loop_now() + timeout_ns;
	struct rlpxconn *c = calloc(1, sizeof(*c));
	uint8_t *buf = malloc(RLPXCONN_FRAME_MAX);
	int fd = -1, rc = 1;            /* 1: no answer yet */

	if (!c || !buf) {
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
	if (!rc)
		rc = rlpxconn_dial(c, priv, e->pub, 0, loop_now());
	if (rc)
		goto out;
	rc = 1;
	while (rc == 1) {
		ssize_t n, used;
		size_t off = 0;

		rc = ping_flush(c, fd, deadline);
		if (rc)
			break;
		rc = 1;
		n = recv(fd, buf, RLPXCONN_FRAME_MAX, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			rc = wait_fd(fd, POLLIN, deadline);
			rc = rc ? rc : 1;
			continue;
		}
		if (n <= 0) {
			rc = n < 0 ? -errno : -ECONNRESET;
			break;
		}
		while (rc == 1 && off < (size_t)n) {
			enum rlpxconn_event ev;
			struct rlpxconn_msg m;

			used = rlpxconn_feed(c, &ev, &m, buf + off,
					     (size_t)n - off, loop_now());
			if (used < 0) {
				rc = (int)used;
				break;
			}
			off += (size_t)used;
			if (ev == RLPXCONN_EV_HANDSHAKE) {
				rc = ping_hello(c, priv);
				if (!rc)
					rc = 1;
			} else if (ev == RLPXCONN_EV_MSG) {
				rc = ping_answer(c, &m);
			}
		}
	}
	if (!rc)
		(void)ping_flush(c, fd, deadline);      /* our Disconnect */
out:
	if (c)
		rlpxconn_fini(c);
	if (fd >= 0)
		close(fd);
	free(c);
	free(buf);
	return rc;
}
