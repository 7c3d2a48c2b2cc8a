/* SPDX-License-Identifier: MIT */
/* tests/examples/a4_send.c - tutorial A4 (A4_Message.go, "Sending a message from server A to server B"): A sends a message when B joins; B's handler gets it; A sends again by B's node id; a malformed-for-the-protocol code is refused. */
#include <stdio.h>
#include <string.h>

#include "tests/examples/example.h"

#define MSG_HELLO 0

struct demo {
	struct devplane_protocol *p;
	int received;
	char last[64];
	int sent_by_id;                 /* devplane_send_to_id() result */
	bool done;
};

static int added(struct devplane_protocol *p, struct devplane_peer *peer,
		 void *user)
{
	struct demo *d = user;

	if (devplane_peer_inbound(peer))
		return DEVPLANE_OK;     /* B: waits for A's message */
	/* A: the code must be in 0..length-1. */
	if (devplane_send(p, peer, 1, "x", 1) != -EINVAL)
		return DEVPLANE_DROP(0x10);
	(void)d;
	return devplane_send(p, peer, MSG_HELLO, "hello from A", 12) ?
	       DEVPLANE_DROP(0x01) : DEVPLANE_OK;
}

static int on_msg(struct devplane_protocol *p, struct devplane_peer *peer,
		  const struct devplane_msg *m, void *user)
{
	struct demo *d = user;

	(void)p;
	(void)peer;
	d->received++;
	snprintf(d->last, sizeof(d->last), "%.*s", (int)m->len,
		 (const char *)m->data);
	printf("a4: got code %llu \"%s\"\n", (unsigned long long)m->code,
	       d->last);
	return DEVPLANE_OK;
}

static void sent(void *arg, int err)
{
	struct demo *d = arg;

	d->sent_by_id = err;
	d->done = true;
}

static bool got(void *arg)
{
	return ((struct demo *)arg)->received >= 1;
}

static bool got_two(void *arg)
{
	struct demo *d = arg;

	return d[1].received == 2 && d[0].done;
}

int main(void)
{
	struct devplane_config c;
	struct devplane *n[2];
	struct demo d[2];

	ex_init("a4_send");
	ex_config(&c);
	memset(d, 0, sizeof(d));
	for (int i = 0; i < 2; i++) {
		struct devplane_proto def = {
			.name = "demo", .version = 1, .length = 1,
			.user = &d[i], .on_peer_added = added,
			.on_msg = on_msg,
		};

		n[i] = ex_new(&c);
		EX_CHECK(devplane_register_protocol(n[i], &d[i].p, &def) == 0);
	}
	EX_CHECK(devplane_add_peer(n[0], devplane_enode(n[1])) == 0);
	EX_CHECK(ex_run(n, 2, got, &d[1], EX_WAIT_MS));
	EX_CHECK(!strcmp(d[1].last, "hello from A"));
	EX_CHECK(d[0].received == 0);
	/* Again, by node id: B is a peer, so it goes at once; the result
	 * comes at the next loop step, never inside the call. */
	EX_CHECK(devplane_send_to_id(d[0].p, devplane_id(n[1]), MSG_HELLO,
				     "by id", 5, 0, sent, &d[0]) == 0);
	EX_CHECK(!d[0].done);
	EX_CHECK(ex_run(n, 2, got_two, d, EX_WAIT_MS));
	EX_CHECK(d[0].sent_by_id == 0);
	EX_CHECK(!strcmp(d[1].last, "by id"));
	devplane_free(n[0]);
	devplane_free(n[1]);
	printf("a4: ok\n");
	return 0;
}
