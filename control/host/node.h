/* SPDX-License-Identifier: MIT */
/* control/host/node.h - a hosted discovery node: local node, discv4 and
 * discv5 engines, node database hooks, attached to one socket of the event
 * loop. */
#ifndef CONTROL_NODE_H
#define CONTROL_NODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/enode.h"
#include "control/discv4/discv4.h"
#include "control/discv5/discv5.h"
#include "control/base/localnode.h"
#include "control/host/loop.h"
#include "control/base/netutil.h"
#include "control/store/nodedb.h"

#define NODE_SEED_MAX     30                            /* geth: seedCount */
#define NODE_SEED_MAX_AGE (5 * 24 * 3600)               /* geth: seedMaxAge */
#define NODE_SEQ_KEY      "local.seq"
#define NODE_RAND_BUF     4096          /* getrandom(2) refill for discv5 */

struct node_cfg {
	const uint8_t *priv;            /* 32 bytes; copied into the local node */
	struct loop *loop;
	unsigned idx;                   /* loop socket */
	uint64_t start_ns;              /* first tick (0: now) */
	bool has_extip;                 /* --nat extip:IP */
	uint8_t extip[16];
	const struct netutil_prefix *netrestrict;
	size_t n_netrestrict;
	struct nodedb *db;              /* seeds, bond times, local seq; NULL */
	uint64_t seed;                  /* engine PRNG seed */
	bool no_refresh;
	/* Which engines run on the socket, sharing one local node (one ENR,
	 * one seq): discv4 unless no_v4, discv5 when v5. At least one. */
	bool no_v4;
	bool v5;
	int verbosity;
};

/* Embedded object: node_init()/node_fini(). */
struct node {
	struct localnode ln;
	struct discv4 *d;               /* NULL: discv4 off */
	struct discv5 *d5;              /* NULL: discv5 off */
	struct nodedb *db;
	struct loop *loop;
	unsigned idx;
	uint64_t saved_seq;
	int verbosity;
	uint64_t db_errors;
	/* Optional: runs after every call the loop made into the engine
	 * (the crawler's host contract). Set after node_init(). */
	loop_post_fn *post;
	void *post_user;
	/* discv5's random callback: getrandom(2) in NODE_RAND_BUF refills,
	 * each byte wiped once handed out */
	size_t rand_pos, rand_len;
	uint8_t rand_buf[NODE_RAND_BUF];
};

/* node_init() builds the local node for the loop socket's bound port
 * (local seq from the database when one is given), creates the engines
 * and attaches them to the loop (discv5: loop_attach_v5(), which turns it
 * on in the dataplane). Returns 0, -EINVAL (no engine, no key, no port),
 * -ENOMEM or as discv4_new(), discv5_new(), loop_attach_v5(). */
int node_init(struct node *n, const struct node_cfg *cfg, uint64_t now_ns);

/* node_fini() detaches the engines, frees them (pending callbacks get
 * -ECANCELED) and wipes the key. */
void node_fini(struct node *n);

/* node_add_bootnode() adds the node e (an IP host, not a name) as a
 * bootnode of each engine (discv5 takes its key and UDP endpoint: an
 * enode URL serves both). Returns 0 or -EINVAL, -ENOMEM. */
int node_add_bootnode(struct node *n, const struct enode *e);

/* node_load_seeds() adds the database's seeds (bonded within
 * NODE_SEED_MAX_AGE) as bootnodes. Returns how many, or -errno. */
ssize_t node_load_seeds(struct node *n, uint64_t now_ns);

/* node_enode() writes our enode URL (geth's bootnode form: the record's
 * IPv4 endpoint, TCP port 0 unless set, ?discport=UDP). Returns the
 * length or -EMSGSIZE. */
ssize_t node_enode(const struct node *n, char *out, size_t cap);

/* node_save_seq() stores the local record's seq in the node database
 * (if any) when it changed since last stored; the loop does so after
 * every call into the engines, a host that changed the record itself
 * (localnode_update()) calls it at once. */
void node_save_seq(struct node *n);

/* node_random() is the discv5_random_fn of node user: getrandom(2)
 * bytes, drawn from a NODE_RAND_BUF buffer refilled as it runs out (the
 * engine asks for a few bytes per packet). Returns 0 or -errno. */
int node_random(void *user, uint8_t *buf, size_t len);

/* node_wire() converts an enode to the engine's node type. Returns 0 or
 * -EINVAL (a host name: nothing is resolved). */
int node_wire(struct discv4_node *out, const struct enode *e);

#endif /* CONTROL_NODE_H */
