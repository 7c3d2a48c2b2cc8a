/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_bootnode.c - `devplane bootnode`: a discovery-only node. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/enode.h"
#include "common/enr.h"
#include "common/secp.h"
#include "control/api/admin.h"
#include "control/cmd/cmdutil.h"
#include "control/host/node.h"
#include "control/rlpx/p2p.h"
#include "control/store/nodedb.h"

#define DEFAULT_ADDR_PORT  30301        /* geth's bootnode -addr :30301 */

static const enum flag_id takes[] = {
	F_NODEKEY, F_NODEKEYHEX, F_ADDR, F_NETRESTRICT, F_NAT, F_BOOTNODES,
	F_DATAPLANE, F_DP_QUEUES, F_DP_EAL, F_DP_BUDGET, F_DB,
	F_METRICS_ADDR, F_WRITEADDRESS, F_STATS, F_VERBOSITY, F_IPCPATH,
	F_BAN_THRESHOLD, F_BAN_WINDOW, F_BAN_DURATION, F_NAT_LEASE, F_DISC_V4,
	F_DISC_V5, F_END
};

static const struct flags_cmd cmd = {
	.path = "bootnode",
	.summary = "Run a discovery bootnode, v4 and v5 on one UDP port: "
		   "answer Ping, FindNode\nand ENRRequest (v4), PING, FINDNODE "
		   "and TALKREQ (v5), keep the tables,\nprint the enode URL.",
	.accept = takes,
	.notes = "Both protocols share one key and one record (admin_nodeInfo "
		 "shows it); the\nbootnodes serve both (an enode URL has the "
		 "key discv5 needs).\n"
		 "The admin API (--ipcpath) serves admin_nodeInfo and "
		 "debug_discoveryV4Table. With --nat "
		 "upnp, pmp or any the\nUDP port is mapped on the gateway; "
		 "each time the record changes (external\nIP, mapped port) "
		 "the new enode URL is printed on a line of its own.",
};

struct boot_admin {
	struct node *n;
	const char *url;
	uint8_t laddr[16];
	uint16_t lport;
};

static int boot_node_info(void *user, struct admin_node_info *ni)
{
	struct boot_admin *b = user;
	struct enode e;
	ssize_t n;

	memcpy(ni->pub, b->n->ln.pub, 64);
	p2p_client_id(ni->name, sizeof(ni->name));
	snprintf(ni->enode, sizeof(ni->enode), "%s", b->url);
	if (enode_parse(&e, b->url, strlen(b->url)))
		return -EINVAL;
	memcpy(ni->ip, e.ip, 16);
	ni->discovery = e.udp;
	ni->listener = e.tcp;
	memcpy(ni->listen_ip, b->laddr, 16);
	ni->listen_port = b->lport;
	n = enr_encode_text(ni->enr, sizeof(ni->enr),
			    localnode_record(&b->n->ln));
	return n < 0 ? (int)n : 0;
}

struct boot_pub {                       /* --nat: the URL follows the record */
	struct node *n;
	char *url;
	size_t cap;
	int verbosity;
};

static void boot_publish(void *user, uint64_t now_ns)
{
	struct boot_pub *p = user;

	(void)now_ns;
	if (node_enode(p->n, p->url, p->cap) < 0)
		return;
	printf("%s\n", p->url);
	fflush(stdout);
	if (p->verbosity >= 3)
		fprintf(stderr, "devplane: record seq %llu: %s\n",
			(unsigned long long)localnode_seq(&p->n->ln), p->url);
}

static const struct kad_table *boot_table(void *user)
{
	struct boot_admin *b = user;

	return b->n->d ? discv4_table(b->n->d) : NULL;
}

static const struct kad_table *boot_table5(void *user)
{
	struct boot_admin *b = user;

	return b->n->d5 ? discv5_table(b->n->d5) : NULL;
}

/* --writeaddress: the URL we would announce, without starting anything. */
static int write_address(const struct flags *o, const uint8_t priv[32])
{
	struct enode e = { .kind = ENODE_HOST_IP4 };
	char url[ENODE_URL_MAX + 1];

	if (secp_pub_from_priv(e.pub, priv))
		return 1;
	memcpy(e.ip, o->has_extip ? o->extip : o->addr, 16);
	if (netutil_is_unspecified(e.ip))
		e.ip[12] = 127, e.ip[15] = 1;
	if (!netutil_addr_is_v4(e.ip))
		e.kind = ENODE_HOST_IP6;
	e.udp = o->has_addr ? o->port : DEFAULT_ADDR_PORT;
	if (enode_format(url, sizeof(url), &e) < 0)
		return 1;
	printf("%s\n", url);
	return 0;
}

