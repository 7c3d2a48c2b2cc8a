/* SPDX-License-Identifier: MIT */
/* control/cmd/cmdutil.c - what the devplane commands share. */
#include "control/cmd/cmdutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/nodekey.h"
#include "common/secp.h"
#include "control/base/chains.h"
#include "control/discv4/discv4.h"
#include "control/host/dnshost.h"

int cmd_flags(struct flags *o, const struct flags_cmd *c, int argc,
	      char **argv)
{
	char err[FLAGS_ERR_LEN];
	int rc = flags_parse(o, c, argc, argv, stdout, err, sizeof(err));

	if (rc == FLAGS_HELP)
		return 0;
	if (rc) {
		fprintf(stderr, "devplane %s: %s\n", c->path, err);
		flags_usage(stderr, c);
		return 2;
	}
	if (secp_init()) {
		fprintf(stderr, "devplane: cannot set up secp256k1\n");
		return 1;
	}
	return -1;
}

int cmd_load_key(uint8_t priv[32], const struct flags *o)
{
	int rc;

	if (o->nodekeyhex) {
		rc = nodekey_parse_hex(priv, o->nodekeyhex,
				       strlen(o->nodekeyhex));
		if (rc)
			fprintf(stderr, "devplane: --nodekeyhex: invalid key\n");
		return rc;
	}
	if (o->nodekey) {
		rc = nodekey_load(priv, o->nodekey);
		if (rc)
			fprintf(stderr, "devplane: --nodekey %s: %s\n",
				o->nodekey, rc == -EBADMSG ? "not a node key" :
				strerror(-rc));
		return rc;
	}
	fprintf(stderr, "devplane: use --nodekey or --nodekeyhex\n");
	return -EINVAL;
}

void cmd_listen(struct dplink_listen *l, const uint8_t addr[16],
		uint16_t port, uint16_t idx)
{
	memset(l, 0, sizeof(*l));
	memcpy(l->addr, addr, 16);
	l->port_be = htons(port);
	l->sock_idx = idx;
}

void cmd_nat_cfg(struct nathost_cfg *nc, const struct flags *o)
{
	memset(nc, 0, sizeof(*nc));
	nc->mech = o->nat;
	nc->has_gateway = o->has_nat_gw;
	memcpy(nc->gateway, o->nat_gw, 16);
	nc->lease_ns = (uint64_t)o->nat_lease_ms * 1000000ull;
	nc->verbosity = o->verbosity;
	/* Random ports after a conflict: not a secret, any seed will do. */
	if (getrandom(&nc->seed, sizeof(nc->seed), 0) != sizeof(nc->seed))
		nc->seed = loop_now();
}

void cmd_loop_cfg(struct loop_cfg *lc, const struct flags *o,
		  const struct dplink_listen *listen, unsigned n,
		  struct nodedb *db)
{
	memset(lc, 0, sizeof(*lc));
	lc->attach_path = o->dp == FLAGS_DP_ATTACH ? o->dp_attach : NULL;
	lc->backend = o->dp_backend;
	lc->eal = o->dp_eal;
	lc->n_queues = o->queues;
	lc->budget_set = o->budget_set;
	lc->budget_rate = o->budget_rate;
	lc->budget_burst = o->budget_burst;
	lc->ban_sig_count = o->ban_threshold;
	lc->ban_sig_window_s = o->ban_window_s;
	lc->ban_secs = o->ban_secs;
	lc->netrestrict = o->netrestrict;
	lc->n_netrestrict = o->n_netrestrict;
	lc->listen = listen;
	lc->n_listen = n;
	lc->db = db;
	lc->metrics = o->has_metrics;
	memcpy(lc->metrics_addr, o->metrics_addr, 16);
	lc->metrics_port = o->metrics_port;
	lc->verbosity = o->verbosity;
}

