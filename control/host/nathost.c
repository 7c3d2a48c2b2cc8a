/* SPDX-License-Identifier: MIT */
/* control/host/nathost.c - NAT port mapping for a running node: the natmap
 * engine on the event loop, miniupnpc and libnatpmp on worker threads. */
#include "control/host/nathost.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#include <natpmp.h>

#include "control/base/netutil.h"

#define WQ_CAP     NATMAP_MAX_INFLIGHT  /* requests queued per worker */
#define RES_CAP    (2 * NATMAP_MAX_INFLIGHT)
#define INFO_LEN   160
#define UPNP_ERR_CONFLICT        718    /* ConflictInMappingEntry */
#define UPNP_ERR_PERMANENT_ONLY  725    /* OnlyPermanentLeasesSupported */
#define UPNP_ERR_NO_SUCH_ENTRY   714    /* NoSuchEntryInArray */
#define UPNP_ERR_INVALID_ACTION  401    /* no such action */
#define UPNP_ERR_NOT_IMPLEMENTED 602    /* optional action missing */

enum { W_UPNP = 0, W_PMP = 1, W_COUNT };

struct worker {
	struct nathost *h;
	enum natmap_mech mech;
	pthread_t th;
	bool started, joined;
	bool quit;                      /* under h->mu */
	pthread_cond_t cv;
	struct natmap_req q[WQ_CAP];    /* under h->mu */
	unsigned qh, qn;
	char info[INFO_LEN];            /* what was found, under h->mu */
	/* Owned by the worker thread. */
	bool upnp_ok;
	struct UPNPUrls urls;
	struct IGDdatas data;
	char lanaddr[64];
	bool pmp_open;
	natpmp_t pmp;
};

struct nathost {
	struct nathost_cfg cfg;
	struct natmap m;
	int efd;
	bool stopped, watching, has_service;
	uint64_t mapped;
	pthread_mutex_t mu;
	unsigned refs;                  /* under mu: this + live workers */
	struct natmap_res res[RES_CAP]; /* under mu */
	unsigned rh, rn;
	struct worker w[W_COUNT];
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void destroy(struct nathost *h)
{
	for (int i = 0; i < W_COUNT; i++)
		pthread_cond_destroy(&h->w[i].cv);
	pthread_mutex_destroy(&h->mu);
	if (h->efd >= 0)
		close(h->efd);
	free(h);
}

/* Drops one reference; the last one frees h. */
static void release(struct nathost *h)
{
	bool last;

	pthread_mutex_lock(&h->mu);
	last = --h->refs == 0;
	pthread_mutex_unlock(&h->mu);
	if (last)
		destroy(h);
}

/* ---- UPnP IGD (miniupnpc) ------------------------------------------------ */

static void upnp_forget(struct worker *w)
{
	if (w->upnp_ok)
		FreeUPNPUrls(&w->urls);
	w->upnp_ok = false;
}

static int upnp_discover(struct worker *w, char *info, size_t info_len)
{
	struct UPNPDev *devs;
	int err = 0, r;

	upnp_forget(w);
	devs = upnpDiscover(NATHOST_UPNP_DISCOVER_MS, NULL, NULL,
			    UPNP_LOCAL_PORT_ANY, 0, 2, &err);
	if (!devs)
		return -ETIMEDOUT;
	memset(&w->urls, 0, sizeof(w->urls));
	memset(&w->data, 0, sizeof(w->data));
#if MINIUPNPC_API_VERSION >= 18
	{
		char wan[64];

		/* 1: connected, public IP; 2: connected, private IP (a NAT
		 * behind a NAT: still maps). */
		r = UPNP_GetValidIGD(devs, &w->urls, &w->data, w->lanaddr,
				     sizeof(w->lanaddr), wan, sizeof(wan));
		if (r == 2)
			r = 1;
	}
#else
	/* 1: a connected IGD; 2: an IGD not connected; 3: another device. */
	r = UPNP_GetValidIGD(devs, &w->urls, &w->data, w->lanaddr,
			     sizeof(w->lanaddr));
#endif
	freeUPNPDevlist(devs);
	if (r != 1) {
		if (r > 0)
			FreeUPNPUrls(&w->urls);
		return -ENODEV;
	}
	w->upnp_ok = true;
	/* Only for the log: a long URL may be cut. */
	if (snprintf(info, info_len, "UPnP %s at %s, LAN address %s",
		     w->data.first.servicetype, w->urls.controlURL,
		     w->lanaddr) < 0)
		info[0] = '\0';
	return 0;
}

static int upnp_err(int code)
{
	switch (code) {
	case UPNPCOMMAND_SUCCESS:
		return 0;
	case UPNP_ERR_CONFLICT:
		return -EADDRINUSE;
	case UPNP_ERR_NO_SUCH_ENTRY:
		return -ENOENT;
	case UPNPCOMMAND_HTTP_ERROR:
		return -ETIMEDOUT;      /* no answer, or not HTTP */
	default:
		return -EIO;
	}
}

static int upnp_extip(struct worker *w, struct natmap_res *res)
{
	char ip[40] = "";
	int rc;

	rc = UPNP_GetExternalIPAddress(w->urls.controlURL,
				       w->data.first.servicetype, ip);
	if (rc != UPNPCOMMAND_SUCCESS)
		return upnp_err(rc);
	if (netutil_addr_parse(res->ip, ip, strlen(ip)) ||
	    !netutil_addr_is_v4(res->ip))
		return -EBADMSG;
	return 0;
}

static int upnp_map(struct worker *w, const struct natmap_req *r,
		    struct natmap_res *res)
{
	const char *proto = r->proto == NATMAP_TCP ? "TCP" : "UDP";
	const char *desc = r->proto == NATMAP_TCP ? "devplane rlpx" :
						    "devplane discovery";
	char ext[8], in[8], lease[16], got[8] = "";
	bool v2 = strstr(w->data.first.servicetype, "WANIPConnection:2");
	int rc;

