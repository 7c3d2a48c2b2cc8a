/* SPDX-License-Identifier: MIT */
/* tests/dataplane/io/test_pktio.c - what the backends share: the sock_idx ->
 * listen entry table and finding a backend by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
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

static void test_find_by_name(void **st)
{
	(void)st;
	assert_ptr_equal(pktio_find(NULL), &pktio_socket_ops);  /* default */
	assert_ptr_equal(pktio_find("socket"), &pktio_socket_ops);
	assert_null(pktio_find("nope"));
	assert_null(pktio_find(""));
	/* A backend left out of the build is unknown, not a stub. */
	assert_int_equal(pktio_find("xdp") != NULL, HAVE_XDP);
	assert_int_equal(pktio_find("dpdk") != NULL, HAVE_DPDK);
	if (HAVE_XDP)
		assert_string_equal(pktio_find("xdp")->name, "xdp");
	if (HAVE_DPDK)
		assert_string_equal(pktio_find("dpdk")->name, "dpdk");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_index_maps_every_entry),
		cmocka_unit_test(test_listen_index_rejects_bad_indexes),
		cmocka_unit_test(test_find_by_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
