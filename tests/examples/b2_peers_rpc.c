/* SPDX-License-Identifier: MIT */
/* tests/examples/b2_peers_rpc.c - tutorial B2 (B2_Method.go, "Retrieve information from p2p server through RPC"): geth's admin_nodeInfo and admin_peers over IPC, read by a Python client, about two connected nodes; admin_addTrustedPeer shows in admin_peers. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/enode.h"
#include "tests/examples/example.h"

static const struct devplane_proto demo = {
	.name = "demo", .version = 1, .length = 1,
};

struct run {
	struct ex_child client;
	json_t *lines[8];
	size_t n;
	struct devplane **nodes;
};

static bool connected(void *arg)
{
	struct devplane **n = arg;

	return devplane_peer_count(n[0]) == 1 && devplane_peer_count(n[1]) == 1;
}

static bool client_done(void *arg)
{
	struct run *r = arg;
	char line[16384];

	while (r->n < 8 && ex_child_line(&r->client, line, sizeof(line)))
		r->lines[r->n++] = json_loads(line, 0, NULL);
	return ex_child_done(&r->client);
}

/* geth's enode.ID: hex of keccak256(pub). */
static void node_id_hex(char out[65], const uint8_t *pub)
{
	uint8_t id[ENODE_ID_LEN];

	enode_id(id, pub);
	snprintf(out, 65, "%s", ex_hex(id, ENODE_ID_LEN));
}

int main(int argc, char **argv)
{
	struct devplane_config c;
	struct devplane *n[2];
	struct run r = { .n = 0, .nodes = n };
	char sock[512], trust[1024], idb[65], ida[65];
	char *cargv[] = {
		"python3", argc > 1 ? argv[1] : "rpc_client.py", sock,
		"{\"method\":\"admin_nodeInfo\"}",
		"{\"method\":\"admin_peers\"}",
		trust,
		"{\"method\":\"admin_peers\"}",
		NULL,
	};
	json_t *ni, *peers, *net;

	ex_init("b2_peers_rpc");
	snprintf(sock, sizeof(sock), "%s", ex_path("a.ipc"));
	ex_config(&c);
	c.ipc_path = sock;
	n[0] = ex_new(&c);
	c.ipc_path = NULL;
	n[1] = ex_new(&c);
	for (int i = 0; i < 2; i++)
		EX_CHECK(devplane_register_protocol(n[i], NULL, &demo) == 0);
	EX_CHECK(devplane_add_peer(n[0], devplane_enode(n[1])) == 0);
	EX_CHECK(ex_run(n, 2, connected, n, EX_WAIT_MS));
	snprintf(trust, sizeof(trust), "{\"method\":\"admin_addTrustedPeer\","
		 "\"params\":[\"%s\"]}", devplane_enode(n[1]));
	ex_spawn(&r.client, cargv);
	EX_CHECK(ex_run(n, 2, client_done, &r, EX_WAIT_MS));
	EX_CHECK(r.client.status == 0 && r.n == 4);
	for (size_t i = 0; i < r.n; i++)
		EX_CHECK(r.lines[i] != NULL);
	node_id_hex(ida, devplane_id(n[0]));
	node_id_hex(idb, devplane_id(n[1]));
	/* admin_nodeInfo: who A is. */
	ni = json_object_get(r.lines[0], "result");
	EX_CHECK(!strcmp(json_string_value(json_object_get(ni, "enode")),
			 devplane_enode(n[0])));
	EX_CHECK(!strcmp(json_string_value(json_object_get(ni, "id")), ida));
	EX_CHECK(json_integer_value(json_object_get(json_object_get(ni,
			"ports"), "listener")) == devplane_port(n[0]));
	/* admin_peers: B, dialed by A, running demo/1. */
	peers = json_object_get(r.lines[1], "result");
	EX_CHECK(json_array_size(peers) == 1);
	EX_CHECK(!strcmp(json_string_value(json_object_get(
			json_array_get(peers, 0), "id")), idb));
	net = json_object_get(json_array_get(peers, 0), "network");
	EX_CHECK(json_is_false(json_object_get(net, "inbound")));
	EX_CHECK(json_is_true(json_object_get(net, "static")));
	EX_CHECK(json_is_false(json_object_get(net, "trusted")));
	EX_CHECK(json_integer_value(json_object_get(json_object_get(
			json_object_get(json_array_get(peers, 0), "protocols"),
			"demo"), "version")) == 1);
	/* admin_addTrustedPeer: true, and the peer is trusted now. */
	EX_CHECK(json_is_true(json_object_get(r.lines[2], "result")));
	net = json_object_get(json_array_get(json_object_get(r.lines[3],
			"result"), 0), "network");
	EX_CHECK(json_is_true(json_object_get(net, "trusted")));
	printf("b2: A %s sees peer %s\n", ida, idb);
	for (size_t i = 0; i < r.n; i++)
		json_decref(r.lines[i]);
	ex_child_kill(&r.client);
	devplane_free(n[0]);
	devplane_free(n[1]);
	printf("b2: ok\n");
	return 0;
}
