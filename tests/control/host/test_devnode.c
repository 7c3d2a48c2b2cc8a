/* SPDX-License-Identifier: MIT */
/* tests/control/host/test_devnode.c - the node's head through the protocol API (devplane_set_head()) and its admin method (devplane_setHead): fork id of the Status and of the ENR "eth" entry across fork boundaries of the sepolia and mainnet presets (geth v1.17.10's core/forkid vectors), the record re-signed with seq + 1 only when the entry changed, the eth/69 block range, the errors. Real nodes on 127.0.0.1 with the built devplane-dp (socket dataplane). */
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

#include "common/enr.h"
#include "common/rlp.h"
#include "control/api/admin.h"
#include "control/api/devplane.h"
#include "control/api/headrpc.h"
#include "control/host/devnode.h"
#include "control/rlpx/eth.h"
#include "control/rlpx/forkid.h"

#define SEPOLIA_GENESIS_0 0x25      /* first byte of sepolia's genesis */

static const uint8_t hash_a[32] = { 0xaa, 1, 2, 3, [31] = 0x0a };
static const uint8_t hash_b[32] = { 0xbb, 4, 5, 6, [31] = 0x0b };

static struct devplane *new_node(const char *chain, bool discovery)
{
	struct devplane_config c = {
		.listen = "127.0.0.1:0", .chain = devplane_chain(chain),
		.no_discovery = !discovery, .verbosity = 0,
	};
	struct devplane *n = NULL;
	int rc = -EADDRINUSE;

	assert_non_null(c.chain);
	/* Port 0: the dataplane picks the UDP port; TCP takes the same
	 * number, which another socket may hold. */
	for (int i = 0; i < 5 && rc == -EADDRINUSE; i++)
		rc = devplane_new(&n, &c);
	assert_int_equal(rc, 0);
	return n;
}

static const struct eth *node_eth(const struct devplane *n)
{
	return sesshost_eth(rlpxhost_engine(devnode_rlpxhost(n)));
}

/* The fork id in the node's signed record, which must verify and keep
 * the node's key. */
static void enr_forkid(struct devplane *n, struct forkid *out, uint64_t *seq)
{
	const struct localnode *ln = &devnode_discovery(n)->ln;
	const struct enr *r = localnode_record(ln);
	struct rlp_item outer, inner;
	const uint8_t *v;
	uint8_t pub[64];
	size_t len;

	assert_non_null(r);
	assert_int_equal(enr_verify(r), 0);
	assert_int_equal(enr_pubkey(pub, r), 0);
	assert_memory_equal(pub, devplane_id(n), 64);
	assert_int_equal(enr_get_eth(r, &v, &len), 0);
	/* enr-entries/eth.md: [[fork-hash, fork-next], ...] */
	assert_true(rlp_next(&outer, v, len) == (ssize_t)len);
	assert_true(outer.is_list);
	assert_true(rlp_next(&inner, outer.p, outer.len) > 0);
	assert_int_equal(forkid_from_item(out, &inner), 0);
	*seq = localnode_seq(ln);
	assert_int_equal(*seq, r->seq);
}

/* Sets the head and checks both fork ids (Status and ENR) against want,
 * and whether the record was re-signed. */
static void step(struct devplane *n, uint64_t block, uint64_t time,
		 const uint8_t *hash, uint32_t want_hash, uint64_t want_next,
		 bool changes)
{
	struct forkid st, rec;
	uint64_t seq0, seq1;

	enr_forkid(n, &rec, &seq0);
	assert_int_equal(devplane_set_head(n, block, time, hash), 0);
	eth_local_forkid(node_eth(n), &st);
	enr_forkid(n, &rec, &seq1);
	assert_int_equal(st.hash, want_hash);
	assert_int_equal(st.next, want_next);
	assert_int_equal(rec.hash, want_hash);
	assert_int_equal(rec.next, want_next);
	assert_int_equal(seq1, changes ? seq0 + 1 : seq0);
}

/* Sepolia, geth v1.17.10's core/forkid/forkid_test.go vectors across
 * MergeNetsplit (a block fork), Shanghai and Cancun (time forks), then
 * back to the genesis. */
