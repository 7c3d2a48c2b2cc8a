/* SPDX-License-Identifier: MIT */
/* tests/control/service/test_gossip.c - the gossip envelope (round trip, bad input, TTL cut), message ids, the seen-cache (duplicates, expiry, eviction when full, bounded). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "common/keccak.h"
#include "control/service/gossip.h"

#define SEC 1000000000ull

static const uint8_t key[16] = "0123456789abcdef";

static void mkid(uint8_t id[GOSSIP_ID_LEN], uint32_t n)
{
	memset(id, 0, GOSSIP_ID_LEN);
	memcpy(id, &n, sizeof(n));
	id[31] = 0x5a;
}

static void test_gossip_env_round_trip(void **state)
{
	struct gossip_env e = { .ttl = 5, .code = 3 }, d;
	uint8_t out[128], payload[40];
	bool clamped = true;
	ssize_t n;

	(void)state;
	memset(payload, 0xab, sizeof(payload));
	mkid(e.id, 7);
	e.payload = payload;
	e.len = sizeof(payload);
	n = gossip_env_encode(out, sizeof(out), &e);
	assert_true(n > 0 && (size_t)n <= GOSSIP_ENV_OVERHEAD + e.len);
	assert_int_equal(gossip_env_decode(&d, &clamped, out, (size_t)n), n);
	assert_false(clamped);
	assert_memory_equal(d.id, e.id, GOSSIP_ID_LEN);
	assert_int_equal(d.ttl, 5);
	assert_int_equal(d.code, 3);
	assert_int_equal(d.len, sizeof(payload));
	assert_memory_equal(d.payload, payload, sizeof(payload));
	/* Empty payload, code 0. */
	e.len = 0;
	e.code = 0;
	n = gossip_env_encode(out, sizeof(out), &e);
	assert_true(n > 0);
	assert_int_equal(gossip_env_decode(&d, NULL, out, (size_t)n), n);
	assert_int_equal(d.len, 0);
	assert_int_equal(d.code, 0);
	/* Too small a buffer, and TTLs a sender may not write. */
	assert_int_equal(gossip_env_encode(out, 10, &e), -EMSGSIZE);
	e.ttl = 0;
	assert_int_equal(gossip_env_encode(out, sizeof(out), &e), -EINVAL);
	e.ttl = GOSSIP_TTL_MAX + 1;
	assert_int_equal(gossip_env_encode(out, sizeof(out), &e), -EINVAL);
}

