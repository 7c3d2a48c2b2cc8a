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
#include "control/host/dnshost.h"
#include "control/host/node.h"
#include "control/host/rlpxhost.h"
#include "control/rlpx/rlpxconn.h"

/* ---- devplane node ---------------------------------------------------------- */

struct nodehost {
	struct rlpxhost *rh;
	struct node *node;              /* discovery; NULL: --nodiscover */
	const struct forkid_chain *chain;
	uint8_t priv[32];
	char url[ENODE_URL_MAX + 1];
	uint8_t laddr[16];
	uint16_t port;
	int verbosity;
};

/* set_enr_eth() puts the fork id of our head in the ENR's "eth" entry
 * (enr-entries/eth.md: [[forkHash, forkNext]]), so discovery tells peers
 * which chain we serve before they dial. Call it again (then
 * localnode_update()) after eth_set_head() moved the head. */
static void set_enr_eth(const struct eth *eth, struct localnode *ln)
{
	uint8_t val[LOCALNODE_ETH_MAX];
	ssize_t len = eth_enr_entry(eth, val, sizeof(val));

	if (len < 0 || localnode_set_eth(ln, val, (size_t)len) < 0)
		fprintf(stderr, "devplane node: could not set the ENR eth entry\n");
}

static const struct kad_table *adm_table(void *user)
{
	struct nodehost *N = user;

	return N->node && N->node->d ? discv4_table(N->node->d) : NULL;
}

