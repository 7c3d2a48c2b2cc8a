/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_disconnect.c - p2p Disconnect decoding (list and bare forms), and round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/rlpx/p2p.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t reason, back, out[4];
	ssize_t n, w;

	n = p2p_disconnect_decode(&reason, data, size);
	if (n < 0)
		return 0;
	if ((size_t)n > size || n < 1)
		abort();
	w = p2p_disconnect_encode(out, sizeof(out), reason);
	if (w < 2)
		abort();
	if (p2p_disconnect_decode(&back, out, (size_t)w) != w || back != reason)
		abort();
	if (p2p_disc_reason_name(reason) == NULL)
		abort();
	return 0;
}