/* Hand-written RLP: each row is one envelope and its verdict. */
static void test_gossip_env_bad_input(void **state)
{
	static const struct {
		const char *hex;
		ssize_t want;
		uint8_t ttl;
		bool clamped;
	} rows[] = {
		/* [id32, 3, 1, "ab"] */
		{ "e6a0" "0000000000000000000000000000000000000000000000000000000000000000"
		  "0301826162", 39, 3, false },
		/* ttl 200: cut to GOSSIP_TTL_MAX */
		{ "e7a0" "0000000000000000000000000000000000000000000000000000000000000000"
		  "81c801826162", 40, GOSSIP_TTL_MAX, true },
		/* ttl 0 */
		{ "e6a0" "0000000000000000000000000000000000000000000000000000000000000000"
		  "8001826162", -EBADMSG, 0, false },
		/* a 31-byte id */
		{ "e59f" "00000000000000000000000000000000000000000000000000000000000000"
		  "0301826162", -EBADMSG, 0, false },
		/* payload a list */
		{ "e6a0" "0000000000000000000000000000000000000000000000000000000000000000"
		  "0301c26162", -EBADMSG, 0, false },
		/* code missing */
		{ "e2a0" "0000000000000000000000000000000000000000000000000000000000000000"
		  "03", -EBADMSG, 0, false },
		/* not a list */
		{ "826162", -EBADMSG, 0, false },
		/* truncated */
		{ "e6a0" "00000000", -EMSGSIZE, 0, false },
		/* a ttl with a leading zero byte */
		{ "e8a0" "0000000000000000000000000000000000000000000000000000000000000000"
		  "82000301826162", -EBADMSG, 0, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t buf[128];
		size_t n = strlen(rows[i].hex) / 2;
		struct gossip_env d;
		bool clamped = false;

		assert_int_equal(hex_decode(buf, sizeof(buf), rows[i].hex,
					    n * 2), (ssize_t)n);
		assert_int_equal(gossip_env_decode(&d, &clamped, buf, n),
				 rows[i].want);
		if (rows[i].want > 0) {
			assert_int_equal(d.ttl, rows[i].ttl);
			assert_int_equal(clamped, rows[i].clamped);
			assert_int_equal(d.len, 2);
			assert_memory_equal(d.payload, "ab", 2);
		}
	}
}

static void test_gossip_msg_id(void **state)
{
	uint8_t origin[64], a[32], b[32], want[32];
	uint8_t pre[64 + 5 + 16 + 2];

	(void)state;
	memset(origin, 0x11, sizeof(origin));
	gossip_msg_id(a, origin, "demo", 1, 2, (const uint8_t *)"hi", 2);
	/* keccak256(origin || "demo\0" || seq_be || code_be || payload) */
	memcpy(pre, origin, 64);
	memcpy(pre + 64, "demo", 5);
	memset(pre + 69, 0, 16);
	pre[76] = 1;
	pre[84] = 2;
	memcpy(pre + 85, "hi", 2);
	keccak256(want, pre, sizeof(pre));
	assert_memory_equal(a, want, 32);
	/* Every input changes it. */
	gossip_msg_id(b, origin, "demo", 2, 2, (const uint8_t *)"hi", 2);
	assert_memory_not_equal(a, b, 32);
	gossip_msg_id(b, origin, "dem", 1, 2, (const uint8_t *)"hi", 2);
	assert_memory_not_equal(a, b, 32);
	gossip_msg_id(b, origin, "demo", 1, 3, (const uint8_t *)"hi", 2);
	assert_memory_not_equal(a, b, 32);
	gossip_msg_id(b, origin, "demo", 1, 2, (const uint8_t *)"ho", 2);
	assert_memory_not_equal(a, b, 32);
	origin[0] ^= 1;
	gossip_msg_id(b, origin, "demo", 1, 2, (const uint8_t *)"hi", 2);
	assert_memory_not_equal(a, b, 32);
}

static void test_gossip_seen_dup_and_expiry(void **state)
{
	struct gossip_seen s;
	uint8_t a[32], b[32];
	uint64_t t = 1000 * SEC;

	(void)state;
	assert_int_equal(gossip_seen_init(&s, 8, 10 * SEC, key), 0);
	mkid(a, 1);
	mkid(b, 2);
	assert_true(gossip_seen_add(&s, a, t));
	assert_false(gossip_seen_add(&s, a, t + SEC));         /* duplicate */
	assert_true(gossip_seen_has(&s, a, t + SEC));
	assert_false(gossip_seen_has(&s, b, t + SEC));
	assert_true(gossip_seen_add(&s, b, t + 5 * SEC));
	/* a expires at t + 10 s, b at t + 15 s. */
	assert_false(gossip_seen_has(&s, a, t + 10 * SEC));
	assert_true(gossip_seen_has(&s, b, t + 10 * SEC));
	assert_true(gossip_seen_add(&s, a, t + 10 * SEC));     /* new again */
	assert_int_equal(s.st.expired, 1);
	assert_int_equal(s.st.hits, 1);
	assert_int_equal(gossip_seen_len(&s), 2);
	gossip_seen_fini(&s);
	assert_int_equal(gossip_seen_init(&s, GOSSIP_SEEN_MAX + 1, 0, key),
			 -EINVAL);
}

/* Full: the oldest id goes, the cache never holds more than cap, and
 * every id it still holds is found (the index survives wrap-around). */
static void test_gossip_seen_bounded(void **state)
{
	struct gossip_seen s;
	uint8_t id[32];
	uint64_t t = 1000 * SEC;
	const uint32_t cap = 100;

	(void)state;
	assert_int_equal(gossip_seen_init(&s, cap, 3600 * SEC, key), 0);
	for (uint32_t i = 0; i < 10 * cap; i++) {
		mkid(id, i);
		assert_true(gossip_seen_add(&s, id, t + i));
		assert_true(gossip_seen_len(&s) <= cap);
	}
	assert_int_equal(gossip_seen_len(&s), cap);
	assert_int_equal(s.st.evicted, 9 * cap);
	for (uint32_t i = 0; i < 10 * cap; i++) {
		mkid(id, i);
		assert_int_equal(gossip_seen_has(&s, id, t + 10 * cap),
				 i >= 9 * cap);
	}
	/* A still-held id is a duplicate; an evicted one is new. */
	mkid(id, 10 * cap - 1);
	assert_false(gossip_seen_add(&s, id, t + 10 * cap));
	mkid(id, 0);
	assert_true(gossip_seen_add(&s, id, t + 10 * cap));
	gossip_seen_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gossip_env_round_trip),
		cmocka_unit_test(test_gossip_env_bad_input),
		cmocka_unit_test(test_gossip_msg_id),
		cmocka_unit_test(test_gossip_seen_dup_and_expiry),
		cmocka_unit_test(test_gossip_seen_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
