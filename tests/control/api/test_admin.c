/* SPDX-License-Identifier: MIT */
/* tests/control/api/test_admin.c - admin API: geth's admin_nodeInfo / admin_peers / admin_addPeer / admin_removePeer shapes and the JSON-RPC 2.0 errors, batches and stream framing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/hex.h"
#include "control/api/admin.h"

/* The public key of private key 1 (the generator point G): its
 * keccak256 ends with the well-known address 0x7e5f...5bdf. */
#define G_HEX "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" \
	      "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
#define G_ADDR "7e5f4552091a69125d5dfcb7b8c2659029395bdf"
/* A mainnet bootnode of geth's params/bootnodes.go. */
#define BOOT_HEX "d860a01f9722d78051619d1e2351aba3f43f943f6f00718d1b9baa4101932a1f" \
		 "5011f16bb2b1bb35db20d6fe28fa0bf09636d26a87d31de9ec6203eeedb1f666"
#define BOOT_URL "enode://" BOOT_HEX "@18.138.108.67:30303"
#define MAINNET_GENESIS \
	"d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"

struct fake {
	int calls_add, calls_remove, calls_trust, calls_untrust;
	struct enode last;
	int add_rc;
	struct p2p_hello hello;
	struct p2p_proto eth68, snap1;
	struct p2p_shared shared[2];
	unsigned n_peers;
};

static void unhex(uint8_t *out, size_t n, const char *s)
{
	assert_int_equal(hex_decode(out, n, s, strlen(s)), (ssize_t)n);
}

static void v4(uint8_t ip[16], unsigned a, unsigned b, unsigned c,
	       unsigned d)
{
	memset(ip, 0, 16);
	ip[10] = ip[11] = 0xff;
	ip[12] = (uint8_t)a, ip[13] = (uint8_t)b;
	ip[14] = (uint8_t)c, ip[15] = (uint8_t)d;
}

static int f_node_info(void *user, struct admin_node_info *ni)
{
	(void)user;
	unhex(ni->pub, 64, G_HEX);
	snprintf(ni->name, sizeof(ni->name), "devplane/v0.1.0/linux-amd64/gcc");
	snprintf(ni->enode, sizeof(ni->enode),
		 "enode://%s@10.0.0.1:30303", G_HEX);
	snprintf(ni->enr, sizeof(ni->enr), "enr:-IS4QHCYrYZbAKW");
	v4(ni->ip, 10, 0, 0, 1);
	ni->discovery = 30301;
	ni->listener = 30303;
	memset(ni->listen_ip, 0, 16);         /* [::] */
	ni->listen_port = 30303;
	ni->has_eth = true;
	ni->network = 1;
	unhex(ni->genesis, 32, MAINNET_GENESIS);
	memset(ni->head, 0xab, 32);
	return 0;
}

static void f_peers(void *user, admin_peer_emit_fn *emit, void *ctx)
{
	struct fake *f = user;
	struct admin_peer_info pi;

	for (unsigned i = 0; i < f->n_peers; i++) {
		memset(&pi, 0, sizeof(pi));
		unhex(pi.pub, 64, i ? BOOT_HEX : G_HEX);
		pi.hello = &f->hello;
		pi.shared = f->shared;
		pi.n_shared = 2;
		v4(pi.local_ip, 127, 0, 0, 1);
		pi.local_port = (uint16_t)(40000 + i);
		v4(pi.remote_ip, 127, 0, 0, 2);
		pi.remote_port = 30303;
		pi.inbound = i == 0;
		pi.trusted = i == 1;
		pi.is_static = i == 1;
		emit(ctx, &pi);
	}
}

static int f_add(void *user, const struct enode *e)
{
	struct fake *f = user;

	f->calls_add++;
	f->last = *e;
	return f->add_rc;
}

static int f_remove(void *user, const struct enode *e)
{
	struct fake *f = user;

	f->calls_remove++;
	f->last = *e;
	return 0;
}

static int f_trust(void *user, const struct enode *e)
{
	struct fake *f = user;

	f->calls_trust++;
	f->last = *e;
	return 0;
}

static int f_untrust(void *user, const struct enode *e)
{
	struct fake *f = user;

	f->calls_untrust++;
	f->last = *e;
	return 0;
}

static struct fake F;
static struct admin_provider P;

static int setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	snprintf(F.hello.client_id, sizeof(F.hello.client_id),
		 "Geth/v1.14.0-stable/linux-amd64/go1.22.2");
	snprintf(F.hello.caps[0].name, sizeof(F.hello.caps[0].name), "eth");
	F.hello.caps[0].version = 68;
	snprintf(F.hello.caps[1].name, sizeof(F.hello.caps[1].name), "snap");
	F.hello.caps[1].version = 1;
	F.hello.n_caps = 2;
	F.eth68.name = "eth";
	F.eth68.version = 68;
	F.snap1.name = "snap";
	F.snap1.version = 1;
	F.shared[0].proto = &F.eth68;
	F.shared[1].proto = &F.snap1;
	F.n_peers = 2;
	P = (struct admin_provider){
		.user = &F, .node_info = f_node_info, .peers = f_peers,
		.add_peer = f_add, .remove_peer = f_remove,
		.add_trusted = f_trust, .remove_trusted = f_untrust,
		.peer_events = true,
	};
	return 0;
}

/* Sends req, parses the one response line. */
static json_t *call(const struct admin_provider *p, const char *req)
{
	size_t n;
	char *out = admin_handle(p, req, strlen(req), &n);
	json_error_t err;
	json_t *j;

	assert_non_null(out);
	assert_int_equal(n, strlen(out));
	assert_true(n > 1 && out[n - 1] == '\n');
	assert_null(memchr(out, '\n', n - 1));  /* one line */
	j = json_loads(out, 0, &err);
	assert_non_null(j);
	free(out);
	return j;
}

static void assert_str(json_t *o, const char *key, const char *want)
{
	json_t *v = json_object_get(o, key);

	assert_true(json_is_string(v));
	assert_string_equal(json_string_value(v), want);
}

