/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_discv4_wire.c - discv4 receive path and re-encoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv4_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Any valid key: re-encoded packets are signed with it. */
static const uint8_t key[32] = { [31] = 0x2a };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct discv4_packet p, q;
	uint8_t pub[DISCV4_PUB_LEN], out[DISCV4_MAX_LEN];
	ssize_t n, e;
	int type;

	/* The dataplane order: hash, type, decode, recover. Decode and
	 * recovery run even when the hash is wrong, to reach them. */
	(void)discv4_check_hash(data, size);
	type = discv4_packet_type(data, size);
	n = discv4_decode(&p, data, size);
	(void)discv4_recover(pub, data, size);
	if (n < 0)
		return 0;
	if (type < 0 || p.type != type || (size_t)n > size)
		abort();
	/* A decoded packet re-encodes (without the ignored extras) no larger
	 * than it came, and decodes to the same fields. */
	e = discv4_encode(out, sizeof(out), key, &p);
	if (e < 0) {
		if (type == DISCV4_NEIGHBORS &&
		    p.u.neighbors.n > DISCV4_NEIGHBORS_MAX)
			return 0;
		abort();
	}
	if (e > n || discv4_check_hash(out, (size_t)e) != 0)
		abort();
	if (discv4_decode(&q, out, (size_t)e) != e ||
	    memcmp(&p, &q, sizeof(p)) != 0)
		abort();
	return 0;
}
