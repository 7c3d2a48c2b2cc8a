/* SPDX-License-Identifier: MIT */
/* control/host/crawlhost.c - `devplane crawl`'s runner: the crawler's host contract on the event loop, seeds from bootnodes and DNS trees, leased visits of a fleet round, RLPx probes, the output handed to its writer thread. */
#include "control/host/crawlhost.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/b64url.h"
#include "common/keccak.h"
#include "control/crawl/crawl.h"
#include "control/crawl/crawl5.h"
#include "control/crawl/enrsum.h"
#include "control/crawl/crawl_rlpx.h"
#include "control/crawl/crawlfleet.h"
#include "control/host/dnshost.h"
#include "control/host/node.h"
#include "control/host/session.h"
#include "control/store/crawlstore.h"
#include "control/store/reportdb.h"

struct crawlrun {
	struct loop *l;
	struct node n;
	struct crawl *c;                /* discv4's; NULL: --v5 alone */
	struct crawl5 *c5;              /* discv5's; NULL: v4 alone */
	struct crawl5_config c5c;       /* crawl5_new() at crawl_start() */
	const struct crawlhost_cfg *cfg;
	struct session_prober *sp;      /* --rlpx (default): probes */
	struct crawl_rlpx *cr;
	struct crawlstore *out;         /* nodes.json and --db, off the loop */
	struct crawlfleet *fleet;       /* leased: the queue's work */
	struct discv4_node *grants;     /* leased: an answer's nodes */
	unsigned asked;                 /* the outstanding request's size */
	bool fd_watched;
	int verbosity;
	struct crawl_config cc;         /* crawl_new() at crawl_start() */
	struct dnshost *dns;            /* cfg->dns trees: more seeds */
	bool started;                   /* crawl_start() ran */
};

static void crawl_tick(void *arg, uint64_t now);

/* Discovery ended: each crawler that runs is done. */
static bool disc_done(const struct crawlrun *r)
{
	return (!r->c || crawl_done(r->c)) && (!r->c5 || crawl5_done(r->c5));
}

/* The crawler's host contract (control/crawl/crawl.h): after every call
 * into the engine and at crawl_next_deadline(), crawl_on_timer(), then
 * re-read the engine's deadline. */
static void crawl_post(void *arg, uint64_t now)
{
	struct crawlrun *r = arg;
	uint64_t at, at5;

	if (!r->started)
		return;                 /* engine ticked before crawl_new() */
	if (r->c)
		crawl_on_timer(r->c, now);      /* once done: late results */
	if (r->c5)
		crawl5_on_timer(r->c5, now);
	if (r->cr)
		crawl_rlpx_on_timer(r->cr, now);
	if (r->n.d)
		loop_touch(r->l, 0);
	if (r->n.d5)
		loop_touch_v5(r->l, 0);
	if (r->fleet && !crawl_done(r->c)) {
		/* Leased: ask for work while there is room; a round that ran
		 * dry ends the crawl at the next tick. */
		crawlfleet_on_timer(r->fleet, crawl_wants(r->c), now);
		if (crawlfleet_dry(r->fleet, now)) {
			crawl_stop(r->c);
			crawl_on_timer(r->c, now);
		}
	}
	/* Discovery done; RLPx probes still running report through
	 * crawl_probe_done(), which brings us back here. */
	if (disc_done(r) && (!r->cr || crawl_rlpx_idle(r->cr))) {
		loop_stop(r->l, 0);
		return;
	}
	at = !r->c || crawl_done(r->c) ? UINT64_MAX : crawl_next_deadline(r->c);
	at5 = !r->c5 || crawl5_done(r->c5) ? UINT64_MAX :
	      crawl5_next_deadline(r->c5);
	if (at5 < at)
		at = at5;
	if (disc_done(r))
		at = now + 1000000000ull;
	if (r->fleet && !crawl_done(r->c) &&
	    crawlfleet_next_deadline(r->fleet) < at)
		at = crawlfleet_next_deadline(r->fleet);
	loop_alarm(r->l, at, crawl_tick, r);
}