/* A JSON-RPC 2.0 error response with id want_id (NULL: null; the
 * reference is stolen). */
static void assert_error(json_t *r, int code, json_t *want_id)
{
	json_t *e = json_object_get(r, "error");

	assert_str(r, "jsonrpc", "2.0");
	assert_null(json_object_get(r, "result"));
	assert_true(json_is_object(e));
	assert_int_equal(json_integer_value(json_object_get(e, "code")), code);
	assert_true(json_is_string(json_object_get(e, "message")));
	if (want_id)
		assert_true(json_equal(json_object_get(r, "id"), want_id));
	else
		assert_true(json_is_null(json_object_get(r, "id")));
	assert_int_equal(json_object_size(r), 3);
	json_decref(want_id);
}

static json_t *ok_result(json_t *r, json_int_t id)
{
	assert_str(r, "jsonrpc", "2.0");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), id);
	assert_null(json_object_get(r, "error"));
	assert_int_equal(json_object_size(r), 3);
	return json_object_get(r, "result");
}

static void test_node_info_shape(void **state)
{
	json_t *r, *res, *ports, *protos, *eth;
	const char *id;

	(void)state;
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"admin_nodeInfo\"}");
	res = ok_result(r, 7);
	assert_true(json_is_object(res));
	/* id: keccak256(pub) as 64 hex digits, no prefix (geth enode.ID). */
	id = json_string_value(json_object_get(res, "id"));
	assert_non_null(id);
	assert_int_equal(strlen(id), 64);
	assert_string_equal(id + 24, G_ADDR);
	assert_str(res, "name", "devplane/v0.1.0/linux-amd64/gcc");
	assert_str(res, "enode", "enode://" G_HEX "@10.0.0.1:30303");
	assert_str(res, "enr", "enr:-IS4QHCYrYZbAKW");
	assert_str(res, "ip", "10.0.0.1");
	ports = json_object_get(res, "ports");
	assert_true(json_is_object(ports));
	assert_int_equal(json_object_size(ports), 2);
	assert_int_equal(json_integer_value(json_object_get(ports, "discovery")),
			 30301);
	assert_int_equal(json_integer_value(json_object_get(ports, "listener")),
			 30303);
	assert_str(res, "listenAddr", "[::]:30303");
	protos = json_object_get(res, "protocols");
	assert_true(json_is_object(protos));
	eth = json_object_get(protos, "eth");
	assert_true(json_is_object(eth));
	assert_true(json_is_integer(json_object_get(eth, "network")));
	assert_int_equal(json_integer_value(json_object_get(eth, "network")), 1);
	assert_str(eth, "genesis", "0x" MAINNET_GENESIS);
	assert_str(eth, "head", "0xabababababababababababababababab"
		   "abababababababababababababababab");
	assert_int_equal(json_object_size(res), 8);
	json_decref(r);

	/* params [] and null are the same as none. */
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_nodeInfo\",\"params\":[]}");
	assert_true(json_is_object(ok_result(r, 1)));
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_nodeInfo\",\"params\":null}");
	assert_true(json_is_object(ok_result(r, 1)));
	json_decref(r);
}

static int fail_info(void *user, struct admin_node_info *ni)
{
	(void)user;
	(void)ni;
	return -EIO;
}

static void test_node_info_bootnode(void **state)
{
	struct admin_provider boot = { .node_info = f_node_info };
	json_t *r, *res;

	(void)state;
	r = call(&boot, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_nodeInfo\"}");
	res = ok_result(r, 1);
	assert_true(json_is_object(json_object_get(res, "protocols")));
	json_decref(r);
	/* Only nodeInfo exists on a bootnode. */
	r = call(&boot, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"admin_peers\"}");
	assert_error(r, ADMIN_ERR_METHOD, json_integer(2));
	json_decref(r);
	r = call(&boot, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"admin_addPeer\",\"params\":[\"" BOOT_URL "\"]}");
	assert_error(r, ADMIN_ERR_METHOD, json_integer(3));
	json_decref(r);
	boot.node_info = fail_info;
	r = call(&boot, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"admin_nodeInfo\"}");
	assert_error(r, ADMIN_ERR_SERVER, json_integer(4));
	json_decref(r);
}

static void test_peers_shape(void **state)
{
	json_t *r, *res, *p, *caps, *net, *protos;
	size_t i;

	(void)state;
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"admin_peers\",\"params\":[]}");
	res = ok_result(r, 2);
	assert_true(json_is_array(res));
	assert_int_equal(json_array_size(res), 2);
	json_array_foreach(res, i, p) {
		const char *id = json_string_value(json_object_get(p, "id"));

		assert_null(json_object_get(p, "enr"));     /* omitempty */
		assert_non_null(id);
		assert_int_equal(strlen(id), 64);
		if (i == 0) {
			assert_string_equal(id + 24, G_ADDR);
			assert_str(p, "enode", "enode://" G_HEX "@127.0.0.2:30303");
		} else {
			assert_str(p, "enode", "enode://" BOOT_HEX "@127.0.0.2:30303");
			assert_string_not_equal(id + 24, G_ADDR);
		}
		assert_str(p, "name", "Geth/v1.14.0-stable/linux-amd64/go1.22.2");
		caps = json_object_get(p, "caps");
		assert_true(json_is_array(caps));
		assert_int_equal(json_array_size(caps), 2);
		assert_string_equal(json_string_value(json_array_get(caps, 0)),
				    "eth/68");
		assert_string_equal(json_string_value(json_array_get(caps, 1)),
				    "snap/1");
		net = json_object_get(p, "network");
		assert_true(json_is_object(net));
		assert_int_equal(json_object_size(net), 5);
		assert_str(net, "localAddress", i ? "127.0.0.1:40001" :
			   "127.0.0.1:40000");
		assert_str(net, "remoteAddress", "127.0.0.2:30303");
		assert_true(json_is_boolean(json_object_get(net, "inbound")));
		assert_int_equal(json_is_true(json_object_get(net, "inbound")),
				 i == 0);
		assert_int_equal(json_is_true(json_object_get(net, "trusted")),
				 i == 1);
		assert_int_equal(json_is_true(json_object_get(net, "static")),
				 i == 1);
		protos = json_object_get(p, "protocols");
		assert_true(json_is_object(protos));
		assert_int_equal(json_integer_value(json_object_get(
			json_object_get(protos, "eth"), "version")), 68);
		assert_int_equal(json_integer_value(json_object_get(
			json_object_get(protos, "snap"), "version")), 1);
		assert_int_equal(json_object_size(p), 6);
	}
	json_decref(r);

	/* No peers: an empty array, not null. */
	F.n_peers = 0;
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"admin_peers\"}");
	res = ok_result(r, 3);
	assert_true(json_is_array(res));
	assert_int_equal(json_array_size(res), 0);
	json_decref(r);

	/* A client id that is not UTF-8 does not break the JSON. */
	F.n_peers = 1;
	F.hello.client_id[0] = (char)0xff;
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"admin_peers\"}");
	res = ok_result(r, 4);
	assert_str(json_array_get(res, 0), "name", "");
	json_decref(r);
}

