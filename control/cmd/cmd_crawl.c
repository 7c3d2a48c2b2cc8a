/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_crawl.c - `devplane crawl`: sweep the network from seeds,
 * probe every node over RLPx, write nodes.json and the database. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/secp.h"
#include "control/base/nodearg.h"
#include "control/cmd/cmdutil.h"
#include "control/crawl/crawl.h"
#include "control/crawl/crawl_rlpx.h"
#include "control/host/dnshost.h"
#include "control/host/node.h"
#include "control/host/session.h"
#include "control/rlpx/forkid.h"
#include "control/store/nodedb.h"

static const enum flag_id takes[] = {
	F_BOOTNODES, F_OUT, F_DB, F_TIMEOUT, F_PARALLEL, F_RLPX, F_NO_RLPX,
	F_RLPX_PARALLEL, F_RLPX_TIMEOUT, F_CHAIN, F_NETWORKID, F_GENESIS,
	F_FORKS, F_ADDR, F_NODEKEY, F_NODEKEYHEX, F_NAT, F_NETRESTRICT,
	F_DATAPLANE, F_DP_QUEUES, F_DP_EAL, F_DP_BUDGET, F_METRICS_ADDR,
	F_VERBOSITY, F_DISCOVERY_DNS, F_DNS_SERVER, F_DRY_RUN, F_END
};

/* Seeded from DNS alone, the crawl starts with the first record found, or
 * after this long without one (and then, with nothing to do, ends). */
#define DNS_WAIT_NS (15 * 1000000000ull)

static const struct flags_cmd crawl_cmd = {
	.path = "crawl",
	.summary = "Crawl the discovery v4 network from --bootnodes and the "
		   "records of the\n--discovery.dns trees (or --chain's): "
		   "FindNode and ENRRequest every node\nfound, re-check silent "
		   "ones until --timeout (without it: until the crawl\nruns "
		   "dry), dial every node with a TCP port (Hello, Status, "
		   "Disconnect), write\n--out (geth's devp2p nodes.json) and "
		   "--db, print a summary.",
	.accept = takes,
	.notes = "Without --nodekey a fresh key is used. With a loopback "
		 "testnet (one source\naddress for every node) add "
		 "--dataplane.budget off.",
};

struct crawlrun {
	struct loop *l;
	struct node n;
	struct crawl *c;
	struct session_prober *sp;      /* --rlpx (default): probes */
	struct crawl_rlpx *cr;
	struct forkid_chain custom;
	struct crawl_config cc;         /* crawl_new() at crawl_start() */
	struct dnshost *dns;            /* --discovery.dns */
	bool started;                   /* crawl_start() ran */
	uint64_t dns_wait_until;
};

static void crawl_tick(void *arg, uint64_t now);

/* The crawler's host contract (control/crawl/crawl.h): after every call into the
 * engine and at crawl_next_deadline(), crawl_on_timer(), then re-read the
 * engine's deadline. */
static void crawl_post(void *arg, uint64_t now)
{
	struct crawlrun *r = arg;

	if (!r->c)
		return;                 /* engine ticked before crawl_new() */
	if (!crawl_done(r->c))
		crawl_on_timer(r->c, now);
	if (r->cr)
		crawl_rlpx_on_timer(r->cr, now);
	loop_touch(r->l, 0);
	/* Discovery done; RLPx probes still running report through
	 * crawl_probe_done(), which brings us back here. */
	if (crawl_done(r->c) && (!r->cr || crawl_rlpx_idle(r->cr))) {
		loop_stop(r->l, 0);
		return;
	}
	loop_alarm(r->l, crawl_done(r->c) ? now + 1000000000ull :
		   crawl_next_deadline(r->c), crawl_tick, r);
}

static void crawl_tick(void *arg, uint64_t now)
{
	crawl_post(arg, now);
}

static int crawl_start(struct crawlrun *r, uint64_t now)
{
	int rc;

	r->started = true;
	rc = crawl_new(&r->c, r->n.d, &r->cc, now);
	if (rc) {
		cmd_err("crawl", rc);
		loop_stop(r->l, 1);
		return rc;
	}
	loop_alarm(r->l, now, crawl_tick, r);
	return 0;
}

/* Waiting for the first DNS record: start without one at the end. */
static void dns_wait_tick(void *arg, uint64_t now)
{
	struct crawlrun *r = arg;

	if (!r->started)
		crawl_start(r, now);
}