	snprintf(ext, sizeof(ext), "%u", r->ext_port);
	snprintf(in, sizeof(in), "%u", r->int_port);
	snprintf(lease, sizeof(lease), "%u", r->lifetime_s);
	res->lifetime_s = r->lifetime_s;
	for (int k = 0; k < 2; k++) {
		/* geth: AddAnyPortMapping on IGDv2 (the gateway picks a free
		 * port near ours), AddPortMapping on IGDv1. */
		if (v2)
			rc = UPNP_AddAnyPortMapping(w->urls.controlURL,
				w->data.first.servicetype, ext, in,
				w->lanaddr, desc, proto, NULL, lease, got);
		else
			rc = UPNP_AddPortMapping(w->urls.controlURL,
				w->data.first.servicetype, ext, in,
				w->lanaddr, desc, proto, NULL, lease);
		if (v2 && (rc == UPNP_ERR_INVALID_ACTION ||
			   rc == UPNP_ERR_NOT_IMPLEMENTED)) {
			/* An IGDv2 without AddAnyPortMapping: the v1 call. */
			v2 = false;
			k--;
			continue;
		}
		if (rc != UPNP_ERR_PERMANENT_ONLY || !strcmp(lease, "0"))
			break;
		/* An IGDv1 that only takes leases without end: held until
		 * deleted at exit, renewed all the same. */
		snprintf(lease, sizeof(lease), "0");
		res->lifetime_s = 0;
	}
	if (rc != UPNPCOMMAND_SUCCESS)
		return upnp_err(rc);
	res->ext_port = r->ext_port;
	if (v2 && got[0]) {
		unsigned long p = strtoul(got, NULL, 10);

		if (p == 0 || p > 65535)
			return -EBADMSG;
		res->ext_port = (uint16_t)p;
	}
	return 0;
}

static int upnp_unmap(struct worker *w, const struct natmap_req *r)
{
	char ext[8];

	snprintf(ext, sizeof(ext), "%u", r->ext_port);
	return upnp_err(UPNP_DeletePortMapping(w->urls.controlURL,
		w->data.first.servicetype, ext,
		r->proto == NATMAP_TCP ? "TCP" : "UDP", NULL));
}

/* ---- NAT-PMP (libnatpmp, RFC 6886) --------------------------------------- */

static int pmp_err(int r)
{
	switch (r) {
	case NATPMP_ERR_NOGATEWAYSUPPORT:
		return -ETIMEDOUT;      /* libnatpmp gave up retrying */
	case NATPMP_ERR_CANNOTGETGATEWAY:
		return -ENETUNREACH;
	case NATPMP_ERR_NOTAUTHORIZED:
		return -EACCES;
	case NATPMP_ERR_OUTOFRESOURCES:
		return -ENOSPC;
	case NATPMP_ERR_NETWORKFAILURE:
		return -ENETDOWN;
	default:
		return -EIO;
	}
}

/* Waits for the answer to the request just sent, retransmitting on
 * libnatpmp's schedule, for at most budget_ms. */
static int pmp_wait(struct worker *w, natpmpresp_t *resp, uint64_t budget_ms)
{
	uint64_t end = mono_ms() + budget_ms;

	for (;;) {
		struct timeval tv;
		struct pollfd pfd = { .fd = w->pmp.s, .events = POLLIN };
		uint64_t now = mono_ms(), wait_ms;
		int r;

		if (now >= end)
			return -ETIMEDOUT;
		wait_ms = end - now;
		/* Until libnatpmp's next retransmission (negative once it
		 * is due: then at once). */
		if (getnatpmprequesttimeout(&w->pmp, &tv) == 0) {
			uint64_t t = tv.tv_sec < 0 || tv.tv_usec < 0 ? 0 :
				     (uint64_t)tv.tv_sec * 1000 +
				     (uint64_t)tv.tv_usec / 1000;

			if (t < wait_ms)
				wait_ms = t;
		}
		if (poll(&pfd, 1, (int)wait_ms) < 0 && errno != EINTR)
			return -errno;
		r = readnatpmpresponseorretry(&w->pmp, resp);
		if (r == NATPMP_TRYAGAIN || r == NATPMP_ERR_WRONGPACKETSOURCE)
			continue;
		return r < 0 ? pmp_err(r) : 0;
	}
}

static int pmp_open(struct worker *w)
{
	const struct nathost_cfg *c = &w->h->cfg;
	in_addr_t gw = 0;
	int r;

	if (w->pmp_open)
		return 0;
	if (c->has_gateway)
		memcpy(&gw, c->gateway + 12, 4);
	/* Without a gateway given, libnatpmp asks the kernel for the
	 * default route's (RFC 6886: the client's default gateway). */
	r = initnatpmp(&w->pmp, c->has_gateway, gw);
	if (r < 0)
		return pmp_err(r);
	w->pmp_open = true;
	return 0;
}

static int pmp_extip(struct worker *w, struct natmap_res *res,
		     uint64_t budget_ms)
{
	natpmpresp_t resp;
	int r = pmp_open(w);

	if (r)
		return r;
	r = sendpublicaddressrequest(&w->pmp);
	if (r < 0)
		return pmp_err(r);
	r = pmp_wait(w, &resp, budget_ms);
	if (r)
		return r;
	if (resp.type != NATPMP_RESPTYPE_PUBLICADDRESS)
		return -EBADMSG;
	memset(res->ip, 0, 16);
	res->ip[10] = res->ip[11] = 0xff;
	memcpy(res->ip + 12, &resp.pnu.publicaddress.addr, 4);
	return 0;
}

static int pmp_discover(struct worker *w, char *info, size_t info_len)
{
	struct natmap_res res;
	struct in_addr gw;
	char a[INET_ADDRSTRLEN] = "?";
	int r;

	r = pmp_extip(w, &res, NATHOST_PMP_DISCOVER_MS);
	if (r)
		return r;
	gw.s_addr = w->pmp.gateway;
	inet_ntop(AF_INET, &gw, a, sizeof(a));
	snprintf(info, info_len, "NAT-PMP at %s", a);
	return 0;
}

static int pmp_map(struct worker *w, const struct natmap_req *r,
		   struct natmap_res *res, bool unmap)
{
	natpmpresp_t resp;
	int proto = r->proto == NATMAP_TCP ? NATPMP_PROTOCOL_TCP :
					     NATPMP_PROTOCOL_UDP;
	int rc = pmp_open(w);

