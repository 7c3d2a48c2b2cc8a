/* SPDX-License-Identifier: MIT */
/* tests/examples/b_slow_subscriber.c - with B3's message events, a subscriber that stops reading: its subscription is dropped once its unsent notifications pass the cap (control/api/admin.h ADMIN_NOTIFY_MAX), the node keeps serving, and the subscriber learns it from admin_unsubscribe ("subscription not found"). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/examples/example.h"

#define ROUNDS 10000                    /* messages each way */

struct flood {
	int sent, received;
};

static int added(struct devplane_protocol *p, struct devplane_peer *peer,
		 void *user)
{
	struct flood *f = user;

	if (devplane_peer_inbound(peer))
		return DEVPLANE_OK;
	f->sent++;
	return devplane_send(p, peer, 0, "ball", 4) ? DEVPLANE_DROP(1) :
	       DEVPLANE_OK;
}

/* Ping-pong: each message answered until both sent ROUNDS. */
static int on_msg(struct devplane_protocol *p, struct devplane_peer *peer,
		  const struct devplane_msg *m, void *user)
{
	struct flood *f = user;

	(void)m;
	f->received++;
	if (f->sent == ROUNDS)
		return DEVPLANE_OK;
	f->sent++;
	return devplane_send(p, peer, 0, "ball", 4) ? DEVPLANE_DROP(1) :
	       DEVPLANE_OK;
}

struct run {
	struct flood *f;
	struct ex_child client;
	char lines[4][4096];
	size_t n;
};

static bool read_lines(void *arg)
{
	struct run *r = arg;

	while (r->n < 4 && ex_child_line(&r->client, r->lines[r->n],
					 sizeof(r->lines[0])))
		r->n++;
	return ex_child_done(&r->client);
}

static bool subscribed(void *arg)
{
	struct run *r = arg;

	read_lines(r);
	return r->n >= 1;
}

static bool flooded(void *arg)
{
	struct run *r = arg;

	read_lines(r);
	return r->f[0].received == ROUNDS && r->f[1].received == ROUNDS;
}

int main(int argc, char **argv)
{
	struct devplane_config c;
	struct devplane *n[2];
	struct flood f[2] = { { 0 }, { 0 } };
	struct run r = { .f = f };
	char sock[512], go[512];
	char *cargv[] = {
		"python3", argc > 1 ? argv[1] : "rpc_client.py", sock,
		"--timeout", "100", "--stall", go,
		"{\"method\":\"admin_subscribe\",\"params\":[\"peerEvents\"]}",
		NULL,
	};
	json_t *un;
	long got;
	FILE *fp;

	ex_init("b_slow_subscriber");
	snprintf(sock, sizeof(sock), "%s", ex_path("a.ipc"));
	snprintf(go, sizeof(go), "%s", ex_path("go"));
	ex_config(&c);
	for (int i = 0; i < 2; i++) {
		struct devplane_proto def = {
			.name = "flood", .version = 1, .length = 1,
			.user = &f[i], .on_peer_added = added,
			.on_msg = on_msg,
		};

		c.ipc_path = i ? NULL : sock;
		c.msg_events = !i;
		n[i] = ex_new(&c);
		EX_CHECK(devplane_register_protocol(n[i], NULL, &def) == 0);
		EX_CHECK(devplane_start(n[i]) == 0);
	}
	ex_spawn(&r.client, cargv);
	EX_CHECK(ex_run(n, 2, subscribed, &r, EX_WAIT_MS));
	/* 2 * ROUNDS message events, about 250 bytes each, to a client
	 * that reads none of them. */
	EX_CHECK(devplane_add_peer(n[0], devplane_enode(n[1])) == 0);
	EX_CHECK(ex_run(n, 2, flooded, &r, 3 * EX_WAIT_MS));
	fp = fopen(go, "w");
	EX_CHECK(fp != NULL);
	fclose(fp);
	EX_CHECK(ex_run(n, 2, read_lines, &r, EX_WAIT_MS));
	EX_CHECK(r.client.status == 0 && r.n == 3);
	/* It got what fit under the cap (and the socket), not all. */
	EX_CHECK(sscanf(r.lines[1], "notifications %ld", &got) == 1);
	printf("b_slow: %ld of %d notifications before the drop\n", got,
	       2 * ROUNDS + 1);
	EX_CHECK(got > 0 && got < 2 * ROUNDS);
	un = json_loads(r.lines[2], 0, NULL);
	EX_CHECK(un != NULL);
	EX_CHECK(!strcmp(json_string_value(json_object_get(json_object_get(
			un, "error"), "message")), "subscription not found"));
	json_decref(un);
	ex_child_kill(&r.client);
	devplane_free(n[0]);
	devplane_free(n[1]);
	printf("b_slow: ok\n");
	return 0;
}
