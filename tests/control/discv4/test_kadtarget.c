/* SPDX-License-Identifier: MIT */
/* tests/control/discv4/test_kadtarget.c - FindNode targets land in the requested bucket of a remote id. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/keccak.h"
#include "control/discv4/kad.h"
#include "control/discv4/kadtarget.h"

static uint64_t rng_state = 0x0badc0ffee15600dull;

static uint64_t trand(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct kadtarget *kt17;

static int setup(void **state)
{
	(void)state;
	return kadtarget_new(&kt17, KADTARGET_DEFAULT_BITS, 7);
}

static int teardown(void **state)
{
	(void)state;
	kadtarget_free(kt17);
	return 0;
}

/* For random remote ids, every distance from 256 down to 240 is hit
 * exactly, for several salts. */
static void test_kadtarget_lands_in_bucket(void **state)
{
	uint8_t remote[KAD_ID_LEN], target[SECP_PUB_LEN], h[KAD_ID_LEN];
	int round, i;
	unsigned d;

	(void)state;
	assert_int_equal(kadtarget_min_distance(kt17), 240);
	for (round = 0; round < 300; round++) {
		for (i = 0; i < KAD_ID_LEN; i++)
			remote[i] = (uint8_t)trand();
		for (d = 256; d >= 240; d--) {
			assert_int_equal(kadtarget_pick(kt17, target, remote, d,
							(uint32_t)trand()), 0);
			keccak256(h, target, sizeof(target));
			if (kad_log_distance(h, remote) != (int)d)
				fail_msg("round %d: wanted distance %u, got %d", round, d,
					 kad_log_distance(h, remote));
		}
	}
}

static void test_kadtarget_salt_varies(void **state)
{
	uint8_t remote[KAD_ID_LEN] = { 0x5a, 0xa5, 0x0f };
	uint8_t a[SECP_PUB_LEN], b[SECP_PUB_LEN];

	(void)state;
	/* Distance 256 leaves 16 free bits: salts pick different preimages. */
	assert_int_equal(kadtarget_pick(kt17, a, remote, 256, 1), 0);
	assert_int_equal(kadtarget_pick(kt17, b, remote, 256, 2), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	/* Same salt, same answer. */
	assert_int_equal(kadtarget_pick(kt17, b, remote, 256, 1), 0);
	assert_memory_equal(a, b, sizeof(a));
	/* Distance 240 fixes all 17 bits: the salt does not matter. */
	assert_int_equal(kadtarget_pick(kt17, a, remote, 240, 1), 0);
	assert_int_equal(kadtarget_pick(kt17, b, remote, 240, 99), 0);
	assert_memory_equal(a, b, sizeof(a));
}

static void test_kadtarget_range(void **state)
{
	uint8_t remote[KAD_ID_LEN] = { 0 }, target[SECP_PUB_LEN];
	struct kadtarget *small;

	(void)state;
	assert_int_equal(kadtarget_pick(kt17, target, remote, 239, 0), -ERANGE);
	assert_int_equal(kadtarget_pick(kt17, target, remote, 0, 0), -ERANGE);
	assert_int_equal(kadtarget_pick(kt17, target, remote, 257, 0), -ERANGE);
	assert_int_equal(kadtarget_new(&small, 0, 1), -EINVAL);
	assert_int_equal(kadtarget_new(&small, KADTARGET_MAX_BITS + 1, 1), -EINVAL);
	kadtarget_free(NULL);

	/* A small table: deterministic per seed, reaches 257 - bits. */
	assert_int_equal(kadtarget_new(&small, 8, 3), 0);
	assert_int_equal(kadtarget_min_distance(small), 249);
	assert_int_equal(kadtarget_pick(small, target, remote, 249, 0), 0);
	assert_int_equal(kadtarget_pick(small, target, remote, 248, 0), -ERANGE);
	{
		uint8_t h[KAD_ID_LEN], t2[SECP_PUB_LEN];
		struct kadtarget *again;

		keccak256(h, target, sizeof(target));
		assert_int_equal(kad_log_distance(h, remote), 249);
		assert_int_equal(kadtarget_new(&again, 8, 3), 0);
		assert_int_equal(kadtarget_pick(again, t2, remote, 249, 0), 0);
		assert_memory_equal(target, t2, sizeof(t2));
		kadtarget_free(again);
	}
	kadtarget_free(small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kadtarget_lands_in_bucket),
		cmocka_unit_test(test_kadtarget_salt_varies),
		cmocka_unit_test(test_kadtarget_range),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
