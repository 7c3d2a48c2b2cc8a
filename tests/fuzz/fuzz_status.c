/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_status.c - eth/68..eth/72 Status and BlockRangeUpdate decoding, and encode/decode agreement. */
#include <errno.h>
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
	if (w == -EINVAL) {
		/* Refused only for a block range geth rejects. */
		if (version == ETH_VERSION_68 ||
		    (st.earliest <= st.latest &&
		     memcmp(st.latest_hash, (uint8_t[ETH_HASH_LEN]){ 0 },
			    ETH_HASH_LEN) != 0))
			abort();
		return;
	}
	if (w != n)
		abort();
	if (eth_status_decode(&back, version, out, (size_t)w) != w)
		abort();
	if (memcmp(&back, &st, sizeof(st)) != 0 || memcmp(out, data, n) != 0)
		abort();
}

static void range(const uint8_t *data, size_t size)
{
	uint8_t hash[ETH_HASH_LEN], out[64];
	uint64_t e, l;
	ssize_t n = eth_block_range_decode(&e, &l, hash, data, size);

	if (n < 0)
		return;
	if ((size_t)n > size ||
	    eth_block_range_encode(out, sizeof(out), e, l, hash) != n ||
	    memcmp(out, data, (size_t)n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (uint32_t v = ETH_VERSION_MIN; v <= ETH_VERSION_MAX; v++)
		one(v, data, size);
	range(data, size);
	return 0;
}
