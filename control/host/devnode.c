/* SPDX-License-Identifier: MIT */
/* control/host/devnode.c - the node behind control/api/devplane.h: set-up, the loop, threads, peer events, services, the admin provider. */
#include "control/host/devnode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/secp.h"
#include "control/base/netutil.h"
#include "control/base/nodearg.h"
#include "control/rlpx/forkid.h"

#define MS 1000000ull

/* ---- small helpers ------------------------------------------------------ */

/* "IP:PORT" or "[IPv6]:PORT". */
static int parse_listen(uint8_t addr[16], uint16_t *port, const char *s)
{
	const char *colon, *ip = s;
	size_t iplen;
	char *end;
	unsigned long p;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		ip = s + 1;
		iplen = (size_t)(rb - ip);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		iplen = (size_t)(colon - s);
	}
	if (netutil_addr_parse(addr, ip, iplen))
		return -EINVAL;
	p = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/* Parses n URLs (enode or enr; IP hosts only) into a new array. */
static int parse_nodes(struct enode **out, const char *const *urls, size_t n)
{
	struct enode *v;

	*out = NULL;
	if (!n)
		return 0;
	if (!urls)
		return -EINVAL;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!urls[i] || nodearg_parse(&v[i], urls[i]) ||
		    v[i].kind == ENODE_HOST_NAME) {
			free(v);
			return -EINVAL;
		}
	}
	*out = v;
	return 0;
}



/* ---- the loop service: timers, send-to-id, completions ------------------ */

void devnode_soon(struct devplane *n)
{
	n->soon = true;
}

void devnode_flush(struct devplane *n)
{
	/* Never from inside the engine (a protocol handler): the host
	 * carries out the actions when the engine call returns. */
	if (!n->depth && n->rh)
		rlpxhost_flush(n->rh, loop_now());
}

int devnode_done_later(struct devplane *n, devplane_done_fn *fn, void *arg,
		       int err)
{
	struct devnode_done *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->fn = fn;
	d->arg = arg;
	d->err = err;
	*n->dones_tail = d;
	n->dones_tail = &d->next;
	n->soon = true;
	return 0;
}

static void run_dones(struct devplane *n)
{
	struct devnode_done *d = n->dones;

	n->dones = NULL;
	n->dones_tail = &n->dones;
	while (d) {
		struct devnode_done *next = d->next;

		if (d->fn)
			d->fn(d->arg, d->err);
		free(d);
		d = next;
	}
}

static uint64_t svc_deadline(void *user)
{
	struct devplane *n = user;
	uint64_t d = sendid_next_deadline(&n->sid);

	if (n->soon)
		return 0;
	if (n->timers && n->timers->at < d)
		d = n->timers->at;
	return d;
}

static void svc_tick(void *user, uint64_t now)
{
	struct devplane *n = user;
	struct devnode_timer *due = NULL, **tail = &due;

	n->soon = false;
	/* Timers due now; the ones they set run at a later tick. */
	while (n->timers && n->timers->at <= now) {
		struct devnode_timer *t = n->timers;

		n->timers = t->next;
		t->next = NULL;
		*tail = t;
		tail = &t->next;
	}
	while (due) {
		struct devnode_timer *t = due;

		due = t->next;
		t->fn(n, t->arg);
		free(t);
	}
	sendid_tick(&n->sid, now);
	devnode_sendid_run(n, now);
	run_dones(n);
	devnode_flush(n);
}

int devplane_after(struct devplane *n, uint32_t delay_ms,
		   devplane_call_fn *fn, void *arg)
{
	struct devnode_timer *t, **pp;

	if (!fn)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->at = loop_now() + (uint64_t)delay_ms * MS;
	t->fn = fn;
	t->arg = arg;
	for (pp = &n->timers; *pp && (*pp)->at <= t->at;)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	if (!delay_ms)
		n->soon = true;
	return 0;
}

/* ---- any thread: posts and stop ----------------------------------------- */