static void crawl_tick(void *arg, uint64_t now)
{
	crawl_post(arg, now);
}

static void say_err(const char *what, int rc);

/* Creates the crawler (with bootnodes at once; seeded from DNS alone, at
 * the first record or after the wait) and ticks it. */
static int crawl_start(struct crawlrun *r, uint64_t now)
{
	int rc;

	r->started = true;
	rc = r->n.d ? crawl_new(&r->c, r->n.d, &r->cc, now) : 0;
	if (!rc && r->n.d5)
		rc = crawl5_new(&r->c5, r->n.d5, &r->c5c, now);
	if (rc) {
		say_err("crawl", rc);
		loop_stop(r->l, 1);
		return rc;
	}
	loop_alarm(r->l, now, crawl_tick, r);
	return 0;
}

/* Waiting for the first DNS record: start without one at the end (and,
 * with nothing to do, end). */
static void dns_wait_tick(void *arg, uint64_t now)
{
	struct crawlrun *r = arg;

	if (!r->started)
		crawl_start(r, now);
}

/* A record of a DNS tree: a discv5 seed when it verifies and has an
 * endpoint. */
static void dns_seed_v5(struct crawlrun *r, const struct enr *rec,
			uint64_t now)
{
	struct discv5_node *n5 = malloc(sizeof(*n5));

	if (!n5)
		return;
	if (rec->has_sig &&
	    discv5_node_from_enr(n5, rec->raw, rec->raw_len) == 0 &&
	    crawl5_add_seed(r->c5, n5) == 0)
		loop_alarm(r->l, now, crawl_tick, r);
	free(n5);
}

/* A record of a DNS tree with an IP and UDP port: a seed like a bootnode,
 * with the TCP port of the same address for the RLPx probe (the first
 * one starts a crawl seeded from DNS alone). */
static void crawl_dns_node(void *user, const struct dnsclient_node *dn,
			   uint64_t now)
{
	struct crawlrun *r = user;
	struct discv4_node n = { 0 };
	uint8_t tip[16];
	uint16_t tcp = 0;

	if (dnshost_node_endpoint(&dn->enr, false, n.id, n.ep.ip, &n.ep.udp))
		return;
	n.ep.ip_len = netutil_addr_is_v4(n.ep.ip) ? 4 : 16;
	if (dnshost_node_endpoint(&dn->enr, true, n.id, tip, &tcp) == 0 &&
	    !memcmp(tip, n.ep.ip, 16))
		n.ep.tcp = tcp;
	if (!r->started && crawl_start(r, now))
		return;
	if (r->c5 && !crawl5_done(r->c5))
		dns_seed_v5(r, &dn->enr, now);
	if (!r->c || crawl_done(r->c))
		return;
	if (crawl_add_seed(r->c, &n) == 0)
		loop_alarm(r->l, now, crawl_tick, r);
}

/* The engine's hooks, forwarded to the crawler (NULL-safe until
 * crawl_new()): nodes that ping us are crawled, Pongs prove liveness. */
static void crawl_seen_hook(void *user, const struct discv4_node *dn,
			    uint64_t now)
{
	crawl_on_node_seen(((struct crawlrun *)user)->c, dn, now);
}

static void crawl_bond_hook(void *user, const struct discv4_node *dn,
			    uint64_t now)
{
	crawl_on_bond(((struct crawlrun *)user)->c, dn, now);
}

/* --rlpx: every node learnt with a TCP port is probed once (leased: the
 * nodes leased to us, when their visit starts). */
static void crawl_node_hook(void *user, const struct discv4_node *dn)
{
	struct crawlrun *r = user;

	if (r->cr && !r->fleet && dn->ep.tcp)
		crawl_rlpx_add(r->cr, dn->id, dn->ep.ip, dn->ep.tcp);
}

