/* SPDX-License-Identifier: MIT */
/* tests/test_loopback.h - a loopback address of the test's own. */
#ifndef TESTS_TEST_LOOPBACK_H
#define TESTS_TEST_LOOPBACK_H
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* test_loopback4() returns, in network order, an address in 127.0.0.0/8
 * other than 127.0.0.1 that is fixed for the process and differs between
 * processes. Integration tests running beside a unit test send to many
 * 127.0.0.1 ports (testnets, crawls, ethereumjs networks), and an
 * ephemeral port of ours may be one they still target; a private address
 * keeps their stray datagrams out of our counters. */
static inline void test_loopback4(uint8_t out[4])
{
	static uint8_t a[4];

	if (!a[0]) {
		uint32_t seed = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);

		a[1] = (uint8_t)(100 + seed % 100);
		a[2] = (uint8_t)(1 + (seed >> 8) % 250);
		a[3] = (uint8_t)(1 + (seed >> 16) % 250);
		a[0] = 127;
	}
	memcpy(out, a, 4);
}
#endif /* TESTS_TEST_LOOPBACK_H */
