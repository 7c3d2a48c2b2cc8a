/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_rlp.c - rlp_validate and re-encoding on arbitrary input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rlp.h"

/* Re-encodes a validated item; canonical decoding means the bytes must come
 * back identical. */
static void reencode(struct rlp_buf *b, const struct rlp_item *it)
{
	struct rlp_iter iter;
	struct rlp_item child;

	if (!it->is_list) {
		rlp_put_bytes(b, it->p, it->len);
		return;
	}
	rlp_list_begin(b);
	rlp_iter_init(&iter, it);
	while (rlp_iter_next(&iter, &child) == 1)
		reencode(b, &child);
	rlp_list_end(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 16];
	struct rlp_item it;
	struct rlp_buf b;

	if (size > sizeof(out) - 16 || rlp_validate(data, size, RLP_MAX_DEPTH) < 0)
		return 0;
	if (rlp_next(&it, data, size) != (ssize_t)size)
		abort();
	rlp_buf_init(&b, out, sizeof(out));
	reencode(&b, &it);
	if (rlp_buf_finish(&b) != (ssize_t)size || memcmp(out, data, size) != 0)
		abort();
	return 0;
}