static void on_wake(void *user, int fd, uint32_t ev, uint64_t now)
{
	struct devplane *n = user;
	struct devnode_timer *p;
	uint64_t v;

	(void)ev;
	(void)now;
	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: a wake-up already read; look anyway. */
	}
	pthread_mutex_lock(&n->mu);
	p = n->posts;
	n->posts = NULL;
	n->posts_tail = &n->posts;
	pthread_mutex_unlock(&n->mu);
	while (p) {
		struct devnode_timer *next = p->next;

		p->fn(n, p->arg);
		free(p);
		p = next;
	}
	if (atomic_exchange(&n->stop_req, false))
		loop_stop(n->loop, 0);
	devnode_flush(n);
}

static void wake(struct devplane *n)
{
	uint64_t one = 1;

	if (write(n->efd, &one, sizeof(one)) < 0) {
		/* The counter is full: a wake-up is pending anyway. */
	}
}

void devplane_stop(struct devplane *n)
{
	atomic_store(&n->stop_req, true);
	wake(n);
}

int devplane_post(struct devplane *n, devplane_call_fn *fn, void *arg)
{
	struct devnode_timer *p;

	if (!fn)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_lock(&n->mu);
	*n->posts_tail = p;
	n->posts_tail = &p->next;
	pthread_mutex_unlock(&n->mu);
	wake(n);
	return 0;
}

/* ---- services ----------------------------------------------------------- */

int devplane_register_service(struct devplane *n,
			      const struct devplane_service *svc)
{
	if (!svc || !svc->name)
		return -EINVAL;
	if (n->started)
		return -EBUSY;
	if (n->n_svcs == DEVNODE_SERVICES_MAX)
		return -ENOSPC;
	n->svcs[n->n_svcs++] = *svc;
	return 0;
}

static void stop_services(struct devplane *n)
{
	while (n->n_svcs_started) {
		struct devplane_service *s = &n->svcs[--n->n_svcs_started];

		if (s->stop)
			s->stop(n, s->user);
	}
}

/* ---- set-up ------------------------------------------------------------- */

const struct forkid_chain *devplane_chain(const char *name)
{
	return name ? forkid_chain_by_name(name) : NULL;
}

/* The loop's dataplane from cfg.dataplane. */
static int dataplane_cfg(struct loop_cfg *lc, const char *dp)
{
	if (!dp || !strcmp(dp, "socket"))
		return 0;
	if (!strncmp(dp, "attach:", 7) && dp[7]) {
		lc->attach_path = dp + 7;
		return 0;
	}
	if ((!strncmp(dp, "xdp:", 4) && dp[4]) || !strcmp(dp, "dpdk") ||
	    (!strncmp(dp, "dpdk:", 5) && dp[5])) {
		lc->backend = dp;
		return 0;
	}
	return -EINVAL;
}

/* Discovery on the loop's socket 0, with our TCP port in the record. */
static int discovery_new(struct devplane *n, const struct devplane_config *c,
			 const struct devnode_opts *o,
			 const struct loop_cfg *lc, const struct enode *boot,
			 size_t n_boot)
{
	struct node_cfg nc = {
		.priv = n->priv, .loop = n->loop, .idx = 0,
		.has_extip = o->has_extip, .db = o->db,
		.netrestrict = lc->netrestrict,
		.n_netrestrict = lc->n_netrestrict,
		.no_v4 = o->no_v4, .v5 = o->v5,
		.verbosity = c->verbosity,
	};
	struct node *d = calloc(1, sizeof(*d));
	int rc;

	memcpy(nc.extip, o->extip, 16);
	if (!d)
		return -ENOMEM;
	if (getrandom(&nc.seed, sizeof(nc.seed), 0) != (ssize_t)sizeof(nc.seed))
		nc.seed = loop_now();
	rc = node_init(d, &nc, loop_now());
	if (rc) {
		free(d);
		return rc;
	}
	n->disc = d;
	if (o->db)
		(void)node_load_seeds(d, loop_now());
	localnode_set_tcp(&d->ln, n->port);
	(void)localnode_update(&d->ln, loop_now());
	for (size_t i = 0; i < n_boot; i++)
		(void)node_add_bootnode(d, &boot[i]);
	/* The dial scheduler's candidates come from the table. */
	rlpxhost_set_discovery(n->rh, d->d);
	return node_enode(d, n->url, sizeof(n->url)) < 0 ? -EINVAL : 0;
}

