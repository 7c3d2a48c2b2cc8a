/* SPDX-License-Identifier: MIT */
/* tests/examples/a2_connect.c - tutorial A2 (A2_Connect.go, "Connecting two p2p Servers"): node A adds node B as a peer; both see one peer. */
#include <stdio.h>

#include "tests/examples/example.h"

/* Our p2p refuses a peer that shares no protocol ("useless peer", as
 * geth does once it runs any protocol): both run this empty one. */
static const struct devplane_proto demo = {
	.name = "demo", .version = 1, .length = 1,
};

static bool connected(void *arg)
{
	struct devplane **n = arg;

	return devplane_peer_count(n[0]) == 1 && devplane_peer_count(n[1]) == 1;
}

int main(void)
{
	struct devplane_config c;
	struct devplane *n[2];

	ex_init("a2_connect");
	ex_config(&c);
	for (int i = 0; i < 2; i++) {
		n[i] = ex_new(&c);
		EX_CHECK(devplane_register_protocol(n[i], NULL, &demo) == 0);
		EX_CHECK(devplane_start(n[i]) == 0);
	}
	EX_CHECK(devplane_add_peer(n[0], "enode://nope") == -EINVAL);
	EX_CHECK(devplane_add_peer(n[0], devplane_enode(n[1])) == 0);
	EX_CHECK(ex_run(n, 2, connected, n, EX_WAIT_MS));
	/* Each sees the other, by node id. */
	EX_CHECK(devplane_peer_find(n[0], devplane_id(n[1])) != NULL);
	EX_CHECK(devplane_peer_find(n[1], devplane_id(n[0])) != NULL);
	printf("a2: %s connected to %s\n", ex_hex(devplane_id(n[0]), 4),
	       devplane_enode(n[1]));
	devplane_free(n[0]);
	devplane_free(n[1]);
	printf("a2: ok\n");
	return 0;
}