	if (rc)
		return rc;
	/* RFC 6886 §3.4: deleting is mapping with external port and
	 * lifetime 0 (geth's DeleteMapping). */
	rc = sendnewportmappingrequest(&w->pmp, proto, r->int_port,
				       unmap ? 0 : r->ext_port,
				       unmap ? 0 : r->lifetime_s);
	if (rc < 0)
		return pmp_err(rc);
	rc = pmp_wait(w, &resp, NATHOST_PMP_OP_MS);
	if (rc)
		return rc;
	if (unmap)
		return 0;
	res->ext_port = resp.pnu.newportmapping.mappedpublicport;
	res->lifetime_s = resp.pnu.newportmapping.lifetime;
	return res->ext_port ? 0 : -EBADMSG;
}

/* ---- workers ------------------------------------------------------------- */

static void run(struct worker *w, const struct natmap_req *r,
		struct natmap_res *res)
{
	char info[INFO_LEN] = "";
	bool upnp = w->mech == NATMAP_UPNP;

	memset(res, 0, sizeof(*res));
	res->id = r->id;
	if (r->op != NATMAP_OP_DISCOVER && upnp && !w->upnp_ok) {
		res->err = -ENODEV;
		return;
	}
	switch (r->op) {
	case NATMAP_OP_DISCOVER:
		res->err = upnp ? upnp_discover(w, info, sizeof(info)) :
				  pmp_discover(w, info, sizeof(info));
		if (!res->err) {
			pthread_mutex_lock(&w->h->mu);
			memcpy(w->info, info, sizeof(info));
			pthread_mutex_unlock(&w->h->mu);
		}
		break;
	case NATMAP_OP_EXTIP:
		res->err = upnp ? upnp_extip(w, res) :
				  pmp_extip(w, res, NATHOST_PMP_OP_MS);
		break;
	case NATMAP_OP_MAP:
		res->err = upnp ? upnp_map(w, r, res) : pmp_map(w, r, res, false);
		break;
	case NATMAP_OP_UNMAP:
		res->err = upnp ? upnp_unmap(w, r) : pmp_map(w, r, res, true);
		break;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct nathost *h = w->h;
	sigset_t all;

	/* Signals belong to the loop's signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct natmap_req r;
		struct natmap_res res;
		uint64_t one = 1;

		pthread_mutex_lock(&h->mu);
		while (!w->quit && !w->qn)
			pthread_cond_wait(&w->cv, &h->mu);
		if (w->quit) {
			pthread_mutex_unlock(&h->mu);
			break;
		}
		r = w->q[w->qh];
		w->qh = (w->qh + 1) % WQ_CAP;
		w->qn--;
		pthread_mutex_unlock(&h->mu);

		run(w, &r, &res);

		pthread_mutex_lock(&h->mu);
		if (h->rn < RES_CAP) {
			h->res[(h->rh + h->rn) % RES_CAP] = res;
			h->rn++;
		}
		pthread_mutex_unlock(&h->mu);
		if (write(h->efd, &one, sizeof(one)) < 0)
			(void)0;        /* counter saturated: a wake-up is due */
	}
	upnp_forget(w);
	if (w->pmp_open)
		closenatpmp(&w->pmp);
	release(h);
	return NULL;
}

static struct worker *worker_for(struct nathost *h, enum natmap_mech mech)
{
	struct worker *w = &h->w[mech == NATMAP_PMP ? W_PMP : W_UPNP];