static void test_add_remove_peer(void **state)
{
	uint8_t want[64];
	json_t *r;

	(void)state;
	unhex(want, 64, BOOT_HEX);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"admin_addPeer\",\"params\":[\"" BOOT_URL "\"]}");
	assert_true(json_is_true(ok_result(r, 5)));
	json_decref(r);
	assert_int_equal(F.calls_add, 1);
	assert_memory_equal(F.last.pub, want, 64);
	assert_int_equal(F.last.tcp, 30303);
	assert_int_equal(F.last.ip[12], 18);
	assert_int_equal(F.last.ip[15], 67);

	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"admin_removePeer\",\"params\":[\"" BOOT_URL "\"]}");
	assert_true(json_is_true(ok_result(r, 6)));
	json_decref(r);
	assert_int_equal(F.calls_remove, 1);
	assert_memory_equal(F.last.pub, want, 64);

	/* The provider's failure is a server error (-32000). */
	F.add_rc = -ENOSPC;
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"admin_addPeer\",\"params\":[\"" BOOT_URL "\"]}");
	assert_error(r, ADMIN_ERR_SERVER, json_integer(7));
	json_decref(r);
}

static void test_invalid_params(void **state)
{
	static const char *const reqs[] = {
		/* missing argument */
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_addPeer\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_removePeer\",\"params\":[]}",
		/* too many */
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_addPeer\",\"params\":[\"" BOOT_URL "\",1]}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_nodeInfo\",\"params\":[1]}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_peers\",\"params\":[null]}",
		/* wrong type */
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_addPeer\",\"params\":[42]}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_addPeer\",\"params\":{\"url\":\"" BOOT_URL "\"}}",
		/* unparsable url: bad hex, off-curve key, no port, a name */
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_addPeer\",\"params\":[\"enode://zz@1.2.3.4:1\"]}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_addPeer\",\"params\":[\"enode://"
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"
		"@1.2.3.4:1\"]}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_removePeer\",\"params\":[\"enode://" BOOT_HEX "@1.2.3.4\"]}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_addPeer\",\"params\":[\"enode://" BOOT_HEX "@boot.example.org:30303\"]}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_addPeer\",\"params\":[\"enr:-notbase64!\"]}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		json_t *r = call(&P, reqs[i]);

		assert_error(r, ADMIN_ERR_PARAMS, json_integer(1));
		json_decref(r);
	}
	assert_int_equal(F.calls_add + F.calls_remove, 0);
}

static void test_errors(void **state)
{
	json_t *r, *id;

	(void)state;
	/* Parse errors: id null. */
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_peers\"");
	assert_error(r, ADMIN_ERR_PARSE, NULL);
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":1,,}");
	assert_error(r, ADMIN_ERR_PARSE, NULL);
	json_decref(r);
	r = call(&P, "");
	assert_error(r, ADMIN_ERR_PARSE, NULL);
	json_decref(r);
	/* An embedded NUL is refused by the parser. */
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_addPeer\",\"params\":[\"" BOOT_URL "\\u0000x\"]}");
	assert_error(r, ADMIN_ERR_PARSE, NULL);
	json_decref(r);
	assert_int_equal(F.calls_add, 0);

	/* Invalid requests. */
	r = call(&P, "{\"id\":1,\"method\":\"admin_peers\"}");     /* no jsonrpc */
	assert_error(r, ADMIN_ERR_REQUEST, json_integer(1));
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"admin_peers\"}");
	assert_error(r, ADMIN_ERR_REQUEST, json_integer(1));
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}");
	assert_error(r, ADMIN_ERR_REQUEST, json_integer(1));
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":1}");
	assert_error(r, ADMIN_ERR_REQUEST, json_integer(1));
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"admin_peers\"}");
	assert_error(r, ADMIN_ERR_REQUEST, NULL);
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_peers\",\"params\":\"x\"}");
	assert_error(r, ADMIN_ERR_REQUEST, json_integer(1));
	json_decref(r);

	/* Unknown method; the id is echoed whatever its type. */
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"eth_blockNumber\"}");
	id = json_string("abc");
	assert_error(r, ADMIN_ERR_METHOD, id);
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"admin_nodeinfo\"}");
	assert_error(r, ADMIN_ERR_METHOD, NULL);
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":2.5,\"method\":\"admin_datadir\"}");
	id = json_real(2.5);
	assert_error(r, ADMIN_ERR_METHOD, id);
	json_decref(r);
}

static void test_notifications(void **state)
{
	const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"admin_addPeer\",\"params\":[\"" BOOT_URL "\"]}";
	size_t n = 99;
	char *out;

	(void)state;
	/* Runs, answers nothing. */
	out = admin_handle(&P, req, strlen(req), &n);
	assert_null(out);
	assert_int_equal(n, 0);
	assert_int_equal(F.calls_add, 1);
	/* Even an unknown method in a notification is silent. */
	req = "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}";
	out = admin_handle(&P, req, strlen(req), &n);
	assert_null(out);
}

