/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_crawl.c - `devplane crawl`: sweep the network from seeds,
 * probe every node over RLPx, write nodes.json and the database. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/secp.h"
#include "control/cmd/cmdutil.h"
#include "control/host/crawlhost.h"
#include "control/host/dnshost.h"
#include "control/rlpx/forkid.h"
#include "control/store/crawldb.h"
#include "control/store/pgstore.h"

static const enum flag_id takes[] = {
	F_BOOTNODES, F_OUT, F_DB, F_TIMEOUT, F_PARALLEL, F_RLPX, F_NO_RLPX,
	F_RLPX_PARALLEL, F_RLPX_TIMEOUT, F_CHAIN, F_NETWORKID, F_GENESIS,
	F_FORKS, F_ADDR, F_NODEKEY, F_NODEKEYHEX, F_NAT, F_NETRESTRICT,
	F_DATAPLANE, F_DP_QUEUES, F_DP_EAL, F_DP_BUDGET, F_METRICS_ADDR,
	F_VERBOSITY, F_NAT_LEASE, F_MAX_NODES, F_DISCOVERY_DNS, F_DNS_SERVER,
	F_DRY_RUN, F_STORE, F_CRAWL_ROUND, F_LEASE_TIME, F_REPORT, F_V4, F_V5,
	F_END
};

static const struct flags_cmd crawl_cmd = {
	.path = "crawl",
	.summary = "Crawl the discovery v4 network (--v5: v5; --v4 --v5: both "
		   "on one port) from\n--bootnodes and the records of the "
		   "--discovery.dns trees (or --chain's):\nFindNode every node "
		   "found (ENRRequest those with EIP-868), re-check silent\n"
		   "ones until --timeout (without it: until the crawl runs "
		   "dry), dial every node\nwith a TCP port (Hello, Status, "
		   "Disconnect), write --out (geth's devp2p\nnodes.json) and "
		   "--db, at most once a second and at the end, print a "
		   "summary.",
	.accept = takes,
	.notes = "Without --nodekey a fresh key is used. With a loopback "
		 "testnet (one source\naddress for every node) add "
		 "--dataplane.budget off.\n"
		 "A crawl fleet: crawlers on any machines give the same "
		 "--store postgres://...\nand --crawl-round NAME; the round's "
		 "queue hands each node to one of them\n(leases: a crawler "
		 "killed midway loses its nodes to the others after\n"
		 "--lease-time). A SQLite --store/--db with --crawl-round is a "
		 "round for one\ncrawler (resumed by the same name after a "
		 "crash).\n"
		 "--v5 crawls discovery v5 as geth's `devp2p discv5 crawl` "
		 "does (FINDNODE [0] for\neach node's record, then FINDNODE "
		 "by distance from 256 down), --bootnodes as\nenr: records or "
		 "enode URLs; nodes.json has the same format, the summary\n"
		 "adds the records by ENR key, eth fork id and eth2 fork "
		 "digest. --v4 --v5 runs\nboth crawls at once on one port "
		 "(one entry per node in nodes.json). A fleet\nround "
		 "(--crawl-round, PostgreSQL) is discovery v4 only.",
};

/* The chain whose Status the probes send (default mainnet): a remote on
 * another chain still sends its own Status before it drops us. */
static const struct forkid_chain *crawl_chain(struct forkid_chain *custom,
					      const struct flags *o)
{
	const struct forkid_chain *chain;

	if (o->genesis) {
		if (forkid_chain_custom(custom, o->networkid, o->genesis,
					o->forks)) {
			fprintf(stderr, "devplane: crawl: bad --networkid/--genesis/--forks\n");
			return NULL;
		}
		return custom;
	}
	chain = forkid_chain_by_name(o->chain ? o->chain : "mainnet");
	if (!chain)
		fprintf(stderr, "devplane: crawl: unknown chain %s\n", o->chain);
	return chain;
}