/* ---- discv5 (--v5) ------------------------------------------------------ */

/* The engine's on_node_seen hook, forwarded (NULL-safe until
 * crawl5_new()): nodes that handshake with us are crawled too. */
static void crawl5_seen_hook(void *user, const struct discv5_node *n,
			     uint64_t now)
{
	crawl5_on_node_seen(((struct crawlrun *)user)->c5, n, now);
}

static const int v5_fail[CRAWL5_FAIL_MAX] = {
	[CRAWL5_FAIL_TIMEOUT] = CRAWL_FAIL_TIMEOUT,
	[CRAWL5_FAIL_REJECTED] = CRAWL_FAIL_REJECTED,
	[CRAWL5_FAIL_BAD_ANSWER] = CRAWL_FAIL_ENR_INVALID,
};

/* A discv5 node's state in the discv4 crawler's output shape, which the
 * store (nodes.json: geth's node set, the same for both protocols; the
 * visits with enr_seq and enr_keys) takes as it is: the first emission of
 * a node is its sighting, each later one a finished check. text holds
 * the record's "enr:" text. */
static void v5_to_out(struct crawl_out *co, char text[ENR_TEXT_MAX],
		      const struct crawl5_out *o, uint64_t unix_ns)
{
	const struct discv5_node *n = o->n;

	memset(co, 0, sizeof(*co));
	memcpy(co->id, n->id, CRAWL_ID_LEN);
	memcpy(co->n.id, n->pub, sizeof(co->n.id));
	memcpy(co->n.ep.ip, n->ip, 16);
	co->n.ep.ip_len = netutil_addr_is_v4(n->ip) ? 4 : 16;
	co->n.ep.udp = n->udp;
	co->n.ep.tcp = n->tcp;
	co->seq = n->seq;
	if (n->enr_len) {
		memcpy(text, ENR_TEXT_PREFIX, 4);
		text[4 + b64url_encode(text + 4, n->enr, n->enr_len)] = '\0';
		co->record = text;
		co->events |= CRAWL_EV_ENR;
	}
	co->score = o->score;
	co->first_response = o->first_response;
	co->last_response = o->last_response;
	co->last_check = o->last_check;
	co->fail = -1;
	if (!o->checked) {
		co->events |= CRAWL_EV_SEEN;
		return;
	}
	co->events |= CRAWL_EV_CHECK | CRAWL_EV_DONE;
	if (o->answered)
		co->events |= CRAWL_EV_ANSWERED;
	if (o->fail >= 0 && o->fail < CRAWL5_FAIL_MAX) {
		co->events |= CRAWL_EV_FAILED;
		co->fail = v5_fail[o->fail];
	}
	co->answered = co->replied = o->answered;
	co->enr_ok = o->answered && n->enr_len;
	co->neighbors = o->found;
	if (o->last_check != CRAWL5_ZERO_TIME)
		co->check_ns = (uint64_t)o->last_check * 1000000000ull;
	co->done_ns = unix_ns;
}

/* The v5 crawler's results: to the store, and every node learnt with a
 * TCP port to the RLPx pass (once: crawl_rlpx_add() knows it). */
static void crawl5_out_hook(void *user, const struct crawl5_out *o)
{
	struct crawlrun *r = user;
	struct crawl_out co;
	char text[ENR_TEXT_MAX];

	v5_to_out(&co, text, o,
		  wallclock_unix_ns(loop_wallclock(r->l), loop_now()));
	if (r->out)
		crawlstore_put_node(r->out, &co);
	if (r->cr && o->n->tcp)
		crawl_rlpx_add(r->cr, o->n->pub, o->n->ip, o->n->tcp);
}

/* The discv5 engine on the crawler's socket, next to discv4 (if any) on
 * the same local node, its hook going to the crawler. */
