/* SPDX-License-Identifier: MIT */
/* tests/control/base/test_chains.c - the built-in chains
 * (control/base/chains.c) against geth's values: genesis hashes, network
 * ids, fork ids at genesis and past every fork (printed by a Go program
 * with go-ethereum v1.17.10's forkid.NewID; holesky with v1.17.0, the
 * last that knew it), the bootnode lists' sizes, every bootnode parsing
 * and every record verifying, and the DNS trees (params.KnownDNSNetwork). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/enr.h"
#include "common/hex.h"
#include "control/base/chains.h"
#include "control/base/nodearg.h"
#include "control/dns/dnstree.h"
#include "control/rlpx/forkid.h"

static const struct {
	const char *name;
	uint64_t network_id;
	const char *genesis;
	uint32_t hash0;                 /* fork id at genesis */
	uint64_t next0;
	uint32_t hash_last;             /* past every fork: next 0 */
	size_t n_boot;                  /* geth's XxxBootnodes */
	const char *dns;
} geth[] = {
	{ "mainnet", 1,
	  "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3",
	  0xfc64ec04, 1150000, 0x07c9462e, 9,
	  "enrtree://AKA3AM6LPBYEUDMVNU3BSVQJ5AD45Y7YPOHJLEF6W26QOE4VTUDPE@all.mainnet.ethdisco.net" },
	{ "sepolia", 11155111,
	  "25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9",
	  0xfe3366e7, 1735371, 0x6c1d9423, 10,
	  "enrtree://AKA3AM6LPBYEUDMVNU3BSVQJ5AD45Y7YPOHJLEF6W26QOE4VTUDPE@all.sepolia.ethdisco.net" },
	{ "holesky", 17000,
	  "b5f7f912443c940f21fd611f12828d75b534364ed9e95ca4e307729a4661bde4",
	  0xc61a6098, 1696000704, 0x9bc6cb31, 2,
	  "enrtree://AKA3AM6LPBYEUDMVNU3BSVQJ5AD45Y7YPOHJLEF6W26QOE4VTUDPE@all.holesky.ethdisco.net" },
	{ "hoodi", 560048,
	  "bbe312868b376a3001692a646dd2d7d1e4406380dfd86b98aa8a34d1557c971b",
	  0xbef71d30, 1742999832, 0x23aa1351, 8,
	  "enrtree://AKA3AM6LPBYEUDMVNU3BSVQJ5AD45Y7YPOHJLEF6W26QOE4VTUDPE@all.hoodi.ethdisco.net" },
};

#define N_GETH (sizeof(geth) / sizeof(geth[0]))

static void test_chains_match_geth(void **state)
{
	(void)state;
	assert_int_equal(chains_count(), N_GETH);
	for (size_t i = 0; i < N_GETH; i++) {
		const struct chains_preset *p = chains_by_name(geth[i].name);
		const struct forkid_chain *c = forkid_chain_by_name(geth[i].name);
		uint8_t g[32];
		struct forkid id;

		assert_non_null(p);
		assert_ptr_equal(chains_at(i), p);
		assert_non_null(c);
		assert_int_equal(hex_decode(g, 32, geth[i].genesis, 64), 32);
		assert_memory_equal(p->genesis, g, 32);
		assert_memory_equal(c->genesis, g, 32);
		assert_int_equal(p->network_id, geth[i].network_id);
		assert_int_equal(c->network_id, geth[i].network_id);
		forkid_compute(&id, c, 0, p->genesis_time);
		assert_int_equal(id.hash, geth[i].hash0);
		assert_int_equal(id.next, geth[i].next0);
		forkid_compute(&id, c, UINT64_MAX, UINT64_MAX);
		assert_int_equal(id.hash, geth[i].hash_last);
		assert_int_equal(id.next, 0);
		assert_string_equal(p->dns, geth[i].dns);
		assert_int_equal(p->n_bootnodes, geth[i].n_boot);
		assert_int_equal(p->n_bootnodes_v5, 20);    /* V5Bootnodes */
	}
	assert_null(chains_by_name("goerli"));
	assert_null(chains_by_name(NULL));
	assert_null(chains_at(N_GETH));
}

/* Every bootnode parses (enr: records verify, with an address and UDP
 * port), every v5 record verifies, every DNS URL is a valid link. */
static void test_chains_bootnodes_parse(void **state)
{
	static struct enr r;

	(void)state;
	for (size_t i = 0; i < chains_count(); i++) {
		const struct chains_preset *p = chains_at(i);
		struct dnstree_link l;

		for (size_t k = 0; k < p->n_bootnodes; k++) {
			struct enode e;

			assert_int_equal(nodearg_parse(&e, p->bootnodes[k]), 0);
			assert_true(e.kind == ENODE_HOST_IP4 ||
				    e.kind == ENODE_HOST_IP6);
			assert_int_not_equal(e.udp, 0);
		}
		for (size_t k = 0; k < p->n_bootnodes_v5; k++) {
			const char *t = p->bootnodes_v5[k];

			assert_true(enr_decode_text(&r, t, strlen(t)) > 0);
			assert_int_equal(enr_verify(&r), 0);
		}
		assert_int_equal(dnstree_parse_link(&l, p->dns, strlen(p->dns)),
				 (ssize_t)strlen(p->dns));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chains_match_geth),
		cmocka_unit_test(test_chains_bootnodes_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
