/* SPDX-License-Identifier: MIT */
/* control/host/devnode_admin.c - the node's admin API provider (geth's admin_* methods over control/api/admin.h) and the peer-set calls behind them and the public API. */
#include "control/host/devnode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/api/headrpc.h"
#include "control/base/nodearg.h"

static int parse_one(struct enode *e, const char *url)
{
	if (!url || nodearg_parse(e, url) || e->kind == ENODE_HOST_NAME)
		return -EINVAL;
	return 0;
}

/* ---- the admin provider ------------------------------------------------- */

/* The fork id of our head in the ENR's "eth" entry (enr-entries/eth.md:
 * [[forkHash, forkNext]]): discovery tells peers our chain before they
 * dial. */
void devnode_set_enr_eth(const struct eth *eth, struct localnode *ln)
{
	uint8_t val[LOCALNODE_ETH_MAX];
	ssize_t len = eth_enr_entry(eth, val, sizeof(val));

	if (len < 0 || localnode_set_eth(ln, val, (size_t)len) < 0)
		fprintf(stderr, "devplane: could not set the ENR eth entry\n");
}

int devplane_set_head(struct devplane *n, uint64_t number, uint64_t time,
		      const uint8_t hash[DEVPLANE_HASH_LEN])
{
	uint64_t now = loop_now();
	struct forkid fid;
	int sent;

	sent = sesshost_set_head(n->sh, number, time, hash, now);
	if (sent < 0)
		return sent;
	if (n->disc) {
		devnode_set_enr_eth(sesshost_eth(n->sh), &n->disc->ln);
		if (localnode_update(&n->disc->ln, now) == 1)
			node_save_seq(n->disc);
	}
	devnode_flush(n);               /* the BlockRangeUpdates */
	if (n->verbosity >= 3) {
		eth_local_forkid(sesshost_eth(n->sh), &fid);
		fprintf(stderr, "devplane: head %" PRIu64 " time %" PRIu64
			": fork id %08" PRIx32 "/%" PRIu64 ", record seq %"
			PRIu64 ", %d block range update%s\n", number, time,
			fid.hash, fid.next,
			n->disc ? localnode_seq(&n->disc->ln) : 0, sent,
			sent == 1 ? "" : "s");
	}
	return sent;
}

int devnode_set_head_method(void *user, const char *params, char **result)
{
	struct devplane *n = user;
	const struct eth *eth = sesshost_eth(n->sh);
	struct headrpc_result r = { 0 };
	int rc;

	*result = NULL;
	rc = headrpc_parse(&r.head, params, result);
	if (rc)
		return rc;
	rc = devplane_set_head(n, r.head.number, r.head.time, r.head.hash);
	if (rc == -EINVAL) {
		*result = strdup("a head above block 0 needs its hash (a zero "
				 "hash stands for the genesis, block 0)");
		return rc;
	}
	if (rc < 0)
		return rc;
	r.range_updates = (unsigned)rc;
	if (!memcmp(r.head.hash, (uint8_t[HEADRPC_HASH_LEN]){ 0 },
		    HEADRPC_HASH_LEN))
		memcpy(r.head.hash, n->chain->genesis, HEADRPC_HASH_LEN);
	eth_local_forkid(eth, &r.forkid);
	r.enr_seq = n->disc ? localnode_seq(&n->disc->ln) : 0;
	*result = headrpc_result_json(&r);
	return *result ? 0 : -ENOMEM;
}

static const struct kad_table *adm_table(void *user)
{
	struct devplane *n = user;

	return n->disc && n->disc->d ? discv4_table(n->disc->d) : NULL;
}

static const struct kad_table *adm_table5(void *user)
{
	struct devplane *n = user;

	return n->disc && n->disc->d5 ? discv5_table(n->disc->d5) : NULL;
}