static int crawl_engine_v5(struct crawlrun *r, const struct crawlhost_cfg *cfg,
			   uint64_t now)
{
	struct discv5_config c = {
		.ln = &r->n.ln,
		.send = loop_send_v5,
		.send_user = loop_port(r->l, 0),
		.random = node_random,
		.random_user = &r->n,
		.on_node_seen = crawl5_seen_hook,
		.hook_user = r,
		.netrestrict = cfg->loop.netrestrict,
		.n_netrestrict = cfg->loop.n_netrestrict,
		.seed = cfg->seed ^ 0x5555555555555555ull,
		.no_refresh = true,
	};
	int rc = discv5_new(&r->n.d5, &c, now);

	if (rc)
		return rc;
	rc = loop_attach_v5(r->l, 0, r->n.d5, r->n.ln.id, 0, crawl_post, r);
	if (rc) {
		discv5_free(r->n.d5);
		r->n.d5 = NULL;
	}
	return rc;
}

/* The v5 summary: the crawler's counts and its records by key, eth fork
 * id and eth2 fork digest. */
static void v5_tally(void *user, const struct crawl5_out *o)
{
	struct enrsum *s = user;
	struct enr *e = malloc(sizeof(*e));

	if (!e)
		return;
	if (o->n->enr_len &&
	    enr_decode(e, o->n->enr, o->n->enr_len) == (ssize_t)o->n->enr_len)
		enrsum_add(s, e);
	free(e);
}

static void v5_summary(const struct crawl5 *c5, char *text, size_t cap)
{
	struct enrsum *s = malloc(sizeof(*s));

	crawl5_format_summary(c5, text, cap);
	printf("%s\n", text);
	if (!s)
		return;
	enrsum_init(s);
	crawl5_each(c5, v5_tally, s);
	enrsum_format(s, text, cap);
	printf("%s\n", text);
	free(s);
}

/* ---- leased: the visits of the shared queue ----------------------------- */

/* The crawler's results: to the store, and a finished check ends the
 * discovery part of its visit. */
static void fleet_out(void *user, const struct crawl_out *o)
{
	struct crawlrun *r = user;

	crawlstore_put_node(r->out, o);
	if (o->events & CRAWL_EV_DONE)
		crawlfleet_part_done(r->fleet, o->id, CRAWLFLEET_DISC);
}

static void fleet_rlpx_done(void *user, const struct rlpxprobe_result *res)
{
	struct crawlrun *r = user;
	uint8_t id[CRAWLFLEET_ID_LEN];

	crawlstore_put_rlpx(r->out, res);
	keccak256(id, res->pub, sizeof(res->pub));
	crawlfleet_part_done(r->fleet, id, CRAWLFLEET_RLPX);
}

/* A leased node's visit: the crawler's check, and an RLPx probe when it
 * has a TCP port. */
static unsigned fleet_start(void *user, const struct discv4_node *dn,
			    uint64_t now)
{
	struct crawlrun *r = user;
	unsigned parts = 0;
	int rc = crawl_grant(r->c, dn);

	(void)now;
	if (rc == 0 || rc == -EBUSY)
		parts |= CRAWLFLEET_DISC;
	else if (rc == -EINVAL)
		return 0;               /* ourselves, or no UDP port */
	if (r->cr && dn->ep.tcp &&
	    crawl_rlpx_add(r->cr, dn->id, dn->ep.ip, dn->ep.tcp) == 0)
		parts |= CRAWLFLEET_RLPX;
	return parts;
}

static void fleet_lease(void *user, unsigned n)
{
	struct crawlrun *r = user;

	if (crawlstore_lease(r->out, n) == 0)
		r->asked = n;
}

static void fleet_finish(void *user, const uint8_t id[CRAWLFLEET_ID_LEN])
{
	crawlstore_finish(((struct crawlrun *)user)->out, id);
}

