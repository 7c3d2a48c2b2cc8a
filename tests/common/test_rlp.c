/* SPDX-License-Identifier: MIT */
/* tests/common/test_rlp.c - RLP codec against the official fixtures. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/rlp.h"
#include "tests/vectors/rlp_vectors.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t be_to_u64(const uint8_t *p, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

/* Builds one vector's value from its op program. */
static ssize_t build(uint8_t *out, size_t cap, const struct rlp_valid_vector *v,
		     bool ints_as_u64)
{
	struct rlp_buf b;

	rlp_buf_init(&b, out, cap);
	for (size_t i = 0; i < v->n_ops; i++) {
		const struct rlp_op *op = &v->ops[i];

		switch (op->kind) {
		case RLP_OP_BYTES:
			rlp_put_bytes(&b, op->data, op->len);
			break;
		case RLP_OP_UINT:
			if (ints_as_u64 && op->len <= 8)
				rlp_put_u64(&b, be_to_u64(op->data, op->len));
			else
				rlp_put_uint_be(&b, op->data, op->len);
			break;
		case RLP_OP_BEGIN:
			rlp_list_begin(&b);
			break;
		case RLP_OP_END:
			rlp_list_end(&b);
			break;
		}
	}
	return rlp_buf_finish(&b);
}

static void test_rlp_build_matches_fixtures(void **state)
{
	static uint8_t out[4096];

	(void)state;
	for (size_t i = 0; i < N(rlp_valid_vectors); i++) {
		const struct rlp_valid_vector *v = &rlp_valid_vectors[i];

		for (int u64 = 0; u64 < 2; u64++) {
			ssize_t n = build(out, sizeof(out), v, u64);

			print_message("%s\n", v->name);
			assert_int_equal(n, (ssize_t)v->enc_len);
			assert_memory_equal(out, v->enc, v->enc_len);
		}
	}
}

/* Walks the decoded item and checks it against the op program from *pos. */
static void check_item(const struct rlp_item *it, const struct rlp_valid_vector *v,
		       size_t *pos)
{
	const struct rlp_op *op;

	assert_true(*pos < v->n_ops);
	op = &v->ops[(*pos)++];
	if (op->kind == RLP_OP_BEGIN) {
		struct rlp_iter iter;
		struct rlp_item child;
		int rc;

		assert_true(it->is_list);
		rlp_iter_init(&iter, it);
		while ((rc = rlp_iter_next(&iter, &child)) == 1)
			check_item(&child, v, pos);
		assert_int_equal(rc, 0);
		assert_int_equal(v->ops[(*pos)++].kind, RLP_OP_END);
		return;
	}
	assert_false(it->is_list);
	assert_int_equal(it->len, op->len);
	if (op->len)
		assert_memory_equal(it->p, op->data, op->len);
	if (op->kind == RLP_OP_UINT && op->len <= 8) {
		uint64_t x;

		assert_int_equal(rlp_to_u64(&x, it), 0);
		assert_true(x == be_to_u64(op->data, op->len));
	}
}

static void test_rlp_decode_matches_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(rlp_valid_vectors); i++) {
		const struct rlp_valid_vector *v = &rlp_valid_vectors[i];
		struct rlp_item it;
		size_t pos = 0;

		print_message("%s\n", v->name);
		assert_int_equal(rlp_validate(v->enc, v->enc_len, RLP_MAX_DEPTH), 0);
		assert_int_equal(rlp_next(&it, v->enc, v->enc_len), (ssize_t)v->enc_len);
		check_item(&it, v, &pos);
		assert_int_equal(pos, v->n_ops);
	}
}

static void test_rlp_validate_rejects_invalid_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(rlp_invalid_vectors); i++) {
		const struct rlp_invalid_vector *v = &rlp_invalid_vectors[i];
		int rc = rlp_validate(v->enc, v->enc_len, RLP_MAX_DEPTH);

		print_message("%s -> %d\n", v->name, rc);
		assert_true(rc == -EBADMSG || rc == -EMSGSIZE);
	}
}

static void test_rlp_next_rejects_noncanonical(void **state)
{
	static const struct {
		const char *what;
		uint8_t enc[8];
		size_t len;
		int err;
	} rows[] = {
		{"single byte wrapped", {0x81, 0x7f}, 2, -EBADMSG},
		{"long string, short payload", {0xb8, 0x01, 0xff}, 3, -EBADMSG},
		{"long length leading zero", {0xb9, 0x00, 0x40}, 3, -EBADMSG},
		{"long list, short payload", {0xf8, 0x01, 0x80}, 3, -EBADMSG},
		{"string past end", {0x83, 'd', 'o'}, 3, -EMSGSIZE},
		{"long header truncated", {0xb9, 0x01}, 2, -EMSGSIZE},
		{"empty input", {0}, 0, -EMSGSIZE},
		{"8-byte length overflow", {0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		 8, -EMSGSIZE},
	};
	struct rlp_item it;

	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		print_message("%s\n", rows[i].what);
		assert_int_equal(rlp_next(&it, rows[i].enc, rows[i].len), rows[i].err);
	}
	/* 0x81 0x80 is canonical: 0x80 cannot stand for itself. */
	assert_int_equal(rlp_next(&it, (const uint8_t[]){0x81, 0x80}, 2), 2);
}

