/* SPDX-License-Identifier: MIT */
/* tests/examples/c_service.c - tutorial C1-C4 (C1_Stack.go "Create and start a service node", C2_Nodeinfo.go "Local accessors to RPC APIs", C3_Service.go "Defining and running a service", C4_Full.go "Servicenode ping protocol implementation controlled through RPC"): services with a life cycle and their own admin methods; a ping service driven over IPC. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "control/api/pingsvc.h"
#include "tests/examples/example.h"

/* ---- C3: a service with a life cycle and an admin method ---------------- */

struct alpha {
	char *log;                      /* what happened, in order */
	size_t cap;
	bool running;
	int fail;                       /* start's result */
};

static void note(struct alpha *a, const char *what)
{
	size_t n = strlen(a->log);

	snprintf(a->log + n, a->cap - n, "%s%s", n ? " " : "", what);
}

static int alpha_start(struct devplane *n, void *user)
{
	struct alpha *a = user;

	(void)n;
	note(a, a->fail ? "start:broken" : "start:alpha");
	a->running = !a->fail;
	return a->fail;
}

static void alpha_stop(struct devplane *n, void *user)
{
	struct alpha *a = user;

	(void)n;
	note(a, "stop:alpha");
	a->running = false;
}

static int alpha_status(void *user, const char *params, char **result)
{
	struct alpha *a = user;

	(void)params;
	return asprintf(result, "{\"running\":%s}",
			a->running ? "true" : "false") < 0 ? -ENOMEM : 0;
}

/* ---- C4: the ping service (ping/1) controlled through RPC ---------------- */

struct pinger {
	struct pingsvc ps;
	struct devplane *n;
	struct alpha *log;
};

static int ping_start(struct devplane *n, void *user)
{
	struct pinger *p = user;

	(void)n;
	note(p->log, "start:ping");
	return 0;
}

static void ping_stop(struct devplane *n, void *user)
{
	struct pinger *p = user;

	(void)n;
	note(p->log, "stop:ping");
}

/* ping_count [] -> {"pongs": N, "answered": M} */
static int ping_count(void *user, const char *params, char **result)
{
	struct pinger *p = user;

	(void)params;
	return asprintf(result, "{\"pongs\":%llu,\"answered\":%llu}",
			(unsigned long long)p->ps.pongs,
			(unsigned long long)p->ps.pings_answered) < 0 ?
	       -ENOMEM : 0;
}

/* ping_send ["node id, 128 hex digits"] -> true: a Ping to that peer. */
static int ping_send(void *user, const char *params, char **result)
{
	struct pinger *p = user;
	json_t *a = json_loads(params, 0, NULL), *v = json_array_get(a, 0);
	uint8_t id[DEVPLANE_ID_LEN];
	struct devplane_peer *peer;
	int rc = -EINVAL;

	if (json_is_string(v) &&
	    hex_decode(id, sizeof(id), json_string_value(v),
		       json_string_length(v)) == DEVPLANE_ID_LEN) {
		peer = devplane_peer_find(p->n, id);
		rc = peer ? pingsvc_ping(&p->ps, peer) : -ENOENT;
		if (!peer)
			*result = strdup("not a peer");
	} else {
		*result = strdup("want a node id (128 hex digits)");
	}
	json_decref(a);
	if (!rc)
		*result = strdup("true");
	return rc;
}

/* What a service brings along, registered before the node starts. */
static void add_ping_service(struct devplane *n, struct pinger *p,
			     struct alpha *log, bool admin)
{
	struct devplane_service svc = {
		.name = "ping", .start = ping_start, .stop = ping_stop,
		.user = p,
	};

	memset(p, 0, sizeof(*p));
	p->n = n;
	p->log = log;
	EX_CHECK(pingsvc_register(&p->ps, n) == 0);
	if (admin) {
		EX_CHECK(devplane_admin_method(n, "ping_count", ping_count,
					       p) == 0);
		EX_CHECK(devplane_admin_method(n, "ping_send", ping_send,
					       p) == 0);
	}
	EX_CHECK(devplane_register_service(n, &svc) == 0);
}

/* ---- the run ------------------------------------------------------------ */

struct run {
	struct ex_child client;
	json_t *lines[8];
	size_t n;
};

static bool client_done(void *arg)
{
	struct run *r = arg;
	char line[16384];

	while (r->n < 8 && ex_child_line(&r->client, line, sizeof(line)))
		r->lines[r->n++] = json_loads(line, 0, NULL);
	return ex_child_done(&r->client);
}

static void run_client(struct devplane **n, struct run *r, char **argv)
{
	for (size_t i = 0; i < r->n; i++)
		json_decref(r->lines[i]);
	memset(r, 0, sizeof(*r));
	ex_spawn(&r->client, argv);
	EX_CHECK(ex_run(n, 2, client_done, r, EX_WAIT_MS));
	EX_CHECK(r->client.status == 0);
	for (size_t i = 0; i < r->n; i++)
		EX_CHECK(r->lines[i] != NULL);
	ex_child_kill(&r->client);
}