	return w->started ? w : NULL;
}

static void worker_quit(struct worker *w)
{
	pthread_mutex_lock(&w->h->mu);
	w->quit = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->h->mu);
}

/* ---- the loop's side ----------------------------------------------------- */

static void publish(struct nathost *h, uint64_t now_ns)
{
	if (h->cfg.ln && localnode_update(h->cfg.ln, now_ns) == 1 && h->cfg.on_publish)
		h->cfg.on_publish(h->cfg.user, now_ns);
}

static void on_event(struct nathost *h, const struct natmap_event *e,
		     uint64_t now_ns)
{
	const char *proto = e->proto == NATMAP_TCP ? "TCP" : "UDP";
	int v = h->cfg.verbosity;
	char ip[NETUTIL_ADDRSTRLEN];

	switch (e->type) {
	case NATMAP_EV_FOUND: {
		struct worker *w = worker_for(h, e->mech);
		struct worker *other = worker_for(h, e->mech == NATMAP_PMP ?
						     NATMAP_UPNP : NATMAP_PMP);
		char info[INFO_LEN] = "";

		if (w) {
			pthread_mutex_lock(&h->mu);
			memcpy(info, w->info, sizeof(info));
			pthread_mutex_unlock(&h->mu);
		}
		if (v >= 3)
			fprintf(stderr, "devplane: nat: using %s\n", info);
		if (other)              /* "any": the slower one */
			worker_quit(other);
		break;
	}
	case NATMAP_EV_NOT_FOUND:
		if (v >= 3)
			fprintf(stderr, "devplane: nat: no %s gateway answered "
				"(%s); trying again in %llu s\n",
				e->mech == NATMAP_UPNP ? "UPnP" :
				e->mech == NATMAP_PMP ? "NAT-PMP" :
				"UPnP or NAT-PMP", strerror(-e->err),
				(unsigned long long)((e->at_ns - now_ns) /
						     1000000000ull));
		break;
	case NATMAP_EV_EXTIP:
		netutil_addr_format(ip, e->ip);
		if (v >= 3)
			fprintf(stderr, "devplane: nat: external IP %s\n", ip);
		if (h->cfg.ln)
			localnode_set_static_ip(h->cfg.ln, e->ip);
		publish(h, now_ns);
		break;
	case NATMAP_EV_EXTIP_FAILED:
		if (v >= 4)
			fprintf(stderr, "devplane: nat: external IP: %s\n",
				strerror(-e->err));
		break;
	case NATMAP_EV_MAPPED:
		h->mapped++;
		if (v >= 3)
			fprintf(stderr, "devplane: nat: mapped %s %u -> "
				"external port %u\n", proto, e->int_port,
				e->ext_port);
		if (h->cfg.ln && e->proto == NATMAP_TCP)
			localnode_set_tcp(h->cfg.ln, e->ext_port);
		else if (h->cfg.ln)
			localnode_set_udp(h->cfg.ln, e->ext_port);
		publish(h, now_ns);
		break;
	case NATMAP_EV_RENEWED:
		if (v >= 4)
			fprintf(stderr, "devplane: nat: renewed %s %u -> "
				"external port %u\n", proto, e->int_port,
				e->ext_port);
		break;
	case NATMAP_EV_MAP_FAILED:
		if (v >= 3)
			fprintf(stderr, "devplane: nat: mapping %s %u failed "
				"(%s); again in %llu s\n", proto, e->int_port,
				strerror(-e->err),
				(unsigned long long)((e->at_ns - now_ns) /
						     1000000000ull));
		break;
	case NATMAP_EV_UNMAPPED:
		if (v >= 3)
			fprintf(stderr, "devplane: nat: deleted %s external "
				"port %u%s%s\n", proto, e->ext_port,
				e->err ? ": " : "",
				e->err ? strerror(-e->err) : "");
		break;
	}
}