int cmd_crawl(int argc, char **argv)
{
	struct crawlhost_cfg hc = { 0 };
	struct forkid_chain custom;
	struct crawldb *db = NULL;
	const char *target;
	char config[256];
	struct flags *o = malloc(sizeof(*o));
	uint8_t priv[32];
	int rc, status;

	if (!o)
		return 1;
	status = cmd_flags(o, &crawl_cmd, argc, argv);
	if (status >= 0)
		goto out;
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
	if (!o->no_rlpx && !(hc.chain = crawl_chain(&custom, o)))
		goto out;
	status = 1;
	if (o->nodekey || o->nodekeyhex)
		rc = cmd_load_key(priv, o);
	else
		rc = secp_priv_generate(priv);
	if (rc)
		goto out;
	target = o->store ? o->store : o->db;
	if ((o->crawl_round || flags_given(o, F_LEASE_TIME) || o->report) &&
	    !target) {
		fprintf(stderr, "devplane: crawl: --crawl-round, --lease-time "
			"and --report need --store or --db\n");
		status = 2;
		goto out;
	}
	if (target) {
		rc = crawldb_open(&db, target);
		if (rc) {
			cmd_err(pgstore_is_url(target) ? "store" : target, rc);
			goto out;
		}
	}
	/* PostgreSQL is the fleet's store: its crawls always go through the
	 * queue's leases (a crawl without a round name is a round of one). */
	hc.leased = o->crawl_round || pgstore_is_url(target);
	if (flags_given(o, F_LEASE_TIME) && !hc.leased) {
		fprintf(stderr, "devplane: crawl: --lease-time needs "
			"--crawl-round or a PostgreSQL --store\n");
		status = 2;
		goto out;
	}
	/* --v4 (the default), --v5, or both. */
	hc.v5 = flags_given(o, F_V5);
	hc.no_v4 = hc.v5 && !flags_given(o, F_V4);
	if (hc.leased && hc.v5) {
		fprintf(stderr, "devplane: crawl: a crawl round (--crawl-round, "
			"PostgreSQL) is discovery v4 only\n");
		status = 2;
		goto out;
	}
	hc.round = o->crawl_round;
	hc.lease_ns = (uint64_t)o->lease_ms * 1000000ull;
	hc.report_path = o->report;
	snprintf(config, sizeof(config), "parallel=%u timeout=%ums rlpx=%s "
		 "chain=%s max-nodes=%u lease=%ums disc=%s", o->parallel,
		 flags_given(o, F_TIMEOUT) ? o->timeout_ms : 0,
		 o->no_rlpx ? "off" : "on",
		 o->genesis ? "custom" : o->chain ? o->chain : "mainnet",
		 o->max_nodes, o->lease_ms,
		 hc.no_v4 ? "v5" : hc.v5 ? "v4+v5" : "v4");
	hc.config = config;
	hc.priv = priv;
	cmd_loop_cfg(&hc.loop, o, NULL, 0, NULL);
	hc.has_addr = o->has_addr;
	memcpy(hc.addr, o->addr, 16);
	hc.port = o->port;
	hc.has_extip = o->has_extip;
	memcpy(hc.extip, o->extip, 16);
	cmd_nat_cfg(&hc.nat, o);
	hc.seed = cmd_seed(loop_now());
	hc.bootnodes = o->bootnodes;
	hc.n_bootnodes = o->n_bootnodes;
	if (o->n_dns)
		cmd_dns_cfg(&hc.dns, o);
	hc.parallel = o->parallel;
	hc.timeout_ns = flags_given(o, F_TIMEOUT) ?
			(uint64_t)o->timeout_ms * 1000000ull : 0;
	hc.max_nodes = o->max_nodes;
	hc.out_path = o->out;
	hc.db = db;
	hc.rlpx_parallel = o->rlpx_parallel;
	hc.rlpx_timeout_ns = (uint64_t)o->rlpx_timeout_ms * 1000000ull;
	hc.verbosity = o->verbosity;
	status = crawlhost_run(&hc);
out:
	crawldb_close(db);
	explicit_bzero(priv, sizeof(priv));
	free(o);
	return status;
}