static void test_rlp_validate_depth_bound(void **state)
{
	uint8_t deep[RLP_MAX_DEPTH + 2];

	(void)state;
	/* n nested empty lists: c(n-1) ... c1 c0 with each header counting the rest. */
	for (size_t n = 1; n <= sizeof(deep); n++) {
		for (size_t i = 0; i < n; i++)
			deep[i] = (uint8_t)(0xc0 + (n - 1 - i));
		if (n <= RLP_MAX_DEPTH)
			assert_int_equal(rlp_validate(deep, n, RLP_MAX_DEPTH), 0);
		else
			assert_int_equal(rlp_validate(deep, n, RLP_MAX_DEPTH), -EBADMSG);
	}
	assert_int_equal(rlp_validate(deep + sizeof(deep) - 3, 3, 2), -EBADMSG);
	assert_int_equal(rlp_validate(deep + sizeof(deep) - 2, 2, 2), 0);
}

static void test_rlp_validate_rejects_trailing_bytes(void **state)
{
	(void)state;
	assert_int_equal(rlp_validate((const uint8_t[]){0xc0, 0x00}, 2, 4), -EMSGSIZE);
	/* A list whose last child overruns the list's own payload. */
	assert_int_equal(rlp_validate((const uint8_t[]){0xc2, 0x82, 0x00, 0x00}, 4, 4),
			 -EMSGSIZE);
}

static void test_rlp_to_u64_rules(void **state)
{
	struct rlp_item it = {.is_list = false};
	uint64_t v;

	(void)state;
	it.p = (const uint8_t[]){0x00, 0x01};
	it.len = 2;
	assert_int_equal(rlp_to_u64(&v, &it), -EBADMSG);
	it.p = (const uint8_t[]){1, 2, 3, 4, 5, 6, 7, 8, 9};
	it.len = 9;
	assert_int_equal(rlp_to_u64(&v, &it), -ERANGE);
	it.len = 8;
	assert_int_equal(rlp_to_u64(&v, &it), 0);
	assert_true(v == 0x0102030405060708ull);
	it.len = 0;
	assert_int_equal(rlp_to_u64(&v, &it), 0);
	assert_true(v == 0);
	it.is_list = true;
	assert_int_equal(rlp_to_u64(&v, &it), -EBADMSG);
}

static void test_rlp_buf_errors_are_sticky(void **state)
{
	uint8_t small[4];
	struct rlp_buf b;

	(void)state;
	rlp_buf_init(&b, small, sizeof(small));
	rlp_put_bytes(&b, (const uint8_t *)"dogs", 4);
	rlp_put_u64(&b, 1);
	assert_int_equal(rlp_buf_finish(&b), -EMSGSIZE);

	rlp_buf_init(&b, small, sizeof(small));
	rlp_list_begin(&b);
	assert_int_equal(rlp_buf_finish(&b), -EINVAL);
	rlp_buf_init(&b, small, sizeof(small));
	rlp_list_end(&b);
	assert_int_equal(rlp_buf_finish(&b), -EINVAL);

	/* The list header itself must fit too. */
	rlp_buf_init(&b, small, sizeof(small));
	rlp_list_begin(&b);
	rlp_put_bytes(&b, (const uint8_t *)"dog", 3);
	rlp_list_end(&b);
	assert_int_equal(rlp_buf_finish(&b), -EMSGSIZE);
}

static void test_rlp_long_list_header_shift(void **state)
{
	/* A 60-byte payload needs the 2-byte long-form list header. */
	uint8_t out[128], payload[58];
	struct rlp_buf b;
	struct rlp_item it;

	(void)state;
	memset(payload, 0xab, sizeof(payload));
	rlp_buf_init(&b, out, sizeof(out));
	rlp_list_begin(&b);
	rlp_put_bytes(&b, payload, sizeof(payload));
	rlp_list_end(&b);
	assert_int_equal(rlp_buf_finish(&b), 2 + 2 + 58);
	assert_int_equal(out[0], 0xf8);
	assert_int_equal(out[1], 60);
	assert_int_equal(out[2], 0xb8);
	assert_int_equal(rlp_validate(out, 62, 1), 0);
	assert_int_equal(rlp_next(&it, out, 62), 62);
	assert_true(it.is_list && it.len == 60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rlp_build_matches_fixtures),
		cmocka_unit_test(test_rlp_decode_matches_fixtures),
		cmocka_unit_test(test_rlp_validate_rejects_invalid_fixtures),
		cmocka_unit_test(test_rlp_next_rejects_noncanonical),
		cmocka_unit_test(test_rlp_validate_depth_bound),
		cmocka_unit_test(test_rlp_validate_rejects_trailing_bytes),
		cmocka_unit_test(test_rlp_to_u64_rules),
		cmocka_unit_test(test_rlp_buf_errors_are_sticky),
		cmocka_unit_test(test_rlp_long_list_header_shift),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
