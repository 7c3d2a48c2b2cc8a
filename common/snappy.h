/* SPDX-License-Identifier: MIT */
/* common/snappy.h - Snappy block compression for RLPx messages, over libsnappy. */
#ifndef COMMON_SNAPPY_H
#define COMMON_SNAPPY_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Largest decoded message we ever produce (devp2p caps message size at
 * 16 MiB; geth's maxUint24 check is the same bound). */
#define SNAPPY_DECODED_MAX (16u << 20)

/* snappy_bound() is the largest compressed size of len input bytes; size
 * the output of snappy_pack() with it. */
size_t snappy_bound(size_t len);

/* snappy_pack() compresses in[0..in_len) into out[0..out_cap). Returns the
 * compressed length, -ENOBUFS (out_cap below snappy_bound(in_len)) or
 * -EMSGSIZE (in_len above SNAPPY_DECODED_MAX: the peer would refuse it).
 * Any thread. */
ssize_t snappy_pack(uint8_t *out, size_t out_cap, const uint8_t *in,
		    size_t in_len);

/* snappy_decoded_len() reads the decoded length from the block header
 * without decompressing. Returns it, or -EBADMSG (no valid header). */
ssize_t snappy_decoded_len(const uint8_t *in, size_t in_len);

/* snappy_unpack() decompresses in[0..in_len) into out[0..out_cap). The
 * claimed decoded length is checked against min(cap, SNAPPY_DECODED_MAX)
 * and out_cap before any decompression (a compression bomb costs nothing);
 * cap 0 means SNAPPY_DECODED_MAX. Returns the decoded length, or -EMSGSIZE
 * (claimed length above the cap), -ENOBUFS (above out_cap but within the
 * cap), -EBADMSG (corrupt input). Any thread. */
ssize_t snappy_unpack(uint8_t *out, size_t out_cap, const uint8_t *in,
		      size_t in_len, size_t cap);

#endif /* COMMON_SNAPPY_H */
