/* SPDX-License-Identifier: MIT */
/* tests/examples/s_broadcast.c - Spacemesh's Broadcast(protocol, payload) (p2p architecture, "Disseminates a message to the node's neighbors via the gossip protocol"): on a line A - B - C, a broadcast from A reaches C through B's relay while its TTL lasts; a TTL of 1, a protocol that does not relay, and a handler that says DEVPLANE_NO_RELAY stop at B; a plain broadcast reaches the neighbours only. */
#include <stdio.h>
#include <string.h>

#include "tests/examples/example.h"

enum { A, B, C, N_NODES };
enum { NEWS, FLASH, LOCAL, PLAIN, N_PROTOS };

struct node {
	struct devplane_protocol *p[N_PROTOS];
	int got[N_PROTOS];
	uint8_t hops[N_PROTOS];         /* of the last gossip received */
};

static int on_msg(struct devplane_protocol *p, struct devplane_peer *peer,
		  const struct devplane_msg *m, void *user)
{
	struct node *nd = user;

	(void)peer;
	for (int i = 0; i < N_PROTOS; i++)
		if (nd->p[i] == p) {
			nd->got[i]++;
			nd->hops[i] = m->hops_left;
		}
	/* "secret" is for the neighbours only. */
	if (m->gossip && m->len == 6 && !memcmp(m->data, "secret", 6))
		return DEVPLANE_NO_RELAY;
	return DEVPLANE_OK;
}

struct want {
	struct node *nd;
	int node, proto, count;
};

static bool got(void *arg)
{
	struct want *w = arg;

	return w->nd[w->node].got[w->proto] == w->count;
}

static bool line_up(void *arg)
{
	struct devplane **n = arg;

	return devplane_peer_count(n[A]) == 1 &&
	       devplane_peer_count(n[B]) == 2 &&
	       devplane_peer_count(n[C]) == 1;
}

static struct devplane_proto_stats stats(struct node *nd, int k)
{
	struct devplane_proto_stats st;

	devplane_protocol_stats(nd->p[k], &st);
	return st;
}

int main(void)
{
	static const struct {
		const char *name;
		uint32_t flags;
		uint8_t ttl;
	} protos[N_PROTOS] = {
		[NEWS] = { "news", DEVPLANE_PROTO_RELAY, 2 },
		[FLASH] = { "flash", DEVPLANE_PROTO_RELAY, 1 },
		[LOCAL] = { "local", DEVPLANE_PROTO_GOSSIP, 6 },
		[PLAIN] = { "plain", 0, 0 },
	};
	struct devplane_config c;
	struct devplane *n[N_NODES];
	struct node nd[N_NODES];
	struct want w = { .nd = nd };

	ex_init("s_broadcast");
	ex_config(&c);
	memset(nd, 0, sizeof(nd));
	for (int i = 0; i < N_NODES; i++) {
		n[i] = ex_new(&c);
		for (int k = 0; k < N_PROTOS; k++) {
			struct devplane_proto def = {
				.name = protos[k].name, .version = 1,
				.length = 1, .flags = protos[k].flags,
				.gossip_ttl = protos[k].ttl, .user = &nd[i],
				.on_msg = on_msg,
			};

			EX_CHECK(devplane_register_protocol(n[i], &nd[i].p[k],
							    &def) == 0);
		}
	}
	/* A - B - C */
	EX_CHECK(devplane_add_peer(n[A], devplane_enode(n[B])) == 0);
	EX_CHECK(devplane_add_peer(n[C], devplane_enode(n[B])) == 0);
	EX_CHECK(ex_run(n, N_NODES, line_up, n, EX_WAIT_MS));

	/* news, TTL 2: B gets it with 2 hops left, C with 1; C passes it
	 * on to nobody (its only peer brought it, and the TTL is spent). */
	EX_CHECK(devplane_broadcast(nd[A].p[NEWS], 0, "hello", 5) == 1);
	w = (struct want){ nd, C, NEWS, 1 };
	EX_CHECK(ex_run(n, N_NODES, got, &w, EX_WAIT_MS));
	EX_CHECK(nd[B].got[NEWS] == 1 && nd[B].hops[NEWS] == 2);
	EX_CHECK(nd[C].hops[NEWS] == 1);
	EX_CHECK(stats(&nd[B], NEWS).gossip_relayed == 1);
	EX_CHECK(stats(&nd[C], NEWS).gossip_relayed == 0);

	/* flash, TTL 1: B delivers, relays nothing (C never sees it: B's
	 * relay would have happened inside the delivery). */
	EX_CHECK(devplane_broadcast(nd[A].p[FLASH], 0, "now", 3) == 1);
	w = (struct want){ nd, B, FLASH, 1 };
	EX_CHECK(ex_run(n, N_NODES, got, &w, EX_WAIT_MS));
	EX_CHECK(stats(&nd[B], FLASH).gossip_relayed == 0);
	EX_CHECK(nd[C].got[FLASH] == 0);

	/* local: gossip without relaying. */
	EX_CHECK(devplane_broadcast(nd[A].p[LOCAL], 0, "near", 4) == 1);
	w = (struct want){ nd, B, LOCAL, 1 };
	EX_CHECK(ex_run(n, N_NODES, got, &w, EX_WAIT_MS));
	EX_CHECK(stats(&nd[B], LOCAL).gossip_relayed == 0);

	/* news again, but B's handler keeps this one to itself. */
	EX_CHECK(devplane_broadcast(nd[A].p[NEWS], 0, "secret", 6) == 1);
	w = (struct want){ nd, B, NEWS, 2 };
	EX_CHECK(ex_run(n, N_NODES, got, &w, EX_WAIT_MS));
	EX_CHECK(stats(&nd[B], NEWS).gossip_relayed == 1);
	EX_CHECK(nd[C].got[NEWS] == 1);

	/* B's plain broadcast: both neighbours, no envelope. */
	EX_CHECK(devplane_broadcast(nd[B].p[PLAIN], 0, "hi", 2) == 2);
	w = (struct want){ nd, A, PLAIN, 1 };
	EX_CHECK(ex_run(n, N_NODES, got, &w, EX_WAIT_MS));
	w = (struct want){ nd, C, PLAIN, 1 };
	EX_CHECK(ex_run(n, N_NODES, got, &w, EX_WAIT_MS));
	EX_CHECK(devplane_broadcast(nd[B].p[PLAIN], 1, "x", 1) == -EINVAL);
	for (int i = 0; i < N_NODES; i++)
		devplane_free(n[i]);
	printf("s_broadcast: ok\n");
	return 0;
}