/* Hands the engine's requests to the workers and acts on its events. */
static void flush(struct nathost *h, uint64_t now_ns)
{
	struct natmap_req r;
	struct natmap_event e;

	while (natmap_next_req(&h->m, &r)) {
		struct worker *w = worker_for(h, r.mech);
		bool queued = false;

		if (w) {
			pthread_mutex_lock(&h->mu);
			if (!w->quit && w->qn < WQ_CAP) {
				w->q[(w->qh + w->qn) % WQ_CAP] = r;
				w->qn++;
				pthread_cond_signal(&w->cv);
				queued = true;
			}
			pthread_mutex_unlock(&h->mu);
		}
		if (!queued) {
			/* No worker for it (the loser of "any"): the engine
			 * gets its answer all the same. */
			struct natmap_res res = { .id = r.id,
						  .err = -EOPNOTSUPP };

			natmap_on_result(&h->m, &res, now_ns);
		}
	}
	while (natmap_next_event(&h->m, &e))
		on_event(h, &e, now_ns);
}

static void drain(struct nathost *h, uint64_t now_ns)
{
	struct natmap_res res[RES_CAP];
	unsigned n = 0;
	uint64_t cnt;

	if (read(h->efd, &cnt, sizeof(cnt)) < 0)
		(void)0;                /* EAGAIN: nothing new */
	pthread_mutex_lock(&h->mu);
	while (h->rn) {
		res[n++] = h->res[h->rh];
		h->rh = (h->rh + 1) % RES_CAP;
		h->rn--;
	}
	pthread_mutex_unlock(&h->mu);
	for (unsigned i = 0; i < n; i++)
		natmap_on_result(&h->m, &res[i], now_ns);
	flush(h, now_ns);
}

static void on_efd(void *user, int fd, uint32_t events, uint64_t now_ns)
{
	(void)fd;
	(void)events;
	drain(user, now_ns);
}

static uint64_t svc_deadline(void *user)
{
	struct nathost *h = user;

	return natmap_next_deadline(&h->m);
}

static void svc_tick(void *user, uint64_t now_ns)
{
	struct nathost *h = user;

	natmap_on_timer(&h->m, now_ns);
	flush(h, now_ns);
}

bool nathost_maps(enum natmap_mech mech)
{
	return mech == NATMAP_UPNP || mech == NATMAP_PMP || mech == NATMAP_ANY;
}

