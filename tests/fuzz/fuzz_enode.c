/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_enode.c - enode:// parsing, and format/parse agreement. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/enode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[ENODE_URL_MAX + 1], out2[ENODE_URL_MAX + 1];
	struct enode n, m;
	ssize_t w, w2;

	if (enode_parse(&n, (const char *)data, size) < 0)
		return 0;
	/* Whatever parses must format, and the formatted URL is a fixed
	 * point: it parses to the same node and formats identically. */
	w = enode_format(out, sizeof(out), &n);
	if (w < 0)
		abort();
	if (enode_parse(&m, out, (size_t)w) < 0)
		abort();
	if (memcmp(&m, &n, sizeof(n)) != 0)
		abort();
	w2 = enode_format(out2, sizeof(out2), &m);
	if (w2 != w || memcmp(out, out2, (size_t)w) != 0)
		abort();
	return 0;
}