static void test_batch(void **state)
{
	json_t *r, *e;

	(void)state;
	r = call(&P, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_nodeInfo\"},"
		 "{\"jsonrpc\":\"2.0\",\"method\":\"admin_addPeer\",\"params\":[\"" BOOT_URL "\"]},"
		 "1,"
		 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nope\"},"
		 "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"admin_peers\"}]");
	assert_true(json_is_array(r));
	assert_int_equal(json_array_size(r), 4);
	assert_true(json_is_object(ok_result(json_array_get(r, 0), 1)));
	assert_error(json_array_get(r, 1), ADMIN_ERR_REQUEST, NULL);
	e = json_integer(3);
	assert_error(json_array_get(r, 2), ADMIN_ERR_METHOD, e);
	assert_true(json_is_array(ok_result(json_array_get(r, 3), 4)));
	assert_int_equal(F.calls_add, 1);
	json_decref(r);

	/* Empty batch: one error object, not an array. */
	r = call(&P, "[]");
	assert_true(json_is_object(r));
	assert_error(r, ADMIN_ERR_REQUEST, NULL);
	json_decref(r);

	/* Only notifications: nothing at all. */
	{
		const char *req = "[{\"jsonrpc\":\"2.0\",\"method\":\"admin_peers\"},"
				  "{\"jsonrpc\":\"2.0\",\"method\":\"admin_nodeInfo\"}]";
		size_t n;

		assert_null(admin_handle(&P, req, strlen(req), &n));
		assert_int_equal(n, 0);
	}

	/* Over the limit: one error. */
	{
		size_t cap = (ADMIN_MAX_BATCH + 1) * 64 + 8, off = 0;
		char *req = malloc(cap);

		assert_non_null(req);
		req[off++] = '[';
		for (unsigned i = 0; i <= ADMIN_MAX_BATCH; i++)
			off += (size_t)snprintf(req + off, cap - off,
				"%s{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"admin_peers\"}",
				i ? "," : "", i);
		req[off++] = ']';
		req[off] = '\0';
		r = call(&P, req);
		assert_true(json_is_object(r));
		assert_error(r, ADMIN_ERR_REQUEST, NULL);
		json_decref(r);
		free(req);
	}
}

static void test_frame(void **state)
{
	size_t skip;

	(void)state;
	assert_int_equal(admin_frame("", 0, &skip), 0);
	assert_int_equal(skip, 0);
	assert_int_equal(admin_frame(" \n\t\r", 4, &skip), 0);
	assert_int_equal(skip, 4);
	assert_int_equal(admin_frame("  {\"a\":1}{", 10, &skip), 9);
	assert_int_equal(skip, 2);
	assert_int_equal(admin_frame("{\"a\":[1,{}]", 11, NULL), 0);
	/* Brackets inside strings and escaped quotes do not count. */
	assert_int_equal(admin_frame("{\"}\\\"{\":\"]\"} ", 13, NULL), 12);
	assert_int_equal(admin_frame("[\"\\\\\"]x", 7, NULL), 6);
	assert_int_equal(admin_frame("\n42", 3, NULL), -EBADMSG);
	assert_int_equal(admin_frame("\"x\"", 3, NULL), -EBADMSG);
	assert_int_equal(admin_frame("}", 1, NULL), -EBADMSG);
}

/* Splits every response line of the stream's output. */
static size_t drain(struct admin_stream *s, json_t **out, size_t max)
{
	const char *d;
	size_t len = admin_stream_out(s, &d), n = 0, off = 0;

	while (off < len) {
		const char *nl = memchr(d + off, '\n', len - off);
		json_error_t err;

		assert_non_null(nl);
		assert_true(n < max);
		out[n] = json_loadb(d + off, (size_t)(nl - (d + off)), 0, &err);
		assert_non_null(out[n]);
		n++;
		off = (size_t)(nl - d) + 1;
	}
	admin_stream_written(s, len);
	assert_int_equal(admin_stream_out(s, &d), 0);
	return n;
}

static void test_stream(void **state)
{
	static const char in[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_nodeInfo\"}\n"
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"admin_peers\"}"
		"{\"jsonrpc\":\"2.0\",\"method\":\"admin_peers\"}  \r\n"
		"[{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"x}]{\"}]\n";
	struct admin_stream s;
	json_t *r[8];
	size_t n;

	(void)state;
	/* Whole. */
	admin_stream_init(&s);
	assert_int_equal(admin_stream_feed(&s, &P, in, sizeof(in) - 1), 0);
	n = drain(&s, r, 8);
	assert_int_equal(n, 3);
	assert_true(json_is_object(ok_result(r[0], 1)));
	assert_true(json_is_array(ok_result(r[1], 2)));
	assert_true(json_is_array(r[2]));
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(r[2], 0), "id")), 3);
	for (size_t i = 0; i < n; i++)
		json_decref(r[i]);
	assert_false(admin_stream_closing(&s));
	admin_stream_fini(&s);

	/* Byte by byte: the same answers. */
	admin_stream_init(&s);
	for (size_t i = 0; i + 1 < sizeof(in); i++)
		assert_int_equal(admin_stream_feed(&s, &P, in + i, 1), 0);
	n = drain(&s, r, 8);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		json_decref(r[i]);
	admin_stream_fini(&s);

	/* A framed but malformed value is answered; the stream goes on. */
	admin_stream_init(&s);
	{
		const char *two = "{\"a\" 1}{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"admin_peers\"}";

		assert_int_equal(admin_stream_feed(&s, &P, two, strlen(two)),
				 0);
	}
	n = drain(&s, r, 8);
	assert_int_equal(n, 2);
	assert_error(r[0], ADMIN_ERR_PARSE, NULL);
	assert_true(json_is_array(ok_result(r[1], 9)));
	json_decref(r[0]);
	json_decref(r[1]);

	/* Garbage cannot be resynchronised: a parse error, then closing. */
	assert_int_equal(admin_stream_feed(&s, &P, "hello\n", 6), -EBADMSG);
	assert_true(admin_stream_closing(&s));
	n = drain(&s, r, 8);
	assert_int_equal(n, 1);
	assert_error(r[0], ADMIN_ERR_PARSE, NULL);
	json_decref(r[0]);
	assert_int_equal(admin_stream_feed(&s, &P, "{}", 2), 0);
	assert_int_equal(drain(&s, r, 8), 0);
	admin_stream_fini(&s);
}