/* --nodiscover: the URL of the TCP endpoint (loopback for a wildcard). */
static int plain_url(struct devplane *n)
{
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };
	struct enode e = { 0 };

	memcpy(e.pub, n->pub, 64);
	memcpy(e.ip, n->laddr, 16);
	e.kind = netutil_addr_is_v4(n->laddr) ? ENODE_HOST_IP4 :
		 ENODE_HOST_IP6;
	if (!memcmp(n->laddr, any4, 16))
		e.ip[12] = 127, e.ip[15] = 1;
	e.tcp = n->port;
	e.udp = n->udp_port;
	return enode_format(n->url, sizeof(n->url), &e) < 0 ? -EINVAL : 0;
}

static int host_new(struct devplane *n, const struct devplane_config *c,
		    const struct devnode_opts *o, const struct loop_cfg *lc)
{
	struct rlpxhost_cfg rc = {
		.loop = n->loop, .verbosity = c->verbosity,
		.on_event = devnode_on_engine_event, .event_user = n,
	};
	int err;

	rc.engine.mode = SESSHOST_NODE;
	rc.engine.priv = n->priv;
	rc.engine.chain = n->chain;
	rc.engine.listen_port = n->port;
	rc.engine.max_peers = c->max_peers || o->exact_max_peers ?
			      c->max_peers : 50;
	rc.engine.max_pending = o->max_pending;
	rc.engine.netrestrict = lc->netrestrict;
	rc.engine.n_netrestrict = lc->n_netrestrict;
	rc.engine.external_protos = true;
	rc.engine.msg_events = c->msg_events;
	err = rlpxhost_new(&n->rh, &rc);
	if (err)
		return err;
	n->sh = rlpxhost_engine(n->rh);
	return 0;
}

int devnode_new(struct devplane **out, const struct devplane_config *c,
		const struct devnode_opts *opts)
{
	static const struct devnode_opts none;
	const struct devnode_opts *o = opts ? opts : &none;
	struct enode *boot = NULL, *trusted = NULL;
	struct dplink_listen listen;
	struct loop_cfg lc;
	uint8_t gkey[SIPHASH_KEY_LEN];
	struct devplane *n;
	uint16_t port;
	int rc;

	*out = NULL;
	if (!c || secp_init())
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->lfd = n->efd = -1;
	n->dones_tail = &n->dones;
	n->posts_tail = &n->posts;
	pthread_mutex_init(&n->mu, NULL);
	sendid_init(&n->sid, DEVPLANE_SENDS_MAX);
	n->verbosity = c->verbosity;
	n->msg_events = c->msg_events;
	n->print_url = o->print_url;
	n->chain = c->chain ? c->chain : forkid_chain_by_name("mainnet");
	rc = c->key ? 0 : secp_priv_generate(n->priv);
	if (c->key)
		memcpy(n->priv, c->key, DEVPLANE_KEY_LEN);
	if (rc || secp_pub_from_priv(n->pub, n->priv)) {
		rc = -EINVAL;
		goto fail;
	}
	memset(&listen, 0, sizeof(listen));
	listen.addr[10] = listen.addr[11] = 0xff;       /* 0.0.0.0:0 */
	if (c->listen && parse_listen(listen.addr, &port, c->listen)) {
		rc = -EINVAL;
		goto fail;
	}
	listen.port_be = c->listen ? htons(port) : 0;
	rc = parse_nodes(&boot, c->bootnodes, c->n_bootnodes);
	if (!rc)
		rc = parse_nodes(&n->statics, c->static_nodes,
				 c->n_static_nodes);
	if (!rc)
		rc = parse_nodes(&trusted, c->trusted_nodes,
				 c->n_trusted_nodes);
	if (rc)
		goto fail;
	n->n_statics = c->n_static_nodes;
	if (c->ipc_path && !(n->ipc_path = strdup(c->ipc_path))) {
		rc = -ENOMEM;
		goto fail;
	}
	if (o->loop) {
		lc = *o->loop;
	} else {
		memset(&lc, 0, sizeof(lc));
		lc.verbosity = c->verbosity;
		if (dataplane_cfg(&lc, c->dataplane)) {
			rc = -EINVAL;
			goto fail;
		}
	}
	lc.listen = &listen;
	lc.n_listen = 1;
	rc = loop_new(&n->loop, &lc);
	if (rc)
		goto fail;
	/* Discovery gets the UDP port the dataplane bound; RLPx listens on
	 * TCP at the same address and port, as geth does. An attached
	 * dataplane chose its address with its own --listen: TCP follows
	 * it, unless the config names the address. */
	n->udp_port = loop_listen_port(n->loop, 0);
	port = n->udp_port;
	if (lc.attach_path && !c->listen)
		loop_listen_addr(n->loop, 0, listen.addr);
	else if (lc.attach_path)
		port = ntohs(listen.port_be);
	rc = loop_tcp_listen(listen.addr, port, &n->port);
	if (rc < 0)
		goto fail;
	n->lfd = rc;
	memcpy(n->laddr, listen.addr, 16);
	rc = host_new(n, c, o, &lc);
	if (rc)
		goto fail;
	for (size_t i = 0; i < c->n_trusted_nodes; i++)
		(void)sesshost_add_trusted(n->sh, trusted[i].pub);
	rc = c->no_discovery ? plain_url(n) :
	     discovery_new(n, c, o, &lc, boot, c->n_bootnodes);
	if (rc)
		goto fail;
	if (getrandom(gkey, sizeof(gkey), 0) != (ssize_t)sizeof(gkey)) {
		rc = -EIO;
		goto fail;
	}
	rc = gossip_seen_init(&n->seen, c->gossip_cache,
			      (uint64_t)c->gossip_expiry_ms * MS, gkey);
	explicit_bzero(gkey, sizeof(gkey));
	if (rc)
		goto fail;
	devnode_protos_init(n);
	n->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->efd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = loop_fd_watch(n->loop, n->efd, EPOLLIN, on_wake, n);
	if (!rc)
		rc = loop_add_service(n->loop, svc_deadline, svc_tick, n);
	if (rc)
		goto fail;
	if (o->nat && nathost_maps(o->nat->mech)) {
		n->nat_cfg = *o->nat;
		n->nat_on = true;
	}
	free(boot);
	free(trusted);
	*out = n;
	return 0;
fail:
	free(boot);
	free(trusted);
	devplane_free(n);
	return rc;
}