int cmd_bootnode(int argc, char **argv)
{
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };
	struct dplink_listen listen;
	struct loop_cfg lc;
	struct node_cfg nc;
	struct nodedb *db = NULL;
	struct loop *l = NULL;
	struct node *n = NULL;
	struct flags *o;
	char url[ENODE_URL_MAX + 1];
	struct boot_admin ba;
	struct boot_pub bp;
	struct nathost *nat = NULL;
	uint8_t priv[32];
	uint64_t now;
	int rc, status;

	o = malloc(sizeof(*o));
	n = calloc(1, sizeof(*n));
	if (!o || !n) {
		free(o);
		free(n);
		return 1;
	}
	status = cmd_flags(o, &cmd, argc, argv);
	if (status >= 0)
		goto out;
	status = 1;
	rc = cmd_load_key(priv, o);
	if (rc)
		goto out;
	if (o->writeaddress) {
		status = write_address(o, priv);
		goto out;
	}
	if (!o->disc_v4 && !o->disc_v5) {
		fprintf(stderr, "devplane bootnode: --discovery.v4=false and "
			"--discovery.v5=false leave nothing to run\n");
		status = 2;
		goto out;
	}
	if (o->db) {
		rc = nodedb_open(&db, o->db);
		if (rc) {
			cmd_err(o->db, rc);
			goto out;
		}
	}
	cmd_listen(&listen, o->has_addr ? o->addr : any4,
		   o->has_addr ? o->port : DEFAULT_ADDR_PORT, 0);
	cmd_loop_cfg(&lc, o, &listen, 1, db);
	rc = loop_new(&l, &lc);
	if (rc) {
		cmd_err("dataplane", rc);
		goto out;
	}
	now = loop_now();
	nc = (struct node_cfg){
		.priv = priv, .loop = l, .idx = 0,
		.has_extip = o->has_extip, .netrestrict = o->netrestrict,
		.n_netrestrict = o->n_netrestrict, .db = db,
		.seed = cmd_seed(now), .verbosity = o->verbosity,
		.no_v4 = !o->disc_v4, .v5 = o->disc_v5,
	};
	memcpy(nc.extip, o->extip, 16);
	rc = node_init(n, &nc, now);
	if (rc) {
		cmd_err("node", rc);
		goto out;
	}
	for (unsigned i = 0; i < o->n_bootnodes; i++)
		if (node_add_bootnode(n, &o->bootnodes[i]))
			fprintf(stderr, "devplane: bootnode %u refused\n", i);
	if (db) {
		ssize_t k = node_load_seeds(n, now);

		if (o->verbosity >= 3)
			fprintf(stderr, "devplane: %zd seeds from %s\n", k, o->db);
	}
	if (node_enode(n, url, sizeof(url)) < 0)
		goto out;
	if (o->ipcpath) {
		struct admin_provider ap = {
			.user = &ba, .node_info = boot_node_info,
			.discv4_table = boot_table,
			.discv5_table = boot_table5,
			.no_peers = "a devplane bootnode runs discovery only "
				    "and has no RLPx peers (no peers, trusted "
				    "peers or peer events)",
		};

		ba = (struct boot_admin){
			.n = n, .url = url, .lport = loop_listen_port(l, 0),
		};
		memcpy(ba.laddr, o->has_addr ? o->addr : any4, 16);
		rc = loop_admin_listen(l, o->ipcpath, &ap);
		if (rc) {
			cmd_err(o->ipcpath, rc);
			goto out;
		}
	}
	printf("%s\n", url);
	fflush(stdout);
	if (nathost_maps(o->nat)) {
		struct nathost_cfg natc;

		bp = (struct boot_pub){ .n = n, .url = url, .cap = sizeof(url),
					.verbosity = o->verbosity };
		cmd_nat_cfg(&natc, o);
		natc.loop = l;
		natc.ln = &n->ln;
		natc.udp = loop_listen_port(l, 0);
		natc.on_publish = boot_publish;
		natc.user = &bp;
		rc = nathost_start(&nat, &natc);
		if (rc) {
			cmd_err("nat", rc);
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
	if (rc < 0)
		cmd_err("event loop", rc);
	else
		status = 0;
	nathost_free(nat);      /* deletes the mappings (bounded) */
	nat = NULL;
	if (o->stats && n->d)
		cmd_print_engine_stats(stdout, "bootnode", n->d);
out:
	nathost_free(nat);
	node_fini(n);
	loop_free(l);           /* commits the batch, stops the dataplane */
	nodedb_close(db);
	explicit_bzero(priv, sizeof(priv));
	free(n);
	free(o);
	return status;
}