static void test_set_head_sepolia(void **state)
{
	struct devplane *n = new_node("sepolia", true);
	struct eth_status s;
	struct forkid f;
	uint64_t seq;

	(void)state;
	assert_int_equal(devplane_register_eth(n), 0);
	assert_int_equal(devplane_start(n), 0);
	enr_forkid(n, &f, &seq);
	assert_int_equal(f.hash, 0xfe3366e7);           /* unsynced */
	assert_int_equal(f.next, 1735371);
	/* Last London block: same fork, the record stays as it is. */
	step(n, 1735370, 1661000000, hash_a, 0xfe3366e7, 1735371, false);
	/* First MergeNetsplit block. */
	step(n, 1735371, 1661000012, hash_b, 0xb96cbd13, 1677557088, true);
	/* Last MergeNetsplit block, one second before Shanghai. */
	step(n, 1735372, 1677557087, hash_a, 0xb96cbd13, 1677557088, false);
	/* First Shanghai block. */
	step(n, 1735373, 1677557088, hash_b, 0xf7f9bc08, 1706655072, true);
	eth_local_status(node_eth(n), &s, ETH_VERSION_69);
	assert_int_equal(s.latest, 1735373);
	assert_int_equal(s.earliest, 0);
	assert_memory_equal(s.latest_hash, hash_b, 32);
	assert_int_equal(s.forkid.hash, 0xf7f9bc08);
	/* First Cancun block. */
	step(n, 5187023, 1706655072, hash_a, 0x88cf81d9, 1741159776, true);
	/* Back to the genesis (hash NULL: the genesis hash). */
	step(n, 0, 0, NULL, 0xfe3366e7, 1735371, true);
	eth_local_status(node_eth(n), &s, ETH_VERSION_69);
	assert_int_equal(s.latest, 0);
	assert_int_equal(s.latest_hash[0], SEPOLIA_GENESIS_0);
	devplane_free(n);
}

/* Mainnet across Shanghai, Cancun and Prague, set before the node
 * starts: the record it starts with has the head's fork id. */
static void test_set_head_mainnet_before_start(void **state)
{
	struct devplane *n = new_node("mainnet", true);
	struct forkid f;
	uint64_t seq;

	(void)state;
	assert_int_equal(devplane_register_eth(n), 0);
	assert_int_equal(devplane_set_head(n, 20000000, 1681338455, hash_a),
			 0);
	assert_int_equal(devplane_start(n), 0);
	enr_forkid(n, &f, &seq);
	assert_int_equal(f.hash, 0xdce96c2d);
	assert_int_equal(f.next, 1710338135);
	step(n, 30000000, 1710338134, hash_b, 0xdce96c2d, 1710338135, false);
	step(n, 30000000, 1710338135, hash_b, 0x9f3d2254, 1746612311, true);
	step(n, 30000000, 1746612311, hash_a, 0xc376cf8b, 1764798551, true);
	devplane_free(n);
}

/* A zero hash above block 0 is refused and changes nothing; without eth
 * there is no head to move. */
static void test_set_head_errors(void **state)
{
	static const uint8_t zero[32];
	struct devplane *n = new_node("sepolia", true);
	struct eth_status s;
	struct forkid f;
	uint64_t seq0, seq1;

	(void)state;
	assert_int_equal(devplane_set_head(n, 1, 1, hash_a), -EPROTO);
	assert_int_equal(devplane_register_eth(n), 0);
	assert_int_equal(devplane_start(n), 0);
	assert_int_equal(devplane_set_head(n, 2000000, 1677557088, hash_a),
			 0);
	enr_forkid(n, &f, &seq0);
	assert_int_equal(devplane_set_head(n, 2000001, 1706655072, zero),
			 -EINVAL);
	assert_int_equal(devplane_set_head(n, 2000001, 1706655072, NULL),
			 -EINVAL);
	enr_forkid(n, &f, &seq1);
	assert_int_equal(seq1, seq0);
	assert_int_equal(f.hash, 0xf7f9bc08);
	eth_local_status(node_eth(n), &s, ETH_VERSION_69);
	assert_int_equal(s.latest, 2000000);
	assert_memory_equal(s.latest_hash, hash_a, 32);
	devplane_free(n);
}

/* Without discovery there is no record to re-sign; the Status still
 * follows, and admin_nodeInfo's record (built per call) has the entry. */
static void test_set_head_no_discovery(void **state)
{
	struct devplane *n = new_node("sepolia", false);
	struct forkid f;

	(void)state;
	assert_null(devnode_discovery(n));
	assert_int_equal(devplane_register_eth(n), 0);
	assert_int_equal(devplane_start(n), 0);
	assert_int_equal(devplane_set_head(n, 2000000, 1677557088, hash_a),
			 0);
	eth_local_forkid(node_eth(n), &f);
	assert_int_equal(f.hash, 0xf7f9bc08);
	devplane_free(n);
}

/* One request to the node's admin API; the parsed response. */
static json_t *call(struct devplane *n, const char *method,
		    const char *params)
{
	struct admin_provider ap;
	char req[512];
	size_t len;
	char *out;
	json_t *v;

	devnode_admin_provider(n, &ap);
	snprintf(req, sizeof(req),
		 "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"%s\","
		 "\"params\":%s}", method, params);
	out = admin_handle(&ap, req, strlen(req), &len);
	assert_non_null(out);
	v = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(v);
	return v;
}

static const char *err_msg(json_t *resp, int code)
{
	json_t *e = json_object_get(resp, "error");

	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "code")),
			 code);
	return json_string_value(json_object_get(e, "message"));
}

/* devplane_setHead through the admin API's dispatcher, as an IPC client
 * sends it: geth's quantities and hash, the result, the errors. */