static int adm_node_info(void *user, struct admin_node_info *ni)
{
	struct nodehost *N = user;
	const struct sesshost *sh = rlpxhost_engine(N->rh);
	const struct eth *eth = sesshost_eth(sh);
	struct enode e;
	ssize_t n = -EINVAL;

	memcpy(ni->pub, sesshost_pub(sh), 64);
	p2p_client_id(ni->name, sizeof(ni->name));
	snprintf(ni->enode, sizeof(ni->enode), "%s", N->url);
	if (enode_parse(&e, N->url, strlen(N->url)))
		return -EINVAL;
	memcpy(ni->ip, e.ip, 16);
	ni->discovery = N->node ? e.udp : 0;
	ni->listener = N->port;
	memcpy(ni->listen_ip, N->laddr, 16);
	ni->listen_port = N->port;
	if (N->node) {
		n = enr_encode_text(ni->enr, sizeof(ni->enr),
				    localnode_record(&N->node->ln));
	} else {
		/* No discovery: a record of the listen endpoint anyway, as
		 * geth keeps one with --nodiscover. */
		struct localnode *ln = calloc(1, sizeof(*ln));

		if (!ln)
			return -ENOMEM;
		if (!localnode_init(ln, N->priv, 0, N->port, N->port)) {
			localnode_set_static_ip(ln, e.ip);
			set_enr_eth(eth, ln);
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
	ni->network = N->chain->network_id;
	memcpy(ni->genesis, N->chain->genesis, 32);
	memcpy(ni->head, eth->cfg.head_hash, 32);
	if (!memcmp(ni->head, (uint8_t[32]){ 0 }, 32))
		memcpy(ni->head, N->chain->genesis, 32);
	return 0;
}

struct peers_ctx {
	admin_peer_emit_fn *emit;
	void *ctx;
};

static void adm_peer(void *ctx, const struct sesshost_peer_info *p)
{
	const struct peers_ctx *pc = ctx;
	struct admin_peer_info pi;

	memset(&pi, 0, sizeof(pi));
	memcpy(pi.pub, p->pub, 64);
	pi.hello = p->hello;
	pi.shared = p->shared;
	pi.n_shared = p->n_shared;
	memcpy(pi.local_ip, p->local.ip, 16);
	pi.local_port = p->local.port;
	memcpy(pi.remote_ip, p->remote.ip, 16);
	pi.remote_port = p->remote.port;
	pi.inbound = p->inbound;
	pi.trusted = p->trusted;
	pi.is_static = p->is_static;
	pc->emit(pc->ctx, &pi);
}

static void adm_peers(void *user, admin_peer_emit_fn *emit, void *ctx)
{
	struct nodehost *N = user;
	struct peers_ctx pc = { .emit = emit, .ctx = ctx };

	sesshost_peers(rlpxhost_engine(N->rh), adm_peer, &pc);
}

static int adm_add_peer(void *user, const struct enode *e)
{
	struct nodehost *N = user;

	return sesshost_add_static(rlpxhost_engine(N->rh), e->pub, e->ip,
				   e->tcp);
}

/* Drops e from the static set and disconnects it (Requested). */
static int adm_remove_peer(void *user, const struct enode *e)
{
	struct nodehost *N = user;
	uint64_t now = loop_now();
	int rc;

	rc = sesshost_remove_peer(rlpxhost_engine(N->rh), e->pub, now);
	rlpxhost_flush(N->rh, now);
	return rc;
}

static int node_host_new(struct nodehost *N, struct loop *l,
			 const struct session_node_cfg *o, uint16_t port)
{
	struct rlpxhost_cfg rc = { .loop = l, .verbosity = o->verbosity };
	struct sesshost *sh;

	rc.engine.mode = SESSHOST_NODE;
	rc.engine.priv = o->priv;
	rc.engine.chain = o->chain;
	rc.engine.listen_port = port;
	rc.engine.max_peers = o->max_peers;
	rc.engine.max_pending = o->max_pending;
	rc.engine.netrestrict = o->loop.netrestrict;
	rc.engine.n_netrestrict = o->loop.n_netrestrict;
	if (rlpxhost_new(&N->rh, &rc))
		return -1;
	sh = rlpxhost_engine(N->rh);
	for (unsigned i = 0; i < o->n_trusted; i++)
		sesshost_add_trusted(sh, o->trusted[i].pub);
	for (unsigned i = 0; i < o->n_statics; i++)
		(void)sesshost_add_static(sh, o->statics[i].pub,
					  o->statics[i].ip, o->statics[i].tcp);
	memcpy(N->priv, o->priv, 32);
	N->port = port;
	N->chain = o->chain;
	return 0;
}

/* Discovery on the loop's socket 0, with our TCP port and fork id in the
 * record; writes our enode URL. */
static int node_discovery(struct nodehost *N, struct loop *l,
			  const struct session_node_cfg *o, char *url,
			  size_t cap)
{
	struct node_cfg nc = {
		.priv = o->priv, .loop = l, .idx = 0,
		.has_extip = o->has_extip, .db = o->db,
		.netrestrict = o->loop.netrestrict,
		.n_netrestrict = o->loop.n_netrestrict,
		.no_v4 = o->no_v4, .v5 = o->v5,
		.verbosity = o->verbosity,
	};
	struct node *n;

	memcpy(nc.extip, o->extip, 16);
	n = calloc(1, sizeof(*n));
	if (!n || getrandom(&nc.seed, sizeof(nc.seed), 0) !=
		  (ssize_t)sizeof(nc.seed) || node_init(n, &nc, loop_now())) {
		fprintf(stderr, "devplane node: discovery setup failed\n");
		free(n);
		return -1;
	}
	N->node = n;
	if (o->db)
		(void)node_load_seeds(n, loop_now());
	localnode_set_tcp(&n->ln, N->port);
	set_enr_eth(sesshost_eth(rlpxhost_engine(N->rh)), &n->ln);
	(void)localnode_update(&n->ln, loop_now());  /* tcp, eth in the ENR */
	for (unsigned i = 0; i < o->n_bootnodes; i++)
		node_add_bootnode(n, &o->bootnodes[i]);
	/* The dial scheduler's candidates come from the table. */
	rlpxhost_set_discovery(N->rh, n->d);
	return node_enode(n, url, cap) < 0 ? -1 : 0;
}

/* EIP-1459: a node of a DNS tree is a dial candidate, as geth mixes its
 * DNS iterators into the dialer's source (FairMix); it does not enter the
 * discovery table. */
static void dns_candidate(void *user, const struct dnsclient_node *dn,
			  uint64_t now)
{
	struct nodehost *N = user;
	uint8_t pub[64], ip[16];
	uint16_t tcp;

	if (dnshost_node_endpoint(&dn->enr, true, pub, ip, &tcp))
		return;
	(void)sesshost_add_candidate(rlpxhost_engine(N->rh), pub, ip, tcp,
				     now);
}

/* --nodiscover aside, the DNS trees' nodes become dial candidates. */
static int node_dns(struct nodehost *N, struct loop *l,
		    const struct session_node_cfg *o, struct dnshost **out)
{
	struct dnshost_cfg dc = {
		.urls = o->dns_urls, .n_urls = o->n_dns,
		.has_server = o->has_dns_server,
		.server_port = o->dns_server_port,
		.on_node = dns_candidate, .user = N,
		.verbosity = o->verbosity,
	};
	int rc;

	*out = NULL;
	if (o->nodiscover || !o->n_dns)
		return 0;
	memcpy(dc.server, o->dns_server, 16);
	rc = dnshost_new(out, l, &dc, NULL);
	if (rc)
		fprintf(stderr, "devplane node: DNS discovery: %s\n",
			strerror(-rc));
	return rc;
}

/* --nat: the record changed (external IP, mapped port): the URL too. */
static void node_publish(void *user, uint64_t now_ns)
{
	struct nodehost *N = user;

	(void)now_ns;
	if (!N->node || node_enode(N->node, N->url, sizeof(N->url)) < 0)
		return;
	printf("%s\n", N->url);
	fflush(stdout);
	if (N->verbosity >= 3)
		fprintf(stderr, "devplane: record seq %llu: %s\n",
			(unsigned long long)localnode_seq(&N->node->ln),
			N->url);
}

int session_node_run(const struct session_node_cfg *o)
{
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };
	struct nodehost N = { .verbosity = o->verbosity };
	struct nathost *nat = NULL;
	struct dnshost *dns = NULL;
	struct dplink_listen listen;
	struct loop_cfg lc;
	struct loop *l = NULL;
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
	if (node_host_new(&N, l, o, port)) {
		fprintf(stderr, "devplane node: cannot set up the RLPx host\n");
		close(lfd);
		goto out;
	}
	if (rlpxhost_listen(N.rh, lfd)) {
		fprintf(stderr, "devplane node: cannot watch the TCP listener\n");
		goto out;
	}
	if (!o->nodiscover) {
		if (node_discovery(&N, l, o, url, sizeof(url)))
			goto out;
	} else {
		struct enode e = { 0 };

		memcpy(e.pub, sesshost_pub(rlpxhost_engine(N.rh)), 64);
		memcpy(e.ip, listen.addr, 16);
		e.kind = ENODE_HOST_IP4;
		if (!memcmp(listen.addr, any4, 16))
			e.ip[12] = 127, e.ip[15] = 1;
		e.tcp = port;
		e.udp = udp_port;
		if (enode_format(url, sizeof(url), &e) < 0)
			goto out;
	}
	memcpy(N.laddr, listen.addr, 16);
	snprintf(N.url, sizeof(N.url), "%s", url);
	if (o->ipcpath) {
		struct admin_provider ap = {
			.user = &N, .node_info = adm_node_info,
			.peers = adm_peers, .add_peer = adm_add_peer,
			.remove_peer = adm_remove_peer,
			.discv4_table = adm_table,
		};

		rc = loop_admin_listen(l, o->ipcpath, &ap);
		if (rc) {
			fprintf(stderr, "devplane node: --ipcpath %s: %s\n",
				o->ipcpath, strerror(-rc));
			goto out;
		}
	}
	if (node_dns(&N, l, o, &dns))
		goto out;
	printf("%s\n", url);
	fflush(stdout);
	if (nathost_maps(o->nat.mech)) {
		struct nathost_cfg natc = o->nat;

		natc.loop = l;
		natc.ln = N.node ? &N.node->ln : NULL;
		natc.udp = N.node ? udp_port : 0;
		natc.tcp = port;
		natc.on_publish = node_publish;
		natc.user = &N;
		rc = nathost_start(&nat, &natc);
		if (rc) {
			fprintf(stderr, "devplane node: --nat %s: %s\n",
				natmap_mech_name(natc.mech), strerror(-rc));
			goto out;
		}
	}
	if (o->verbosity >= 3) {
		if (loop_metrics_port(l))
			fprintf(stderr, "devplane: metrics on port %u\n",
				loop_metrics_port(l));
		fprintf(stderr, "devplane: dataplane pid %d, rings on %s\n",
			loop_dp_pid(l), loop_dp_pages(l));
	}
	rc = loop_run(l);
	nathost_free(nat);      /* deletes the mappings (bounded) */
	nat = NULL;
	rlpxhost_print_stats(N.rh, stderr);
	if (dns) {
		char line[512];

		fprintf(stderr, "%s\n", dnshost_format_stats(dns, line,
							     sizeof(line)));
	}
	status = rc < 0 ? 1 : 0;
out:
	nathost_free(nat);
	dnshost_free(dns);
	rlpxhost_free(N.rh);
	if (N.node) {
		node_fini(N.node);
		free(N.node);
	}
	explicit_bzero(N.priv, sizeof(N.priv));
	loop_free(l);
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