static void test_stream_too_big(void **state)
{
	struct admin_stream s;
	char *big = malloc(ADMIN_IN_MAX + 16);
	json_t *r[1];

	(void)state;
	assert_non_null(big);
	big[0] = '[';
	memset(big + 1, ' ', ADMIN_IN_MAX + 15);
	admin_stream_init(&s);
	assert_int_equal(admin_stream_feed(&s, &P, big, ADMIN_IN_MAX + 16),
			 -EMSGSIZE);
	assert_true(admin_stream_closing(&s));
	assert_int_equal(drain(&s, r, 1), 0);
	admin_stream_fini(&s);
	free(big);
}

/* A client that writes requests and never reads the answers: the stream
 * stops answering once ADMIN_OUT_HIGH bytes wait, and says so
 * (admin_stream_wants_input() false, so the transport stops reading);
 * memory stays bounded however much is sent. Once the client reads, every
 * request queued is answered, in order. */
static void test_stream_unread_output_bounded(void **state)
{
	static const char req[] =
		"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"admin_nodeInfo\"}\n";
	struct admin_stream s;
	char chunk[16384];
	size_t per = sizeof(chunk) / (sizeof(req) - 1), fed = 0, got = 0;
	size_t max_out = 0, max_in = 0;
	const char *d;

	(void)state;
	for (size_t i = 0; i < per; i++)
		memcpy(chunk + i * (sizeof(req) - 1), req, sizeof(req) - 1);
	admin_stream_init(&s);
	/* Writes until the stream refuses input, then 100 MiB more would
	 * have been offered: the transport does not read them. */
	for (int k = 0; k < 6400 && admin_stream_wants_input(&s); k++) {
		assert_int_equal(admin_stream_feed(&s, &P, chunk,
						   per * (sizeof(req) - 1)), 0);
		fed += per;
		if (admin_stream_out(&s, &d) > max_out)
			max_out = admin_stream_out(&s, &d);
		if (s.in_len > max_in)
			max_in = s.in_len;
	}
	assert_false(admin_stream_wants_input(&s));
	assert_true(max_out < ADMIN_OUT_HIGH + 4096);
	assert_true(max_in <= ADMIN_IN_MAX + ADMIN_IN_SLACK);
	assert_true(s.out_cap <= 2 * (ADMIN_OUT_HIGH + 4096));
	assert_true(s.answered < fed);
	/* The client reads: everything queued gets its answer. */
	for (int k = 0; k < 100000 && got < fed; k++) {
		size_t len = admin_stream_out(&s, &d);

		for (size_t i = 0; i < len; i++)
			got += d[i] == '\n';
		admin_stream_written(&s, len);
		assert_int_equal(admin_stream_pump(&s, &P), 0);
	}
	assert_int_equal(got, fed);
	assert_int_equal(s.answered, fed);
	assert_true(admin_stream_wants_input(&s));
	assert_false(admin_stream_closing(&s));
	admin_stream_fini(&s);
}

static void test_format_addr(void **state)
{
	uint8_t ip[16];
	char buf[64];

	(void)state;
	v4(ip, 192, 168, 1, 20);
	assert_int_equal(admin_format_addr(buf, sizeof(buf), ip, 30303), 18);
	assert_string_equal(buf, "192.168.1.20:30303");
	memset(ip, 0, 16);
	ip[15] = 1;
	assert_true(admin_format_addr(buf, sizeof(buf), ip, 1) > 0);
	assert_string_equal(buf, "[::1]:1");
	assert_int_equal(admin_format_addr(buf, 5, ip, 1), -EMSGSIZE);
}

static struct kad_table T;

static const struct kad_table *f_table(void *user)
{
	return user ? &T : NULL;
}

/* geth's debug_discoveryV4Table: KAD_N_BUCKETS arrays of
 * {node, addedToTable, addedToBucket, checks, live}, times as Go's
 * time.Time JSON (RFC 3339 UTC, nanoseconds without trailing zeros). */
static void test_discv4_table_shape(void **state)
{
	struct admin_provider p = { .user = &T, .discv4_table = f_table };
	struct kad_node_info a, b;
	uint8_t self[64] = { 1 };
	const struct kad_node *ka;
	json_t *r, *res, *e;
	unsigned total = 0;
	bool seen_a = false, seen_b = false;

	(void)state;
	kad_table_init(&T, self, 1, 0);
	kad_mark_init_done(&T);
	memset(&a, 0, sizeof(a));
	unhex(a.pub, 64, G_HEX);
	v4(a.ip, 10, 0, 0, 2);
	a.udp_port = a.tcp_port = 30303;
	memset(&b, 0, sizeof(b));
	unhex(b.pub, 64, BOOT_HEX);
	v4(b.ip, 18, 138, 108, 67);
	b.udp_port = 30301;
	b.tcp_port = 0;
	assert_int_equal(kad_add(&T, &a, KAD_ADD_LIVE,
				 1700000000123456700ull), KAD_ADDED);
	assert_int_equal(kad_add(&T, &b, 0, 1700000001000000000ull),
			 KAD_ADDED);
	ka = kad_find(&T, a.pub);
	assert_non_null(ka);
	r = call(&p, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"debug_discoveryV4Table\"}");
	res = ok_result(r, 9);
	assert_true(json_is_array(res));
	assert_int_equal(json_array_size(res), KAD_N_BUCKETS);
	for (size_t i = 0; i < json_array_size(res); i++) {
		json_t *bk = json_array_get(res, i);
		size_t j;

		assert_true(json_is_array(bk));
		json_array_foreach(bk, j, e) {
			const char *url;

			total++;
			assert_int_equal(json_object_size(e), 5);
			url = json_string_value(json_object_get(e, "node"));
			assert_non_null(url);
			if (!strcmp(url, "enode://" G_HEX "@10.0.0.2:30303")) {
				seen_a = true;
				assert_str(e, "addedToTable",
					   "2023-11-14T22:13:20.1234567Z");
				assert_str(e, "addedToBucket",
					   "2023-11-14T22:13:20.1234567Z");
				assert_true(json_is_true(json_object_get(e, "live")));
				assert_int_equal(json_integer_value(
					json_object_get(e, "checks")),
					ka->liveness_checks);
			} else {
				assert_string_equal(url, "enode://" BOOT_HEX
					"@18.138.108.67:0?discport=30301");
				seen_b = true;
				assert_str(e, "addedToTable",
					   "2023-11-14T22:13:21Z");
				assert_true(json_is_false(json_object_get(e, "live")));
				assert_int_equal(json_integer_value(
					json_object_get(e, "checks")), 0);
			}
		}
	}
	assert_int_equal(total, 2);
	assert_true(seen_a && seen_b);
	json_decref(r);
	/* Without discovery: null. Without the hook: no such method. */
	p.user = NULL;
	r = call(&p, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"debug_discoveryV4Table\"}");
	assert_true(json_is_null(ok_result(r, 10)));
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"debug_discoveryV4Table\"}");
	assert_error(r, ADMIN_ERR_METHOD, json_integer(11));
	json_decref(r);
	kad_table_fini(&T);
}