void cmd_err(const char *what, int rc)
{
	fprintf(stderr, "devplane: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
}

void cmd_print_engine_stats(FILE *f, const char *who, const struct discv4 *d)
{
	const struct discv4_stats *s = discv4_stats(d);

	fprintf(f, "%s: table %zu, bonds %" PRIu64 ", lookups %" PRIu64
		", rx ping/pong/findnode/neighbors/enrreq/enrresp %" PRIu64
		"/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
		", tx %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
		"/%" PRIu64 ", pending max %" PRIu64 ", refused total/pingback/"
		"peer %" PRIu64 "/%" PRIu64 "/%" PRIu64 "\n", who,
		discv4_table_size(d), s->bonds, s->lookups, s->rx[1], s->rx[2],
		s->rx[3], s->rx[4], s->rx[5], s->rx[6], s->tx[1], s->tx[2],
		s->tx[3], s->tx[4], s->tx[5], s->tx[6], s->pending_max,
		s->pending_refused[DISCV4_CAP_TOTAL],
		s->pending_refused[DISCV4_CAP_PINGBACK],
		s->pending_refused[DISCV4_CAP_PEER]);
}

uint64_t cmd_seed(uint64_t now)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), 0) == (ssize_t)sizeof(seed))
		return seed;
	return now ^ ((uint64_t)getpid() << 32);
}

void cmd_print_sources(FILE *f, const struct flags *o)
{
	const struct chains_preset *p = chains_by_name(o->chain);
	char hex[2 * CHAINS_GENESIS_LEN + 1];
	char url[ENODE_URL_MAX + 1];

	if (o->genesis)
		fprintf(f, "chain custom: network %llu, genesis %s\n",
			(unsigned long long)o->networkid, o->genesis);
	else if (p)
		fprintf(f, "chain %s: network %llu, genesis 0x%s\n", p->name,
			(unsigned long long)p->network_id,
			hex_encode(hex, p->genesis, CHAINS_GENESIS_LEN));
	else
		fprintf(f, "chain mainnet (no --chain: no preset bootnodes "
			"or DNS trees)\n");
	for (unsigned i = 0; i < o->n_bootnodes; i++) {
		if (o->bootnode_text[i])
			fprintf(f, "bootnode %s\n", o->bootnode_text[i]);
		else if (enode_format(url, sizeof(url), &o->bootnodes[i]) > 0)
			fprintf(f, "bootnode %s\n", url);
	}
	for (unsigned i = 0; i < o->n_bootnodes_v5; i++)
		fprintf(f, "bootnode.v5 %s (not used: no discv5 yet)\n",
			o->bootnodes_v5[i]);
	for (unsigned i = 0; i < o->n_dns; i++)
		fprintf(f, "dns %s\n", o->dns_urls[i]);
	if (o->has_dns_server) {
		char ip[NETUTIL_ADDRSTRLEN];

		netutil_addr_format(ip, o->dns_server);
		fprintf(f, netutil_addr_is_v4(o->dns_server) ?
			"dns.server %s:%u\n" : "dns.server [%s]:%u\n", ip,
			o->dns_server_port);
	} else if (o->n_dns) {
		fprintf(f, "dns.server /etc/resolv.conf\n");
	}
}

void cmd_dns_cfg(struct dnshost_cfg *c, const struct flags *o)
{
	memset(c, 0, sizeof(*c));
	c->urls = o->dns_urls;
	c->n_urls = o->n_dns;
	c->has_server = o->has_dns_server;
	memcpy(c->server, o->dns_server, 16);
	c->server_port = o->dns_server_port;
	c->verbosity = o->verbosity;
}

int cmd_oneshot_node(struct loop **l, struct node *n, const struct flags *o,
		     const uint8_t bind[16], bool v5, uint64_t *now)
{
	struct dplink_listen listen;
	struct loop_cfg lc;
	struct node_cfg nc;
	uint8_t priv[32];
	int rc;

	cmd_listen(&listen, bind, o->has_addr ? o->port : 0, 0);
	cmd_loop_cfg(&lc, o, &listen, 1, NULL);
	rc = loop_new(l, &lc);
	if (rc) {
		cmd_err("dataplane", rc);
		return rc;
	}
	rc = secp_priv_generate(priv);
	if (rc)
		return rc;
	*now = loop_now();
	nc = (struct node_cfg){
		.priv = priv, .loop = *l, .idx = 0, .no_refresh = true,
		.seed = cmd_seed(*now), .has_extip = o->has_extip,
		.netrestrict = o->netrestrict,
		.n_netrestrict = o->n_netrestrict, .verbosity = o->verbosity,
		.no_v4 = v5, .v5 = v5,
	};
	memcpy(nc.extip, o->extip, 16);
	rc = node_init(n, &nc, *now);
	explicit_bzero(priv, sizeof(priv));
	if (rc)
		cmd_err("node", rc);
	return rc;
}