static int adm_node_info(void *user, struct admin_node_info *ni)
{
	struct devplane *n = user;
	const struct eth *eth = sesshost_eth(n->sh);
	struct enode e;
	ssize_t len = -EINVAL;

	memcpy(ni->pub, n->pub, 64);
	p2p_client_id(ni->name, sizeof(ni->name));
	snprintf(ni->enode, sizeof(ni->enode), "%s", n->url);
	if (enode_parse(&e, n->url, strlen(n->url)))
		return -EINVAL;
	memcpy(ni->ip, e.ip, 16);
	ni->discovery = n->disc ? e.udp : 0;
	ni->listener = n->port;
	memcpy(ni->listen_ip, n->laddr, 16);
	ni->listen_port = n->port;
	if (n->disc) {
		len = enr_encode_text(ni->enr, sizeof(ni->enr),
				      localnode_record(&n->disc->ln));
	} else {
		/* No discovery: a record of the listen endpoint anyway, as
		 * geth keeps one with --nodiscover. */
		struct localnode *ln = calloc(1, sizeof(*ln));

		if (!ln)
			return -ENOMEM;
		if (!localnode_init(ln, n->priv, 0, n->port, n->port)) {
			localnode_set_static_ip(ln, e.ip);
			if (sesshost_eth_registered(n->sh))
				devnode_set_enr_eth(eth, ln);
			if (localnode_update(ln, loop_now()) >= 0 &&
			    localnode_record(ln))
				len = enr_encode_text(ni->enr, sizeof(ni->enr),
						      localnode_record(ln));
			localnode_fini(ln);
		}
		free(ln);
	}
	if (len < 0)
		return (int)len;
	if (!sesshost_eth_registered(n->sh))
		return 0;               /* protocols: {} */
	ni->has_eth = true;
	ni->network = n->chain->network_id;
	memcpy(ni->genesis, n->chain->genesis, 32);
	memcpy(ni->head, eth->cfg.head_hash, 32);
	if (!memcmp(ni->head, (uint8_t[32]){ 0 }, 32))
		memcpy(ni->head, n->chain->genesis, 32);
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
	struct devplane *n = user;
	struct peers_ctx pc = { .emit = emit, .ctx = ctx };

	sesshost_peers(n->sh, adm_peer, &pc);
}

static int adm_add_peer(void *user, const struct enode *e)
{
	struct devplane *n = user;
	int rc = sesshost_add_static(n->sh, e->pub, e->ip, e->tcp);

	devnode_flush(n);
	return rc;
}

static int adm_remove_peer(void *user, const struct enode *e)
{
	struct devplane *n = user;
	int rc = sesshost_remove_peer(n->sh, e->pub, loop_now());

	devnode_flush(n);
	return rc;
}

/* geth answers true whether or not the node was trusted already. */
static int adm_add_trusted(void *user, const struct enode *e)
{
	struct devplane *n = user;
	int rc = sesshost_add_trusted(n->sh, e->pub);

	return rc == -EEXIST ? 0 : rc;
}

static int adm_remove_trusted(void *user, const struct enode *e)
{
	struct devplane *n = user;
	int rc = sesshost_remove_trusted(n->sh, e->pub);

	return rc == -ENOENT ? 0 : rc;
}

int devplane_add_peer(struct devplane *n, const char *url)
{
	struct enode e;

	return parse_one(&e, url) ? -EINVAL : adm_add_peer(n, &e);
}

int devplane_remove_peer(struct devplane *n, const char *url)
{
	struct enode e;

	return parse_one(&e, url) ? -EINVAL : adm_remove_peer(n, &e);
}

int devplane_add_trusted(struct devplane *n, const char *url)
{
	struct enode e;

	return parse_one(&e, url) ? -EINVAL : adm_add_trusted(n, &e);
}

int devplane_remove_trusted(struct devplane *n, const char *url)
{
	struct enode e;

	return parse_one(&e, url) ? -EINVAL : adm_remove_trusted(n, &e);
}

int devplane_admin_method(struct devplane *n, const char *name,
			  devplane_method_fn *fn, void *user)
{
	return admin_methods_add(&n->methods, name, fn, user);
}

int devplane_admin_method_remove(struct devplane *n, const char *name)
{
	return admin_methods_remove(&n->methods, name);
}

void devnode_admin_provider(struct devplane *n, struct admin_provider *ap)
{
	*ap = (struct admin_provider){
		.user = n, .node_info = adm_node_info,
		.peers = adm_peers, .add_peer = adm_add_peer,
		.remove_peer = adm_remove_peer,
		.discv4_table = adm_table,
		.discv5_table = adm_table5,
		.add_trusted = adm_add_trusted,
		.remove_trusted = adm_remove_trusted,
		.peer_events = true, .ext = &n->methods,
	};
}