/* debug_discoveryV5Table (ours): the same shape without the times; the
 * debug namespace is served with discv5 alone. */
static void test_discv5_table_shape(void **state)
{
	struct admin_provider p = { .user = &T, .discv5_table = f_table };
	struct kad_node_info a;
	uint8_t self[64] = { 2 };
	json_t *r, *res, *e = NULL;
	unsigned total = 0;

	(void)state;
	kad_table_init(&T, self, 1, 0);
	kad_mark_init_done(&T);
	memset(&a, 0, sizeof(a));
	unhex(a.pub, 64, G_HEX);
	v4(a.ip, 127, 0, 0, 1);
	a.udp_port = a.tcp_port = 30303;
	assert_int_equal(kad_add(&T, &a, KAD_ADD_LIVE, 1000), KAD_ADDED);
	r = call(&p, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"debug_discoveryV5Table\"}");
	res = ok_result(r, 9);
	assert_int_equal(json_array_size(res), KAD_N_BUCKETS);
	for (size_t i = 0; i < json_array_size(res); i++) {
		json_t *bk = json_array_get(res, i);

		total += (unsigned)json_array_size(bk);
		if (json_array_size(bk))
			e = json_array_get(bk, 0);
	}
	assert_int_equal(total, 1);
	assert_int_equal(json_object_size(e), 3);
	assert_str(e, "node", "enode://" G_HEX "@127.0.0.1:30303");
	assert_true(json_is_true(json_object_get(e, "live")));
	json_decref(r);
	r = call(&p, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"rpc_modules\"}");
	assert_non_null(json_object_get(ok_result(r, 10), "debug"));
	json_decref(r);
	/* discv4's is not there without its hook. */
	r = call(&p, "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"debug_discoveryV4Table\"}");
	assert_error(r, ADMIN_ERR_METHOD, json_integer(11));
	json_decref(r);
	kad_table_fini(&T);
}

static void test_trusted_peers(void **state)
{
	uint8_t want[64];
	json_t *r;

	(void)state;
	unhex(want, 64, BOOT_HEX);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_addTrustedPeer\",\"params\":[\"" BOOT_URL "\"]}");
	assert_true(json_is_true(ok_result(r, 1)));
	json_decref(r);
	assert_int_equal(F.calls_trust, 1);
	assert_memory_equal(F.last.pub, want, 64);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"admin_removeTrustedPeer\",\"params\":[\"" BOOT_URL "\"]}");
	assert_true(json_is_true(ok_result(r, 2)));
	json_decref(r);
	assert_int_equal(F.calls_untrust, 1);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"admin_addTrustedPeer\",\"params\":[\"enode://nope\"]}");
	assert_error(r, ADMIN_ERR_PARAMS, json_integer(3));
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"admin_removeTrustedPeer\"}");
	assert_error(r, ADMIN_ERR_PARAMS, json_integer(4));
	json_decref(r);
}

/* The bootnode's provider: the peer methods say why they are absent. */
static void test_no_peers_reason(void **state)
{
	struct admin_provider boot = {
		.node_info = f_node_info,
		.no_peers = "a bootnode has no RLPx peers",
	};
	static const char *const m[] = {
		"admin_peers\"", "admin_addTrustedPeer\",\"params\":[\"" BOOT_URL "\"]",
		"admin_removeTrustedPeer\",\"params\":[\"" BOOT_URL "\"]",
		"admin_subscribe\",\"params\":[\"peerEvents\"]",
	};
	struct admin_stream st;
	json_t *out[2];

	(void)state;
	admin_stream_init(&st);
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		char req[512];
		const char *msg;

		snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"id\":1,"
			 "\"method\":\"%s}", m[i]);
		assert_int_equal(admin_stream_feed(&st, &boot, req,
						   strlen(req)), 0);
		assert_int_equal(drain(&st, out, 2), 1);
		msg = json_string_value(json_object_get(json_object_get(
				out[0], "error"), "message"));
		assert_non_null(msg);
		assert_int_equal(json_integer_value(json_object_get(
				json_object_get(out[0], "error"), "code")),
				ADMIN_ERR_METHOD);
		assert_non_null(strstr(msg, ": a bootnode has no RLPx peers"));
		json_decref(out[0]);
	}
	assert_int_equal(st.n_subs, 0);
	admin_stream_fini(&st);
}

static int ext_fn(void *user, const char *params, char **result)
{
	int *calls = user;

	(*calls)++;
	if (!strcmp(params, "[]"))
		return asprintf(result, "{\"count\":%d}", *calls) < 0 ?
		       -ENOMEM : 0;
	if (!strcmp(params, "[\"null\"]"))
		return 0;                       /* null */
	if (!strcmp(params, "[\"bad\"]")) {
		*result = strdup("want no argument");
		return -EINVAL;
	}
	if (!strcmp(params, "[\"junk\"]")) {
		*result = strdup("{not json");
		return 0;
	}
	return -EIO;
}

