/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_node.c - `devplane node`: an RLPx node with discovery,
 * eth and ping/1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/cmd/cmdutil.h"
#include "control/host/session.h"
#include "control/rlpx/forkid.h"
#include "control/store/nodedb.h"

static const enum flag_id takes[] = {
	F_NODEKEY, F_NODEKEYHEX, F_ADDR, F_NAT, F_BOOTNODES, F_STATICNODES,
	F_TRUSTEDNODES, F_MAXPEERS, F_MAXPENDPEERS, F_NODISCOVER,
	F_NETRESTRICT, F_CHAIN, F_NETWORKID, F_GENESIS, F_FORKS, F_DB,
	F_IPCPATH, F_METRICS_ADDR, F_DATAPLANE, F_DP_QUEUES, F_DP_EAL,
	F_DP_BUDGET, F_VERBOSITY, F_NAT_LEASE, F_DISCOVERY_DNS, F_DNS_SERVER,
	F_DRY_RUN, F_DISC_V4, F_DISC_V5, F_HEAD, F_END
};

static const struct flags_cmd node_cmd = {
	.path = "node",
	.summary = "Run an RLPx node: discovery v4 and v5, EIP-8 and legacy "
		   "handshakes, eth Status\n(--chain, or a custom chain with "
		   "--networkid --genesis [--forks]) and ping/1;\nprints the "
		   "enode URL, then events.",
	.accept = takes,
	.notes = "RLPx listens on TCP at the UDP address and port (an "
		 "attached dataplane's\n--listen unless --addr names the TCP "
		 "listener). --verbosity 4 adds the\np2p keepalive Pings. "
		 "--chain also sets the chain's bootnodes and DNS tree\n"
		 "(unless --bootnodes or --discovery.dns say otherwise); "
		 "without --chain there\nare none. Nodes of the DNS trees are "
		 "dial candidates. With --nat upnp, pmp or\nany the UDP and TCP "
		 "ports are mapped on the gateway; each time the record\n"
		 "changes (external IP, mapped ports) the new enode URL is "
		 "printed on a line of\nits own.",
};

int cmd_node(int argc, char **argv)
{
	struct session_node_cfg nc = { 0 };
	struct forkid_chain custom;
	struct nodedb *db = NULL;
	struct flags *o = malloc(sizeof(*o));
	uint8_t priv[32];
	int rc, status;

	if (!o)
		return 1;
	status = cmd_flags(o, &node_cmd, argc, argv);
	if (status >= 0)
		goto out;
	if (o->dry_run) {
		cmd_print_sources(stdout, o);
		status = 0;
		goto out;
	}
	status = 1;
	if (cmd_load_key(priv, o))
		goto out;
	if (o->genesis) {
		if (forkid_chain_custom(&custom, o->networkid, o->genesis,
					o->forks)) {
			fprintf(stderr, "devplane node: bad --genesis/--forks\n");
			status = 2;
			goto out;
		}
		nc.chain = &custom;
	} else {
		nc.chain = forkid_chain_by_name(o->chain ? o->chain : "mainnet");
		if (!nc.chain) {
			fprintf(stderr, "devplane node: unknown chain %s\n",
				o->chain);
			status = 2;
			goto out;
		}
	}
	if (o->db) {
		rc = nodedb_open(&db, o->db);
		if (rc) {
			cmd_err(o->db, rc);
			goto out;
		}
	}
	nc.priv = priv;
	cmd_loop_cfg(&nc.loop, o, NULL, 0, db);
	nc.has_addr = o->has_addr;
	memcpy(nc.addr, o->addr, 16);
	nc.port = o->port;
	nc.has_extip = o->has_extip;
	memcpy(nc.extip, o->extip, 16);
	nc.bootnodes = o->bootnodes;
	nc.n_bootnodes = o->n_bootnodes;
	nc.statics = o->statics;
	nc.n_statics = o->n_statics;
	nc.trusted = o->trusted;
	nc.n_trusted = o->n_trusted;
	nc.max_peers = o->max_peers;
	nc.max_pending = o->max_pending;
	/* geth: with neither discovery protocol, there is no discovery. */
	nc.nodiscover = o->nodiscover || (!o->disc_v4 && !o->disc_v5);
	nc.no_v4 = !o->disc_v4;
	nc.v5 = o->disc_v5;
	nc.ipcpath = o->ipcpath;
	nc.db = db;
	nc.verbosity = o->verbosity;
	nc.dns_urls = o->dns_urls;
	nc.n_dns = o->n_dns;
	nc.has_dns_server = o->has_dns_server;
	memcpy(nc.dns_server, o->dns_server, 16);
	nc.dns_server_port = o->dns_server_port;
	cmd_nat_cfg(&nc.nat, o);
	nc.has_head = o->has_head;
	nc.head_number = o->head_number;
	nc.head_time = o->head_time;
	memcpy(nc.head_hash, o->head_hash, sizeof(nc.head_hash));
	status = session_node_run(&nc);
out:
	nodedb_close(db);
	explicit_bzero(priv, sizeof(priv));
	free(o);
	return status;
}
