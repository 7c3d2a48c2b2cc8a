/* SPDX-License-Identifier: MIT */
/* tests/dataplane/daemon/test_backend.c - finding a packet I/O backend by
 * name among those this build has. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "dataplane/daemon/backend.h"
#include "dataplane/io/pktio_socket.h"

static void test_backend_find_by_name(void **st)
{
	(void)st;
	assert_ptr_equal(backend_find(NULL), &pktio_socket_ops); /* default */
	assert_ptr_equal(backend_find("socket"), &pktio_socket_ops);
	assert_null(backend_find("nope"));
	assert_null(backend_find(""));
	assert_null(backend_find("xdp:eth0"));  /* dpd splits the iface off */
	/* A backend left out of the build is unknown, not a stub. */
	assert_int_equal(backend_find("xdp") != NULL, HAVE_XDP);
	assert_int_equal(backend_find("dpdk") != NULL, HAVE_DPDK);
	if (HAVE_XDP)
		assert_string_equal(backend_find("xdp")->name, "xdp");
	if (HAVE_DPDK)
		assert_string_equal(backend_find("dpdk")->name, "dpdk");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_find_by_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
