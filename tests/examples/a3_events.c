/* SPDX-License-Identifier: MIT */
/* tests/examples/a3_events.c - tutorial A3 (A3_Events.go, "Receiving notification of completed connection"): peer events (geth's PeerEvent add/drop) on both nodes, with the connection's addresses and the drop's reason. */
#include <stdio.h>
#include <string.h>

#include "tests/examples/example.h"

static const struct devplane_proto demo = {
	.name = "demo", .version = 1, .length = 1,
};

struct seen {
	const uint8_t *other;           /* the peer we expect */
	int adds, drops;
	char local[64], remote[64], error[64];
};

static void on_event(void *user, const struct devplane_peer_event *ev)
{
	struct seen *s = user;

	if (memcmp(ev->peer, s->other, DEVPLANE_ID_LEN))
		return;
	if (ev->type == DEVPLANE_EV_ADD) {
		s->adds++;
		snprintf(s->local, sizeof(s->local), "%s", ev->local);
		snprintf(s->remote, sizeof(s->remote), "%s", ev->remote);
	} else if (ev->type == DEVPLANE_EV_DROP) {
		s->drops++;
		snprintf(s->error, sizeof(s->error), "%s", ev->error);
	}
	printf("a3: event %s peer=%s\n", ev->type == DEVPLANE_EV_ADD ? "add" :
	       "drop", ex_hex(ev->peer, 4));
}

static bool both(void *arg)
{
	struct seen *s = arg;

	return s[0].adds == 1 && s[1].adds == 1;
}

static bool dropped(void *arg)
{
	struct seen *s = arg;

	return s[0].drops == 1 && s[1].drops == 1;
}

int main(void)
{
	struct devplane_config c;
	struct devplane *n[2];
	struct seen s[2];

	ex_init("a3_events");
	ex_config(&c);
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 2; i++) {
		n[i] = ex_new(&c);
		EX_CHECK(devplane_register_protocol(n[i], NULL, &demo) == 0);
	}
	for (int i = 0; i < 2; i++) {
		s[i].other = devplane_id(n[!i]);
		EX_CHECK(devplane_subscribe(n[i], NULL, on_event, &s[i]) == 0);
	}
	EX_CHECK(devplane_add_peer(n[0], devplane_enode(n[1])) == 0);
	EX_CHECK(ex_run(n, 2, both, s, EX_WAIT_MS));
	/* The two ends of one TCP connection. */
	EX_CHECK(!strcmp(s[0].local, s[1].remote));
	EX_CHECK(!strcmp(s[0].remote, s[1].local));
	EX_CHECK(!strncmp(s[0].local, "127.0.0.1:", 10));
	/* A drops B: both are told, A's side says why. */
	EX_CHECK(devplane_remove_peer(n[0], devplane_enode(n[1])) == 0);
	EX_CHECK(ex_run(n, 2, dropped, s, EX_WAIT_MS));
	EX_CHECK(!strcmp(s[0].error, "disconnect requested"));
	EX_CHECK(!strcmp(s[1].error, "disconnect requested"));
	EX_CHECK(s[0].adds == 1 && s[1].adds == 1);
	devplane_free(n[0]);
	devplane_free(n[1]);
	printf("a3: ok\n");
	return 0;
}