int devplane_new(struct devplane **out, const struct devplane_config *cfg)
{
	return devnode_new(out, cfg, NULL);
}

/* --nat: the record changed (external IP, mapped port): the URL too. */
static void on_publish(void *user, uint64_t now_ns)
{
	struct devplane *n = user;

	(void)now_ns;
	if (!n->disc || node_enode(n->disc, n->url, sizeof(n->url)) < 0)
		return;
	if (n->print_url) {
		printf("%s\n", n->url);
		fflush(stdout);
	}
	if (n->verbosity >= 3)
		fprintf(stderr, "devplane: record seq %" PRIu64 ": %s\n",
			localnode_seq(&n->disc->ln), n->url);
}

int devplane_start(struct devplane *n)
{
	int rc;

	if (n->started)
		return -EALREADY;
	for (; n->n_svcs_started < n->n_svcs; n->n_svcs_started++) {
		struct devplane_service *s = &n->svcs[n->n_svcs_started];

		rc = s->start ? s->start(n, s->user) : 0;
		if (rc) {
			if (n->verbosity >= 1)
				fprintf(stderr, "devplane: service %s: %s\n",
					s->name, strerror(-rc));
			stop_services(n);
			return rc;
		}
	}
	n->started = true;
	rc = rlpxhost_listen(n->rh, n->lfd);    /* closes lfd on failure */
	n->lfd = -1;
	if (rc)
		return rc;
	for (size_t i = 0; i < n->n_statics; i++)
		(void)sesshost_add_static(n->sh, n->statics[i].pub,
					  n->statics[i].ip,
					  n->statics[i].tcp);
	if (n->disc && sesshost_eth_registered(n->sh)) {
		devnode_set_enr_eth(sesshost_eth(n->sh), &n->disc->ln);
		(void)localnode_update(&n->disc->ln, loop_now());
		(void)node_enode(n->disc, n->url, sizeof(n->url));
	}
	if (n->ipc_path) {
		struct admin_provider ap;

		devnode_admin_provider(n, &ap);
		rc = loop_admin_listen(n->loop, n->ipc_path, &ap);
		if (rc)
			return rc;
	}
	if (n->print_url) {
		printf("%s\n", n->url);
		fflush(stdout);
	}
	if (n->nat_on) {
		struct nathost_cfg nc = n->nat_cfg;

		nc.loop = n->loop;
		nc.ln = n->disc ? &n->disc->ln : NULL;
		nc.udp = n->disc ? n->udp_port : 0;
		nc.tcp = n->port;
		nc.on_publish = on_publish;
		nc.user = n;
		rc = nathost_start(&n->nat, &nc);
		if (rc)
			return rc;
	}
	devnode_flush(n);
	return 0;
}

