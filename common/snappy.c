/* SPDX-License-Identifier: MIT */
/* common/snappy.c - Snappy block compression for RLPx messages, over libsnappy. */
#include "common/snappy.h"

#include <errno.h>
#include <limits.h>
#include <snappy-c.h>

size_t snappy_bound(size_t len)
{
	return snappy_max_compressed_length(len);
}

ssize_t snappy_pack(uint8_t *out, size_t out_cap, const uint8_t *in,
		    size_t in_len)
{
	size_t n = out_cap;

	if (in_len > SNAPPY_DECODED_MAX)
		return -EMSGSIZE;
	/* libsnappy writes up to the bound whatever the input compresses
	 * to, so a smaller buffer is refused up front. */
	if (out_cap < snappy_max_compressed_length(in_len))
		return -ENOBUFS;
	if (snappy_compress((const char *)in, in_len, (char *)out, &n) !=
	    SNAPPY_OK)
		return -ENOBUFS;
	return (ssize_t)n;
}

ssize_t snappy_decoded_len(const uint8_t *in, size_t in_len)
{
	size_t n;

	if (snappy_uncompressed_length((const char *)in, in_len, &n) !=
	    SNAPPY_OK)
		return -EBADMSG;
	if (n > (size_t)SSIZE_MAX)
		return -EBADMSG;
	return (ssize_t)n;
}

ssize_t snappy_unpack(uint8_t *out, size_t out_cap, const uint8_t *in,
		      size_t in_len, size_t cap)
{
	size_t claimed, n;

	if (cap == 0 || cap > SNAPPY_DECODED_MAX)
		cap = SNAPPY_DECODED_MAX;
	/* The header is a varint of the decoded length: check it against
	 * the cap before libsnappy touches the body, so a 20 MiB bomb in a
	 * few bytes is refused for the cost of reading five bytes. */
	if (snappy_uncompressed_length((const char *)in, in_len, &claimed) !=
	    SNAPPY_OK)
		return -EBADMSG;
	if (claimed > cap)
		return -EMSGSIZE;
	if (claimed > out_cap)
		return -ENOBUFS;
	n = out_cap;
	/* snappy_uncompress validates as it goes and fails on any copy that
	 * reaches outside the output or any length mismatch. */
	if (snappy_uncompress((const char *)in, in_len, (char *)out, &n) !=
	    SNAPPY_OK)
		return -EBADMSG;
	if (n != claimed)
		return -EBADMSG;
	return (ssize_t)n;
}