/* The store answered a lease request (its eventfd). */
static void fleet_ready(void *user, int fd, uint32_t events, uint64_t now)
{
	struct crawlrun *r = user;
	bool pending, leased;
	ssize_t n;

	(void)fd;
	(void)events;
	n = crawlstore_take_leased(r->out, r->grants, r->asked, &pending,
				   &leased);
	if (n < 0)
		return;                 /* a spurious wake-up */
	if (r->verbosity >= 5) {
		struct crawlfleet_stats fs;

		crawlfleet_stats(r->fleet, &fs);
		fprintf(stderr, "crawl: leased %zd of %u (pending %d, leased "
			"%d), %" PRIu64 " visits in flight, room %u\n", n,
			r->asked, pending, leased, fs.in_flight,
			crawl_wants(r->c));
	}
	crawlfleet_on_leased(r->fleet, r->grants, (size_t)n, pending, leased,
			     now);
	crawl_post(r, now);             /* start the granted checks */
}

static int fleet_setup(struct crawlrun *r, const struct crawlhost_cfg *cfg)
{
	struct crawlfleet_config fc = {
		.max_visits = (cfg->parallel ? cfg->parallel :
			       CRAWL_DEFAULT_PARALLEL) +
			      2 * (cfg->rlpx_parallel ? cfg->rlpx_parallel :
				   CRAWL_RLPX_DEFAULT_PARALLEL),
		.start = fleet_start, .lease = fleet_lease,
		.finish = fleet_finish, .user = r,
	};
	int rc = crawlfleet_new(&r->fleet, &fc);

	if (rc)
		return rc;
	r->grants = calloc(fc.max_visits, sizeof(*r->grants));
	if (!r->grants)
		return -ENOMEM;
	rc = loop_fd_watch(r->l, crawlstore_fd(r->out), EPOLLIN, fleet_ready,
			   r);
	r->fd_watched = rc == 0;
	return rc;
}

static int crawl_probe_start(void *user, const uint8_t pub[64],
			     const uint8_t ip[16], uint16_t tcp,
			     uint64_t timeout_ns, uint64_t now)
{
	return session_probe(((struct crawlrun *)user)->sp, pub, ip, tcp,
			     timeout_ns, now);
}

static void crawl_probe_done(void *user, const struct rlpxprobe_result *res)
{
	struct crawlrun *r = user;
	const struct wallclock *wc = loop_wallclock(r->l);
	struct rlpxprobe_result u = *res;

	/* The session host runs on the monotonic clock; the database keeps
	 * Unix times. */
	u.started_ns = wallclock_unix_ns(wc, res->started_ns);
	u.finished_ns = wallclock_unix_ns(wc, res->finished_ns);
	crawl_rlpx_on_result(r->cr, &u);
	loop_alarm(r->l, loop_now(), crawl_tick, r);    /* start the next */
}

/* node_init() for the crawler: the same local node and engines (discv4
 * unless cfg->no_v4, discv5 with cfg->v5), but with the engines' hooks
 * going to the crawlers and no node database (node_fini() tears it
 * down). */
