/* SPDX-License-Identifier: MIT */
/* tests/examples/s_send_to_id.c - Spacemesh's SendMessage(nodeID, protocol, payload) (p2p architecture, "Send message to unknown node (Simple FindNode)"): X reaches Y by node id alone through discovery (lookup, dial, send); an unknown id is unreachable, a node that never answers times out; the blocking form from another thread and from the node's own, and its refusal inside a handler. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/enode.h"
#include "common/secp.h"
#include "control/host/loop.h"
#include "tests/examples/example.h"

enum { BOOT, X, Y, N_NODES };

struct proto {
	struct devplane_protocol *p;
	atomic_int received;
	char last[32];
	atomic_int in_handler_rc;       /* send_to_id_wait from a handler */
	bool try_wait;
	uint8_t other[DEVPLANE_ID_LEN];
};

static int on_msg(struct devplane_protocol *p, struct devplane_peer *peer,
		  const struct devplane_msg *m, void *user)
{
	struct proto *s = user;

	(void)p;
	(void)peer;
	snprintf(s->last, sizeof(s->last), "%.*s", (int)m->len,
		 (const char *)m->data);
	if (s->try_wait)                /* would stall the loop: refused */
		atomic_store(&s->in_handler_rc,
			     devplane_send_to_id_wait(s->p, s->other, 0, "x",
						      1, 100));
	atomic_fetch_add(&s->received, 1);
	return DEVPLANE_OK;
}

struct result {
	bool done;
	int err;
};

static void done(void *arg, int err)
{
	struct result *r = arg;

	r->done = true;
	r->err = err;
}

static bool finished(void *arg)
{
	return ((struct result *)arg)->done;
}

static bool received(void *arg)
{
	return atomic_load(&((struct proto *)arg)->received) >= 1;
}

static bool bootstrapped(void *arg)
{
	struct devplane **n = arg;

	/* The bootnode knows X and Y: a lookup through it finds Y. */
	return devplane_table_size(n[BOOT]) >= 2;
}

static void *runner(void *arg)
{
	devplane_run(arg);
	return NULL;
}

int main(void)
{
	struct devplane_config c;
	struct devplane *n[N_NODES];
	struct proto s[N_NODES];
	struct result r;
	const char *boot;
	uint8_t unknown[64], priv[32];
	char mute_url[ENODE_URL_MAX + 1];
	struct enode mute = { .kind = ENODE_HOST_IP4 };
	pthread_t th[N_NODES];
	uint16_t mport;
	int mfd;

	ex_init("s_send_to_id");
	memset(s, 0, sizeof(s));
	/* A node that accepts TCP and never answers the RLPx handshake. */
	mute.ip[10] = mute.ip[11] = 0xff;
	mute.ip[12] = 127;
	mute.ip[15] = 1;
	mfd = loop_tcp_listen(mute.ip, 0, &mport);
	EX_CHECK(mfd >= 0);
	EX_CHECK(secp_priv_generate(priv) == 0);
	EX_CHECK(secp_pub_from_priv(mute.pub, priv) == 0);
	mute.tcp = mute.udp = mport;
	EX_CHECK(enode_format(mute_url, sizeof(mute_url), &mute) > 0);

	ex_config(&c);
	c.no_discovery = false;
	n[BOOT] = ex_new(&c);
	boot = devplane_enode(n[BOOT]);
	c.bootnodes = &boot;
	c.n_bootnodes = 1;
	for (int i = X; i <= Y; i++) {
		struct devplane_proto def = {
			.name = "demo", .version = 1, .length = 1,
			.user = &s[i], .on_msg = on_msg,
		};

		n[i] = ex_new(&c);
		EX_CHECK(devplane_register_protocol(n[i], &s[i].p, &def) == 0);
	}
	memcpy(s[X].other, devplane_id(n[Y]), DEVPLANE_ID_LEN);
	EX_CHECK(ex_run(n, N_NODES, bootstrapped, n, EX_WAIT_MS));
	EX_CHECK(devplane_peer_count(n[X]) == 0);

	/* By id alone: found through discovery, dialed, sent. */
	memset(&r, 0, sizeof(r));
	EX_CHECK(devplane_send_to_id(s[X].p, devplane_id(n[Y]), 0, "by id",
				     5, 0, done, &r) == 0);
	EX_CHECK(ex_run(n, N_NODES, finished, &r, EX_WAIT_MS));
	EX_CHECK(r.err == 0);
	EX_CHECK(ex_run(n, N_NODES, received, &s[Y], EX_WAIT_MS));
	EX_CHECK(!strcmp(s[Y].last, "by id"));
	printf("s: X reached Y by id\n");

	/* A node nobody knows. */
	memset(unknown, 0x5a, sizeof(unknown));
	memset(&r, 0, sizeof(r));
	EX_CHECK(devplane_send_to_id(s[X].p, unknown, 0, "?", 1, 0, done,
				     &r) == 0);
	EX_CHECK(ex_run(n, N_NODES, finished, &r, EX_WAIT_MS));
	EX_CHECK(r.err == -EHOSTUNREACH);

	/* A node that never answers the handshake (whose own deadline is
	 * RLPx's 5 s): the request's bound, 300 ms, ends it first. */
	EX_CHECK(devplane_add_peer(n[X], mute_url) == 0);
	memset(&r, 0, sizeof(r));
	EX_CHECK(devplane_send_to_id(s[X].p, mute.pub, 0, "?", 1, 300, done,
				     &r) == 0);
	EX_CHECK(ex_run(n, N_NODES, finished, &r, EX_WAIT_MS));
	EX_CHECK(r.err == -ETIMEDOUT);
	printf("s: unknown -> EHOSTUNREACH, mute -> ETIMEDOUT\n");

	/* The blocking form, each node on a thread of its own: from this
	 * thread to Y's loop; X's handler tries it too and is refused. */
	s[X].try_wait = true;
	for (int i = 0; i < N_NODES; i++)
		EX_CHECK(pthread_create(&th[i], NULL, runner, n[i]) == 0);
	EX_CHECK(devplane_send_to_id_wait(s[Y].p, devplane_id(n[X]), 0,
					  "wait", 4, 0) == 0);
	for (int k = 0; k < 1000 && atomic_load(&s[X].received) < 1; k++)
		usleep(10000);
	EX_CHECK(atomic_load(&s[X].received) == 1);
	EX_CHECK(atomic_load(&s[X].in_handler_rc) == -EDEADLK);
	devplane_stop(n[X]);
	pthread_join(th[X], NULL);
	/* Nobody runs X now: this thread drives it until the result. */
	s[X].try_wait = false;
	EX_CHECK(devplane_send_to_id_wait(s[X].p, devplane_id(n[Y]), 0,
					  "driven", 6, 0) == 0);
	for (int k = 0; k < 1000 && atomic_load(&s[Y].received) < 2; k++)
		usleep(10000);
	EX_CHECK(atomic_load(&s[Y].received) == 2);
	for (int i = 0; i < N_NODES; i++) {
		if (i == X)
			continue;
		devplane_stop(n[i]);
		pthread_join(th[i], NULL);
	}
	for (int i = 0; i < N_NODES; i++)
		devplane_free(n[i]);
	close(mfd);
	printf("s: ok\n");
	return 0;
}
