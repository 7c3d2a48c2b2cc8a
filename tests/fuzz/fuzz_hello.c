/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_hello.c - p2p Hello decoding, and encode/decode agreement. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/rlpx/p2p.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct p2p_hello h, back;
	static uint8_t out[8192];
	ssize_t n, w;

	n = p2p_hello_decode(&h, data, size);
	if (n < 0)
		return 0;
	if ((size_t)n > size || n < 1)
		abort();
	/* What decodes re-encodes, and decodes to the same Hello (less the
	 * dropped extras, which only set the truncated flag). */
	w = p2p_hello_encode(out, sizeof(out), &h);
	if (w < 0)
		abort();
	if (p2p_hello_decode(&back, out, (size_t)w) != w)
		abort();
	back.truncated = h.truncated;
	if (memcmp(&back, &h, sizeof(h)) != 0)
		abort();
	return 0;
}