static void test_service_methods(void **state)
{
	struct admin_methods ms = { .n = 0 };
	static const char *const bad[] = {
		"nounderscore", "_x", "x_", "admin_mine", "debug_x", "rpc_x",
		"a-b_c", "x_y.z",
	};
	int calls = 0;
	json_t *r, *res;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(admin_methods_add(&ms, bad[i], ext_fn, &calls),
				 -EINVAL);
	assert_int_equal(admin_methods_add(&ms, "ping_count", ext_fn, &calls),
			 0);
	assert_int_equal(admin_methods_add(&ms, "ping_count", ext_fn, &calls),
			 -EEXIST);
	assert_int_equal(admin_methods_add(&ms, "demo_x_y2", ext_fn, &calls),
			 0);
	P.ext = &ms;
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping_count\"}");
	res = ok_result(r, 1);
	assert_int_equal(json_integer_value(json_object_get(res, "count")), 1);
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping_count\",\"params\":[\"null\"]}");
	assert_true(json_is_null(ok_result(r, 2)));
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping_count\",\"params\":[\"bad\"]}");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
			    r, "error"), "message")), "want no argument");
	assert_error(r, ADMIN_ERR_PARAMS, json_integer(3));
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping_count\",\"params\":[\"junk\"]}");
	assert_error(r, -32603, json_integer(4));
	json_decref(r);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping_count\",\"params\":[1]}");
	assert_error(r, ADMIN_ERR_SERVER, json_integer(5));
	json_decref(r);
	assert_int_equal(calls, 5);
	/* rpc_modules lists every namespace served. */
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"rpc_modules\"}");
	res = ok_result(r, 6);
	assert_int_equal(json_object_size(res), 4);
	assert_str(res, "admin", "1.0");
	assert_str(res, "rpc", "1.0");
	assert_str(res, "ping", "1.0");
	assert_str(res, "demo", "1.0");
	json_decref(r);
	assert_int_equal(admin_methods_remove(&ms, "ping_count"), 0);
	assert_int_equal(admin_methods_remove(&ms, "ping_count"), -ENOENT);
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping_count\"}");
	assert_error(r, ADMIN_ERR_METHOD, json_integer(7));
	json_decref(r);
	P.ext = NULL;
	r = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"rpc_modules\"}");
	assert_int_equal(json_object_size(ok_result(r, 8)), 2);
	json_decref(r);
}

static void test_peer_event_json(void **state)
{
	struct admin_peer_event ev = {
		.type = "drop", .error = "disconnect requested",
		.local = "127.0.0.1:30303", .remote = "127.0.0.1:40000",
	};
	json_t *o;
	size_t n;
	char *t;

	(void)state;
	unhex(ev.pub, 64, G_HEX);
	t = admin_peer_event_json(&ev, &n);
	assert_non_null(t);
	assert_int_equal(strlen(t), n);
	o = json_loads(t, 0, NULL);
	assert_non_null(o);
	/* geth's field names, omitempty honoured. */
	assert_int_equal(json_object_size(o), 5);
	assert_str(o, "type", "drop");
	assert_int_equal(strlen(json_string_value(json_object_get(o, "peer"))),
			 64);
	assert_string_equal(json_string_value(json_object_get(o, "peer")) + 24,
			    G_ADDR);
	assert_str(o, "error", "disconnect requested");
	assert_str(o, "local", "127.0.0.1:30303");
	assert_str(o, "remote", "127.0.0.1:40000");
	json_decref(o);
	free(t);
	ev = (struct admin_peer_event){ .type = "msgrecv", .protocol = "eth",
					.has_msg = true, .msg_code = 0,
					.msg_size = 93 };
	t = admin_peer_event_json(&ev, &n);
	o = json_loads(t, 0, NULL);
	assert_int_equal(json_object_size(o), 5);
	assert_str(o, "protocol", "eth");
	assert_int_equal(json_integer_value(json_object_get(o, "msg_code")), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "msg_size")), 93);
	assert_null(json_object_get(o, "error"));
	json_decref(o);
	free(t);
}

