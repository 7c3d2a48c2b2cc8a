/* SPDX-License-Identifier: MIT */
/* common/rlp.h - RLP codec (Yellow Paper, appendix B). No allocation. */
#ifndef COMMON_RLP_H
#define COMMON_RLP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RLP_MAX_DEPTH 16                /* nesting bound for decode and build */

struct rlp_item {                       /* view into caller bytes; dies with them */
	const uint8_t *p;               /* payload (after the header) */
	size_t len;                     /* payload length */
	bool is_list;
};

/* rlp_next() decodes the header of the item at the start of buf[0..len) into
 * *out. It checks canonical form (single bytes < 0x80 not wrapped, no leading
 * zeros in long lengths, long form only for payloads > 55 bytes) but not the
 * contents of a list. Returns bytes consumed (header + payload) or -EBADMSG
 * (malformed or non-canonical), -EMSGSIZE (item longer than len). */
ssize_t rlp_next(struct rlp_item *out, const uint8_t *buf, size_t len);

/* rlp_validate() checks that buf[0..len) is exactly one well-formed item
 * whose lists nest at most max_depth (<= RLP_MAX_DEPTH) deep, recursively.
 * Returns 0, or -EBADMSG, -EMSGSIZE (trailing bytes or truncation). */
int rlp_validate(const uint8_t *buf, size_t len, unsigned max_depth);

/* List iteration: rlp_iter_init() over a list item, then rlp_iter_next()
 * until it returns 0. rlp_iter_next() returns 1 with *out set, 0 at the end,
 * or a negative errno from rlp_next(). */
struct rlp_iter {
	const uint8_t *p;
	size_t len;
};
void rlp_iter_init(struct rlp_iter *it, const struct rlp_item *list);
int rlp_iter_next(struct rlp_iter *it, struct rlp_item *out);

/* rlp_to_u64() reads a canonical unsigned integer (no leading zero bytes, at
 * most 8 bytes) from a string item. Returns 0, -EBADMSG (a list, or leading
 * zeros), -ERANGE (more than 8 bytes). */
int rlp_to_u64(uint64_t *out, const struct rlp_item *item);

/* Builder: writes into a caller buffer. Errors are sticky and reported by
 * rlp_buf_finish(), so a packet can be built without checking every call. */
struct rlp_buf {
	uint8_t *p;
	size_t cap;
	size_t len;
	int err;                        /* 0 or the first -errno */
	unsigned depth;
	size_t open[RLP_MAX_DEPTH];     /* payload start of each open list */
};

/* rlp_buf_init() starts an empty encoding in mem[0..cap). */
void rlp_buf_init(struct rlp_buf *b, uint8_t *mem, size_t cap);
/* rlp_put_bytes() appends a byte string. */
void rlp_put_bytes(struct rlp_buf *b, const uint8_t *buf, size_t len);
/* rlp_put_u64() appends an unsigned integer (0 encodes as the empty string). */
void rlp_put_u64(struct rlp_buf *b, uint64_t v);
/* rlp_put_uint_be() appends a big-endian unsigned integer, leading zeros
 * stripped (for 256-bit values such as difficulty). */
void rlp_put_uint_be(struct rlp_buf *b, const uint8_t *be, size_t len);
/* rlp_put_raw() appends bytes that are already RLP-encoded. */
void rlp_put_raw(struct rlp_buf *b, const uint8_t *enc, size_t len);
/* rlp_list_begin()/rlp_list_end() bracket the items of a list. */
void rlp_list_begin(struct rlp_buf *b);
void rlp_list_end(struct rlp_buf *b);
/* rlp_buf_finish() returns the encoded length, or -EMSGSIZE (buffer too
 * small), -EINVAL (unbalanced lists or nesting over RLP_MAX_DEPTH). */
ssize_t rlp_buf_finish(const struct rlp_buf *b);

#endif /* COMMON_RLP_H */