static bool pongs(void *arg)
{
	struct pinger *p = arg;

	return p->ps.pongs >= 1;
}

static bool two_pongs(void *arg)
{
	struct pinger *p = arg;

	return p->ps.pongs >= 2;
}

static json_t *result(struct run *r, size_t i)
{
	return json_object_get(r->lines[i], "result");
}

int main(int argc, char **argv)
{
	char log[256] = "", blog[256] = "", sock[512], send[512];
	struct alpha alpha = { .log = log, .cap = sizeof(log) };
	struct alpha broken = { .log = blog, .cap = sizeof(blog),
				.fail = -EIO };
	struct devplane_service asvc = {
		.name = "alpha", .start = alpha_start, .stop = alpha_stop,
		.user = &alpha,
	};
	struct devplane_config c;
	struct devplane *n[2], *x;
	struct pinger pa, pb, px;
	struct run r = { .n = 0 };
	char *script = argc > 1 ? argv[1] : "rpc_client.py";
	char *first[] = {
		"python3", script, sock,
		"{\"method\":\"admin_nodeInfo\"}",
		"{\"method\":\"rpc_modules\"}",
		"{\"method\":\"alpha_status\"}",
		"{\"method\":\"ping_count\"}",
		send,
		NULL,
	};
	char *second[] = {
		"python3", script, sock, "{\"method\":\"ping_count\"}", NULL,
	};
	json_t *v;

	ex_init("c_service");
	snprintf(sock, sizeof(sock), "%s", ex_path("a.ipc"));
	ex_config(&c);

	/* C3: a service that fails to start stops the ones before it. */
	x = ex_new(&c);
	add_ping_service(x, &px, &broken, false);
	asvc.user = &broken;
	EX_CHECK(devplane_register_service(x, &asvc) == 0);
	EX_CHECK(devplane_start(x) == -EIO);
	EX_CHECK(!strcmp(blog, "start:ping start:broken stop:ping"));
	devplane_free(x);
	asvc.user = &alpha;

	/* C1/C3/C4: A runs alpha and ping, with their admin methods. */
	c.ipc_path = sock;
	n[0] = ex_new(&c);
	EX_CHECK(devplane_register_service(n[0], &asvc) == 0);
	EX_CHECK(devplane_admin_method(n[0], "alpha_status", alpha_status,
				       &alpha) == 0);
	add_ping_service(n[0], &pa, &alpha, true);
	c.ipc_path = NULL;
	n[1] = ex_new(&c);
	add_ping_service(n[1], &pb, &alpha, false);
	EX_CHECK(devplane_start(n[0]) == 0);
	EX_CHECK(devplane_start(n[1]) == 0);
	EX_CHECK(!strcmp(log, "start:alpha start:ping start:ping"));
	EX_CHECK(devplane_register_service(n[0], &asvc) == -EBUSY);
	/* ping/1 pings every new peer. */
	EX_CHECK(devplane_add_peer(n[0], devplane_enode(n[1])) == 0);
	EX_CHECK(ex_run(n, 2, pongs, &pa, EX_WAIT_MS));

	/* C2 and C4 over IPC. */
	snprintf(send, sizeof(send), "{\"method\":\"ping_send\","
		 "\"params\":[\"%s\"]}", ex_hex(devplane_id(n[1]),
						DEVPLANE_ID_LEN));
	run_client(n, &r, first);
	EX_CHECK(r.n == 5);
	/* C2: the node's RPC view agrees with its local accessors. */
	EX_CHECK(!strcmp(json_string_value(json_object_get(result(&r, 0),
				"enode")), devplane_enode(n[0])));
	v = result(&r, 1);
	EX_CHECK(json_object_get(v, "alpha") && json_object_get(v, "ping") &&
		 json_object_get(v, "admin"));
	EX_CHECK(json_is_true(json_object_get(result(&r, 2), "running")));
	EX_CHECK(json_integer_value(json_object_get(result(&r, 3),
			"pongs")) == 1);
	EX_CHECK(json_is_true(result(&r, 4)));
	/* The Ping ping_send asked for comes back. */
	EX_CHECK(ex_run(n, 2, two_pongs, &pa, EX_WAIT_MS));
	run_client(n, &r, second);
	EX_CHECK(r.n == 1);
	EX_CHECK(json_integer_value(json_object_get(result(&r, 0),
			"pongs")) == 2);
	EX_CHECK(pb.ps.pings_answered == 2);
	for (size_t i = 0; i < r.n; i++)
		json_decref(r.lines[i]);

	/* C1: stopping runs the services' stops, last started first. */
	devplane_free(n[1]);
	devplane_free(n[0]);
	EX_CHECK(!strcmp(log, "start:alpha start:ping start:ping stop:ping "
			 "stop:ping stop:alpha"));
	printf("c: %s\n", log);
	printf("c: ok\n");
	return 0;
}