static void test_subscribe_stream(void **state)
{
	static const char sub[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
		"\"method\":\"admin_subscribe\",\"params\":[\"peerEvents\"]}";
	struct admin_stream st;
	json_t *out[8], *params;
	char id1[ADMIN_SUB_ID_MAX], req[256];
	const char *ev = "{\"type\":\"add\",\"peer\":\"ab\"}";

	(void)state;
	admin_stream_init(&st);
	assert_false(admin_stream_has_sub(&st, ADMIN_SUB_PEER_EVENTS));
	/* Nobody listens: nothing queued. */
	assert_int_equal(admin_stream_notify(&st, ADMIN_SUB_PEER_EVENTS, ev,
					     strlen(ev)), 0);
	assert_int_equal(admin_stream_feed(&st, &P, sub, sizeof(sub) - 1), 0);
	assert_int_equal(drain(&st, out, 8), 1);
	/* No randomness given: ids count ("0x1"). */
	assert_str(out[0], "result", "0x1");
	snprintf(id1, sizeof(id1), "%s",
		 json_string_value(json_object_get(out[0], "result")));
	json_decref(out[0]);
	assert_true(admin_stream_has_sub(&st, ADMIN_SUB_PEER_EVENTS));
	assert_int_equal(admin_stream_feed(&st, &P, sub, sizeof(sub) - 1), 0);
	assert_int_equal(drain(&st, out, 8), 1);
	assert_str(out[0], "result", "0x2");
	json_decref(out[0]);
	/* One event, two subscriptions: two notifications, geth's shape. */
	assert_int_equal(admin_stream_notify(&st, ADMIN_SUB_PEER_EVENTS, ev,
					     strlen(ev)), 2);
	assert_int_equal(drain(&st, out, 8), 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(json_object_size(out[i]), 3);
		assert_str(out[i], "jsonrpc", "2.0");
		assert_str(out[i], "method", "admin_subscription");
		assert_null(json_object_get(out[i], "id"));
		params = json_object_get(out[i], "params");
		assert_int_equal(json_object_size(params), 2);
		assert_str(params, "subscription", i ? "0x2" : "0x1");
		assert_str(json_object_get(params, "result"), "type", "add");
		json_decref(out[i]);
	}
	/* Unsubscribe one; the other stays. */
	snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"id\":3,"
		 "\"method\":\"admin_unsubscribe\",\"params\":[\"%s\"]}",
		 id1);
	assert_int_equal(admin_stream_feed(&st, &P, req, strlen(req)), 0);
	assert_int_equal(drain(&st, out, 8), 1);
	assert_true(json_is_true(ok_result(out[0], 3)));
	json_decref(out[0]);
	assert_int_equal(admin_stream_feed(&st, &P, req, strlen(req)), 0);
	assert_int_equal(drain(&st, out, 8), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
			    out[0], "error"), "message")),
			    "subscription not found");
	assert_error(out[0], ADMIN_ERR_SERVER, json_integer(3));
	json_decref(out[0]);
	assert_int_equal(admin_stream_notify(&st, ADMIN_SUB_PEER_EVENTS, ev,
					     strlen(ev)), 1);
	assert_int_equal(drain(&st, out, 8), 1);
	json_decref(out[0]);
	admin_stream_fini(&st);

	/* Without a stream, or for an unknown name. */
	out[0] = call(&P, sub);
	assert_error(out[0], ADMIN_ERR_METHOD, json_integer(1));
	json_decref(out[0]);
	out[0] = call(&P, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"admin_subscribe\",\"params\":[\"newHeads\"]}");
	assert_error(out[0], ADMIN_ERR_METHOD, json_integer(2));
	json_decref(out[0]);
	admin_stream_init(&st);
	snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"id\":4,"
		 "\"method\":\"admin_subscribe\",\"params\":[7]}");
	assert_int_equal(admin_stream_feed(&st, &P, req, strlen(req)), 0);
	assert_int_equal(drain(&st, out, 8), 1);
	assert_error(out[0], ADMIN_ERR_PARAMS, json_integer(4));
	json_decref(out[0]);
	/* ADMIN_SUBS_MAX per connection. */
	for (int i = 0; i < ADMIN_SUBS_MAX; i++) {
		assert_int_equal(admin_stream_feed(&st, &P, sub,
						   sizeof(sub) - 1), 0);
		assert_int_equal(drain(&st, out, 8), 1);
		assert_true(json_is_string(ok_result(out[0], 1)));
		json_decref(out[0]);
	}
	assert_int_equal(admin_stream_feed(&st, &P, sub, sizeof(sub) - 1), 0);
	assert_int_equal(drain(&st, out, 8), 1);
	assert_error(out[0], ADMIN_ERR_SERVER, json_integer(1));
	json_decref(out[0]);
	admin_stream_fini(&st);
}

static void fixed_random(void *user, uint8_t *buf, size_t len)
{
	(void)user;
	memset(buf, 0, len);
	buf[len - 2] = 0x0a;
	buf[len - 1] = 0xbc;
}

/* A subscriber that never reads: its subscription is dropped once its
 * unsent output would pass ADMIN_NOTIFY_MAX; the output stays bounded. */
static void test_subscribe_slow_reader(void **state)
{
	static const char sub[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
		"\"method\":\"admin_subscribe\",\"params\":[\"peerEvents\"]}";
	struct admin_stream st;
	char ev[1024];
	const char *d;
	json_t *out[1];
	int k, rc = 1;

	(void)state;
	P.random = fixed_random;
	memset(ev, 'x', sizeof(ev));
	ev[0] = '"';
	ev[sizeof(ev) - 1] = '"';
	admin_stream_init(&st);
	assert_int_equal(admin_stream_feed(&st, &P, sub, sizeof(sub) - 1), 0);
	assert_int_equal(drain(&st, out, 1), 1);
	/* geth's rpc.ID shape: leading zeros dropped. */
	assert_str(out[0], "result", "0xabc");
	json_decref(out[0]);
	for (k = 0; k < 100000 && rc == 1; k++) {
		rc = admin_stream_notify(&st, ADMIN_SUB_PEER_EVENTS, ev,
					 sizeof(ev));
		assert_true(admin_stream_out(&st, &d) <= ADMIN_NOTIFY_MAX);
	}
	assert_int_equal(rc, 0);
	assert_true(k > 900);                   /* about 1 MiB went in */
	assert_int_equal(st.subs_dropped, 1);
	assert_int_equal(st.n_subs, 0);
	assert_int_equal(st.notified, (uint64_t)(k - 1));
	assert_false(admin_stream_closing(&st));        /* requests go on */
	admin_stream_fini(&st);
	P.random = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_node_info_shape, setup),
		cmocka_unit_test_setup(test_node_info_bootnode, setup),
		cmocka_unit_test_setup(test_peers_shape, setup),
		cmocka_unit_test_setup(test_add_remove_peer, setup),
		cmocka_unit_test_setup(test_invalid_params, setup),
		cmocka_unit_test_setup(test_errors, setup),
		cmocka_unit_test_setup(test_notifications, setup),
		cmocka_unit_test_setup(test_batch, setup),
		cmocka_unit_test_setup(test_frame, setup),
		cmocka_unit_test_setup(test_stream, setup),
		cmocka_unit_test_setup(test_stream_too_big, setup),
		cmocka_unit_test_setup(test_stream_unread_output_bounded, setup),
		cmocka_unit_test_setup(test_format_addr, setup),
		cmocka_unit_test_setup(test_discv4_table_shape, setup),
		cmocka_unit_test_setup(test_discv5_table_shape, setup),
		cmocka_unit_test_setup(test_trusted_peers, setup),
		cmocka_unit_test_setup(test_no_peers_reason, setup),
		cmocka_unit_test_setup(test_service_methods, setup),
		cmocka_unit_test_setup(test_peer_event_json, setup),
		cmocka_unit_test_setup(test_subscribe_stream, setup),
		cmocka_unit_test_setup(test_subscribe_slow_reader, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
