/* SPDX-License-Identifier: MIT */
/* tests/examples/a5_ping.c - tutorial A5 (A5_Reply.go, "A sample p2p ping protocol implementation"): a ping/pong protocol with per-peer state; each side pings, the other replies, for a fixed number of rounds. */
#include <stdio.h>
#include <string.h>

#include "tests/examples/example.h"

#define PING   0
#define PONG   1
#define ROUNDS 5

struct peer_state {                     /* per peer, zeroed by the node */
	uint8_t next;                   /* the next ping's number */
	uint8_t pongs;
};

struct side {
	int pings_answered, pongs;
};

static int ping(struct devplane_protocol *p, struct devplane_peer *peer)
{
	struct peer_state *st = devplane_peer_state(peer, p);
	uint8_t v = st->next++;

	return devplane_send(p, peer, PING, &v, 1);
}

static int added(struct devplane_protocol *p, struct devplane_peer *peer,
		 void *user)
{
	(void)user;
	return ping(p, peer) ? DEVPLANE_DROP(0x01) : DEVPLANE_OK;
}

static int on_msg(struct devplane_protocol *p, struct devplane_peer *peer,
		  const struct devplane_msg *m, void *user)
{
	struct peer_state *st = devplane_peer_state(peer, p);
	struct side *s = user;

	if (m->len != 1)
		return DEVPLANE_DROP(0x10);     /* subprotocol error */
	if (m->code == PING) {
		s->pings_answered++;
		return devplane_send(p, peer, PONG, m->data, 1) ?
		       DEVPLANE_DROP(0x01) : DEVPLANE_OK;
	}
	/* A pong answers our last ping. */
	if (m->data[0] != (uint8_t)(st->next - 1))
		return DEVPLANE_DROP(0x10);
	s->pongs++;
	printf("a5: pong %u from %s\n", m->data[0],
	       ex_hex(devplane_peer_id(peer), 4));
	if (++st->pongs < ROUNDS && ping(p, peer))
		return DEVPLANE_DROP(0x01);
	return DEVPLANE_OK;
}

static bool done(void *arg)
{
	struct side *s = arg;

	return s[0].pongs == ROUNDS && s[1].pongs == ROUNDS;
}

int main(void)
{
	struct devplane_config c;
	struct devplane *n[2];
	struct side s[2];

	ex_init("a5_ping");
	ex_config(&c);
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 2; i++) {
		struct devplane_proto def = {
			.name = "pingpong", .version = 1, .length = 2,
			.peer_state_size = sizeof(struct peer_state),
			.user = &s[i], .on_peer_added = added,
			.on_msg = on_msg,
		};

		n[i] = ex_new(&c);
		EX_CHECK(devplane_register_protocol(n[i], NULL, &def) == 0);
		EX_CHECK(devplane_register_protocol(n[i], NULL, &def) ==
			 -EEXIST);
	}
	EX_CHECK(devplane_add_peer(n[1], devplane_enode(n[0])) == 0);
	EX_CHECK(ex_run(n, 2, done, s, EX_WAIT_MS));
	/* Each answered every ping of the other: the last pong came after
	 * the last ping was answered, and nobody pings after ROUNDS. */
	EX_CHECK(s[0].pings_answered == ROUNDS &&
		 s[1].pings_answered == ROUNDS);
	EX_CHECK(s[0].pongs == ROUNDS && s[1].pongs == ROUNDS);
	devplane_free(n[0]);
	devplane_free(n[1]);
	printf("a5: ok\n");
	return 0;
}
