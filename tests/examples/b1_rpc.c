/* SPDX-License-Identifier: MIT */
/* tests/examples/b1_rpc.c - tutorial B1 (B1_RPC.go, "Create IPC RPC server with one method and call it"): a node serving the admin JSON-RPC API on an IPC socket with one method of ours, called by a client that is not ours (Python). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/examples/example.h"

/* demo_hello ["name"] -> "hello, name" */
static int hello(void *user, const char *params, char **result)
{
	json_t *p = json_loads(params, 0, NULL), *name = json_array_get(p, 0);
	int *calls = user;
	int rc = 0;

	(*calls)++;
	if (!json_is_string(name)) {
		*result = strdup("want one string: a name");
		rc = -EINVAL;
	} else {
		json_t *r = json_sprintf("hello, %s", json_string_value(name));

		*result = json_dumps(r, JSON_ENCODE_ANY);
		json_decref(r);
	}
	json_decref(p);
	return rc;
}

struct run {
	struct ex_child client;
	json_t *lines[8];
	size_t n;
};

static bool client_done(void *arg)
{
	struct run *r = arg;
	char line[4096];

	while (r->n < 8 && ex_child_line(&r->client, line, sizeof(line)))
		r->lines[r->n++] = json_loads(line, 0, NULL);
	return ex_child_done(&r->client);
}

int main(int argc, char **argv)
{
	struct devplane_config c;
	struct devplane *n;
	struct run r = { .n = 0 };
	char sock[512];
	int calls = 0;
	char *cargv[] = {
		"python3", argc > 1 ? argv[1] : "rpc_client.py", sock,
		"{\"method\":\"demo_hello\",\"params\":[\"tutorial\"]}",
		"{\"method\":\"rpc_modules\"}",
		"{\"method\":\"demo_hello\"}",
		NULL,
	};
	json_t *mods;

	ex_init("b1_rpc");
	snprintf(sock, sizeof(sock), "%s", ex_path("b1.ipc"));
	ex_config(&c);
	c.ipc_path = sock;
	n = ex_new(&c);
	EX_CHECK(devplane_admin_method(n, "demo_hello", hello, &calls) == 0);
	EX_CHECK(devplane_admin_method(n, "admin_hello", hello, &calls) ==
		 -EINVAL);              /* the node's namespace */
	EX_CHECK(devplane_start(n) == 0);
	ex_spawn(&r.client, cargv);
	EX_CHECK(ex_run(&n, 1, client_done, &r, EX_WAIT_MS));
	EX_CHECK(r.client.status == 0);
	EX_CHECK(r.n == 3);
	for (size_t i = 0; i < r.n; i++)
		EX_CHECK(r.lines[i] != NULL);
	EX_CHECK(!strcmp(json_string_value(json_object_get(r.lines[0],
				"result")), "hello, tutorial"));
	mods = json_object_get(r.lines[1], "result");
	EX_CHECK(!strcmp(json_string_value(json_object_get(mods, "demo")),
			 "1.0"));
	EX_CHECK(json_object_get(mods, "admin") != NULL);
	EX_CHECK(json_integer_value(json_object_get(json_object_get(
			r.lines[2], "error"), "code")) == -32602);
	EX_CHECK(calls == 2);
	printf("b1: demo_hello answered over %s\n", sock);
	for (size_t i = 0; i < r.n; i++)
		json_decref(r.lines[i]);
	ex_child_kill(&r.client);
	devplane_free(n);
	printf("b1: ok\n");
	return 0;
}
