/* SPDX-License-Identifier: MIT */
/* tests/examples/d_two_protocols.c - tutorial D ("Complex nodes": several services providing their own APIs and protocols in one service node): every node runs a ping service (ping/1) and a news service (gossip with relay), each with its admin method; on a triangle A, B, C a broadcast from A is delivered once per node though it arrives twice, and ping runs on every link; a Python client reads both services' methods. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/api/pingsvc.h"
#include "tests/examples/example.h"

enum { A, B, C, N_NODES };

struct news {
	struct devplane_protocol *p;
	int delivered;
};

static int news_msg(struct devplane_protocol *p, struct devplane_peer *peer,
		    const struct devplane_msg *m, void *user)
{
	struct news *nw = user;

	(void)p;
	(void)peer;
	if (m->gossip && m->len == 5 && !memcmp(m->data, "extra", 5))
		nw->delivered++;
	return DEVPLANE_OK;
}

static int news_count(void *user, const char *params, char **result)
{
	struct news *nw = user;

	(void)params;
	return asprintf(result, "%d", nw->delivered) < 0 ? -ENOMEM : 0;
}

static int ping_count(void *user, const char *params, char **result)
{
	struct pingsvc *ps = user;

	(void)params;
	return asprintf(result, "%llu", (unsigned long long)ps->pongs) < 0 ?
	       -ENOMEM : 0;
}

struct run {
	struct devplane **n;
	struct news *nw;
	struct pingsvc *ps;
	struct ex_child client;
	json_t *lines[8];
	size_t k;
};

static bool triangle(void *arg)
{
	struct run *r = arg;

	for (int i = 0; i < N_NODES; i++)
		if (devplane_peer_count(r->n[i]) != 2 || r->ps[i].pongs != 2)
			return false;
	return true;
}

/* Both copies of the broadcast arrived somewhere: two deliveries (B, C)
 * and two duplicates (the relayed copies), wherever they landed. */
static bool settled(void *arg)
{
	struct run *r = arg;
	uint64_t in = 0, dup = 0;

	for (int i = 0; i < N_NODES; i++) {
		struct devplane_proto_stats st;

		devplane_protocol_stats(r->nw[i].p, &st);
		in += st.gossip_in;
		dup += st.gossip_dup;
	}
	return in == 2 && dup == 2;
}

static bool client_done(void *arg)
{
	struct run *r = arg;
	char line[4096];

	while (r->k < 8 && ex_child_line(&r->client, line, sizeof(line)))
		r->lines[r->k++] = json_loads(line, 0, NULL);
	return ex_child_done(&r->client);
}

int main(int argc, char **argv)
{
	struct devplane_config c;
	struct devplane *n[N_NODES];
	struct news nw[N_NODES];
	struct pingsvc ps[N_NODES];
	struct run r = { .n = n, .nw = nw, .ps = ps };
	char sock[512];
	char *cargv[] = {
		"python3", argc > 1 ? argv[1] : "rpc_client.py", sock,
		"{\"method\":\"rpc_modules\"}", "{\"method\":\"news_count\"}",
		"{\"method\":\"ping_count\"}", NULL,
	};
	json_t *mods;

	ex_init("d_two_protocols");
	snprintf(sock, sizeof(sock), "%s", ex_path("b.ipc"));
	memset(nw, 0, sizeof(nw));
	memset(ps, 0, sizeof(ps));
	for (int i = 0; i < N_NODES; i++) {
		struct devplane_proto def = {
			.name = "news", .version = 1, .length = 1,
			.flags = DEVPLANE_PROTO_RELAY, .user = &nw[i],
			.on_msg = news_msg,
		};

		ex_config(&c);
		c.ipc_path = i == B ? sock : NULL;
		n[i] = ex_new(&c);
		/* Two services, each with its protocol and its method. */
		EX_CHECK(pingsvc_register(&ps[i], n[i]) == 0);
		EX_CHECK(devplane_admin_method(n[i], "ping_count", ping_count,
					       &ps[i]) == 0);
		EX_CHECK(devplane_register_protocol(n[i], &nw[i].p, &def) ==
			 0);
		EX_CHECK(devplane_admin_method(n[i], "news_count", news_count,
					       &nw[i]) == 0);
	}
	EX_CHECK(devplane_add_peer(n[A], devplane_enode(n[B])) == 0);
	EX_CHECK(devplane_add_peer(n[B], devplane_enode(n[C])) == 0);
	EX_CHECK(devplane_add_peer(n[C], devplane_enode(n[A])) == 0);
	EX_CHECK(ex_run(n, N_NODES, triangle, &r, EX_WAIT_MS));

	/* A broadcasts: to B and C; each relays to the other, who has it
	 * already. Delivered once per node, never back to A. */
	EX_CHECK(devplane_broadcast(nw[A].p, 0, "extra", 5) == 2);
	EX_CHECK(ex_run(n, N_NODES, settled, &r, EX_WAIT_MS));
	EX_CHECK(nw[A].delivered == 0);
	EX_CHECK(nw[B].delivered == 1 && nw[C].delivered == 1);

	/* Both services' methods on B's IPC socket. */
	ex_spawn(&r.client, cargv);
	EX_CHECK(ex_run(n, N_NODES, client_done, &r, EX_WAIT_MS));
	EX_CHECK(r.client.status == 0 && r.k == 3);
	mods = json_object_get(r.lines[0], "result");
	EX_CHECK(json_object_get(mods, "news") &&
		 json_object_get(mods, "ping"));
	EX_CHECK(json_integer_value(json_object_get(r.lines[1], "result")) ==
		 1);
	EX_CHECK(json_integer_value(json_object_get(r.lines[2], "result")) ==
		 2);
	for (size_t i = 0; i < r.k; i++)
		json_decref(r.lines[i]);
	ex_child_kill(&r.client);
	for (int i = 0; i < N_NODES; i++)
		devplane_free(n[i]);
	printf("d: ok\n");
	return 0;
}
