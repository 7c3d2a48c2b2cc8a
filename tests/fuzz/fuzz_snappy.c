/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_snappy.c - snappy_unpack with a cap on arbitrary input. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/snappy.h"

#define FUZZ_CAP (1u << 16)

/*
 * Input: one byte choosing the cap (0: FUZZ_CAP; else that many KiB), then a
 * snappy block. Anything that decodes must compress and decode back to the
 * same bytes; nothing may decode past the cap.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[FUZZ_CAP], z[FUZZ_CAP * 2], back[FUZZ_CAP];
	size_t cap;
	ssize_t n, zl, claimed;

	if (size < 1)
		return 0;
	cap = data[0] ? (size_t)data[0] << 10 : FUZZ_CAP;
	if (cap > FUZZ_CAP)
		cap = FUZZ_CAP;
	n = snappy_unpack(out, sizeof(out), data + 1, size - 1, cap);
	claimed = snappy_decoded_len(data + 1, size - 1);
	if (n < 0) {
		if (n != -EBADMSG && n != -EMSGSIZE && n != -ENOBUFS)
			abort();
		if (n == -EMSGSIZE && (claimed < 0 || (size_t)claimed <= cap))
			abort();
		return 0;
	}
	if ((size_t)n > cap || n != claimed)
		abort();
	zl = snappy_pack(z, sizeof(z), out, (size_t)n);
	if (zl < 0)
		abort();
	if (snappy_unpack(back, sizeof(back), z, (size_t)zl, 0) != n ||
	    memcmp(back, out, (size_t)n))
		abort();
	return 0;
}