static void test_set_head_admin_method(void **state)
{
	struct devplane *n = new_node("sepolia", true);
	json_t *r, *res, *m;
	struct forkid f;
	uint64_t seq;

	(void)state;
	assert_int_equal(devplane_register_eth(n), 0);
	assert_int_equal(devplane_start(n), 0);
	r = call(n, "rpc_modules", "[]");
	m = json_object_get(r, "result");
	assert_string_equal(json_string_value(json_object_get(m, "devplane")),
			    "1.0");
	json_decref(r);
	/* 0x1a7acd = 1735373, 0x63fc6e20 = 1677487648 (before Shanghai). */
	r = call(n, "devplane_setHead", "[\"0x1a7acd\", \"0x63fc6e20\", "
		 "\"0xbb04050600000000000000000000000000000000000000000000"
		 "00000000000b\"]");
	res = json_object_get(r, "result");
	assert_non_null(res);
	assert_int_equal(json_integer_value(json_object_get(res, "number")),
			 1735373);
	assert_int_equal(json_integer_value(json_object_get(res, "time")),
			 1677487648);
	assert_string_equal(json_string_value(json_object_get(res, "hash")),
			    "0xbb040506000000000000000000000000000000000000000000"
			    "0000000000000b");
	m = json_object_get(res, "forkId");
	assert_string_equal(json_string_value(json_object_get(m, "hash")),
			    "0xb96cbd13");
	assert_int_equal(json_integer_value(json_object_get(m, "next")),
			 1677557088);
	enr_forkid(n, &f, &seq);
	assert_int_equal(f.hash, 0xb96cbd13);
	assert_int_equal(json_integer_value(json_object_get(res, "enrSeq")),
			 (json_int_t)seq);
	assert_int_equal(json_integer_value(json_object_get(res,
			 "blockRangeUpdates")), 0);
	json_decref(r);
	/* Plain integers too. */
	r = call(n, "devplane_setHead", "[1735374, 1677557088, \"0xbb0405060"
		 "000000000000000000000000000000000000000000000000000000b\"]");
	m = json_object_get(json_object_get(r, "result"), "forkId");
	assert_string_equal(json_string_value(json_object_get(m, "hash")),
			    "0xf7f9bc08");
	json_decref(r);
	/* A head above block 0 without its hash: invalid params, nothing
	 * changed. */
	r = call(n, "devplane_setHead", "[\"0x1a7acf\", \"0x65b8fa60\"]");
	assert_non_null(strstr(err_msg(r, ADMIN_ERR_PARAMS), "needs its hash"));
	json_decref(r);
	r = call(n, "devplane_setHead", "[\"0x1a7acf\", \"0x65b8fa60\", \"0x"
		 "0000000000000000000000000000000000000000000000000000000000"
		 "000000\"]");
	assert_non_null(strstr(err_msg(r, ADMIN_ERR_PARAMS), "needs its hash"));
	json_decref(r);
	eth_local_forkid(node_eth(n), &f);
	assert_int_equal(f.hash, 0xf7f9bc08);
	/* Malformed params. */
	r = call(n, "devplane_setHead", "[\"0x01\", 1, \"0x"
		 "bb04050600000000000000000000000000000000000000000000000000"
		 "00000b\"]");                  /* leading zero digit */
	assert_non_null(strstr(err_msg(r, ADMIN_ERR_PARAMS), "number"));
	json_decref(r);
	r = call(n, "devplane_setHead", "[1, -1, null]");
	assert_non_null(strstr(err_msg(r, ADMIN_ERR_PARAMS), "time"));
	json_decref(r);
	r = call(n, "devplane_setHead", "[1, 2, \"0xbb\"]");
	assert_non_null(strstr(err_msg(r, ADMIN_ERR_PARAMS), "hash"));
	json_decref(r);
	r = call(n, "devplane_setHead", "[1]");
	assert_non_null(strstr(err_msg(r, ADMIN_ERR_PARAMS), "want [number"));
	json_decref(r);
	r = call(n, "devplane_setHead", "[\"0x8000000000000000\", 1, null]");
	assert_non_null(strstr(err_msg(r, ADMIN_ERR_PARAMS), "number"));
	json_decref(r);
	/* Block 0 with the hash left out: the genesis. */
	r = call(n, "devplane_setHead", "[0, 0]");
	res = json_object_get(r, "result");
	assert_non_null(res);
	assert_string_equal(json_string_value(json_object_get(res, "hash")),
			    "0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553f"
			    "cddf5138993e6dd9");
	json_decref(r);
	devplane_free(n);
}

/* Without eth the method does not exist. */
static void test_set_head_method_needs_eth(void **state)
{
	struct devplane *n = new_node("sepolia", true);
	json_t *r;

	(void)state;
	assert_int_equal(devplane_start(n), 0);
	r = call(n, "devplane_setHead", "[0, 0]");
	err_msg(r, ADMIN_ERR_METHOD);
	json_decref(r);
	devplane_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_head_sepolia),
		cmocka_unit_test(test_set_head_mainnet_before_start),
		cmocka_unit_test(test_set_head_errors),
		cmocka_unit_test(test_set_head_no_discovery),
		cmocka_unit_test(test_set_head_admin_method),
		cmocka_unit_test(test_set_head_method_needs_eth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