static int crawl_engine_init(struct crawlrun *r,
			     const struct crawlhost_cfg *cfg, uint64_t now)
{
	static const uint8_t lo[16] = { [10] = 0xff, [11] = 0xff, [12] = 127,
					[15] = 1 };
	struct discv4_config dc = { 0 };
	struct node *n = &r->n;
	uint8_t addr[16];
	uint16_t port;
	int rc;

	memset(n, 0, sizeof(*n));
	port = loop_listen_port(r->l, 0);
	if (!port || (cfg->no_v4 && !cfg->v5))
		return -EINVAL;
	n->loop = r->l;
	n->verbosity = cfg->verbosity;
	rc = localnode_init(&n->ln, cfg->priv, 0, port, 0);
	if (rc)
		return rc;
	loop_listen_addr(r->l, 0, addr);
	localnode_set_fallback_ip(&n->ln,
				  netutil_is_unspecified(addr) ? lo : addr);
	if (cfg->has_extip)
		localnode_set_static_ip(&n->ln, cfg->extip);
	dc.ln = &n->ln;
	dc.send = loop_send;
	dc.send_user = loop_port(r->l, 0);
	dc.on_bond = crawl_bond_hook;
	dc.on_node_seen = crawl_seen_hook;
	dc.hook_user = r;
	dc.netrestrict = cfg->loop.netrestrict;
	dc.n_netrestrict = cfg->loop.n_netrestrict;
	dc.seed = cfg->seed;
	dc.wc = loop_wallclock(r->l);
	dc.no_refresh = true;
	if (!cfg->no_v4) {
		rc = discv4_new(&n->d, &dc, now);
		if (rc)
			goto out_fini;
	}
	if (cfg->v5) {
		rc = crawl_engine_v5(r, cfg, now);
		if (rc)
			goto out_free;
	}
	if (n->d) {
		rc = loop_attach(r->l, 0, n->d, 0, crawl_post, r);
		if (rc)
			goto out_free;
	}
	return 0;
out_free:
	if (n->d5) {
		loop_detach_v5(r->l, 0);
		discv5_free(n->d5);
		n->d5 = NULL;
	}
	discv4_free(n->d);
	n->d = NULL;
out_fini:
	localnode_fini(&n->ln);
	return rc;
}

static void crawl_progress_line(void *user, const char *line)
{
	(void)user;
	fprintf(stderr, "%s\n", line);
}