/* ---- driving the loop --------------------------------------------------- */

static void enter(struct devplane *n)
{
	n->tid = pthread_self();
	atomic_store(&n->running, true);
}

static void leave(struct devplane *n)
{
	atomic_store(&n->running, false);
}

int devplane_run(struct devplane *n)
{
	int rc = n->started ? 0 : devplane_start(n);

	if (rc)
		return rc;
	enter(n);
	rc = loop_run(n->loop);
	leave(n);
	return rc;
}

int devplane_poll(struct devplane *n, int timeout_ms)
{
	int rc = n->started ? 0 : devplane_start(n);

	if (rc)
		return rc;
	enter(n);
	rc = loop_run_once(n->loop, timeout_ms);   /* 1: once per stop */
	leave(n);
	return rc;
}

int devplane_fd(const struct devplane *n)
{
	return loop_fd(n->loop);
}

/* ---- accessors ---------------------------------------------------------- */

uint64_t devplane_now_ns(void)
{
	return loop_now();
}

const uint8_t *devplane_id(const struct devplane *n)
{
	return n->pub;
}

const char *devplane_enode(const struct devplane *n)
{
	return n->url;
}

uint16_t devplane_port(const struct devplane *n)
{
	return n->port;
}

size_t devplane_peer_count(const struct devplane *n)
{
	size_t k = 0;

	for (const struct devnode_peer *p = n->peers; p; p = p->next)
		k++;
	return k;
}

size_t devplane_table_size(const struct devplane *n)
{
	return n->disc && n->disc->d ? discv4_table_size(n->disc->d) : 0;
}

struct loop *devnode_loop(const struct devplane *n)
{
	return n->loop;
}

struct rlpxhost *devnode_rlpxhost(const struct devplane *n)
{
	return n->rh;
}

struct node *devnode_discovery(const struct devplane *n)
{
	return n->disc;
}

/* ---- teardown ----------------------------------------------------------- */

void devplane_free(struct devplane *n)
{
	if (!n)
		return;
	n->freeing = true;
	stop_services(n);
	/* Pending sends end here, callbacks included. */
	sendid_cancel_all(&n->sid, -ECANCELED);
	devnode_sendid_run(n, loop_now());
	run_dones(n);
	nathost_free(n->nat);           /* deletes the mappings (bounded) */
	rlpxhost_free(n->rh);           /* peers: client quitting, silently */
	if (n->disc) {
		node_fini(n->disc);     /* lookups in flight end here */
		free(n->disc);
	}
	if (n->lfd >= 0)
		close(n->lfd);
	if (n->efd >= 0) {
		if (n->loop)
			loop_fd_unwatch(n->loop, n->efd);
		close(n->efd);
	}
	if (n->loop)
		loop_del_service(n->loop, n);
	devnode_protos_fini(n);
	gossip_seen_fini(&n->seen);
	sendid_fini(&n->sid);
	while (n->subs) {
		struct devplane_sub *s = n->subs;

		n->subs = s->next;
		free(s);
	}
	while (n->peers) {
		struct devnode_peer *p = n->peers;

		n->peers = p->next;
		free(p);
	}
	while (n->timers) {
		struct devnode_timer *t = n->timers;

		n->timers = t->next;
		free(t);
	}
	while (n->posts) {
		struct devnode_timer *t = n->posts;

		n->posts = t->next;
		free(t);
	}
	run_dones(n);                   /* none left, in practice */
	loop_free(n->loop);
	pthread_mutex_destroy(&n->mu);
	free(n->statics);
	free(n->ipc_path);
	explicit_bzero(n->priv, sizeof(n->priv));
	free(n);
}
