/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_status.c - eth/68 and eth/69 Status decoding, and encode/decode agreement. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/rlpx/eth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(uint32_t version, const uint8_t *data, size_t size)
{
	struct eth_status st, back;
	uint8_t out[512];
	ssize_t n, w;

	n = eth_status_decode(&st, version, data, size);
	if (n < 0)
		return;
	if ((size_t)n > size || n < 1 || st.td_len > ETH_TD_MAX)
		abort();
	/* Re-encoding follows st.version; only a message that names the
	 * layout it was decoded with has to round-trip. */
	if (st.version != version)
		return;
	w = eth_status_encode(out, sizeof(out), &st);
	if (w < 0)
		abort();
	if (eth_status_decode(&back, version, out, (size_t)w) != w)
		abort();
	if (memcmp(&back, &st, sizeof(st)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(ETH_VERSION_68, data, size);
	one(ETH_VERSION_69, data, size);
	return 0;
}