static void say_err(const char *what, int rc)
{
	fprintf(stderr, "devplane: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
}

/* Creates the output, the loop, the engine, the prober and the crawler;
 * r is torn down by the caller whatever happens. */
static int crawl_setup(struct crawlrun *r, const struct crawlhost_cfg *cfg,
		       uint64_t *now)
{
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };
	struct crawlstore_config sc = { 0 };
	struct crawl_config *cc = &r->cc;
	struct dplink_listen listen;
	struct loop_cfg lc;
	char host[256] = "";
	int rc;

	if (cfg->leased && cfg->no_v4)
		return -EINVAL;         /* the fleet's queue is discv4's */
	memset(&listen, 0, sizeof(listen));
	memcpy(listen.addr, cfg->has_addr ? cfg->addr : any4, 16);
	listen.port_be = htons(cfg->has_addr ? cfg->port : 0);
	lc = cfg->loop;
	lc.listen = &listen;
	lc.n_listen = 1;
	lc.db = NULL;                   /* the output writes db, not the loop */
	rc = loop_new(&r->l, &lc);
	if (rc) {
		say_err("dataplane", rc);
		return rc;
	}
	*now = loop_now();
	rc = crawl_engine_init(r, cfg, *now);
	if (rc) {
		say_err("node", rc);
		return rc;
	}
	/* The output's thread owns db from here to crawlstore_close(). */
	sc.json_path = cfg->out_path;
	sc.db = cfg->db;
	sc.round = cfg->round;
	sc.leased = cfg->leased;
	sc.lease_ns = cfg->lease_ns;
	gethostname(host, sizeof(host) - 1);
	sc.me.host = host;
	sc.me.pid = (int)getpid();
	sc.me.node_id = r->n.ln.id;
	sc.me.config = cfg->config;
	sc.log_commits = cfg->verbosity >= 4;
	if ((cfg->out_path || cfg->db) &&
	    (rc = crawlstore_new(&r->out, &sc))) {
		say_err("crawl output", rc);
		return rc;
	}
	if (cfg->db && cfg->verbosity >= 3) {
		struct crawlstore_stats st;

		crawlstore_stats(r->out, &st);
		fprintf(stderr, "crawl: %s%s%s crawl id %" PRId64 ", crawler id %"
			PRId64 "%s\n", cfg->round ? "round " : "",
			cfg->round ? cfg->round : "", cfg->round ? ":" : "",
			st.crawl_id, st.crawler_id,
			cfg->leased ? ", leased visits" : "");
	}
	r->verbosity = cfg->verbosity;
	if (cfg->leased && (rc = fleet_setup(r, cfg))) {
		say_err("crawl round", rc);
		return rc;
	}
	if (cfg->chain) {
		struct crawl_rlpx_config rc_cfg = {
			.parallel = cfg->rlpx_parallel,
			.timeout_ns = cfg->rlpx_timeout_ns,
			.start = crawl_probe_start, .start_user = r,
			.on_result = r->fleet ? fleet_rlpx_done :
				     r->out ? crawlstore_on_rlpx : NULL,
			.result_user = r->fleet ? (void *)r : (void *)r->out,
		};

		rc = session_prober_new(&r->sp, r->l, cfg->priv, cfg->chain,
					crawl_probe_done, r);
		if (!rc)
			rc = crawl_rlpx_new(&r->cr, &rc_cfg);
	}
	if (rc) {
		say_err("node", rc);
		return rc;
	}
	cc->parallel = cfg->parallel;
	cc->wc = loop_wallclock(r->l);
	cc->timeout_ns = cfg->timeout_ns;
	cc->max_nodes = cfg->max_nodes;
	cc->on_out = r->fleet ? fleet_out : r->out ? crawlstore_on_crawl : NULL;
	cc->out_user = r->fleet ? (void *)r : (void *)r->out;
	cc->on_neighbors = cfg->db ? crawlstore_on_neighbors : NULL;
	cc->neighbors_user = r->out;
	cc->leased = cfg->leased;
	cc->progress = cfg->verbosity >= 3 ? crawl_progress_line : NULL;
	cc->on_node = crawl_node_hook;
	cc->node_user = r;
	r->c5c.parallel = cfg->parallel;
	r->c5c.wc = loop_wallclock(r->l);
	r->c5c.timeout_ns = cfg->timeout_ns;
	r->c5c.max_nodes = cfg->max_nodes;
	r->c5c.on_out = crawl5_out_hook;
	r->c5c.out_user = r;
	r->c5c.seed = cfg->seed ^ 0xc5c5c5c5c5c5c5c5ull;
	/* Seeded from DNS alone: at the first record or after the wait.
	 * Leased: the queue is the seed, start at once. */
	if (cfg->n_bootnodes || cfg->leased || !cfg->dns.n_urls) {
		rc = crawl_start(r, *now);
		if (rc)
			return rc;
	} else {
		loop_alarm(r->l, *now + (cfg->dns_wait_ns ? cfg->dns_wait_ns :
				       CRAWLHOST_DNS_WAIT_NS),
			   dns_wait_tick, r);
	}
	for (unsigned i = 0; i < cfg->n_bootnodes; i++) {
		const struct enode *e = &cfg->bootnodes[i];
		struct discv5_node d5;
		struct discv4_node dn;

		if (node_wire(&dn, e) ||
		    (r->c && crawl_add_seed(r->c, &dn) == -EINVAL))
			fprintf(stderr, "devplane: bootnode %u refused\n", i);
		/* discv5: the key and UDP endpoint (an enr: bootnode's
		 * record comes with its first answer). */
		if (r->c5 && !node_wire(&dn, e)) {
			discv5_node_from_addr(&d5, NULL, e->pub, e->ip, e->udp);
			if (crawl5_add_seed(r->c5, &d5) == -EINVAL)
				fprintf(stderr, "devplane: v5 bootnode %u "
					"refused\n", i);
		}
	}
	if (cfg->dns.n_urls) {
		struct dnshost_cfg dc = cfg->dns;

		dc.on_node = crawl_dns_node;
		dc.user = r;
		rc = dnshost_new(&r->dns, r->l, &dc, NULL);
		if (rc) {
			say_err("DNS discovery", rc);
			return rc;
		}
	}
	return 0;
}

