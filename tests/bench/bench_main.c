/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_main.c - devplane-bench: prints ops/s and MB/s per
 * operation with the machine's ceiling next to it. Not a test: nothing here
 * asserts a time. Usage: devplane-bench [section...] */
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "tests/bench/bench.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_section(const char *name)
{
	printf("\n== %s\n", name);
	printf("%-40s %14s %10s  %s\n", "operation", "ops/s", "MB/s", "note");
	fflush(stdout);
}

void bench_report(const char *op, double ops_per_s, double bytes_per_op, const char *note)
{
	char mbs[32] = "-";

	if (bytes_per_op > 0)
		snprintf(mbs, sizeof(mbs), "%.1f", ops_per_s * bytes_per_op / 1e6);
	printf("%-40s %14.0f %10s  %s\n", op, ops_per_s, mbs, note ? note : "");
	fflush(stdout);
}

struct section {
	const char *name;
	void (*run)(void);
};

static const struct section sections[] = {
	{"keccak", bench_keccak},
	{"secp", bench_secp},
	{"ecies", bench_ecies},
	{"frame", bench_frame},
	{"shmring", bench_shmring},
	{"dp", bench_dp},
	{"crawl", bench_crawl},
	{"fe", bench_fe},
	{"handshake", bench_handshake},
	{"discv4", bench_discv4},
	{"discv5", bench_discv5},
	{NULL, NULL},
};

int main(int argc, char **argv)
{
	int ran = 0;

	for (const struct section *s = sections; s->name; s++) {
		bool wanted = argc < 2;

		for (int i = 1; i < argc; i++)
			wanted |= strcmp(argv[i], s->name) == 0;
		if (!wanted)
			continue;
		s->run();
		ran++;
	}
	if (ran == 0) {
		fprintf(stderr, "devplane-bench: no such section\n");
		return 1;
	}
	return 0;
}