/* A record of a DNS tree with an IP and UDP port: a seed like a bootnode
 * (the first one starts a crawl seeded from DNS alone). */
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
	/* The TCP port of the same address, for the RLPx probe. */
	if (dnshost_node_endpoint(&dn->enr, true, n.id, tip, &tcp) == 0 &&
	    !memcmp(tip, n.ep.ip, 16))
		n.ep.tcp = tcp;
	if (!r->started && crawl_start(r, now))
		return;
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

/* --rlpx: every node learnt with a TCP port is probed once. */
static void crawl_node_hook(void *user, const struct discv4_node *dn)
{
	struct crawlrun *r = user;

	if (r->cr && dn->ep.tcp)
		crawl_rlpx_add(r->cr, dn->id, dn->ep.ip, dn->ep.tcp);
}

static int crawl_probe_start(void *user, const uint8_t pub[64],
			     const uint8_t ip[16], uint16_t tcp,
			     uint64_t timeout_ns, uint64_t now)
{
	return session_probe(((struct crawlrun *)user)->sp, pub, ip, tcp,
			     timeout_ns, now);
}

static void crawl_probe_done(void *user, const struct session_probe_result *res)
{
	struct crawlrun *r = user;

	crawl_rlpx_on_result(r->cr, res);
	loop_alarm(r->l, loop_now(), crawl_tick, r);    /* start the next */
}

/* The chain whose Status the probes send (default mainnet): a remote on
 * another chain still sends its own Status before it drops us. */
static const struct forkid_chain *crawl_chain(struct crawlrun *r,
					      const struct flags *o)
{
	const struct forkid_chain *chain;

	if (o->genesis) {
		if (forkid_chain_custom(&r->custom, o->networkid, o->genesis,
					o->forks)) {
			fprintf(stderr, "devplane: crawl: bad --networkid/--genesis/--forks\n");
			return NULL;
		}
		return &r->custom;
	}
	chain = forkid_chain_by_name(o->chain ? o->chain : "mainnet");
	if (!chain)
		fprintf(stderr, "devplane: crawl: unknown chain %s\n", o->chain);
	return chain;
}

/* node_init() for the crawler: the same local node and engine, but with
 * the engine's on_node_seen/on_bond hooks going to the crawler and no
 * node database (node_fini() tears it down). */
static int crawl_engine_init(struct crawlrun *r, const struct flags *o,
			     const uint8_t priv[32], uint64_t now)
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
	if (!port)
		return -EINVAL;
	n->loop = r->l;
	n->verbosity = o->verbosity;
	rc = localnode_init(&n->ln, priv, 0, port, 0);
	if (rc)
		return rc;
	loop_listen_addr(r->l, 0, addr);
	localnode_set_fallback_ip(&n->ln,
				  netutil_is_unspecified(addr) ? lo : addr);
	if (o->has_extip)
		localnode_set_static_ip(&n->ln, o->extip);
	dc.ln = &n->ln;
	dc.send = loop_send;
	dc.send_user = loop_port(r->l, 0);
	dc.on_bond = crawl_bond_hook;
	dc.on_node_seen = crawl_seen_hook;
	dc.hook_user = r;
	dc.netrestrict = o->netrestrict;
	dc.n_netrestrict = o->n_netrestrict;
	dc.seed = now;
	dc.no_refresh = true;
	rc = discv4_new(&n->d, &dc, now);
	if (rc)
		goto out_fini;
	rc = loop_attach(r->l, 0, n->d, 0, crawl_post, r);
	if (rc)
		goto out_free;
	return 0;
out_free:
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