/* The store's line of the summary: what this crawler committed. The
 * writes in flight are flushed first, so the count is final but for the
 * leases put back at close. */
static void store_summary(struct crawlstore *s, const struct crawlhost_cfg *cfg)
{
	struct crawlstore_stats st;

	(void)crawlstore_flush(s);
	crawlstore_stats(s, &st);
	printf("store: crawl %" PRId64 "%s%s%s, crawler %" PRId64 ": %" PRIu64
	       " visits committed, %" PRIu64 " leased, %" PRIu64
	       " leases lost, %" PRIu64 " transactions (%" PRIu64 " failed)\n",
	       st.crawl_id, cfg->round ? " (round " : "",
	       cfg->round ? cfg->round : "", cfg->round ? ")" : "",
	       st.crawler_id, st.visits, st.leased, st.leases_lost,
	       st.db_commits, st.db_errors);
}

int crawlhost_run(const struct crawlhost_cfg *cfg)
{
	struct crawlstore_stats st = { .crawl_id = -1 };
	struct crawlrun *r = calloc(1, sizeof(*r));
	struct nathost *nat = NULL;
	char *text = NULL;
	uint64_t now = 0;
	int rc, status = 1;

	if (!r)
		return 1;
	if (crawl_setup(r, cfg, &now))
		goto out;
	if (nathost_maps(cfg->nat.mech)) {
		struct nathost_cfg natc = cfg->nat;

		/* The UDP port, so that nodes can answer and find us. */
		natc.loop = r->l;
		natc.ln = &r->n.ln;
		natc.udp = loop_listen_port(r->l, 0);
		rc = nathost_start(&nat, &natc);
		if (rc) {
			say_err("nat", rc);
			goto out;
		}
	}
	loop_alarm(r->l, now, crawl_tick, r);
	rc = loop_run(r->l);            /* > 0: the signal that stopped it */
	if (rc < 0)
		say_err("event loop", rc);
	nathost_free(nat);      /* deletes the mapping (bounded) */
	nat = NULL;
	if (!r->started)        /* stopped before the first DNS record */
		goto out;
	now = loop_now();
	if (r->c)
		crawl_emit(r->c);       /* what changed since the last tick */
	text = malloc(4096);
	if (text) {
		if (r->c) {
			crawl_format_summary(r->c, now, text, 4096);
			printf("%s\n", text);
		}
		if (r->c5)
			v5_summary(r->c5, text, 4096);
		if (r->cr) {
			crawl_rlpx_format_summary(r->cr, text, 4096);
			printf("%s\n", text);
		}
		if (r->dns)
			printf("%s\n", dnshost_format_stats(r->dns, text, 4096));
	}
	if (cfg->db)
		store_summary(r->out, cfg);
	status = rc < 0 ? 1 : 0;
out:
	nathost_free(nat);
	dnshost_free(r->dns);
	if (r->fd_watched)
		loop_fd_unwatch(r->l, crawlstore_fd(r->out));
	session_prober_free(r->sp);     /* probes in flight: not reported */
	node_fini(&r->n);       /* pending crawl callbacks get -ECANCELED */
	crawl_free(r->c);
	crawl5_free(r->c5);
	crawl_rlpx_free(r->cr);
	crawlfleet_free(r->fleet);
	free(r->grants);
	loop_free(r->l);
	if (r->out)
		crawlstore_stats(r->out, &st);
	if (crawlstore_close(r->out)) { /* the last write */
		fprintf(stderr, "devplane: crawl output not fully written\n");
		status = 1;
	}
	/* The report reads what the store wrote: after its close. */
	if (cfg->report_path && cfg->db && r->out && status == 0) {
		rc = reportdb_write(cfg->db, st.crawl_id, cfg->report_path);
		if (rc) {
			say_err("report", rc);
			status = 1;
		} else {
			printf("report: %s\n", cfg->report_path);
		}
	}
	free(text);
	free(r);
	return status;
}
