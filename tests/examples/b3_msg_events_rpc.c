/* SPDX-License-Identifier: MIT */
/* tests/examples/b3_msg_events_rpc.c - tutorial B3 (B3_Message.go, "Receive notification of p2p messaging events through RPC"): a Python client subscribes to admin peerEvents over IPC (geth's admin_subscribe / admin_subscription); with message events on, it is told of the peer joining and of each message sent and received. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/enode.h"
#include "tests/examples/example.h"

static int added(struct devplane_protocol *p, struct devplane_peer *peer,
		 void *user)
{
	(void)user;
	/* A (the dialer) says hello; B answers in on_msg. */
	if (devplane_peer_inbound(peer))
		return DEVPLANE_OK;
	return devplane_send(p, peer, 0, "hello", 5) ? DEVPLANE_DROP(1) :
	       DEVPLANE_OK;
}

static int on_msg(struct devplane_protocol *p, struct devplane_peer *peer,
		  const struct devplane_msg *m, void *user)
{
	(void)user;
	if (m->code == 0)
		return devplane_send(p, peer, 1, "hi!", 3) ? DEVPLANE_DROP(1) :
		       DEVPLANE_OK;
	return DEVPLANE_OK;
}

static const struct devplane_proto demo = {
	.name = "demo", .version = 1, .length = 2,
	.on_peer_added = added, .on_msg = on_msg,
};

struct run {
	struct ex_child client;
	json_t *lines[16];
	size_t n;
};

static bool read_lines(void *arg)
{
	struct run *r = arg;
	char line[16384];

	while (r->n < 16 && ex_child_line(&r->client, line, sizeof(line)))
		r->lines[r->n++] = json_loads(line, 0, NULL);
	return ex_child_done(&r->client);
}

static bool subscribed(void *arg)
{
	struct run *r = arg;

	read_lines(r);
	return r->n >= 1;
}

/* The result of the notification of this type, or NULL. */
static json_t *event(struct run *r, const char *sub, const char *type)
{
	for (size_t i = 1; i < r->n; i++) {
		json_t *p = json_object_get(r->lines[i], "params");
		json_t *res = json_object_get(p, "result");

		if (!strcmp(json_string_value(json_object_get(r->lines[i],
				"method")), "admin_subscription") &&
		    !strcmp(json_string_value(json_object_get(p,
				"subscription")), sub) &&
		    !strcmp(json_string_value(json_object_get(res, "type")),
			    type))
			return res;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct devplane_config c;
	struct devplane *n[2];
	struct run r = { .n = 0 };
	char sock[512], idb[65];
	uint8_t id[ENODE_ID_LEN];
	char *cargv[] = {
		"python3", argc > 1 ? argv[1] : "rpc_client.py", sock,
		"--notifications", "3",
		"{\"method\":\"admin_subscribe\",\"params\":[\"peerEvents\"]}",
		NULL,
	};
	const char *sub;
	json_t *ev;

	ex_init("b3_msg_events_rpc");
	snprintf(sock, sizeof(sock), "%s", ex_path("a.ipc"));
	ex_config(&c);
	c.ipc_path = sock;
	c.msg_events = true;            /* geth's EnableMsgEvents */
	n[0] = ex_new(&c);
	c.ipc_path = NULL;
	c.msg_events = false;
	n[1] = ex_new(&c);
	for (int i = 0; i < 2; i++) {
		EX_CHECK(devplane_register_protocol(n[i], NULL, &demo) == 0);
		EX_CHECK(devplane_start(n[i]) == 0);
	}
	ex_spawn(&r.client, cargv);
	EX_CHECK(ex_run(n, 2, subscribed, &r, EX_WAIT_MS));
	sub = json_string_value(json_object_get(r.lines[0], "result"));
	EX_CHECK(sub && !strncmp(sub, "0x", 2));
	/* Now the events: B joins, A says hello, B answers. */
	EX_CHECK(devplane_add_peer(n[0], devplane_enode(n[1])) == 0);
	EX_CHECK(ex_run(n, 2, read_lines, &r, EX_WAIT_MS));
	EX_CHECK(r.client.status == 0 && r.n == 4);
	enode_id(id, devplane_id(n[1]));
	snprintf(idb, sizeof(idb), "%s", ex_hex(id, ENODE_ID_LEN));
	ev = event(&r, sub, "add");
	EX_CHECK(ev && !strcmp(json_string_value(json_object_get(ev, "peer")),
			       idb));
	EX_CHECK(!strncmp(json_string_value(json_object_get(ev, "local")),
			  "127.0.0.1:", 10));
	ev = event(&r, sub, "msgsend");
	EX_CHECK(ev && !strcmp(json_string_value(json_object_get(ev,
				"protocol")), "demo"));
	EX_CHECK(json_integer_value(json_object_get(ev, "msg_code")) == 0);
	EX_CHECK(json_integer_value(json_object_get(ev, "msg_size")) == 5);
	ev = event(&r, sub, "msgrecv");
	EX_CHECK(ev && json_integer_value(json_object_get(ev, "msg_code")) ==
		 1);
	EX_CHECK(json_integer_value(json_object_get(ev, "msg_size")) == 3);
	printf("b3: add, msgsend, msgrecv on subscription %s\n", sub);
	for (size_t i = 0; i < r.n; i++)
		json_decref(r.lines[i]);
	ex_child_kill(&r.client);
	devplane_free(n[0]);
	devplane_free(n[1]);
	printf("b3: ok\n");
	return 0;
}
