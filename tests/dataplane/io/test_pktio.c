/* SPDX-License-Identifier: MIT */
/* tests/dataplane/io/test_pktio.c - what the backends share: the sock_idx ->
 * listen entry table and the IP:PORT parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/io/pktio.h"

static void test_listen_index_maps_every_entry(void **st)
{
	struct dplink_listen l[3];
	uint16_t *t = NULL;
	unsigned used = 0;

	(void)st;
	memset(l, 0, sizeof(l));
	l[0].sock_idx = 7;
	l[1].sock_idx = 0;
	l[2].sock_idx = UINT16_MAX - 1;         /* the highest valid index */
	assert_int_equal(pktio_listen_index(&t, l, 3), 0);
	assert_non_null(t);
	assert_int_equal(t[7], 0);
	assert_int_equal(t[0], 1);
	assert_int_equal(t[UINT16_MAX - 1], 2);
	for (unsigned i = 0; i <= UINT16_MAX; i++)
		used += t[i] != PKTIO_NO_IDX;
	assert_int_equal(used, 3);              /* everything else unused */
	free(t);
}

static void test_listen_index_rejects_bad_indexes(void **st)
{
	struct dplink_listen l[2];
	uint16_t *t = NULL;

	(void)st;
	memset(l, 0, sizeof(l));
	l[0].sock_idx = 4;
	l[1].sock_idx = 4;                      /* repeated */
	assert_int_equal(pktio_listen_index(&t, l, 2), -EINVAL);
	assert_null(t);
	l[1].sock_idx = PKTIO_NO_IDX;           /* reserved for "none" */
	assert_int_equal(pktio_listen_index(&t, l, 2), -EINVAL);
	assert_null(t);
	assert_int_equal(pktio_listen_index(&t, l, 0), 0);     /* empty */
	assert_int_equal(t[4], PKTIO_NO_IDX);
	free(t);
}

/* IP:PORT as --listen and the flood generator's --target take it. */
static void test_parse_listen(void **st)
{
	static const struct {
		const char *in;
		int rc;
		uint8_t addr[16];
		uint16_t port;
	} rows[] = {
		{ "127.0.0.1:30303", 0,
		  { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 }, 30303 },
		{ "[::1]:0", 0, { [15] = 1 }, 0 },
		{ "[2001:db8::7]:65535", 0,
		  { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 }, 65535 },
		{ "::1:5", 0, { [15] = 1 }, 5 },     /* the last colon splits */
		{ "127.0.0.1:65536", -EINVAL, { 0 }, 0 },
		{ "127.0.0.1:", -EINVAL, { 0 }, 0 },
		{ "127.0.0.1", -EINVAL, { 0 }, 0 },
		{ ":30303", -EINVAL, { 0 }, 0 },
		{ "[::1:5", -EINVAL, { 0 }, 0 },
		{ "host.example:1", -EINVAL, { 0 }, 0 },
		{ "1.2.3.4:5x", -EINVAL, { 0 }, 0 },
	};

	(void)st;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct dplink_listen l;

		memset(&l, 0xa5, sizeof(l));
		if (pktio_parse_listen(&l, rows[i].in) != rows[i].rc)
			fail_msg("%s: rc", rows[i].in);
		if (rows[i].rc)
			continue;
		assert_memory_equal(l.addr, rows[i].addr, 16);
		assert_int_equal(ntohs(l.port_be), rows[i].port);
		assert_int_equal(l.sock_idx, 0xa5a5);   /* untouched */
	}
	assert_int_equal(pktio_parse_listen(&(struct dplink_listen){ 0 },
					    NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_index_maps_every_entry),
		cmocka_unit_test(test_listen_index_rejects_bad_indexes),
		cmocka_unit_test(test_parse_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