int cmd_crawl(int argc, char **argv)
{
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };
	struct crawlrun *r = calloc(1, sizeof(*r));
	struct flags *o = malloc(sizeof(*o));
	struct dplink_listen listen;
	struct nodedb *db = NULL;
	struct loop_cfg lc;
	const struct forkid_chain *chain = NULL;
	char *text = NULL;
	uint8_t priv[32];
	uint64_t now;
	int rc, status;

	if (!r || !o) {
		free(r);
		free(o);
		return 1;
	}
	status = cmd_flags(o, &crawl_cmd, argc, argv);
	if (status >= 0) {
		free(r);
		free(o);
		return status;
	}
	if (o->dry_run) {
		cmd_print_sources(stdout, o);
		status = 0;
		goto out;
	}
	status = 2;
	if (!o->n_bootnodes && !o->n_dns) {
		fprintf(stderr, "devplane: crawl needs --bootnodes, "
			"--discovery.dns or --chain\n");
		goto out;
	}
	if (!o->no_rlpx && !(chain = crawl_chain(r, o)))
		goto out;
	status = 1;
	if (o->db) {
		rc = nodedb_open(&db, o->db);
		if (rc) {
			cmd_err(o->db, rc);
			goto out;
		}
	}
	cmd_listen(&listen, o->has_addr ? o->addr : any4,
		     o->has_addr ? o->port : 0, 0);
	/* The crawler commits its own batches: no loop batch on db. */
	cmd_loop_cfg(&lc, o, &listen, 1, NULL);
	rc = loop_new(&r->l, &lc);
	if (rc) {
		cmd_err("dataplane", rc);
		goto out;
	}
	if (o->nodekey || o->nodekeyhex)
		rc = cmd_load_key(priv, o);
	else
		rc = secp_priv_generate(priv);
	if (rc)
		goto out;
	now = loop_now();
	rc = crawl_engine_init(r, o, priv, now);
	if (!rc && !o->no_rlpx) {
		struct crawl_rlpx_config rc_cfg = {
			.parallel = o->rlpx_parallel,
			.timeout_ns = (uint64_t)o->rlpx_timeout_ms * 1000000ull,
			.db = db, .start = crawl_probe_start, .start_user = r,
		};

		rc = session_prober_new(&r->sp, r->l, priv, chain,
					crawl_probe_done, r);
		if (!rc)
			rc = crawl_rlpx_new(&r->cr, &rc_cfg);
	}
	explicit_bzero(priv, sizeof(priv));
	if (rc) {
		cmd_err("node", rc);
		goto out;
	}
	r->cc.parallel = o->parallel;
	r->cc.timeout_ns = flags_given(o, F_TIMEOUT) ?
			   (uint64_t)o->timeout_ms * 1000000ull : 0;
	r->cc.out_path = o->out;
	r->cc.db = db;
	r->cc.flush_ns = 1000000000ull;
	r->cc.progress = o->verbosity >= 3 ? crawl_progress_line : NULL;
	r->cc.on_node = crawl_node_hook;
	r->cc.node_user = r;
	if (o->n_bootnodes) {
		if (crawl_start(r, now))
			goto out;
		for (unsigned i = 0; i < o->n_bootnodes; i++) {
			struct discv4_node dn;

			if (node_wire(&dn, &o->bootnodes[i]) ||
			    crawl_add_seed(r->c, &dn) == -EINVAL)
				fprintf(stderr, "devplane: bootnode %u refused\n",
					i);
		}
	} else {
		loop_alarm(r->l, now + DNS_WAIT_NS, dns_wait_tick, r);
	}
	if (o->n_dns) {
		struct dnshost_cfg hc;

		cmd_dns_cfg(&hc, o);
		hc.on_node = crawl_dns_node;
		hc.user = r;
		rc = dnshost_new(&r->dns, r->l, &hc, NULL);
		if (rc) {
			cmd_err("DNS discovery", rc);
			goto out;
		}
	}
	rc = loop_run(r->l);
	if (rc < 0)
		cmd_err("event loop", rc);
	if (!r->c) {
		status = 1;
		goto out;
	}
	now = loop_now();
	if (crawl_flush(r->c, now))
		fprintf(stderr, "devplane: crawl output not fully written\n");
	text = malloc(4096);
	if (text) {
		crawl_format_summary(r->c, now, text, 4096);
		printf("%s\n", text);
		if (r->cr) {
			crawl_rlpx_format_summary(r->cr, text, 4096);
			printf("%s\n", text);
		}
		if (r->dns)
			printf("%s\n", dnshost_format_stats(r->dns, text, 4096));
	}
	status = rc < 0 ? 1 : 0;
out:
	dnshost_free(r->dns);
	session_prober_free(r->sp);     /* probes in flight: not reported */
	node_fini(&r->n);       /* pending crawl callbacks get -ECANCELED */
	crawl_free(r->c);
	crawl_rlpx_free(r->cr);
	loop_free(r->l);
	nodedb_close(db);
	free(text);
	free(r);
	free(o);
	return status;
}