int nathost_start(struct nathost **out, const struct nathost_cfg *cfg)
{
	struct natmap_cfg mc = { .mech = cfg->mech, .lease_ns = cfg->lease_ns,
				 .seed = cfg->seed };
	struct nathost *h;
	uint64_t now = loop_now();
	int rc;

	*out = NULL;
	if (!cfg->loop || !nathost_maps(cfg->mech))
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->cfg = *cfg;
	h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&h->mu, NULL);
	for (int i = 0; i < W_COUNT; i++) {
		h->w[i].h = h;
		h->w[i].mech = i == W_UPNP ? NATMAP_UPNP : NATMAP_PMP;
		pthread_cond_init(&h->w[i].cv, NULL);
	}
	h->refs = 1;
	if (h->efd < 0) {
		rc = -errno;
		destroy(h);
		return rc;
	}
	rc = natmap_init(&h->m, &mc, now);
	if (rc) {
		destroy(h);
		return rc;
	}
	for (int i = 0; i < W_COUNT; i++) {
		struct worker *w = &h->w[i];

		if (cfg->mech != NATMAP_ANY && cfg->mech != w->mech)
			continue;
		h->refs++;
		rc = -pthread_create(&w->th, NULL, worker_main, w);
		if (rc) {
			h->refs--;
			goto fail;
		}
		w->started = true;
	}
	rc = loop_fd_watch(cfg->loop, h->efd, EPOLLIN, on_efd, h);
	if (rc)
		goto fail;
	h->watching = true;
	rc = loop_add_service(cfg->loop, svc_deadline, svc_tick, h);
	if (rc)
		goto fail;
	h->has_service = true;
	if (cfg->udp)
		natmap_add(&h->m, NATMAP_UDP, cfg->udp, now);
	if (cfg->tcp)
		natmap_add(&h->m, NATMAP_TCP, cfg->tcp, now);
	flush(h, now);
	if (cfg->verbosity >= 3)
		fprintf(stderr, "devplane: nat: looking for a %s gateway\n",
			cfg->mech == NATMAP_ANY ? "UPnP or NAT-PMP" :
			cfg->mech == NATMAP_UPNP ? "UPnP" : "NAT-PMP");
	*out = h;
	return 0;

fail:
	nathost_stop(h, 0);
	release(h);
	return rc;
}

void nathost_stop(struct nathost *h, uint64_t timeout_ns)
{
	uint64_t end;

	if (!h || h->stopped)
		return;
	h->stopped = true;
	end = mono_ms() + timeout_ns / 1000000;
	natmap_stop(&h->m);
	flush(h, loop_now());
	/* The loop no longer runs: wait here for the deletions' answers. */
	while (!natmap_done(&h->m)) {
		struct pollfd pfd = { .fd = h->efd, .events = POLLIN };
		uint64_t now = mono_ms();

		if (now >= end)
			break;
		if (poll(&pfd, 1, (int)(end - now)) < 0 && errno != EINTR)
			break;
		drain(h, loop_now());
	}
	if (!natmap_done(&h->m) && h->cfg.verbosity >= 3)
		fprintf(stderr, "devplane: nat: gave up deleting mappings\n");
	if (h->has_service)
		loop_del_service(h->cfg.loop, h);
	if (h->watching)
		loop_fd_unwatch(h->cfg.loop, h->efd);
	h->has_service = h->watching = false;
	for (int i = 0; i < W_COUNT; i++)
		if (h->w[i].started)
			worker_quit(&h->w[i]);
	for (int i = 0; i < W_COUNT; i++) {
		struct worker *w = &h->w[i];
		struct timespec ts;
		uint64_t left = end > mono_ms() ? end - mono_ms() : 0;

		if (!w->started)
			continue;
		/* A worker inside a blocking call: wait for it while the
		 * budget lasts (100 ms at least), then let it go. */
		if (left < 100)
			left = 100;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)(left / 1000);
		ts.tv_nsec += (long)(left % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (pthread_timedjoin_np(w->th, NULL, &ts))
			pthread_detach(w->th);
		w->joined = true;
	}
}

void nathost_free(struct nathost *h)
{
	if (!h)
		return;
	nathost_stop(h, NATHOST_STOP_NS);
	release(h);
}

uint64_t nathost_mapped(const struct nathost *h)
{
	return h ? h->mapped : 0;
}
